#include "models/consensus/polkadot/relay_chain.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>

#include "models/common/splitmix64.hpp"

namespace pipesim::consensus::polkadot {

std::uint32_t supermajority(std::uint32_t n) {
  return n == 0 ? 0 : n - (n - 1) / 3;
}

std::uint32_t babe_slot_author(std::uint64_t seed, std::uint64_t slot, std::uint32_t validators) {
  if (validators == 0) throw std::invalid_argument("babe_slot_author: no validators");
  return static_cast<std::uint32_t>(splitmix64(splitmix64(seed ^ 0x62616265ULL) + slot) %
                                    validators);
}

GrandpaRound::GrandpaRound(std::uint32_t voters)
    : voters_(voters),
      threshold_(supermajority(voters)),
      prevoted_(voters, 0),
      precommitted_(voters, 0) {
  if (voters == 0) throw std::invalid_argument("GrandpaRound: no voters");
}

bool GrandpaRound::add_prevote(std::uint32_t v, std::uint64_t number) {
  if (v >= voters_ || prevoted_[v]) return false;
  prevoted_[v] = 1;
  prevote_numbers_.push_back(number);
  return prevote_numbers_.size() == threshold_;
}

bool GrandpaRound::add_precommit(std::uint32_t v, std::uint64_t number) {
  if (v >= voters_ || precommitted_[v]) return false;
  precommitted_[v] = 1;
  precommit_numbers_.push_back(number);
  return precommit_numbers_.size() == threshold_;
}

std::optional<std::uint64_t> GrandpaRound::ghost(std::vector<std::uint64_t> votes,
                                                 std::uint32_t threshold) {
  if (votes.size() < threshold) return std::nullopt;
  // The threshold-th largest vote: `threshold` votes are for it or a descendant.
  std::nth_element(votes.begin(), votes.begin() + (threshold - 1), votes.end(), std::greater<>());
  return votes[threshold - 1];
}

std::optional<std::uint64_t> GrandpaRound::prevote_ghost() const {
  return ghost(prevote_numbers_, threshold_);
}

std::optional<std::uint64_t> GrandpaRound::finalized() const {
  return ghost(precommit_numbers_, threshold_);
}

std::uint64_t grandpa_vote_target(std::uint64_t best, std::uint64_t finalized,
                                  std::uint64_t behind) {
  const std::uint64_t target = best > behind ? best - behind : 0;
  return std::max(target, finalized);
}

}  // namespace pipesim::consensus::polkadot
