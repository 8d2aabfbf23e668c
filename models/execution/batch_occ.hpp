// Batch optimistic concurrency control: rounds of "execute a batch on one snapshot, then
// validate and commit in block order".
//
// Each round takes the lowest uncommitted transactions (up to `occ_batch_size`, default
// `threads`), executes them in parallel on the same snapshot (pre-state + every transaction
// committed so far), then validates them in index order: a transaction whose read set
// intersects the write set of an earlier transaction committed in this round (write-after-
// read) is aborted and retried in the next round. To stay equivalent to the block order, the
// transactions after an aborted one in the same batch are aborted too (committing them first
// could reorder them before a retried lower transaction whose new access set is unknown). The
// lowest transaction of a round always commits, so the block finishes in at most n rounds.
//
// Virtual time: the batch's executions are list-scheduled on the workers (earliest-free worker
// first, ties to the lowest index); validation and commit run serially on worker 0 after the
// slowest execution (one validate span per transaction validated).
//
// Statistics: rounds; occ_rounds holds, per round, the batch size (transactions executed) and
// how many of them were aborted (summarise_occ_rounds: abort fraction per round, mean and max,
// and overall = aborts / incarnations); incarnations = transactions + aborts.
#pragma once

#include "models/execution/executor.hpp"

namespace pipesim::execution {

class BatchOccExecutor final : public Executor {
 public:
  std::string_view name() const override { return "batch_occ"; }
  ExecutionOutcome execute(const Block& block, std::shared_ptr<const StateLayer> pre_state,
                           const ExecutorConfig& cfg) override;

 private:
  Vm vm_;
};

}  // namespace pipesim::execution
