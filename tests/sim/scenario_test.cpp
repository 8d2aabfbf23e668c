// Tests for sim/scenario: the bad-scenario corpus (tests/data/bad_scenarios), the shipped
// scenarios (scenarios/), defaults, presets, overrides and the to_json round trip.
#include "sim/scenario.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;
using pipesim::sim::apply_override;
using pipesim::sim::load_scenario;
using pipesim::sim::parse_scenario;
using pipesim::sim::Scenario;
using pipesim::sim::ScenarioError;
using pipesim::sim::to_json;

namespace {

const fs::path kSource = PIPESIM_SOURCE_DIR;

/// The message of the ScenarioError thrown by `f`, or a marker string if none (or another type).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not a ScenarioError: ") + e.what() + ">";
  }
  return "<no error>";
}

std::string parse_error(const json& doc) {
  return error_of([&] { parse_scenario(doc); });
}

json read_json(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE_MESSAGE(in.good(), "cannot open " << file);
  return json::parse(in);
}

/// parse -> to_json -> parse (directly and through text) yields the same scenario.
void check_round_trip(const Scenario& s) {
  const json j = to_json(s);
  CHECK(parse_scenario(j) == s);
  CHECK(parse_scenario(json::parse(j.dump(2))) == s);
  CHECK(to_json(parse_scenario(j)) == j);
}

}  // namespace

TEST_CASE("bad-scenario corpus: every file fails with its expected message") {
  const fs::path dir = kSource / "tests/data/bad_scenarios";
  const json expected = read_json(dir / "expected.json");
  REQUIRE(expected.is_object());

  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name != "expected.json") files.insert(name);
  }
  CHECK(files.size() >= 24);
  for (const auto& item : expected.items()) {
    CHECK_MESSAGE(files.count(item.key()) == 1,
                  "expected.json names a missing file " << item.key());
  }
  for (const auto& name : files) {
    CAPTURE(name);
    REQUIRE_MESSAGE(expected.contains(name), "no expected message for " << name);
    const std::string want = expected[name].get<std::string>();
    const std::string got = error_of([&] { load_scenario((dir / name).string()); });
    CAPTURE(got);
    CHECK_MESSAGE(got.find(want) != std::string::npos, "expected substring: " << want);
  }
}

TEST_CASE("every shipped scenario loads and round-trips") {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "scenarios")) {
    if (entry.path().extension() != ".json") continue;
    CAPTURE(entry.path().string());
    Scenario s;
    CHECK_NOTHROW(s = load_scenario(entry.path().string()));
    check_round_trip(s);
    ++count;
  }
  CHECK(count >= 2);
}

TEST_CASE("scenarios/interleaved-hotstuff.json has the documented values") {
  const Scenario s = load_scenario((kSource / "scenarios/interleaved-hotstuff.json").string());
  CHECK(s.name == "interleaved-hotstuff");
  CHECK(s.duration_s == 60.0);
  CHECK(s.network.validators == 100);
  CHECK(s.network.latency.model == "region_matrix");
  CHECK(s.network.latency.preset == "aws_p50");
  CHECK(s.network.latency.region_names.size() == 7);
  CHECK(s.consensus.block_time_ms == 500.0);
  CHECK(s.nodes.cores == 16);
  CHECK(s.pipeline.executor == "sequential");
  CHECK(s.workload.kind == "transfers");
  CHECK(s.workload.tps == 2000.0);
  CHECK(s.workload.accounts == 10000);
  CHECK(s.outputs.trace);
  CHECK(s.outputs.trace_nodes == 8);
}

TEST_CASE("scenarios/minimal.json: constant latency, defaults elsewhere") {
  const Scenario s = load_scenario((kSource / "scenarios/minimal.json").string());
  CHECK(s.network.validators == 4);
  CHECK(s.network.latency.model == "constant");
  CHECK(s.network.latency.constant_ms == 50.0);
  CHECK(s.duration_s == 10.0);
  // No preset and no inline matrix with a non-matrix model: regions stay empty.
  CHECK(s.network.latency.preset.empty());
  CHECK(s.network.latency.region_names.empty());
  CHECK(s.network.latency.one_way_ms.empty());
  CHECK(s.pipeline.threads == 1);
  CHECK(s.outputs.tx_sample_rate == 0.01);
}

