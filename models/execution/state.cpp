#include "models/execution/state.hpp"

#include <cryptopp/keccak.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>

namespace pipesim::execution {

namespace {

Hash32 keccak_of(std::string_view s) {
  CryptoPP::Keccak_256 h;
  h.Update(reinterpret_cast<const CryptoPP::byte*>(s.data()), s.size());
  Hash32 out{};
  h.Final(out.data());
  return out;
}

}  // namespace

U256 U256::from_be(const Hash32& b) {
  U256 r;
  for (std::size_t i = 0; i < 4; ++i) {
    std::uint64_t v = 0;
    for (std::size_t j = 0; j < 8; ++j) v = (v << 8) | b[8 * (3 - i) + j];
    r.limb[i] = v;
  }
  return r;
}

Hash32 U256::to_be() const {
  Hash32 out{};
  for (std::size_t i = 0; i < 4; ++i) {
    std::uint64_t v = limb[i];
    for (std::size_t j = 8; j-- > 0;) {  // least significant byte last
      out[8 * (3 - i) + j] = static_cast<std::uint8_t>(v & 0xff);
      v >>= 8;
    }
  }
  return out;
}

std::string U256::to_string() const {
  if (is_zero()) return "0";
  U256 v = *this;
  std::string digits;
  while (!v.is_zero()) {
    // Divide by 10 limb by limb (most significant first).
    unsigned __int128 rem = 0;
    for (int i = 3; i >= 0; --i) {
      unsigned __int128 cur = (rem << 64) | v.limb[i];
      v.limb[i] = static_cast<std::uint64_t>(cur / 10);
      rem = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + static_cast<int>(rem)));
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

const Hash32& code_hash(CodeKind kind) {
  static const Hash32 kNoCode = keccak_of("");
  static const Hash32 kErc20 = keccak_of("pipesim:erc20");
  static const Hash32 kPair = keccak_of("pipesim:amm_pair");
  static const Hash32 kNft = keccak_of("pipesim:nft_collection");
  switch (kind) {
    case CodeKind::kErc20:
      return kErc20;
    case CodeKind::kAmmPair:
      return kPair;
    case CodeKind::kNftCollection:
      return kNft;
    case CodeKind::kNone:
      break;
  }
  return kNoCode;
}

std::string StateKey::to_string() const {
  std::string a = to_hex0x(address);
  switch (kind) {
    case KeyKind::kBalance:
      return a + ".balance";
    case KeyKind::kNonce:
      return a + ".nonce";
    case KeyKind::kCode:
      return a + ".code";
    case KeyKind::kStorage:
      break;
  }
  return a + "[" + to_hex0x(slot) + "]";
}

StateBuilder& StateBuilder::set_balance(const Address& a, const U256& v) {
  map_.set(StateKey::balance(a), v);
  return *this;
}
StateBuilder& StateBuilder::set_nonce(const Address& a, std::uint64_t n) {
  map_.set(StateKey::nonce(a), U256{n});
  return *this;
}
StateBuilder& StateBuilder::set_code(const Address& a, CodeKind kind) {
  map_.set(StateKey::code(a), U256{static_cast<std::uint64_t>(kind)});
  return *this;
}
StateBuilder& StateBuilder::set_storage(const Address& a, const Hash32& slot, const U256& v) {
  map_.set(StateKey::storage(a, slot), v);
  return *this;
}
StateBuilder& StateBuilder::set(const StateKey& k, const U256& v) {
  map_.set(k, v);
  return *this;
}

void StateLayer::apply_writes_to_commitment(StateCommitment& c) const {
  // Sorted for determinism of the commitment's internal work (the root itself is
  // order-independent).
  auto entries = writes_.sorted();
  std::vector<Address> accounts;
  for (const auto& [key, value] : entries) {
    if (key.kind == KeyKind::kStorage) {
      c.set_storage(key.address, key.slot, value.to_be());
    } else if (accounts.empty() || accounts.back() != key.address) {
      accounts.push_back(key.address);
    }
  }
  for (const Address& a : accounts) {
    AccountFields f;
    f.nonce = get(StateKey::nonce(a)).low64();
    f.balance = get(StateKey::balance(a)).to_be();
    f.code_hash = code_hash(static_cast<CodeKind>(get(StateKey::code(a)).low64()));
    c.set_account(a, f);
  }
}

StateLayer::Ptr StateLayer::make_base(StateMap state, std::optional<CommitmentKind> commitment) {
  std::shared_ptr<StateLayer> layer(new StateLayer());
  layer->writes_ = std::move(state);
  if (commitment) {
    StateCommitment c(*commitment);
    layer->apply_writes_to_commitment(c);
    layer->root_ = c.root(&layer->commit_stats_);
    layer->commitment_ = std::move(c);
  }
  return layer;
}

StateLayer::Ptr StateLayer::make_child(Ptr parent, StateMap writes, bool update_commitment) {
  if (!parent) throw std::invalid_argument("StateLayer::make_child: null parent");
  std::shared_ptr<StateLayer> layer(new StateLayer());
  layer->depth_ = parent->depth_ + 1;
  layer->writes_ = std::move(writes);
  layer->parent_ = std::move(parent);
  if (update_commitment && layer->parent_->commitment_) {
    StateCommitment c = *layer->parent_->commitment_;
    layer->apply_writes_to_commitment(c);
    layer->root_ = c.root(&layer->commit_stats_);
    layer->commitment_ = std::move(c);
  }
  return layer;
}

std::vector<std::pair<StateKey, U256>> StateLayer::flattened_entries() const {
  std::vector<const StateLayer*> chain;
  for (const StateLayer* l = this; l != nullptr; l = l->parent_.get()) chain.push_back(l);
  StateMap merged(chain.back()->writes_.size());
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    (*it)->writes_.for_each([&](const StateKey& k, const U256& v) { merged.set(k, v); });
  auto out = merged.sorted();
  out.erase(
      std::remove_if(out.begin(), out.end(), [](const auto& e) { return e.second.is_zero(); }),
      out.end());
  return out;
}

StateLayer::Ptr StateLayer::flatten() const {
  std::vector<const StateLayer*> chain;
  for (const StateLayer* l = this; l != nullptr; l = l->parent_.get()) chain.push_back(l);
  std::shared_ptr<StateLayer> layer(new StateLayer());
  layer->writes_ = chain.back()->writes_;
  for (auto it = chain.rbegin() + 1; it != chain.rend(); ++it)
    (*it)->writes_.for_each([&](const StateKey& k, const U256& v) { layer->writes_.set(k, v); });
  layer->commitment_ = commitment_;
  layer->root_ = root_;
  return layer;
}

StateLayer::Ptr StateLayer::rebase(Ptr new_parent) const {
  if (!new_parent) throw std::invalid_argument("StateLayer::rebase: null parent");
  std::shared_ptr<StateLayer> layer(new StateLayer());
  layer->depth_ = new_parent->depth_ + 1;
  layer->parent_ = std::move(new_parent);
  layer->writes_ = writes_;
  layer->commitment_ = commitment_;
  layer->root_ = root_;
  layer->commit_stats_ = commit_stats_;
  return layer;
}

std::pair<std::optional<Hash32>, CommitStats> compute_root(const StateLayer& layer) {
  if (layer.root_) return {layer.root_, CommitStats{}};
  std::vector<const StateLayer*> above;
  const StateLayer* l = &layer;
  while (l != nullptr && !l->commitment_) {
    above.push_back(l);
    l = l->parent_.get();
  }
  if (l == nullptr) return {std::nullopt, CommitStats{}};
  StateCommitment c = *l->commitment_;
  // Apply oldest first; account fields are read through the top layer, which sees the newest
  // values, so applying each layer's key set with top-layer values is equivalent.
  for (auto it = above.rbegin(); it != above.rend(); ++it) {
    auto entries = (*it)->writes_.sorted();
    for (const auto& [key, value] : entries) {
      if (key.kind == KeyKind::kStorage) {
        c.set_storage(key.address, key.slot, layer.get(key).to_be());
      } else {
        AccountFields f;
        f.nonce = layer.get(StateKey::nonce(key.address)).low64();
        f.balance = layer.get(StateKey::balance(key.address)).to_be();
        f.code_hash =
            code_hash(static_cast<CodeKind>(layer.get(StateKey::code(key.address)).low64()));
        c.set_account(key.address, f);
      }
    }
  }
  CommitStats stats;
  Hash32 root = c.root(&stats);
  return {root, stats};
}

}  // namespace pipesim::execution
