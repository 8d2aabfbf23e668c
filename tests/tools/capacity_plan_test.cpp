// capacity_plan_tests: saturation detection and the capacity section (tools/capacity_plan.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/capacity_plan.hpp"

using namespace pipesim::capacity;
using ojson = nlohmann::ordered_json;

namespace {

/// A synthetic M/D/1-like pipeline of capacity `cap` tx/s: committed = min(offered, cap), latency
/// p50 = base / (1 - rho) below capacity and growing with the backlog above it.
LoadPoint synthetic(double offered, double cap, double base_s) {
  LoadPoint p;
  p.offered_tx_per_s = offered;
  p.committed_tx_per_s = std::min(offered, cap);
  p.committed_gas_per_s = p.committed_tx_per_s * 100'000;
  const double rho = offered / cap;
  p.latency_p50_s = rho < 1 ? base_s / (1 - 0.5 * rho) : base_s * 2 + 10 * (rho - 1);
  p.latency_p99_s = 2 * p.latency_p50_s;
  p.not_committed_fraction = rho <= 1 ? 0.0 : 1 - 1 / rho;
  return p;
}

std::vector<LoadPoint> curve(const std::vector<double>& loads, double cap, double base_s) {
  std::vector<LoadPoint> out;
  out.reserve(loads.size());
  for (double l : loads) out.push_back(synthetic(l, cap, base_s));
  return out;
}

void check_error(const std::string& text, const std::string& prefix) {
  try {
    parse_capacity(ojson::parse(text));
    FAIL("expected CapacityError for " << text);
  } catch (const CapacityError& e) {
    CHECK_MESSAGE(std::string(e.what()).rfind(prefix, 0) == 0, e.what());
  }
}

}  // namespace

TEST_CASE("saturation: the knee of a synthetic curve and the capacity just below it") {
  const SaturationRule rule;  // 0.9 efficiency, p50 <= 30 s and <= 3 x baseline
  const auto c = curve({50, 100, 200, 400, 800}, 300, 1.0);
  const Saturation s = detect_saturation(c, rule);
  CHECK(s.saturated);
  REQUIRE(s.knee_index);
  CHECK(*s.knee_index == 3);  // 400 offered -> 300 committed: 75 % < 90 %
  REQUIRE(s.capacity_index);
  CHECK(*s.capacity_index == 2);
  CHECK(c[*s.capacity_index].committed_tx_per_s == doctest::Approx(200));
}

TEST_CASE("saturation: a curve still linear at its last point is not saturated") {
  const auto c = curve({50, 100, 200}, 1000, 1.0);
  const Saturation s = detect_saturation(c, SaturationRule{});
  CHECK_FALSE(s.saturated);
  REQUIRE(s.capacity_index);
  CHECK(*s.capacity_index == 2);  // a lower bound
  CHECK_FALSE(s.knee_index);
}

TEST_CASE("saturation: latency bounds detect a knee that throughput alone misses") {
  auto c = curve({50, 100, 200}, 1000, 1.0);
  c[2].latency_p50_s = 3.5;  // > 3 x the 50 tx/s point's p50 (~1.03 s), throughput still follows
  const Saturation s = detect_saturation(c, SaturationRule{});
  CHECK(s.saturated);
  CHECK(*s.knee_index == 2);
  SaturationRule loose;
  loose.max_latency_p50_factor = 10;
  CHECK_FALSE(detect_saturation(c, loose).saturated);
  loose.max_latency_p50_s = 3.0;  // the absolute bound
  CHECK(*detect_saturation(c, loose).knee_index == 2);
}

TEST_CASE("saturation: uncommitted transactions and a first point already saturated") {
  auto c = curve({50, 100}, 1000, 1.0);
  c[1].not_committed_fraction = 0.2;  // > 1 - 0.9
  CHECK(*detect_saturation(c, SaturationRule{}).knee_index == 1);
  const auto over = curve({500, 1000}, 100, 1.0);
  const Saturation s = detect_saturation(over, SaturationRule{});
  CHECK(s.saturated);
  CHECK(*s.knee_index == 0);
  CHECK_FALSE(s.capacity_index);
  CHECK_FALSE(detect_saturation({}, SaturationRule{}).saturated);
  LoadPoint none;  // nothing committed: infinite latency
  none.offered_tx_per_s = 10;
  none.latency_p50_s = std::numeric_limits<double>::infinity();
  CHECK_FALSE(follows(none, SaturationRule{}, 1.0));
}

