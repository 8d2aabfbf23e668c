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
//   - vivaldi:       every node has network coordinates (x, y, height) in ms; latency(a, b) =
//                    |(x_a, y_a) - (x_b, y_b)| + h_a + h_b (Vivaldi's height-vector model, Dabek,
//                    Cox, Kaashoek, Morris, "Vivaldi: a decentralized network coordinate system",
//                    SIGCOMM 2004). Symmetric. Coordinates come from measured *.syscoord data
//                    (models/network/vivaldi.hpp).
// Per-node extra latency (all kinds, optional, with_node_extra_ms): latency(a, b) += extra(a) +
// extra(b), e.g. ethshadow's "home" class adds 20 ms at each end of a link
// (models/network/presets.hpp).
// The distribution kinds are SYMMETRIC: latency(a, b) == latency(b, a). Each unordered pair's
// sample is a pure function of (seed, min(a, b), max(a, b)) through splitmix64 hashing, so it is
// drawn "once" (the same on every query), independent of query order and of n, and no table is
// precomputed. Gaussian draws use Box-Muller on two hashed uniforms (not std::normal_distribution,
// whose algorithm differs between standard libraries), so results are reproducible across
// platforms up to the last ulp of libm's log/cos/exp.
//
// A node's message to itself does not cross the network: latency(a, a) == 0 for every kind.
// Jitter (per message, drawn from the caller's RNG by sample_latency_s), one of:
//   - uniform (default): + U[0, jitter_ms) (jitter_ms = 0: no jitter);
//   - normal:  the pair's geometric latency L (everything but the per-node extra) is replaced by
//              max(0, N(L, sigma)), sigma constant or per region pair — commonware's simulated
//              p2p links (Normal(latency, jitter) clamped at 0), whose estimator uses
//              sigma = (p90 - p50) / 2 of cloudping's round-trip table;
//   - pareto:  L is replaced by a Pareto draw with mean L — SimBlock's Network.getLatency
//              (dsg-titech/simblock): shape alpha = 0.2 * L_ms, scale x_m = L_ms - 5 ms, so the
//              mean alpha x_m / (alpha - 1) is exactly L_ms; sample = x_m / U^(1/alpha) with U
//              uniform in (0, 1]. Pairs with L_ms <= 5 (alpha <= 1, no finite mean) keep L.
// Per-node extra latency is added after the draw.
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

#include "models/common/random.hpp"
#include "models/common/splitmix64.hpp"

namespace pipesim::network {

using NodeId = std::uint32_t;

enum class LatencyKind { kConstant, kUniform, kNormal, kLogNormal, kRegionMatrix, kVivaldi };

/// "constant" | "uniform" | "normal" | "lognormal" | "region_matrix" | "vivaldi".
std::string_view to_string(LatencyKind kind);

/// How sample_latency_s perturbs the base latency of one message (see the file comment).
enum class JitterKind { kUniform, kNormal, kPareto };

/// "uniform" | "normal" | "pareto".
std::string_view to_string(JitterKind kind);

/// Vivaldi network coordinates of one node, all in milliseconds: a position (x, y) in the
/// Euclidean plane and a height (the access-link part of every path; >= 0).
struct VivaldiCoord {
  double x_ms = 0.0;
  double y_ms = 0.0;
  double height_ms = 0.0;
};

/// SimBlock's Pareto latency parameters (Network.getLatency, dsg-titech/simblock):
/// alpha = shape_per_ms * L_ms, x_m = L_ms - scale_offset_ms.
struct ParetoJitterParams {
  double shape_per_ms = 0.2;     // > 0
  double scale_offset_ms = 5.0;  // >= 0
};

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
  /// One coordinate per node (coords.size() == nodes; finite, height >= 0), in ms.
  static LatencyModel vivaldi(std::uint32_t nodes, std::span<const VivaldiCoord> coords,
                              double jitter_ms = 0.0);

  /// A copy whose latency(a, b) adds extra_ms[a] + extra_ms[b] for a != b (one value per node,
  /// finite >= 0, in ms), e.g. a per-node class penalty. Replaces any previous extra.
  LatencyModel with_node_extra_ms(std::span<const double> extra_ms) const;
  /// A copy with normal jitter of constant standard deviation `stddev_ms` (>= 0).
  LatencyModel with_normal_jitter(double stddev_ms) const;
  /// A copy with normal jitter whose standard deviation depends on the region pair
  /// (region_matrix only; R x R, row = from, in ms, finite >= 0).
  LatencyModel with_normal_jitter_matrix(const std::vector<std::vector<double>>& stddev_ms) const;
  /// A copy with SimBlock's Pareto jitter (mean = the pair's geometric latency).
  LatencyModel with_pareto_jitter(const ParetoJitterParams& p = {}) const;
  JitterKind jitter_kind() const { return jitter_kind_; }

  LatencyKind kind() const { return kind_; }
  std::uint32_t node_count() const { return nodes_; }
  double jitter_s() const { return jitter_s_; }

