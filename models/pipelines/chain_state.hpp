// ChainState: the execution side of a pipeline — executed blocks and their post-states.
//
// "Compute once, charge everywhere" (DESIGN.md, Execution cost in virtual time): honest nodes
// executing the same block on the same parent state get the same outcome, so a block is executed
// once (for real, by the configured executor) and its cost — the executor's schedule turned into
// reference-core seconds by the cost model — is charged on every node that executes it.
// Post-states are kept as overlay layers per executed payload so forks share their ancestors.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "models/common/bytes.hpp"
#include "models/execution/executor.hpp"
#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"
#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

/// A 256-bit balance in wei, as the execution layer stores it.
using U256Wei = execution::U256;

/// A busy interval of one execution worker, relative to the job start, in reference seconds.
struct WorkerSpan {
  std::uint32_t worker = 0;
  double start_s = 0.0;
  double end_s = 0.0;
};

/// The outcome of executing one payload on its parent's post-state.
struct ExecutedBlock {
  Hash32 state_root{};
  std::uint64_t gas_used = 0;
  std::uint64_t tx_count = 0;
  std::uint64_t failed_txs = 0;    // receipts with a failure status (still charged gas)
  sim::CpuJob job;                 // charge on a node's execution lane
  std::vector<WorkerSpan> spans;   // merged per-worker busy intervals, for the trace
  std::uint64_t incarnations = 0;  // executor statistics
  std::uint64_t aborts = 0;
  std::uint64_t re_executions = 0;
  /// Batch OCC: the block's rounds (batch size, aborted), in order; empty for other executors.
  std::vector<execution::OccRoundStats> occ_rounds;
};

class ChainState {
 public:
  /// Executes with the kernel's executor_config(scenario) from its genesis_state(scenario,
  /// `genesis`) (the workload's accounts, non-null, plus one empty beneficiary account per
  /// validator, with the scenario's commitment; shared with earlier simulations under input
  /// reuse). Throws std::invalid_argument for an unknown executor or commitment name.
  ChainState(const sim::Scenario& scenario,
             const std::shared_ptr<const execution::StateMap>& genesis);
  ~ChainState();
  ChainState(const ChainState&) = delete;
  ChainState& operator=(const ChainState&) = delete;

  /// Payload id of the genesis state.
  static constexpr std::uint64_t kGenesis = 0;
  Hash32 genesis_root() const;

  /// Executes `txs` (in order) on the post-state of `parent_payload`, with
  /// validator `proposer`'s beneficiary account, storing the result under `payload_id`.
  /// Throws std::out_of_range if the parent payload is unknown.
  /// Results are shared so that a job in flight keeps its result alive after a prune.
  /// With `corrupt_one_write`, one write of the block is corrupted (its value + 1) before the
  /// post-state and its root are built: a faulty node's divergent execution.
  std::shared_ptr<const ExecutedBlock> execute(
      std::uint64_t payload_id, std::uint64_t parent_payload,
      const std::vector<const execution::Transaction*>& txs, std::uint32_t proposer,
      bool corrupt_one_write = false);
  /// Balance of `address` in the post-state of `payload_id`, or nullopt if the payload is not
  /// held (pruned or never executed). In wei.
  std::optional<U256Wei> balance(std::uint64_t payload_id, const Address& address) const;
  /// The stored result of an executed payload (finalized ones stay available), or nullptr.
  std::shared_ptr<const ExecutedBlock> find(std::uint64_t payload_id) const;
  /// Marks `payload_id` final. Payloads that neither descend from it nor are among its last
  /// kKeepFinalAncestors ancestors (abandoned forks, old final blocks) are pruned — the results
  /// of final ones stay available through find(), their states do not; when the overlay chain
  /// gets deeper than kMaxOverlayDepth, the final post-state is flattened into a new base.
  void finalize(std::uint64_t payload_id);
  /// Final ancestors whose post-states stay available (lagging-state checks read up to this
  /// many blocks back, so pipeline.d_lag is bounded by it).
  static constexpr std::size_t kKeepFinalAncestors = 16;
  /// Overlay depth above which finalize() flattens (bounds the cost of a state read).
  static constexpr std::size_t kMaxOverlayDepth = 16;
  /// Payloads currently held (executed and not pruned).
  std::size_t held() const;
  /// Address of validator `node`'s beneficiary (fee recipient): 0xbe.. with the node index.
  static Address beneficiary_address(std::uint32_t node);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipesim::pipelines