TEST_CASE("an empty object gives the header defaults and the default preset") {
  const Scenario s = parse_scenario(json::object());
  Scenario want;
  // Everything but the region resolution equals the header's defaults.
  Scenario got_without_regions = s;
  got_without_regions.network.latency = want.network.latency;
  CHECK(got_without_regions == want);

  const auto& lat = s.network.latency;
  CHECK(lat.model == "region_matrix");
  CHECK(lat.preset == "aws_p50");
  const std::vector<std::string> regions = {"us-east-1",    "us-west-2",      "eu-west-1",
                                            "eu-central-1", "ap-northeast-1", "ap-southeast-1",
                                            "sa-east-1"};
  CHECK(lat.region_names == regions);
  REQUIRE(lat.one_way_ms.size() == 7);
  for (const auto& row : lat.one_way_ms) CHECK(row.size() == 7);
  CHECK(lat.region_weights == std::vector<double>(7, 1.0));
  // p50.json: us-east-1 -> us-east-1 5.506 ms RTT, us-east-1 -> eu-west-1 69.622, reverse 69.736.
  CHECK(lat.one_way_ms[0][0] == doctest::Approx(5.506 / 2));
  CHECK(lat.one_way_ms[0][2] == doctest::Approx(69.622 / 2));
  CHECK(lat.one_way_ms[2][0] == doctest::Approx(69.736 / 2));
  check_round_trip(s);
}

TEST_CASE("preset aws_p90 with a region subset and weights") {
  json doc = {{"network",
               {{"latency",
                 {{"preset", "aws_p90"},
                  {"regions", {{"names", {"eu-west-1", "us-east-1"}}, {"weights", {3, 1}}}}}}}}};
  const Scenario s = parse_scenario(doc);
  const auto& lat = s.network.latency;
  CHECK(lat.region_names == std::vector<std::string>{"eu-west-1", "us-east-1"});
  CHECK(lat.region_weights == std::vector<double>{3.0, 1.0});
  REQUIRE(lat.one_way_ms.size() == 2);
  CHECK(lat.one_way_ms[1][0] == doctest::Approx(74.634 / 2));  // us-east-1 -> eu-west-1 at p90
  check_round_trip(s);

  // An inline matrix next to a preset must equal the preset's.
  json conflicting = to_json(s);
  conflicting["network"]["latency"]["regions"]["one_way_ms"][0][1] = 1.0;
  CHECK(
      parse_error(conflicting).find("network.latency.regions.one_way_ms: conflicts with preset") ==
      0);
}

TEST_CASE("inline region matrix") {
  json doc = {{"network",
               {{"latency",
                 {{"model", "region_matrix"},
                  {"regions", {{"names", {"a", "b"}}, {"one_way_ms", {{1, 20}, {21, 2}}}}}}}}}};
  const Scenario s = parse_scenario(doc);
  CHECK(s.network.latency.preset.empty());
  CHECK(s.network.latency.one_way_ms[1][0] == 21.0);
  CHECK(s.network.latency.region_weights == std::vector<double>{1.0, 1.0});
  check_round_trip(s);
}

TEST_CASE("PIPESIM_DATA_DIR overrides the preset folder") {
  REQUIRE(setenv("PIPESIM_DATA_DIR", "/nonexistent-pipesim-data", 1) == 0);
  const std::string err = parse_error(json::object());
  unsetenv("PIPESIM_DATA_DIR");
  CHECK(err.find("network.latency.preset: cannot read the file of preset \"aws_p50\"") == 0);
  CHECK(err.find("/nonexistent-pipesim-data/latency/aws/p50.json") != std::string::npos);
  CHECK(err.find("PIPESIM_DATA_DIR") != std::string::npos);

  REQUIRE(setenv("PIPESIM_DATA_DIR", (kSource / "data").c_str(), 1) == 0);
  CHECK_NOTHROW(parse_scenario(json::object()));
  unsetenv("PIPESIM_DATA_DIR");
}

