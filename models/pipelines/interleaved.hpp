// Interleaved pipeline (Ethereum-style): execution sits on consensus's critical path.
//
// DESIGN.md pipeline 1. The round's leader selects transactions from its mempool, executes the
// block on its parent's post-state and puts the resulting state root in the header before
// proposing; every validator executes the block on receipt and votes only if its own root equals
// the header's (it refuses on a mismatch). Consensus is chained HotStuff
// (models/consensus/hotstuff.hpp); execution time comes from the executor's schedule and the
// cost model, charged on the node's cores (sim::Runtime::run_execution). So the block time must
// hold propagation + execution at the leader + propagation + execution at validators + voting.
//
// Workload, mempool and commit accounting come from HotStuffPipeline (hotstuff_pipeline.hpp).
#pragma once

#include <memory>

#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

std::unique_ptr<sim::Application> make_interleaved(const sim::Scenario& scenario,
                                                   sim::Runtime& runtime);

}  // namespace pipesim::pipelines
