// State commitment: the state root a block header carries.
//
// Two implementations behind one value-semantics interface (copies are cheap and independent,
// so every unfinalised or speculative block can hold its own commitment, forks included):
//  - kMerklePatriciaTrie: Ethereum's hexary MPT (Yellow Paper appendix D), secure (Keccak-256
//    hashed) keys; account leaf = RLP[nonce, balance, storage_root, code_hash]; one storage trie
//    per account. Roots equal Ethereum's for the same accounts and slots.
//  - kFlatHash: root(N) = Keccak256(root(N-1) || Keccak256(sorted changes of N)). O(changes),
//    detects any divergence between nodes like the MPT does, but is not Ethereum-compatible and
//    supports no inclusion proofs. For huge runs where hashing cost is charged by the cost model
//    anyway.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "models/common/bytes.hpp"

namespace pipesim::execution {

enum class CommitmentKind : std::uint8_t { kMerklePatriciaTrie, kFlatHash };

/// Parses "mpt" | "flat_hash"; throws std::invalid_argument otherwise.
CommitmentKind parse_commitment_kind(std::string_view name);

/// One account's committed fields. `balance` is a big-endian 256-bit word (wei).
struct AccountFields {
  std::uint64_t nonce = 0;
  Hash32 balance{};
  Hash32 code_hash{};  // Keccak256("") for accounts without code (set by the caller)
};

/// Statistics of one `root()` call, for the cost model (trie hashing per updated node).
struct CommitStats {
  std::uint64_t nodes_hashed = 0;  // trie nodes (re)encoded and hashed, or change records hashed
  /// Of nodes_hashed (MPT only): each storage trie re-hashed, as (Keccak256(address), nodes),
  /// ascending by hashed address. The rest of nodes_hashed is the account trie's.
  std::vector<std::pair<Hash32, std::uint64_t>> storage_tries;
  /// Trie nodes loaded from the storage tier before hashing: set by the executors when the
  /// trie depth is modelled (CostModel::account_trie_leaves, storage_trie_leaves); 0 otherwise.
  std::uint64_t nodes_loaded = 0;
};

/// Value-semantics state commitment. Not thread-safe; copies share immutable structure.
class StateCommitment {
 public:
  explicit StateCommitment(CommitmentKind kind = CommitmentKind::kMerklePatriciaTrie);
  StateCommitment(const StateCommitment&);
  StateCommitment& operator=(const StateCommitment&);
  StateCommitment(StateCommitment&&) noexcept;
  StateCommitment& operator=(StateCommitment&&) noexcept;
  ~StateCommitment();

  CommitmentKind kind() const;

  /// Sets an account's fields (creates it if absent).
  void set_account(const Address& address, const AccountFields& fields);
  /// Removes an account and its storage.
  void erase_account(const Address& address);
  /// Sets a storage slot; an all-zero value deletes the slot (Ethereum semantics).
  void set_storage(const Address& address, const Hash32& slot, const Hash32& value);

  /// Current root; recomputes only what changed since the last call. `stats` (optional) receives
  /// the work done by this call.
  Hash32 root(CommitStats* stats = nullptr);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // copy-on-write
};

}  // namespace pipesim::execution