TEST_CASE("error messages: path, value and expectation") {
  const auto with = [](const char* path, const json& value) {
    json doc = json::object();
    apply_override(doc, std::string(path) + "=" + value.dump());
    return parse_error(doc);
  };
  CHECK(with("network.validators", 2) ==
        "network.validators: value 2 is out of range, expected an integer in [4, 1000000]");
  CHECK(with("network.validators", 4.5) ==
        "network.validators: value 4.5 is not an integer, expected an integer in [4, 1000000]");
  CHECK(with("network.validators", 5000000000ULL) ==
        "network.validators: value 5000000000 is out of range, expected an integer in [4, "
        "1000000]");
  CHECK(with("seed", -3) == "seed: value -3 is out of range, expected an integer >= 0");
  CHECK(with("duration_s", 0) ==
        "duration_s: value 0 is out of range, expected a number in (0, 10000000]");
  CHECK(
      with("duration_s", "long") ==
      "duration_s: value \"long\" has the wrong type (string), expected a number in (0, 10000000]");
  CHECK(with("outputs.tx_sample_rate", 2) ==
        "outputs.tx_sample_rate: value 2 is out of range, expected a number in [0, 1]");
  CHECK(with("pipeline.executor", "parallel") ==
        "pipeline.executor: value \"parallel\" is not an allowed value, expected one of "
        "\"sequential\", \"block_stm\", \"batch_occ\", \"optimistic\"");
  CHECK(with("nodes.speed", 2) == "nodes.speed: unknown key, allowed keys: cores, speed_factor");
  CHECK(with("network.latency.jiter_ms", 1) ==
        "network.latency.jiter_ms: unknown key (did you mean \"jitter_ms\"?), allowed keys: "
        "model, constant_ms, min_ms, max_ms, mean_ms, stddev_ms, median_ms, sigma, floor_ms, "
        "preset, regions, jitter_ms, jitter_kind, vivaldi_dataset, vivaldi_selection");
  CHECK(with("pipeline.threads", 17) ==
        "pipeline.threads: value 17 is out of range, expected an integer <= nodes.cores (16)");
  CHECK(with("faults.crashed", json::array({1, 2})) ==
        "faults.crashed: 2 crashed validators exceed the fault tolerance, expected at most "
        "f = (n-1)/3 = 1 for n = 4 validators");

  // The thrown error carries the path separately.
  try {
    parse_scenario(json{{"nodes", {{"cores", 0}}}});
    FAIL("no error");
  } catch (const ScenarioError& e) {
    CHECK(e.path() == "nodes.cores");
  }
}

TEST_CASE("integer fields accept integral numbers only") {
  CHECK(parse_scenario(json::parse(R"({"pipeline": {"block_gas_limit": 3e7}})"))
            .pipeline.block_gas_limit == 30'000'000);
  CHECK(parse_scenario(json::parse(R"({"network": {"validators": 7.0}})")).network.validators == 7);
  CHECK(parse_error(json::parse(R"({"workload": {"accounts": 1.5}})")).find("is not an integer") !=
        std::string::npos);
  CHECK(parse_error(json::parse(R"({"workload": {"accounts": -10}})")) ==
        "workload.accounts: value -10 is out of range, expected an integer >= 2");
  CHECK(parse_error(json::parse(R"({"seed": true})")) ==
        "seed: value true has the wrong type (boolean), expected an integer >= 0");
  CHECK(parse_scenario(json::parse(R"({"seed": 18446744073709551615})")).seed ==
        18446744073709551615ULL);
}

