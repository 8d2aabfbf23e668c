// sequential_bench: wall-clock throughput of the Sequential executor on native transfers,
// without the state trie (compute_root = false). Target: >= 1,000,000 tx/s on one core.
//
// usage: sequential_bench [txs_per_block=10000] [blocks=20] [accounts=10000]  (10000 = the scenario
// default workload.accounts) Prints tx/s over all blocks (after one warm-up block) and exits 1
// below the target only when PIPESIM_BENCH_ENFORCE=1 is set (CI machines vary).
#include <fmt/core.h>

#include <malloc.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "models/execution/executor.hpp"
#include "models/workload/block_generator.hpp"

int main(int argc, char** argv) {
  using namespace pipesim;
  // Keep freed memory in the process (no mmap/munmap or heap trimming per block): the outcome's
  // per-block arrays (receipts, access lists, schedule, delta) are then served from recycled
  // pages instead of fresh zero-filled ones, as in a long-running node. The simulator can set
  // the same (or link an arena allocator).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  const std::uint32_t txs = argc > 1 ? static_cast<std::uint32_t>(std::stoul(argv[1])) : 10'000;
  const int blocks = argc > 2 ? std::stoi(argv[2]) : 20;
  const std::uint32_t accounts =
      argc > 3 ? static_cast<std::uint32_t>(std::stoul(argv[3])) : 10'000;

  workload::BlockGeneratorConfig g;
  g.accounts = accounts;
  g.tokens = 0;
  g.pairs = 0;
  g.collections = 0;
  g.seed = 42;
  workload::BlockGenerator gen(g);
  auto genesis = gen.genesis(std::nullopt);
  std::vector<execution::Block> chain;
  for (int b = 0; b <= blocks; ++b) chain.push_back(gen.next_block(txs));

  execution::ExecutorConfig cfg;
  cfg.threads = 1;
  cfg.compute_root = false;
  auto ex = execution::make_executor("sequential");
  auto state = ex->execute(chain[0], genesis, cfg).post_state;  // warm-up
  std::uint64_t executed = 0;
  double virtual_s = 0;
  double wall = 0;
  for (int b = 1; b <= blocks; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    auto out = ex->execute(chain[static_cast<std::size_t>(b)], state, cfg);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    executed += out.receipts.size();
    virtual_s += out.makespan_s;
    // Each block runs on a flattened base (finalised state; flattening is not timed).
    state = out.post_state->depth() > 0 ? out.post_state->flatten() : out.post_state;
  }
  const double tps = static_cast<double>(executed) / wall;
  fmt::print(
      "sequential_bench: {} native transfers in {} blocks, {:.3f} s wall -> {:.0f} tx/s "
      "(one core, no trie); virtual makespan {:.3f} s\n",
      executed, blocks, wall, tps, virtual_s);
  const char* enforce = std::getenv("PIPESIM_BENCH_ENFORCE");
  if (enforce && std::string(enforce) == "1" && tps < 1e6) {
    fmt::print(stderr, "below target 1,000,000 tx/s\n");
    return 1;
  }
  return 0;
}
