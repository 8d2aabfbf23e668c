// Speculation (the first stage of speculate-order-replay, Vegeta NSDI 2025 Alg. 1): a proposer
// executes its batch against its latest local state to learn every transaction's read and write
// sets, groups the transactions into dependency chains, reorders the batch longest chain first,
// and builds the dependency DAG it proposes with the batch.
//
// Also the pieces replay (dag_replay.hpp) shares: per-transaction speculated access sets and the
// WAW/WAR/RAW dependency DAG over them.
//
// Dependency kinds of an ordered pair i < j (block positions) that touch a common key:
//   RAW  j reads a key i writes;
//   WAR  j writes a key i reads;
//   WAW  both write a common key, or RAW and WAR both hold (on the same or different keys: the
//        pair must run one after the other either way). WAW dominates.
// Pairs that only read common keys are independent. The DAG keeps one edge per dependent pair
// (not transitively reduced: a key touched by m transactions costs up to m(m-1)/2 pairs).
//
// Pure C++, deterministic (no threads: the parallel workers are simulated in virtual time).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "models/execution/executor.hpp"

namespace pipesim::execution {

/// Speculated read/write key sets of a block's transactions, in block order (AccessLists: keys
/// of tx i in first-access order). A list shorter than the block means "no speculation" for
/// the remaining transactions (treated as empty sets).
struct SpeculatedAccess {
  AccessLists reads;
  AccessLists writes;
  std::size_t size() const { return reads.size(); }
};

/// Appends `part` (e.g. the next ordered batch's speculation) to `whole`. Both lists of `part`
/// must have the same size (throws std::invalid_argument otherwise).
void append_speculation(SpeculatedAccess& whole, const SpeculatedAccess& part);
/// `n` transactions with no speculation (empty sets): the leader-based variant's other batches.
SpeculatedAccess empty_speculation(std::size_t n);

enum class DepKind : std::uint8_t { kWar = 1, kRaw = 2, kWaw = 3 };
const char* to_string(DepKind kind);

struct DepEdge {
  std::uint32_t from = 0;  // earlier position
  std::uint32_t to = 0;    // later position
  DepKind kind = DepKind::kWaw;
  friend bool operator==(const DepEdge&, const DepEdge&) = default;
};

struct DependencyDag {
  std::uint32_t tx_count = 0;
  std::vector<DepEdge> edges;      // sorted by (to, from); from < to; one per dependent pair
  std::uint64_t key_accesses = 0;  // keys indexed while building (cost model input)
  std::uint64_t pairs_examined = 0;
  std::size_t count(DepKind kind) const;
};

/// Virtual-time cost of building a dependency DAG (reference core). Defaults are estimates of a
/// hash-map insert per key access and a few branches per classified pair, the same order as the
/// cost model's warm_read_us / task_overhead_us; no published measurement (Vegeta reports DAG
/// construction as a small fraction of speculation time).
struct DagCostConfig {
  double dag_key_us = 0.05;   // per key access indexed
  double dag_edge_us = 0.02;  // per conflicting pair classified
  double seconds(const DependencyDag& dag) const {
    return (static_cast<double>(dag.key_accesses) * dag_key_us +
            static_cast<double>(dag.pairs_examined) * dag_edge_us) *
           1e-6;
  }
};

/// Builds the dependency DAG of `n` transactions from their speculated sets (missing entries of
/// `access` count as empty). speculate() and replay_block() add the sender chains on top.
DependencyDag build_dependency_dag(std::size_t n, const SpeculatedAccess& access);

/// Adds the sender chains of `block` to `dag` (which must be over `block`): consecutive
/// transactions of one sender get a WAW edge (an existing edge is upgraded), since their nonces
/// order them even when their speculated sets do not show it (e.g. a transaction speculated as
/// kInvalidNonce only reads the nonce). Keeps the edge order.
void add_sender_chains(DependencyDag& dag, const Block& block);

struct SpeculationConfig {
  DagCostConfig dag_cost;
  bool reorder = true;  // sort dependency chains longest-first (false: keep the batch order)
};

struct SpeculationResult {
  Block block;                                // the reordered batch (what is proposed)
  std::vector<std::uint32_t> original_index;  // block.txs[i] == input.txs[original_index[i]]
  SpeculatedAccess access;                    // speculated sets, per tx of `block`
  DependencyDag dag;                          // over `block`
  std::vector<std::uint32_t> chain_lengths;   // dependency chains, longest first
  /// The batch's speculated writes: each sender chain's final values, chains merged in sender
  /// address order (a key written by several senders' chains keeps the last one's value; each
  /// chain ran on the snapshot, so this is a proposer's local view, not a serial post-state).
  /// Lets a proposer speculate its next batch on top of its batches still in flight.
  StateMap writes;
  std::vector<Span> schedule;  // virtual time, see speculate()
  double makespan_s = 0;       // virtual seconds (reference core)
  std::uint64_t cold_reads = 0;
  std::uint64_t warm_reads = 0;
};

/// Speculates `batch` on `state` (the proposer's latest local state; may be stale).
///
/// Every transaction runs on the same snapshot `state` ("in parallel against the latest local
/// state"), with the block environment of `batch` (make_block_env(batch, cfg)), except that a
/// sender's transactions run in batch (nonce) order on top of that sender's earlier writes: a
/// proposer knows its batch's nonce chains, and speculating a sender's second transaction on
/// the bare snapshot would only learn "invalid nonce". Its read set is the keys the VM loaded,
/// its write set the keys it wrote. Dependency chains are the connected components of "touch a
/// common key that one of them writes"; the batch is reordered chain by chain, longest chain first
/// (ties: the chain whose first transaction comes first), keeping the relative order inside a
/// chain, so conflicting transactions keep their order and the replay's critical path is scheduled
/// first.
///
/// Virtual-time schedule (reference-core seconds from 0): signature recovery spread over
/// cfg.threads workers (schedule_sig_recovery); then one execute span per transaction,
/// list-scheduled in batch order on the earliest free of cfg.threads workers (not before the
/// sender's previous transaction ends), each
/// cfg.cost.execute_s(gas, cold, warm) (cold = first read of a base-layer key in this
/// speculation); then one span on worker 0 (SpanKind::kValidate, tx_index = batch size) for
/// building the DAG: DagCostConfig::seconds. Throws std::invalid_argument if cfg.threads == 0
/// or state is null.
SpeculationResult speculate(const Block& batch, const std::shared_ptr<const StateLayer>& state,
                            const ExecutorConfig& cfg, const SpeculationConfig& scfg = {});

}  // namespace pipesim::execution
