// models/common/random.hpp: pinned draws (a different mapping from engine words to variates, on
// any platform or after any change, fails here first), edge cases, and statistical checks. The
// statistical checks use fixed seeds, so they are deterministic; each tolerance is a
// p = 0.001 bound for a correct implementation, and a wrong one misses it by orders of magnitude.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

#include "models/common/random.hpp"

using namespace pipesim;

namespace {

constexpr std::uint64_t kRandomTestSeed = 20261206;

/// Returns scripted 64-bit words in order (then repeats the last one).
struct ScriptedWords {
  std::vector<std::uint64_t> words;
  std::size_t next = 0;
  std::uint64_t operator()() {
    const std::uint64_t w = words[next < words.size() ? next : words.size() - 1];
    ++next;
    return w;
  }
};

/// Pearson's chi-square statistic of observed counts against expected probabilities.
double random_test_chi_square(const std::vector<std::uint64_t>& counts,
                              const std::vector<double>& probabilities, double draws) {
  double chi2 = 0.0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double expected = probabilities[i] * draws;
    const double d = static_cast<double>(counts[i]) - expected;
    chi2 += d * d / expected;
  }
  return chi2;
}

}  // namespace

TEST_CASE("random: the generator concept accepts 64-bit word sources only") {
  static_assert(Uniform64Generator<std::mt19937_64>);
  static_assert(Uniform64Generator<ScriptedWords>);
  static_assert(!Uniform64Generator<std::mt19937>);      // 32-bit words
  static_assert(!Uniform64Generator<std::minstd_rand>);  // [1, 2^31 - 2]
  std::uint64_t state = 1;
  auto splitmix = [&state] { return state += 0x9E3779B97F4A7C15ULL; };
  static_assert(Uniform64Generator<decltype(splitmix)>);
  CHECK(uniform_below(splitmix, 10) < 10);
}

TEST_CASE("random: pinned draws of std::mt19937_64(20261206)") {
  // std::mt19937_64 is fully specified by the standard (its 10000th output from the default
  // seed is pinned in [rand.predef]), so these values must hold on every platform.
  {
    std::mt19937_64 g(kRandomTestSeed);
    const std::vector<std::uint64_t> expected = {882, 350, 174, 967, 223, 132, 3, 758};
    std::vector<std::uint64_t> got;
    got.reserve(8);
    for (int i = 0; i < 8; ++i) got.push_back(uniform_below(g, 1000));
    CHECK(got == expected);
  }
  {
    std::mt19937_64 g(kRandomTestSeed);
    const std::vector<std::uint64_t> expected = {6, 3, 2, 6, 2, 1, 1, 5};
    std::vector<std::uint64_t> got;
    got.reserve(8);
    for (int i = 0; i < 8; ++i) got.push_back(uniform_int(g, 1, 6));
    CHECK(got == expected);
  }
  {
    std::mt19937_64 g(kRandomTestSeed);
    CHECK(uniform_unit(g) == 0x1.c3bc584886093p-1);
    CHECK(uniform_unit(g) == 0x1.66dc2c7144e26p-2);
    CHECK(uniform_unit(g) == 0x1.65d83f3cff744p-3);
    CHECK(uniform_unit(g) == 0x1.ef6dd1fd15651p-1);
  }
  {
    // Also pins the platform's log1p: a failure here on another libm means exponential gaps
    // (transaction arrivals) differ there too.
    std::mt19937_64 g(kRandomTestSeed);
    CHECK(exponential(g, 2.5) == 0x1.b62fe123d025ep-1);
    CHECK(exponential(g, 2.5) == 0x1.6176ba473ecf7p-3);
    CHECK(exponential(g, 2.5) == 0x1.3aa4cc1686406p-4);
    CHECK(exponential(g, 2.5) == 0x1.5f4cf1bb25dep+0);
  }
  {
    std::mt19937_64 g(kRandomTestSeed);
    const std::vector<double> w = {1, 2, 3, 4};
    const AliasTable table(w);
    const std::vector<std::uint32_t> expected = {3, 3, 0, 3, 3, 1, 1, 0, 1, 3, 3, 1};
    std::vector<std::uint32_t> got;
    got.reserve(12);
    for (int i = 0; i < 12; ++i) got.push_back(table(g));
    CHECK(got == expected);
  }
  {
    std::mt19937_64 g(kRandomTestSeed);
    std::vector<int> v(10);
    std::iota(v.begin(), v.end(), 0);
    shuffle(v.begin(), v.end(), g);
    CHECK(v == std::vector<int>{5, 9, 2, 4, 0, 7, 6, 1, 3, 8});
  }
  {
    std::mt19937_64 g(kRandomTestSeed);
    std::vector<int> v(10);
    std::iota(v.begin(), v.end(), 0);
    partial_shuffle(v.begin(), v.end(), 4, g);
    CHECK(v == std::vector<int>{8, 4, 3, 9, 1, 5, 6, 7, 0, 2});
  }
}

