// Kernel: what every executing pipeline's executors run with, one definition each.
//
//  - executor_config: the scenario's pipeline section as an execution::ExecutorConfig (threads,
//    lazy beneficiary, Batch OCC batch size and formation, the cost model and its in-memory
//    state cache); the state root is always computed.
//  - genesis_state: the workload's genesis accounts plus one empty beneficiary account per
//    validator (ChainState::beneficiary_address), so fee credits never create accounts, as the
//    base layer of the scenario's state commitment.
// Used by ChainState (interleaved, async_execution, async_backing) and by speculate_order_replay,
// which speculates and replays on its own state layers.
#pragma once

#include <memory>

#include "models/execution/executor.hpp"
#include "models/execution/state.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

/// The executor configuration of `scenario.pipeline`. Each call makes a new state cache (of
/// pipeline.cost_model.memory_cache_bytes; none when 0): one per chain of executed states.
execution::ExecutorConfig executor_config(const sim::Scenario& scenario);

/// The genesis state: `accounts` (the workload's TxSource::genesis(), non-null) plus an empty
/// account (nonce 0) for the beneficiary of each of the network.validators validators, as a
/// base layer with pipeline.commitment (root computed). With input reuse on
/// (models/common/input_reuse.hpp) the last layer built is kept and returned again for the same
/// `accounts` object, validator count and commitment kind: a forked sweep point reuses its
/// parent's trie (layers are immutable, so the roots, node counts and reads are those of a new
/// build). Throws std::invalid_argument for an unknown commitment name.
execution::StateLayer::Ptr genesis_state(
    const sim::Scenario& scenario, const std::shared_ptr<const execution::StateMap>& accounts);

}  // namespace pipesim::pipelines
