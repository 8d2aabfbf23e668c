// StateCommitment implementations (see the header for the two kinds and their trade-offs).
//
// kMerklePatriciaTrie layout (Yellow Paper section 4.1 and appendix D):
//  - account trie: key Keccak256(address), value RLP[nonce, balance, storage_root, code_hash],
//    nonce and balance as minimal big-endian integers;
//  - storage trie of an account: key Keccak256(slot), value RLP(minimal big-endian value); a zero
//    value is absent.
// Account leaves depend on their storage root, so writes only mark accounts dirty; `root()`
// re-hashes the dirty storage tries, re-encodes the dirty account leaves and re-hashes the account
// trie. Per-account data (fields + storage trie) lives in a persistent 16-ary map keyed by the
// hashed address, so copying a commitment (one per block, per fork) is O(1) like the tries.
//
// kFlatHash: root_N = Keccak256(root_{N-1} || Keccak256(records of block N, sorted)), one record
// per key written since the previous root (last write wins), encoded as
//   0x00 || address                                   account erased (its storage with it)
//   0x01 || address || nonce (8 bytes BE) || balance (32) || code_hash (32)
//   0x02 || address || slot (32) || value (32)
// and ordered by (address, tag, slot). The empty state's root is kEmptyTrieRoot for both kinds.
// It hashes the change history, not the state: identical states reached through different write
// batches give different roots; a root() with no records since the previous one keeps the root.
#include "models/execution/state_commitment.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "models/execution/keccak.hpp"
#include "models/execution/merkle_patricia_trie.hpp"
#include "models/execution/rlp.hpp"

namespace pipesim::execution {

CommitmentKind parse_commitment_kind(std::string_view name) {
  if (name == "mpt") return CommitmentKind::kMerklePatriciaTrie;
  if (name == "flat_hash") return CommitmentKind::kFlatHash;
  throw std::invalid_argument("unknown state commitment kind \"" + std::string(name) +
                              "\" (expected \"mpt\" or \"flat_hash\")");
}

namespace {

// ---- Persistent map: Keccak256(address) -> account data ----
//
// A hash-array-mapped trie: inner nodes have 16 slots indexed by the next nibble of the hashed
// address; a leaf sits at the first depth where its key is alone. Keys are uniformly distributed
// (Keccak outputs), so depth is ~log16(accounts). Nodes are immutable once shared; updates copy the
// path (or modify in place when this map holds the only reference), as in MerklePatriciaTrie.

struct AccountData {
  Address address{};
  AccountFields fields{};
  SecureMerklePatriciaTrie storage;
};

struct MapNode {
  explicit MapNode(bool leaf) : is_leaf(leaf) {}
  bool is_leaf;

 protected:
  ~MapNode() = default;
  MapNode(const MapNode&) = default;
};
using MapNodePtr = std::shared_ptr<MapNode>;

struct MapLeaf : MapNode {
  MapLeaf(const Hash32& k, const Address& a) : MapNode(true), key(k) { data.address = a; }
  Hash32 key;
  AccountData data;
};

struct MapInner : MapNode {
  MapInner() : MapNode(false) {}
  std::array<MapNodePtr, 16> slots;
};

std::uint8_t nibble_at(const Hash32& key, std::size_t depth) {
  const std::uint8_t b = key[depth / 2];
  return depth % 2 == 0 ? b >> 4 : b & 0x0f;
}

template <class T>
std::shared_ptr<T> own_map_node(MapNodePtr&& p) {
  if (p.use_count() == 1) return std::static_pointer_cast<T>(std::move(p));
  return std::make_shared<T>(static_cast<const T&>(*p));
}

class AccountMap {
 public:
  const AccountData* find(const Hash32& key) const {
    const MapNode* n = root_.get();
    for (std::size_t depth = 0; n != nullptr; ++depth) {
      if (n->is_leaf) {
        const auto& leaf = static_cast<const MapLeaf&>(*n);
        return leaf.key == key ? &leaf.data : nullptr;
      }
      n = static_cast<const MapInner&>(*n).slots[nibble_at(key, depth)].get();
    }
    return nullptr;
  }

  /// Writable data of `key`, created (with `address` and default fields) if absent. Valid until
  /// the next call on this map.
  AccountData& upsert(const Hash32& key, const Address& address, bool* created) {
    AccountData* out = nullptr;
    root_ = upsert(std::move(root_), key, address, 0, out, created);
    return *out;
  }

  void erase(const Hash32& key) {
    if (find(key) == nullptr) return;
    root_ = erase(std::move(root_), key, 0);
  }

