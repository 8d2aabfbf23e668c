// The replay cache (models/workload/replay_cache.hpp): the cached stream is the parsed stream
// (same transactions, traces, genesis — byte for byte and in the same table layout), and a
// damaged, truncated, foreign or stale cache file is detected and never used.
#include <doctest/doctest.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "models/common/data_dir.hpp"
#include "models/common/input_reuse.hpp"
#include "models/workload/replay_cache.hpp"
#include "models/workload/tx_source.hpp"

using namespace pipesim;
using namespace pipesim::workload;
namespace fs = std::filesystem;

namespace {

// Frontier, Byzantium and Cancun blocks with exact traces, and 12964999 (approximated: its
// bytecode is incomplete), so both kinds of trace go through the cache.
const std::vector<std::uint64_t> kBlocks = {46147, 4370000, 12964999, 19934116};

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("pipesim-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The table layout: entries in iteration order (identical maps iterate identically).
std::vector<std::pair<execution::StateKey, execution::U256>> layout(const execution::StateMap& m) {
  std::vector<std::pair<execution::StateKey, execution::U256>> out;
  m.for_each(
      [&](const execution::StateKey& k, const execution::U256& v) { out.emplace_back(k, v); });
  return out;
}

void check_same(const RecordedStream& a, const RecordedStream& b) {
  const ReplayCacheKey k{1, 2};
  CHECK(serialize_recorded_stream(a, k) == serialize_recorded_stream(b, k));
  REQUIRE(a.txs.size() == b.txs.size());
  CHECK(a.block_sizes == b.block_sizes);
  CHECK(a.coverage.exact_blocks == b.coverage.exact_blocks);
  CHECK(a.coverage.approximated_blocks == b.coverage.approximated_blocks);
  CHECK(layout(a.genesis) == layout(b.genesis));
  for (std::size_t i = 0; i < a.txs.size(); ++i) {
    const auto& x = a.txs[i];
    const auto& y = b.txs[i];
    CHECK(x.from == y.from);
    CHECK(x.nonce == y.nonce);
    CHECK(x.gas_limit == y.gas_limit);
    REQUIRE(static_cast<bool>(x.trace) == static_cast<bool>(y.trace));
    if (x.trace) {
      CHECK(x.trace->reads == y.trace->reads);
      CHECK(x.trace->writes.size() == y.trace->writes.size());
      CHECK(x.trace->gas_used == y.trace->gas_used);
      CHECK(x.trace->exact == y.trace->exact);
      CHECK(x.trace->opcodes.arith_stack == y.trace->opcodes.arith_stack);
    }
  }
}

}  // namespace

TEST_CASE("replay cache: the cached stream equals the parsed one") {
  const std::string root = pipesim::data_dir();
  TempDir cache("replay-cache");
  const RecordedStream parsed = parse_recorded_stream("eth_mainnet", root, kBlocks);
  CHECK(parsed.coverage.exact_blocks == 3);
  CHECK(parsed.coverage.approximated_blocks == 1);

  ReplayCacheOutcome outcome{};
  const RecordedStream first =
      load_recorded_stream("eth_mainnet", root, kBlocks, cache.path.string(), &outcome);
  CHECK(outcome == ReplayCacheOutcome::kWritten);
  const RecordedStream cached =
      load_recorded_stream("eth_mainnet", root, kBlocks, cache.path.string(), &outcome);
  CHECK(outcome == ReplayCacheOutcome::kHit);
  check_same(parsed, first);
  check_same(parsed, cached);
  // No temporary file is left behind; one cache file.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(cache.path)) {
    ++files;
    CHECK(e.path().extension() == ".bin");
  }
  CHECK(files == 1);

  // Deterministic image: the same stream and key give the same bytes.
  const ReplayCacheKey key = replay_cache_key("eth_mainnet", root, kBlocks);
  CHECK(serialize_recorded_stream(parsed, key) == serialize_recorded_stream(cached, key));
  CHECK(slurp(replay_cache_path(cache.path.string(), "eth_mainnet", key)) ==
        serialize_recorded_stream(parsed, key));
}

