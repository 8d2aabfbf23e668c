// The sweep runner shared by `pipesim sweep` and `pipesim capacity`: a list of points, each a
// resolved scenario run by `pipesim run` in its own child process, resumable (a point with a
// summary.json is finished), tabulated in DIR/sweep.csv. Folder layout and statuses:
// docs/sweeps.md. Implemented in tools/sweep_command.cpp.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/sweep_plan.hpp"

namespace pipesim::sweep {

/// Everything a run of points needs; nothing written yet.
struct Plan {
  std::string name;
  std::filesystem::path dir;
  std::vector<Point> points;
  std::vector<std::string> scenario_text;  // per point: its resolved scenario.json bytes
  nlohmann::ordered_json sweep_json;       // written to DIR/sweep.json
};

/// The whole file as bytes; "" when it cannot be read.
std::string read_text(const std::filesystem::path& file);

/// A point's DIR/points/<id>/summary.json when it is a finished run's (a JSON object with
/// "metrics"); nullopt when absent or unreadable (never throws on bad content), with `problem`
/// saying what is wrong with a file that exists.
std::optional<nlohmann::json> read_summary(const std::filesystem::path& point_dir,
                                           std::string* problem = nullptr);

/// DIR/points/<id>.
std::filesystem::path point_dir(const std::filesystem::path& dir, const Point& p);

/// The first point whose folder holds a scenario.json different from the plan's (a different
/// sweep in the same folder), or "".
std::string conflicting_point(const Plan& plan);

/// Writes DIR/sweep.json and every point's point.json and scenario.json (unchanged files are
/// not rewritten). Throws std::runtime_error / filesystem errors.
void write_plan(const Plan& plan);

/// When children are forks of this process (tools::children_forked()): turns input reuse on and
/// loads what `file` with `overrides` loads before simulating (the replay stream, the genesis
/// state and its trie; pipelines::preload_inputs), so that every child finds it in memory
/// (models/common/input_reuse.hpp). Best effort: a scenario that fails here fails again, with its
/// message, in the child that runs it. No effect when children are exec'd.
void preload_for_children(const std::string& file, const std::vector<std::string>& overrides = {});

/// Runs every unfinished point (`jobs` at a time, `exe run ...` each), then writes
/// DIR/sweep.csv over the plan's points. Returns 0 (all ok), 3 (an invariant violated), 1 (a
/// point failed, crashed or timed out). `timeout_s` 0 = no limit.
int run_points(const Plan& plan, const std::string& exe, unsigned jobs, double timeout_s,
               bool quiet);

}  // namespace pipesim::sweep