TEST_CASE("cost_model: modelled trie depth and parallel commitment keys") {
  // Defaults: the tries as built, one commit span.
  const pipesim::execution::CostModel d =
      parse_scenario(json::object()).pipeline.cost_model.model();
  CHECK(d.account_trie_leaves == 0);
  CHECK(d.storage_trie_leaves == 0);
  CHECK(d.trie_cached_levels == 6);
  CHECK_FALSE(d.parallel_commitment);
  CHECK_FALSE(d.models_trie_depth());
  // Given keys reach the executors' model; a preset's values are overridden by given keys.
  const pipesim::execution::CostModel m =
      parse_scenario(json::parse(R"({"pipeline": {"cost_model": {"preset": "reth-nvme-disk",
          "account_trie_leaves": 1e6, "trie_cached_levels": 3, "parallel_commitment": false}}})"))
          .pipeline.cost_model.model();
  CHECK(m.account_trie_leaves == 1e6);
  CHECK(m.storage_trie_leaves ==
        pipesim::execution::cost_model_preset("reth-nvme-disk")->storage_trie_leaves);
  CHECK(m.trie_cached_levels == 3);
  CHECK_FALSE(m.parallel_commitment);
  // The disk preset models mainnet-sized tries and commits in one span (cost_model.cpp).
  const pipesim::execution::CostModel reth =
      parse_scenario(json::parse(R"({"pipeline": {"cost_model": {"preset": "reth-nvme-disk"}}})"))
          .pipeline.cost_model.model();
  CHECK(reth.account_trie_leaves == 293'281'024.0);
  CHECK(reth.storage_trie_leaves == 1e6);
  CHECK_FALSE(reth.parallel_commitment);
  // Range errors name the key's path.
  CHECK(parse_error(json::parse(R"({"pipeline": {"cost_model": {"trie_cached_levels": 65}}})")) ==
        "pipeline.cost_model.trie_cached_levels: value 65 is out of range, expected a number in "
        "[0, 64]");
  CHECK(parse_error(json::parse(R"({"pipeline": {"cost_model": {"account_trie_leaves": -1}}})"))
            .find("pipeline.cost_model.account_trie_leaves: value -1 is out of range") == 0);
  CHECK(parse_error(json::parse(R"({"pipeline": {"cost_model": {"storage_trie_leaves": 1e19}}})"))
            .find("pipeline.cost_model.storage_trie_leaves: value") == 0);
  CHECK(parse_error(json::parse(R"({"pipeline": {"cost_model": {"parallel_commitment": 1}}})"))
            .find("pipeline.cost_model.parallel_commitment: value 1 has the wrong type") == 0);
}

TEST_CASE("cross-field checks") {
  CHECK(parse_error(json::parse(R"({"network": {"latency": {"min_ms": 5, "max_ms": 4}}})")) ==
        "network.latency.min_ms: value 5 is out of range, expected a number <= "
        "network.latency.max_ms (4)");
  CHECK(parse_error(json::parse(R"({"faults": {"crashed": [4]}})")) ==
        "faults.crashed[0]: value 4 is out of range, expected a validator index < "
        "network.validators (4)");
  CHECK(parse_error(json::parse(R"({"network": {"validators": 7}, "faults": {"crashed": [1, 1]}})"))
            .find("faults.crashed[1]: value 1 is listed twice") == 0);
  // n = 7 tolerates f = 2.
  const Scenario s = parse_scenario(json::parse(
      R"({"network": {"validators": 7}, "faults": {"crashed": [5, 6], "crash_at_s": 3}})"));
  CHECK(s.faults.crashed == std::vector<std::uint32_t>{5, 6});
  CHECK(parse_error(json::parse(R"({"faults": {"crashed": [0], "crash_at_s": 60}})"))
            .find("faults.crash_at_s: value 60 is out of range") == 0);
  CHECK(parse_error(json::parse(R"({"$schema": "x", "description": 3})")) ==
        "description: value 3 has the wrong type (number), expected a string");
  CHECK_NOTHROW(parse_scenario(json::parse(R"({"$schema": "x", "description": "doc"})")));
}

TEST_CASE("apply_override") {
  json doc = json::parse(R"({"network": {"validators": 4}})");
  apply_override(doc, "network.validators=16");
  CHECK(doc["network"]["validators"] == 16);
  apply_override(doc, "network.latency.preset=aws_p90");  // bare word: a string
  CHECK(doc["network"]["latency"]["preset"] == "aws_p90");
  apply_override(doc, "name=\"42\"");  // quoted: a string even though it looks like a number
  CHECK(doc["name"] == "42");
  apply_override(doc, "outputs.trace=false");
  CHECK(doc["outputs"]["trace"] == false);
  apply_override(doc, "faults.crashed=[0]");
  CHECK(doc["faults"]["crashed"] == json::array({0}));
  apply_override(doc, "consensus.block_time_ms=2.5");
  CHECK(doc["consensus"]["block_time_ms"] == 2.5);
  apply_override(doc, "pipeline.cost_model.async_io=true");  // intermediate objects created
  CHECK(doc["pipeline"]["cost_model"]["async_io"] == true);
  apply_override(doc, "outputs.dir=a=b");  // only the first '=' separates
  CHECK(doc["outputs"]["dir"] == "a=b");
  const Scenario s = parse_scenario(doc);
  CHECK(s.network.validators == 16);
  CHECK(s.network.latency.preset == "aws_p90");
  CHECK(s.name == "42");
  CHECK(s.pipeline.cost_model.async_io);

  CHECK(error_of([&] { apply_override(doc, "network.validators"); }) ==
        "--set: \"network.validators\" is not an assignment, expected key.path=value");
  CHECK(error_of([&] {
          apply_override(doc, "network..validators=4");
        }).find("--set: \"network..validators=4\" has an empty key segment") == 0);
  CHECK(error_of([&] { apply_override(doc, "=4"); }).find("has an empty key segment") !=
        std::string::npos);
  CHECK(error_of([&] { apply_override(doc, "network.validators.x=1"); }) ==
        "network.validators: cannot set \"network.validators.x\": value 16 is not an object");
}

