// Deterministic DAG replay (the last stage of speculate-order-replay, Vegeta NSDI 2025 Alg. 2
// and 3): every node executes the ordered block on the agreed state in conflict-free batches
// derived from the proposers' speculated read/write sets, and re-executes the transactions whose
// speculation was wrong.
//
// Algorithm (positions are block order; the DAG is build_dependency_dag over the speculated
// sets plus the block's sender chains (add_sender_chains), see speculation.hpp for the edge
// kinds):
//   repeat until every transaction is finished:
//     batch = the unfinished transactions that are ready: no unfinished WAW predecessor, and not
//             both an unfinished WAR and an unfinished RAW predecessor (ReplayConfig::raw_waits:
//             no unfinished RAW predecessor at all);
//     execute the batch in parallel on the state at the batch start (writes of the batch are
//     visible only after it: a batch is a barrier);
//     at the batch end decide, per transaction, commit (its writes are applied) or defer;
//     every batch transaction counts as finished for the DAG.
//   then re-execute the deferred transactions serially, in block order, on the resulting state.
//
// Commit decision:
//   both      a transaction with a deferred WAW or RAW predecessor that ran in an earlier batch
//             is deferred too: it read state that lacks that predecessor's writes, which in
//             block order it would have seen (e.g. the next nonce of the same sender);
//   kBasic    commit iff the observed read set and write set equal the speculated ones.
//   kImproved (Alg. 3 as described in issue 6) only *new* keys matter (observed but not
//             speculated; keys speculated but not touched only over-approximate the DAG):
//             - a new key that another transaction of the block speculated (the DAG does not
//               order the pair): defer;
//             - a wholly new key (no other transaction speculated it, so only transactions that
//               also touch it unexpectedly can conflict) is resolved at the batch end, in block
//               order: a writer commits with the batch unless a transaction committed in this
//               batch already newly touched the key; a reader commits unless a transaction
//               committed in this batch newly wrote it (readers "wait for the batch end"). The
//               transactions that now conflict are deferred. Keys touched in other batches need
//               no check: batches are serialised in order.
//             So the improved replay defers a subset of the basic replay's mismatches of a batch.
//
// Serialisability. Within a batch, a transaction whose unfinished predecessors are all RAW
// reads the state *before* them, and one whose unfinished predecessors are all WAR writes after
// them; "not both" rules out cycles (in any cycle of "reads before it writes" inside a batch, the
// transaction latest in block order would have an unfinished WAR and an unfinished RAW
// predecessor). Hence the replay equals Sequential on the block permuted into `serial_order`:
// batches in order, inside a batch the committed transactions topologically sorted by "a reader
// of a key precedes its writer" (ties by position), then the deferred transactions in block
// order. That order is a deterministic function of the block and the speculated sets, so every
// honest node computes the same state (Vegeta's replay semantics). It is the block order itself
// when no RAW-only pair lands in one batch and nothing is deferred past a conflicting successor.
// The implementation checks the acyclicity at every batch (std::logic_error if violated).
//
// Missing speculation (leader-based variant: only the round's leader speculated; or none): the
// missing transactions count as speculated-empty, so they have no DAG edges and every key they
// touch is new. kBasic then defers every one of them (conservative: executed twice); kImproved
// discovers their conflicts at the batch end like an OCC round.
//
// Virtual-time schedule (reference-core seconds from 0): signature recovery on cfg.threads
// workers; one span on worker 0 for building the DAG (SpanKind::kValidate, tx_index = n,
// incarnation 0); per batch, execute spans list-scheduled in block order on the earliest free of
// cfg.threads workers (cfg.cost.execute_s; a read is cold on the first read of a base-layer key
// in the block), then a barrier span on worker 0 (kValidate, tx_index = n, incarnation = batch
// number >= 1) of task_overhead_us per batch transaction (deciding commit, applying writes);
// then the serial re-executions on worker 0 (incarnation 1); then the commit span
// (finish_outcome).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/execution/speculation.hpp"

