// splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014;
// constants as in Vigna's reference splitmix64.c, https://prng.di.unimi.it/splitmix64.c): the one
// copy of the project's seed mixer, used for deterministic hashing (block and vertex ids, the DAG
// coin, BABE slot authors, latency samples) and per-node random streams.
#pragma once

#include <cstdint>

namespace pipesim {

/// splitmix64's increment (the golden-ratio "gamma" 2^64 / phi, odd).
inline constexpr std::uint64_t kSplitmix64Gamma = 0x9E3779B97F4A7C15ULL;

/// splitmix64's output function (finaliser): a bijective avalanche mix of 64 bits.
constexpr std::uint64_t splitmix64_mix(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// One splitmix64 step as a hash: the output of the generator whose state was `x`
/// (mix(x + gamma)). Iterating `splitmix64(state += gamma)`-style gives the reference stream.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  return splitmix64_mix(x + kSplitmix64Gamma);
}

/// Absorbs one 64-bit word into a running hash `h` (splitmix64 of `h` xor the word's mix): the
/// chaining step of the project's deterministic ids (block ids, vertex digests).
constexpr std::uint64_t splitmix64_absorb(std::uint64_t h, std::uint64_t v) noexcept {
  return splitmix64(h ^ splitmix64(v));
}

}  // namespace pipesim
