// Executor interface: runs a block on a pre-state and reports everything the pipelines need —
// post-state layer, receipts, access sets, state root, statistics and the virtual-time schedule.
//
// Executors run for real (wall time) and are deterministic: the same block, pre-state and
// config give the same outcome on any host (no OS threads; parallel workers are simulated in
// virtual time). Every executor is serialisable: post-state and receipts equal Sequential's.
//
// Virtual-time schedule (units: seconds on the cost model's reference core, t = 0 when the
// block is handed to the executor):
//   1. signature recovery of every transaction, spread round-robin over `threads` workers
//      (state-independent); execution starts when all are done;
//   2. execution / validation tasks per the executor;
//   3. the commit: applying the block's writes and hashing the trie. By default one span on
//      worker 0 (CostModel::root_s of CommitStats::nodes_hashed; without a root, only the task
//      overhead). With a modelled trie depth (CostModel::account_trie_leaves,
//      storage_trie_leaves) the nodes are counted from the block's updated keys
//      (trie_update.hpp); with parallel_commitment and threads > 1 the commit is several spans
//      on the workers (storage tries, account subtries, then the root: schedule_commit).
// makespan_s is the end of the last span.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/execution/cost_model.hpp"
#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"
#include "models/execution/trie_update.hpp"
#include "models/execution/vm.hpp"

