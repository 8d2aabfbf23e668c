#include "models/execution/merkle_patricia_trie.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <span>
#include <utility>

#include "models/execution/keccak.hpp"
#include "models/execution/rlp.hpp"

namespace pipesim::execution {

namespace {

using NibbleView = std::span<const std::uint8_t>;

// Bytes with `N` of them stored inline (no allocation up to N), heap beyond. Copyable; a "move" is
// a copy, which is cheap at these sizes.
template <std::size_t N>
class InlineBytes {
 public:
  InlineBytes() = default;
  explicit InlineBytes(std::size_t n) { resize_discard(n); }
  explicit InlineBytes(std::span<const std::uint8_t> v) { assign(v); }
  InlineBytes(const InlineBytes& o) { assign(o.view()); }
  InlineBytes& operator=(const InlineBytes& o) {
    if (this != &o) assign(o.view());
    return *this;
  }

  std::uint8_t* data() { return heap_ ? heap_.get() : inline_.data(); }
  const std::uint8_t* data() const { return heap_ ? heap_.get() : inline_.data(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::uint8_t operator[](std::size_t i) const { return data()[i]; }
  std::uint8_t& operator[](std::size_t i) { return data()[i]; }
  std::span<const std::uint8_t> view() const { return {data(), size_}; }

  void assign(std::span<const std::uint8_t> v) {
    resize_discard(v.size());
    if (!v.empty()) std::memmove(data(), v.data(), v.size());
  }
  void clear() { size_ = 0; }
  /// Removes the first `k` elements.
  void drop_front(std::size_t k) {
    std::memmove(data(), data() + k, size_ - k);
    size_ -= static_cast<std::uint32_t>(k);
  }

 private:
  void resize_discard(std::size_t n) {
    if (n > capacity_) {
      heap_ = std::make_unique<std::uint8_t[]>(n);
      capacity_ = static_cast<std::uint32_t>(n);
    }
    size_ = static_cast<std::uint32_t>(n);
  }

  std::array<std::uint8_t, N> inline_;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = N;
  std::unique_ptr<std::uint8_t[]> heap_;
};

// One nibble (0..15) per byte; 64 inline hold a whole 32-byte (secure) key.
using Nibbles = InlineBytes<64>;
// Values up to 40 bytes inline: storage values (RLP of a 32-byte word: at most 33 bytes) and
// most test values; account leaves (~70-110 bytes) go to the heap.
using Value = InlineBytes<40>;

enum class Kind : std::uint8_t { kLeaf, kExtension, kBranch };

}  // namespace

struct MerklePatriciaTrie::Node {
  explicit Node(Kind k) : kind(k) {}
  Kind kind;

