#include "models/common/bytes.hpp"

#include <stdexcept>

namespace pipesim {
namespace {
constexpr char kDigits[] = "0123456789abcdef";

int nibble(char c, std::string_view whole) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw std::invalid_argument("invalid hex string \"" + std::string(whole) + "\"");
}
}  // namespace

std::string to_hex(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::string to_hex0x(ByteView bytes) {
  return "0x" + to_hex(bytes);
}

Bytes from_hex(std::string_view hex) {
  std::string_view whole = hex;
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  Bytes out;
  out.reserve((hex.size() + 1) / 2);
  std::size_t i = 0;
  if (hex.size() % 2 == 1) {
    out.push_back(static_cast<std::uint8_t>(nibble(hex[0], whole)));
    i = 1;
  }
  for (; i < hex.size(); i += 2) {
    out.push_back(
        static_cast<std::uint8_t>(nibble(hex[i], whole) << 4 | nibble(hex[i + 1], whole)));
  }
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_from_hex(std::string_view hex) {
  Bytes b = from_hex(hex);
  if (b.size() > N) {
    throw std::invalid_argument("hex string \"" + std::string(hex) + "\" has " +
                                std::to_string(b.size()) + " bytes, at most " + std::to_string(N) +
                                " expected");
  }
  std::array<std::uint8_t, N> out{};
  std::copy(b.begin(), b.end(), out.begin() + (N - b.size()));
  return out;
}

template std::array<std::uint8_t, 20> fixed_from_hex<20>(std::string_view);
template std::array<std::uint8_t, 32> fixed_from_hex<32>(std::string_view);

}  // namespace pipesim