namespace pipesim::execution {

/// Batch OCC batch formation (docs/scenario.md pipeline.occ_formation).
///   kIndexWindow: each round takes the lowest uncommitted transactions, up to the batch size.
///   kDeclaredConflicts: greedy, in block order: a transaction joins the round's batch unless
///     its known read set (declared: sender nonce and balance, a native transfer's recipient
///     balance, an access trace's keys; after an execution: the keys that execution touched,
///     i.e. detected) meets the known write set of an uncommitted lower transaction.
enum class OccFormation : std::uint8_t { kIndexWindow, kDeclaredConflicts };
/// "index_window" | "declared_conflicts".
const char* to_string(OccFormation formation);
/// The formation named `name`, or nullopt.
std::optional<OccFormation> parse_occ_formation(std::string_view name);
/// The formation named `name`; throws std::invalid_argument "<option>: '<name>' is not
/// index_window or declared_conflicts" otherwise (the CLI flags' error).
OccFormation require_occ_formation(std::string_view option, std::string_view name);

struct ExecutorConfig {
  std::uint32_t threads = 1;         // worker count (>= 1); Sequential executes on worker 0 only
  bool lazy_beneficiary = true;      // credit fees once at block end (see make_block_env)
  bool compute_root = true;          // update the commitment and compute the post-state root
  std::uint32_t occ_batch_size = 0;  // Batch OCC: transactions per round (0 = threads)
  OccFormation occ_formation = OccFormation::kIndexWindow;  // Batch OCC: batch formation
  /// Block-STM: raw value transfers credit their recipient lazily (a delta; mv_memory.hpp).
  bool lazy_transfer_credits = true;
  /// Block-STM: blocks with fewer transactions run sequentially (pevm falls back to sequential
  /// execution for blocks of fewer than two transactions: its benches/README.md).
  std::uint32_t stm_sequential_below_txs = 2;
  /// Async I/O: execution tasks a core keeps in flight while their reads are pending (a
  /// worker blocked on a read yields its core; Monad runs many fibers per core).
  std::uint32_t async_tasks_per_core = 8;
  CostModel cost;
  /// The client's in-memory state cache (LRU by bytes) shared across blocks; null = none
  /// (every first read of a base key in a block is cold). Created by the caller from
  /// cost.memory_cache_bytes.
  std::shared_ptr<StateCache> state_cache;
};

struct Receipt {
  TxStatus status = TxStatus::kSuccess;
  std::uint64_t gas_used = 0;
  friend bool operator==(const Receipt&, const Receipt&) = default;
};

enum class SpanKind : std::uint8_t { kSigRecover, kExecute, kValidate, kCommit };
const char* to_string(SpanKind kind);

/// One busy interval of one worker. tx_index/incarnation are meaningless for kCommit.
struct Span {
  std::uint32_t worker = 0;
  double start_s = 0;
  double end_s = 0;
  std::uint32_t tx_index = 0;
  std::uint32_t incarnation = 0;
  SpanKind kind = SpanKind::kExecute;
};

/// Per-transaction key lists in one flat array: keys of tx i are keys[offsets[i] ..
/// offsets[i+1]), in the VM's first-access order (deterministic).
struct AccessLists {
  std::vector<StateKey> keys;
  std::vector<std::uint32_t> offsets{0};
  std::size_t size() const { return offsets.size() - 1; }
  std::span<const StateKey> operator[](std::size_t i) const {
    return {keys.data() + offsets[i], keys.data() + offsets[i + 1]};
  }
  void clear() {
    keys.clear();
    offsets.assign(1, 0);
  }
  void close_tx() { offsets.push_back(static_cast<std::uint32_t>(keys.size())); }
};

/// One Batch OCC round: transactions executed on the round's snapshot (batch_size) and how many
/// of those executions were aborted (retried in a later round); aborted <= batch_size.
struct OccRoundStats {
  std::uint32_t batch_size = 0;
  std::uint32_t aborted = 0;
  friend bool operator==(const OccRoundStats&, const OccRoundStats&) = default;
};

struct ExecutionStats {
  std::uint64_t incarnations = 0;      // executions run to completion (>= transactions)
  std::uint64_t re_executions = 0;     // incarnations beyond the first of each transaction
  std::uint64_t validations = 0;       // validation tasks (Block-STM) / validated txs (OCC)
  std::uint64_t aborts = 0;            // failed validations (Block-STM) / aborted txs (OCC)
  std::uint64_t dependency_waits = 0;  // Block-STM: suspensions (a read hit an ESTIMATE)
  std::uint64_t rounds = 0;            // Batch OCC: rounds
  std::uint64_t cold_reads = 0;        // reads served from storage (first touch of a base key)
  std::uint64_t warm_reads = 0;        // reads served from memory
  bool sequential_fallback = false;    // Block-STM ran the block sequentially (small block)
  /// Batch OCC: one entry per round, in round order (size() == rounds); empty otherwise.
  std::vector<OccRoundStats> occ_rounds;
};

/// Batch OCC abort fractions of one block (or of several blocks' rounds pooled). A round's
/// abort fraction is aborted / batch_size (the share of the round's executions wasted).
struct OccAbortSummary {
  std::uint64_t rounds = 0;
  std::uint64_t executed = 0;  // sum of batch sizes (= incarnations)
  std::uint64_t aborted = 0;   // sum of aborted (= aborts)
  double mean_batch_size = 0;  // executed / rounds (0 without rounds)
  std::uint32_t max_batch_size = 0;
  double abort_fraction_mean = 0;     // mean over rounds of aborted / batch_size
  double abort_fraction_max = 0;      // max over rounds
  double abort_fraction_overall = 0;  // aborted / executed (0 without executions)
};

/// Summarises `rounds` (an ExecutionStats::occ_rounds); all zero for an empty span.
OccAbortSummary summarise_occ_rounds(std::span<const OccRoundStats> rounds);

struct ExecutionOutcome {
  std::shared_ptr<const StateLayer> post_state;  // overlay with the block's writes on pre_state
  std::vector<Receipt> receipts;                 // one per transaction, block order
  AccessLists read_sets;                         // per transaction (final incarnation)
  AccessLists write_sets;                        // per transaction (final incarnation)
  std::optional<Hash32> state_root;  // post-state root (nullopt if skipped or no commitment)
  CommitStats commit_stats;
  ExecutionStats stats;
  std::vector<Span> schedule;     // sorted by (start_s, worker)
  double makespan_s = 0;          // virtual seconds (reference core)
  double commit_s = 0;            // the commit phase: end of its last span - its start
  std::uint64_t gas_used = 0;     // sum of receipts' gas_used
  bool lazy_beneficiary = false;  // whether fees were credited lazily for this block
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string_view name() const = 0;
  /// Executes `block` on `pre_state`. Throws std::invalid_argument if cfg.threads == 0 or
  /// pre_state is null.
  virtual ExecutionOutcome execute(const Block& block, std::shared_ptr<const StateLayer> pre_state,
                                   const ExecutorConfig& cfg) = 0;
};

/// "sequential" | "block_stm" | "batch_occ" | "optimistic"; throws std::invalid_argument
/// listing these.
std::unique_ptr<Executor> make_executor(std::string_view name);
/// The names make_executor accepts.
std::vector<std::string> executor_names();

// ---- Shared building blocks of the executors -------------------------------------------------

/// Block environment. Lazy crediting is used only if requested and no transaction references
/// the beneficiary (otherwise a transaction could observe the beneficiary's balance mid-block,
/// and the block falls back to eager credits for all executors alike).
BlockEnv make_block_env(const Block& block, const ExecutorConfig& cfg);

/// Pre-state reads with warm/cold accounting: the first read of a key found in the base layer
/// (or absent) is cold, later reads and keys of in-memory overlays are warm.
/// With a StateCache (the client's cache across blocks), a first read of a base key the cache
/// holds is warm.
class BlockStorage {
 public:
  void reset(const StateLayer* pre, StateCache* client_cache = nullptr) {
    pre_ = pre;
    client_cache_ = client_cache;
    cache_.clear();
  }
  U256 read(const StateKey& key, bool& cold) {
    bool inserted = false;
    Entry& e = cache_.emplace(key, Entry{}, &inserted);
    if (!inserted) {
      cold = false;
      return e.value;
    }
    bool in_overlay = false;
    e.value = pre_->get(key, &in_overlay);
    cold = !in_overlay && !(client_cache_ && client_cache_->access(key));
    return e.value;
  }

