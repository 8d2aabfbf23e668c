// Modelled commitment work: trie depth, node counts from updated keys, commit schedule; and the
// executors' charging of it (modelled depth, parallel commitment).
#include "models/execution/trie_update.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <stdexcept>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/execution/keccak.hpp"
#include "models/workload/block_generator.hpp"

namespace pipesim::execution {
namespace {

// A key whose first nibbles are `nibbles` (then zeros).
Hash32 key_with_nibbles(std::initializer_list<std::uint8_t> nibbles) {
  Hash32 k{};
  std::size_t i = 0;
  for (std::uint8_t n : nibbles) {
    k[i / 2] |= static_cast<std::uint8_t>(i % 2 == 0 ? n << 4 : n);
    ++i;
  }
  return k;
}

TEST_CASE("modelled_trie_depth: smallest D with 16^D >= leaves") {
  CHECK(modelled_trie_depth(0) == 0);
  CHECK(modelled_trie_depth(1) == 0);
  CHECK(modelled_trie_depth(2) == 1);
  CHECK(modelled_trie_depth(16) == 1);
  CHECK(modelled_trie_depth(17) == 2);
  CHECK(modelled_trie_depth(1e6) == 5);            // 16^5 = 1,048,576
  CHECK(modelled_trie_depth(268'435'456.0) == 7);  // 16^7 exactly
  CHECK(modelled_trie_depth(50'119'846.0 + 243'161'178.0) == 8);
  CHECK_THROWS_AS(modelled_trie_depth(-1), std::invalid_argument);
}

TEST_CASE("count_trie_update: one key, shared prefixes, distinct first nibbles") {
  const std::uint32_t d = 7;
  // One key: its path (d branch nodes) and its leaf.
  const Hash32 one = keccak256(Hash32{});
  CHECK(count_trie_update(std::vector<Hash32>{one}, d, 0) == TrieUpdateWork{d + 1, d});
  CHECK(count_trie_update(std::vector<Hash32>{one}, d, 3) == TrieUpdateWork{d + 1, d - 3});
  CHECK(count_trie_update(std::vector<Hash32>{one}, d, 64) == TrieUpdateWork{d + 1, 0});
  // Duplicates count once; no keys, no work.
  CHECK(count_trie_update(std::vector<Hash32>{one, one}, d, 0).nodes == d + 1);
  CHECK(count_trie_update(std::vector<Hash32>{}, d, 0) == TrieUpdateWork{});
  // 16 keys differing in the first nibble: the root, then 16 separate paths.
  std::vector<Hash32> fan;
  for (std::uint8_t n = 0; n < 16; ++n) fan.push_back(key_with_nibbles({n, 3, 3}));
  CHECK(count_trie_update(fan, d, 0).nodes == 1 + 16 * d);
  CHECK(count_trie_update(fan, d, 1).loaded == 16 * (d - 1));
  // Two keys sharing 3 nibbles: depths 0..3 shared (4 nodes), depths 4..6 apart (2 x 3), 2 leaves.
  const std::vector<Hash32> pair{key_with_nibbles({1, 2, 3, 4}), key_with_nibbles({1, 2, 3, 5})};
  CHECK(count_trie_update(pair, d, 0).nodes == 4 + 2 * 3 + 2);
  // Depth 0 (a trie of one leaf): only leaves.
  CHECK(count_trie_update(pair, 0, 0) == TrieUpdateWork{2, 0});
}

TEST_CASE("count_trie_update: k + D <= nodes <= k (D + 1) on random keys, order-independent") {
  std::mt19937_64 rng(13);
  for (int round = 0; round < 50; ++round) {
    const auto k = static_cast<std::size_t>(1 + rng() % 600);
    const auto d = static_cast<std::uint32_t>(rng() % 10);
    std::vector<Hash32> keys(k);
    for (auto& key : keys)
      for (auto& b : key) b = static_cast<std::uint8_t>(rng());
    const TrieUpdateWork w = count_trie_update(keys, d, 4);
    CAPTURE(k);
    CAPTURE(d);
    CHECK(w.nodes <= k * (d + 1));
    CHECK(w.nodes >= k + d);
    CHECK(w.loaded <= w.nodes - k);
    std::reverse(keys.begin(), keys.end());
    CHECK(count_trie_update(keys, d, 4) == w);
  }
}

TEST_CASE("schedule_commit: storage tries, then subtries after their storage, then the root") {
  // One worker: everything back to back.
  const std::vector<CommitTask> storage{{3.0, 2}, {1.0, 5}, {2.0, 2}};
  std::vector<double> subtries(16, 0.0);
  subtries[2] = 1.0;
  subtries[5] = 4.0;
  subtries[7] = 0.5;
  auto one = schedule_commit(storage, subtries, 0.25, 1);
  REQUIRE(one.size() == 7);  // 3 storage + 3 non-empty subtries + root
  CHECK(one.back().end_s == doctest::Approx(3 + 1 + 2 + 1 + 4 + 0.5 + 0.25));
  // Four workers: storage longest first on the earliest-free worker.
  auto four = schedule_commit(storage, subtries, 0.25, 4);
  REQUIRE(four.size() == 7);
  CHECK(four[0].worker == 0);
  CHECK(four[0].end_s == doctest::Approx(3.0));
  CHECK(four[1].worker == 1);  // the 2.0 task
  CHECK(four[2].worker == 2);  // the 1.0 task
  // Subtrie 5 (4.0) waits for its storage trie (ends at 1.0); subtrie 2 for both of its (3.0).
  CHECK(four[3].start_s == doctest::Approx(1.0));
  CHECK(four[3].end_s == doctest::Approx(5.0));
  const double end = std::max_element(four.begin(), four.end(), [](auto& a, auto& b) {
                       return a.end_s < b.end_s;
                     })->end_s;
  CHECK(four.back().start_s == doctest::Approx(5.0));  // the root after everything
  CHECK(end == doctest::Approx(5.25));
  CHECK(end <= one.back().end_s);
  CHECK_THROWS_AS(schedule_commit(storage, subtries, 0.25, 0), std::invalid_argument);
}

// A block with storage writes (ERC-20 transfers and transfers) on a genesis with an MPT.
struct TrieBlock {
  std::shared_ptr<const StateLayer> pre;
  Block block;
};
TrieBlock token_block() {
  workload::BlockGeneratorConfig g;
  g.accounts = 2000;
  g.tokens = 8;
  g.mix.transfer = 1.0;
  g.mix.erc20 = 1.0;
  workload::BlockGenerator gen(g);
  TrieBlock t;
  t.pre = gen.genesis(CommitmentKind::kMerklePatriciaTrie);
  t.block = gen.next_block(400);
  return t;
}

double commit_span_s(const ExecutionOutcome& out) {
  double first = 1e300, last = 0;
  for (const Span& s : out.schedule) {
    if (s.kind != SpanKind::kCommit) continue;
    first = std::min(first, s.start_s);
    last = std::max(last, s.end_s);
  }
  return last - first;
}

TEST_CASE("executor: a modelled mainnet-depth trie costs more than the trie as built") {
  // In memory, where the cost is the hashing: more nodes, more time. (On disk it depends on
  // which levels are cached: the modelled trie loads only its uncached levels, the as-built
  // one trie_node_miss_fraction of every node.)
  const TrieBlock t = token_block();
  ExecutorConfig c;
  c.threads = 8;
  c.cost = *cost_model_preset("pevm-i9-12900k-memory");
  auto seq = make_executor("sequential");
  const ExecutionOutcome built = seq->execute(t.block, t.pre, c);
  c.cost.account_trie_leaves = 2.93e8;
  c.cost.storage_trie_leaves = 1e6;
  const ExecutionOutcome deep = seq->execute(t.block, t.pre, c);
  CHECK(deep.state_root == built.state_root);  // the model changes the cost, not the root
  CHECK(deep.commit_stats.nodes_hashed > built.commit_stats.nodes_hashed);
  CHECK(deep.commit_stats.nodes_loaded > 0);
  CHECK(built.commit_stats.nodes_loaded == 0);
  CHECK(deep.commit_s > built.commit_s);
  CHECK(deep.makespan_s > built.makespan_s);
  CHECK(commit_span_s(deep) == doctest::Approx(deep.commit_s));
  // Without parallel commitment the commit is one span on worker 0.
  int commits = 0;
  for (const Span& s : deep.schedule)
    if (s.kind == SpanKind::kCommit) {
      ++commits;
      CHECK(s.worker == 0);
    }
  CHECK(commits == 1);
  // All levels cached: hashing only, fewer seconds for the same nodes.
  c.cost.trie_cached_levels = 64;
  const ExecutionOutcome cached = seq->execute(t.block, t.pre, c);
  CHECK(cached.commit_stats.nodes_hashed == deep.commit_stats.nodes_hashed);
  CHECK(cached.commit_stats.nodes_loaded == 0);
  CHECK(cached.commit_s < deep.commit_s);
  // The as-built path is today's: root_s of the trie's nodes.
  CHECK(built.commit_s == doctest::Approx(c.cost.root_s(built.commit_stats.nodes_hashed)));
}

TEST_CASE("executor: parallel commitment on 8 workers is no longer than on one worker") {
  const TrieBlock t = token_block();
  ExecutorConfig c;
  c.threads = 8;
  c.cost = *cost_model_preset("pevm-i9-12900k-memory");
  c.cost.state_tier = StorageTier::kDisk;
  c.cost.account_trie_leaves = 2.93e8;
  c.cost.storage_trie_leaves = 1e6;
  for (const char* name : {"sequential", "block_stm"}) {
    CAPTURE(name);
    auto ex = make_executor(name);
    c.cost.parallel_commitment = false;
    const ExecutionOutcome serial = ex->execute(t.block, t.pre, c);
    c.cost.parallel_commitment = true;
    const ExecutionOutcome par = ex->execute(t.block, t.pre, c);
    CHECK(par.state_root == serial.state_root);
    CHECK(par.commit_stats.nodes_hashed == serial.commit_stats.nodes_hashed);
    CHECK(par.commit_s <= serial.commit_s);
    CHECK(par.commit_s < serial.commit_s);  // 8 workers share the work
    // No shorter than its longest task, nor than the work spread evenly over the workers.
    double longest = 0, busy = 0;
    int commits = 0;
    for (const Span& s : par.schedule) {
      if (s.kind != SpanKind::kCommit) continue;
      ++commits;
      CHECK(s.worker < c.threads);
      longest = std::max(longest, s.end_s - s.start_s);
      busy += s.end_s - s.start_s;
    }
    CHECK(commits > 1);
    CHECK(par.commit_s >= longest);
    CHECK(par.commit_s >= busy / c.threads - 1e-12);
    CHECK(commit_span_s(par) == doctest::Approx(par.commit_s));
    // One worker: parallel commitment falls back to the single span.
    ExecutorConfig one = c;
    one.threads = 1;
    const ExecutionOutcome single = ex->execute(t.block, t.pre, one);
    one.cost.parallel_commitment = false;
    CHECK(single.commit_s == ex->execute(t.block, t.pre, one).commit_s);
  }
  // The tries as built: the storage tries in parallel, then the account trie in one piece.
  c.cost.account_trie_leaves = 0;
  c.cost.storage_trie_leaves = 0;
  auto seq = make_executor("sequential");
  const ExecutionOutcome par = seq->execute(t.block, t.pre, c);
  c.cost.parallel_commitment = false;
  const ExecutionOutcome serial = seq->execute(t.block, t.pre, c);
  CHECK(par.commit_stats.nodes_hashed == serial.commit_stats.nodes_hashed);
  CHECK(par.commit_s < serial.commit_s);
  CHECK(serial.commit_s == doctest::Approx(c.cost.root_s(serial.commit_stats.nodes_hashed)));
}

}  // namespace
}  // namespace pipesim::execution
