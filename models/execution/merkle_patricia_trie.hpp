// Hexary Merkle Patricia Trie, Yellow Paper appendix D (hex-prefix encoding: appendix C).
//
// Keys are byte strings walked as nibbles (high nibble first). Nodes:
//  - leaf      RLP[HP(path, leaf=true),  value]
//  - extension RLP[HP(path, leaf=false), ref(child)]
//  - branch    RLP[ref(child_0), ..., ref(child_15), value]   (absent child / value: empty string)
// where ref(n) = RLP(n) itself if it is shorter than 32 bytes (embedded), else Keccak256(RLP(n)).
// The root hash is Keccak256(RLP(root)) whatever its size; the empty trie's root is
// Keccak256(RLP("")) = kEmptyTrieRoot.
//
// Persistence: nodes are immutable once shared. A copy of a trie is O(1) (it shares the root);
// an update copies only the path from the root to the changed key (path copying), so tries of
// different blocks and forks share all unchanged nodes. Nodes that only this trie references are
// updated in place (no allocation) — safe because nobody else can observe them.
//
// Incremental hashing: every reference to a node (a parent's child slot, or the trie's root slot)
// caches that node's ref once computed; an update clears the caches along its path only, so
// `root_hash()` re-encodes just the paths changed since the last call, and encoding a branch reads
// its 16 child refs from the branch itself without touching the children.
//
// Memory: a branch holds 16 slots (~0.9 KB), a leaf with a 32-byte key ~0.2 KB; a trie of 1M
// random 32-byte keys takes ~0.55 GB (bench/mpt_bench).
//
// Not thread-safe: even `root_hash()` (const) fills node caches, and caches of nodes shared with
// copies of the trie. Confine a trie and all its copies to one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "models/common/bytes.hpp"

namespace pipesim::execution {

/// Keccak256(RLP("")) = Keccak256(0x80): the root of an empty trie (Yellow Paper appendix D).
inline constexpr Hash32 kEmptyTrieRoot = {
    0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6, 0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
    0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0, 0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21};

/// Plain (non-secure) trie: keys are used as given. Values must be non-empty; putting an empty
/// value erases the key (as Ethereum's tries do, where an empty value means absence).
class MerklePatriciaTrie {
 public:
  struct Node;  // defined in the .cpp
  /// Implementation detail: a reference to a node with the node's cached ref (`ref_len` 0 = not
  /// computed; 1..31 = embedded RLP in ref[0..ref_len); 32 = Keccak256 of the RLP).
  struct Slot {
    std::shared_ptr<Node> node;
    mutable std::uint8_t ref_len = 0;
    mutable std::array<std::uint8_t, 32> ref{};
  };

  MerklePatriciaTrie();
  MerklePatriciaTrie(const MerklePatriciaTrie&);  // O(1)
  MerklePatriciaTrie& operator=(const MerklePatriciaTrie&);
  MerklePatriciaTrie(MerklePatriciaTrie&&) noexcept;
  MerklePatriciaTrie& operator=(MerklePatriciaTrie&&) noexcept;
  ~MerklePatriciaTrie();

  /// Inserts or replaces; an empty `value` erases `key`. Putting the value a key already has is a
  /// no-op (no node copied, no cache cleared). One descent from the root; allocates only new or
  /// path-copied nodes.
  void put(ByteView key, ByteView value);
  /// Removes `key`, collapsing branches left with one entry; returns false if it was absent.
  bool erase(ByteView key);
  /// The value under `key`, or nullopt.
  std::optional<Bytes> get(ByteView key) const;

  /// Number of keys.
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// Keccak-256 root. Re-encodes only the nodes changed since the last call (on this trie or a
  /// copy sharing them); adds the number of nodes (re)encoded — embedded ones included — to
  /// `*nodes_hashed` if given.
  Hash32 root_hash(std::uint64_t* nodes_hashed = nullptr) const;

 private:
  Slot root_;
  std::size_t size_ = 0;
};

/// Secure trie: every key is replaced by Keccak256(key) before insertion, as in Ethereum's state
/// and storage tries (Yellow Paper section 4.1). Same semantics and costs as MerklePatriciaTrie;
/// each operation hashes its key once.
class SecureMerklePatriciaTrie {
 public:
  void put(ByteView key, ByteView value);
  bool erase(ByteView key);
  std::optional<Bytes> get(ByteView key) const;
  /// The same with a key already hashed (callers that keep Keccak256(key) around).
  void put_hashed(const Hash32& hashed_key, ByteView value) { trie_.put(hashed_key, value); }
  bool erase_hashed(const Hash32& hashed_key) { return trie_.erase(hashed_key); }

  std::size_t size() const { return trie_.size(); }
  bool empty() const { return trie_.empty(); }
  Hash32 root_hash(std::uint64_t* nodes_hashed = nullptr) const {
    return trie_.root_hash(nodes_hashed);
  }

 private:
  MerklePatriciaTrie trie_;
};

}  // namespace pipesim::execution
