// Synthetic workloads: the dependency-distance generator (synthetic_mix.hpp) and the hot-ratio
// account popularity of BlockGenerator.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/workload/block_generator.hpp"
#include "models/workload/synthetic_mix.hpp"
#include "models/workload/trace_stats.hpp"

using namespace pipesim;
using namespace pipesim::workload;

namespace {

execution::ExecutionOutcome run(const execution::Block& b,
                                std::shared_ptr<const execution::StateLayer> pre,
                                const char* executor = "sequential", std::uint32_t threads = 1) {
  execution::ExecutorConfig c;
  c.threads = threads;
  c.compute_root = false;
  c.lazy_beneficiary = true;
  return execution::make_executor(executor)->execute(b, std::move(pre), c);
}

}  // namespace

TEST_CASE("dependency distance d: tx i depends on exactly tx i - d") {
  for (std::uint32_t d : {1u, 3u, 7u}) {
    CAPTURE(d);
    DependencyDistanceConfig cfg;
    cfg.distance = d;
    cfg.accounts = 1000;
    DependencyDistanceGenerator gen(cfg);
    auto pre = gen.genesis(std::nullopt);
    const execution::Block b = gen.next_block(42);
    auto out = run(b, pre);
    for (const auto& r : out.receipts) CHECK(r.status == execution::TxStatus::kSuccess);
    const ConflictAnalysis c = analyse_conflicts(out.read_sets, out.write_sets);
    for (std::uint32_t i = 0; i < 42; ++i) {
      if (i < d)
        CHECK(c.deps[i].empty());
      else
        CHECK(c.deps[i] == std::vector<std::uint32_t>{i - d});
    }
    CHECK(c.longest_chain == (42 + d - 1) / d);
    CHECK(c.independent == d);
    // Block-STM reaches the same state.
    auto stm = run(b, pre, "block_stm", 8);
    CHECK(stm.post_state->flattened_entries() == out.post_state->flattened_entries());
  }
}

TEST_CASE("dependency distance: dependent fraction and seeds") {
  DependencyDistanceConfig cfg;
  cfg.distance = 2;
  cfg.dependent_fraction = 0.0;
  DependencyDistanceGenerator none(cfg);
  auto out = run(none.next_block(50), none.genesis(std::nullopt));
  CHECK(analyse_conflicts(out.read_sets, out.write_sets).independent == 50);

  cfg.dependent_fraction = 0.5;
  cfg.seed = 11;
  DependencyDistanceGenerator a(cfg), b(cfg);
  cfg.seed = 12;
  DependencyDistanceGenerator c(cfg);
  std::size_t dep_a = 0, differ = 0;
  for (int k = 0; k < 200; ++k) {
    const auto ta = a.next_tx(), tb = b.next_tx(), tc = c.next_tx();
    CHECK(ta.trace->reads == tb.trace->reads);  // same seed, same stream
    dep_a += ta.trace->reads.size();
    differ += ta.trace->reads != tc.trace->reads;
  }
  CHECK(dep_a > 70);
  CHECK(dep_a < 130);
  CHECK(differ > 0);
  cfg.distance = 0;
  CHECK_THROWS_AS(DependencyDistanceGenerator{cfg}, std::invalid_argument);
}

TEST_CASE("BlockGenerator hot ratio: a fraction h of picks hits the hot accounts") {
  BlockGeneratorConfig cfg;
  cfg.accounts = 1000;
  cfg.hot_fraction = 0.01;  // 10 hot accounts
  cfg.hot_probability = 0.8;
  cfg.seed = 5;
  BlockGenerator gen(cfg);
  std::size_t hot = 0, total = 0;
  for (int blk = 0; blk < 10; ++blk)
    for (const auto& tx : gen.next_block(500).txs) {
      for (std::uint32_t i = 0; i < 10; ++i) {
        hot += tx.from == BlockGenerator::account(i);
        hot += tx.to == BlockGenerator::account(i);
      }
      total += 2;
    }
  const double frac = static_cast<double>(hot) / static_cast<double>(total);
  CHECK(frac == doctest::Approx(0.8).epsilon(0.03));

  BlockGenerator g1(cfg), g2(cfg);
  const auto b1 = g1.next_block(100), b2 = g2.next_block(100);
  for (std::size_t i = 0; i < 100; ++i) {
    CHECK(b1.txs[i].from == b2.txs[i].from);
    CHECK(b1.txs[i].to == b2.txs[i].to);
  }
  cfg.zipf_s = 1.0;
  CHECK_THROWS_AS(BlockGenerator{cfg}, std::invalid_argument);
  cfg.zipf_s = 0;
  cfg.hot_probability = 1.5;
  CHECK_THROWS_AS(BlockGenerator{cfg}, std::invalid_argument);
}