 private:
  static MapNodePtr upsert(MapNodePtr node, const Hash32& key, const Address& address,
                           std::size_t depth, AccountData*& out, bool* created) {
    if (!node) {
      auto leaf = std::make_shared<MapLeaf>(key, address);
      out = &leaf->data;
      if (created != nullptr) *created = true;
      return leaf;
    }
    if (node->is_leaf) {
      if (static_cast<const MapLeaf&>(*node).key == key) {
        auto leaf = own_map_node<MapLeaf>(std::move(node));
        out = &leaf->data;
        if (created != nullptr) *created = false;
        return leaf;
      }
      // Two keys share the prefix so far: push the existing leaf one level down.
      auto inner = std::make_shared<MapInner>();
      const std::uint8_t slot = nibble_at(static_cast<const MapLeaf&>(*node).key, depth);
      inner->slots[slot] = std::move(node);
      node = std::move(inner);
    }
    auto inner = own_map_node<MapInner>(std::move(node));
    MapNodePtr& slot = inner->slots[nibble_at(key, depth)];
    slot = upsert(std::move(slot), key, address, depth + 1, out, created);
    return inner;
  }

  // `key` is present under `node`.
  static MapNodePtr erase(MapNodePtr node, const Hash32& key, std::size_t depth) {
    if (node->is_leaf) return nullptr;
    auto inner = own_map_node<MapInner>(std::move(node));
    MapNodePtr& slot = inner->slots[nibble_at(key, depth)];
    slot = erase(std::move(slot), key, depth + 1);
    // An inner node left with a single leaf is replaced by that leaf (a leaf may sit at any depth
    // at or below its key's first unique nibble), keeping lookups short after deletions.
    int count = 0;
    MapNodePtr* last = nullptr;
    for (auto& s : inner->slots) {
      if (s) {
        ++count;
        last = &s;
      }
    }
    if (count == 0) return nullptr;
    if (count == 1 && (*last)->is_leaf) return std::move(*last);
    return inner;
  }

  MapNodePtr root_;
};

// RLP of a storage value: the minimal big-endian integer as a string (Yellow Paper eq. 207).
Bytes storage_value_rlp(const Hash32& value) {
  return rlp::encode_string(rlp::trim_leading_zeros(value));
}

// RLP[nonce, balance, storage_root, code_hash] (Yellow Paper section 4.1).
Bytes account_rlp(const AccountFields& f, const Hash32& storage_root) {
  const ByteView balance = rlp::trim_leading_zeros(f.balance);
  Bytes nonce;
  rlp::append_uint(nonce, f.nonce);
  const std::size_t payload = nonce.size() + rlp::string_length(balance) +
                              std::size_t{2} * (1 + 32);  // two 32-byte strings
  Bytes out;
  out.reserve(rlp::list_header_length(payload) + payload);
  rlp::append_list_header(out, payload);
  out.insert(out.end(), nonce.begin(), nonce.end());
  rlp::append_string(out, balance);
  rlp::append_string(out, storage_root);
  rlp::append_string(out, f.code_hash);
  return out;
}

// Flat-hash change record key: (address, tag, slot); see the file comment for the tags.
using FlatKey = std::tuple<Address, std::uint8_t, Hash32>;
constexpr std::uint8_t kTagErase = 0x00;
constexpr std::uint8_t kTagAccount = 0x01;
constexpr std::uint8_t kTagStorage = 0x02;

}  // namespace

struct StateCommitment::Impl {
  CommitmentKind kind;

  // kMerklePatriciaTrie
  AccountMap accounts;              // current account data, keyed by Keccak256(address)
  MerklePatriciaTrie account_trie;  // keyed by Keccak256(address); leaves as of the last root()
  std::vector<Hash32> dirty;        // hashed addresses written since the last root()
  // Keccak256 of the last address written: consecutive writes to one account (its storage
  // slots, in key order as StateLayer applies them) hash its address once (issue 16: the
  // genesis of the mainnet replay writes 33,502 keys of far fewer accounts).
  Address last_address{};
  Hash32 last_key{};
  bool has_last = false;

  const Hash32& hashed(const Address& a) {
    if (!has_last || a != last_address) {
      last_address = a;
      last_key = keccak256(a);
      has_last = true;
    }
    return last_key;
  }
  void mark_dirty(const Hash32& key) {
    if (dirty.empty() || dirty.back() != key) dirty.push_back(key);
  }

  // kFlatHash
  std::map<FlatKey, Bytes> pending;  // record payload after the key, last write wins
  Hash32 flat_root = kEmptyTrieRoot;