TEST_CASE("random: unit_from_bits and index_from_bits at the ends") {
  CHECK(unit_from_bits(0) == 0.0);
  CHECK(unit_from_bits(std::uint64_t{1} << 11) == 0x1.0p-53);
  CHECK(unit_from_bits(~std::uint64_t{0}) == 1.0 - 0x1.0p-53);  // never 1
  CHECK(unit_from_bits((std::uint64_t{1} << 11) - 1) == 0.0);   // the low 11 bits are dropped
  CHECK(index_from_bits(0, 7) == 0);
  CHECK(index_from_bits(~std::uint64_t{0}, 7) == 6);
  CHECK(index_from_bits(std::uint64_t{1} << 63, 10) == 5);
  CHECK(index_from_bits(12345, 0) == 0);
}

TEST_CASE("random: uniform_int edge cases and the words it draws") {
  std::mt19937_64 g(kRandomTestSeed);
  std::mt19937_64 copy(kRandomTestSeed);
  // lo == hi: lo, one word.
  CHECK(uniform_int(g, 42, 42) == 42);
  copy.discard(1);
  CHECK(g() == copy());
  // The full 64-bit range: the raw word.
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  for (int i = 0; i < 4; ++i) CHECK(uniform_int(g, 0, max) == copy());
  // [1, max]: never 0, one word (no rejection but for 2^-64-rare words).
  for (int i = 0; i < 100; ++i) CHECK(uniform_int(g, 1, max) >= 1);
  CHECK_THROWS_AS(uniform_int(g, 5, 4), std::invalid_argument);
  CHECK(uniform_below(g, 0) == 0);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = uniform_int(g, max - 2, max);
    CHECK(x >= max - 2);
  }
}

TEST_CASE("random: uniform_below rejects exactly the words that would bias it") {
  // bound = 3: 2^64 mod 3 = 1, so only a word whose product's low half is 0 (the word 0) is
  // rejected; the next word decides.
  ScriptedWords s{{0, std::uint64_t{1} << 63}};
  CHECK(uniform_below(s, 3) == 1);  // (2^63 x 3) >> 64 = 1
  CHECK(s.next == 2);
  // bound = 3 x 2^62 (= 0.75 x 2^64): multiply-high alone maps 4 words to 3 values, so every
  // third value would have two preimages; the threshold 2^64 mod bound = 2^62 rejects the
  // words whose low half is below it. Word 1: low = 3 x 2^62 >= 2^62, accepted, value 0.
  const std::uint64_t bound = std::uint64_t{3} << 62;
  ScriptedWords one{{1}};
  CHECK(uniform_below(one, bound) == 0);
  CHECK(one.next == 1);
  // Word 4: product 3 x 2^64: low = 0 < 2^62: rejected.
  ScriptedWords four{{4, 1}};
  CHECK(uniform_below(four, bound) == 0);
  CHECK(four.next == 2);
}

TEST_CASE("random: uniform_below is unbiased where multiply-high alone is not") {
  // With bound = 3 x 2^62, the unrejected multiply-high gives value % 3 == 0 with probability
  // 1/2 (two preimages out of four words); unbiased, the probability is 1/3 (to 2^-62).
  // N = 30000 draws: sd = sqrt(N x 1/3 x 2/3) = 81.6; the bound is 5 sd (p < 1e-6), the biased
  // mapping would give 15000 (61 sd off).
  std::mt19937_64 g(3);
  const std::uint64_t bound = std::uint64_t{3} << 62;
  const int n = 30000;
  int zero_mod_3 = 0;
  for (int i = 0; i < n; ++i) zero_mod_3 += uniform_below(g, bound) % 3 == 0 ? 1 : 0;
  CHECK(std::abs(zero_mod_3 - n / 3) < 5 * 81.6);

  // Small bound, chi-square over the values: 6 faces, 60000 draws, 5 degrees of freedom;
  // 20.515 is the p = 0.001 critical value (NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
  std::vector<std::uint64_t> counts(6, 0);
  for (int i = 0; i < 60000; ++i) ++counts[uniform_int(g, 1, 6) - 1];
  CHECK(random_test_chi_square(counts, std::vector<double>(6, 1.0 / 6), 60000) < 20.515);
}

