// Tests for tools/sweep_plan: the `sweep` section, its expansion (grid x zip x seeds: counts,
// order, ids), errors naming the path, point validation against the scenario, and the sweep.csv
// metric columns.
#include "tools/sweep_plan.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using nlohmann::json;
using nlohmann::ordered_json;
using pipesim::sweep::expand;
using pipesim::sweep::metric_cells;
using pipesim::sweep::param_cell;
using pipesim::sweep::parse_sweep;
using pipesim::sweep::point_id;
using pipesim::sweep::resolve_points;
using pipesim::sweep::SweepError;

namespace {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const SweepError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not a SweepError: ") + e.what() + ">";
  }
  return "<no error>";
}

std::string sweep_error(const std::string& text) {
  return error_of([&] { parse_sweep(ordered_json::parse(text)); });
}

}  // namespace

TEST_CASE("grid axes in file order (first slowest), then zip, then seeds (fastest)") {
  // "z..." before "a...": the file order, not the sorted order, decides.
  const auto spec = parse_sweep(ordered_json::parse(R"({
      "grid": {"pipeline.d_lag": [0, 1, 3], "consensus.block_time_ms": [200, 400]},
      "zip": {"workload.tps": [100, 200], "pipeline.threads": [1, 2]},
      "seeds": 2, "name": "t"})"));
  CHECK(spec.name == "t");
  REQUIRE(spec.grid.size() == 2);
  CHECK(spec.grid[0].path == "pipeline.d_lag");
  CHECK(spec.grid[1].path == "consensus.block_time_ms");
  CHECK(spec.seeds == std::vector<std::uint64_t>{1, 2});
  const auto points = expand(spec, 99);
  REQUIRE(points.size() == 3 * 2 * 2 * 2);
  CHECK(points[0].id == "p0000");
  CHECK(points[23].id == "p0023");
  // Point 0: first of everything, seed 1; point 1: seed 2; point 2: next zip entry.
  CHECK(points[0].params.dump() ==
        R"({"pipeline.d_lag":0,"consensus.block_time_ms":200,"workload.tps":100,)"
        R"("pipeline.threads":1})");
  CHECK(points[0].seed == 1);
  CHECK(points[1].seed == 2);
  CHECK(points[1].params == points[0].params);
  CHECK(points[2].params["workload.tps"] == 200);
  CHECK(points[2].params["pipeline.threads"] == 2);
  CHECK(points[4].params["consensus.block_time_ms"] == 400);
  CHECK(points[4].params["pipeline.d_lag"] == 0);
  CHECK(points[8].params["pipeline.d_lag"] == 1);
  CHECK(points[23].params.dump() ==
        R"({"pipeline.d_lag":3,"consensus.block_time_ms":400,"workload.tps":200,)"
        R"("pipeline.threads":2})");
  CHECK(points[23].seed == 2);
  for (std::size_t i = 0; i < points.size(); ++i) CHECK(points[i].index == i);
  CHECK(points[5].assignments() ==
        std::vector<std::string>{"pipeline.d_lag=0", "consensus.block_time_ms=400",
                                 "workload.tps=100", "pipeline.threads=1", "seed=2"});
  CHECK(points[5].to_json().dump() ==
        R"({"point":"p0005","index":5,"params":{"pipeline.d_lag":0,)"
        R"("consensus.block_time_ms":400,"workload.tps":100,"pipeline.threads":1},"seed":2})");
}

TEST_CASE("seeds: absent uses the scenario's seed, a list keeps its order") {
  auto points = expand(parse_sweep(ordered_json::parse(R"({"grid": {"a.b": [1, 2]}})")), 42);
  REQUIRE(points.size() == 2);
  CHECK(points[0].seed == 42);
  CHECK(points[1].seed == 42);
  points = expand(parse_sweep(ordered_json::parse(R"({"seeds": [7, 3, 5]})")), 1);
  REQUIRE(points.size() == 3);
  CHECK(points[0].seed == 7);
  CHECK(points[2].seed == 5);
  CHECK(points[0].params.empty());
  points = expand(parse_sweep(ordered_json::parse(R"({"zip": {"x": ["u", "v"]}})")), 1);
  REQUIRE(points.size() == 2);
  CHECK(points[1].params["x"] == "v");
  CHECK(points[1].assignments().front() == "x=\"v\"");
}