TEST_CASE("series_loads: extend an unsaturated ladder, stop at the knee or the limit") {
  const SaturationRule rule;
  const std::vector<double> ladder{50, 100, 200};
  // Nothing measured yet: the ladder.
  CHECK(series_loads(ladder, {}, 2.0, 2, rule) == ladder);
  // Measured and saturated: no extension.
  CHECK(series_loads(ladder, curve(ladder, 120, 1), 2.0, 2, rule) == ladder);
  // Measured, linear: one more point at 400, then 800, then the limit.
  CHECK(series_loads(ladder, curve(ladder, 5000, 1), 2.0, 2, rule) ==
        std::vector<double>{50, 100, 200, 400});
  CHECK(series_loads(ladder, curve({50, 100, 200, 400}, 5000, 1), 2.0, 2, rule) ==
        std::vector<double>{50, 100, 200, 400, 800});
  CHECK(series_loads(ladder, curve({50, 100, 200, 400, 800}, 5000, 1), 2.0, 2, rule).size() == 5);
}

TEST_CASE("interpolate_at_throughput: linear between measured points, clamped outside") {
  const auto c = curve({50, 100, 200}, 1000, 1.0);
  const double y50 = c[0].latency_p50_s, y100 = c[1].latency_p50_s;
  CHECK(*interpolate_at_throughput(c, 2, 75, &LoadPoint::latency_p50_s) ==
        doctest::Approx((y50 + y100) / 2));
  CHECK(*interpolate_at_throughput(c, 2, 10, &LoadPoint::latency_p50_s) == doctest::Approx(y50));
  CHECK(*interpolate_at_throughput(c, 1, 500, &LoadPoint::latency_p50_s) == doctest::Approx(y100));
  CHECK_FALSE(interpolate_at_throughput({}, 0, 1, &LoadPoint::latency_p50_s));
}

TEST_CASE("load_label: zero-padded, decimals kept") {
  CHECK(load_label(400) == "load-00400");
  CHECK(load_label(12.5) == "load-00012.5");
}

TEST_CASE("parse_capacity: errors name the JSON path") {
  const std::string topo = R"("topologies": [{"name": "dc", "set": {}}])";
  const std::string pipe = R"("pipelines": [{"name": "interleaved"}])";
  check_error("{" + topo + "}", "capacity.pipelines: missing");
  check_error("{" + topo + "," + pipe + "}", "capacity.pipelines[0].loads_tx_per_s: missing");
  check_error("{" + topo + "," + pipe + R"(, "loads_tx_per_s": [100, 50]})",
              "capacity.loads_tx_per_s[1]: value 50");
  check_error("{" + topo + "," + pipe + R"(, "loads_tx_per_s": [1], "bogus": 1})",
              "capacity.bogus: unknown key");
  check_error(R"({"topologies": [{"name": "a b"}],)" + pipe + R"(, "loads_tx_per_s": [1]})",
              "capacity.topologies[0].name: value \"a b\"");
  check_error("{" + topo + "," + pipe +
                  R"(, "loads_tx_per_s": [1], "gas_limit": {"topology": "aws",
                  "pipelines": ["interleaved"], "block_gas_limit": [1e6], "load_tx_per_s": 5}})",
              "capacity.gas_limit.topology: value \"aws\"");
  check_error("{" + topo + "," + pipe +
                  R"(, "loads_tx_per_s": [1], "gas_limit": {"topology": "dc",
                  "pipelines": ["interleaved"], "block_gas_limit": [1e6], "load_tx_per_s": 5,
                  "set": [1]}})",
              "capacity.gas_limit.set: not an object");
  check_error("{" + topo + "," + pipe + R"(, "loads_tx_per_s": [1], "extend_factor": 1})",
              "capacity.extend_factor: value 1");
}

TEST_CASE("the shipped experiment's section parses") {
  std::ifstream in(std::string(PIPESIM_SOURCE_DIR) + "/scenarios/capacity/main.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  ojson doc = ojson::parse(text.str());
  ojson full = doc;
  full.merge_patch(doc["capacity"]["full"]);
  for (ojson* d : {&doc, &full}) {
    (*d)["capacity"].erase("full");
    const CapacitySpec spec = parse_capacity((*d)["capacity"]);
    CHECK(spec.topologies.size() >= 3);
    CHECK(spec.pipelines.size() == 4);
    REQUIRE(spec.gas_limit);
    CHECK(spec.gas_limit->pipelines.size() == 2);
    // The gas-limit sweep runs on the disk-backed hardware class (execution bounds it there).
    CHECK(spec.gas_limit->set.value("pipeline.cost_model.preset", "") == "reth-nvme-disk");
  }
}