 protected:
  ~Node() = default;  // destroyed through the concrete type (make_shared records it)
  Node(const Node&) = default;
};

namespace {

using Node = MerklePatriciaTrie::Node;
using NodePtr = std::shared_ptr<Node>;
using Slot = MerklePatriciaTrie::Slot;

struct LeafNode : Node {
  LeafNode(NibbleView p, ByteView v) : Node(Kind::kLeaf), path(p), value(v) {}
  Nibbles path;
  Value value;
};

struct ExtensionNode : Node {
  ExtensionNode(NibbleView p, Slot c) : Node(Kind::kExtension), path(p), child(std::move(c)) {}
  Nibbles path;
  Slot child;  // always a branch
};

struct BranchNode : Node {
  BranchNode() : Node(Kind::kBranch) {}
  std::array<Slot, 16> children;
  Value value;  // empty = no value
};

LeafNode& as_leaf(Node& n) {
  return static_cast<LeafNode&>(n);
}
ExtensionNode& as_ext(Node& n) {
  return static_cast<ExtensionNode&>(n);
}
BranchNode& as_branch(Node& n) {
  return static_cast<BranchNode&>(n);
}

Nibbles to_nibbles(ByteView key) {
  Nibbles out(key.size() * 2);
  for (std::size_t i = 0; i < key.size(); ++i) {
    out[2 * i] = key[i] >> 4;
    out[2 * i + 1] = key[i] & 0x0f;
  }
  return out;
}

std::size_t common_prefix(NibbleView a, NibbleView b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

bool equal(ByteView a, ByteView b) {
  return std::ranges::equal(a, b);
}

bool starts_with(NibbleView key, NibbleView prefix) {
  return key.size() >= prefix.size() && equal(key.first(prefix.size()), prefix);
}

NodePtr make_leaf(NibbleView path, ByteView value) {
  return std::make_shared<LeafNode>(path, value);
}

NodePtr make_extension(NibbleView path, Slot child) {
  return std::make_shared<ExtensionNode>(path, std::move(child));
}

Slot slot_of(NodePtr n) {
  return Slot{std::move(n), 0, {}};
}

// `first` followed by `rest` (prefixing a collapsed child with its branch slot or extension path).
Nibbles concat(NibbleView first, NibbleView rest) {
  Nibbles out(first.size() + rest.size());
  std::copy(first.begin(), first.end(), out.data());
  std::copy(rest.begin(), rest.end(), out.data() + first.size());
  return out;
}

// Updates are written against a `Slot&` that belongs to this trie version (the root slot, or a
// slot of a node this version may modify). The node it points to may be modified in place iff the
// slot holds its only reference (use_count 1): then no other version can reach it. Otherwise the
// recursion runs on a temporary copy of the child slot (so a no-op leaves everything untouched),
// and only if something changed is the node copied (path copying) with the new child. Every
// changed slot has its cached ref cleared.

// Sets key -> value (non-empty) under `slot`. Returns whether anything changed; `inserted` is set
// if the key was new.
bool put_at(Slot& slot, NibbleView key, ByteView value, bool& inserted) {
  if (!slot.node) {
    slot.node = make_leaf(key, value);
    slot.ref_len = 0;
    inserted = true;
    return true;
  }
  const bool unique = slot.node.use_count() == 1;
  Node& n = *slot.node;
  switch (n.kind) {
    case Kind::kLeaf: {
      LeafNode& leaf = as_leaf(n);
      const std::size_t cp = common_prefix(leaf.path.view(), key);
      if (cp == leaf.path.size() && cp == key.size()) {
        if (equal(leaf.value.view(), value)) return false;
        if (unique) {
          leaf.value.assign(value);
        } else {
          slot.node = make_leaf(key, value);
        }
        slot.ref_len = 0;
        return true;
      }
      // Split: a branch at the first differing nibble, under an extension for the shared prefix.
      inserted = true;
      auto branch = std::make_shared<BranchNode>();
      NodePtr keep = slot.node;  // `leaf` stays alive while the slot is rewritten
      if (cp == leaf.path.size()) {
        branch->value = leaf.value;
      } else if (unique) {  // reuse the leaf: drop the shared prefix and the slot nibble
        const std::uint8_t s = leaf.path[cp];
        leaf.path.drop_front(cp + 1);
        branch->children[s] = slot_of(std::move(keep));
      } else {
        branch->children[leaf.path[cp]] =
            slot_of(make_leaf(leaf.path.view().subspan(cp + 1), leaf.value.view()));
      }
      if (cp == key.size()) {
        branch->value.assign(value);
      } else {
        branch->children[key[cp]] = slot_of(make_leaf(key.subspan(cp + 1), value));
      }
      slot.node = cp == 0 ? NodePtr(std::move(branch))
                          : make_extension(key.first(cp), slot_of(std::move(branch)));
      slot.ref_len = 0;
      return true;
    }
    case Kind::kExtension: {
      ExtensionNode& ext = as_ext(n);
      const std::size_t cp = common_prefix(ext.path.view(), key);
      if (cp == ext.path.size()) {
        if (unique) {
          if (!put_at(ext.child, key.subspan(cp), value, inserted)) return false;
        } else {
          Slot child = ext.child;
          if (!put_at(child, key.subspan(cp), value, inserted)) return false;
          slot.node = make_extension(ext.path.view(), std::move(child));
        }
        slot.ref_len = 0;
        return true;
      }
      inserted = true;
      NodePtr keep = slot.node;
      auto branch = std::make_shared<BranchNode>();
      const std::uint8_t s = ext.path[cp];
      if (cp + 1 == ext.path.size()) {
        branch->children[s] = ext.child;  // keeps the child's cached ref
      } else {
        branch->children[s] = slot_of(make_extension(ext.path.view().subspan(cp + 1), ext.child));
      }
      if (cp == key.size()) {
        branch->value.assign(value);
      } else {
        branch->children[key[cp]] = slot_of(make_leaf(key.subspan(cp + 1), value));
      }
      slot.node = cp == 0 ? NodePtr(std::move(branch))
                          : make_extension(key.first(cp), slot_of(std::move(branch)));
      slot.ref_len = 0;
      return true;
    }
    case Kind::kBranch: {
      BranchNode& b = as_branch(n);
      if (key.empty()) {
        if (equal(b.value.view(), value)) return false;
        if (b.value.empty()) inserted = true;
        if (unique) {
          b.value.assign(value);
        } else {
          auto copy = std::make_shared<BranchNode>(b);
          copy->value.assign(value);
          slot.node = std::move(copy);
        }
      } else if (unique) {
        if (!put_at(b.children[key[0]], key.subspan(1), value, inserted)) return false;
      } else {
        Slot child = b.children[key[0]];
        if (!put_at(child, key.subspan(1), value, inserted)) return false;
        auto copy = std::make_shared<BranchNode>(b);
        copy->children[key[0]] = std::move(child);
        slot.node = std::move(copy);
      }
      slot.ref_len = 0;
      return true;
    }
  }
  return false;  // unreachable
}

// `prefix` + the node in `child`, as one node: merges into a leaf or extension child, or becomes
// an extension above a branch child.
NodePtr prefixed(NibbleView prefix, const Slot& child) {
  Node& n = *child.node;
  switch (n.kind) {
    case Kind::kLeaf:
      return make_leaf(concat(prefix, as_leaf(n).path.view()).view(), as_leaf(n).value.view());
    case Kind::kExtension:
      return make_extension(concat(prefix, as_ext(n).path.view()).view(), as_ext(n).child);
    case Kind::kBranch:
      return make_extension(prefix, child);
  }
  return nullptr;  // unreachable
}

// A branch after a removal keeps at least two entries (children or value) or is collapsed into
// its single remaining entry (Yellow Paper appendix D). Returns the replacement, or null to keep.
NodePtr collapse(const BranchNode& b) {
  int count = 0;
  int last = -1;
  for (int i = 0; i < 16; ++i) {
    if (b.children[static_cast<std::size_t>(i)].node) {
      ++count;
      last = i;
    }
  }
  if (count >= 2 || (count == 1 && !b.value.empty())) return nullptr;
  if (count == 0) return make_leaf({}, b.value.view());
  const std::uint8_t s = static_cast<std::uint8_t>(last);
  return prefixed(NibbleView(&s, 1), b.children[s]);
}

// Removes `key` under `slot`; returns whether it was present.
bool erase_at(Slot& slot, NibbleView key) {
  if (!slot.node) return false;
  const bool unique = slot.node.use_count() == 1;
  Node& n = *slot.node;
  switch (n.kind) {
    case Kind::kLeaf:
      if (!equal(as_leaf(n).path.view(), key)) return false;
      slot.node.reset();
      slot.ref_len = 0;
      return true;
    case Kind::kExtension: {
      ExtensionNode& ext = as_ext(n);
      if (!starts_with(key, ext.path.view())) return false;
      const NibbleView rest = key.subspan(ext.path.size());
      NodePtr keep = slot.node;
      if (unique) {
        if (!erase_at(ext.child, rest)) return false;
        if (ext.child.node->kind != Kind::kBranch) slot.node = prefixed(ext.path.view(), ext.child);
      } else {
        Slot child = ext.child;
        if (!erase_at(child, rest)) return false;
        slot.node = child.node->kind == Kind::kBranch ? make_extension(ext.path.view(), child)
                                                      : prefixed(ext.path.view(), child);
      }
      slot.ref_len = 0;
      return true;
    }
    case Kind::kBranch: {
      BranchNode& b = as_branch(n);
      NodePtr keep = slot.node;
      BranchNode* target = &b;
      if (key.empty()) {
        if (b.value.empty()) return false;
        if (!unique) {
          auto copy = std::make_shared<BranchNode>(b);
          target = copy.get();
          slot.node = std::move(copy);
        }
        target->value.clear();
      } else if (unique) {
        if (!erase_at(b.children[key[0]], key.subspan(1))) return false;
      } else {
        Slot child = b.children[key[0]];
        if (!erase_at(child, key.subspan(1))) return false;
        auto copy = std::make_shared<BranchNode>(b);
        copy->children[key[0]] = std::move(child);
        target = copy.get();
        slot.node = std::move(copy);
      }
      if (NodePtr replacement = collapse(*target)) slot.node = std::move(replacement);
      slot.ref_len = 0;
      return true;
    }
  }
  return false;  // unreachable
}

const Value* find(const Slot& root, NibbleView key) {
  Node* n = root.node.get();
  while (n != nullptr) {
    switch (n->kind) {
      case Kind::kLeaf: {
        const LeafNode& l = as_leaf(*n);
        return equal(l.path.view(), key) ? &l.value : nullptr;
      }
      case Kind::kExtension: {
        const ExtensionNode& e = as_ext(*n);
        if (!starts_with(key, e.path.view())) return nullptr;
        key = key.subspan(e.path.size());
        n = e.child.node.get();
        break;
      }
      case Kind::kBranch: {
        const BranchNode& b = as_branch(*n);
        if (key.empty()) return b.value.empty() ? nullptr : &b.value;
        n = b.children[key[0]].node.get();
        key = key.subspan(1);
        break;
      }
    }
  }
  return nullptr;
}

// ---- Encoding (RLP rules of rlp.hpp, written through a raw pointer into a presized buffer) ----

std::size_t hex_prefix_size(std::size_t nibbles) {
  return nibbles / 2 + 1;
}

// Hex-prefix encoding (Yellow Paper appendix C) into `out` (hex_prefix_size bytes).
void hex_prefix(NibbleView path, bool leaf, std::uint8_t* out) {
  const unsigned flag = leaf ? 2 : 0;
  std::size_t i = 0;
  if (path.size() % 2 == 1) {
    *out++ = static_cast<std::uint8_t>((flag + 1) << 4 | path[0]);
    i = 1;
  } else {
    *out++ = static_cast<std::uint8_t>(flag << 4);
  }
  for (; i < path.size(); i += 2) *out++ = static_cast<std::uint8_t>(path[i] << 4 | path[i + 1]);
}

std::uint8_t* put_header(std::uint8_t* p, std::uint8_t short_base, std::size_t len) {
  if (len <= 55) {
    *p++ = static_cast<std::uint8_t>(short_base + len);
    return p;
  }
  std::size_t n = 0;
  for (std::size_t v = len; v != 0; v >>= 8) ++n;
  *p++ = static_cast<std::uint8_t>(short_base + 55 + n);
  for (std::size_t i = n; i-- > 0;) *p++ = static_cast<std::uint8_t>(len >> (8 * i));
  return p;
}

std::uint8_t* put_string(std::uint8_t* p, ByteView s) {
  if (s.size() == 1 && s[0] < 0x80) {
    *p++ = s[0];
    return p;
  }
  p = put_header(p, 0x80, s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

std::size_t ref_size(const Slot& s) {
  return s.ref_len == 32 ? 33 : s.ref_len;
}

std::uint8_t* put_ref(std::uint8_t* p, const Slot& s) {
  if (s.ref_len == 32) *p++ = 0xa0;
  std::memcpy(p, s.ref.data(), s.ref_len);
  return p + s.ref_len;
}

// Computes the refs of dirty slots bottom-up. One scratch buffer serves every node because a node
// is encoded only after all its children's refs are cached in its slots.
class Encoder {
 public:
  std::uint64_t nodes = 0;

  // `s` points to a node and has no cached ref.
  void fill(const Slot& s) {
    Node& n = *s.node;
    switch (n.kind) {
      case Kind::kLeaf: {
        const LeafNode& l = as_leaf(n);
        hp_.resize(hex_prefix_size(l.path.size()));
        hex_prefix(l.path.view(), true, hp_.data());
        const std::size_t payload = rlp::string_length(hp_) + rlp::string_length(l.value.view());
        std::uint8_t* p = start(payload);
        p = put_string(p, hp_);
        put_string(p, l.value.view());
        break;
      }
      case Kind::kExtension: {
        const ExtensionNode& e = as_ext(n);
        if (e.child.ref_len == 0) fill(e.child);
        hp_.resize(hex_prefix_size(e.path.size()));
        hex_prefix(e.path.view(), false, hp_.data());
        std::uint8_t* p = start(rlp::string_length(hp_) + ref_size(e.child));
        p = put_string(p, hp_);
        put_ref(p, e.child);
        break;
      }
      case Kind::kBranch: {
        const BranchNode& b = as_branch(n);
        std::size_t payload = rlp::string_length(b.value.view());
        for (const Slot& c : b.children) {
          if (!c.node) {
            payload += 1;  // empty string 0x80
            continue;
          }
          if (c.ref_len == 0) fill(c);
          payload += ref_size(c);
        }
        std::uint8_t* p = start(payload);
        for (const Slot& c : b.children) {
          if (c.node) {
            p = put_ref(p, c);
          } else {
            *p++ = 0x80;
          }
        }
        put_string(p, b.value.view());
        break;
      }
    }
    ++nodes;
    if (buf_.size() < 32) {
      std::memcpy(s.ref.data(), buf_.data(), buf_.size());
      s.ref_len = static_cast<std::uint8_t>(buf_.size());
    } else {
      s.ref = keccak256(buf_);
      s.ref_len = 32;
    }
  }

 private:
  // Sizes the buffer for a list with `payload` bytes and writes its header.
  std::uint8_t* start(std::size_t payload) {
    buf_.resize(rlp::list_header_length(payload) + payload);
    return put_header(buf_.data(), 0xc0, payload);
  }

  Bytes buf_;
  Bytes hp_;  // hex-prefix encoded path
};

}  // namespace

MerklePatriciaTrie::MerklePatriciaTrie() = default;
MerklePatriciaTrie::MerklePatriciaTrie(const MerklePatriciaTrie&) = default;
MerklePatriciaTrie& MerklePatriciaTrie::operator=(const MerklePatriciaTrie&) = default;
MerklePatriciaTrie::MerklePatriciaTrie(MerklePatriciaTrie&&) noexcept = default;
MerklePatriciaTrie& MerklePatriciaTrie::operator=(MerklePatriciaTrie&&) noexcept = default;
MerklePatriciaTrie::~MerklePatriciaTrie() = default;

void MerklePatriciaTrie::put(ByteView key, ByteView value) {
  if (value.empty()) {
    erase(key);
    return;
  }
  const Nibbles k = to_nibbles(key);
  bool inserted = false;
  put_at(root_, k.view(), value, inserted);
  if (inserted) ++size_;
}

bool MerklePatriciaTrie::erase(ByteView key) {
  const Nibbles k = to_nibbles(key);
  if (!erase_at(root_, k.view())) return false;
  --size_;
  return true;
}

std::optional<Bytes> MerklePatriciaTrie::get(ByteView key) const {
  const Value* v = find(root_, to_nibbles(key).view());
  if (v == nullptr) return std::nullopt;
  return Bytes(v->data(), v->data() + v->size());
}

Hash32 MerklePatriciaTrie::root_hash(std::uint64_t* nodes_hashed) const {
  if (!root_.node) return kEmptyTrieRoot;
  if (root_.ref_len == 0) {
    Encoder enc;
    enc.fill(root_);
    if (nodes_hashed != nullptr) *nodes_hashed += enc.nodes;
  }
  if (root_.ref_len == 32) return root_.ref;
  // A root shorter than 32 bytes is still hashed (only child refs are embedded).
  return keccak256(ByteView(root_.ref.data(), root_.ref_len));
}

void SecureMerklePatriciaTrie::put(ByteView key, ByteView value) {
  trie_.put(keccak256(key), value);
}
bool SecureMerklePatriciaTrie::erase(ByteView key) {
  return trie_.erase(keccak256(key));
}
std::optional<Bytes> SecureMerklePatriciaTrie::get(ByteView key) const {
  return trie_.get(keccak256(key));
}

}  // namespace pipesim::execution
