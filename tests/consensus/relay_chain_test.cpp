// Unit tests of the relay-chain core: BABE-like slot authors, GRANDPA rounds on a linear chain.
#include <doctest/doctest.h>

#include <map>
#include <stdexcept>

#include "models/consensus/polkadot/relay_chain.hpp"

using namespace pipesim::consensus::polkadot;

TEST_CASE("supermajority is 2f + 1 for n = 3f + 1 and n - floor((n-1)/3) otherwise") {
  CHECK(supermajority(4) == 3);
  CHECK(supermajority(7) == 5);
  CHECK(supermajority(300) == 201);
  CHECK(supermajority(1) == 1);
  CHECK(supermajority(0) == 0);
}

TEST_CASE("BABE slot authors: deterministic from the seed, spread over validators") {
  std::map<std::uint32_t, int> count;
  for (std::uint64_t s = 0; s < 30000; ++s) {
    const std::uint32_t a = babe_slot_author(7, s, 10);
    CHECK(a < 10);
    CHECK(a == babe_slot_author(7, s, 10));
    ++count[a];
  }
  CHECK(count.size() == 10);
  for (const auto& [v, c] : count) CHECK((c > 2700 && c < 3300));
  int differ = 0;
  for (std::uint64_t s = 0; s < 100; ++s)
    differ += babe_slot_author(7, s, 10) != babe_slot_author(8, s, 10);
  CHECK(differ > 50);
  CHECK_THROWS_AS(babe_slot_author(1, 1, 0), std::invalid_argument);
}

TEST_CASE("GRANDPA round: prevote GHOST and finalization at the supermajority") {
  GrandpaRound r(4);  // threshold 3
  CHECK_FALSE(r.add_prevote(0, 10));
  CHECK_FALSE(r.add_prevote(1, 8));
  CHECK_FALSE(r.prevote_ghost().has_value());
  CHECK_FALSE(r.add_prevote(1, 12));  // duplicate voter ignored
  CHECK(r.add_prevote(2, 9));         // third distinct voter: supermajority
  REQUIRE(r.prevote_ghost().has_value());
  CHECK(*r.prevote_ghost() == 8);     // 3 votes are for 8 or beyond; only 2 for 9 or beyond
  CHECK_FALSE(r.add_prevote(3, 11));  // the supermajority is reported once
  CHECK(*r.prevote_ghost() == 9);     // now 3 votes are >= 9 (10, 9, 11)
  CHECK_FALSE(r.finalized().has_value());
  r.add_precommit(0, 9);
  r.add_precommit(3, 9);
  CHECK_FALSE(r.finalized().has_value());
  CHECK(r.add_precommit(1, 8));
  CHECK(*r.finalized() == 8);
  CHECK(r.prevotes() == 4);
  CHECK(r.precommits() == 3);
  CHECK_FALSE(r.add_prevote(9, 1));  // not a voter
}

TEST_CASE("GRANDPA voting rule keeps `behind` blocks back, never below finalized") {
  CHECK(grandpa_vote_target(10, 3, 2) == 8);
  CHECK(grandpa_vote_target(1, 0, 2) == 0);
  CHECK(grandpa_vote_target(10, 9, 2) == 9);
  CHECK(grandpa_vote_target(10, 0, 0) == 10);
}
