// Collator of one parachain, as a sans-I/O core (cumulus' Aura-like slot-based collation):
// on_relay_block / on_timer / on_authored return effects (messages.hpp).
//
//  - Para slots: collator k of C builds on relay block N when k == (N / L) mod C, with L = 1
//    relay block in asynchronous backing and 2 in synchronous backing (12 s parablocks); effect
//    BuildCollation{N}. Whether the parachain may grow (the unincluded segment) is the
//    pipeline's ParachainTracker's answer.
//  - Velocity > 1: the collator builds again on the same relay parent every slot_s / velocity
//    while no newer relay block arrived (PdTimer::kVelocity, value = relay parent).
//  - on_authored: the finished collation goes to the group member the pipeline chose as seconder.
#pragma once

#include <cstdint>

#include "models/consensus/polkadot/messages.hpp"

namespace pipesim::consensus::polkadot {

struct CollatorConfig {
  std::uint32_t collators = 1;                   // C, >= 1
  std::uint32_t index = 0;                       // k, < C
  std::uint32_t relay_blocks_per_para_slot = 1;  // L, >= 1
  std::uint32_t velocity = 1;                    // >= 1
  double slot_s = 6.0;                           // > 0
};

class Collator {
 public:
  /// Throws std::invalid_argument when collators, L or velocity is 0, index >= collators or
  /// slot_s <= 0.
  explicit Collator(CollatorConfig config);

  /// The collator imported relay block `number` (its new best block).
  Effects on_relay_block(double now, std::uint64_t number);
  Effects on_timer(double now, TimerId id);
  /// Candidate `collation` is built: send it (PoV + receipt) to `seconder`.
  Effects on_authored(double now, const Collation& collation, NodeId seconder);

  std::uint64_t best() const { return best_; }

 private:
  Effects build(double now, std::uint64_t relay_parent);
  CollatorConfig config_;
  std::uint64_t best_ = 0;
};

}  // namespace pipesim::consensus::polkadot
