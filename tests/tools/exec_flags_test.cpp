// Tests for tools/exec_flags: the flags `pipesim exec` and `pipesim exec --mainnet` share
// (--preset, --tier, --cost, integers and numbers) and their error messages, which name the flag
// and the bad value.
#include "tools/exec_flags.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace ex = pipesim::execution;
using pipesim::exec_flags::apply_cost_flag;
using pipesim::exec_flags::apply_executor_flag;
using pipesim::exec_flags::is_cost_flag;
using pipesim::exec_flags::parse_double;
using pipesim::exec_flags::parse_uint;

TEST_CASE("exec_flags: --preset, --tier and --cost set the cost model in command-line order") {
  CHECK(is_cost_flag("--preset"));
  CHECK(is_cost_flag("--tier"));
  CHECK(is_cost_flag("--cost"));
  CHECK_FALSE(is_cost_flag("--root"));

  ex::CostModel c;
  apply_cost_flag(c, "--preset", "reth-nvme-disk");
  CHECK(c.state_tier == ex::StorageTier::kDisk);
  apply_cost_flag(c, "--tier", "page_cache");
  CHECK(c.state_tier == ex::StorageTier::kPageCache);
  apply_cost_flag(c, "--cost", "cold_read_us=100");
  CHECK(c.cold_read_us == doctest::Approx(100.0));
  apply_cost_flag(c, "--cost", "trie_node_hash_us=2.5");
  CHECK(c.trie_node_hash_us == doctest::Approx(2.5));
  apply_cost_flag(c, "--cost", "memory_cache_bytes=1e6");
  CHECK(c.memory_cache_bytes == 1'000'000);
  apply_cost_flag(c, "--cost", "state_tier=memory");
  CHECK(c.state_tier == ex::StorageTier::kMemory);
  apply_cost_flag(c, "--cost", "async_io=true");
  CHECK(c.async_io);
  apply_cost_flag(c, "--cost", "account_trie_leaves=2.93e8");
  CHECK(c.account_trie_leaves == doctest::Approx(2.93e8));
  apply_cost_flag(c, "--cost", "storage_trie_leaves=1e6");
  CHECK(c.storage_trie_leaves == doctest::Approx(1e6));
  apply_cost_flag(c, "--cost", "trie_cached_levels=4");
  CHECK(c.cached_trie_levels() == 4);
  apply_cost_flag(c, "--cost", "parallel_commitment=true");
  CHECK(c.parallel_commitment);
  apply_cost_flag(c, "--cost", "parallel_commitment=false");
  CHECK_FALSE(c.parallel_commitment);
  // A later --preset replaces everything but async_io.
  apply_cost_flag(c, "--preset", "pevm-i9-12900k-memory");
  CHECK(c.cold_read_us == doctest::Approx(ex::CostModel{}.cold_read_us));
  CHECK(c.memory_cache_bytes == 0);
  CHECK(c.async_io);
}

TEST_CASE("exec_flags: errors name the flag and the bad value") {
  ex::CostModel c;
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--tier", "ssd"),
                       "--tier: 'ssd' is not memory, page_cache or disk", std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--cost", "state_tier=ssd"),
                       "--cost state_tier: 'ssd' is not memory, page_cache or disk",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--cost", "cold_read_us=fast"),
                       "--cost cold_read_us: 'fast' is not a number >= 0", std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--cost", "cold_read_us=-1"),
                       "--cost cold_read_us: '-1' is not a number >= 0", std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--cost", "cold_read_us"),
                       "--cost: expected KEY=VALUE, got 'cold_read_us'", std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--cost", "warp_factor=9"),
                       "--cost: unknown key 'warp_factor' (keys: docs/scenario.md, "
                       "pipeline.cost_model)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--cost", "async_io=yes"),
                       "--cost async_io: 'yes' is not true or false", std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--cost", "parallel_commitment=1"),
                       "--cost parallel_commitment: '1' is not true or false",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--cost", "account_trie_leaves=-5"),
                       "--cost account_trie_leaves: '-5' is not a number >= 0",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(apply_cost_flag(c, "--preset", "geth"),
                       "--preset: unknown preset 'geth' (presets: pevm-i9-12900k-memory, "
                       "reth-nvme-disk)",
                       std::invalid_argument);
  // A failed flag leaves the model unchanged.
  CHECK(c.state_tier == ex::StorageTier::kMemory);
  CHECK(c.cold_read_us == doctest::Approx(ex::CostModel{}.cold_read_us));
}

