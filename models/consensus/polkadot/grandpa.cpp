#include "models/consensus/polkadot/grandpa.hpp"

#include <cmath>
#include <stdexcept>

namespace pipesim::consensus::polkadot {

GrandpaVoter::GrandpaVoter(GrandpaConfig config, NodeId self) : config_(config), self_(self) {
  if (config.voters == 0 || self >= config.voters || !(config.round_s > 0.0)) {
    throw std::invalid_argument("GrandpaVoter: need voters >= 1, self < voters, round_s > 0");
  }
}

Effects GrandpaVoter::start(double now) {
  const auto next = static_cast<std::uint64_t>(std::floor(now / config_.round_s)) + 1;
  return {SetTimer{pd_timer(PdTimer::kGrandpaRound, next),
                   static_cast<double>(next) * config_.round_s}};
}

void GrandpaVoter::on_block_imported(std::uint64_t number) {
  if (number > best_) best_ = number;
}

GrandpaVoter::RoundState& GrandpaVoter::round(std::uint64_t r) {
  return rounds_.try_emplace(r, config_.voters).first->second;
}

void GrandpaVoter::send_all(const GrandpaVote& v, Effects& out) {
  ++signed_;
  const MessagePtr msg = make_message(v);
  for (NodeId to = 0; to < config_.voters; ++to) {
    if (to != self_) out.emplace_back(Send{to, msg});
  }
}

Effects GrandpaVoter::on_timer(double /*now*/, TimerId id) {
  Effects out;
  if (pd_timer_kind(id) != PdTimer::kGrandpaRound) return out;
  const std::uint64_t r = pd_timer_value(id);
  if (r <= round_) return out;  // stale
  round_ = r;
  signed_ = 0;
  out.emplace_back(SetTimer{pd_timer(PdTimer::kGrandpaRound, r + 1),
                            static_cast<double>(r + 1) * config_.round_s});
  while (!rounds_.empty() && rounds_.begin()->first + 4 < r) rounds_.erase(rounds_.begin());
  RoundState& rs = round(r);
  rs.prevoted = true;
  const GrandpaVote vote{r, VoteKind::kPrevote,
                         grandpa_vote_target(best_, finalized_, config_.vote_behind), self_};
  send_all(vote, out);
  count(vote, out);
  maybe_precommit(r, out);  // a supermajority of peers may have prevoted already
  charge_signatures(out, config_.signatures, 0, signed_, "grandpa.vote");
  return out;
}

Effects GrandpaVoter::on_message(double /*now*/, const GrandpaVote& vote) {
  Effects out;
  if (vote.voter >= config_.voters || vote.voter == self_) return out;
  if (!rounds_.empty() && vote.round + 4 < round_) return out;  // too old
  signed_ = 0;
  count(vote, out);
  charge_signatures(out, config_.signatures, 1, signed_, "grandpa.vote");
  return out;
}

void GrandpaVoter::count(const GrandpaVote& v, Effects& out) {
  RoundState& rs = round(v.round);
  if (v.kind == VoteKind::kPrevote) {
    if (rs.votes.add_prevote(v.voter, v.target)) maybe_precommit(v.round, out);
    return;
  }
  if (!rs.votes.add_precommit(v.voter, v.target)) return;
  const std::uint64_t number = *rs.votes.finalized();
  if (number > finalized_) {
    finalized_ = number;
    out.emplace_back(Finalized{number});
  }
}

void GrandpaVoter::maybe_precommit(std::uint64_t r, Effects& out) {
  RoundState& rs = round(r);
  if (!rs.prevoted || rs.precommitted) return;
  const auto ghost = rs.votes.prevote_ghost();
  if (!ghost) return;
  rs.precommitted = true;
  const GrandpaVote vote{r, VoteKind::kPrecommit, *ghost, self_};
  send_all(vote, out);
  count(vote, out);
}

}  // namespace pipesim::consensus::polkadot
