// The kernel's shared safety checks (models/pipelines/kernel/invariants.hpp) and its reading of
// the fault schedule (kernel/faults.hpp), no SimGrid run.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "models/common/input_reuse.hpp"
#include "models/execution/state.hpp"
#include "models/pipelines/kernel/execution_config.hpp"
#include "models/pipelines/kernel/faults.hpp"
#include "models/pipelines/kernel/home_index.hpp"
#include "models/pipelines/kernel/invariants.hpp"
#include "models/workload/tx_source.hpp"
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

/// The per-sequence walk that first_duplicate_in_prefixes replaces: sequence s is the first
/// lengths[s] entries of `entries` (empty entries stand for skipped ones).
std::optional<std::pair<std::size_t, pipesim::pipelines::DuplicateTx>> walk_each_prefix(
    const std::vector<std::size_t>& lengths,
    const std::vector<std::vector<std::uint64_t>>& entries) {
  for (std::size_t s = 0; s < lengths.size(); ++s) {
    DuplicateTxFinder f;
    for (std::size_t k = 0; k < lengths[s]; ++k) {
      if (entries[k].empty()) continue;
      if (const auto dup = f.add(100 + k, entries[k])) return std::make_pair(s, *dup);
    }
  }
  return std::nullopt;
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

TEST_CASE("first_duplicate_in_prefixes: one pass over the longest equals the per-sequence walk") {
  using pipesim::pipelines::CommittedEntry;
  using pipesim::pipelines::first_duplicate_in_prefixes;
  // Deterministic pseudo-random sequences (an LCG): entries of 0-3 transactions drawn from a
  // small id range so that duplicates occur at various depths, prefixes of various lengths.
  std::uint64_t state = 12345;
  const auto next = [&state](std::uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  int with_dup = 0;
  for (int trial = 0; trial < 500; ++trial) {
    const std::size_t count = 1 + next(12);
    std::vector<std::vector<std::uint64_t>> entries(count);
    for (auto& e : entries) {
      const std::uint64_t txs = next(4);
      for (std::uint64_t t = 0; t < txs; ++t) e.push_back(next(40));
    }
    std::vector<std::size_t> lengths(1 + next(5));
    for (auto& l : lengths) l = next(count + 1);
    lengths[next(lengths.size())] = count;  // one sequence is the longest
    const auto expected = walk_each_prefix(lengths, entries);
    const auto got = first_duplicate_in_prefixes(
        lengths, [&entries](std::size_t k) -> std::optional<CommittedEntry> {
          if (entries[k].empty()) return std::nullopt;
          return CommittedEntry{100 + k, entries[k]};
        });
    CAPTURE(trial);
    REQUIRE(got.has_value() == expected.has_value());
    if (!got) continue;
    ++with_dup;
    const std::size_t sequence = expected->first;
    const pipesim::pipelines::DuplicateTx dup = expected->second;
    CHECK(got->sequence == sequence);
    CHECK(got->dup.tx == dup.tx);
    CHECK(got->dup.position == dup.position);
    CHECK(got->dup.first_position == dup.first_position);
    CHECK(got->entry + 100 == dup.position);
  }
  CHECK(with_dup > 100);  // the draw exercises both outcomes
  CHECK(with_dup < 450);
}

TEST_CASE("TxsByHome: a payload's transactions grouped by home node, block order kept") {
  pipesim::pipelines::TxsByHome homes(
      [](std::uint64_t tx) { return static_cast<std::uint32_t>(tx % 3); });
  const std::vector<std::uint64_t> txs{7, 3, 4, 9, 1, 6, 10};  // homes 1 0 1 0 1 0 1
  const auto at = [&](std::uint32_t node) {
    std::vector<std::uint64_t> got;
    for (const std::uint32_t i : homes.at(42, txs, node)) got.push_back(txs[i]);
    return got;
  };
  CHECK(at(0) == std::vector<std::uint64_t>{3, 9, 6});
  CHECK(at(1) == std::vector<std::uint64_t>{7, 4, 1, 10});
  CHECK(at(2).empty());
  const auto positions = homes.at(42, txs, 1);
  CHECK(std::vector<std::uint32_t>(positions.begin(), positions.end()) ==
        std::vector<std::uint32_t>{0, 2, 4, 6});
  CHECK(at(5).empty());
  const std::vector<std::uint64_t> none;
  CHECK(homes.at(43, none, 0).empty());
  homes.forget(42);
  CHECK(at(0) == std::vector<std::uint64_t>{3, 9, 6});  // rebuilt
}

// Last in this file: input reuse is process-wide and cannot be turned off.
TEST_CASE("genesis_state: with input reuse the layer is kept per accounts object") {
  pipesim::sim::Scenario s;
  s.network.validators = 4;
  pipesim::execution::StateBuilder b;
  b.set_balance(pipesim::workload::transfer_account(0), pipesim::execution::U256{1000});
  const auto accounts = std::make_shared<const pipesim::execution::StateMap>(b.take());
  using pipesim::pipelines::genesis_state;
  const auto fresh = genesis_state(s, accounts);
  CHECK(genesis_state(s, accounts).get() != fresh.get());  // reuse off: built again
  pipesim::enable_input_reuse();
  const auto kept = genesis_state(s, accounts);
  CHECK(genesis_state(s, accounts).get() == kept.get());
  CHECK(kept->root() == fresh->root());
  // An equal map that is another object, or another validator count: built again.
  const auto copy = std::make_shared<const pipesim::execution::StateMap>(*accounts);
  const auto other_object = genesis_state(s, copy);
  CHECK(other_object.get() != kept.get());
  CHECK(other_object->root() == fresh->root());
  s.network.validators = 5;
  const auto more = genesis_state(s, copy);
  CHECK(more.get() != other_object.get());
  CHECK(more->root() != fresh->root());
}