TEST_CASE("random: bernoulli and uniform_real") {
  std::mt19937_64 g(kRandomTestSeed);
  std::mt19937_64 copy(kRandomTestSeed);
  for (int i = 0; i < 100; ++i) {
    CHECK_FALSE(bernoulli(g, 0.0));
    CHECK(bernoulli(g, 1.0));
    CHECK_FALSE(bernoulli(g, -1.0));
  }
  copy.discard(300);  // one word per call, whatever p
  CHECK(g() == copy());
  for (int i = 0; i < 1000; ++i) {
    const double x = uniform_real(g, -2.0, 3.0);
    CHECK(x >= -2.0);
    CHECK(x < 3.0);
  }
  CHECK(uniform_real(g, 1.5, 1.5) == 1.5);
  // Frequency of p = 0.3: N = 100000, sd = sqrt(N p (1 - p)) = 144.9, bound 5 sd.
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += bernoulli(g, 0.3) ? 1 : 0;
  CHECK(std::abs(hits - 30000) < 5 * 144.9);
}

TEST_CASE("random: exponential by inversion") {
  CHECK(exponential_from_unit(0.0, 2.0) == 0.0);
  // The largest u, 1 - 2^-53, gives the largest variate: 53 ln 2 / rate (finite).
  CHECK(exponential_from_unit(1.0 - 0x1.0p-53, 1.0) == doctest::Approx(53 * std::log(2.0)));
  CHECK(exponential_from_unit(0.5, 4.0) == doctest::Approx(std::log(2.0) / 4.0));

  // Mean 1 / rate and P(X > 1 / rate) = 1 / e. rate = 2.5, N = 200000: the sample mean has sd
  // 0.4 / sqrt(N) = 8.94e-4 and the tail fraction sd sqrt(e^-1 (1 - e^-1) / N) = 1.078e-3;
  // bounds 5 sd.
  std::mt19937_64 g(kRandomTestSeed);
  const int n = 200000;
  double sum = 0.0;
  int tail = 0;
  int negative = 0;
  for (int i = 0; i < n; ++i) {
    const double x = exponential(g, 2.5);
    negative += x < 0.0 ? 1 : 0;
    sum += x;
    tail += x > 0.4 ? 1 : 0;
  }
  CHECK(negative == 0);
  CHECK(std::abs(sum / n - 0.4) < 5 * 8.94e-4);
  CHECK(std::abs(static_cast<double>(tail) / n - std::exp(-1.0)) < 5 * 1.078e-3);
}

TEST_CASE("random: normal_from_bits (Box-Muller)") {
  // Pinned (also pins the platform's log, sqrt and cos): consecutive word pairs of the seed.
  std::mt19937_64 g(kRandomTestSeed);
  std::vector<double> got;
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t w1 = g();
    const std::uint64_t w2 = g();
    got.push_back(normal_from_bits(w1, w2));
  }
  CHECK(got ==
        std::vector<double>{-0x1.387a9e784ac4dp+0, 0x1.36c5a8f34fb5ap-1, 0x1.eb28f3d0d63b4p-2});
  CHECK(normal_from_bits(0, 0) == 0.0);  // u1 = 1: ln 1 = 0
  // The largest |z|: u1 = 2^-53, cos 0 = 1: sqrt(2 x 53 ln 2).
  CHECK(normal_from_bits(~std::uint64_t{0}, 0) == doctest::Approx(std::sqrt(106 * std::log(2.0))));

  // Mean 0 and variance 1 over N = 200000 pairs: sd of the mean 1 / sqrt(N) = 2.236e-3, of the
  // sample variance sqrt(2 / N) = 3.162e-3; bounds 5 sd.
  std::mt19937_64 h(5);
  const int n = 200000;
  double sum = 0.0;
  double sum_sq = 0.0;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t w1 = h();
    const std::uint64_t w2 = h();
    const double z = normal_from_bits(w1, w2);
    sum += z;
    sum_sq += z * z;
  }
  const double mean = sum / n;
  CHECK(std::abs(mean) < 5 * 2.236e-3);
  CHECK(std::abs(sum_sq / n - mean * mean - 1.0) < 5 * 3.162e-3);
}

TEST_CASE("random: shuffle permutes, uniformly") {
  std::mt19937_64 g(kRandomTestSeed);
  std::vector<int> v(1000);
  std::iota(v.begin(), v.end(), 0);
  shuffle(v.begin(), v.end(), g);
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);
  CHECK(v != identity);

  std::vector<int> empty;
  shuffle(empty.begin(), empty.end(), g);
  std::vector<int> one = {7};
  shuffle(one.begin(), one.end(), g);
  CHECK(one == std::vector<int>{7});

  // The 6 permutations of 3 elements: 60000 shuffles, chi-square with 5 degrees of freedom
  // below 20.515 (p = 0.001).
  std::vector<std::uint64_t> counts(6, 0);
  for (int i = 0; i < 60000; ++i) {
    int a[3] = {0, 1, 2};
    shuffle(a, a + 3, g);
    ++counts[static_cast<std::size_t>(a[0]) * 2 + (a[1] > a[2] ? 1 : 0)];
  }
  CHECK(random_test_chi_square(counts, std::vector<double>(6, 1.0 / 6), 60000) < 20.515);

  // partial_shuffle clamps k to n and keeps a permutation.
  std::vector<int> w = {0, 1, 2, 3};
  partial_shuffle(w.begin(), w.end(), 10, g);
  std::sort(w.begin(), w.end());
  CHECK(w == std::vector<int>{0, 1, 2, 3});
}

