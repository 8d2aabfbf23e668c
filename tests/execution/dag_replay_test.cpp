// Tests of speculation (speculation.hpp) and DAG replay (dag_replay.hpp): edge classification on
// hand-made sets, the ready rule on a hand-made block, serialisability against Sequential on
// random blocks over contention levels (both replay modes, fresh and missing speculation),
// improved <= basic re-executions, stale speculation raising re-execution, and the Sequential
// makespan estimate.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "models/execution/dag_replay.hpp"
#include "models/execution/sequential.hpp"
#include "models/execution/speculation.hpp"
#include "models/workload/block_generator.hpp"
#include "tests/sanitizer_scale.hpp"

namespace pipesim::execution {
namespace {

using workload::BlockGenerator;
using workload::BlockGeneratorConfig;
using workload::TxMix;

StateKey key(std::uint8_t id) {
  Address a{};
  a[0] = id;
  return StateKey::balance(a);
}

// Speculated sets from lists of key ids per tx.
SpeculatedAccess sets(const std::vector<std::pair<std::vector<int>, std::vector<int>>>& txs) {
  SpeculatedAccess s;
  for (const auto& [r, w] : txs) {
    for (int k : r) s.reads.keys.push_back(key(static_cast<std::uint8_t>(k)));
    s.reads.close_tx();
    for (int k : w) s.writes.keys.push_back(key(static_cast<std::uint8_t>(k)));
    s.writes.close_tx();
  }
  return s;
}

BlockGeneratorConfig generator_config(std::uint32_t accounts, std::uint64_t seed) {
  BlockGeneratorConfig g;
  g.accounts = accounts;
  g.seed = seed;
  g.revert_fraction = 0.05;
  g.invalid_nonce_fraction = 0.02;
  g.mix = TxMix::parse("transfer=2,erc20=2,approve=1,transfer_from=1,swap=1,nft_mint=1,trace=1");
  return g;
}

// Sequential on `block` permuted into `order`.
Block permuted(const Block& block, const std::vector<std::uint32_t>& order) {
  Block b = block;
  b.txs.clear();
  for (std::uint32_t i : order) b.txs.push_back(block.txs[i]);
  return b;
}

struct Totals {
  std::uint64_t txs = 0, exact = 0, reexec = 0, batches = 0, blocks = 0, identity_order = 0;
  double seq_s = 0, replay_s = 0;
};

// Replays `block` with `spec` in `mode`, checks it against Sequential on the serial order, and
// accumulates statistics.
ReplayOutcome check_replay(const Block& block, const std::shared_ptr<const StateLayer>& pre,
                           const ExecutorConfig& cfg, const SpeculatedAccess* spec, ReplayMode mode,
                           Totals& tot, bool raw_waits = false) {
  ReplayConfig rc;
  rc.mode = mode;
  rc.raw_waits = raw_waits;
  ReplayOutcome r = replay_block(block, pre, cfg, spec, rc);
  const std::size_t n = block.txs.size();
  REQUIRE(r.serial_order.size() == n);
  std::vector<std::uint32_t> sorted = r.serial_order;
  std::sort(sorted.begin(), sorted.end());
  for (std::uint32_t i = 0; i < n; ++i) REQUIRE(sorted[i] == i);  // a permutation

  SequentialExecutor seq;
  const ExecutionOutcome ref = seq.execute(permuted(block, r.serial_order), pre, cfg);
  CHECK(r.outcome.post_state->writes().sorted() == ref.post_state->writes().sorted());
  CHECK(r.outcome.state_root == ref.state_root);
  for (std::size_t p = 0; p < n; ++p)
    CHECK(r.outcome.receipts[r.serial_order[p]] == ref.receipts[p]);
  CHECK(r.outcome.gas_used == ref.gas_used);
  CHECK(r.stats.sequential_makespan_s == doctest::Approx(ref.makespan_s).epsilon(1e-9));
  CHECK(r.outcome.stats.re_executions == r.stats.re_executed);

  tot.txs += n;
  tot.exact += r.stats.speculated_exact;
  tot.reexec += r.stats.re_executed;
  tot.batches += r.stats.batches;
  ++tot.blocks;
  tot.seq_s += r.stats.sequential_makespan_s;
  tot.replay_s += r.outcome.makespan_s;
  std::vector<std::uint32_t> id(n);
  std::iota(id.begin(), id.end(), 0u);
  if (r.serial_order == id) ++tot.identity_order;
  return r;
}

}  // namespace

TEST_CASE("dependency DAG: edge classification (WAW dominates, WAR + RAW counts as WAW)") {
  // tx0 writes 1, reads 2, writes 3      tx1 writes 1           -> (0,1) WAW
  // tx2 writes 2                         -> (0,2) WAR           tx3 reads 3 -> (0,3) RAW
  // tx4 reads 4, writes 5                tx5 reads 5, writes 4  -> (4,5) WAR + RAW = WAW
  // tx6 reads 6                          tx7 reads 6            -> no edge (read-read)
  // tx8 writes 7, reads 8                tx9 writes 7 and 8     -> (8,9) WAW (+WAR) = WAW
  const SpeculatedAccess s = sets({{{2}, {1, 3}},
                                   {{}, {1}},
                                   {{}, {2}},
                                   {{3}, {}},
                                   {{4}, {5}},
                                   {{5}, {4}},
                                   {{6}, {}},
                                   {{6}, {}},
                                   {{8}, {7}},
                                   {{}, {7, 8}}});
  const DependencyDag dag = build_dependency_dag(10, s);
  const std::vector<DepEdge> expect = {{0, 1, DepKind::kWaw},
                                       {0, 2, DepKind::kWar},
                                       {0, 3, DepKind::kRaw},
                                       {4, 5, DepKind::kWaw},
                                       {8, 9, DepKind::kWaw}};
  CHECK(dag.edges == expect);
  CHECK(dag.count(DepKind::kWaw) == 3);
  CHECK(dag.count(DepKind::kRaw) == 1);
  CHECK(dag.key_accesses == 16);
  // Read-modify-write pairs are WAW; missing speculation means no edges.
  CHECK(build_dependency_dag(2, sets({{{1}, {1}}, {{1}, {1}}})).edges ==
        std::vector<DepEdge>{{0, 1, DepKind::kWaw}});
  CHECK(build_dependency_dag(5, sets({{{1}, {1}}})).edges.empty());
  CHECK(build_dependency_dag(3, empty_speculation(3)).edges.empty());
  SpeculatedAccess whole = sets({{{1}, {}}});
  append_speculation(whole, sets({{{}, {1}}}));
  CHECK(build_dependency_dag(2, whole).edges == std::vector<DepEdge>{{0, 1, DepKind::kWar}});
}

TEST_CASE("replay: ready rule and batches on a hand-made block") {
  // Four transfers: a->b, b->c (RAW/WAW on b's balance), d->e, e->d. With exact speculation:
  // batch 1 = {0, 2}, batch 2 = {1, 3} (each has a WAW predecessor in batch 1).
  BlockGenerator gen(generator_config(10, 1));
  auto pre = gen.genesis(std::nullopt);
  Block block;
  block.number = 1;
  block.beneficiary = BlockGenerator::beneficiary();
  auto A = [](std::uint32_t i) { return BlockGenerator::account(i); };
  block.txs = {Transaction::native_transfer(A(0), A(1), 5, 0),
               Transaction::native_transfer(A(1), A(2), 5, 0),
               Transaction::native_transfer(A(3), A(4), 5, 0),
               Transaction::native_transfer(A(4), A(3), 5, 0)};
  ExecutorConfig cfg;
  cfg.threads = 4;
  cfg.compute_root = false;
  const SpeculationResult sp = speculate(block, pre, cfg);
  CHECK(sp.chain_lengths == std::vector<std::uint32_t>{2, 2});
  CHECK(sp.original_index == std::vector<std::uint32_t>{0, 1, 2, 3});
  CHECK(sp.dag.edges == std::vector<DepEdge>{{0, 1, DepKind::kWaw}, {2, 3, DepKind::kWaw}});
  Totals tot;
  const ReplayOutcome r = check_replay(sp.block, pre, cfg, &sp.access, ReplayMode::kBasic, tot);
  CHECK(r.batch_of == std::vector<std::uint32_t>{1, 2, 1, 2});
  CHECK(r.stats.batches == 2);
  CHECK(r.stats.re_executed == 0);
  CHECK(r.stats.speculation_accuracy == 1.0);
  CHECK(r.serial_order == std::vector<std::uint32_t>{0, 2, 1, 3});
  CHECK(r.stats.speedup_over_sequential > 1.0);

  // Reordering: a chain of three (same sender) moves before two singletons.
  Block b2;
  b2.number = 1;
  b2.beneficiary = block.beneficiary;
  b2.txs = {Transaction::native_transfer(A(5), A(6), 1, 0),
            Transaction::native_transfer(A(0), A(7), 1, 0),
            Transaction::native_transfer(A(0), A(8), 1, 1),
            Transaction::native_transfer(A(0), A(9), 1, 2)};
  const SpeculationResult sp2 = speculate(b2, pre, cfg);
  CHECK(sp2.original_index == std::vector<std::uint32_t>{1, 2, 3, 0});
  CHECK(sp2.chain_lengths == std::vector<std::uint32_t>{3, 1});
  // A sender's transactions are speculated on top of each other (nonce chain): WAW edges, one
  // batch each, nothing re-executed, all succeed in block order.
  CHECK(sp2.dag.edges ==
        std::vector<DepEdge>{{0, 1, DepKind::kWaw}, {0, 2, DepKind::kWaw}, {1, 2, DepKind::kWaw}});
  for (bool raw_waits : {false, true}) {
    ReplayConfig rc;
    rc.raw_waits = raw_waits;
    const ReplayOutcome r2 = replay_block(sp2.block, pre, cfg, &sp2.access, rc);
    CHECK(r2.stats.re_executed == 0);
    CHECK(r2.stats.batches == 3);
    CHECK(r2.serial_order == std::vector<std::uint32_t>{0, 3, 1, 2});
    for (const Receipt& x : r2.outcome.receipts) CHECK(x.status == TxStatus::kSuccess);
  }
  // RAW-only predecessor: tx1 only reads what tx0 writes. The rule runs them in one
  // batch (tx1 reads the old value: serialised first); raw_waits makes tx1 wait.
  const SpeculatedAccess raw_only = sets({{{}, {1}}, {{1}, {2}}});
  Block two;
  two.txs = {block.txs[2], block.txs[0]};
  for (bool raw_waits : {false, true}) {
    ReplayConfig rc;
    rc.raw_waits = raw_waits;
    rc.mode = ReplayMode::kBasic;
    const ReplayOutcome r3 = replay_block(two, pre, cfg, &raw_only, rc);
    CHECK(r3.dag.edges == std::vector<DepEdge>{{0, 1, DepKind::kRaw}});
    CHECK(r3.stats.batches == (raw_waits ? 2u : 1u));
  }
}

TEST_CASE("replay equals Sequential (serial order) on 300+ random blocks; improved <= basic") {
  constexpr int kCases = 100 / test::kRandomCaseDivisor;  // three blocks each
  const std::uint32_t kAccounts[] = {3, 10, 100, 1000, 5000};
  const std::uint32_t kThreads[] = {1, 2, 4, 8, 16};
  std::mt19937_64 rng(20251125);
  std::map<std::uint32_t, Totals> basic_by_level, improved_by_level;
  Totals missing_basic, missing_improved;
  int blocks = 0;
  for (int c = 0; c < kCases; ++c) {
    const std::uint32_t accounts = kAccounts[c % 5];
    BlockGenerator gen(generator_config(accounts, rng()));
    // MPT roots on some small-state configurations (roots compared too); flat elsewhere (speed).
    std::shared_ptr<const StateLayer> pre = gen.genesis(
        c % 10 < 4 && accounts <= 100 ? std::optional(CommitmentKind::kMerklePatriciaTrie)
                                      : std::nullopt);
    for (int k = 0; k < 3; ++k, ++blocks) {
      ExecutorConfig cfg;
      cfg.threads = kThreads[rng() % 5];
      cfg.lazy_beneficiary = rng() % 4 != 0;
      const bool raw_waits = rng() % 2 == 0;
      // Two proposers' batches ordered into one block; each speculated on the same state.
      const Block b1 = gen.next_block(1 + static_cast<std::uint32_t>(rng() % 40));
      const Block b2 = gen.next_block(1 + static_cast<std::uint32_t>(rng() % 40));
      const SpeculationResult s1 = speculate(b1, pre, cfg);
      const SpeculationResult s2 = speculate(b2, pre, cfg);
      Block block = s1.block;
      block.txs.insert(block.txs.end(), s2.block.txs.begin(), s2.block.txs.end());
      SpeculatedAccess spec = s1.access;
      append_speculation(spec, s2.access);
      CAPTURE(c);
      CAPTURE(k);
      CAPTURE(accounts);
      CAPTURE(cfg.threads);
      CAPTURE(raw_waits);
      const ReplayOutcome basic = check_replay(block, pre, cfg, &spec, ReplayMode::kBasic,
                                               basic_by_level[accounts], raw_waits);
      const ReplayOutcome improved = check_replay(block, pre, cfg, &spec, ReplayMode::kImproved,
                                                  improved_by_level[accounts], raw_waits);
      CHECK(improved.stats.re_executed <= basic.stats.re_executed);
      if (c % 6 == 0) {  // no speculation at all (leader-based variant's non-leader batches)
        const ReplayOutcome mb =
            check_replay(block, pre, cfg, nullptr, ReplayMode::kBasic, missing_basic);
        const ReplayOutcome mi =
            check_replay(block, pre, cfg, nullptr, ReplayMode::kImproved, missing_improved);
        CHECK(mb.stats.re_executed == block.txs.size());
        // Only the sender chains order them: one batch per transaction of the busiest sender.
        std::map<Address, std::uint32_t> per_sender;
        std::uint32_t longest = 0;
        for (const Transaction& tx : block.txs) longest = std::max(longest, ++per_sender[tx.from]);
        CHECK(mb.stats.batches == longest);
        CHECK(mi.stats.re_executed <= mb.stats.re_executed);
      }
      pre = improved.outcome.post_state;  // the next block runs on this one's post-state
    }
  }
  CHECK(blocks >= 3 * kCases);
  for (const auto& [accounts, b] : basic_by_level) {
    const Totals& i = improved_by_level[accounts];
    MESSAGE("accounts=", accounts, " accuracy=", double(b.exact) / b.txs,
            " reexec basic=", double(b.reexec) / b.txs, " improved=", double(i.reexec) / i.txs,
            " batches/block=", double(b.batches) / b.blocks,
            " txs/batch=", double(b.txs) / b.batches, " speedup basic=", b.seq_s / b.replay_s,
            " improved=", i.seq_s / i.replay_s, " identity-order blocks=", b.identity_order, "/",
            b.blocks);
    CHECK(i.reexec <= b.reexec);
  }
  MESSAGE("no speculation: reexec basic=", double(missing_basic.reexec) / missing_basic.txs,
          " improved=", double(missing_improved.reexec) / missing_improved.txs);
  CHECK(missing_improved.reexec < missing_basic.reexec);
}

TEST_CASE("speculation on a stale state raises re-execution") {
  // Run D blocks of a chain, then speculate block D+1 on the current state (fresh) and on the
  // state D blocks earlier (stale): stale nonces and balances change the access sets.
  ExecutorConfig cfg;
  cfg.threads = 8;
  cfg.compute_root = false;
  std::uint64_t fresh_re = 0, stale_re = 0, fresh_exact = 0, stale_exact = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    BlockGenerator gen(generator_config(200, seed));
    const std::shared_ptr<const StateLayer> genesis = gen.genesis(std::nullopt);
    std::vector<std::shared_ptr<const StateLayer>> states{genesis};
    SequentialExecutor seq;
    const int D = 4;
    for (int d = 0; d < D; ++d)
      states.push_back(seq.execute(gen.next_block(100), states.back(), cfg).post_state);
    const Block next = gen.next_block(100);
    const SpeculationResult fresh = speculate(next, states[D], cfg);
    const SpeculationResult stale = speculate(next, states[0], cfg);
    Totals t;
    const ReplayOutcome rf =
        check_replay(fresh.block, states[D], cfg, &fresh.access, ReplayMode::kImproved, t);
    const ReplayOutcome rs =
        check_replay(stale.block, states[D], cfg, &stale.access, ReplayMode::kImproved, t);
    fresh_re += rf.stats.re_executed;
    stale_re += rs.stats.re_executed;
    fresh_exact += rf.stats.speculated_exact;
    stale_exact += rs.stats.speculated_exact;
  }
  MESSAGE("fresh: reexec=", fresh_re, " exact=", fresh_exact, "; stale (D=4): reexec=", stale_re,
          " exact=", stale_exact);
  CHECK(stale_re > fresh_re);
  CHECK(stale_exact < fresh_exact);
}

