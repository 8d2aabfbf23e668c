// Block-STM as in the paper and its EVM implementations: nonce reads wait for the sender's
// previous transaction (declared writes), raw transfers credit recipients lazily (deltas), the
// small-block sequential fallback, and post-state equality with Sequential.
#include <doctest/doctest.h>

#include "models/execution/block_stm.hpp"
#include "models/execution/mv_memory.hpp"
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

void check_equal(const ExecutionOutcome& a, const ExecutionOutcome& b) {
  CHECK(a.receipts == b.receipts);
  CHECK(a.post_state->writes().sorted() == b.post_state->writes().sorted());
}

TEST_CASE("Block-STM: a same-sender chain executes each transaction exactly once") {
  auto pre = genesis(100);
  for (std::uint32_t n : {10u, 200u}) {
    const Block b = same_sender_block(n);
    auto seq = make_executor("sequential")->execute(b, pre, config(1));
    for (std::uint32_t t : {1u, 2u, 4u, 8u, 32u}) {
      CAPTURE(n);
      CAPTURE(t);
      auto out = make_executor("block_stm")->execute(b, pre, config(t));
      check_equal(out, seq);
      CHECK(out.stats.incarnations == n);
      CHECK(out.stats.re_executions == 0);
      CHECK(out.stats.aborts == 0);
      for (const Receipt& r : out.receipts) CHECK(r.status == TxStatus::kSuccess);
      if (t > 1) CHECK(out.stats.dependency_waits > 0);  // nonce reads waited
      CHECK(out.stats.dependency_waits <= n);            // at most one suspension each
    }
  }
}

TEST_CASE("Block-STM: a fully dependent block runs at or below sequential speed") {
  auto pre = genesis(100);
  const Block b = same_sender_block(256);
  for (std::uint32_t t : {2u, 8u, 32u}) {
    CAPTURE(t);
    auto seq = make_executor("sequential")->execute(b, pre, config(t));
    auto out = make_executor("block_stm")->execute(b, pre, config(t));
    CHECK(seq.makespan_s / out.makespan_s <= 1.0);
    CHECK(static_cast<double>(out.stats.incarnations) / 256.0 < 1.1);
  }
}

TEST_CASE("Block-STM: transfers to one recipient are lazy credits and do not conflict") {
  auto pre = genesis(2000);
  Block b;
  b.number = 1;
  b.beneficiary = BlockGenerator::beneficiary();
  for (std::uint32_t i = 0; i < 300; ++i)  // an exchange deposit address
    b.txs.push_back(Transaction::native_transfer(BlockGenerator::account(10 + i),
                                                 BlockGenerator::account(1), U256{7}, 0));
  auto seq = make_executor("sequential")->execute(b, pre, config(1));
  auto out = make_executor("block_stm")->execute(b, pre, config(16));
  check_equal(out, seq);
  CHECK(out.stats.incarnations == 300);
  CHECK(out.stats.dependency_waits == 0);
  CHECK(out.stats.aborts == 0);
  CHECK(seq.makespan_s / out.makespan_s > 4.0);

  // Eager credits (lazy_transfer_credits off): every transfer reads and writes the recipient.
  ExecutorConfig eager = config(16);
  eager.lazy_transfer_credits = false;
  auto e = make_executor("block_stm")->execute(b, pre, eager);
  check_equal(e, seq);
  CHECK(e.stats.incarnations > 300);
}

TEST_CASE("Block-STM: spending a lazily credited balance waits for the credits") {
  auto pre = genesis(2000);
  Block b;
  b.number = 1;
  b.beneficiary = BlockGenerator::beneficiary();
  const Address hub = BlockGenerator::account(1);
  for (std::uint32_t i = 0; i < 50; ++i) {
    b.txs.push_back(Transaction::native_transfer(BlockGenerator::account(10 + i), hub, U256{5}, 0));
    // The hub forwards funds: its balance read sums the credits of the lower transactions.
    if (i % 10 == 9)
      b.txs.push_back(
          Transaction::native_transfer(hub, BlockGenerator::account(500 + i), U256{3}, i / 10));
  }
  auto seq = make_executor("sequential")->execute(b, pre, config(1));
  for (std::uint32_t t : {1u, 4u, 16u}) {
    CAPTURE(t);
    auto out = make_executor("block_stm")->execute(b, pre, config(t));
    check_equal(out, seq);
  }
}

TEST_CASE("Block-STM: post-state equals Sequential's on mixed conflicting blocks") {
  for (std::uint32_t accounts : {2u, 10u, 200u}) {
    BlockGeneratorConfig g;
    g.accounts = accounts;
    g.seed = accounts;
    g.mix =
        workload::TxMix::parse("transfer=3,erc20=1,approve=1,transfer_from=1,swap=1,nft_mint=1");
    BlockGenerator gen(g);
    auto pre = gen.genesis(std::nullopt);
    const Block b = gen.next_block(400);
    auto seq = make_executor("sequential")->execute(b, pre, config(1));
    for (std::uint32_t t : {3u, 32u}) {
      CAPTURE(accounts);
      CAPTURE(t);
      auto out = make_executor("block_stm")->execute(b, pre, config(t));
      check_equal(out, seq);
      // Nonce waits: no transaction executes as kInvalidNonce and is then re-executed en masse.
      CHECK(static_cast<double>(out.stats.incarnations) / 400.0 < 3.0);
    }
  }
}

TEST_CASE("Block-STM: blocks below the threshold run sequentially") {
  auto pre = genesis(100);
  const Block b = same_sender_block(1);
  auto out = make_executor("block_stm")->execute(b, pre, config(8));
  CHECK(out.stats.sequential_fallback);
  ExecutorConfig c = config(8);
  c.stm_sequential_below_txs = 20;
  const Block b10 = same_sender_block(10);
  CHECK(make_executor("block_stm")->execute(b10, pre, c).stats.sequential_fallback);
  c.stm_sequential_below_txs = 0;
  CHECK_FALSE(make_executor("block_stm")->execute(b10, pre, c).stats.sequential_fallback);
}

TEST_CASE("MvMemory: deltas sum over lower entries; estimates block; validation by value") {
  MvMemory mv(4);
  const StateKey k = StateKey::balance(BlockGenerator::account(3));
  mv.declare_writes(2, {k});
  CHECK(mv.read(k, 3).status == MvReadResult::Status::kEstimate);
  CHECK(mv.read(k, 3).version.tx_index == 2);
  CHECK(mv.read(k, 2).status == MvReadResult::Status::kNotFound);
  mv.record(Version{0, 0}, {}, {MvWrite{k, U256{100}, false}});
  mv.record(Version{1, 0}, {}, {MvWrite{k, U256{5}, true}});
  CHECK(!mv.record(Version{2, 0}, {}, {MvWrite{k, U256{7}, true}}));  // declared: not new
  MvReadResult r = mv.read(k, 3);
  REQUIRE(r.status == MvReadResult::Status::kOk);
  CHECK(r.value == U256{112});
  CHECK(r.version == Version{0, 0});
  CHECK(r.delta_sum == U256{12});
  mv.record(Version{3, 0}, {ReadDescriptor{k, ReadDescriptor::Origin::kMv, {0, 0}, U256{12}}}, {});
  CHECK(mv.validate_read_set(3));
  mv.record(Version{1, 1}, {}, {MvWrite{k, U256{6}, true}});  // a different credit
  CHECK_FALSE(mv.validate_read_set(3));
}

}  // namespace
}  // namespace pipesim::execution
