#include "models/execution/merkle_patricia_trie.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <span>

#include "models/execution/keccak.hpp"
#include "models/execution/rlp.hpp"

namespace pipesim::execution {

namespace {

using NibbleView = std::span<const std::uint8_t>;

// A nibble path (one nibble 0..15 per byte) with 64 nibbles inline, enough for a 32-byte (secure)
// key, so trie nodes of Ethereum tries never allocate for their path. Longer paths go to the heap.
class Nibbles {
 public:
  static constexpr std::size_t kInline = 64;

  Nibbles() = default;
  explicit Nibbles(std::size_t n) { resize_discard(n); }
  explicit Nibbles(NibbleView v) { assign(v); }
  Nibbles(const Nibbles& o) { assign(o.view()); }
  Nibbles& operator=(const Nibbles& o) {
    if (this != &o) assign(o.view());
    return *this;
  }

  std::uint8_t* data() { return heap_ ? heap_.get() : inline_.data(); }
  const std::uint8_t* data() const { return heap_ ? heap_.get() : inline_.data(); }
  std::size_t size() const { return size_; }
  std::uint8_t operator[](std::size_t i) const { return data()[i]; }
  std::uint8_t& operator[](std::size_t i) { return data()[i]; }
  NibbleView view() const { return {data(), size_}; }

  void assign(NibbleView v) {
    resize_discard(v.size());
    if (!v.empty()) std::memmove(data(), v.data(), v.size());
  }
  /// Removes the first `k` nibbles.
  void drop_front(std::size_t k) {
    std::memmove(data(), data() + k, size_ - k);
    size_ -= k;
  }

 private:
  void resize_discard(std::size_t n) {
    if (n > capacity_) {
      heap_ = std::make_unique<std::uint8_t[]>(n);
      capacity_ = n;
    }
    size_ = n;
  }

  std::array<std::uint8_t, kInline> inline_;
  std::unique_ptr<std::uint8_t[]> heap_;
  std::size_t size_ = 0;
  std::size_t capacity_ = kInline;
};

enum class Kind : std::uint8_t { kLeaf, kExtension, kBranch };

NibbleView view(const Nibbles& n) {
  return n.view();
}

}  // namespace

struct MerklePatriciaTrie::Node {
  explicit Node(Kind k) : kind(k) {}
  Kind kind;
  // Cached ref (see the header): 0 = not computed; 1..31 = embedded RLP in ref[0..len);
  // 32 = ref holds Keccak256(RLP). Cleared whenever the node is modified.
  mutable std::uint8_t ref_len = 0;
  mutable std::array<std::uint8_t, 32> ref{};

