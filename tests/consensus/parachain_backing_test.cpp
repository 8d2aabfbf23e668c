// Unit tests of the parachain backing core: groups and rotation, candidate lifecycle, the
// unincluded segment bounds, sync vs async, relay-parent expiry, availability timeout, a stalled
// inclusion that fills then drains the segment, and the inclusion-order invariant.
#include <doctest/doctest.h>

#include <set>
#include <stdexcept>

#include "models/consensus/polkadot/parachain_backing.hpp"

using namespace pipesim::consensus::polkadot;

namespace {

const auto kKnows = [](const Candidate&) { return true; };

BackingParams async_params() {
  return BackingParams{};  // 3 / 2, capacity 3, velocity 1, 2 votes, timeout 10
}

BackingParams sync_params() {
  BackingParams p;
  p.mode = BackingMode::kSync;
  return p;
}

/// A driver: each relay block, the collator builds (if allowed) and its candidate is backed
/// before the next block; pending candidates are available when `available`.
struct Driver {
  ParachainTracker t;
  CandidateId next = 1;
  std::uint64_t block = 0;
  explicit Driver(BackingParams p) : t(p) {}

  std::optional<CandidateId> build(std::uint64_t relay_parent, bool back = true) {
    auto target = t.build_target(relay_parent);
    if (!target) return std::nullopt;
    const CandidateId id = next++;
    REQUIRE(t.add_candidate(id, target->parent, relay_parent));
    if (back) {
      CHECK_FALSE(t.add_valid_vote(id, 1));
      CHECK(t.add_valid_vote(id, 2));
    }
    return id;
  }
  ParaBlockOutcome relay_block(bool available = true, bool inherent = true) {
    return t.on_relay_block(++block, available, kKnows, inherent);
  }
};

}  // namespace

TEST_CASE("backing groups: v mod groups, rotation every k relay blocks") {
  BackingGroups g(300, 5, 10);
  CHECK(g.groups() == 60);
  CHECK(g.members(0).size() == 5);
  CHECK(g.group_of(61) == 1);
  CHECK(g.group_for_core(3, 0) == 3);
  CHECK(g.group_for_core(3, 9) == 3);
  CHECK(g.group_for_core(3, 10) == 4);
  CHECK(g.group_for_core(59, 10) == 0);
  BackingGroups small(7, 5, 1);
  CHECK(small.groups() == 1);
  CHECK(small.members(0).size() == 7);
  CHECK_THROWS_AS(BackingGroups(0, 5, 10), std::invalid_argument);
}

TEST_CASE(
    "sync backing: one candidate at a time on the included head, one parablock per two "
    "relay blocks") {
  Driver d(sync_params());
  CHECK(d.t.segment_bound() == 1);
  std::uint64_t included = 0;
  for (int round = 0; round < 10; ++round) {
    // The collator tries after every relay block.
    d.build(d.block);
    CHECK_FALSE(d.t.build_target(d.block).has_value());  // never two unincluded
    auto out = d.relay_block();
    if (out.included) ++included;
  }
  // Backed in block b+1, included in b+2, next built on b+2: 5 inclusions in 10 blocks.
  CHECK(included == 5);
  CHECK(d.t.check_invariants() == "");
  for (CandidateId id : d.t.inclusion_log()) CHECK(d.t.find(id)->parent_was_included);
}

TEST_CASE("sync backing: a candidate not backed before the next block is dropped") {
  Driver d(sync_params());
  auto id = d.build(0, /*back=*/false);
  REQUIRE(id);
  auto out = d.relay_block();  // block 1: parent 0, relay parent 0 allowed but not backable
  CHECK_FALSE(out.backed_on_chain);
  CHECK(d.t.add_valid_vote(*id, 1) == false);
  CHECK(d.t.add_valid_vote(*id, 2) == true);  // backable now, but too late:
  out = d.relay_block();                      // block 2 needs relay parent 1
  REQUIRE(out.dropped.size() == 1);
  CHECK(d.t.find(*id)->drop_reason == DropReason::kRelayParentOutOfAncestry);
  CHECK(d.t.unincluded_segment().empty());
  // Never backed at all: not_backed_in_time.
  auto id2 = d.build(2, false);
  d.relay_block();
  d.relay_block();
  CHECK(d.t.find(*id2)->drop_reason == DropReason::kNotBackedInTime);
}

TEST_CASE("async backing: builds on the unincluded segment, one parablock per relay block") {
  Driver d(async_params());
  CHECK(d.t.segment_bound() == 3);
  std::uint64_t included = 0;
  bool built_on_unincluded = false;
  for (int b = 0; b < 20; ++b) {
    auto id = d.build(d.block);
    if (id && !d.t.find(*id)->parent_was_included) built_on_unincluded = true;
    // velocity 1: no second candidate on the same relay parent
    CHECK_FALSE(d.t.build_target(d.block).has_value());
    CHECK(d.t.unincluded_segment().size() <= 3);
    if (d.relay_block().included) ++included;
  }
  CHECK(built_on_unincluded);
  CHECK(included >= 18);  // the pipeline: backed in b+1, included in b+2, every block
  CHECK(d.t.check_invariants() == "");
  CHECK(d.t.max_segment_length() <= 3);
}