namespace pipesim::execution {

enum class ReplayMode : std::uint8_t { kBasic, kImproved };

struct ReplayConfig {
  ReplayMode mode = ReplayMode::kImproved;
  /// false (the rule, Vegeta's snapshot semantics): a transaction whose unfinished
  /// predecessors are all RAW may run in their batch and reads the state before them, as it did
  /// in speculation. true: RAW predecessors must finish first, so a reader sees its writer's
  /// value as in block order (e.g. a sender's next nonce; with false, a sender's second
  /// transaction speculated on the same snapshot stays kInvalidNonce in the replay too).
  bool raw_waits = false;
  DagCostConfig dag_cost;
};

struct ReplayStats {
  std::uint32_t txs = 0;
  std::uint32_t batches = 0;  // batches per block
  std::uint32_t max_batch_size = 0;
  std::uint32_t speculated_exact = 0;  // txs whose first execution matched the speculation
  std::uint32_t re_executed = 0;       // deferred and re-executed serially
  std::size_t dag_edges = 0;
  double speculation_accuracy = 1.0;     // speculated_exact / txs (1 for an empty block)
  double re_execution_fraction = 0.0;    // re_executed / txs
  double mean_batch_size = 0.0;          // replay parallelism: txs / batches
  double dag_build_s = 0.0;              // virtual seconds of the DAG span
  double sequential_makespan_s = 0.0;    // estimate of Sequential's makespan (see below)
  double speedup_over_sequential = 0.0;  // sequential_makespan_s / makespan_s
};

struct ReplayOutcome {
  ExecutionOutcome outcome;  // executor-shaped; stats.re_executions, rounds =
                             // batches, incarnations = txs + re-executions
  ReplayStats stats;
  DependencyDag dag;                        // the DAG replay used
  std::vector<std::uint32_t> serial_order;  // equivalent serial order (positions)
  std::vector<std::uint32_t> batch_of;      // per tx: batch number (1-based) it ran in first
  std::vector<bool> re_executed;            // per tx
};

/// Replays `block` (the agreed order) on `pre_state`. `spec` gives the speculated sets per
/// transaction (nullptr or shorter than the block: the missing ones are speculated-empty).
///
/// sequential_makespan_s is Sequential's schedule recomputed from this replay's final
/// executions in serial_order: same signature-recovery and commit spans, plus
/// cost.execute_s(gas, cold, warm) per transaction where a read is cold if its key is in the
/// base layer and no earlier transaction (in serial order) read or wrote it — what
/// SequentialExecutor charges on the serial-order block.
///
/// Throws std::invalid_argument if cfg.threads == 0 or pre_state is null.
ReplayOutcome replay_block(const Block& block, const std::shared_ptr<const StateLayer>& pre_state,
                           const ExecutorConfig& cfg, const SpeculatedAccess* spec,
                           const ReplayConfig& rcfg = {});

/// The replay behind the Executor interface: the speculated sets come through a side channel
/// (set_speculation before execute; without one every transaction is speculated-empty). Note
/// that its post-state equals Sequential's on the block permuted into serial_order (see above),
/// not necessarily on `block` itself.
class DagReplayExecutor final : public Executor {
 public:
  explicit DagReplayExecutor(ReplayConfig cfg = {}) : cfg_(cfg) {}
  std::string_view name() const override {
    return cfg_.mode == ReplayMode::kBasic ? "dag_replay_basic" : "dag_replay";
  }
  /// Speculated sets for the next execute() (kept until replaced; nullptr clears).
  void set_speculation(std::shared_ptr<const SpeculatedAccess> spec) { spec_ = std::move(spec); }
  ExecutionOutcome execute(const Block& block, std::shared_ptr<const StateLayer> pre_state,
                           const ExecutorConfig& cfg) override;
  /// Replay details of the last execute() (its outcome member is moved out: empty).
  const ReplayOutcome& last() const { return last_; }

 private:
  ReplayConfig cfg_;
  std::shared_ptr<const SpeculatedAccess> spec_;
  ReplayOutcome last_;
};

}  // namespace pipesim::execution