  /// Base one-way latency from `from` to `to`, in seconds (0 if from == to), including the
  /// per-node extra. O(1), no allocation. Throws std::out_of_range if a node id is >=
  /// node_count().
  double base_latency_s(NodeId from, NodeId to) const {
    if (from >= nodes_ || to >= nodes_) throw_out_of_range(from, to);
    if (from == to) return 0.0;
    const double geo = geometric_latency_s(from, to);
    return extra_s_.empty() ? geo : geo + extra_s_[from] + extra_s_[to];
  }

  /// The pair's latency without the per-node extra (seconds; 0 if from == to). O(1).
  double geometric_latency_s(NodeId from, NodeId to) const {
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
      case LatencyKind::kVivaldi: {
        const VivaldiCoord& p = coords_s_[from];
        const VivaldiCoord& q = coords_s_[to];
        const double dx = p.x_ms - q.x_ms;
        const double dy = p.y_ms - q.y_ms;
        return std::sqrt(dx * dx + dy * dy) + p.height_ms + q.height_ms;
      }
    }
    return 0.0;
  }

  /// Extra latency of `node` in seconds (0 unless with_node_extra_ms was used).
  double node_extra_s(NodeId node) const { return extra_s_.empty() ? 0.0 : extra_s_.at(node); }

  /// One message's extra delay in seconds, U[0, jitter_ms) from `rng`, which must produce
  /// uniform 64-bit words (std::mt19937_64, or any URBG with min() == 0 and max() == 2^64 - 1).
  /// Uses the top 53 bits of one rng() call: the same sequence on every platform. Draws nothing
  /// (and returns 0) when jitter is 0 or the jitter kind is not uniform.
  template <class Rng>
  double jitter_sample_s(Rng& rng) const {
    static_assert(Rng::min() == 0 && Rng::max() == std::numeric_limits<std::uint64_t>::max(),
                  "jitter_sample_s needs a 64-bit uniform generator such as std::mt19937_64");
    if (jitter_kind_ != JitterKind::kUniform || jitter_s_ == 0.0) return 0.0;
    return jitter_s_ * unit_from_bits(static_cast<std::uint64_t>(rng()));
  }

  /// One message's latency in seconds: uniform jitter: base_latency_s + jitter_sample_s(rng);
  /// normal / pareto jitter: the geometric part drawn around its value (file comment) plus the
  /// per-node extra. from == to gives 0 and draws nothing. Normal draws use two rng() calls
  /// (Box-Muller), Pareto one: reproducible for a given generator sequence.
  template <class Rng>
  double sample_latency_s(NodeId from, NodeId to, Rng& rng) const {
    static_assert(Rng::min() == 0 && Rng::max() == std::numeric_limits<std::uint64_t>::max(),
                  "sample_latency_s needs a 64-bit uniform generator such as std::mt19937_64");
    if (jitter_kind_ == JitterKind::kUniform) {
      return base_latency_s(from, to) + jitter_sample_s(rng);
    }
    if (from == to) {
      if (from >= nodes_) throw_out_of_range(from, to);
      return 0.0;
    }
    const double geo = geometric_latency_s(from, to);
    const double extra = extra_s_.empty() ? 0.0 : extra_s_[from] + extra_s_[to];
    if (jitter_kind_ == JitterKind::kNormal) {
      const double sigma =
          jitter_matrix_s_.empty()
              ? jitter_s_
              : jitter_matrix_s_[region_of_[from] * regions_.size() + region_of_[to]];
      if (sigma == 0.0) return geo + extra;
      const auto w1 = static_cast<std::uint64_t>(rng());
      const auto w2 = static_cast<std::uint64_t>(rng());
      const double v = geo + sigma * normal_from_bits(w1, w2);
      return (v < 0.0 ? 0.0 : v) + extra;
    }
    // Pareto with mean geo (SimBlock), in ms as SimBlock's constants are.
    const double mean_ms = geo * 1e3;
    const double alpha = pareto_.shape_per_ms * mean_ms;
    const double u = 1.0 - unit_from_bits(static_cast<std::uint64_t>(rng()));  // (0, 1]
    if (alpha <= 1.0 || mean_ms <= pareto_.scale_offset_ms) return geo + extra;
    return (mean_ms - pareto_.scale_offset_ms) * 1e-3 / std::pow(u, 1.0 / alpha) + extra;
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
  // Standard normal draw for the pair (Box-Muller on two hashed words).
  double pair_gaussian(NodeId a, NodeId b) const noexcept {
    const std::uint64_t h1 = pair_hash(a, b);
    return normal_from_bits(h1, splitmix64(h1));
  }

  LatencyKind kind_ = LatencyKind::kConstant;
  std::uint32_t nodes_ = 0;
  std::uint64_t seed_mixed_ = 0;
  // Kind parameters in seconds: constant a; uniform a + b*U; normal a + b*Z; lognormal exp(a+b*Z).
  double a_ = 0.0;
  double b_ = 0.0;
  double floor_s_ = 0.0;
  double jitter_s_ = 0.0;  // uniform: width; normal: constant sigma (seconds)
  JitterKind jitter_kind_ = JitterKind::kUniform;
  ParetoJitterParams pareto_;
  std::vector<double> jitter_matrix_s_;  // normal sigma per region pair, R x R (seconds)
  std::vector<double> extra_s_;          // per node (seconds), empty = none
  std::vector<VivaldiCoord> coords_s_;   // vivaldi: per node, in seconds
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
