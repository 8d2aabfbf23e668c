// Latency models: the base one-way latency between two validators, plus per-message jitter.
//
// Pure, deterministic C++ (no SimGrid, no dependency on sim/): the runtime maps the scenario's
// `network.latency` section onto the parameter structs below and asks base_latency_s(a, b) for
// every message, so a query is O(1) with no allocation and no n x n table:
//   - constant:      every pair of distinct nodes has the same latency;
//   - uniform:       per unordered pair, U[min_ms, max_ms];
//   - normal:        per unordered pair, N(mean_ms, stddev_ms) clamped to >= floor_ms;
//   - lognormal:     per unordered pair, exp(N(ln median_ms, sigma)) clamped to >= floor_ms;
//   - region matrix: nodes are assigned to regions; latency(a, b) = matrix[region(a)][region(b)]
//                    (row = from, column = to: may be asymmetric, like measured data).
// The distribution kinds are SYMMETRIC: latency(a, b) == latency(b, a). Each unordered pair's
// sample is a pure function of (seed, min(a, b), max(a, b)) through splitmix64 hashing, so it is
// drawn "once" (the same on every query), independent of query order and of n, and no table is
// precomputed. Gaussian draws use Box-Muller on two hashed uniforms (not std::normal_distribution,
// whose algorithm differs between standard libraries), so results are reproducible across
// platforms up to the last ulp of libm's log/cos/exp.
//
// A node's message to itself does not cross the network: latency(a, a) == 0 for every kind.
// Jitter (all kinds): each message adds U[0, jitter_ms) drawn from the caller's RNG.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pipesim::network {

using NodeId = std::uint32_t;

