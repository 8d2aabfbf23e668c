// Block-STM executor (Gelashvili et al., PPoPP'23): optimistic parallel execution with
// multi-version memory (mv_memory.hpp), a collaborative scheduler of execution and validation
// tasks (execution_idx / validation_idx, incarnations, ESTIMATE dependencies), and N workers.
//
// Workers are simulated deterministically in virtual time by a discrete-event loop (no OS
// threads): a task's reads happen at its span's start, its writes and scheduler updates at its
// span's end; when several workers are free at the same instant they take tasks in worker-index
// order, and simultaneous completions are processed in worker-index order. Span durations come
// from the cost model (execution: overhead + gas + reads; validation: overhead + a warm lookup
// per read; an execution stopped by an ESTIMATE: overhead + the reads done so far).
//
// Beneficiary fees: with lazy crediting (ExecutorConfig::lazy_beneficiary, as pevm does) fees
// are summed from the final incarnations and credited at block end; with eager crediting every
// transaction reads and writes the beneficiary balance, so every pair of transactions conflicts.
#pragma once

#include "models/execution/executor.hpp"
#include "models/execution/sequential.hpp"

namespace pipesim::execution {

class BlockStmExecutor final : public Executor {
 public:
  std::string_view name() const override { return "block_stm"; }
  ExecutionOutcome execute(const Block& block, std::shared_ptr<const StateLayer> pre_state,
                           const ExecutorConfig& cfg) override;

 private:
  Vm vm_;
  SequentialExecutor sequential_;  // small-block fallback
};

}  // namespace pipesim::execution
