// Executors: factory, schedules in virtual time, statistics, lazy/eager beneficiary, speedup.
#include "models/execution/executor.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/workload/block_generator.hpp"
#include "tests/execution/executor_fixtures.hpp"

namespace pipesim::execution {
namespace {

using fixtures::config;
using fixtures::genesis;
using fixtures::independent_block;
using fixtures::same_sender_block;
using workload::BlockGenerator;
using workload::BlockGeneratorConfig;

TEST_CASE("make_executor: known names, and the error lists them") {
  for (const std::string& n : executor_names()) CHECK(make_executor(n)->name() == n);
  try {
    make_executor("dag");
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("'dag'") != std::string::npos);
    CHECK(what.find("sequential, block_stm, batch_occ") != std::string::npos);
  }
  auto pre = genesis(4);
  ExecutorConfig zero = config(1);
  zero.threads = 0;
  for (const std::string& n : executor_names()) {
    CHECK_THROWS_AS(make_executor(n)->execute(Block{}, pre, zero), std::invalid_argument);
    CHECK_THROWS_AS(make_executor(n)->execute(Block{}, nullptr, config(1)), std::invalid_argument);
  }
}

TEST_CASE("sequential schedule: sig recovery in parallel, execution serial, then commit") {
  auto pre = genesis(400);
  Block b = independent_block(100);
  ExecutorConfig c = config(4);
  auto out = make_executor("sequential")->execute(b, pre, c);
  REQUIRE(out.receipts.size() == 100);
  CHECK(out.gas_used == 100 * 21'000);
  CHECK(out.stats.incarnations == 100);
  CHECK(out.read_sets.size() == 100);
  CHECK(out.write_sets.size() == 100);
  CHECK(out.write_sets[0].size() == 3);  // nonce, sender, recipient (lazy beneficiary)
  int sig = 0, exec = 0, commit = 0;
  for (const Span& s : out.schedule) {
    CHECK(s.end_s >= s.start_s);
    sig += s.kind == SpanKind::kSigRecover;
    exec += s.kind == SpanKind::kExecute;
    commit += s.kind == SpanKind::kCommit;
    if (s.kind == SpanKind::kExecute) CHECK(s.worker == 0);
  }
  CHECK(sig == 100);
  CHECK(exec == 100);
  CHECK(commit == 1);
  const double sig_phase = 25 * c.cost.sig_recover_s();
  // Each transfer: fixed cost + 21000 gas + 3 cold reads (nonce, balance, recipient; the sender
  // balance again for the refund is served by the VM, not the reader) + 3 writes.
  const double per_tx = c.cost.execute_s(Transaction{}, 21'000, 3, 0, 3);
  CHECK(out.makespan_s == doctest::Approx(sig_phase + 100 * per_tx + c.cost.root_s(0)));
  // Lazy: the beneficiary received all fees once.
  CHECK(out.post_state->get(StateKey::balance(b.beneficiary)) == U256{std::uint64_t{100} * 21'000});
  CHECK(out.lazy_beneficiary);
}

TEST_CASE("Block-STM and OCC: speedup on independent transfers, none on a dependent chain") {
  auto pre = genesis(2000);
  const Block ind = independent_block(512);
  const Block dep = same_sender_block(128);
  auto seq = make_executor("sequential");
  for (const char* name : {"block_stm", "batch_occ"}) {
    auto ex = make_executor(name);
    CAPTURE(name);
    double base = seq->execute(ind, pre, config(1)).makespan_s;
    double last_speedup = 0;
    for (std::uint32_t t : {1u, 2u, 4u, 8u, 16u}) {
      auto out = ex->execute(ind, pre, config(t));
      const double speedup = base / out.makespan_s;
      CAPTURE(t);
      CHECK(speedup > last_speedup);
      last_speedup = speedup;
      CHECK(out.stats.aborts == 0);
      CHECK(out.stats.re_executions == 0);
    }
    CHECK(last_speedup > 6.0);  // 16 workers on fully independent work

    // Same thread count for both: signature recovery runs on all workers in either case.
    auto seq_dep = seq->execute(dep, pre, config(8));
    auto out = ex->execute(dep, pre, config(8));
    CHECK(out.receipts == seq_dep.receipts);
    CHECK(out.post_state->writes().sorted() == seq_dep.post_state->writes().sorted());
    if (std::string(name) == "block_stm") {
      CHECK(out.stats.incarnations == 128);  // nonce reads wait: each executes once
    } else {
      CHECK(out.stats.incarnations > 128);  // OCC: conflicts force re-execution
    }
    CHECK(seq_dep.makespan_s / out.makespan_s <= 1.0);
  }
}

TEST_CASE("Batch OCC: per-round statistics add up to the block's counters") {
  auto pre = genesis(2000);
  auto occ = make_executor("batch_occ");
  // Independent transfers: every round full (batch 8) and abort-free.
  {
    const auto out = occ->execute(independent_block(100), pre, config(8));
    REQUIRE(out.stats.occ_rounds.size() == out.stats.rounds);
    CHECK(out.stats.rounds == 13);  // ceil(100 / 8)
    const OccAbortSummary r = summarise_occ_rounds(out.stats.occ_rounds);
    CHECK(r.executed == 100);
    CHECK(r.aborted == 0);
    CHECK(r.max_batch_size == 8);
    CHECK(out.stats.occ_rounds.back().batch_size == 4);
    CHECK(r.abort_fraction_max == 0.0);
  }
  // A dependent chain (one sender: each transaction reads the nonce the previous one writes): one
  // commit per round, the rest of the batch aborted.
  {
    const auto out = occ->execute(same_sender_block(40), pre, config(4));
    REQUIRE(out.stats.occ_rounds.size() == out.stats.rounds);
    const OccAbortSummary r = summarise_occ_rounds(out.stats.occ_rounds);
    CHECK(r.executed == out.stats.incarnations);
    CHECK(r.aborted == out.stats.aborts);
    CHECK(r.rounds == out.stats.rounds);
    std::uint64_t committed = 0;
    for (const OccRoundStats& round : out.stats.occ_rounds) {
      CHECK(round.aborted < round.batch_size);  // the lowest transaction always commits
      committed += round.batch_size - round.aborted;
    }
    CHECK(committed == 40);
    CHECK(r.abort_fraction_max > 0.5);
    CHECK(r.abort_fraction_overall ==
          static_cast<double>(out.stats.aborts) / static_cast<double>(out.stats.incarnations));
    CHECK(r.abort_fraction_mean <= r.abort_fraction_max);
  }
  // Other executors report no rounds; an empty summary is all zero.
  CHECK(make_executor("block_stm")
            ->execute(same_sender_block(40), pre, config(4))
            .stats.occ_rounds.empty());
  const OccAbortSummary none = summarise_occ_rounds({});
  CHECK(none.rounds == 0);
  CHECK(none.abort_fraction_overall == 0.0);
}

/// A generated block of `txs` transactions of `mix` among `accounts` accounts, and its
/// pre-state.
struct GeneratedBlock {
  std::shared_ptr<const StateLayer> pre;
  Block block;
};
GeneratedBlock generated_block(std::uint32_t accounts, const char* mix, std::uint32_t txs) {
  BlockGeneratorConfig g;
  g.accounts = accounts;
  g.mix = workload::TxMix::parse(mix);
  BlockGenerator gen(g);
  auto pre = gen.genesis(std::nullopt);
  return {std::move(pre), gen.next_block(txs)};
}

TEST_CASE("Batch OCC declared_conflicts: serialisable, fewer aborts on a contended block") {
  const auto [pre, b] = generated_block(100, "transfer=2,erc20=2,swap=1", 1000);
  const auto seq = make_executor("sequential")->execute(b, pre, config(8));
  auto occ = make_executor("batch_occ");
  ExecutorConfig window = config(8), declared = config(8);
  declared.occ_formation = OccFormation::kDeclaredConflicts;
  const auto w = occ->execute(b, pre, window);
  const auto d = occ->execute(b, pre, declared);
  for (const ExecutionOutcome* out : {&w, &d}) {
    CHECK(out->receipts == seq.receipts);
    CHECK(out->post_state->writes().sorted() == seq.post_state->writes().sorted());
    CHECK(out->stats.occ_rounds.size() == out->stats.rounds);
    CHECK(out->stats.incarnations == 1000 + out->stats.aborts);
    for (const OccRoundStats& r : out->stats.occ_rounds) {
      CHECK(r.batch_size <= 8);
      CHECK(r.aborted <= r.batch_size);
    }
  }
  CHECK(d.stats.aborts < w.stats.aborts);
  // ERC-20 calls and NFT mints declare every slot they touch (calldata names the token and the
  // parties): the declared formation never aborts on them, the index window does.
  {
    const auto [tpre, tb] =
        generated_block(50, "erc20=4,approve=1,transfer_from=2,nft_mint=1", 600);
    const auto tseq = make_executor("sequential")->execute(tb, tpre, config(8));
    const auto tw = occ->execute(tb, tpre, window);
    const auto td = occ->execute(tb, tpre, declared);
    CHECK(td.receipts == tseq.receipts);
    CHECK(td.post_state->writes().sorted() == tseq.post_state->writes().sorted());
    CHECK(tw.stats.aborts > 0);
    CHECK(td.stats.aborts == 0);
  }
  // Same-sender chains are declared (sender nonce): a dependent block aborts nothing.
  // Each transaction waits on the one before it: one per round, 40 rounds.
  const auto dep = occ->execute(same_sender_block(40), genesis(100), declared);
  CHECK(dep.stats.aborts == 0);
  CHECK(dep.stats.rounds == 40);
  CHECK(std::all_of(dep.stats.occ_rounds.begin(), dep.stats.occ_rounds.end(),
                    [](const OccRoundStats& r) { return r.batch_size == 1; }));
  CHECK(to_string(OccFormation::kDeclaredConflicts) == std::string("declared_conflicts"));
  CHECK(parse_occ_formation("index_window") == OccFormation::kIndexWindow);
  CHECK_FALSE(parse_occ_formation("window").has_value());
  CHECK(require_occ_formation("--formation", "declared_conflicts") ==
        OccFormation::kDeclaredConflicts);
  CHECK_THROWS_WITH_AS(require_occ_formation("--formation", "window"),
                       "--formation: 'window' is not index_window or declared_conflicts",
                       std::invalid_argument);
}

TEST_CASE("Block-STM: eager beneficiary credits serialise the block, lazy ones do not") {
  auto pre = genesis(2000);
  const Block ind = independent_block(256);
  auto stm = make_executor("block_stm");
  auto seq = make_executor("sequential");
  // No signature-recovery phase, so that the makespans compare the execution phases (recovery
  // costs ~10x a transfer's execution and would hide the difference).
  ExecutorConfig lazy_cfg = config(8, true), eager_cfg = config(8, false);
  lazy_cfg.cost.sig_recover_us = eager_cfg.cost.sig_recover_us = 0;
  auto lazy = stm->execute(ind, pre, lazy_cfg);
  auto eager = stm->execute(ind, pre, eager_cfg);
  auto seq_eager = seq->execute(ind, pre, config(1, false));
  CHECK_FALSE(eager.lazy_beneficiary);
  CHECK(eager.receipts == seq_eager.receipts);
  CHECK(eager.post_state->writes().sorted() == seq_eager.post_state->writes().sorted());
  CHECK(lazy.post_state->get(StateKey::balance(ind.beneficiary)) ==
        eager.post_state->get(StateKey::balance(ind.beneficiary)));
  CHECK(eager.stats.incarnations > lazy.stats.incarnations);
  CHECK(eager.makespan_s > 2 * lazy.makespan_s);
  // A block that names the beneficiary falls back to eager crediting.
  Block touches = ind;
  touches.txs.push_back(
      Transaction::native_transfer(BlockGenerator::account(1999), ind.beneficiary, U256{1}, 0));
  CHECK_FALSE(stm->execute(touches, pre, config(4, true)).lazy_beneficiary);
}

TEST_CASE("executors are deterministic: identical outcome on repeated runs") {
  const auto [pre, b] = generated_block(50, "transfer=1,erc20=1,swap=1,nft_mint=1,trace=1", 300);
  for (const std::string& n : executor_names()) {
    auto a = make_executor(n)->execute(b, pre, config(7));
    auto c = make_executor(n)->execute(b, pre, config(7));
    REQUIRE(a.schedule.size() == c.schedule.size());
    for (std::size_t i = 0; i < a.schedule.size(); ++i) {
      CHECK(a.schedule[i].start_s == c.schedule[i].start_s);
      CHECK(a.schedule[i].worker == c.schedule[i].worker);
      CHECK(a.schedule[i].tx_index == c.schedule[i].tx_index);
    }
    CHECK(a.makespan_s == c.makespan_s);
    CHECK(a.stats.incarnations == c.stats.incarnations);
    // Spans never overlap on one worker.
    std::vector<double> busy_until(8, 0.0);
    for (const Span& s : a.schedule) {
      CHECK(s.start_s >= busy_until[s.worker] - 1e-12);
      busy_until[s.worker] = s.end_s;
    }
  }
}

TEST_CASE("cost model: terms per transaction, tiers, async I/O, commitment") {
  CostModel c;
  c.tx_fixed_us = 2;
  c.cpu_ns_per_gas = 0.5;
  c.warm_read_us = 0.1;
  c.write_us = 0.2;
  c.memory_read_us = 0.3;
  c.page_cache_read_us = 4;
  c.cold_read_us = 80;
  c.trie_node_hash_us = 1;
  c.trie_node_miss_fraction = 0.5;
  c.task_overhead_us = 0.5;
  c.mv_read_us = 0.1;
  c.validate_read_us = 0.05;
  // In memory: a cold read costs memory_read_us.
  CHECK(c.execute_s(21'000, 3, 2, 3) ==
        doctest::Approx((2 + 10.5 + 3 * 0.3 + 2 * 0.1 + 3 * 0.2) * 1e-6));
  c.state_tier = StorageTier::kDisk;
  CHECK(c.execute_s(21'000, 3, 0) == doctest::Approx((2 + 10.5 + 3 * 80) * 1e-6));
  c.async_io = true;  // the reads overlap: one latency
  CHECK(c.execute_s(21'000, 3, 2) == doctest::Approx((2 + 10.5 + 0.2 + 80) * 1e-6));
  c.state_tier = StorageTier::kPageCache;
  CHECK(c.io_s(5, 0) == doctest::Approx(4e-6));
  c.async_io = false;
  CHECK(c.io_s(5, 0) == doctest::Approx(20e-6));
  CHECK(c.parallel_task_s(10) == doctest::Approx(1.5e-6));
  CHECK(c.validate_s(10) == doctest::Approx(1e-6));
  // Commitment: hashing plus loading the uncached half of the path nodes from the tier.
  CHECK(c.root_s(100) == doctest::Approx((0.5 + 100 * (1 + 0.5 * 4)) * 1e-6));
  c.state_tier = StorageTier::kMemory;
  CHECK(c.root_s(100) == doctest::Approx((0.5 + 100 * (1 + 0.5 * 0.3)) * 1e-6));
  c.state_tier = StorageTier::kDisk;
  c.disk_iops = 1000;
  CHECK(c.iops_floor_s(500) == doctest::Approx(0.5));
}

TEST_CASE("state cache: LRU by bytes; cached keys read warm across blocks") {
  StateCache lru(3 * StateCache::kEntryBytes);
  const auto key = [](std::uint32_t i) { return StateKey::balance(BlockGenerator::account(i)); };
  CHECK_FALSE(lru.access(key(1)));
  CHECK_FALSE(lru.access(key(2)));
  CHECK_FALSE(lru.access(key(3)));
  CHECK(lru.access(key(1)));        // 1 most recent; 2 least
  CHECK_FALSE(lru.access(key(4)));  // evicts 2
  CHECK(lru.size() == 3);
  CHECK_FALSE(lru.access(key(2)));
  CHECK(lru.access(key(4)));

  auto pre = genesis(400);
  const Block b = independent_block(100);
  ExecutorConfig cfg = config(1);
  cfg.cost.state_tier = StorageTier::kDisk;
  cfg.state_cache = std::make_shared<StateCache>(std::uint64_t{1} << 30);
  auto seq = make_executor("sequential");
  auto first = seq->execute(b, pre, cfg);
  auto second = seq->execute(b, pre, cfg);  // the same keys again: all in the client cache
  CHECK(first.stats.cold_reads == 301);     // 3 per transfer + the lazy beneficiary credit
  CHECK(second.stats.cold_reads == 0);
  CHECK(second.makespan_s < first.makespan_s / 5);
}

}  // namespace
}  // namespace pipesim::execution