TEST_CASE("speculation writes: speculating on the in-flight batch recovers stale-nonce accuracy") {
  // A proposer's batch 2 follows its batch 1 before batch 1 is replayed. Speculated on the state
  // without batch 1 (stale), senders with transactions in both batches see old nonces; on top of
  // batch 1's speculated writes (SpeculationResult::writes) they see their own nonces.
  ExecutorConfig cfg;
  cfg.threads = 8;
  cfg.compute_root = false;
  std::uint64_t stale_re = 0, pending_re = 0, stale_exact = 0, pending_exact = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    BlockGenerator gen(generator_config(60, seed));
    const std::shared_ptr<const StateLayer> pre = gen.genesis(std::nullopt);
    const Block b1 = gen.next_block(60);
    const Block b2 = gen.next_block(60);
    const SpeculationResult s1 = speculate(b1, pre, cfg);
    // The writes are the last value of every key some sender chain wrote.
    std::size_t written = 0;
    for (std::size_t i = 0; i < s1.access.size(); ++i) written += s1.access.writes[i].size();
    CHECK(!s1.writes.empty());
    CHECK(s1.writes.size() <= written);
    const auto with_b1 = StateLayer::make_child(pre, s1.writes, /*update_commitment=*/false);
    const SpeculationResult stale = speculate(b2, pre, cfg);
    const SpeculationResult pending = speculate(b2, with_b1, cfg);
    // Both replayed on the agreed state after batch 1.
    Totals t;
    const ReplayOutcome r1 = check_replay(s1.block, pre, cfg, &s1.access, ReplayMode::kImproved, t);
    const auto post1 = r1.outcome.post_state;
    const ReplayOutcome rs =
        check_replay(stale.block, post1, cfg, &stale.access, ReplayMode::kImproved, t);
    const ReplayOutcome rp =
        check_replay(pending.block, post1, cfg, &pending.access, ReplayMode::kImproved, t);
    stale_re += rs.stats.re_executed;
    pending_re += rp.stats.re_executed;
    stale_exact += rs.stats.speculated_exact;
    pending_exact += rp.stats.speculated_exact;
  }
  MESSAGE("stale: reexec=", stale_re, " exact=", stale_exact,
          "; on in-flight writes: reexec=", pending_re, " exact=", pending_exact);
  CHECK(pending_exact > stale_exact);
  CHECK(pending_re < stale_re);
}

