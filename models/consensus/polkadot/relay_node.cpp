#include "models/consensus/polkadot/relay_node.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "models/consensus/polkadot/relay_chain.hpp"

namespace pipesim::consensus::polkadot {

RelayChainNode::RelayChainNode(RelayNodeConfig config, NodeId self) : config_(config), self_(self) {
  if (config.relay_validators == 0 || config.relay_validators > config.nodes ||
      self >= config.nodes || !(config.slot_s > 0.0) || config.bitfield_delay_s < 0.0) {
    throw std::invalid_argument(
        "RelayChainNode: need 1 <= relay_validators <= nodes, self < nodes, slot_s > 0, "
        "bitfield_delay_s >= 0");
  }
}

Effects RelayChainNode::start(double now) {
  if (!is_validator()) return {};  // collators author no relay blocks: no slot clock
  const auto next = static_cast<std::uint64_t>(std::floor(now / config_.slot_s)) + 1;
  return {SetTimer{pd_timer(PdTimer::kSlot, next), static_cast<double>(next) * config_.slot_s}};
}

Effects RelayChainNode::on_timer(double /*now*/, TimerId id) {
  Effects out;
  const std::uint64_t value = pd_timer_value(id);
  switch (pd_timer_kind(id)) {
    case PdTimer::kSlot: {
      if (value <= last_slot_) return out;  // stale
      last_slot_ = value;
      out.emplace_back(SetTimer{pd_timer(PdTimer::kSlot, value + 1),
                                static_cast<double>(value + 1) * config_.slot_s});
      if (is_validator() &&
          babe_slot_author(config_.seed, value, config_.relay_validators) == self_)
        out.emplace_back(AuthorSlot{value, best_});
      return out;
    }
    case PdTimer::kBitfield: {
      const auto it = pending_.find(value);
      if (!is_validator() || it == pending_.end()) return out;
      Bitfield b{value, self_, {}};
      for (CandidateId c : it->second) {
        if (chunks_.count(c)) b.available.push_back(c);
      }
      record_bitfield(b);
      const MessagePtr msg = make_message(std::move(b), config_.cores);
      for (NodeId to = 0; to < config_.relay_validators; ++to) {
        if (to != self_) out.emplace_back(Send{to, msg});
      }
      charge_signatures(out, config_.signatures, 0, 1, "relay.bitfield");
      pending_.erase(pending_.begin(), it);  // older blocks' bits are no longer needed
      return out;
    }
    default:
      return out;
  }
}

Effects RelayChainNode::on_message(double now, NodeId from, const MessagePtr& msg) {
  if (const auto* b = std::get_if<RelayBlock>(&msg->body)) {
    // The message owns the block; alias it so Imported shares the same object.
    if (b->number <= best_) return {};
    best_block_ = msg;
    Effects out = import(now, std::shared_ptr<const RelayBlock>(msg, b));
    charge_signatures(out, config_.signatures, b->signatures, 0, "relay.import");
    return out;
  }
  if (const auto* f = std::get_if<ForkAnnounce>(&msg->body)) {
    if (best_block_ == nullptr || best_ < f->number) return {};
    return {Send{from, best_block_}};
  }
  if (const auto* c = std::get_if<Chunk>(&msg->body)) {
    if (is_validator()) chunks_.insert(c->id);
    return {};
  }
  if (const auto* r = std::get_if<ChunkRequest>(&msg->body)) {
    const auto it = serves_.find(r->id);
    if (it == serves_.end()) return {};
    return {Send{from, make_message(Chunk{r->id}, it->second)}};
  }
  if (const auto* bf = std::get_if<Bitfield>(&msg->body)) {
    if (!is_validator() || bf->validator >= config_.relay_validators) return {};
    record_bitfield(*bf);
    Effects out;
    charge_signatures(out, config_.signatures, 1, 0, "relay.bitfield");
    return out;
  }
  return {};
}

Effects RelayChainNode::on_authored(double now, const std::shared_ptr<const RelayBlock>& block) {
  best_block_ = make_message(*block);
  Effects out;
  out.emplace_back(Broadcast{best_block_});
  Effects imported = import(now, block);
  std::move(imported.begin(), imported.end(), std::back_inserter(out));
  charge_signatures(out, config_.signatures, 0, 1, "relay.seal");
  return out;
}

Effects RelayChainNode::on_orphaned(double /*now*/, std::uint64_t number) {
  return {Broadcast{make_message(ForkAnnounce{number})}};
}

Effects RelayChainNode::import(double now, const std::shared_ptr<const RelayBlock>& block) {
  Effects out;
  if (block->number <= best_) return out;
  best_ = block->number;
  out.emplace_back(Imported{block});
  if (!is_validator()) return out;
  for (const BackedReceipt& r : block->backed) {
    const auto it = std::find(r.backers.begin(), r.backers.end(), self_);
    if (it == r.backers.end()) continue;
    const auto k = static_cast<std::size_t>(it - r.backers.begin());
    const std::uint64_t size = chunk_bytes(r.pov_bytes, config_.relay_validators);
    serves_[r.id] = size;
    const MessagePtr chunk = make_message(Chunk{r.id}, size);
    for (NodeId i = 0; i < config_.relay_validators; ++i) {
      if (i % r.backers.size() != k) continue;
      if (i == self_) {
        chunks_.insert(r.id);
      } else {
        out.emplace_back(Send{i, chunk});
      }
    }
  }
  std::vector<CandidateId>& pending = pending_[block->number];
  for (const BackedReceipt& r : block->pending) {
    pending.push_back(r.id);
    if (std::find(r.backers.begin(), r.backers.end(), self_) != r.backers.end()) {
      serves_[r.id] = chunk_bytes(r.pov_bytes, config_.relay_validators);  // it has the PoV
      chunks_.insert(r.id);
    }
    if (chunks_.count(r.id) || r.backers.empty()) continue;
    const bool just_backed = std::any_of(block->backed.begin(), block->backed.end(),
                                         [&](const BackedReceipt& b) { return b.id == r.id; });
    if (just_backed) continue;  // its backer's push is on its way
    // Still pending and no chunk: ask the next backer in turn.
    const std::uint32_t k = ++retries_[r.id];
    const NodeId backer = r.backers[(self_ + k) % r.backers.size()];
    if (backer != self_) out.emplace_back(Send{backer, make_message(ChunkRequest{r.id})});
  }
  out.emplace_back(
      SetTimer{pd_timer(PdTimer::kBitfield, block->number), now + config_.bitfield_delay_s});
  // Bitfields on blocks older than the parent of the next block are never counted again.
  while (!bits_.empty() && bits_.begin()->first + 1 < best_) {
    bitfield_signers_.erase(bits_.begin()->first);
    bits_.erase(bits_.begin());
  }
  return out;
}

void RelayChainNode::record_bitfield(const Bitfield& b) {
  if (!bitfield_signers_[b.relay_parent].insert(b.validator).second) return;  // repeated
  auto& bits = bits_[b.relay_parent];
  for (CandidateId c : b.available) ++bits[c];
}

std::uint32_t RelayChainNode::available_votes(std::uint64_t relay_parent, CandidateId id) const {
  const auto it = bits_.find(relay_parent);
  if (it == bits_.end()) return 0;
  const auto c = it->second.find(id);
  return c == it->second.end() ? 0 : c->second;
}

}  // namespace pipesim::consensus::polkadot
