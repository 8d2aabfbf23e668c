// pipesim's random variates: the only code that turns uniform 64-bit words into numbers of a
// distribution. The C++ standard library's distributions (std::uniform_int_distribution,
// std::uniform_real_distribution, std::exponential_distribution, std::discrete_distribution,
// std::bernoulli_distribution, ...) and std::shuffle are implementation-defined: libstdc++,
// libc++ and MSVC map the same engine output to different values. Every function here is a fixed
// algorithm over the generator's words, so the same seed gives the same draws on any platform
// (tests/common/random_test.cpp pins them).
//
// Generators: any callable returning uniform 64-bit words (std::mt19937_64, which the standard
// fully specifies, or a splitmix64 stream from models/common/splitmix64.hpp); see
// Uniform64Generator. The number of words each function consumes is documented, so that
// changing a call site does not silently shift the rest of a stream.
//
// Algorithms and sources:
//   unit_from_bits      top 53 bits x 2^-53 (Vigna, https://prng.di.unimi.it/, "Generating
//                       uniform doubles in the unit interval")
//   uniform_below/int   Lemire, "Fast Random Integer Generation in an Interval", ACM TOMACS
//                       29(1), 2019, Algorithm 5 (multiply-high with rejection: unbiased)
//   exponential         inversion, -log1p(-u) / rate (Devroye, "Non-Uniform Random Variate
//                       Generation", 1986, ch. II.2)
//   normal_from_bits    Box-Muller, cosine branch (Box, Muller, "A Note on the Generation of
//                       Random Normal Deviates", Ann. Math. Stat. 29(2), 1958)
//   AliasTable          Vose, "A linear algorithm for generating random numbers with a given
//                       distribution", IEEE TSE 17(9), 1991 (Walker's alias method)
//   shuffle             Fisher-Yates as Durstenfeld's in-place version (Knuth, TAOCP vol. 2,
//                       3.4.2, Algorithm P)
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace pipesim {

/// A generator of uniform 64-bit words: g() returns an unsigned 64-bit integer, every bit
/// uniform. A UniformRandomBitGenerator (static min()/max()) must span exactly [0, 2^64 - 1]
/// (std::mt19937_64 does; std::mt19937 or std::minstd_rand do not and are rejected).
template <class G>
concept Uniform64Generator =
    std::unsigned_integral<std::remove_cvref_t<std::invoke_result_t<G&>>> &&
        sizeof(std::remove_cvref_t<std::invoke_result_t<G&>>) == 8 &&
    (!requires {
      G::min();
      G::max();
    } ||
     (G::min() == 0 && G::max() == std::numeric_limits<std::uint64_t>::max()));

/// Uniform double in [0, 1) from the top 53 bits of a 64-bit word: (bits >> 11) x 2^-53, every
/// multiple of 2^-53 in [0, 1) equally likely. Exact: no rounding.
constexpr double unit_from_bits(std::uint64_t bits) noexcept {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

/// Integer in [0, bound) from one 64-bit word by multiply-high (the high word of bits x bound):
/// for hash-derived indices, where a rejection loop cannot draw again. Bias: each value has
/// probability floor(2^64 / bound) / 2^64 or that + 2^-64. bound 0 gives 0.
constexpr std::uint64_t index_from_bits(std::uint64_t bits, std::uint64_t bound) noexcept {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(bits) * bound) >> 64);
}

/// Uniform double in [0, 1): unit_from_bits of one word.
template <Uniform64Generator G>
double uniform_unit(G& g) {
  return unit_from_bits(static_cast<std::uint64_t>(g()));
}