TEST_CASE("async backing: velocity 2 lets the segment reach its bound, never beyond") {
  BackingParams p = async_params();
  p.block_processing_velocity = 2;
  Driver d(p);
  d.build(0);
  d.build(0);
  d.build(0, false);  // velocity 2: the third is refused
  CHECK(d.t.unincluded_segment().size() == 2);
  d.relay_block(false);  // first goes on chain
  d.build(1);
  CHECK(d.t.unincluded_segment().size() == 3);
  CHECK_FALSE(d.t.build_target(1).has_value());  // segment at its bound
  CHECK(d.t.check_invariants() == "");
}

TEST_CASE("max_candidate_depth bounds the segment below the capacity") {
  BackingParams p = async_params();
  p.max_candidate_depth = 1;
  p.unincluded_segment_capacity = 5;
  ParachainTracker t(p);
  CHECK(t.segment_bound() == 2);
}

TEST_CASE("async backing: a stalled relay chain fills the segment, then it drains") {
  Driver d(async_params());
  for (int b = 0; b < 5; ++b) {
    d.build(d.block);
    d.relay_block();
  }
  const std::size_t steady = d.t.unincluded_segment().size();
  CHECK(steady <= 2);
  const std::size_t included_before = d.t.inclusion_log().size();
  // Stall: relay blocks without the parachain inherent; collators keep building.
  std::size_t peak = 0;
  for (int b = 0; b < 6; ++b) {
    d.build(d.block);
    peak = std::max(peak, d.t.unincluded_segment().size());
    d.relay_block(true, /*inherent=*/false);
  }
  CHECK(peak == 3);  // filled to the bound
  CHECK(d.t.inclusion_log().size() == included_before);
  // Resume: the pending candidate is included; the others' relay parents are too old.
  auto out = d.relay_block();
  CHECK(out.included.has_value());
  REQUIRE(!out.dropped.empty());
  CHECK(d.t.find(out.dropped.front())->drop_reason == DropReason::kRelayParentOutOfAncestry);
  for (std::size_t k = 1; k < out.dropped.size(); ++k) {
    CHECK(d.t.find(out.dropped[k])->drop_reason == DropReason::kParentDropped);
  }
  CHECK(d.t.unincluded_segment().empty());  // drained
  for (int b = 0; b < 6; ++b) {
    d.build(d.block);
    d.relay_block();
  }
  CHECK(d.t.unincluded_segment().size() <= 2);  // back to the steady state
  CHECK(d.t.inclusion_log().size() > included_before + 3);
  CHECK(d.t.check_invariants() == "");
}

TEST_CASE("availability timeout drops the pending candidate and its descendants") {
  BackingParams p = async_params();
  p.availability_timeout_relay_blocks = 3;
  Driver d(p);
  auto a = d.build(0);
  d.relay_block(false);  // block 1: a on chain
  REQUIRE(d.t.pending_availability() == a);
  auto b = d.build(1);
  d.relay_block(false);  // 2
  d.relay_block(false);  // 3
  CHECK(d.t.pending_availability() == a);
  auto out = d.relay_block(false);  // 4: pending since 1 -> timeout
  REQUIRE(out.dropped.size() == 2);
  CHECK(d.t.find(*a)->drop_reason == DropReason::kAvailabilityTimeout);
  CHECK(d.t.find(*b)->drop_reason == DropReason::kParentDropped);
  CHECK(d.t.included_head() == 0);
  auto c = d.build(4);
  REQUIRE(c);
  CHECK(d.t.find(*c)->parent == 0);  // rebuilt from the included head
  CHECK(d.t.check_invariants() == "");
}

TEST_CASE("a candidate whose parent was dropped while authoring is dropped at registration") {
  Driver d(async_params());
  auto a = d.build(0, false);
  auto target = d.t.build_target(1);
  REQUIRE(target);
  CHECK(target->parent == *a);
  d.relay_block();
  d.relay_block();
  d.relay_block();  // block 3: relay parent 0 < 2 - 2? no: min = 0; block 4 drops
  d.relay_block();
  CHECK(d.t.find(*a)->state == CandidateState::kDropped);
  CHECK_FALSE(d.t.add_candidate(99, target->parent, 1));
  CHECK(d.t.find(99)->drop_reason == DropReason::kParentDropped);
  CHECK(d.t.unincluded_segment().empty());
}

TEST_CASE("the author must know the statements to put a candidate on chain") {
  ParachainTracker t(async_params());
  REQUIRE(t.add_candidate(1, 0, 0));
  t.add_valid_vote(1, 3);
  t.add_valid_vote(1, 4);
  auto out = t.on_relay_block(1, false, [](const Candidate&) { return false; });
  CHECK_FALSE(out.backed_on_chain);
  out = t.on_relay_block(2, false, [](const Candidate& c) { return c.valid_votes.size() >= 2; });
  CHECK(out.backed_on_chain == std::optional<CandidateId>(1));
  CHECK(t.find(1)->state == CandidateState::kPendingAvailability);
  CHECK(t.find(1)->backed_in_block == 2);
  out = t.on_relay_block(3, true, kKnows);
  CHECK(out.included == std::optional<CandidateId>(1));
  CHECK(t.included_height() == 1);
  CHECK_THROWS_AS(t.add_candidate(1, 1, 3), std::invalid_argument);
}

TEST_CASE("drop reasons and states have metric names") {
  CHECK(std::string(to_string(DropReason::kRelayParentOutOfAncestry)) ==
        "relay_parent_out_of_ancestry");
  CHECK(std::string(to_string(DropReason::kAvailabilityTimeout)) == "availability_timeout");
  CHECK(std::string(to_string(DropReason::kNotBackedInTime)) == "not_backed_in_time");
  CHECK(std::string(to_string(CandidateState::kPendingAvailability)) == "pending_availability");
}
