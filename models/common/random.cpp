#include "models/common/random.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace pipesim {

void throw_bad_uniform_range(std::uint64_t lo, std::uint64_t hi) {
  throw std::invalid_argument("uniform_int: empty range [" + std::to_string(lo) + ", " +
                              std::to_string(hi) + "] (lo > hi)");
}

double exponential_from_unit(double u, double rate) noexcept {
  return -std::log1p(-u) / rate;
}

double normal_from_bits(std::uint64_t w1, std::uint64_t w2) noexcept {
  const double u1 = 1.0 - unit_from_bits(w1);
  const double u2 = unit_from_bits(w2);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);  // 2 pi
}

// Vose (1991), as laid out by K. Schwarz, "Darts, Dice, and Coins: Sampling from a Discrete
// Distribution" (2011, https://www.keithschwarz.com/darts-dice-coins/): scale the weights to mean
// 1, then repeatedly fill the column of an index below 1 ("small") with the excess of one at or
// above 1 ("large"). The worklists are vectors used as stacks, so the table is a pure function
// of the weights.
AliasTable::AliasTable(std::span<const double> weights) {
  const std::size_t n = weights.size();
  if (n == 0) throw std::invalid_argument("AliasTable: no weights");
  if (n > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("AliasTable: more than 2^32 - 1 weights");
  double sum = 0.0;
  std::size_t heaviest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weights[i];
    if (!(w >= 0.0) || !std::isfinite(w))
      throw std::invalid_argument("AliasTable: weight " + std::to_string(i) +
                                  " is negative, NaN or infinite");
    sum += w;
    if (w > weights[heaviest]) heaviest = i;
  }
  if (!(sum > 0.0) || !std::isfinite(sum))
    throw std::invalid_argument("AliasTable: the weights sum to 0 or to infinity");

  columns_.resize(n);
  std::vector<double> scaled(n);
  std::vector<std::uint32_t> small;
  std::vector<std::uint32_t> large;
  small.reserve(n);
  large.reserve(n);
  const double scale = static_cast<double>(n) / sum;
  for (std::size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * scale;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const std::uint32_t l = small.back();
    small.pop_back();
    const std::uint32_t g = large.back();
    large.pop_back();
    columns_[l] = Column{scaled[l], g};
    scaled[g] = (scaled[g] + scaled[l]) - 1.0;  // Vose's order of operations (less rounding)
    (scaled[g] < 1.0 ? small : large).push_back(g);
  }
  // What is left has scaled weight 1 up to rounding: its column is its own.
  for (const std::uint32_t g : large) columns_[g] = Column{1.0, g};
  for (const std::uint32_t l : small) {
    // Only rounding leaves an index in `small` (its scaled weight is then just below 1). A zero
    // weight cannot be that close to 1, but must never be returned even so.
    columns_[l] =
        weights[l] > 0.0 ? Column{1.0, l} : Column{0.0, static_cast<std::uint32_t>(heaviest)};
  }
}

std::vector<double> AliasTable::probabilities() const {
  const std::size_t n = columns_.size();
  std::vector<double> p(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] += columns_[i].prob;
    p[columns_[i].alias] += 1.0 - columns_[i].prob;
  }
  for (double& x : p) x /= static_cast<double>(n);
  return p;
}

}  // namespace pipesim