TEST_CASE("point ids widen past 10000 points") {
  CHECK(point_id(7, 10) == "p0007");
  CHECK(point_id(7, 10000) == "p0007");
  CHECK(point_id(7, 10001) == "p00007");
  CHECK(point_id(10000, 10001) == "p10000");
}

TEST_CASE("bad sweep sections name the path") {
  CHECK(sweep_error(R"([1])").find("sweep: value [1] has the wrong type") == 0);
  CHECK(sweep_error(R"({"grdi": {}})").find("sweep.grdi: unknown key") == 0);
  CHECK(sweep_error(R"({"grid": {"pipeline.d_lag": []}})")
            .find("sweep.grid.pipeline.d_lag: value [] is not a non-empty array") == 0);
  CHECK(sweep_error(R"({"grid": {"pipeline.d_lag": 3}})").find("sweep.grid.pipeline.d_lag") == 0);
  CHECK(sweep_error(R"({"zip": {"a": [1, 2], "b": [1, 2, 3]}})") ==
        "sweep.zip.b: has 3 values but sweep.zip.a has 2, expected zipped lists of equal length");
  CHECK(sweep_error(R"({"grid": {"a": [1]}, "zip": {"a": [1]}})")
            .find("sweep.zip.a: is also in sweep.grid") == 0);
  CHECK(sweep_error(R"({"grid": {"seed": [1, 2]}})")
            .find("sweep.grid.seed: the seed is swept "
                  "with sweep.seeds") == 0);
  CHECK(sweep_error(R"({"grid": {"a..b": [1]}})").find("sweep.grid.a..b: is not a dotted") == 0);
  CHECK(sweep_error(R"({"seeds": 0})").find("sweep.seeds: value 0 is out of range") == 0);
  CHECK(sweep_error(R"({"seeds": 2.5})").find("sweep.seeds: value 2.5 is out of range") == 0);
  CHECK(sweep_error(R"({"seeds": []})").find("sweep.seeds") == 0);
  CHECK(sweep_error(R"({"seeds": [1, -1]})").find("sweep.seeds[1]: value -1") == 0);
  CHECK(sweep_error(R"({"seeds": [4, 4]})").find("sweep.seeds[1]: value 4 is listed twice") == 0);
  CHECK(sweep_error(R"({"name": "a/b"})").find("sweep.name") == 0);
}

TEST_CASE("resolve_points validates every point against the scenario") {
  const json base = json::parse(R"({"name": "m", "duration_s": 5,
      "network": {"validators": 4, "latency": {"model": "constant", "constant_ms": 50}},
      "sweep": {"grid": {"pipeline.d_lag": [0, 2]}}})");
  auto spec = parse_sweep(ordered_json::parse(
      R"({"grid": {"pipeline.d_lag": [0, 2]}, "zip": {"pipeline.kind": ["interleaved",
          "async_execution"]}, "seeds": [5]})"));
  const auto points = expand(spec, 1);
  const auto scenarios = resolve_points(base, ".", points);
  REQUIRE(scenarios.size() == 4);
  CHECK(scenarios[0].pipeline.d_lag == 0);
  CHECK(scenarios[0].pipeline.kind == "interleaved");
  CHECK(scenarios[3].pipeline.d_lag == 2);
  CHECK(scenarios[3].pipeline.kind == "async_execution");
  CHECK(scenarios[3].seed == 5);
  CHECK(scenarios[3].duration_s == 5);

  // A bad value names the point, its parameters and the scenario path.
  spec = parse_sweep(ordered_json::parse(R"({"grid": {"pipeline.d_lag": [1, 99]}})"));
  std::string err = error_of([&] { resolve_points(base, ".", expand(spec, 1)); });
  CHECK(err.find("point p0001 (pipeline.d_lag=99, seed=1): pipeline.d_lag: value 99 is out of "
                 "range") == 0);
  // A misspelt path (block_time_ms belongs to consensus) is an unknown key.
  spec = parse_sweep(ordered_json::parse(R"({"grid": {"pipeline.block_time_ms": [200]}})"));
  err = error_of([&] { resolve_points(base, ".", expand(spec, 1)); });
  CHECK(err.find("point p0000 (pipeline.block_time_ms=200, seed=1): pipeline.block_time_ms: "
                 "unknown key") == 0);
  // A path through a non-object.
  spec = parse_sweep(ordered_json::parse(R"({"grid": {"duration_s.x": [1]}})"));
  err = error_of([&] { resolve_points(base, ".", expand(spec, 1)); });
  CHECK(err.find("point p0000") == 0);
  CHECK(err.find("duration_s") != std::string::npos);
}

