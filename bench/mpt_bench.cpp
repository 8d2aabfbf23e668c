// Merkle Patricia Trie throughput: key updates per second including root hashing.
//
// Usage: mpt_bench [updates=1000000] [batch=1000] [scenarios=1234]
// Scenarios (random 32-byte keys and values from a fixed seed, so runs are comparable):
//  1. batched inserts:  `updates` new keys, root_hash() after every `batch` updates (block-like);
//  2. one big batch:    `updates` new keys into an empty trie, then a single root_hash();
//  3. batched updates:  `updates` overwrites of existing keys of the trie from (1), root per batch;
//  4. forked blocks:    StateCommitment copied per block (as every block/fork holds its own),
//                       `batch` storage writes over 1000 accounts, root per block; the last 16
//                       blocks stay alive (unfinalised window), so updates path-copy.
// Target (issue): >= 300,000 updates/s for (1). Rates are given per wall second and per second of
// process CPU time (the CPU figure is the meaningful one on a shared, oversubscribed machine).
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "models/execution/merkle_patricia_trie.hpp"
#include "models/execution/state_commitment.hpp"

namespace {

using pipesim::Address;
using pipesim::Hash32;
using pipesim::execution::AccountFields;
using pipesim::execution::MerklePatriciaTrie;
using pipesim::execution::StateCommitment;
using Clock = std::chrono::steady_clock;

std::vector<Hash32> random_words(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash32> out(n);
  for (auto& w : out) {
    for (std::size_t i = 0; i < 32; i += 8) {
      const std::uint64_t r = rng();
      for (std::size_t j = 0; j < 8; ++j) w[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
    }
  }
  return out;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall and CPU clocks started together.
struct Timer {
  Clock::time_point wall = Clock::now();
  double cpu = cpu_seconds();
};

void report(const char* name, std::size_t updates, const Timer& t, std::uint64_t nodes,
            std::size_t roots) {
  const double wall = std::chrono::duration<double>(Clock::now() - t.wall).count();
  const double cpu = cpu_seconds() - t.cpu;
  const double n = static_cast<double>(updates);
  fmt::print(
      "{:<36} {:>8} updates | wall {:>7.3f} s {:>9.0f}/s | cpu {:>7.3f} s {:>9.0f}/s | {:>8} "
      "nodes hashed, {} roots\n",
      name, updates, wall, n / wall, cpu, n / cpu, nodes, roots);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const std::size_t batch = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1'000;
  const std::string scenarios = argc > 3 ? argv[3] : "1234";
  auto run = [&](char id) { return scenarios.find(id) != std::string::npos; };
  if (n == 0 || batch == 0) {
    fmt::print(stderr, "usage: mpt_bench [updates>0] [batch>0] [scenarios, e.g. 13]\n");
    return 2;
  }
  const auto keys = random_words(n, 1);
  const auto values = random_words(n, 2);
  const auto new_values = random_words(n, 3);
  fmt::print("mpt_bench: {} updates, batch {} (32-byte random keys and values)\n", n, batch);

  // 1. Batched inserts with a root per batch.
  MerklePatriciaTrie trie;
  std::uint64_t nodes = 0;
  std::size_t roots = 0;
  Timer t0;
  for (std::size_t i = 0; i < n; ++i) {
    trie.put(keys[i], values[i]);
    if ((i + 1) % batch == 0 || i + 1 == n) {
      trie.root_hash(&nodes);
      ++roots;
    }
  }
  report("1. batched inserts + root/batch", n, t0, nodes, roots);
  const Hash32 root1 = trie.root_hash();

  // 2. One big batch.
  if (run('2')) {
    MerklePatriciaTrie big;
    std::uint64_t big_nodes = 0;
    t0 = Timer{};
    for (std::size_t i = 0; i < n; ++i) big.put(keys[i], values[i]);
    const Hash32 root2 = big.root_hash(&big_nodes);
    report("2. one batch, single root", n, t0, big_nodes, 1);
    if (root2 != root1) {
      fmt::print(stderr, "error: roots of scenarios 1 and 2 differ\n");
      return 1;
    }
  }

  // 3. Overwrites of existing keys, root per batch.
  if (run('3')) {
    nodes = 0;
    roots = 0;
    std::mt19937_64 rng(4);
    t0 = Timer{};
    for (std::size_t i = 0; i < n; ++i) {
      trie.put(keys[rng() % n], new_values[i]);
      if ((i + 1) % batch == 0 || i + 1 == n) {
        trie.root_hash(&nodes);
        ++roots;
      }
    }
    report("3. batched overwrites + root/batch", n, t0, nodes, roots);
  }

  // 4. StateCommitment, copied per block (path copying instead of in-place updates).
  if (run('4')) {
    StateCommitment head;
    std::vector<Address> accounts(1000);
    for (std::size_t a = 0; a < accounts.size(); ++a) {
      accounts[a] = Address{};
      accounts[a][0] = static_cast<std::uint8_t>(a >> 8);
      accounts[a][1] = static_cast<std::uint8_t>(a);
      AccountFields f;
      f.nonce = 1;
      head.set_account(accounts[a], f);
    }
    head.root();
    std::deque<StateCommitment> chain;  // the unfinalised window: these blocks' versions stay alive
    pipesim::execution::CommitStats stats;
    nodes = 0;
    roots = 0;
    t0 = Timer{};
    for (std::size_t i = 0; i < n; i += batch) {
      StateCommitment block = chain.empty() ? head : chain.back();
      for (std::size_t j = i; j < std::min(n, i + batch); ++j) {
        block.set_storage(accounts[j % accounts.size()], keys[j], values[j]);
      }
      block.root(&stats);
      nodes += stats.nodes_hashed;
      ++roots;
      chain.push_back(std::move(block));
      if (chain.size() > 16) chain.pop_front();
    }
    report("4. StateCommitment, copy per block", n, t0, nodes, roots);
  }
  return 0;
}
