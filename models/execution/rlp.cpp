#include "models/execution/rlp.hpp"

#include <algorithm>
#include <cstring>

namespace pipesim::execution::rlp {
namespace {

// Number of bytes of the minimal big-endian form of `v` (0 for v == 0).
std::size_t byte_count(std::uint64_t v) {
  std::size_t n = 0;
  while (v != 0) {
    ++n;
    v >>= 8;
  }
  return n;
}

// Header for a payload of `len` bytes; `short_base` is 0x80 (strings) or 0xc0 (lists), and the long
// form base is short_base + 55 (0xb7 / 0xf7).
void append_header(Bytes& out, std::uint8_t short_base, std::size_t len) {
  if (len <= 55) {
    out.push_back(static_cast<std::uint8_t>(short_base + len));
    return;
  }
  const std::size_t n = byte_count(len);
  out.push_back(static_cast<std::uint8_t>(short_base + 55 + n));
  for (std::size_t i = n; i-- > 0;) out.push_back(static_cast<std::uint8_t>(len >> (8 * i)));
}

std::size_t header_length(std::size_t len) {
  return len <= 55 ? 1 : 1 + byte_count(len);
}

// Recursive-descent decoder over [0, data.size()).
class Decoder {
 public:
  explicit Decoder(ByteView data) : data_(data) {}

  // Decodes one item starting at `pos`, which must end at or before `end`; returns the item and
  // advances `pos` past it.
  Item item(std::size_t& pos, std::size_t end, std::size_t depth) {
    const std::size_t start = pos;
    if (pos >= end) fail(start, "expected an item but the input (or enclosing list) ended");
    const std::uint8_t b = data_[pos];
    if (b < 0x80) {
      ++pos;
      return Item{false, Bytes{b}, {}};
    }
    const bool is_list = b >= 0xc0;
    const std::uint8_t base = is_list ? 0xc0 : 0x80;
    std::size_t len = 0;
    std::size_t header = 1;
    if (b - base <= 55) {
      len = b - base;
    } else {
      const std::size_t n = b - base - 55;  // 1..8 length bytes
      header = 1 + n;
      if (start + header > end) fail(start, "truncated length of a long " + kind(is_list));
      if (data_[start + 1] == 0)
        fail(start, "length of a long " + kind(is_list) + " has a leading zero");
      for (std::size_t i = 0; i < n; ++i) len = (len << 8) | data_[start + 1 + i];
      if (len <= 55)
        fail(start,
             "long form used for a " + kind(is_list) + " of " + std::to_string(len) + " bytes");
    }
    const std::size_t payload = start + header;
    if (len > end - payload) {
      fail(start, kind(is_list) + " of " + std::to_string(len) + " bytes overruns the input (" +
                      std::to_string(end - payload) + " bytes left)");
    }
    pos = payload + len;
    if (!is_list) {
      if (len == 1 && data_[payload] < 0x80) {
        fail(start, "single byte below 0x80 must be encoded as itself");
      }
      return Item{false,
                  Bytes(data_.begin() + static_cast<std::ptrdiff_t>(payload),
                        data_.begin() + static_cast<std::ptrdiff_t>(pos)),
                  {}};
    }
    if (depth >= kMaxDepth) fail(start, "list nesting deeper than " + std::to_string(kMaxDepth));
    Item list{true, {}, {}};
    std::size_t p = payload;
    while (p < pos) list.items.push_back(item(p, pos, depth + 1));
    return list;
  }

 private:
  static std::string kind(bool is_list) { return is_list ? "list" : "string"; }
  [[noreturn]] static void fail(std::size_t offset, const std::string& what) {
    throw DecodeError(offset, what);
  }