  explicit Impl(CommitmentKind k) : kind(k) {}
};

StateCommitment::StateCommitment(CommitmentKind kind) : impl_(std::make_shared<Impl>(kind)) {}
StateCommitment::StateCommitment(const StateCommitment&) = default;
StateCommitment& StateCommitment::operator=(const StateCommitment&) = default;
StateCommitment::StateCommitment(StateCommitment&&) noexcept = default;
StateCommitment& StateCommitment::operator=(StateCommitment&&) noexcept = default;
StateCommitment::~StateCommitment() = default;

CommitmentKind StateCommitment::kind() const {
  return impl_->kind;
}

namespace {
// The Impl to modify: cloned first if another commitment shares it (copy-on-write). The clone is
// O(pending changes): the map and tries inside are shared structurally.
// (A template so that it names the private Impl only through deduction.)
template <class ImplPtr>
typename ImplPtr::element_type& writable(ImplPtr& impl) {
  assert(impl && "use of a moved-from StateCommitment");
  if (impl.use_count() > 1) impl = std::make_shared<typename ImplPtr::element_type>(*impl);
  return *impl;
}
}  // namespace

void StateCommitment::set_account(const Address& address, const AccountFields& fields) {
  Impl& s = writable(impl_);
  if (s.kind == CommitmentKind::kFlatHash) {
    Bytes rec(8 + 32 + 32);
    for (int i = 0; i < 8; ++i)
      rec[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(fields.nonce >> (56 - 8 * i));
    std::copy(fields.balance.begin(), fields.balance.end(), rec.begin() + 8);
    std::copy(fields.code_hash.begin(), fields.code_hash.end(), rec.begin() + 40);
    s.pending[FlatKey{address, kTagAccount, Hash32{}}] = std::move(rec);
    return;
  }
  const Hash32 key = s.hashed(address);
  AccountData& data = s.accounts.upsert(key, address, nullptr);
  data.fields = fields;
  s.mark_dirty(key);
}

void StateCommitment::erase_account(const Address& address) {
  Impl& s = writable(impl_);
  if (s.kind == CommitmentKind::kFlatHash) {
    // Earlier records of this block for the account are superseded by the erasure.
    const auto first = s.pending.lower_bound(FlatKey{address, 0, Hash32{}});
    auto last = first;
    while (last != s.pending.end() && std::get<0>(last->first) == address) ++last;
    s.pending.erase(first, last);
    s.pending[FlatKey{address, kTagErase, Hash32{}}] = Bytes{};
    return;
  }
  const Hash32 key = s.hashed(address);
  s.accounts.erase(key);
  s.mark_dirty(key);
}

void StateCommitment::set_storage(const Address& address, const Hash32& slot, const Hash32& value) {
  Impl& s = writable(impl_);
  if (s.kind == CommitmentKind::kFlatHash) {
    s.pending[FlatKey{address, kTagStorage, slot}] = Bytes(value.begin(), value.end());
    return;
  }
  const Hash32 key = s.hashed(address);
  bool created = false;
  AccountData& data = s.accounts.upsert(key, address, &created);
  // Storage of an account never set: the account exists with nonce 0, balance 0 and no code.
  if (created) data.fields.code_hash = kEmptyCodeHash;
  const Hash32 slot_key = keccak256(slot);
  if (std::all_of(value.begin(), value.end(), [](std::uint8_t b) { return b == 0; })) {
    data.storage.erase_hashed(slot_key);
  } else {
    data.storage.put_hashed(slot_key, storage_value_rlp(value));
  }
  s.mark_dirty(key);
}

Hash32 StateCommitment::root(CommitStats* stats) {
  // Flushes pending work in place even if the Impl is shared: every sharer has the same logical
  // state, so they all want the same root (and benefit from the cached hashes).
  assert(impl_ && "use of a moved-from StateCommitment");
  Impl& s = *impl_;
  std::uint64_t nodes = 0;
  std::vector<std::pair<Hash32, std::uint64_t>> storage_tries;
  Hash32 result;
  if (s.kind == CommitmentKind::kFlatHash) {
    if (!s.pending.empty()) {
      Bytes records;
      records.reserve(s.pending.size() * (1 + 20 + 32 + 32));
      for (const auto& [key, payload] : s.pending) {
        const auto& [address, tag, slot] = key;
        records.push_back(tag);
        records.insert(records.end(), address.begin(), address.end());
        if (tag == kTagStorage) records.insert(records.end(), slot.begin(), slot.end());
        records.insert(records.end(), payload.begin(), payload.end());
      }
      const Hash32 changes = keccak256(records);
      std::array<std::uint8_t, 64> chain;
      std::copy(s.flat_root.begin(), s.flat_root.end(), chain.begin());
      std::copy(changes.begin(), changes.end(), chain.begin() + 32);
      s.flat_root = keccak256(chain);
      nodes = s.pending.size();
      s.pending.clear();
    }
    result = s.flat_root;
  } else {
    std::sort(s.dirty.begin(), s.dirty.end());
    s.dirty.erase(std::unique(s.dirty.begin(), s.dirty.end()), s.dirty.end());
    for (const Hash32& key : s.dirty) {
      const AccountData* data = s.accounts.find(key);
      if (data == nullptr) {
        s.account_trie.erase(key);
      } else {
        std::uint64_t storage_nodes = 0;
        const Hash32 storage_root = data->storage.root_hash(&storage_nodes);
        if (storage_nodes > 0) storage_tries.emplace_back(key, storage_nodes);
        nodes += storage_nodes;
        s.account_trie.put(key, account_rlp(data->fields, storage_root));
      }
    }
    s.dirty.clear();
    result = s.account_trie.root_hash(&nodes);
  }
  if (stats != nullptr) {
    stats->nodes_hashed = nodes;
    stats->storage_tries = std::move(storage_tries);
    stats->nodes_loaded = 0;
  }
  return result;
}

}  // namespace pipesim::execution
