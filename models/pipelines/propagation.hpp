// Propagation-only pipeline (`pipeline.kind: "propagation"`): block dissemination alone, no
// consensus, no execution, no workload.
//
// Each of the validators b = 0 .. pipeline.propagation_sources - 1 broadcasts one block of
// pipeline.block_size_bytes at b x pipeline.propagation_interval_ms (default 0: all at once)
// through the runtime (sim::Runtime::broadcast, i.e. the scenario's network.dissemination:
// direct, or a relay protocol over network.topology). Every live validator records the block's
// arrival ("received" in blocks.csv; the source "proposed" at its departure). At the end, per
// block, the time since its broadcast by which 50 / 90 / 100 % of the live validators hold it
// (the source counts, at 0; the ceil(q * live)-th smallest time), summarised over blocks in
// summary.json:
//   block_propagation_t50_s, _t90_s, _t100_s  (count, mean, p50, p90, ... in seconds),
//   blocks_fully_propagated (count), and the per-node bytes the runtime counted.
// When the latency model has regions (region_matrix): block_propagation_per_block_by_region
// (per block: source region, and per region its node count and t50 / t90 / t100 over its live
// validators), block_propagation_by_region (per region: means over blocks) and
// block_arrival_quantiles_by_region (per region: the 0, 1, ..., 100 % quantiles of the arrival
// times pooled over blocks — the arrival-time CDF that `pipesim plot` draws).
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