TEST_CASE("replay cache: make_replay_source gives the same source with and without the cache") {
  TempDir cache("replay-source");
  ReplaySourceParams p;
  p.blocks = kBlocks;
  p.tps = 500;
  p.loop = true;
  p.duration_s = 20;  // 10,100 arrivals: three passes of the 4 blocks' transactions
  p.cache_dir = "off";
  auto plain = make_replay_source(p, 7);
  p.cache_dir = cache.path.string();
  auto writes = make_replay_source(p, 7);
  auto reads = make_replay_source(p, 7);
  for (TxSource* s : {writes.get(), reads.get()}) {
    CHECK(s->description() == plain->description());
    CHECK(s->replay_coverage().exact_blocks == plain->replay_coverage().exact_blocks);
    CHECK(layout(*s->genesis()) == layout(*plain->genesis()));
  }
  std::vector<TxArrival> a, b, c;
  plain->generate_until(1e9, a);
  writes->generate_until(1e9, b);
  reads->generate_until(1e9, c);
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() == c.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (const auto* x : {&b[i], &c[i]}) {
      CHECK(x->submit_time_s == a[i].submit_time_s);
      CHECK(x->tx.from == a[i].tx.from);
      CHECK(x->tx.nonce == a[i].tx.nonce);
      CHECK(x->recorded_block == a[i].recorded_block);
      CHECK(x->index_in_block == a[i].index_in_block);
      CHECK(x->tx.trace->reads == a[i].tx.trace->reads);
    }
  }
}

TEST_CASE("replay cache: damaged, truncated and foreign files are rejected and rewritten") {
  const std::string root = pipesim::data_dir();
  const std::vector<std::uint64_t> blocks = {46147, 12964999};
  TempDir cache("replay-damaged");
  const RecordedStream parsed = parse_recorded_stream("eth_mainnet", root, blocks);
  const ReplayCacheKey key = replay_cache_key("eth_mainnet", root, blocks);
  const std::string image = serialize_recorded_stream(parsed, key);
  REQUIRE(deserialize_recorded_stream(image, key).has_value());

  // Another key (another data set or loader) never reads this image.
  CHECK_FALSE(deserialize_recorded_stream(image, ReplayCacheKey{key[0], key[1] ^ 1}).has_value());
  // Every truncation, and one flipped bit anywhere (header or payload), is detected.
  for (std::size_t len : {std::size_t{0}, std::size_t{7}, std::size_t{47}, std::size_t{48},
                          std::size_t{200}, image.size() / 2, image.size() - 1})
    CHECK_FALSE(deserialize_recorded_stream(std::string_view(image).substr(0, len), key));
  for (std::size_t pos = 0; pos < image.size(); pos += 997) {
    std::string bad = image;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    CHECK_FALSE(deserialize_recorded_stream(bad, key).has_value());
  }
  CHECK_FALSE(deserialize_recorded_stream(image + "x", key).has_value());
  CHECK_FALSE(deserialize_recorded_stream(std::string(image.size(), '\0'), key).has_value());

  // A damaged file in place: ignored (the stream is parsed), then replaced by a valid one.
  const std::string path = replay_cache_path(cache.path.string(), "eth_mainnet", key);
  std::string bad = image;
  bad[image.size() - 100] = static_cast<char>(bad[image.size() - 100] ^ 0x01);
  spit(path, bad);
  CHECK_FALSE(read_replay_cache(path, key).has_value());
  ReplayCacheOutcome outcome{};
  check_same(parsed,
             load_recorded_stream("eth_mainnet", root, blocks, cache.path.string(), &outcome));
  CHECK(outcome == ReplayCacheOutcome::kWritten);
  CHECK(slurp(path) == image);
  spit(path, image.substr(0, image.size() / 3));  // truncated (e.g. a full disk)
  check_same(parsed,
             load_recorded_stream("eth_mainnet", root, blocks, cache.path.string(), &outcome));
  CHECK(outcome == ReplayCacheOutcome::kWritten);
  check_same(parsed,
             load_recorded_stream("eth_mainnet", root, blocks, cache.path.string(), &outcome));
  CHECK(outcome == ReplayCacheOutcome::kHit);

  // An unwritable cache folder: parsed, nothing written, no error.
  const std::string not_a_dir = (cache.path / "file").string();
  spit(not_a_dir, "x");
  check_same(parsed, load_recorded_stream("eth_mainnet", root, blocks, not_a_dir, &outcome));
  CHECK(outcome == ReplayCacheOutcome::kNotWritten);
}

