// Fixed-size byte types shared by every model layer, and hex conversion.
//
// No SimGrid, no heavy headers: included by consensus, execution, workload and network code.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pipesim {

/// 32-byte digest (Keccak-256 output, state root, block id, storage slot key or value).
using Hash32 = std::array<std::uint8_t, 32>;
/// 20-byte Ethereum account address.
using Address = std::array<std::uint8_t, 20>;

/// The first 8 bytes of an address as a big-endian integer (deterministic dealing offsets).
inline std::uint64_t address_prefix_u64(const Address& a) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = v << 8 | a[i];
  return v;
}
/// Variable-length byte string.
using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Lower-case hex without prefix ("" for an empty input).
std::string to_hex(ByteView bytes);
/// "0x"-prefixed lower-case hex.
std::string to_hex0x(ByteView bytes);

/// Parses hex with or without a "0x" prefix; an odd digit count is left-padded with one '0'
/// (JSON-RPC quantities such as "0x1"). Throws std::invalid_argument naming the input on a
/// non-hex character.
Bytes from_hex(std::string_view hex);

/// Parses hex into a fixed-size array, left-padding with zeros (big-endian numbers and short
/// addresses). Throws std::invalid_argument if the input has more than N bytes.
template <std::size_t N>
std::array<std::uint8_t, N> fixed_from_hex(std::string_view hex);

extern template std::array<std::uint8_t, 20> fixed_from_hex<20>(std::string_view);
extern template std::array<std::uint8_t, 32> fixed_from_hex<32>(std::string_view);

/// FNV-1a style mixing of a fixed array into 64 bits, for hash maps keyed by digests (the inputs
/// are already cryptographic hashes or addresses, so the first 8 bytes suffice).
struct ByteArrayHash {
  template <std::size_t N>
  std::size_t operator()(const std::array<std::uint8_t, N>& a) const noexcept {
    std::uint64_t h = 1469598103934665603ULL;
    for (std::size_t i = 0; i < N; ++i) h = (h ^ a[i]) * 1099511628211ULL;
    return static_cast<std::size_t>(h);
  }
};

}  // namespace pipesim
