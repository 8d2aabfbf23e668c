// executor_bench: wall-clock time of each executor (the simulator's own cost of running a block,
// not the virtual time it predicts) on generated blocks, no state trie (compute_root = false).
//
// usage: executor_bench [txs_per_block=5000] [blocks=5] [threads=8] [executor]
// (`executor`: run only that one of the names below, e.g. for an A/B of two builds)
// Workloads: "transfers" (native transfers, 1000 accounts), "mixed" (transfer/erc20/swap
// 2:2:1, 1000 accounts, 8 tokens, 4 pairs), "dependent" (native transfers among 2 accounts).
// Executors: sequential, block_stm, batch_occ (index_window formation), batch_occ/declared
// (declared_conflicts formation), optimistic.
// Prints, per executor x workload, the mean wall milliseconds per block and transactions per
// wall second (after one warm-up block). Uses only the executor API (make_executor, Block,
// ExecutorConfig), so the same file measures older builds for a before/after comparison.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <string>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/workload/block_generator.hpp"

namespace {

using namespace pipesim;

struct Case {
  const char* name;
  std::uint32_t accounts;
  const char* mix;
};

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t txs = argc > 1 ? static_cast<std::uint32_t>(std::stoul(argv[1])) : 5'000;
  const int blocks = argc > 2 ? std::stoi(argv[2]) : 5;
  const std::uint32_t threads = argc > 3 ? static_cast<std::uint32_t>(std::stoul(argv[3])) : 8;
  const Case cases[] = {{"transfers", 1000, "transfer=1"},
                        {"mixed", 1000, "transfer=2,erc20=2,swap=1"},
                        {"dependent", 2, "transfer=1"}};
  const std::string only = argc > 4 ? argv[4] : "";
  const char* executors[] = {"sequential", "block_stm", "batch_occ", "batch_occ/declared",
                             "optimistic"};
  if (!only.empty() &&
      std::find(std::begin(executors), std::end(executors), only) == std::end(executors)) {
    fmt::print(stderr,
               "executor_bench: unknown executor '{}' (sequential, block_stm, batch_occ, "
               "batch_occ/declared, optimistic)\n",
               only);
    return 2;
  }
  fmt::print("{:<18} {:<10} {:>12} {:>12}\n", "executor", "workload", "wall_ms/blk", "tx/wall_s");
  for (const Case& c : cases) {
    workload::BlockGeneratorConfig g;
    g.accounts = c.accounts;
    g.tokens = 8;
    g.pairs = 4;
    g.seed = 7;
    g.mix = workload::TxMix::parse(c.mix);
    workload::BlockGenerator gen(g);
    auto genesis = gen.genesis(std::nullopt);
    std::vector<execution::Block> chain;
    for (int b = 0; b <= blocks; ++b) chain.push_back(gen.next_block(txs));
    for (const char* name : executors) {
      if (!only.empty() && only != name) continue;
      execution::ExecutorConfig cfg;
      cfg.threads = threads;
      cfg.compute_root = false;
      const std::string label = name;
      const bool declared = label == "batch_occ/declared";
      if (declared) cfg.occ_formation = execution::OccFormation::kDeclaredConflicts;
      auto ex = execution::make_executor(declared ? "batch_occ" : label);
      auto state = ex->execute(chain[0], genesis, cfg).post_state;  // warm-up
      state = state->depth() > 0 ? state->flatten() : state;
      double wall = 0;
      std::uint64_t executed = 0;
      for (int b = 1; b <= blocks; ++b) {
        const auto t0 = std::chrono::steady_clock::now();
        auto out = ex->execute(chain[static_cast<std::size_t>(b)], state, cfg);
        wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        executed += out.receipts.size();
        state = out.post_state->depth() > 0 ? out.post_state->flatten() : out.post_state;
      }
      fmt::print("{:<18} {:<10} {:>12.2f} {:>12.0f}\n", name, c.name, 1e3 * wall / blocks,
                 static_cast<double>(executed) / wall);
    }
  }
  return 0;
}