 private:
  struct Entry {
    U256 value;
  };
  const StateLayer* pre_ = nullptr;
  StateCache* client_cache_ = nullptr;
  BasicStateMap<Entry> cache_;
};

/// Reads the block's own writes so far (`overlay`: committed, merged or speculated writes) first,
/// then the pre-state through `storage`. Overlay hits are warm reads; pre-state reads are cold
/// or warm as BlockStorage accounts them. Shared by Batch OCC, the optimistic executor,
/// speculation and DAG replay.
struct OverlayReader final : StateReader {
  const StateMap* overlay = nullptr;
  BlockStorage* storage = nullptr;
  std::uint32_t cold = 0, warm = 0;
  bool read(const StateKey& key, U256& value) override {
    if (const U256* v = overlay->find(key)) {
      ++warm;
      value = *v;
      return true;
    }
    bool is_cold = false;
    value = storage->read(key, is_cold);
    ++(is_cold ? cold : warm);
    return true;
  }
};

/// Appends sig-recovery spans (tx i on worker i % threads) and returns when all are done.
double schedule_sig_recovery(std::size_t n_txs, std::uint32_t threads, const CostModel& cost,
                             std::vector<Span>& schedule);

/// The commit of a block whose post-state is `post` (its writes: the updated keys) and whose
/// as-built trie work is `built` (CommitStats of post's root), under `cost`'s trie model:
/// per-task durations (virtual seconds, each with one task overhead) for schedule_commit and
/// the single-worker duration. Nodes are modelled (trie_update.hpp) for the account trie if
/// cost.account_trie_leaves > 0 and for the storage tries if cost.storage_trie_leaves > 0, as
/// built otherwise (trie_node_miss_fraction of them loaded).
struct CommitPlan {
  std::vector<CommitTask> storage;    // one per storage trie re-hashed
  std::array<double, 16> subtries{};  // account subtries (modelled account trie only; 0 = none)
  double root_s = 0;                  // the root node, or the whole as-built account trie
  double serial_s = 0;                // everything as one task on one worker
  std::uint64_t nodes = 0;            // nodes hashed, all tries
  std::uint64_t loaded = 0;           // modelled nodes loaded from the tier
};
CommitPlan plan_commit(const StateLayer& post, const CommitStats& built, const CostModel& cost);

/// Finishes an outcome: credits lazy fees into `delta` (reading the beneficiary through
/// `storage`), builds the post-state layer, computes the root if asked, appends the commit span
/// at `commit_start_s`, sorts the schedule, sets makespan and gas_used.
void finish_outcome(ExecutionOutcome& out, const Block& block, const BlockEnv& env,
                    const std::shared_ptr<const StateLayer>& pre_state, StateMap delta,
                    const U256& lazy_fees, bool any_included, BlockStorage& storage,
                    const ExecutorConfig& cfg, double commit_start_s);

}  // namespace pipesim::execution