TEST_CASE("exec_flags: integers and numbers") {
  CHECK(parse_uint("--threads", "16", 1) == 16);
  CHECK_THROWS_WITH_AS(parse_uint("--threads", "0", 1), "--threads: '0' is not an integer >= 1",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_uint("--threads", "-3", 1), "--threads: '-3' is not an integer >= 1",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_uint("--threads", "4x", 1), "--threads: '4x' is not an integer >= 1",
                       std::invalid_argument);
  CHECK(parse_double("--hot-fraction", "0.25") == doctest::Approx(0.25));
  CHECK_THROWS_WITH_AS(parse_double("--hot-fraction", "inf"),
                       "--hot-fraction: 'inf' is not a number >= 0", std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_double("--hot-fraction", ""),
                       "--hot-fraction: '' is not a number >= 0", std::invalid_argument);
}

TEST_CASE("exec_flags: FlagWalker reads --flag value and --flag=value alike") {
  using pipesim::exec_flags::FlagWalker;
  std::string a0 = "exec", a1 = "--threads", a2 = "8", a3 = "--cost=tx_fixed_us=2", a4 = "--root",
              a5 = "--csv";
  std::vector<char*> argv{a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), a5.data()};
  FlagWalker w(static_cast<int>(argv.size()), argv.data());
  REQUIRE(w.next());
  CHECK(w.flag() == "--threads");
  CHECK(w.value() == "8");
  REQUIRE(w.next());
  CHECK(w.flag() == "--cost");
  CHECK(w.value() == "tx_fixed_us=2");  // only the first '=' splits
  CHECK_THROWS_WITH_AS(w.no_value(), "--cost: takes no value (got 'tx_fixed_us=2')",
                       std::invalid_argument);
  REQUIRE(w.next());
  CHECK(w.flag() == "--root");
  CHECK_NOTHROW(w.no_value());
  REQUIRE(w.next());
  CHECK(w.flag() == "--csv");
  CHECK_THROWS_WITH_AS(w.value(), "--csv: missing value", std::invalid_argument);
  CHECK_FALSE(w.next());
}

TEST_CASE("exec_flags: the executor flags both subcommands share") {
  using pipesim::exec_flags::ExecutorFlags;
  using pipesim::exec_flags::FlagWalker;
  std::vector<std::string> words{"exec",        "--executor=batch_occ",
                                 "--threads",   "4",
                                 "--batch=2",   "--formation=declared_conflicts",
                                 "--eager",     "--root",
                                 "--csv=x.csv", "--tier=disk",
                                 "--accounts",  "10"};
  std::vector<char*> argv(words.size());
  std::transform(words.begin(), words.end(), argv.begin(), [](std::string& w) { return w.data(); });
  FlagWalker args(static_cast<int>(argv.size()), argv.data());
  ExecutorFlags f;
  for (int i = 0; i < 8; ++i) {
    REQUIRE(args.next());
    CHECK(apply_executor_flag(f, args));
  }
  CHECK(f.executor == "batch_occ");
  CHECK(f.threads == 4);
  CHECK(f.batch == 2);
  CHECK(f.formation == ex::OccFormation::kDeclaredConflicts);
  CHECK(f.eager);
  CHECK(f.root);
  CHECK(f.csv == "x.csv");
  CHECK(f.cost.state_tier == ex::StorageTier::kDisk);
  REQUIRE(args.next());
  CHECK_FALSE(apply_executor_flag(f, args));  // --accounts is the caller's
  CHECK(args.value() == "10");
  CHECK_FALSE(args.next());
}