/// splitmix64 finaliser (Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014; constants as in Vigna's reference splitmix64.c): a bijective 64-bit mixer.
constexpr std::uint64_t splitmix64_mix(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// Uniform double in [0, 1) from the top 53 bits of a 64-bit word.
constexpr double unit_from_bits(std::uint64_t bits) noexcept {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

enum class LatencyKind { kConstant, kUniform, kNormal, kLogNormal, kRegionMatrix };

/// "constant" | "uniform" | "normal" | "lognormal" | "region_matrix".
std::string_view to_string(LatencyKind kind);

struct ConstantLatencyParams {
  double one_way_ms = 50.0;  // >= 0
};

struct UniformLatencyParams {
  double min_ms = 10.0;   // >= 0
  double max_ms = 100.0;  // >= min_ms
};

struct NormalLatencyParams {
  double mean_ms = 50.0;
  double stddev_ms = 10.0;  // >= 0
  double floor_ms = 0.1;    // >= 0: samples below are clamped up to it
};

struct LogNormalLatencyParams {
  double median_ms = 50.0;  // > 0 (= exp(mu))
  double sigma = 0.5;       // >= 0, standard deviation of ln(latency)
  double floor_ms = 0.1;    // >= 0
};

/// How region_matrix assigns node indices to regions once the per-region counts are fixed.
enum class RegionAssignment {
  /// Node i goes to the region furthest behind its share of the first i+1 nodes (smooth
  /// weighted round-robin; ties to the lower region index). Every prefix 0..k-1 of the nodes is
  /// spread across regions in proportion, e.g. weights {0.5, 0.3, 0.2} and n = 100 give A B C A A B
  /// A C B A ...
  /// The default: leader rotations and small committees made of low indices span regions.
  kInterleaved,
  /// Region 0 takes nodes 0..c0-1, region 1 the next c1, and so on.
  kContiguous,
};

struct RegionMatrixParams {
  std::vector<std::string> region_names;        // R >= 1 distinct names
  std::vector<std::vector<double>> one_way_ms;  // R x R, row = from, column = to, finite >= 0
  /// R non-negative weights with a positive sum (normalised internally). Per-region node counts
  /// come from largest-remainder (Hamilton) apportionment of n: floor(n * w_r / sum) each, and
  /// the remaining nodes one each to the largest fractional remainders (ties: lower index).
  std::vector<double> weights;
  RegionAssignment assignment = RegionAssignment::kInterleaved;
};

/// Per-region node counts for n nodes by largest-remainder apportionment of `weights` (see
/// RegionMatrixParams::weights). Throws std::invalid_argument for empty, negative, non-finite or
/// all-zero weights. The counts sum to n.
std::vector<std::uint32_t> apportion(std::uint32_t n, std::span<const double> weights);

/// Base one-way latency per pair of nodes, and per-message jitter. Immutable after construction;
/// queries are const and thread-safe. Construction errors: std::invalid_argument whose message
/// names the parameter and the offending value.
class LatencyModel {
 public:
  static LatencyModel constant(std::uint32_t nodes, const ConstantLatencyParams& p,
                               double jitter_ms = 0.0);
  static LatencyModel uniform(std::uint32_t nodes, const UniformLatencyParams& p,
                              std::uint64_t seed, double jitter_ms = 0.0);
  static LatencyModel normal(std::uint32_t nodes, const NormalLatencyParams& p, std::uint64_t seed,
                             double jitter_ms = 0.0);
  static LatencyModel lognormal(std::uint32_t nodes, const LogNormalLatencyParams& p,
                                std::uint64_t seed, double jitter_ms = 0.0);
  static LatencyModel region_matrix(std::uint32_t nodes, RegionMatrixParams p,
                                    double jitter_ms = 0.0);

  LatencyKind kind() const { return kind_; }
  std::uint32_t node_count() const { return nodes_; }
  double jitter_s() const { return jitter_s_; }

  /// Base one-way latency from `from` to `to`, in seconds (0 if from == to). O(1).
  /// Throws std::out_of_range if a node id is >= node_count().
  double base_latency_s(NodeId from, NodeId to) const {
    if (from >= nodes_ || to >= nodes_) throw_out_of_range(from, to);
    if (from == to) return 0.0;
    switch (kind_) {
      case LatencyKind::kConstant:
        return a_;
      case LatencyKind::kUniform:
        return a_ + b_ * unit_from_bits(pair_hash(from, to));
      case LatencyKind::kNormal: {
        const double v = a_ + b_ * pair_gaussian(from, to);
        return v < floor_s_ ? floor_s_ : v;
      }
      case LatencyKind::kLogNormal: {
        const double v = std::exp(a_ + b_ * pair_gaussian(from, to));
        return v < floor_s_ ? floor_s_ : v;
      }
      case LatencyKind::kRegionMatrix:
        return matrix_s_[region_of_[from] * regions_.size() + region_of_[to]];
    }
    return 0.0;
  }

  /// One message's extra delay in seconds, U[0, jitter_ms) from `rng`, which must produce
  /// uniform 64-bit words (std::mt19937_64, or any URBG with min() == 0 and max() == 2^64 - 1).
  /// Uses the top 53 bits of one rng() call: the same sequence on every platform. Draws nothing
  /// (and returns 0) when jitter is 0.
  template <class Rng>
  double jitter_sample_s(Rng& rng) const {
    static_assert(Rng::min() == 0 && Rng::max() == std::numeric_limits<std::uint64_t>::max(),
                  "jitter_sample_s needs a 64-bit uniform generator such as std::mt19937_64");
    if (jitter_s_ == 0.0) return 0.0;
    return jitter_s_ * unit_from_bits(static_cast<std::uint64_t>(rng()));
  }

  /// base_latency_s(from, to) + jitter_sample_s(rng).
  template <class Rng>
  double sample_latency_s(NodeId from, NodeId to, Rng& rng) const {
    return base_latency_s(from, to) + jitter_sample_s(rng);
  }

  // --- regions (region_matrix; the other kinds have one implicit region "all") ---
  /// Region names in matrix order (for reports). {"all"} for non-region kinds.
  const std::vector<std::string>& region_names() const { return regions_; }
  std::size_t region_count() const { return regions_.size(); }
  /// Region index of `node` (0 for non-region kinds). Throws std::out_of_range.
  std::uint32_t region_of(NodeId node) const;
  const std::string& region_name_of(NodeId node) const { return regions_[region_of(node)]; }
  /// Nodes per region, in region order (sums to node_count()).
  const std::vector<std::uint32_t>& region_node_counts() const { return region_counts_; }

 private:
  LatencyModel() = default;
  [[noreturn]] void throw_out_of_range(NodeId from, NodeId to) const;

  // splitmix64 hash of (seed, unordered pair); the pair key packs min/max into 64 bits.
  std::uint64_t pair_hash(NodeId a, NodeId b) const noexcept {
    const std::uint64_t lo = a < b ? a : b;
    const std::uint64_t hi = a < b ? b : a;
    return splitmix64_mix(seed_mixed_ ^ splitmix64_mix((lo << 32) | hi));
  }
  // Standard normal draw for the pair (Box-Muller, cosine branch).
  double pair_gaussian(NodeId a, NodeId b) const noexcept {
    const std::uint64_t h1 = pair_hash(a, b);
    const std::uint64_t h2 = splitmix64_mix(h1 + 0x9E3779B97F4A7C15ULL);
    const double u1 = 1.0 - unit_from_bits(h1);  // (0, 1]: log is finite
    const double u2 = unit_from_bits(h2);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  LatencyKind kind_ = LatencyKind::kConstant;
  std::uint32_t nodes_ = 0;
  std::uint64_t seed_mixed_ = 0;
  // Kind parameters in seconds: constant a; uniform a + b*U; normal a + b*Z; lognormal exp(a+b*Z).
  double a_ = 0.0;
  double b_ = 0.0;
  double floor_s_ = 0.0;
  double jitter_s_ = 0.0;
  std::vector<std::string> regions_{"all"};
  std::vector<std::uint32_t> region_counts_;
  std::vector<std::uint16_t> region_of_;  // per node (region_matrix only)
  std::vector<double> matrix_s_;          // R x R row-major, seconds
};

/// Region names and one-way latencies in ms (row = from, column = to), as loaded from measured
/// data; plug into RegionMatrixParams.
struct RegionLatencyMatrix {
  std::vector<std::string> region_names;
  std::vector<std::vector<double>> one_way_ms;
};

/// Loads an AWS inter-region ping matrix in cloudping.co's API shape,
/// `{"data": {FROM: {TO: rtt_ms, ...}, ...}}` (e.g. data/latency/aws/p50.json, copied from
/// commonwarexyz/monorepo examples/estimator/src/p50.json; see data/latency PROVENANCE.md).
/// The values are round-trip times; the result is one-way = RTT / 2 (as commonware's estimator
/// does), with row = from and column = to (the file's data[from][to], kept asymmetric).
/// `regions` selects and orders the regions; empty means all of the file's regions in
/// lexicographic order. Throws std::runtime_error naming the file if it cannot be read, is not
/// JSON of that shape, lacks a selected from->to entry or has a negative / non-numeric value, and
/// std::invalid_argument for an unknown or repeated region name (listing the available ones).
RegionLatencyMatrix load_cloudping_matrix(const std::filesystem::path& file,
                                          std::span<const std::string> regions = {});

}  // namespace pipesim::network