TEST_CASE("load_scenario: overrides, unreadable files, syntax errors") {
  const std::string minimal = (kSource / "scenarios/minimal.json").string();
  const Scenario s = load_scenario(minimal, {"network.validators=10", "seed=7"});
  CHECK(s.network.validators == 10);
  CHECK(s.seed == 7);
  CHECK(error_of([&] { load_scenario(minimal, {"network.validators=3"}); }) ==
        "network.validators: value 3 is out of range, expected an integer in [4, 1000000]");

  const std::string missing = (kSource / "scenarios/does-not-exist.json").string();
  CHECK(error_of([&] {
          load_scenario(missing);
        }).find("cannot read scenario file \"" + missing + "\"") == 0);
  CHECK(error_of([&] { load_scenario(kSource.string()); }).find("it is a directory") !=
        std::string::npos);

  const fs::path tmp = fs::temp_directory_path() / "pipesim-scenario-test-syntax.json";
  {
    std::ofstream out(tmp);
    out << "{\n  \"name\": \"x\",\n  \"seed\": ,\n}\n";
  }
  const std::string err = error_of([&] { load_scenario(tmp.string()); });
  fs::remove(tmp);
  CHECK(err.find(tmp.string() + ": JSON syntax error at byte ") == 0);
  CHECK(err.find("line 3, column") != std::string::npos);
}

TEST_CASE("to_json lists every key, defaults included") {
  const json j = to_json(Scenario{});
  CHECK(j["pipeline"]["cost_model"]["async_io"] == false);
  CHECK(j["network"]["latency"]["regions"]["one_way_ms"] == json::array());
  CHECK(j["faults"]["crashed"] == json::array());
  CHECK(j["outputs"]["trace_nodes"] == 8);
  CHECK(j.size() == 12);  // name, seed, duration_s and 9 sections; no $schema/description
  CHECK(j["network"]["latency"].size() == 15);
  CHECK(j["network"]["classes"] == json::array());
  CHECK(j["network"]["topology"]["kind"] == "complete");
  CHECK(j["network"]["dissemination"]["mode"] == "direct");
  CHECK(j["network"]["platform_xml"] == "");
  CHECK(j["pipeline"].size() == 16);
  CHECK(j["network"]["dissemination"]["compact"]["sketch_bytes"] == 18000);
  CHECK(j["network"]["dissemination"]["shared_links"] == true);
  CHECK(j["pipeline"]["sor"]["replay_mode"] == "improved");
  CHECK(j["consensus"]["dag"]["wave_length_rounds"] == 4);
}

TEST_CASE("speculate_order_replay keys: dag_bft goes with the sor pipeline only") {
  const Scenario s = parse_scenario(json::parse(R"({
    "consensus": {"protocol": "dag_bft", "dag": {"wave_length_rounds": 2, "round_time_ms": 50}},
    "pipeline": {"kind": "speculate_order_replay",
                 "sor": {"replay_mode": "basic", "speculation": "leader", "reorder": false}}})"));
  CHECK(s.consensus.dag.wave_length_rounds == 2);
  CHECK(s.consensus.dag.round_time_ms == 50);
  CHECK(s.pipeline.sor.replay_mode == "basic");
  CHECK(s.pipeline.sor.speculation == "leader");
  CHECK_FALSE(s.pipeline.sor.reorder);
  CHECK(parse_error(json::parse(R"({"consensus": {"protocol": "dag_bft"}})")) ==
        "consensus.protocol: value \"dag_bft\" does not fit pipeline.kind \"interleaved\", "
        "expected \"hotstuff\"");
  CHECK(parse_error(json::parse(R"({"consensus": {"dag": {"wave_length_rounds": 1}}})"))
            .find("consensus.dag.wave_length_rounds: value 1 is out of range") == 0);
  CHECK(parse_error(json::parse(R"({"pipeline": {"sor": {"speculation": "all"}}})"))
            .find("pipeline.sor.speculation: value \"all\"") == 0);
}

