// RLP against ethereum/tests RLPTests/rlptest.json, plus malformed-input checks.
#include "models/execution/rlp.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace pipesim::execution::rlp {
namespace {

nlohmann::json load(const std::string& name) {
  const std::string path = std::string(PIPESIM_SOURCE_DIR) + "/tests/data/trie-tests/" + name;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return nlohmann::json::parse(in);
}

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// rlptest.json "in": a string (raw text, or "#<decimal>" for a big integer), an unsigned
// integer, or a list of those.
Item to_item(const nlohmann::json& j) {
  if (j.is_array()) {
    std::vector<Item> items;
    for (const auto& e : j) items.push_back(to_item(e));
    return Item::list(std::move(items));
  }
  if (j.is_number_unsigned() || j.is_number_integer()) return Item::uint(j.get<std::uint64_t>());
  const auto s = j.get<std::string>();
  if (!s.empty() && s[0] == '#') return Item{false, big_endian_from_decimal(s.substr(1)), {}};
  return Item::string(text(s));
}

}  // namespace

TEST_CASE("rlp: ethereum/tests rlptest.json vectors encode and decode exactly") {
  const auto tests = load("rlptest.json");
  int passed = 0;
  for (const auto& entry : tests.items()) {
    const std::string& name = entry.key();
    const auto& t = entry.value();
    CAPTURE(name);
    const Item item = to_item(t.at("in"));
    const Bytes expected = from_hex(t.at("out").get<std::string>());
    CHECK(to_hex(encode(item)) == to_hex(expected));
    CHECK(decode(expected) == item);
    ++passed;
  }
  CHECK(passed == 28);
  MESSAGE("rlptest.json vectors: " << passed);
}

TEST_CASE("rlp: integers are minimal big-endian") {
  CHECK(to_hex(encode_uint(0)) == "80");
  CHECK(to_hex(encode_uint(1)) == "01");
  CHECK(to_hex(encode_uint(0x7f)) == "7f");
  CHECK(to_hex(encode_uint(0x80)) == "8180");
  CHECK(to_hex(encode_uint(0x0400)) == "820400");
  CHECK(to_hex(encode_uint(~0ULL)) == "88ffffffffffffffff");
  CHECK(decode(encode_uint(~0ULL)).to_uint64() == ~0ULL);
  CHECK(to_hex(big_endian_from_decimal("0")) == "");
  CHECK(to_hex(big_endian_from_decimal("256")) == "0100");
  CHECK(to_hex(big_endian_from_decimal("18446744073709551616")) == "010000000000000000");
  CHECK_THROWS_AS(big_endian_from_decimal("12a"), std::invalid_argument);
  const Hash32 word = fixed_from_hex<32>("0x0102");
  CHECK(to_hex(trim_leading_zeros(word)) == "0102");
}

TEST_CASE("rlp: long strings and lists use the length-of-length form") {
  const Bytes s56(56, 'a');
  const Bytes e = encode_string(s56);
  CHECK(e.size() == 58);
  CHECK(e[0] == 0xb8);
  CHECK(e[1] == 56);
  const Bytes s1024(1024, 'b');
  CHECK(to_hex(ByteView(encode_string(s1024)).first(3)) == "b90400");
  CHECK(decode(encode_string(s1024)).bytes == s1024);
}

TEST_CASE("rlp: malformed input throws DecodeError naming the offset") {
  auto offset_of = [](std::string_view hex) -> std::size_t {
    try {
      decode(from_hex(hex));
    } catch (const DecodeError& e) {
      return e.offset();
    }
    FAIL("no DecodeError for " << hex);
    return 0;
  };
  CHECK(offset_of("") == 0);          // empty input
  CHECK(offset_of("83646f") == 0);    // string overruns
  CHECK(offset_of("8100") == 0);      // single byte < 0x80 wrapped
  CHECK(offset_of("b801ff") == 0);    // long form for a length <= 55
  CHECK(offset_of("b90001ff") == 0);  // length with a leading zero
  CHECK(offset_of("c2830102") == 1);  // nested string overruns its list
  CHECK(offset_of("c0c0") == 1);      // trailing bytes
  CHECK(offset_of("c2c280") == 1);    // list item overruns the enclosing list
  CHECK(offset_of("f8") == 0);        // truncated length
  try {
    decode(from_hex("c2830102"));
  } catch (const DecodeError& e) {
    CHECK(std::string(e.what()).find("offset 1") != std::string::npos);
  }
  CHECK_THROWS_AS(decode(from_hex("c0")).to_uint64(), DecodeError);
  CHECK_THROWS_AS(decode(from_hex("820001")).to_uint64(), DecodeError);
  // Nesting limit.
  Bytes deep{0xc0};
  for (std::size_t i = 0; i < kMaxDepth; ++i) {
    Bytes wrapped;
    append_list_header(wrapped, deep.size());
    wrapped.insert(wrapped.end(), deep.begin(), deep.end());
    deep = std::move(wrapped);
  }
  CHECK_THROWS_AS(decode(deep), DecodeError);
}

TEST_CASE("rlp: decodes nested lists (block-access-list shape)") {
  // [[0xaa.., [1, 2]], []] built, encoded, decoded.
  const Item tree =
      Item::list({Item::list({Item::string(from_hex("aabbccddeeff00112233445566778899aabbccdd")),
                              Item::list({Item::uint(1), Item::uint(2)})}),
                  Item::list({})});
  const Bytes enc = encode(tree);
  CHECK(to_hex(enc) ==
        "dad8"
        "94aabbccddeeff00112233445566778899aabbccdd"
        "c20102"
        "c0");
  const Item back = decode(enc);
  CHECK(back == tree);
  CHECK(back.items[0].items[1].items[1].to_uint64() == 2);
}

}  // namespace pipesim::execution::rlp