 protected:
  ~Node() = default;  // destroyed through the concrete type (make_shared records it)
  Node(const Node&) = default;
};

namespace {

using Node = MerklePatriciaTrie::Node;
using NodePtr = std::shared_ptr<Node>;

struct LeafNode : Node {
  LeafNode(NibbleView p, ByteView v) : Node(Kind::kLeaf), path(p), value(v.begin(), v.end()) {}
  Nibbles path;
  Bytes value;
};

struct ExtensionNode : Node {
  ExtensionNode(NibbleView p, NodePtr c) : Node(Kind::kExtension), path(p), child(std::move(c)) {}
  Nibbles path;
  NodePtr child;  // always a branch
};

struct BranchNode : Node {
  BranchNode() : Node(Kind::kBranch) {}
  std::array<NodePtr, 16> children;
  Bytes value;  // empty = no value
};

const LeafNode& as_leaf(const Node& n) {
  return static_cast<const LeafNode&>(n);
}
const ExtensionNode& as_ext(const Node& n) {
  return static_cast<const ExtensionNode&>(n);
}
const BranchNode& as_branch(const Node& n) {
  return static_cast<const BranchNode&>(n);
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

NodePtr make_leaf(NibbleView path, ByteView value) {
  return std::make_shared<LeafNode>(path, value);
}

NodePtr make_extension(NibbleView path, NodePtr child) {
  return std::make_shared<ExtensionNode>(path, std::move(child));
}

// `first` followed by `rest` (prefixing a collapsed child with its branch slot or extension path).
Nibbles concat(NibbleView first, NibbleView rest) {
  Nibbles out(first.size() + rest.size());
  std::copy(first.begin(), first.end(), out.data());
  std::copy(rest.begin(), rest.end(), out.data() + first.size());
  return out;
}

// Writable access to `p` for an update: `p` itself if this is its only reference (nobody else can
// observe the change), else a copy (path copying). Either way the cached ref is cleared.
template <class T>
std::shared_ptr<T> own(NodePtr&& p) {
  if (p.use_count() == 1) {
    p->ref_len = 0;
    return std::static_pointer_cast<T>(std::move(p));
  }
  auto copy = std::make_shared<T>(static_cast<const T&>(*p));
  copy->ref_len = 0;
  return copy;
}

// The trie under `node` with key -> value set (`value` non-empty). Children are moved out of owned
// parents so that uniqueness propagates down the path: a node reached through a shared ancestor
// always has use_count >= 2 and is copied, never modified.
NodePtr insert(NodePtr node, NibbleView key, ByteView value) {
  if (!node) return make_leaf(key, value);
  switch (node->kind) {
    case Kind::kLeaf: {
      const LeafNode& leaf = as_leaf(*node);
      const std::size_t cp = common_prefix(view(leaf.path), key);
      if (cp == leaf.path.size() && cp == key.size()) {
        auto l = own<LeafNode>(std::move(node));
        l->value.assign(value.begin(), value.end());
        return l;
      }
      // Split: a branch at the first differing nibble, under an extension for the shared prefix.
      auto branch = std::make_shared<BranchNode>();
      if (cp == leaf.path.size()) {
        branch->value = leaf.value;
      } else {
        const std::uint8_t slot = leaf.path[cp];
        if (node.use_count() == 1) {  // reuse the leaf: drop the prefix and the slot nibble
          auto l = own<LeafNode>(std::move(node));
          l->path.drop_front(cp + 1);
          branch->children[slot] = std::move(l);
        } else {
          branch->children[slot] = make_leaf(view(leaf.path).subspan(cp + 1), leaf.value);
        }
      }
      if (cp == key.size()) {
        branch->value.assign(value.begin(), value.end());
      } else {
        branch->children[key[cp]] = make_leaf(key.subspan(cp + 1), value);
      }
      if (cp == 0) return branch;
      return make_extension(key.first(cp), std::move(branch));
    }
    case Kind::kExtension: {
      const ExtensionNode& ext = as_ext(*node);
      const std::size_t cp = common_prefix(view(ext.path), key);
      if (cp == ext.path.size()) {
        auto e = own<ExtensionNode>(std::move(node));
        e->child = insert(std::move(e->child), key.subspan(cp), value);
        return e;
      }
      auto branch = std::make_shared<BranchNode>();
      const std::uint8_t slot = ext.path[cp];
      if (cp + 1 == ext.path.size()) {
        branch->children[slot] = ext.child;
      } else {
        branch->children[slot] = make_extension(view(ext.path).subspan(cp + 1), ext.child);
      }
      if (cp == key.size()) {
        branch->value.assign(value.begin(), value.end());
      } else {
        branch->children[key[cp]] = make_leaf(key.subspan(cp + 1), value);
      }
      if (cp == 0) return branch;
      return make_extension(key.first(cp), std::move(branch));
    }
    case Kind::kBranch: {
      auto b = own<BranchNode>(std::move(node));
      if (key.empty()) {
        b->value.assign(value.begin(), value.end());
      } else {
        NodePtr& slot = b->children[key[0]];
        slot = insert(std::move(slot), key.subspan(1), value);
      }
      return b;
    }
  }
  return node;  // unreachable
}

// `prefix` + the node `child`, as one node: merges into a leaf or extension child, or becomes an
// extension above a branch child.
NodePtr prefixed(NibbleView prefix, NodePtr child) {
  switch (child->kind) {
    case Kind::kLeaf: {
      const LeafNode& l = as_leaf(*child);
      return make_leaf(view(concat(prefix, view(l.path))), l.value);
    }
    case Kind::kExtension: {
      const ExtensionNode& e = as_ext(*child);
      return make_extension(view(concat(prefix, view(e.path))), e.child);
    }
    case Kind::kBranch:
      return make_extension(prefix, std::move(child));
  }
  return child;  // unreachable
}

// A branch after a removal: kept if it still has two entries (children or value), else collapsed
// into the single remaining entry (Yellow Paper appendix D: branches have at least two entries).
NodePtr normalize(std::shared_ptr<BranchNode> b) {
  int count = 0;
  int last = -1;
  for (int i = 0; i < 16; ++i) {
    if (b->children[static_cast<std::size_t>(i)]) {
      ++count;
      last = i;
    }
  }
  if (count >= 2 || (count == 1 && !b->value.empty())) return b;
  if (count == 0) return make_leaf({}, b->value);
  const std::uint8_t slot = static_cast<std::uint8_t>(last);
  return prefixed(NibbleView(&slot, 1), std::move(b->children[slot]));
}

// The trie under `node` without `key`, which must be present.
NodePtr remove(NodePtr node, NibbleView key) {
  assert(node);
  switch (node->kind) {
    case Kind::kLeaf:
      return nullptr;
    case Kind::kExtension: {
      auto e = own<ExtensionNode>(std::move(node));
      NodePtr child = remove(std::move(e->child), key.subspan(e->path.size()));
      if (child->kind == Kind::kBranch) {
        e->child = std::move(child);
        return e;
      }
      return prefixed(view(e->path), std::move(child));
    }
    case Kind::kBranch: {
      auto b = own<BranchNode>(std::move(node));
      if (key.empty()) {
        b->value.clear();
      } else {
        NodePtr& slot = b->children[key[0]];
        slot = remove(std::move(slot), key.subspan(1));
      }
      return normalize(std::move(b));
    }
  }
  return node;  // unreachable
}

const Bytes* find(const Node* n, NibbleView key) {
  while (n != nullptr) {
    switch (n->kind) {
      case Kind::kLeaf: {
        const LeafNode& l = as_leaf(*n);
        return std::ranges::equal(l.path.view(), key) ? &l.value : nullptr;
      }
      case Kind::kExtension: {
        const ExtensionNode& e = as_ext(*n);
        if (key.size() < e.path.size() ||
            !std::ranges::equal(e.path.view(), key.first(e.path.size()))) {
          return nullptr;
        }
        key = key.subspan(e.path.size());
        n = e.child.get();
        break;
      }
      case Kind::kBranch: {
        const BranchNode& b = as_branch(*n);
        if (key.empty()) return b.value.empty() ? nullptr : &b.value;
        n = b.children[key[0]].get();
        key = key.subspan(1);
        break;
      }
    }
  }
  return nullptr;
}

void hex_prefix(NibbleView path, bool leaf, Bytes& out) {
  const std::uint8_t flag = leaf ? 2 : 0;
  out.clear();
  std::size_t i = 0;
  if (path.size() % 2 == 1) {
    out.push_back(static_cast<std::uint8_t>((flag + 1) << 4 | path[0]));
    i = 1;
  } else {
    out.push_back(static_cast<std::uint8_t>(flag << 4));
  }
  for (; i < path.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(path[i] << 4 | path[i + 1]));
}

// Computes and caches node refs bottom-up. One scratch buffer serves every node because a node is
// encoded only after all its children's refs are cached.
class Encoder {
 public:
  std::uint64_t nodes = 0;

  void ensure_ref(const Node& n) {
    if (n.ref_len != 0) return;
    switch (n.kind) {
      case Kind::kLeaf:
        encode_leaf(as_leaf(n));
        break;
      case Kind::kExtension:
        encode_extension(as_ext(n));
        break;
      case Kind::kBranch:
        encode_branch(as_branch(n));
        break;
    }
    finish(n);
  }

 private:
  static std::size_t ref_size(const Node& child) {
    return child.ref_len == 32 ? 33 : child.ref_len;  // hash: 0xa0 + 32 bytes; else embedded RLP
  }

  void append_ref(const Node& child) {
    if (child.ref_len == 32) buf_.push_back(0xa0);
    buf_.insert(buf_.end(), child.ref.begin(), child.ref.begin() + child.ref_len);
  }

  void encode_leaf(const LeafNode& l) {
    hex_prefix(view(l.path), true, hp_);
    buf_.clear();
    rlp::append_list_header(buf_, rlp::string_length(hp_) + rlp::string_length(l.value));
    rlp::append_string(buf_, hp_);
    rlp::append_string(buf_, l.value);
  }

  void encode_extension(const ExtensionNode& e) {
    ensure_ref(*e.child);
    hex_prefix(view(e.path), false, hp_);
    buf_.clear();
    rlp::append_list_header(buf_, rlp::string_length(hp_) + ref_size(*e.child));
    rlp::append_string(buf_, hp_);
    append_ref(*e.child);
  }

  void encode_branch(const BranchNode& b) {
    std::size_t payload = rlp::string_length(b.value);
    for (const auto& c : b.children) {
      if (c) {
        ensure_ref(*c);
        payload += ref_size(*c);
      } else {
        payload += 1;  // empty string 0x80
      }
    }
    buf_.clear();
    rlp::append_list_header(buf_, payload);
    for (const auto& c : b.children) {
      if (c) {
        append_ref(*c);
      } else {
        buf_.push_back(0x80);
      }
    }
    rlp::append_string(buf_, b.value);
  }

  void finish(const Node& n) {
    ++nodes;
    if (buf_.size() < 32) {
      std::memcpy(n.ref.data(), buf_.data(), buf_.size());
      n.ref_len = static_cast<std::uint8_t>(buf_.size());
    } else {
      n.ref = keccak256(buf_);
      n.ref_len = 32;
    }
  }

  Bytes buf_;
  Bytes hp_;  // hex-prefix encoded path (Yellow Paper appendix C), reused
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
  const Bytes* existing = find(root_.get(), view(k));
  if (existing != nullptr && equal(*existing, value)) return;
  if (existing == nullptr) ++size_;
  root_ = insert(std::move(root_), view(k), value);
}

bool MerklePatriciaTrie::erase(ByteView key) {
  const Nibbles k = to_nibbles(key);
  if (find(root_.get(), view(k)) == nullptr) return false;
  root_ = remove(std::move(root_), view(k));
  --size_;
  return true;
}

std::optional<Bytes> MerklePatriciaTrie::get(ByteView key) const {
  const Bytes* v = find(root_.get(), view(to_nibbles(key)));
  if (v == nullptr) return std::nullopt;
  return *v;
}

Hash32 MerklePatriciaTrie::root_hash(std::uint64_t* nodes_hashed) const {
  if (!root_) return kEmptyTrieRoot;
  Encoder enc;
  enc.ensure_ref(*root_);
  if (nodes_hashed != nullptr) *nodes_hashed += enc.nodes;
  if (root_->ref_len == 32) return root_->ref;
  // A root shorter than 32 bytes is still hashed (only child refs are embedded).
  return keccak256(ByteView(root_->ref.data(), root_->ref_len));
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
