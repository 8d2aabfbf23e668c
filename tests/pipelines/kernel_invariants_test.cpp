// The kernel's shared safety checks (models/pipelines/kernel/invariants.hpp) and its reading of
// the fault schedule (kernel/faults.hpp), no SimGrid run.
#include <doctest/doctest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "models/pipelines/kernel/faults.hpp"
#include "models/pipelines/kernel/invariants.hpp"
#include "sim/scenario.hpp"

using pipesim::pipelines::DuplicateTxFinder;

TEST_CASE("DuplicateTxFinder: distinct transactions over a sequence, no duplicate") {
  DuplicateTxFinder f;
  const std::vector<std::uint64_t> a{1, 2, 3}, b{4, 5}, empty{}, c{6};
  CHECK_FALSE(f.add(1, a).has_value());
  CHECK_FALSE(f.add(2, b).has_value());
  CHECK_FALSE(f.add(3, empty).has_value());
  CHECK_FALSE(f.add(4, c).has_value());
  CHECK_FALSE(f.first().has_value());
}

TEST_CASE("DuplicateTxFinder: a transaction at two positions is the first duplicate") {
  DuplicateTxFinder f;
  const std::vector<std::uint64_t> a{10, 11}, b{12}, c{13, 11, 12}, d{10};
  CHECK_FALSE(f.add(5, a).has_value());
  CHECK_FALSE(f.add(6, b).has_value());
  const auto dup = f.add(8, c);
  REQUIRE(dup.has_value());
  CHECK(dup->tx == 11);  // 11 comes before 12 in c
  CHECK(dup->position == 8);
  CHECK(dup->first_position == 5);
  // The first duplicate sticks; later entries do not replace it.
  const auto again = f.add(9, d);
  REQUIRE(again.has_value());
  CHECK(again->tx == 11);
  CHECK(f.first()->position == 8);
}

TEST_CASE("DuplicateTxFinder: a transaction repeated inside one entry is a duplicate there") {
  DuplicateTxFinder f;
  const std::vector<std::uint64_t> a{7, 8, 7};
  const auto dup = f.add(3, a);
  REQUIRE(dup.has_value());
  CHECK(dup->tx == 7);
  CHECK(dup->position == 3);
  CHECK(dup->first_position == 3);
}

namespace {

pipesim::sim::FaultEvent kernel_byzantine_event(std::vector<std::uint32_t> nodes,
                                                const char* behaviour) {
  pipesim::sim::FaultEvent e;
  e.kind = "byzantine";
  e.behaviour = behaviour;
  e.nodes = std::move(nodes);
  e.from_s = 1.0;
  e.until_s = 2.0;
  return e;
}

}  // namespace

TEST_CASE("honest_nodes: crash shorthand, divergent and Byzantine nodes are not honest") {
  pipesim::sim::Scenario s;
  s.network.validators = 7;
  s.faults.crashed = {1};
  s.faults.divergent = {2};
  s.faults.events.push_back(kernel_byzantine_event({4}, "equivocate"));
  pipesim::sim::FaultEvent crash;  // crashes and recovers through events: stays honest
  crash.kind = "crash";
  crash.nodes = {5};
  crash.at_s = 3.0;
  s.faults.events.push_back(crash);
  using pipesim::pipelines::ByzantineNodes;
  using pipesim::pipelines::honest_nodes;
  const std::vector<bool> honest = honest_nodes(s);
  CHECK(honest == std::vector<bool>{true, false, false, true, false, true, true});
  const std::vector<bool> with_byzantine = honest_nodes(s, ByzantineNodes::kIncluded);
  CHECK(with_byzantine == std::vector<bool>{true, false, false, true, true, true, true});
}

TEST_CASE("behaviour_scheduled: only a Byzantine event with that behaviour counts") {
  pipesim::sim::Scenario s;
  s.network.validators = 4;
  using pipesim::pipelines::behaviour_scheduled;
  CHECK_FALSE(behaviour_scheduled(s, "dag_equivocate"));
  s.faults.events.push_back(kernel_byzantine_event({3}, "invalid_candidate"));
  CHECK_FALSE(behaviour_scheduled(s, "dag_equivocate"));
  CHECK(behaviour_scheduled(s, "invalid_candidate"));
}