TEST_CASE("metric_cells: values, distributions, skipped shapes") {
  const json metrics = json::parse(R"({
      "throughput_tx_per_s": {"value": 812.5, "unit": "tx/s"},
      "blocks_committed": {"value": 12, "unit": "count"},
      "latency_s": {"unit": "s", "count": 3, "mean": 0.25, "stddev": 0.1, "min": 0.1,
                    "max": 0.4, "p50": 0.2, "p90": 0.35, "p99": 0.399},
      "empty_s": {"unit": "s", "count": 0, "mean": null, "stddev": null, "min": null,
                  "max": null, "p50": null, "p90": null, "p99": null},
      "topology": {"kind": "ring", "degrees": [2, 2]},
      "list_metric": [1, 2],
      "name": {"value": "x", "unit": "-"}})");
  const auto cells = metric_cells(metrics);
  CHECK(cells.at("throughput_tx_per_s[tx/s]") == "812.5");
  CHECK(cells.at("blocks_committed[count]") == "12");
  CHECK(cells.at("latency_s.count[count]") == "3");
  CHECK(cells.at("latency_s.mean[s]") == "0.25");
  CHECK(cells.at("latency_s.p99[s]") == "0.399");
  CHECK(cells.count("latency_s.max[s]") == 0);
  CHECK(cells.at("empty_s.count[count]") == "0");
  CHECK(cells.at("empty_s.p50[s]") == "");
  CHECK(cells.size() == 2 + 5 + 5);
  CHECK(param_cell(ordered_json("aws_p90")) == "aws_p90");
  CHECK(param_cell(ordered_json(0.5)) == "0.5");
  CHECK(param_cell(ordered_json(true)) == "true");
}

TEST_CASE("shipped sweeps (scenarios/sweeps/*.json) load, expand and validate") {
  namespace fs = std::filesystem;
  int count = 0;
  for (const auto& entry :
       fs::directory_iterator(fs::path(PIPESIM_SOURCE_DIR) / "scenarios" / "sweeps")) {
    if (entry.path().extension() != ".json") continue;
    CAPTURE(entry.path().string());
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const auto base = pipesim::sim::load_scenario(entry.path().string());  // sweep ignored
    const auto ordered = ordered_json::parse(text.str());
    REQUIRE(ordered.contains("sweep"));
    const auto points = expand(parse_sweep(ordered["sweep"]), base.seed);
    CHECK(points.size() >= 4);
    const auto scenarios =
        resolve_points(json::parse(text.str()), entry.path().parent_path().string(), points);
    CHECK(scenarios.size() == points.size());
    ++count;
  }
  CHECK(count >= 2);
}

TEST_CASE("the scenario parser accepts a sweep object and ignores it") {
  const auto s = pipesim::sim::parse_scenario(json::parse(R"({"sweep": {"seeds": 3}})"));
  CHECK(s == pipesim::sim::parse_scenario(json::object()));
  CHECK_FALSE(pipesim::sim::to_json(s).contains("sweep"));
  std::string err;
  try {
    pipesim::sim::parse_scenario(json::parse(R"({"sweep": [1]})"));
  } catch (const pipesim::sim::ScenarioError& e) {
    err = e.what();
  }
  CHECK(err == "sweep: value [1] has the wrong type (array), expected an object");
}
