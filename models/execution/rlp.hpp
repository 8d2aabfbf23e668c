// Recursive Length Prefix (RLP) serialisation, Yellow Paper appendix B.
//
// An item is a byte string or a list of items. Encoding:
//  - a single byte < 0x80 is itself;
//  - a string of 0..55 bytes is 0x80+len then the bytes; longer: 0xb7+len(len) then len
//  (big-endian,
//    minimal) then the bytes;
//  - a list whose concatenated item encodings (the payload) has 0..55 bytes is 0xc0+len then the
//    payload; longer: 0xf7+len(len), len, payload.
// Integers are encoded as the string of their minimal big-endian bytes (0 is the empty string).
//
// Two layers: streaming `append_*` helpers for hot paths (the trie encodes nodes with them), and an
// `Item` tree with `encode`/`decode` for files such as EIP-7928 block access lists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "models/common/bytes.hpp"

namespace pipesim::execution::rlp {

/// Malformed RLP input. `offset()` is the byte offset (into the buffer given to `decode`) of the
/// item header at fault.
class DecodeError : public std::runtime_error {
 public:
  DecodeError(std::size_t offset, const std::string& what);
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

// ---- Streaming encoder ----

/// Number of bytes `append_string(out, s)` writes.
std::size_t string_length(ByteView s);
/// Number of bytes of the header of a list whose payload has `payload_len` bytes.
std::size_t list_header_length(std::size_t payload_len);
/// Appends the encoding of byte string `s`.
void append_string(Bytes& out, ByteView s);
/// Appends a list header for a payload of `payload_len` bytes; the caller appends the payload
/// (the concatenated encodings of the items) right after.
void append_list_header(Bytes& out, std::size_t payload_len);
/// Appends the encoding of unsigned integer `v` (minimal big-endian; 0 -> 0x80).
void append_uint(Bytes& out, std::uint64_t v);

/// Minimal big-endian bytes of `v` (empty for 0).
Bytes big_endian(std::uint64_t v);
/// `word` (big-endian) with its leading zero bytes removed (empty for zero): the RLP integer form
/// of a 256-bit quantity such as a balance or a storage value.
ByteView trim_leading_zeros(ByteView word);
/// Minimal big-endian bytes of a non-negative decimal number of any size ("0" -> empty), e.g. the
/// "#bignum" integers of ethereum/tests RLPTests. Throws std::invalid_argument on an empty string
/// or a non-digit character.
Bytes big_endian_from_decimal(std::string_view decimal);

/// Convenience: the encoding of a single string / integer.
Bytes encode_string(ByteView s);
Bytes encode_uint(std::uint64_t v);
/// The encoding of a list given its items' encodings (concatenated in order).
Bytes encode_list(const std::vector<Bytes>& encoded_items);

// ---- Item tree ----

/// A decoded RLP item: a byte string (`is_list == false`, `bytes`) or a list (`items`).
struct Item {
  bool is_list = false;
  Bytes bytes;              // string payload (empty for lists)
  std::vector<Item> items;  // list elements (empty for strings)

  static Item string(ByteView s) { return Item{false, Bytes(s.begin(), s.end()), {}}; }
  static Item uint(std::uint64_t v) { return Item{false, big_endian(v), {}}; }
  static Item list(std::vector<Item> items) { return Item{true, {}, std::move(items)}; }

  /// The string payload as an unsigned integer. Throws DecodeError (offset 0) if this is a list,
  /// has a leading zero byte, or is longer than 8 bytes.
  std::uint64_t to_uint64() const;

  friend bool operator==(const Item&, const Item&) = default;
};

/// Encodes an item tree.
Bytes encode(const Item& item);
void append(Bytes& out, const Item& item);

/// Decodes exactly one item spanning all of `data`. Canonical encoding is required, as in the
/// Yellow Paper and execution clients: throws DecodeError (naming the offset) on truncated input,
/// trailing bytes, a single byte < 0x80 wrapped as a 1-byte string, a long form for a length
/// <= 55, a length with leading zero bytes, a list payload that does not end exactly at its
/// declared length, or nesting deeper than `kMaxDepth`.
Item decode(ByteView data);

/// Maximum list nesting `decode` accepts (guards the recursion against hostile input).
inline constexpr std::size_t kMaxDepth = 1024;

}  // namespace pipesim::execution::rlp