  ByteView data_;
};

}  // namespace

DecodeError::DecodeError(std::size_t offset, const std::string& what)
    : std::runtime_error("RLP: malformed input at offset " + std::to_string(offset) + ": " + what),
      offset_(offset) {}

std::size_t string_length(ByteView s) {
  if (s.size() == 1 && s[0] < 0x80) return 1;
  return header_length(s.size()) + s.size();
}

std::size_t list_header_length(std::size_t payload_len) {
  return header_length(payload_len);
}

void append_string(Bytes& out, ByteView s) {
  if (s.size() == 1 && s[0] < 0x80) {
    out.push_back(s[0]);
    return;
  }
  append_header(out, 0x80, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void append_list_header(Bytes& out, std::size_t payload_len) {
  append_header(out, 0xc0, payload_len);
}

void append_uint(Bytes& out, std::uint64_t v) {
  if (v != 0 && v < 0x80) {
    out.push_back(static_cast<std::uint8_t>(v));
    return;
  }
  const std::size_t n = byte_count(v);
  out.push_back(static_cast<std::uint8_t>(0x80 + n));
  for (std::size_t i = n; i-- > 0;) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Bytes big_endian(std::uint64_t v) {
  const std::size_t n = byte_count(v);
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
  return out;
}

ByteView trim_leading_zeros(ByteView word) {
  std::size_t i = 0;
  while (i < word.size() && word[i] == 0) ++i;
  return word.subspan(i);
}

Bytes big_endian_from_decimal(std::string_view decimal) {
  if (decimal.empty()) throw std::invalid_argument("empty decimal number");
  // Little-endian base-256 accumulator: value = value * 10 + digit, per digit.
  Bytes le;
  for (char c : decimal) {
    if (c < '0' || c > '9') {
      throw std::invalid_argument("invalid decimal number \"" + std::string(decimal) + "\"");
    }
    unsigned carry = static_cast<unsigned>(c - '0');
    for (auto& byte : le) {
      const unsigned v = byte * 10u + carry;
      byte = static_cast<std::uint8_t>(v & 0xff);
      carry = v >> 8;
    }
    while (carry != 0) {
      le.push_back(static_cast<std::uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  while (!le.empty() && le.back() == 0) le.pop_back();
  return Bytes(le.rbegin(), le.rend());
}

Bytes encode_string(ByteView s) {
  Bytes out;
  out.reserve(string_length(s));
  append_string(out, s);
  return out;
}

Bytes encode_uint(std::uint64_t v) {
  Bytes out;
  append_uint(out, v);
  return out;
}

Bytes encode_list(const std::vector<Bytes>& encoded_items) {
  std::size_t payload = 0;
  for (const auto& e : encoded_items) payload += e.size();
  Bytes out;
  out.reserve(list_header_length(payload) + payload);
  append_list_header(out, payload);
  for (const auto& e : encoded_items) out.insert(out.end(), e.begin(), e.end());
  return out;
}

std::uint64_t Item::to_uint64() const {
  if (is_list) throw DecodeError(0, "expected an integer, found a list");
  if (bytes.size() > 8) {
    throw DecodeError(0, "integer of " + std::to_string(bytes.size()) + " bytes exceeds 64 bits");
  }
  if (!bytes.empty() && bytes[0] == 0) throw DecodeError(0, "integer has a leading zero byte");
  std::uint64_t v = 0;
  for (std::uint8_t b : bytes) v = (v << 8) | b;
  return v;
}

namespace {
std::size_t encoded_length(const Item& item) {
  if (!item.is_list) return string_length(item.bytes);
  std::size_t payload = 0;
  for (const auto& i : item.items) payload += encoded_length(i);
  return list_header_length(payload) + payload;
}
}  // namespace

void append(Bytes& out, const Item& item) {
  if (!item.is_list) {
    append_string(out, item.bytes);
    return;
  }
  std::size_t payload = 0;
  for (const auto& i : item.items) payload += encoded_length(i);
  append_list_header(out, payload);
  for (const auto& i : item.items) append(out, i);
}

Bytes encode(const Item& item) {
  Bytes out;
  out.reserve(encoded_length(item));
  append(out, item);
  return out;
}

Item decode(ByteView data) {
  Decoder d(data);
  std::size_t pos = 0;
  Item item = d.item(pos, data.size(), 0);
  if (pos != data.size()) {
    throw DecodeError(pos, std::to_string(data.size() - pos) + " trailing bytes after the item");
  }
  return item;
}

}  // namespace pipesim::execution::rlp