namespace {

/// Dotted paths of every leaf of a JSON object (arrays are leaves).
void leaf_paths(const json& j, const std::string& prefix, std::set<std::string>& out) {
  for (const auto& item : j.items()) {
    const std::string path = prefix.empty() ? item.key() : prefix + "." + item.key();
    if (item.value().is_object()) {
      leaf_paths(item.value(), path, out);
    } else {
      out.insert(path);
    }
  }
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE_MESSAGE(in.good(), "cannot open " << file);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("docs/scenario.md documents every key and its complete example loads") {
  const std::string doc = read_text(kSource / "docs/scenario.md");
  std::set<std::string> keys;
  leaf_paths(to_json(parse_scenario(json::object())), "", keys);
  CHECK(keys.size() == 151);
  for (const auto& key : keys) {
    CHECK_MESSAGE(doc.find("| `" + key + "` |") != std::string::npos,
                  "docs/scenario.md has no table row for " << key);
  }

  // The last ```json block, after "## Complete example".
  const auto section = doc.find("## Complete example");
  REQUIRE(section != std::string::npos);
  const auto start = doc.find("```json\n", section);
  REQUIRE(start != std::string::npos);
  const auto end = doc.find("\n```", start + 8);
  REQUIRE(end != std::string::npos);
  const json example = json::parse(doc.substr(start + 8, end - start - 8));
  std::set<std::string> example_keys;
  leaf_paths(example, "", example_keys);
  for (const auto& key : keys) {
    if (key == "network.latency.regions.one_way_ms") continue;  // comes from the preset
    CHECK_MESSAGE(example_keys.count(key) == 1, "the complete example lacks " << key);
  }
  const Scenario s = parse_scenario(example);
  CHECK(s.name == "complete-example");
  CHECK(s.network.latency.region_names.size() == 3);
  CHECK(s.network.latency.one_way_ms.size() == 3);
  CHECK(s.pipeline.threads == 8);
  CHECK(s.faults.crashed == std::vector<std::uint32_t>{15});
  check_round_trip(s);
}

TEST_CASE("network keys: presets, vivaldi, jitter kinds, classes, topology, dissemination") {
  // SimBlock: regions come from the runtime, the distribution defaults to the year's Bitcoin.
  Scenario s = parse_scenario(json::parse(
      R"({"network": {"latency": {"preset": "simblock_2015", "jitter_kind": "pareto"}}})"));
  CHECK(s.network.latency.preset == "simblock_2015");
  CHECK(s.network.latency.region_distribution == "bitcoin_2015");
  CHECK(s.network.latency.region_names.empty());
  CHECK(s.network.latency.jitter_kind == "pareto");
  check_round_trip(s);
  s = parse_scenario(json::parse(
      R"({"network": {"latency": {"preset": "simblock_2019",
                                   "regions": {"distribution": "dogecoin"}}}})"));
  CHECK(s.network.latency.region_distribution == "dogecoin");
  check_round_trip(s);
  // from_p90 with an AWS preset; normal jitter with its standard deviation.
  s = parse_scenario(
      json::parse(R"({"network": {"latency": {"preset": "aws_p90", "jitter_kind": "from_p90"}}})"));
  CHECK(s.network.latency.one_way_ms.size() == 7);
  s = parse_scenario(json::parse(
      R"({"network": {"latency": {"model": "constant", "jitter_kind": "normal", "jitter_ms": 3}}})"));
  CHECK(s.network.latency.jitter_ms == 3);
  // Vivaldi: wrap lifts the peer-count limit.
  s = parse_scenario(json::parse(
      R"({"network": {"validators": 3000, "latency": {"model": "vivaldi",
                      "vivaldi_dataset": "harvard", "vivaldi_selection": "wrap"}}})"));
  CHECK(s.network.latency.vivaldi_dataset == "harvard");
  CHECK(parse_error(json::parse(R"({"network": {"validators": 2501,
                    "latency": {"model": "vivaldi"}}})"))
            .find("2501 validators exceed the 2500 peers of dataset \"meridian\"") !=
        std::string::npos);
  // Classes, topology, dissemination.
  s = parse_scenario(json::parse(R"({"network": {
      "validators": 10,
      "classes": [{"name": "reliable", "fraction": 0.5}, {"name": "bad"}],
      "topology": {"kind": "watts_strogatz", "degree": 4, "p": 0.2},
      "dissemination": {"mode": "push_pull", "fanout": 0, "processing_delay_ms": 2.5}}})"));
  REQUIRE(s.network.classes.size() == 2);
  CHECK(s.network.classes[1].name == "bad");
  CHECK(s.network.classes[1].fraction == 1.0);  // default
  CHECK(s.network.topology.degree == 4);
  CHECK(s.network.dissemination.processing_delay_ms == 2.5);
  check_round_trip(s);
  CHECK(parse_error(json::parse(R"({"network": {"validators": 10, "topology": {"kind":
        "watts_strogatz", "degree": 3}, "dissemination": {"mode": "flood"}}})"))
            .find("network.topology.degree: value 3 is out of range") == 0);
  CHECK(parse_error(json::parse(R"({"network": {"classes": [{"name": "home", "fraction": 0}]}})"))
            .find("network.classes: fractions sum to 0") == 0);
  CHECK(parse_error(json::parse(R"({"network": {"topology": {"file": "x.edges"}}})"))
            .find("network.topology.file: value \"x.edges\" is used by kind \"file\" only") == 0);
  // Propagation pipeline keys.
  s = parse_scenario(json::parse(
      R"({"pipeline": {"kind": "propagation", "block_size_bytes": 2000, "propagation_sources": 3}})"));
  CHECK(s.pipeline.block_size_bytes == 2000);
  CHECK(s.pipeline.propagation_sources == 3);
}

