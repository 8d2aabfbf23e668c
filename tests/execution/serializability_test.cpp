// Randomised property test: every parallel executor is serialisable — on random blocks over
// contention levels (2..10000 accounts), every transaction kind, random thread counts (1..32)
// and both beneficiary modes, its post-state, receipts and state root equal Sequential's.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

#include "models/execution/executor.hpp"
#include "models/workload/block_generator.hpp"
#include "tests/sanitizer_scale.hpp"

namespace pipesim::execution {
namespace {

using workload::BlockGenerator;
using workload::BlockGeneratorConfig;
using workload::TxMix;

BlockGeneratorConfig generator_config(std::uint32_t accounts) {
  BlockGeneratorConfig g;
  g.accounts = accounts;
  g.tokens = 2;
  g.pairs = 1;
  g.collections = 1;
  g.revert_fraction = 0.05;
  g.invalid_nonce_fraction = 0.03;
  g.mix = TxMix::parse("transfer=1,erc20=1,approve=1,transfer_from=1,swap=1,nft_mint=1,trace=1");
  return g;
}

TEST_CASE("every executor equals Sequential on 1000 random blocks") {
  constexpr int kCases = 500 / test::kRandomCaseDivisor;  // two blocks each
  const std::uint32_t kAccountLevels[] = {2, 3, 10, 100, 1000, 10000};
  const std::uint32_t kThreads[] = {1, 2, 3, 4, 8, 16, 32};
  // Genesis per contention level, built once (MPT roots, so roots are compared too).
  std::map<std::uint32_t, std::shared_ptr<const StateLayer>> genesis;
  for (std::uint32_t a : kAccountLevels)
    genesis[a] = BlockGenerator(generator_config(a)).genesis(CommitmentKind::kMerklePatriciaTrie);

  std::mt19937_64 rng(20240607);
  auto seq = make_executor("sequential");
  auto stm = make_executor("block_stm");
  auto occ = make_executor("batch_occ");
  auto opt = make_executor("optimistic");
  int blocks = 0;
  std::uint64_t reexecutions = 0, aborts = 0;
  for (int c = 0; c < kCases; ++c) {
    const std::uint32_t accounts = kAccountLevels[rng() % 6];
    BlockGeneratorConfig g = generator_config(accounts);
    g.seed = rng();
    // Random mix: each kind's weight 0..3 (at least one non-zero).
    TxMix m;
    m.transfer = static_cast<double>(rng() % 4);
    m.erc20 = static_cast<double>(rng() % 4);
    m.approve = static_cast<double>(rng() % 2);
    m.transfer_from = static_cast<double>(rng() % 3);
    m.swap = static_cast<double>(rng() % 3);
    m.nft_mint = static_cast<double>(rng() % 2);
    m.trace = static_cast<double>(rng() % 3);
    if (m.transfer + m.erc20 + m.approve + m.transfer_from + m.swap + m.nft_mint + m.trace == 0)
      m.transfer = 1;
    g.mix = m;
    BlockGenerator gen(g);
    std::shared_ptr<const StateLayer> pre = genesis[accounts];
    // Two consecutive blocks: the second runs on the first's post-state (an overlay).
    for (int k = 0; k < 2; ++k) {
      const Block block = gen.next_block(1 + static_cast<std::uint32_t>(rng() % 120));
      ExecutorConfig cfg;
      cfg.threads = kThreads[rng() % 7];
      cfg.lazy_beneficiary = rng() % 2 == 0;
      cfg.occ_batch_size = rng() % 3 == 0 ? 0 : 1 + static_cast<std::uint32_t>(rng() % 40);
      cfg.compute_root = true;
      CAPTURE(c);
      CAPTURE(k);
      CAPTURE(accounts);
      CAPTURE(cfg.threads);
      CAPTURE(cfg.lazy_beneficiary);
      const ExecutionOutcome ref = seq->execute(block, pre, cfg);
      const auto ref_writes = ref.post_state->writes().sorted();
      REQUIRE(ref.state_root.has_value());
      for (Executor* ex : {stm.get(), occ.get(), opt.get()}) {
        CAPTURE(std::string(ex->name()));
        const ExecutionOutcome out = ex->execute(block, pre, cfg);
        REQUIRE(out.receipts == ref.receipts);
        REQUIRE(out.post_state->writes().sorted() == ref_writes);
        REQUIRE(out.state_root == ref.state_root);
        CHECK(out.gas_used == ref.gas_used);
        reexecutions += out.stats.re_executions;
        aborts += out.stats.aborts;
      }
      // Batch OCC with conflict-aware batches (declared, then detected access sets).
      ExecutorConfig declared = cfg;
      declared.occ_formation = OccFormation::kDeclaredConflicts;
      const ExecutionOutcome d = occ->execute(block, pre, declared);
      REQUIRE(d.receipts == ref.receipts);
      REQUIRE(d.post_state->writes().sorted() == ref_writes);
      REQUIRE(d.state_root == ref.state_root);
      CHECK(d.stats.incarnations == block.txs.size() + d.stats.aborts);
      CHECK(summarise_occ_rounds(d.stats.occ_rounds).aborted == d.stats.aborts);
      pre = ref.post_state;
      ++blocks;
    }
  }
  CHECK(blocks == 2 * kCases);
  // The test must exercise conflicts, not just independent blocks.
  CHECK(reexecutions > 1000 / test::kRandomCaseDivisor);
  CHECK(aborts > 100 / test::kRandomCaseDivisor);
}

}  // namespace
}  // namespace pipesim::execution