/// Uniform integer in [0, bound), unbiased: Lemire's multiply-high with rejection (file comment).
/// One word, plus one more per rejection (probability < bound / 2^64 each, so almost always
/// exactly one). Requires bound >= 1 (bound 0 returns 0 and draws nothing).
template <Uniform64Generator G>
std::uint64_t uniform_below(G& g, std::uint64_t bound) {
  if (bound == 0) return 0;
  auto m = static_cast<unsigned __int128>(static_cast<std::uint64_t>(g())) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    while (low < threshold) {
      m = static_cast<unsigned __int128>(static_cast<std::uint64_t>(g())) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

[[noreturn]] void throw_bad_uniform_range(std::uint64_t lo, std::uint64_t hi);

/// Uniform integer in [lo, hi] (both included), unbiased. lo == hi returns lo after one word;
/// [0, 2^64 - 1] returns one raw word; otherwise uniform_below(hi - lo + 1). Throws
/// std::invalid_argument if lo > hi.
template <Uniform64Generator G>
std::uint64_t uniform_int(G& g, std::uint64_t lo, std::uint64_t hi) {
  if (lo > hi) throw_bad_uniform_range(lo, hi);
  const std::uint64_t span = hi - lo + 1;  // 0 for the full 64-bit range
  if (span == 0) return static_cast<std::uint64_t>(g());
  return lo + uniform_below(g, span);
}

/// Uniform double in [lo, hi): lo + (hi - lo) x uniform_unit (one word). The rounding of the sum
/// can give hi itself for some lo != 0; callers that need hi excluded must check. lo == hi
/// returns lo.
template <Uniform64Generator G>
double uniform_real(G& g, double lo, double hi) {
  return lo + (hi - lo) * uniform_unit(g);
}

/// true with probability p: uniform_unit < p (one word, always, also for p <= 0 or p >= 1, so
/// the stream does not shift with p). p <= 0 is never true, p >= 1 always.
template <Uniform64Generator G>
bool bernoulli(G& g, double p) {
  return uniform_unit(g) < p;
}

/// Exponential variate of rate `rate` (> 0, per unit; mean 1 / rate) from u in [0, 1) by
/// inversion: -log1p(-u) / rate, in [0, 53 ln 2 / rate]. Not checked: rate <= 0 gives inf/NaN.
double exponential_from_unit(double u, double rate) noexcept;

/// Exponential variate of rate `rate` (> 0): exponential_from_unit(uniform_unit(g), rate), one
/// word.
template <Uniform64Generator G>
double exponential(G& g, double rate) {
  return exponential_from_unit(uniform_unit(g), rate);
}

/// Standard normal variate from two 64-bit words by Box-Muller (cosine branch):
/// sqrt(-2 ln u1) cos(2 pi u2) with u1 = 1 - unit_from_bits(w1) in (0, 1] (so the log is finite)
/// and u2 = unit_from_bits(w2). |z| <= sqrt(2 x 53 ln 2) = 8.57. For a stream, pass two
/// consecutive words (first w1); for a hash, two hashed words.
double normal_from_bits(std::uint64_t w1, std::uint64_t w2) noexcept;

/// Fisher-Yates shuffle of [first, last) (Durstenfeld: for i = n-1 down to 1 swap element i with
/// element uniform_below(i + 1)): every permutation equally likely; n - 1 draws (plus rare
/// rejections). Unlike std::shuffle, the permutation is the same on every platform.
template <std::random_access_iterator It, Uniform64Generator G>
void shuffle(It first, It last, G& g) {
  const auto n = static_cast<std::uint64_t>(last - first);
  for (std::uint64_t i = n; i > 1; --i) {
    const std::uint64_t j = uniform_below(g, i);
    using std::swap;
    swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(j)]);
  }
}

/// Partial Fisher-Yates from the front: for i in [0, k) swaps element i with a uniform element
/// of [i, n). Afterwards [first, first + k) is a uniform random k-subset in uniform random order
/// (k is clamped to n). Draws min(k, n) words (plus rare rejections).
template <std::random_access_iterator It, Uniform64Generator G>
void partial_shuffle(It first, It last, std::uint64_t k, G& g) {
  const auto n = static_cast<std::uint64_t>(last - first);
  if (k > n) k = n;
  for (std::uint64_t i = 0; i < k; ++i) {
    const std::uint64_t j = i + uniform_below(g, n - i);
    using std::swap;
    swap(first[static_cast<std::ptrdiff_t>(i)], first[static_cast<std::ptrdiff_t>(j)]);
  }
}

/// A discrete distribution over indices 0..n-1 with probabilities proportional to the given
/// weights, sampled in O(1) by Vose's alias method (file comment): O(n) to build, 16 bytes per
/// index. A sample is index i = uniform_below(n), then i with probability prob[i], else
/// alias[i] (two words). Zero-weight indices are never returned.
class AliasTable {
 public:
  /// Throws std::invalid_argument if `weights` is empty, longer than 2^32 - 1, holds a negative,
  /// NaN or infinite weight, or sums to 0 or to infinity.
  explicit AliasTable(std::span<const double> weights);

  /// Number of indices (the length of the weight vector).
  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(columns_.size()); }

  /// One index in [0, size()), two words.
  template <Uniform64Generator G>
  std::uint32_t operator()(G& g) const {
    const auto i = static_cast<std::size_t>(uniform_below(g, columns_.size()));
    const Column& c = columns_[i];
    return uniform_unit(g) < c.prob ? static_cast<std::uint32_t>(i) : c.alias;
  }

  /// The probability of every index that the table encodes (sum of its own column share and the
  /// shares aliased to it, / n): equals weight / sum of weights up to rounding. For tests.
  std::vector<double> probabilities() const;

 private:
  struct Column {
    double prob = 1.0;        // probability of keeping the column's own index, in [0, 1]
    std::uint32_t alias = 0;  // index returned otherwise
  };
  std::vector<Column> columns_;
};

}  // namespace pipesim
