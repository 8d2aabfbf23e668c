// Liveness figures of a run, from the commits the pipelines record (blocks.csv's "committed",
// "finalized" and "ordered" stages) and the fault schedule: summary.json's `liveness` section.
// No SimGrid include.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario.hpp"

namespace pipesim::sim {

/// One block committed (finalized, ordered) at one node.
struct CommitPoint {
  std::uint32_t node = 0;
  std::uint64_t height = 0;
  std::uint64_t block_id = 0;
  double time_s = 0.0;
};

/// summary.json's `liveness` section (docs/faults.md):
///  - commits: distinct blocks committed by any node; first/last_commit_s;
///  - longest_gap_without_commits_s (and _from_s): the longest interval of [0, end_s] in which no
///    node committed a block no node had committed before (start and end of the run included);
///  - progress_stopped: true when nothing was ever committed, or the time since the last new
///    commit (the tail) exceeds both the stall threshold, max(4 x the median interval between
///    new commits, 2 x consensus.round_timeout_ms) (stall_threshold_s), and every earlier gap
///    without commits (so periodic gaps, e.g. a Byzantine leader's timed-out rounds in every
///    rotation, are not read as a stop; a run that ends in its longest drought is);
///  - partitions_healed[]: per partition that heals before end_s, recovery_s = time from the heal
///    until every node that is up at the end and commits at all has committed a block above the
///    highest height committed anywhere at the heal (null and recovered false if one never does);
///  - recoveries[]: per recovered node, catch_up_s = time from its recovery until it commits the
///    highest height committed anywhere at that time (null if it never does).
/// `commits` in any order; `end_s` the simulated end of the run.
nlohmann::json liveness_report(const Scenario& scenario, std::vector<CommitPoint> commits,
                               double end_s);

}  // namespace pipesim::sim
