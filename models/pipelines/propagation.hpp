// Propagation-only pipeline (`pipeline.kind: "propagation"`): block dissemination alone, no
// consensus, no execution, no workload.
//
// At time 0 each of the validators 0 .. pipeline.propagation_sources - 1 broadcasts one block of
// pipeline.block_size_bytes through the runtime (sim::Runtime::broadcast, i.e. the scenario's
// network.dissemination: direct, or gossip over network.topology). Every live validator records
// the block's arrival ("received" in blocks.csv; the source "proposed" at 0). At the end, per
// block, the time by which 50 / 90 / 100 % of the live validators hold it (the source counts, at
// time 0; the ceil(q * live)-th smallest time), summarised over blocks in summary.json:
//   block_propagation_t50_s, _t90_s, _t100_s  (count, mean, p50, p90, ... in seconds),
//   blocks_fully_propagated (count), and the per-node bytes the runtime counted.
// Invariant "every_live_validator_received_every_block" holds when each block reached every
// live validator before duration_s (push gossip may legitimately miss some).
#pragma once

#include <memory>

#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

std::unique_ptr<sim::Application> make_propagation(const sim::Scenario& scenario,
                                                   sim::Runtime& runtime);

}  // namespace pipesim::pipelines
