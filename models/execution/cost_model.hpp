// Cost model: turns the work an executor does (transactions, gas, state reads and writes by
// storage tier, signatures, trie nodes, scheduler tasks) into virtual seconds on a reference core.
//
// Field names and units match the scenario's `pipeline.cost_model` (sim/scenario.hpp,
// CostModelConfig; docs/scenario.md). All CPU terms are reference-core time (the runtime divides
// them by a node's speed factor); storage latency is not CPU work (io_s reports it separately).
//
// Terms of one execution task (execute_s):
//   tx_fixed_us                      decode, journal, state-transition bookkeeping, receipt
//   + interpretation (interpret_us): with an opcode profile (exact traces), a cost per opcode
//     class (op_ns per instruction, keccak_word_ns, storage_op_ns, call_us, log_us,
//     precompile_us); without one, a cost per transaction kind (native_transfer_us,
//     erc20_call_us, amm_swap_us) and, for approximated mainnet traces, gas x cpu_ns_per_gas
//   + warm reads x warm_read_us      key already in memory (block cache or the client's cache)
//   + cold reads x tier latency      first read in the block of a key in `state_tier`
//   + writes x write_us              journal + cache update per key written
// Parallel executors add, per task, task_overhead_us (fetching a task from the scheduler and
// updating its status: atomics, thread synchronisation) and, per read, mv_read_us (a
// multi-version memory lookup instead of a plain cache hit); validating a read set costs
// task_overhead_us + validate_read_us per read. Sequential pays none of these.
//
// Storage tiers (StorageTier): kMemory (every key in RAM, as the published in-memory benchmarks
// run), kPageCache (the client's database served from the OS page cache) and kDisk (NVMe).
// `memory_cache_bytes` > 0 adds the client's in-memory state cache in front of the tier: an LRU
// by bytes (StateCache below) shared across the blocks an executor runs; a key it holds is warm.
//
// Sources of the constants: see the named presets in cost_model.cpp (cost_model_preset) and
// docs/calibration.md; the defaults are the "pevm-i9-12900k-memory" preset (CPU constants fitted
// by least squares to pevm's published sequential block times, `pipesim calibrate`).
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"

