#include <doctest/doctest.h>

#include <stdexcept>

#include "models/common/bytes.hpp"

using namespace pipesim;

TEST_CASE("hex round trip and padding") {
  Bytes b = from_hex("0x00ff10");
  CHECK(b == Bytes{0x00, 0xff, 0x10});
  CHECK(to_hex0x(b) == "0x00ff10");
  CHECK(from_hex("0x1") == Bytes{0x01});
  auto a = fixed_from_hex<20>("0x01");
  CHECK(a[19] == 1);
  CHECK(a[0] == 0);
  CHECK_THROWS_AS(from_hex("0xzz"), std::invalid_argument);
  CHECK_THROWS_AS(fixed_from_hex<20>(std::string(42, 'f')), std::invalid_argument);
}