TEST_CASE("file paths resolve against the scenario folder, then the data folder") {
  // Relative to the data folder: stored absolute, so the resolved scenario reloads anywhere.
  Scenario s = parse_scenario(
      json::parse(R"({"network": {"platform_xml": "platforms/small_platform.xml"}})"));
  CHECK(fs::path(s.network.platform_xml).is_absolute());
  CHECK(fs::equivalent(s.network.platform_xml, kSource / "data/platforms/small_platform.xml"));
  check_round_trip(s);
  // Relative to the scenario file's folder (base_dir) first.
  const fs::path dir = fs::temp_directory_path() / "pipesim-scenario-test-files";
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "g.edges");
    out << "0 1\n1 2\n2 3\n3 0\n";
  }
  s = parse_scenario(json::parse(R"({"network": {"topology": {"kind": "file", "file": "g.edges"},
                                                  "dissemination": {"mode": "flood"}}})"),
                     dir.string());
  CHECK(fs::equivalent(s.network.topology.file, dir / "g.edges"));
  check_round_trip(s);
  fs::remove_all(dir);
}

namespace pipesim {
namespace {

TEST_CASE("cost-model preset names: the registry, the scenario key, docs and pipesim exec agree") {
  const std::vector<std::string> names = execution::cost_model_preset_names();
  REQUIRE(!names.empty());
  const std::string doc = read_text(kSource / "docs/scenario.md");
  const std::string exec_cli = read_text(kSource / "tools/exec_command.cpp");
  std::string listed;
  for (const std::string& name : names) {
    CAPTURE(name);
    REQUIRE(execution::cost_model_preset(name).has_value());
    // The scenario accepts the name and takes the preset's model.
    const Scenario s = parse_scenario(json{{"pipeline", {{"cost_model", {{"preset", name}}}}}});
    CHECK(s.pipeline.cost_model.model().state_tier ==
          execution::cost_model_preset(name)->state_tier);
    CHECK(doc.find("`" + name + "`") != std::string::npos);
    CHECK(exec_cli.find(name) != std::string::npos);
    listed += (listed.empty() ? "" : " | ") + name;
  }
  // pipesim exec's usage lists exactly the registry, in its order.
  CHECK(exec_cli.find("--preset NAME   " + listed) != std::string::npos);
  // A name outside the registry is a scenario error.
  CHECK(!parse_error(json{{"pipeline", {{"cost_model", {{"preset", "no-such-preset"}}}}}}).empty());
}

}  // namespace
}  // namespace pipesim
