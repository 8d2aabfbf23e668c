// Conflict analysis and per-block statistics (models/workload/trace_stats.hpp) on hand-built
// access sets whose dependencies are worked out by hand.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/workload/block_generator.hpp"
#include "models/workload/trace_stats.hpp"

using namespace pipesim;
using namespace pipesim::workload;
using execution::StateKey;

namespace {

Address a(std::uint8_t i) {
  Address x{};
  x[19] = i;
  return x;
}

}  // namespace

TEST_CASE("analyse_conflicts: RAW, WAW and WAR with earlier transactions, chains") {
  const StateKey A = StateKey::balance(a(1)), B = StateKey::balance(a(2)),
                 C = StateKey::nonce(a(3));
  // t0 writes A; t1 reads A (RAW on t0); t2 writes B, reads C (no conflict);
  // t3 reads B (RAW on t2), writes A (WAW on t0, WAR on t1); t4 reads C only (reads never
  // conflict with reads).
  std::vector<std::vector<StateKey>> r = {{}, {A}, {C}, {B}, {C}};
  std::vector<std::vector<StateKey>> w = {{A}, {}, {B}, {A}, {}};
  const ConflictAnalysis c = analyse_conflicts(r, w);
  REQUIRE(c.size() == 5);
  CHECK(c.deps[0].empty());
  CHECK(c.deps[1] == std::vector<std::uint32_t>{0});
  CHECK(c.deps[2].empty());
  CHECK(c.deps[3] == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(c.deps[4].empty());
  CHECK(c.chain == std::vector<std::uint32_t>{1, 2, 1, 3, 1});
  CHECK(c.independent == 3);
  CHECK(c.longest_chain == 3);
  CHECK(c.conflicting_pairs == 4);
  CHECK(c.independent_fraction() == doctest::Approx(0.6));
  CHECK(c.chain_ratio() == doctest::Approx(0.6));
  CHECK(c.conflict_rate() == doctest::Approx(4.0 / 10.0));

  // Ignoring A leaves only t3's RAW on t2.
  ConflictOptions opts;
  opts.ignore = {A};
  const ConflictAnalysis d = analyse_conflicts(r, w, opts);
  CHECK(d.deps[3] == std::vector<std::uint32_t>{2});
  CHECK(d.independent == 4);
  CHECK(d.longest_chain == 2);

  // A dependency-distance-1 chain of n transactions: longest chain n.
  std::vector<std::vector<StateKey>> rr(10), ww(10);
  for (std::size_t i = 0; i < 10; ++i) rr[i] = ww[i] = {A};
  const ConflictAnalysis e = analyse_conflicts(rr, ww);
  CHECK(e.longest_chain == 10);
  CHECK(e.independent == 1);
  CHECK(e.conflict_rate() == doctest::Approx(1.0));

  CHECK_THROWS_AS(analyse_conflicts(r, std::vector<std::vector<StateKey>>(2)),
                  std::invalid_argument);
  const ConflictAnalysis empty =
      analyse_conflicts(std::vector<std::vector<StateKey>>{}, std::vector<std::vector<StateKey>>{});
  CHECK(empty.independent_fraction() == 1.0);
  CHECK(empty.conflict_rate() == 0.0);
}

TEST_CASE("analyse_conflicts on an executor's access lists equals the vector form") {
  BlockGeneratorConfig cfg;
  cfg.accounts = 20;
  cfg.seed = 3;
  cfg.mix = TxMix::parse("transfer=1,erc20=1");
  BlockGenerator gen(cfg);
  auto pre = gen.genesis(std::nullopt);
  const execution::Block blk = gen.next_block(60);
  execution::ExecutorConfig ec;
  ec.compute_root = false;
  ec.lazy_beneficiary = true;
  auto out = execution::make_executor("sequential")->execute(blk, pre, ec);
  const ConflictAnalysis x = analyse_conflicts(out.read_sets, out.write_sets);
  std::vector<std::vector<StateKey>> r, w;
  for (std::size_t i = 0; i < out.read_sets.size(); ++i) {
    r.emplace_back(out.read_sets[i].begin(), out.read_sets[i].end());
    w.emplace_back(out.write_sets[i].begin(), out.write_sets[i].end());
  }
  const ConflictAnalysis y = analyse_conflicts(r, w);
  CHECK(x.deps == y.deps);
  CHECK(x.size() == 60);
  CHECK(x.independent < 60);  // 20 accounts, 60 transactions: conflicts are certain
}

TEST_CASE("block_stats: exact/derived counts, beneficiary ignored by default") {
  TracedBlock b;
  b.number = 9;
  b.beneficiary = a(9);
  const StateKey fee = StateKey::balance(a(9));
  for (std::uint8_t i = 0; i < 3; ++i) {
    TracedTx t;
    auto trace = std::make_shared<execution::AccessTrace>();
    trace->gas_used = 30'000;
    t.tx = execution::Transaction::access_trace(a(i), trace, 0);
    t.reads = {{StateKey::balance(a(i)), KeyOrigin::kExact},
               {StateKey::storage(a(50), Hash32{}), KeyOrigin::kDerived}};
    t.writes = {{StateKey::balance(a(i)), KeyOrigin::kExact}, {fee, KeyOrigin::kExact}};
    b.txs.push_back(t);
  }
  const BlockStats s = block_stats(b);
  CHECK(s.txs == 3);
  CHECK(s.gas == 90'000);
  CHECK(s.independent_fraction == 1.0);
  CHECK(s.read_keys_exact == 3);
  CHECK(s.read_keys_derived == 3);
  CHECK(s.write_keys_exact == 6);
  CHECK(s.write_keys_derived == 0);
  const BlockStats t = block_stats(b, /*ignore_beneficiary=*/false);
  CHECK(t.longest_chain == 3);  // the fee credits form a WAW chain
  CHECK(t.conflict_rate == doctest::Approx(1.0));
  CHECK(b.to_block().txs.size() == 3);
}