TEST_CASE("speculation: schedule and errors") {
  BlockGenerator gen(generator_config(50, 3));
  auto pre = gen.genesis(std::nullopt);
  const Block b = gen.next_block(40);
  ExecutorConfig cfg;
  cfg.threads = 4;
  const SpeculationResult s = speculate(b, pre, cfg);
  CHECK(s.block.txs.size() == 40);
  CHECK(std::accumulate(s.chain_lengths.begin(), s.chain_lengths.end(), 0u) == 40);
  CHECK(std::is_sorted(s.chain_lengths.rbegin(), s.chain_lengths.rend()));
  CHECK(s.makespan_s > 0);
  double busy = 0;
  for (const Span& sp : s.schedule) {
    CHECK(sp.worker < 4);
    CHECK(sp.end_s <= s.makespan_s + 1e-12);
    if (sp.kind == SpanKind::kExecute) busy += sp.end_s - sp.start_s;
  }
  CHECK(busy > 0);
  ExecutorConfig one = cfg;
  one.threads = 1;
  CHECK(speculate(b, pre, one).makespan_s > s.makespan_s);  // fewer workers, longer
  SpeculationConfig keep;
  keep.reorder = false;
  const SpeculationResult k = speculate(b, pre, cfg, keep);
  CHECK(k.original_index == [] {
    std::vector<std::uint32_t> v(40);
    std::iota(v.begin(), v.end(), 0u);
    return v;
  }());
  ExecutorConfig zero = cfg;
  zero.threads = 0;
  CHECK_THROWS_AS(speculate(b, pre, zero), std::invalid_argument);
  CHECK_THROWS_AS(speculate(b, nullptr, cfg), std::invalid_argument);
  CHECK_THROWS_AS(replay_block(b, nullptr, cfg, nullptr), std::invalid_argument);

  // Executor interface with the side channel.
  DagReplayExecutor ex;
  ex.set_speculation(std::make_shared<SpeculatedAccess>(s.access));
  const ExecutionOutcome o = ex.execute(s.block, pre, cfg);
  CHECK(ex.name() == "dag_replay");
  CHECK(o.receipts.size() == 40);
  CHECK(ex.last().stats.txs == 40);
  ReplayConfig basic_cfg;
  basic_cfg.mode = ReplayMode::kBasic;
  CHECK(DagReplayExecutor(basic_cfg).name() == "dag_replay_basic");
}

}  // namespace pipesim::execution