TEST_CASE("random: AliasTable rejects bad weights") {
  const std::vector<double> none;
  CHECK_THROWS_AS(AliasTable{none}, std::invalid_argument);
  const std::vector<double> zeros = {0.0, 0.0};
  CHECK_THROWS_AS(AliasTable{zeros}, std::invalid_argument);
  const std::vector<double> negative = {1.0, -0.5};
  CHECK_THROWS_AS(AliasTable{negative}, std::invalid_argument);
  const std::vector<double> nan = {1.0, std::nan("")};
  CHECK_THROWS_AS(AliasTable{nan}, std::invalid_argument);
  const std::vector<double> inf = {1.0, std::numeric_limits<double>::infinity()};
  CHECK_THROWS_AS(AliasTable{inf}, std::invalid_argument);
  const std::vector<double> overflow = {1e308, 1e308};  // finite weights, infinite sum
  CHECK_THROWS_AS(AliasTable{overflow}, std::invalid_argument);
}

TEST_CASE("random: AliasTable never returns a zero weight and handles one index") {
  std::mt19937_64 g(kRandomTestSeed);
  const std::vector<double> w = {0.0, 1.0, 0.0, 3.0, 0.0};
  const AliasTable table(w);
  CHECK(table.size() == 5);
  const std::vector<double> p = table.probabilities();
  CHECK(p[0] == 0.0);
  CHECK(p[2] == 0.0);
  CHECK(p[4] == 0.0);
  std::vector<std::uint64_t> counts(5, 0);
  for (int i = 0; i < 100000; ++i) ++counts[table(g)];
  CHECK(counts[0] == 0);
  CHECK(counts[2] == 0);
  CHECK(counts[4] == 0);
  // 1 : 3, N = 100000: sd of the count of index 1 = sqrt(N x 0.25 x 0.75) = 136.9, bound 5 sd.
  CHECK(std::abs(static_cast<double>(counts[1]) - 25000.0) < 5 * 136.9);

  const std::vector<double> single = {0.25};
  const AliasTable one(single);
  for (int i = 0; i < 10; ++i) CHECK(one(g) == 0);
}

TEST_CASE("random: AliasTable encodes the weights and samples them (chi-square)") {
  // Zipf(s = 1) over 101 indices, 200000 draws: 100 degrees of freedom; 149.449 is the
  // p = 0.001 critical value (NIST/SEMATECH e-Handbook, table 1.3.6.7.4). The smallest expected
  // count is 200000 / (101 x H_101) = 379, well above the usual minimum of 5.
  const std::size_t n = 101;
  std::vector<double> w(n);
  double total = 0.0;
  for (std::size_t k = 0; k < n; ++k) total += w[k] = 1.0 / static_cast<double>(k + 1);
  const AliasTable table(w);
  std::vector<double> expected(n);
  for (std::size_t k = 0; k < n; ++k) expected[k] = w[k] / total;
  const std::vector<double> encoded = table.probabilities();
  for (std::size_t k = 0; k < n; ++k)
    CHECK(encoded[k] == doctest::Approx(expected[k]).epsilon(1e-12));

  std::mt19937_64 g(kRandomTestSeed);
  const int draws = 200000;
  std::vector<std::uint64_t> counts(n, 0);
  for (int i = 0; i < draws; ++i) ++counts[table(g)];
  CHECK(random_test_chi_square(counts, expected, draws) < 149.449);
}

TEST_CASE("random: AliasTable over a million Zipf accounts") {
  // The size of the largest transfer workloads: built in O(n), and every probability is the
  // weight's share up to rounding (relative 1e-9: the scaled weights accumulate at most n
  // roundings of 2^-53 each, 1.1e-10).
  const std::size_t n = 1'000'000;
  std::vector<double> w(n);
  double total = 0.0;
  for (std::size_t k = 0; k < n; ++k)
    total += w[k] = 1.0 / std::pow(static_cast<double>(k + 1), 1.1);
  const AliasTable table(w);
  const std::vector<double> encoded = table.probabilities();
  double worst = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    worst = std::max(worst, std::abs(encoded[k] - w[k] / total) / (w[k] / total));
  }
  CHECK(worst < 1e-9);
  std::mt19937_64 g(kRandomTestSeed);
  for (int i = 0; i < 1000; ++i) CHECK(table(g) < n);
}
