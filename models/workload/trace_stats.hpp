// Access-trace blocks (transactions with per-key read/write sets that say which keys are exact
// and which are derived) and their conflict analysis: per-transaction dependencies on earlier
// transactions (RAW, WAW, WAR), dependency chains, and per-block statistics.
//
// The conflict analysis is generic (it takes per-transaction key lists), so the executors'
// AccessLists (execution::ExecutionOutcome::read_sets / write_sets) and the traces of
// eth_mainnet.hpp / eth_bal.hpp go through the same function.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"

namespace pipesim::workload {

/// Whether a key of an access set is known from the data (exact) or assigned by a documented
/// rule (derived). Each loader's header says which of its keys are which.
enum class KeyOrigin : std::uint8_t { kExact = 0, kDerived = 1 };
const char* to_string(KeyOrigin origin);

struct TracedKey {
  execution::StateKey key;
  KeyOrigin origin = KeyOrigin::kExact;
};

/// One replayable transaction: `tx` (kind kAccessTrace, ready for the executors) plus its full
/// access sets with per-key origin. `reads`/`writes` list every key once, in a deterministic
/// order; they include the keys the VM touches by itself for every transaction (sender nonce and
/// balance, the beneficiary's fee credit), which are not repeated in tx.trace.
struct TracedTx {
  execution::Transaction tx;
  std::uint32_t index = 0;  // position in its recorded block
  std::vector<TracedKey> reads;
  std::vector<TracedKey> writes;
  bool gas_exact = false;  // tx.trace->gas_used is the recorded gas (else an estimate)
};

/// A block of traced transactions with its recorded header fields.
struct TracedBlock {
  std::uint64_t number = 0;
  Address beneficiary{};                // fee recipient (recorded, or inferred: see the loader)
  std::uint64_t gas_limit = 0;          // recorded block gas limit (0 if unknown)
  std::uint64_t recorded_gas_used = 0;  // recorded block gas used (0 if unknown)
  std::uint64_t timestamp = 0;          // unix seconds (0 if unknown)
  std::vector<TracedTx> txs;

  /// The executable block: `txs[i].tx` in order, beneficiary, gas limit (the recorded one, or
  /// the sum of the transactions' gas limits if unknown).
  execution::Block to_block() const;
  /// Sum of the transactions' trace gas (estimated or recorded).
  std::uint64_t trace_gas() const;
};

/// Result of analyse_conflicts for one block of n transactions.
struct ConflictAnalysis {
  /// deps[i]: indices j < i that transaction i conflicts with (j writes a key i reads = RAW,
  /// j writes a key i writes = WAW, j reads a key i writes = WAR), ascending, no duplicates.
  std::vector<std::vector<std::uint32_t>> deps;
  /// chain[i]: number of transactions on the longest dependency chain ending at i (1 if i has
  /// no dependency).
  std::vector<std::uint32_t> chain;
  std::uint32_t independent = 0;        // transactions with no dependency
  std::uint32_t longest_chain = 0;      // max chain[i] (0 for an empty block)
  std::uint64_t conflicting_pairs = 0;  // sum of deps[i].size()

  std::size_t size() const { return deps.size(); }
  /// independent / n (1 for an empty block).
  double independent_fraction() const;
  /// longest_chain / n (0 for an empty block).
  double chain_ratio() const;
  /// conflicting_pairs / (n (n - 1) / 2): the fraction of transaction pairs that conflict
  /// (0 for fewer than two transactions).
  double conflict_rate() const;
};

/// Options of the conflict analysis.
struct ConflictOptions {
  /// Keys to leave out (e.g. the beneficiary's balance: every transaction credits the fee
  /// recipient, which clients handle outside the conflict detection; Block-STM/reth/Monad all
  /// special-case it). Sorted or not; compared exactly.
  std::vector<execution::StateKey> ignore;
};

/// Conflict analysis of n transactions given per-transaction read and write key lists
/// (read_sets.size() == write_sets.size() == n; a key may repeat within a list). O(total keys
/// x log). Throws std::invalid_argument if the sizes differ.
ConflictAnalysis analyse_conflicts(std::span<const std::vector<execution::StateKey>> read_sets,
                                   std::span<const std::vector<execution::StateKey>> write_sets,
                                   const ConflictOptions& opts = {});
/// The same on an executor's access lists (ExecutionOutcome::read_sets / write_sets).
ConflictAnalysis analyse_conflicts(const execution::AccessLists& read_sets,
                                   const execution::AccessLists& write_sets,
                                   const ConflictOptions& opts = {});
/// The same on a traced block; by default the beneficiary's balance is ignored
/// (`ignore_beneficiary`).
ConflictAnalysis analyse_conflicts(const TracedBlock& block, bool ignore_beneficiary = true);

/// Per-block statistics of a traced block (one row of `pipesim trace-stats`).
struct BlockStats {
  std::uint64_t number = 0;
  std::uint32_t txs = 0;
  std::uint64_t gas = 0;           // trace gas (sum of the transactions' gas)
  std::uint64_t recorded_gas = 0;  // the block's recorded gas used (0 if unknown)
  double independent_fraction = 1;
  std::uint32_t longest_chain = 0;
  double chain_ratio = 0;    // longest chain / txs
  double conflict_rate = 0;  // conflicting pairs / all pairs
  std::uint64_t read_keys_exact = 0, read_keys_derived = 0;
  std::uint64_t write_keys_exact = 0, write_keys_derived = 0;
  std::uint32_t txs_gas_exact = 0;  // transactions whose gas is recorded, not estimated
};

BlockStats block_stats(const TracedBlock& block, bool ignore_beneficiary = true);

// ---- Data files ---------------------------------------------------------------------------

/// The data/ folder: $PIPESIM_DATA_DIR if set and non-empty, else the build-time default
/// (compile definition PIPESIM_DATA_DIR = <source>/data), else "data" (same convention as
/// sim/scenario.cpp).
std::string data_dir();

/// Whole contents of `path`, or of `path`.gz if `path` does not exist (gzip, read with zlib; a
/// plain file is read as is). Throws std::runtime_error naming the path if neither can be read.
std::string read_data_file(const std::string& path);

}  // namespace pipesim::workload
