// Keccak-256: the hash Ethereum uses for trie nodes, secure-trie keys and code hashes.
//
// This is the original Keccak submission (padding byte 0x01), not NIST SHA3-256 (padding 0x06);
// see the Yellow Paper, appendix E ("KEC"). Backed by Crypto++ (CryptoPP::Keccak_256), which stays
// out of this header.
#pragma once

#include "models/common/bytes.hpp"

namespace pipesim::execution {

/// Keccak-256 of `data` (any length, including empty). Thread-safe.
Hash32 keccak256(ByteView data);

/// Keccak256("") = 0xc5d24601…5d85a470: the code hash of an account without code (Yellow Paper
/// section 4.1, "codeHash").
inline constexpr Hash32 kEmptyCodeHash = {
    0xc5, 0xd2, 0x46, 0x01, 0x86, 0xf7, 0x23, 0x3c, 0x92, 0x7e, 0x7d, 0xb2, 0xdc, 0xc7, 0x03, 0xc0,
    0xe5, 0x00, 0xb6, 0x53, 0xca, 0x82, 0x27, 0x3b, 0x7b, 0xfa, 0xd8, 0x04, 0x5d, 0x85, 0xa4, 0x70};

}  // namespace pipesim::execution
