// The `capacity` section of a scenario file and the pure parts of `pipesim capacity`: the
// section's parsing, the points of a load sweep per (topology, pipeline), saturation detection
// and the capacity table. No process, no file, no SimGrid: unit-tested by capacity_plan_tests.
// User reference: docs/capacity.md.
//
//   "capacity": {
//     "topologies": [{"name": "aws-direct", "set": {"network.latency.preset": "aws_p50"}}, ...],
//     "pipelines":  [{"name": "interleaved", "set": {"pipeline.kind": "interleaved"},
//                     "loads_tx_per_s": [50, 100, 200]}, ...],       per-pipeline ladder (optional)
//     "loads_tx_per_s": [25, 50, 100, 200, 400],                     default ladder
//     "extend_factor": 2.0, "max_extensions": 2,                     until saturated
//     "saturation": {"min_efficiency": 0.9, "max_latency_p50_s": 30,
//                    "max_latency_p50_factor": 3},
//     "gas_limit": {"topology": "aws-direct", "pipelines": ["interleaved", "async_execution"],
//                   "block_gas_limit": [15e6, 30e6, 60e6], "load_tx_per_s": 1000},
//     "timeline_load_fraction": 0.8,
//     "full": { JSON merge patch (RFC 7386) applied to the whole file by --full }
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipesim::capacity {

/// An invalid capacity section; what() starts with the JSON path (`capacity.pipelines[1].name`).
class CapacityError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A named set of scenario overrides (dotted key path -> JSON value), e.g. one topology.
struct Case {
  std::string name;  // [A-Za-z0-9_-]+ (used in point ids and file names)
  nlohmann::ordered_json set = nlohmann::ordered_json::object();
  std::vector<double> loads_tx_per_s;  // pipelines only; empty = the section's default ladder
};

/// Saturation rule (docs/capacity.md): a load point *follows* its offered load when its committed
/// throughput is at least min_efficiency x the offered load, its latency p50 is at most
/// max_latency_p50_s and at most max_latency_p50_factor x the p50 of the curve's first (lowest
/// load) point, and at most (1 - min_efficiency) of the window's transactions are left
/// uncommitted at the end of the run. The first point that does not follow is the knee.
struct SaturationRule {
  double min_efficiency = 0.9;          // committed / offered (ratio)
  double max_latency_p50_s = 30.0;      // submit -> committed p50 bound (s)
  double max_latency_p50_factor = 3.0;  // p50 bound relative to the lowest load's p50 (ratio)
};

struct GasLimitSweep {
  std::string topology;                // one of the topologies
  std::vector<std::string> pipelines;  // names among the pipelines
  std::vector<std::uint64_t> block_gas_limit;
  double load_tx_per_s = 0;  // offered load (a saturating one)
  /// Applied after the topology's and pipeline's `set` (e.g. a hardware class whose execution
  /// is heavy enough to bound the interleaved pipeline): {"key.path": value}.
  nlohmann::ordered_json set = nlohmann::ordered_json::object();
};

struct CapacitySpec {
  std::vector<Case> topologies;
  std::vector<Case> pipelines;
  std::vector<double> loads_tx_per_s;  // default ladder, strictly increasing, > 0
  double extend_factor = 2.0;          // next load = last x factor while not saturated
  std::uint32_t max_extensions = 2;
  SaturationRule saturation;
  std::optional<GasLimitSweep> gas_limit;
  double timeline_load_fraction = 0.8;  // the timeline run: this fraction of capacity
};

/// Parses the `capacity` section (without its `full` key, which the command applies first).
/// Throws CapacityError naming the path for an unknown key, a missing or empty list, a bad name,
/// a load ladder that is not strictly increasing positive numbers, or a gas_limit section naming
/// an unknown topology or pipeline.
CapacitySpec parse_capacity(const nlohmann::ordered_json& section);

/// One measured load point of a (topology, pipeline) series.
struct LoadPoint {
  double offered_tx_per_s = 0;    // window_offered_load_tx_per_s
  double committed_tx_per_s = 0;  // window_throughput_tx_per_s
  double committed_gas_per_s = 0;
  double latency_p50_s = 0;  // submit -> committed over the window's committed txs
  double latency_p99_s = 0;
  double not_committed_fraction = 0;  // window txs not committed by the end / window txs
};

/// Whether one point follows its offered load under `rule` (see SaturationRule);
/// `baseline_p50_s` is the p50 of the curve's lowest-load point.
bool follows(const LoadPoint& p, const SaturationRule& rule, double baseline_p50_s);

struct Saturation {
  bool saturated = false;  // a knee was found inside the measured range
  /// Index of the capacity point (the last point before the knee that follows), when any point
  /// before the knee follows; none when the first point already saturates.
  std::optional<std::size_t> capacity_index;
  std::optional<std::size_t> knee_index;
};

/// Saturation detection on a curve sorted by offered load (ascending): the knee is the first
/// point that does not follow; capacity is the point just below it. A curve whose every point
/// follows is not saturated (capacity_index = last point, a lower bound).
Saturation detect_saturation(const std::vector<LoadPoint>& curve, const SaturationRule& rule);

/// Linear interpolation of `y` at committed throughput `x` over the points [0, last] (sorted by
/// committed throughput as measured); clamps outside the range. Returns nullopt for an empty
/// range.
std::optional<double> interpolate_at_throughput(const std::vector<LoadPoint>& curve,
                                                std::size_t last, double x, double LoadPoint::*y);

/// The loads to run for a series: its ladder, extended by extend_factor while the curve measured
/// so far is not saturated (at most max_extensions extra points). `measured` holds the curve for
/// the loads already run (in ladder order; may be shorter than the ladder). Returns the full
/// list of loads the series needs now.
std::vector<double> series_loads(const std::vector<double>& ladder,
                                 const std::vector<LoadPoint>& measured, double extend_factor,
                                 std::uint32_t max_extensions, const SaturationRule& rule);

/// A point id component for a load: "load-00400" (integer part, zero-padded to 5 digits) and
/// "-5" style decimals when not an integer ("load-00012.5").
std::string load_label(double load_tx_per_s);

}  // namespace pipesim::capacity
