// Optimistic parallel execution with an in-order merge (Monad's published model, docs.monad.xyz
// "Parallel Execution"): every transaction first executes optimistically, in parallel, against
// the block's pre-state; results are then merged serially in block order, and a transaction
// whose inputs were changed by an earlier transaction of the block is re-executed once, during
// its merge, on the merged state (its state is warm by then, so the second execution is cheap).
// Each transaction therefore executes at most twice.
//
// Semantics (serialisable; post-state and receipts equal Sequential's):
//   Phase 1: transaction i executes on the pre-state only (none of the block's writes are
//     visible), recording its read set (keys) and write set (key, value).
//   Phase 2: in block order, merge(i) checks i's read set against the keys written by the
//     already merged transactions 0..i-1. If none was written, i read exactly what a serial
//     execution would have read, so its phase-1 writes are applied as they are. Otherwise i is
//     re-executed on (pre-state + merged writes) — its second and last execution — and those
//     writes are applied. Read/write sets and receipts in the outcome are the final execution's.
//   Beneficiary fees follow make_block_env like every executor: lazily credited at block end,
//   or, with eager crediting, every included transaction reads and writes the beneficiary
//   balance, so every transaction after the first included one is re-executed.
//
// Virtual time (seconds on the reference core, t = 0 at hand-off; see executor.hpp):
//   - signature recovery on all `threads` workers (schedule_sig_recovery), then
//   - phase-1 executions list-scheduled in block order on the `threads` workers (earliest-free
//     worker, ties to the lowest index); cost: CostModel::execute_s with the reads cold/warm as
//     BlockStorage accounts them (first touch of a base key cold);
//   - worker 0 is also the merge worker. Merges run in block order as phase-1 results become
//     available (Monad merges in order as results arrive; merging does NOT wait for the whole
//     phase 1): whenever worker 0 becomes free and the next merge is ready it merges, otherwise
//     it takes the next phase-1 execution. Tasks are not preempted, so
//         start(merge i) = max(end of phase-1 of i, end of merge i-1, worker 0 free)
//     This is exactly max(phase-1 end of i, merge i-1 done) unless worker 0 is still running a
//     phase-1 execution it started earlier (non-preemptive); once worker 0 has finished its last
//     phase-1 execution it only merges and the equality holds. With threads == 1 the one worker
//     alternates executions and merges (phase 1 still reads only the pre-state).
//   - merge cost: a kValidate span of CostModel::validate_s(keys) where keys = the reads checked
//     plus, if the transaction commits as is, its writes applied (one warm lookup per key).
//     A failed check ends at the first conflicting read and is followed by a kExecute span of
//     incarnation 1 (the re-execution, reads served from the merged writes or the block's cache,
//     cold only for keys nobody touched before) plus write_us per write applied; it reuses the
//     first execution's decoded transaction and validity checks, so tx_fixed_us is not paid again.
//   - the commit span (finish_outcome) on worker 0 after the last merge.
// Spans of phase 1 have incarnation 0; a transaction has at most one kExecute span per
// incarnation.
//
// Consequences (measured with `pipesim exec`, see the commit log): since phase 1 sees none of the
// block's writes, a transaction is re-executed if ANY earlier transaction of the block wrote one
// of its inputs (not only concurrent ones, as in Block-STM), and every re-execution runs
// serially on worker 0; warm state saves the re-execution's cold reads but not its gas.
//
// Statistics: incarnations = transactions + re_executions; validations = transactions (one
// merge check each); aborts = re_executions (failed checks); cold/warm reads of every execution.
#pragma once

#include "models/execution/executor.hpp"

namespace pipesim::execution {

class OptimisticExecutor final : public Executor {
 public:
  std::string_view name() const override { return "optimistic"; }
  /// See the file comment. Throws std::invalid_argument if cfg.threads == 0 or pre_state is
  /// null. cfg.occ_batch_size is ignored.
  ExecutionOutcome execute(const Block& block, std::shared_ptr<const StateLayer> pre_state,
                           const ExecutorConfig& cfg) override;

 private:
  Vm vm_;
};

}  // namespace pipesim::execution
