// The `sweep` section of a scenario file and its expansion into points (pure: no process, no
// file written, no SimGrid). Used by `pipesim sweep` (tools/sweep_command.cpp); user reference
// docs/sweeps.md.
//
//   "sweep": {
//     "name": "block-time-dlag",                         optional, recorded in sweep.json
//     "grid": {"consensus.block_time_ms": [200, 400],    cartesian product, axes in FILE order
//              "pipeline.d_lag": [0, 1, 3]},             (the first axis varies slowest)
//     "zip":  {"workload.tps": [500, 1000],              lists walked together (equal lengths)
//              "pipeline.threads": [2, 4]},
//     "seeds": 3  or  [1, 2, 3]                          repetitions (N means 1..N); absent:
//   }                                                     the scenario's own seed
//
// Points are ordered grid (first key slowest, last fastest), then zip index, then seed (fastest);
// point i is named "p" + i zero-padded to max(4, digits of the last index): p0000, p0001, ...
// Key paths are dotted scenario paths as for `--set` (docs/scenario.md); every point is validated
// by applying its assignments to the base scenario and parsing it (resolve_points).
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario.hpp"

namespace pipesim::sweep {

/// An invalid sweep section or point; what() starts with the JSON path (`sweep.zip.workload.tps`)
/// or the point id and path (`point p0003: pipeline.d_lag: value 99 ...`).
class SweepError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One swept key path and its values (in file order).
struct Axis {
  std::string path;
  std::vector<nlohmann::ordered_json> values;
};

/// The parsed `sweep` section.
struct SweepSpec {
  std::string name;                  // "" when absent
  std::vector<Axis> grid;            // in the order the keys appear in the file
  std::vector<Axis> zip;             // same order rule; all the same length
  std::vector<std::uint64_t> seeds;  // empty: one repetition with the scenario's seed
};

/// One run of the sweep.
struct Point {
  std::size_t index = 0;
  std::string id;  // "p0007"
  /// Swept key path -> value: grid axes then zip lists, in SweepSpec order.
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  std::uint64_t seed = 0;
  /// Optional names of the point (e.g. {"topology": "aws", "pipeline": "interleaved"}), written
  /// to point.json and as sweep.csv columns before the swept keys; empty for `pipesim sweep`.
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();

  /// `--set` style assignments: `path=<value as JSON>` for each param, then `seed=<seed>`.
  std::vector<std::string> assignments() const;
  /// point.json's content: {"point", "index", "params", "seed"} (+ "labels" when not empty).
  nlohmann::ordered_json to_json() const;
};

/// Parses the `sweep` section (an object; its keys: name, description, grid, zip, seeds).
/// Throws SweepError naming the path: unknown key, a grid/zip value that is not a non-empty
/// array, zip lists of different lengths (names both paths and lengths), a path swept twice or
/// naming `seed` (use `seeds`), seeds not a positive integer or a non-empty array of distinct
/// integers >= 0.
SweepSpec parse_sweep(const nlohmann::ordered_json& section);

/// All points, in the order documented above. `scenario_seed` is used when spec.seeds is empty.
std::vector<Point> expand(const SweepSpec& spec, std::uint64_t scenario_seed);

/// The point id of index `i` among `total` points ("p" + zero-padded index).
std::string point_id(std::size_t i, std::size_t total);

/// Applies each point's assignments to a copy of the raw scenario `base_doc` (its `sweep`
/// section removed) and parses it (`base_dir` resolves relative file paths). Returns one
/// resolved Scenario per point, in order. Throws SweepError "point <id> (<path>=<value>, ...):
/// <ScenarioError message>" for the first invalid point.
std::vector<sim::Scenario> resolve_points(const nlohmann::json& base_doc,
                                          const std::string& base_dir,
                                          const std::vector<Point>& points);

/// summary.json "metrics" flattened to sweep.csv columns (column name -> cell text):
///  - {"value": number, "unit": U}            -> "<metric>[U]"
///  - a distribution {"count", "mean", "p50", "p90", "p99", ..., "unit": U}
///                                            -> "<metric>.count[count]", "<metric>.mean[U]",
///                                               "<metric>.p50[U]", "<metric>.p90[U]",
///                                               "<metric>.p99[U]"
///  - anything else (lists, nested objects, strings) is skipped.
/// Integers are written in full, other numbers with sim::output::format_double (9 significant
/// digits); null (an empty distribution's mean) gives "" (an empty cell).
std::map<std::string, std::string> metric_cells(const nlohmann::json& metrics);

/// A param value as a CSV cell: strings as is, anything else as compact JSON (200, 0.5, true).
std::string param_cell(const nlohmann::ordered_json& value);

}  // namespace pipesim::sweep