TEST_CASE("replay cache: a changed input file gives another key (a stale cache is never read)") {
  const std::string root = pipesim::data_dir();
  TempDir data("replay-data");
  TempDir cache("replay-stale");
  const std::uint64_t n = 46147;
  const std::string num = std::to_string(n);
  fs::create_directories(data.path / "eth-blocks" / num);
  fs::create_directories(data.path / "eth-traces");
  for (const char* f : {"block.json.gz", "pre_state.json.gz"})
    fs::copy_file(root + "/eth-blocks/" + num + "/" + f, data.path / "eth-blocks" / num / f);
  const fs::path trace = data.path / "eth-traces" / (num + ".json.gz");
  fs::copy_file(root + "/eth-traces/" + num + ".json.gz", trace);
  const std::string d = data.path.string();

  const ReplayCacheKey exact_key = replay_cache_key("eth_mainnet", d, {n});
  CHECK(exact_key == replay_cache_key("eth_mainnet", root, {n}));  // contents, not paths
  ReplayCacheOutcome outcome{};
  const RecordedStream exact = load_recorded_stream("eth_mainnet", d, {n}, cache.path.string());
  CHECK(exact.coverage.exact_blocks == 1);

  // The exact trace removed: another key, the cached exact stream is not used.
  fs::remove(trace);
  const ReplayCacheKey approx_key = replay_cache_key("eth_mainnet", d, {n});
  CHECK(approx_key != exact_key);
  const RecordedStream approx =
      load_recorded_stream("eth_mainnet", d, {n}, cache.path.string(), &outcome);
  CHECK(outcome == ReplayCacheOutcome::kWritten);
  CHECK(approx.coverage.exact_blocks == 0);
  CHECK(approx.coverage.approximated_blocks == 1);

  // One byte of a data file changed: another key.
  const fs::path pre = data.path / "eth-blocks" / num / "pre_state.json.gz";
  std::string bytes = slurp(pre.string());
  bytes.back() = static_cast<char>(bytes.back() ^ 0x01);
  spit(pre.string(), bytes);
  CHECK(replay_cache_key("eth_mainnet", d, {n}) != approx_key);
  // Other block lists and sources are other keys.
  CHECK(replay_cache_key("eth_mainnet", root, {n, 4370000}) != exact_key);
  CHECK(replay_cache_key("eth_bal", root, {20615532}) !=
        replay_cache_key("eth_bal", root, {20615533}));
}

TEST_CASE("replay cache: eth_bal streams go through the cache too") {
  const std::string root = pipesim::data_dir();
  TempDir cache("replay-bal");
  const std::vector<std::uint64_t> blocks = {20615532, 20615533};
  const RecordedStream parsed = parse_recorded_stream("eth_bal", root, blocks);
  ReplayCacheOutcome outcome{};
  load_recorded_stream("eth_bal", root, blocks, cache.path.string(), &outcome);
  CHECK(outcome == ReplayCacheOutcome::kWritten);
  check_same(parsed, load_recorded_stream("eth_bal", root, blocks, cache.path.string(), &outcome));
  CHECK(outcome == ReplayCacheOutcome::kHit);
}

