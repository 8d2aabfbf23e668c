// Relay chain consensus of a Polkadot-like network, as pure protocol logic (no SimGrid, no I/O).
//
// BABE-like block production (Polkadot wiki "BABE"; polkadot-sdk substrate/client/consensus/babe):
// time is cut into slots of `relay_slot_ms` (Polkadot: 6000 ms); slot s has exactly one author,
// drawn deterministically from the run's seed (a stand-in for BABE's VRF primary lottery plus the
// round-robin secondary slots, which together give one author per slot). A slot whose author is
// down stays empty; nothing forks (6 s slots dwarf the sub-second block propagation).
//
// GRANDPA-like finality (Stewart & Kokoris-Kogia, "GRANDPA: a Byzantine Finality Gadget", 2020;
// substrate/client/consensus/grandpa): each round, every voter prevotes for a block of its best
// chain (the voting rule keeps `vote_behind_best` blocks back, Substrate's default
// BeforeBestBlockBy(2) rule in client/consensus/grandpa/src/voting_rule.rs); once a voter holds
// prevotes from a supermajority (n - floor((n - 1) / 3)) it precommits the prevote-GHOST; once it
// holds a supermajority of precommits it finalizes the precommit-GHOST. The relay chain is linear
// here, so a vote is a block number and the GHOST of a vote set is the highest number that a
// supermajority voted for or beyond (the threshold-th largest vote).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace pipesim::consensus::polkadot {

/// Supermajority of `n` voters: n - floor((n - 1) / 3), i.e. 2f + 1 for n = 3f + 1 (GRANDPA's and
/// polkadot-sdk's availability threshold, polkadot/primitives `supermajority_threshold`).
std::uint32_t supermajority(std::uint32_t n);

/// BABE-like author of relay slot `slot` among `validators` (>= 1): splitmix64 of the seed and
/// slot, mod validators. Deterministic; every validator authors ~1/validators of the slots.
std::uint32_t babe_slot_author(std::uint64_t seed, std::uint64_t slot, std::uint32_t validators);

/// One GRANDPA round seen by one voter over a linear chain: votes are block numbers.
class GrandpaRound {
 public:
  /// `voters` >= 1. One vote per voter and kind counts; later duplicates are ignored.
  explicit GrandpaRound(std::uint32_t voters);

  /// Records voter `v`'s prevote for block `number`. Returns true when this vote makes the
  /// prevotes reach the supermajority (exactly once per round).
  bool add_prevote(std::uint32_t v, std::uint64_t number);
  /// Records voter `v`'s precommit. Returns true when this vote completes the round (the
  /// precommits reach the supermajority, exactly once).
  bool add_precommit(std::uint32_t v, std::uint64_t number);

  /// Highest block number that a supermajority of prevotes is for or beyond; nullopt before
  /// the supermajority.
  std::optional<std::uint64_t> prevote_ghost() const;
  /// Highest block number that a supermajority of precommits is for or beyond: the block this
  /// round finalizes; nullopt before the supermajority.
  std::optional<std::uint64_t> finalized() const;

  std::uint32_t prevotes() const { return static_cast<std::uint32_t>(prevote_numbers_.size()); }
  std::uint32_t precommits() const { return static_cast<std::uint32_t>(precommit_numbers_.size()); }

 private:
  static std::optional<std::uint64_t> ghost(std::vector<std::uint64_t> votes,
                                            std::uint32_t threshold);
  std::uint32_t voters_;
  std::uint32_t threshold_;
  std::vector<std::uint8_t> prevoted_, precommitted_;
  std::vector<std::uint64_t> prevote_numbers_, precommit_numbers_;
};

/// GRANDPA voting rule: the block a voter votes for given its best block number (never below the
/// last finalized block). Substrate's BeforeBestBlockBy(`behind`).
std::uint64_t grandpa_vote_target(std::uint64_t best, std::uint64_t finalized,
                                  std::uint64_t behind);

}  // namespace pipesim::consensus::polkadot
