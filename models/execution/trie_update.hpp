// Modelled state-commitment work: the trie nodes a block's updates re-hash (and load) in a trie
// of a given size, counted from the block's real updated keys, and the commit's schedule on an
// executor's workers (docs/execution.md, "State commitment").
//
// A hexary Merkle Patricia trie of N uniformly hashed keys has its branch nodes at depths
// 0 .. D-1, D = modelled_trie_depth(N) = ceil(log16 N), and its leaves below them. Updating k
// keys re-encodes and re-hashes every branch node on their paths, once per distinct nibble
// prefix (the upper levels are shared), plus the k leaves: count_trie_update(). A client keeps
// the top `cached_levels` levels in memory; a branch node deeper than that is loaded from the
// storage tier before it is re-hashed. Leaves are re-encoded from the block's written values and
// are not loaded. Deterministic: the count depends on the keys only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/common/bytes.hpp"

namespace pipesim::execution {

/// Depth D (branch levels) of a hexary trie of `leaves` leaves: the smallest D >= 0 with
/// 16^D >= leaves (0 for leaves <= 1). Throws std::invalid_argument for a negative or
/// non-finite `leaves`.
std::uint32_t modelled_trie_depth(double leaves);

/// Work of updating some keys of one trie.
struct TrieUpdateWork {
  std::uint64_t nodes = 0;   // nodes re-encoded and hashed: branch nodes + leaves
  std::uint64_t loaded = 0;  // branch nodes at depth >= cached_levels (loaded from the tier)
  friend bool operator==(const TrieUpdateWork&, const TrieUpdateWork&) = default;
};

/// The nodes that updating `hashed_keys` (Keccak-256 trie keys, any order, duplicates counted
/// once) re-hashes in a trie with `depth` branch levels: for each depth d in [0, depth), the
/// number of distinct d-nibble prefixes of the keys (1 at d = 0: the root), plus one leaf per
/// distinct key; `loaded` counts those branch nodes at depths >= `cached_levels`. Empty keys:
/// zero work. For k distinct keys: k + depth <= nodes <= k * (depth + 1).
TrieUpdateWork count_trie_update(std::span<const Hash32> hashed_keys, std::uint32_t depth,
                                 std::uint32_t cached_levels);

/// One task of a parallel commit: its duration (virtual seconds) and the account subtrie
/// (first nibble of the hashed address, 0..15) it feeds, or -1 for none.
struct CommitTask {
  double duration_s = 0;
  int subtrie = -1;
};

/// One span of a commit schedule: `worker` busy from start_s to end_s (seconds after the
/// commit starts).
struct CommitSlot {
  std::uint32_t worker = 0;
  double start_s = 0;
  double end_s = 0;
};

/// List schedule of a parallel commit on `workers` (>= 1) workers, all free at time 0, in the
/// order reth's parallel state root runs it: (1) the storage tries, longest first, each on the
/// earliest-free worker (lowest index on ties); (2) the account subtries (`subtries[j]`, the
/// nodes under the root's child j; zero-duration entries are skipped), longest first, each no
/// earlier than the end of the storage tries of its accounts (CommitTask::subtrie == j; -1
/// waits for all), on the worker where it can start first; (3) `root_s` (the root node; the
/// whole account trie when it is not split) after everything, on the earliest-free worker.
/// Returns the spans in that order (tasks of zero duration included, except empty subtries).
/// Throws std::invalid_argument if workers == 0.
std::vector<CommitSlot> schedule_commit(std::span<const CommitTask> storage,
                                        std::span<const double> subtries, double root_s,
                                        std::uint32_t workers);

}  // namespace pipesim::execution