namespace pipesim::execution {

/// Where the keys that are not in memory live. Read latency per tier: kMemory ->
/// memory_read_us, kPageCache -> page_cache_read_us, kDisk -> cold_read_us.
enum class StorageTier : std::uint8_t { kMemory, kPageCache, kDisk };
const char* to_string(StorageTier t);
/// "memory" | "page_cache" | "disk"; nullopt otherwise.
std::optional<StorageTier> parse_storage_tier(std::string_view s);

struct CostModel {
  // CPU per transaction: fitted by `pipesim calibrate` (docs/calibration.md) to pevm's
  // published sequential times (i9-12900K, state in memory; data/calibration), with the
  // opcode-class profiles of the exact EVM traces of the shipped blocks. Mainnet blocks:
  // median |relative error| 14.0 % in sample, 16.7 % leave-one-out. The non-negative fit
  // leaves storage_op_ns, call_us and log_us at 0 (their columns do not lower the error: the
  // per-key cost sits in memory_read_us); warm_read_us and write_us are not fitted (0).
  double tx_fixed_us = 1.061;
  // Gas-proportional interpretation: transactions with neither an opcode profile nor a kind
  // cost (approximated mainnet traces; the gas-only overloads below). Fitted on the 2
  // calibration blocks without exact traces.
  double cpu_ns_per_gas = 0.6816;
  // Opcode classes of an exact trace's OpcodeProfile, grouped so that the calibration data can
  // identify them (docs/calibration.md): op_ns per instruction of arith_stack and per memory
  // word; keccak_word_ns per hashed word; storage_op_ns per SLOAD/SSTORE (cold or warm: the EVM
  // bookkeeping, the state read itself is the tier's read cost); call_us per CALL-family,
  // CREATE and account read (a new frame or an account lookup); log_us per LOG; precompile_us
  // per precompile call.
  double op_ns = 11.23;
  double keccak_word_ns = 184.4;
  double storage_op_ns = 0.0;
  double call_us = 0.0;
  double log_us = 0.0;
  double precompile_us = 22.09;
  // Per transaction kind, for generated transactions (no opcode profile): a native transfer;
  // a token-contract call (ERC-20 transfer/approve/transferFrom, and an NFT mint, which is not
  // calibrated separately); an AMM swap. Fitted to pevm's gigagas blocks (one block each, so
  // exactly: a native transfer then costs ~3.1 us with its reads, the ~3.3 us pevm publishes).
  double native_transfer_us = 0.939;
  double erc20_call_us = 3.615;
  double amm_swap_us = 88.87;
  double write_us = 0.0;
  double warm_read_us = 0.0;
  // Sender recovery (secp256k1 ecrecover ~25-50 us per signature on a current core:
  // go-ethereum's BenchmarkEcrecoverSignature, libsecp256k1), spread over the workers.
  double sig_recover_us = 30.0;
  // Storage.
  StorageTier state_tier = StorageTier::kMemory;
  double memory_read_us = 0.3785;  // fitted (see above)
  double page_cache_read_us = 4.0;
  double cold_read_us = 80.0;  // disk tier: one random NVMe read at queue depth 1
  double disk_iops = 500'000;  // random 4 KiB reads per second the disk sustains
  std::uint64_t memory_cache_bytes = 0;
  bool async_io = false;
  // Parallel overheads (not fitted; orders of magnitude): a scheduler task is a few atomic
  // operations and a status update under contention (~0.1-1 us; pevm spends 1.7 us more on a
  // one-transaction block in parallel than sequentially: 5.5464 vs 3.8133 us for block 46147 in
  // an earlier version of its benches/README.md); a multi-version read is a concurrent hash-map
  // lookup plus a version scan (~0.1 us, several cache misses); validating a read re-does it
  // without the value (~0.05 us).
  double task_overhead_us = 0.5;
  double mv_read_us = 0.1;
  double validate_read_us = 0.05;
  // State commitment: Keccak-256 runs at ~0.5-1 GB/s per core, a ~0.5 KiB branch node plus its
  // RLP encoding ~1 us. Tries as built: half of the updated nodes (the lower levels of each
  // path) are assumed not cached and loaded from the tier first (assumption). The shipped
  // partial tries hash ~1.4 nodes per updated leaf (~20 % of Sequential's block time in memory,
  // ~22 % on disk); a modelled mainnet-sized trie (below) ~5.6. docs/calibration.md ("State
  // commitment share") reports both against the 45-75 % issue 13 cites for production clients
  // on disk. Not tuned to the published share.
  double trie_node_hash_us = 1.0;
  double trie_node_miss_fraction = 0.5;
  // Modelled trie depth (docs/execution.md, "State commitment"). 0 = the tries as built over
  // the state the simulation holds (the as-built count above, trie_node_miss_fraction). > 0: the
  // commit's nodes are counted from the block's updated keys in a trie of that many leaves
  // (trie_update.hpp: ceil(log16 N) branch levels, distinct prefixes per level, plus leaves):
  // account_trie_leaves for the account trie, storage_trie_leaves for each written contract's
  // storage trie. Branch nodes at depth >= trie_cached_levels are loaded from the tier
  // (cold_latency_us) before hashing; the upper levels are in the client's node cache. Default
  // 6 levels (depths 0-5, 1.1 x 10^6 nodes of ~0.5 KiB, ~0.55 GiB): the order of geth's trie
  // clean cache, 15 % (--cache.trie) of its 4,096 MB mainnet --cache (go-ethereum
  // cmd/utils/flags.go); 7 levels would need ~8.5 GiB more. Whole levels (a fraction is dropped).
  double account_trie_leaves = 0;
  double storage_trie_leaves = 0;
  double trie_cached_levels = 6;
  // Parallel commitment (reth's parallel state root: the storage tries of different contracts
  // on different workers, then the account trie): the commit becomes several spans on the
  // executor's workers (trie_update.hpp, schedule_commit); the account trie is split into its
  // 16 subtries when its depth is modelled. false: one commit span on worker 0.
  bool parallel_commitment = false;