TEST_CASE("ContentHasher: chunking does not matter, contents do") {
  const std::string s = "The quick brown fox jumps over the lazy dog, twice over the lazy dog.";
  ContentHasher whole;
  whole.update(s);
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    ContentHasher parts;
    parts.update(s.substr(0, cut));
    parts.update(s.substr(cut));
    CHECK(parts.digest() == whole.digest());
  }
  ContentHasher other;
  other.update(s.substr(0, s.size() - 1) + "!");
  CHECK(other.digest() != whole.digest());
  ContentHasher a, b;
  a.field("ab");
  a.field("c");
  b.field("a");
  b.field("bc");
  CHECK(a.digest() != b.digest());
}

TEST_CASE("replay cache: pruning keeps the newest files and removes stale temporaries") {
  TempDir cache("replay-prune");
  RecordedStream empty;
  for (std::uint64_t i = 0; i < 5; ++i) {
    const ReplayCacheKey key{i, i};
    REQUIRE(
        write_replay_cache(replay_cache_path(cache.path.string(), "eth_mainnet", key), empty, key));
    // Distinct modification times, oldest first.
    fs::last_write_time(replay_cache_path(cache.path.string(), "eth_mainnet", key),
                        fs::file_time_type::clock::now() - std::chrono::minutes(10 - i));
  }
  const std::string old_tmp = (cache.path / "replay-eth_mainnet-x.bin.tmp.1.2.3").string();
  const std::string new_tmp = (cache.path / "replay-eth_mainnet-y.bin.tmp.4.5.6").string();
  spit(old_tmp, "partial");
  spit(new_tmp, "partial");
  fs::last_write_time(old_tmp, fs::file_time_type::clock::now() - std::chrono::hours(2));
  spit((cache.path / "other.txt").string(), "not ours");
  CHECK(prune_replay_cache(cache.path.string(), 2) == 4);  // 3 oldest caches, 1 old temporary
  CHECK(fs::exists(replay_cache_path(cache.path.string(), "eth_mainnet", {4, 4})));
  CHECK(fs::exists(replay_cache_path(cache.path.string(), "eth_mainnet", {3, 3})));
  CHECK_FALSE(fs::exists(replay_cache_path(cache.path.string(), "eth_mainnet", {2, 2})));
  CHECK_FALSE(fs::exists(old_tmp));
  CHECK(fs::exists(new_tmp));  // may be a writer at work
  CHECK(fs::exists(cache.path / "other.txt"));
  CHECK(prune_replay_cache((cache.path / "absent").string()) == 0);
}

// Last in this file: input reuse is process-wide and cannot be turned off (the tests above load
// without it).
TEST_CASE("replay cache: with input reuse the shared stream is loaded once per blocks") {
  const std::string root = pipesim::data_dir();
  TempDir cache("replay-cache-reuse");
  ReplayCacheOutcome outcome{};
  const auto alone =
      load_shared_recorded_stream("eth_mainnet", root, kBlocks, cache.path.string(), &outcome);
  CHECK(outcome == ReplayCacheOutcome::kWritten);
  const auto again =
      load_shared_recorded_stream("eth_mainnet", root, kBlocks, cache.path.string(), &outcome);
  CHECK(outcome == ReplayCacheOutcome::kHit);  // reuse off: a new object, read from the cache
  CHECK(alone.get() != again.get());

  pipesim::enable_input_reuse();
  const auto kept =
      load_shared_recorded_stream("eth_mainnet", root, kBlocks, cache.path.string(), &outcome);
  CHECK(outcome == ReplayCacheOutcome::kHit);
  const auto reused =
      load_shared_recorded_stream("eth_mainnet", root, kBlocks, cache.path.string(), &outcome);
  CHECK(outcome == ReplayCacheOutcome::kReused);
  CHECK(reused.get() == kept.get());
  check_same(*alone, *reused);
  // Other blocks: loaded, and kept instead.
  const std::vector<std::uint64_t> two(kBlocks.begin(), kBlocks.begin() + 2);
  const auto other =
      load_shared_recorded_stream("eth_mainnet", root, two, cache.path.string(), &outcome);
  CHECK(outcome == ReplayCacheOutcome::kWritten);
  CHECK(other.get() != kept.get());
  CHECK(other->txs.size() < kept->txs.size());
}
