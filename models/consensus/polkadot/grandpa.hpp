// GRANDPA voter of one relay validator, as a sans-I/O core: on_timer / on_message return effects
// (messages.hpp). The vote arithmetic (supermajority, GHOST over a linear chain, voting rule) is
// relay_chain.hpp's; this core adds the message flow of one voter:
//
//  - round r starts at r x round_s (polkadot.grandpa_round_ms; rounds are clocked, not chained to
//    the previous round's completion: a simplification of GRANDPA's "start round r + 1 once
//    round r is completable"): the voter prevotes grandpa_vote_target(best, finalized, behind)
//    and sends the prevote to every other voter;
//  - once it holds prevotes of a supermajority for a round it has started, it precommits that
//    round's prevote-GHOST (once per round) and sends the precommit to every other voter;
//  - once it holds precommits of a supermajority of a round, it finalizes the precommit-GHOST
//    (effect Finalized, only when above its finalized block).
// Votes of rounds that have not started locally are kept (a faster peer's round) and counted
// when they start; rounds older than the last 4 are dropped. One vote per voter, kind and round.
#pragma once

#include <cstdint>
#include <map>

#include "models/consensus/polkadot/messages.hpp"
#include "models/consensus/polkadot/relay_chain.hpp"

namespace pipesim::consensus::polkadot {

struct GrandpaConfig {
  std::uint32_t voters = 4;       // relay validators 0 .. voters - 1, >= 1
  double round_s = 3.0;           // > 0
  std::uint64_t vote_behind = 2;  // BeforeBestBlockBy
  SignatureCost signatures;       // per vote verified / signed (ed25519)
};

class GrandpaVoter {
 public:
  /// Throws std::invalid_argument when voters is 0, self >= voters or round_s <= 0.
  GrandpaVoter(GrandpaConfig config, NodeId self);

  /// Arms the timer of the first round that starts after `now` (at start and after a recovery).
  Effects start(double now);
  /// The node's best relay block changed (import or authoring).
  void on_block_imported(std::uint64_t number);
  /// A round timer (PdTimer::kGrandpaRound, value = round): prevote, arm the next round.
  Effects on_timer(double now, TimerId id);
  /// A GrandpaVote from `from` (other messages are ignored).
  Effects on_message(double now, const GrandpaVote& vote);

  std::uint64_t finalized() const { return finalized_; }
  std::uint64_t best() const { return best_; }
  std::uint64_t current_round() const { return round_; }

 private:
  struct RoundState {
    explicit RoundState(std::uint32_t n) : votes(n) {}
    GrandpaRound votes;
    bool prevoted = false;  // this voter started the round
    bool precommitted = false;
  };
  RoundState& round(std::uint64_t r);
  void send_all(const GrandpaVote& v, Effects& out);
  void maybe_precommit(std::uint64_t r, Effects& out);
  void count(const GrandpaVote& v, Effects& out);

  GrandpaConfig config_;
  NodeId self_;
  std::uint64_t best_ = 0, finalized_ = 0, round_ = 0;
  std::map<std::uint64_t, RoundState> rounds_;
  std::uint32_t signed_ = 0;  // votes signed by the handler running
};

}  // namespace pipesim::consensus::polkadot
