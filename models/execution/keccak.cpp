#include "models/execution/keccak.hpp"

#include <crypto++/keccak.h>

namespace pipesim::execution {

Hash32 keccak256(ByteView data) {
  // One hasher per thread: construction zeroes a 200-byte state, cheap but not free on the trie's
  // hot path. CalculateDigest restarts the hasher after each digest.
  thread_local CryptoPP::Keccak_256 hasher;
  Hash32 out;
  static_assert(CryptoPP::Keccak_256::DIGESTSIZE == 32);
  hasher.CalculateDigest(out.data(), data.data(), data.size());
  return out;
}

}  // namespace pipesim::execution