  /// CPU microseconds of interpreting `tx` (gas_used as executed), without tx_fixed_us and
  /// without state accesses: opcode classes if tx carries a recorded OpcodeProfile, else the
  /// cost of its kind, else gas_used x cpu_ns_per_gas (approximated traces).
  double interpret_us(const Transaction& tx, std::uint64_t gas_used) const;
  /// Like execute_s/cpu_s below, with the interpretation cost of `tx` (interpret_us) in place
  /// of gas x cpu_ns_per_gas. Every executor charges its transactions through these.
  double execute_s(const Transaction& tx, std::uint64_t gas, std::uint32_t cold_reads,
                   std::uint32_t warm_reads, std::uint32_t writes) const;
  double cpu_s(const Transaction& tx, std::uint64_t gas, std::uint32_t warm_reads,
               std::uint32_t writes) const;
  /// Latency of a first read in the block of a key not held in memory, by state_tier.
  double cold_latency_us() const;
  /// Virtual seconds of one execution (no parallel overhead) of a transaction with no opcode
  /// profile and no kind cost (gas x cpu_ns_per_gas): see the file comment. With
  /// async_io the cold reads overlap (one latency instead of their sum).
  double execute_s(std::uint64_t gas, std::uint32_t cold_reads, std::uint32_t warm_reads,
                   std::uint32_t writes = 0) const;
  /// CPU part of execute_s (everything but the cold-read latency).
  double cpu_s(std::uint64_t gas, std::uint32_t warm_reads, std::uint32_t writes) const;
  /// Extra cost of a task in a parallel executor: task_overhead_us + mv_reads x mv_read_us.
  double parallel_task_s(std::uint32_t mv_reads) const;
  /// Virtual seconds of validating a read set of `reads` keys (task overhead included).
  double validate_s(std::uint32_t reads) const;
  /// Virtual seconds of recovering one transaction's sender.
  double sig_recover_s() const { return sig_recover_us * 1e-6; }
  /// Virtual seconds of updating the commitment: `nodes` trie nodes re-encoded and hashed, a
  /// trie_node_miss_fraction of them loaded from the storage tier first (the path nodes not
  /// cached), plus one task overhead (its measured share of block time: docs/calibration.md).
  double root_s(std::uint64_t nodes) const;
  /// Virtual seconds of `nodes` nodes of an as-built trie (root_s without the task overhead).
  double as_built_nodes_s(std::uint64_t nodes) const;
  /// Virtual seconds of a modelled trie update: `hashed` nodes x trie_node_hash_us plus
  /// `loaded` nodes x the tier's read latency (no task overhead).
  double modelled_nodes_s(std::uint64_t hashed, std::uint64_t loaded) const;
  /// Whether either trie's depth is modelled (account_trie_leaves or storage_trie_leaves > 0).
  bool models_trie_depth() const { return account_trie_leaves > 0 || storage_trie_leaves > 0; }
  /// trie_cached_levels as whole levels (0..64).
  std::uint32_t cached_trie_levels() const;
  /// Cold-read latency part of execute_s (for reporting I/O time).
  double io_s(std::uint32_t cold_reads, std::uint32_t warm_reads) const;
  /// Lower bound on a phase that issues `disk_reads` reads to the disk tier (IOPS limit); zero
  /// for the other tiers.
  double iops_floor_s(std::uint64_t disk_reads) const;
};

/// A numeric key of the cost model (the scenario's pipeline.cost_model keys, `pipesim exec
/// --cost KEY=V`): its name and the field it sets.
struct CostKey {
  const char* name;
  double CostModel::*field;
};
/// Every numeric (double) key of CostModel, in declaration order.
const std::vector<CostKey>& cost_model_numeric_keys();

/// A named preset: hardware + client + storage. Presets: see cost_model_preset_names().
std::optional<CostModel> cost_model_preset(std::string_view name);
std::vector<std::string> cost_model_preset_names();

/// The client's in-memory state cache: LRU by bytes. Each key costs kEntryBytes (32-byte key
/// hash + 32-byte value + ~64 bytes of hash-map and list overhead, the order of geth's fastcache
/// and reth's in-memory caches per entry). Deterministic; not thread-safe.
class StateCache {
 public:
  static constexpr std::uint64_t kEntryBytes = 128;
  explicit StateCache(std::uint64_t capacity_bytes) : capacity_(capacity_bytes) {}
  /// True if `key` is cached (and marks it most recently used); otherwise inserts it (evicting
  /// the least recently used keys beyond the capacity) and returns false.
  bool access(const StateKey& key);
  std::uint64_t capacity_bytes() const { return capacity_; }
  std::size_t size() const { return map_.size(); }

 private:
  std::uint64_t capacity_;
  std::list<StateKey> lru_;  // front = most recent
  std::unordered_map<StateKey, std::list<StateKey>::iterator, StateKeyHash> map_;
};

}  // namespace pipesim::execution
