// Kernel: the safety checks the pipelines share, one definition each.
//
// no_transaction_committed_twice (docs/faults.md, "What every run reports"): along one honest
// node's committed sequence (HotStuff blocks, DAG anchors, a parachain's included parablocks)
// no transaction id appears twice. Each pipeline walks its own sequence and formats the detail
// with its own names (node, block, anchor, relay block); the duplicate search is here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace pipesim::pipelines {

/// A transaction found a second time in a committed sequence.
struct DuplicateTx {
  std::uint64_t tx = 0;              // the transaction id (the workload's arrival id)
  std::uint64_t position = 0;        // position of the entry that commits it again
  std::uint64_t first_position = 0;  // position of the entry that committed it first (may equal)
};

/// Finds the first transaction committed twice in a sequence of committed entries, fed in
/// commit order as (position, transaction ids). The position is the caller's label of the entry
/// (a block height, an anchor index, a relay block number); it is only reported back. Memory:
/// one hash-map entry per distinct transaction seen. One finder per sequence (per node, per
/// parachain).
class DuplicateTxFinder {
 public:
  /// Adds the next entry. Returns the first duplicate of the sequence so far (a transaction
  /// already seen in an earlier entry or earlier in this one), or nullopt. Once a duplicate is
  /// found it sticks: later calls return it and record nothing more.
  std::optional<DuplicateTx> add(std::uint64_t position, std::span<const std::uint64_t> txs);

  /// The first duplicate found so far, or nullopt.
  const std::optional<DuplicateTx>& first() const { return first_dup_; }

  /// Distinct transactions seen so far.
  std::size_t size() const { return first_seen_.size(); }

 private:
  std::unordered_map<std::uint64_t, std::uint64_t> first_seen_;  // tx id -> first position
  std::optional<DuplicateTx> first_dup_;
};

/// One committed entry for first_duplicate_in_prefixes: its position label and transaction ids.
struct CommittedEntry {
  std::uint64_t position = 0;
  std::span<const std::uint64_t> txs;
};

/// A duplicate found by first_duplicate_in_prefixes: the sequence that holds it (index into
/// `lengths`), the entry of the longest sequence where it is found, and the duplicate.
struct PrefixDuplicate {
  std::size_t sequence = 0;
  std::size_t entry = 0;
  DuplicateTx dup;
};

/// The no-duplicate check over several committed sequences that are all prefixes of one longest
/// sequence (e.g. honest nodes' committed chains once committed_chains_are_prefixes holds), with
/// one DuplicateTxFinder pass over the longest instead of one per sequence. The first duplicate
/// along a sequence depends only on the sequence up to it, so a prefix of length L holds one iff
/// L exceeds the entry index where the longest sequence's first duplicate is found, and then it
/// is the same duplicate. Returns the first sequence in `lengths` order that holds one (as the
/// per-sequence walk in that order would), or nullopt. `entry(k)` is the longest sequence's
/// entry k (k < max of `lengths`), nullopt to skip an entry (it is skipped in every sequence).
std::optional<PrefixDuplicate> first_duplicate_in_prefixes(
    const std::vector<std::size_t>& lengths,
    const std::function<std::optional<CommittedEntry>(std::size_t)>& entry);

}  // namespace pipesim::pipelines
