// Start-up of a mainnet-replay run, phase by phase (issue 16: sweep points start in < 0.1 s).
//
// Usage: startup_bench [repetitions=5] [data_dir=<repository>/data] [mpt]
// With `mpt`, only phase 5 is repeated (for a profiler: perf record startup_bench 50 "" mpt).
// Times (median over the repetitions, CPU seconds of this thread) the phases a `pipesim run`
// with workload.kind = "eth_mainnet" goes through before simulating:
//  1. parse:      the shipped JSON blocks, pre-states and exact traces (parse_recorded_stream);
//  2. cache key:  reading and hashing every input file (replay_cache_key);
//  3. cache read: reading and decoding the pre-parsed binary file (read_replay_cache);
//  4. genesis copy: the StateMap copy each pipeline's chain state receives;
//  5. genesis MPT:  the genesis state's Merkle Patricia Trie and root (StateLayer::make_base,
//                   commitment "mpt", as ChainState builds it).
// A cached start-up is 2 + 3 + 4 + 5; an uncached one 1 + 4 + 5. The whole-process figures
// (dynamic loading, scenario, platform) are in docs/scale.md.
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "models/common/data_dir.hpp"
#include "models/execution/state.hpp"
#include "models/workload/replay_cache.hpp"
#include "models/workload/tx_source.hpp"

namespace {

namespace wl = pipesim::workload;
namespace ex = pipesim::execution;

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median_of(int reps, const std::function<void()>& f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const double t0 = thread_cpu_s();
    f();
    t.push_back(thread_cpu_s() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const std::string root = argc > 2 && *argv[2] != '\0' ? argv[2] : pipesim::data_dir();
  const bool mpt_only = argc > 3 && std::string(argv[3]) == "mpt";
  const std::string source = "eth_mainnet";
  const std::vector<std::uint64_t> numbers = wl::shipped_blocks(source, root);
  const std::string dir =
      (std::filesystem::temp_directory_path() / "pipesim-startup-bench").string();

  wl::RecordedStream parsed;
  if (mpt_only) {
    parsed = wl::load_recorded_stream(source, root, numbers, wl::replay_cache_dir());
    const double mpt_s = median_of(reps, [&] {
      auto base =
          ex::StateLayer::make_base(parsed.genesis, ex::CommitmentKind::kMerklePatriciaTrie);
      (void)base;
    });
    fmt::print("genesis MPT + root ({} keys): {:.4f} s (median of {})\n", parsed.genesis.size(),
               mpt_s, reps);
    return 0;
  }
  const double parse_s =
      median_of(reps, [&] { parsed = wl::parse_recorded_stream(source, root, numbers); });
  wl::ReplayCacheKey key{};
  const double key_s = median_of(reps, [&] { key = wl::replay_cache_key(source, root, numbers); });
  const std::string path = wl::replay_cache_path(dir, source, key);
  if (!wl::write_replay_cache(path, parsed, key)) {
    fmt::print(stderr, "startup_bench: cannot write {}\n", path);
    return 1;
  }
  std::size_t cached_txs = 0;
  const double read_s = median_of(reps, [&] {
    auto s = wl::read_replay_cache(path, key);
    cached_txs = s ? s->txs.size() : 0;
  });
  if (cached_txs != parsed.txs.size()) {
    fmt::print(stderr, "startup_bench: cache read failed\n");
    return 1;
  }
  const double copy_s = median_of(reps, [&] {
    ex::StateMap copy = parsed.genesis;
    (void)copy;
  });
  const double mpt_s = median_of(reps, [&] {
    auto base = ex::StateLayer::make_base(parsed.genesis, ex::CommitmentKind::kMerklePatriciaTrie);
    (void)base;
  });
  std::error_code ec;
  const auto file_bytes = std::filesystem::file_size(path, ec);
  std::filesystem::remove_all(dir, ec);

  fmt::print("mainnet replay: {} blocks, {} transactions, genesis {} keys, cache file {:.1f} MB\n",
             numbers.size(), parsed.txs.size(), parsed.genesis.size(),
             static_cast<double>(file_bytes) / 1e6);
  fmt::print("phase (median of {}, thread CPU)   seconds\n", reps);
  fmt::print("1. parse JSON data files          {:.4f}\n", parse_s);
  fmt::print("2. cache key (hash inputs)        {:.4f}\n", key_s);
  fmt::print("3. cache read + decode            {:.4f}\n", read_s);
  fmt::print("4. genesis copy                   {:.4f}\n", copy_s);
  fmt::print("5. genesis MPT + root             {:.4f}\n", mpt_s);
  fmt::print("uncached (1+4+5)                  {:.4f}\n", parse_s + copy_s + mpt_s);
  fmt::print("cached (2+3+4+5)                  {:.4f}\n", key_s + read_s + copy_s + mpt_s);
  return 0;
}
