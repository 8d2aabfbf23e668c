#include "models/consensus/polkadot/collator.hpp"

#include <stdexcept>

namespace pipesim::consensus::polkadot {

Collator::Collator(CollatorConfig config) : config_(config) {
  if (config.collators == 0 || config.index >= config.collators ||
      config.relay_blocks_per_para_slot == 0 || config.velocity == 0 || !(config.slot_s > 0.0)) {
    throw std::invalid_argument(
        "Collator: need collators >= 1, index < collators, L >= 1, velocity >= 1, slot_s > 0");
  }
}

Effects Collator::on_relay_block(double now, std::uint64_t number) {
  if (number < best_) return {};
  best_ = number;
  const std::uint64_t para_slot = number / config_.relay_blocks_per_para_slot;
  if (para_slot % config_.collators != config_.index) return {};  // not its slot
  return build(now, number);
}

Effects Collator::build(double now, std::uint64_t relay_parent) {
  Effects out{BuildCollation{relay_parent}};
  if (config_.velocity > 1) {
    out.emplace_back(SetTimer{pd_timer(PdTimer::kVelocity, relay_parent),
                              now + config_.slot_s / config_.velocity});
  }
  return out;
}

Effects Collator::on_timer(double now, TimerId id) {
  if (pd_timer_kind(id) != PdTimer::kVelocity) return {};
  const std::uint64_t relay_parent = pd_timer_value(id);
  if (relay_parent != best_) return {};  // a newer relay block arrived
  return build(now, relay_parent);
}

Effects Collator::on_authored(double /*now*/, const Collation& collation, NodeId seconder) {
  return {Send{seconder, make_message(collation)}};
}

}  // namespace pipesim::consensus::polkadot
