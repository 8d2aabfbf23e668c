// Tests of models/network/presets: SimBlock regions (values hand-checked against
// data/latency/simblock/simblock-regions.json), Pareto and normal jitter, commonware jitter from
// the AWS tables, ethshadow node classes.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "models/network/presets.hpp"

using namespace pipesim::network;

namespace {

const SimblockRegions& simblock() {
  static const SimblockRegions data = load_simblock_regions(simblock_regions_path());
  return data;
}

// First node of region r in the model.
NodeId node_in(const LatencyModel& m, std::uint32_t r) {
  for (NodeId v = 0; v < m.node_count(); ++v) {
    if (m.region_of(v) == r) return v;
  }
  FAIL("no node in region " << r);
  return 0;
}

}  // namespace

TEST_CASE("simblock: parsed values match the file") {
  const SimblockRegions& d = simblock();
  REQUIRE(d.regions.size() == 6);
  CHECK(d.regions[0] == "NORTH_AMERICA");
  CHECK(d.regions[1] == "EUROPE");
  CHECK(d.regions[4] == "JAPAN");
  CHECK(d.latency_ms_2019[1][4] == 252.0);  // EUROPE -> JAPAN, 2019
  CHECK(d.latency_ms_2015[0][2] == 255.0);  // NORTH_AMERICA -> SOUTH_AMERICA, 2015
  CHECK(d.latency_ms_2019[3][4] == 58.0);   // ASIA_PACIFIC -> JAPAN, 2019
  CHECK(d.upload_bps_2015[1] == 8'100'000.0);
  CHECK(d.download_bps_2015[0] == 25'000'000.0);
  CHECK(d.inter_region_bps_2015 == 6'000'000.0);
  CHECK(d.download_bps_2019[0] == 52'000'000.0);
  CHECK(d.upload_bps_2019[2] == 5'800'000.0);
  REQUIRE(d.outbound_degree_cdf.count("litecoin") == 1);
  CHECK(d.outbound_degree_cdf.at("litecoin")[9] == doctest::Approx(0.5));
  CHECK(d.distributions.at("bitcoin_2019")[3] == doctest::Approx(0.1177));
  CHECK(d.distributions.size() == 4);
  REQUIRE(d.outbound_degree_cdf_bitcoin_2015.size() == 20);
  CHECK(d.outbound_degree_cdf_bitcoin_2015.back() == 1.0);
}

TEST_CASE("simblock: loader errors name the file and field") {
  CHECK_THROWS_WITH_AS(load_simblock_regions("/nonexistent/simblock.json"),
                       doctest::Contains("cannot open"), std::runtime_error);
  const auto tmp = std::filesystem::temp_directory_path() / "pipesim_simblock_bad.json";
  {
    std::ofstream out(tmp);
    out << R"({"regions": ["A", "B"], "latency_ms_2015": [[1, 2], [3]]})";
  }
  CHECK_THROWS_WITH_AS(load_simblock_regions(tmp), doctest::Contains("latency_ms_2015"),
                       std::runtime_error);
  std::filesystem::remove(tmp);
}

TEST_CASE("simblock: region latency model uses the matrix and the distribution") {
  const LatencyModel m = simblock_latency(1000, simblock(), SimblockYear::k2019, "bitcoin_2019");
  CHECK(m.kind() == LatencyKind::kRegionMatrix);
  CHECK(m.jitter_kind() == JitterKind::kPareto);
  // Apportionment of 1000 nodes by 0.3316 / 0.4998 / 0.0090 / 0.1177 / 0.0224 / 0.0195.
  const std::vector<std::uint32_t> expect = {332, 500, 9, 118, 22, 19};
  CHECK(m.region_node_counts() == expect);
  const NodeId eu = node_in(m, 1);
  const NodeId jp = node_in(m, 4);
  CHECK(m.base_latency_s(eu, jp) == doctest::Approx(0.252));
  CHECK(m.base_latency_s(jp, eu) == doctest::Approx(0.252));
  const LatencyModel m15 = simblock_latency(100, simblock(), SimblockYear::k2015, "bitcoin_2015");
  CHECK(m15.base_latency_s(node_in(m15, 0), node_in(m15, 1)) == doctest::Approx(0.119));
  CHECK_THROWS_WITH_AS(simblock_latency(10, simblock(), SimblockYear::k2019, "ethereum"),
                       doctest::Contains("bitcoin_2019"), std::invalid_argument);
  CHECK(simblock_year_from_string("2015") == SimblockYear::k2015);
  CHECK_THROWS_AS(simblock_year_from_string("2020"), std::invalid_argument);
}

TEST_CASE("simblock: Pareto jitter has the matrix value as mean and x_m = mean - 5 ms as minimum") {
  const LatencyModel m = simblock_latency(100, simblock(), SimblockYear::k2019, "bitcoin_2019");
  const NodeId eu = node_in(m, 1);
  const NodeId jp = node_in(m, 4);
  std::mt19937_64 rng(7);
  double sum = 0.0;
  double lo = 1e9;
  constexpr int kDraws = 200'000;
  for (int i = 0; i < kDraws; ++i) {
    const double v = m.sample_latency_s(eu, jp, rng);
    sum += v;
    lo = std::min(lo, v);
  }
  CHECK(sum / kDraws == doctest::Approx(0.252).epsilon(0.002));
  CHECK(lo >= 0.247 - 1e-12);
  CHECK(lo < 0.2475);
  // Same generator sequence, same draws.
  std::mt19937_64 a(3);
  std::mt19937_64 b(3);
  CHECK(m.sample_latency_s(eu, jp, a) == m.sample_latency_s(eu, jp, b));
  CHECK(m.sample_latency_s(eu, eu, a) == 0.0);
  // Mean <= 5 ms: no finite-mean Pareto, the base is kept.
  const LatencyModel tiny =
      LatencyModel::constant(2, ConstantLatencyParams{4.0}).with_pareto_jitter();
  CHECK(tiny.sample_latency_s(0, 1, a) == doctest::Approx(0.004));
}

TEST_CASE("simblock: pair and access bandwidth") {
  const SimblockRegions& d = simblock();
  // 2015: min(upload[NA], download[EU]) = min(4.7, 24) Mbit/s.
  CHECK(simblock_pair_bandwidth_bps(d, SimblockYear::k2015, 0, 1) == 4'700'000.0);
  // 2019: min(upload[SA], download[NA]) = min(5.8, 52) Mbit/s, SimBlock main's
  // Network.getBandwidth; and the other way min(upload[NA], download[SA]) = min(19.2, 18).
  CHECK(simblock_pair_bandwidth_bps(d, SimblockYear::k2019, 2, 0) == 5'800'000.0);
  CHECK(simblock_pair_bandwidth_bps(d, SimblockYear::k2019, 0, 2) == 18'000'000.0);
  CHECK_THROWS_AS(simblock_pair_bandwidth_bps(d, SimblockYear::k2019, 6, 0), std::out_of_range);
  const LatencyModel m = simblock_latency(100, d, SimblockYear::k2019, "bitcoin_2019", false);
  const BandwidthModel bw = simblock_access_bandwidth(d, SimblockYear::k2019, m);
  const NodeId na = node_in(m, 0);
  CHECK(bw.upload_bytes_per_s(na) == doctest::Approx(19'200'000.0 / 8));
  CHECK(bw.download_bytes_per_s(na) == doctest::Approx(52'000'000.0 / 8));
  const SimblockPairBandwidth pair(d, SimblockYear::k2019, m);
  CHECK(pair.bytes_per_s(node_in(m, 2), na) == doctest::Approx(5'800'000.0 / 8));
  CHECK(pair.bytes_per_s(na, node_in(m, 2)) == doctest::Approx(18'000'000.0 / 8));
  const LatencyModel one = LatencyModel::constant(10, {});
  CHECK_THROWS_AS(simblock_access_bandwidth(d, SimblockYear::k2019, one), std::invalid_argument);
}

TEST_CASE("aws: commonware jitter is (p90 - p50) / 2 of the round trip") {
  const std::vector<std::string> regions = {"us-east-1", "eu-west-1"};
  const auto dir = network_data_dir() / "latency" / "aws";
  const RegionLatencyMatrix p50 = load_cloudping_matrix(dir / "p50.json", regions);
  const RegionLatencyMatrix p90 = load_cloudping_matrix(dir / "p90.json", regions);
  const auto jitter = commonware_jitter_ms(p50, p90);
  // us-east-1 -> eu-west-1: p50 69.622, p90 74.634 ms round trip.
  CHECK(jitter[0][1] == doctest::Approx((74.634 - 69.622) / 2));
  CHECK(jitter[1][0] == doctest::Approx((72.814 - 69.736) / 2));
  RegionMatrixParams p;
  p.region_names = p50.region_names;
  p.one_way_ms = p50.one_way_ms;
  p.weights = {1.0, 1.0};
  const LatencyModel m = LatencyModel::region_matrix(2, p).with_normal_jitter_matrix(jitter);
  CHECK(m.jitter_kind() == JitterKind::kNormal);
  CHECK(m.base_latency_s(0, 1) == doctest::Approx(0.069622 / 2));
  std::mt19937_64 rng(11);
  std::vector<double> v;
  v.reserve(100'000);
  for (int i = 0; i < 100'000; ++i) v.push_back(m.sample_latency_s(0, 1, rng));
  double mean = 0.0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double var = 0.0;
  for (double x : v) var += (x - mean) * (x - mean);
  CHECK(mean == doctest::Approx(0.034811).epsilon(0.002));
  CHECK(std::sqrt(var / static_cast<double>(v.size())) == doctest::Approx(0.002506).epsilon(0.02));
  CHECK_THROWS_AS(LatencyModel::constant(2, {}).with_normal_jitter_matrix(jitter),
                  std::invalid_argument);
  RegionLatencyMatrix other = p90;
  other.region_names = {"eu-west-1", "us-east-1"};
  CHECK_THROWS_AS(commonware_jitter_ms(p50, other), std::invalid_argument);
}

TEST_CASE("classes: ethshadow presets, apportioned and seeded assignment") {
  CHECK(ethshadow_class("reliable").upload_mbps == 1000.0);
  CHECK(ethshadow_class("home").extra_latency_ms == 20.0);
  CHECK(ethshadow_class("home").upload_mbps == 50.0);
  CHECK(ethshadow_class("constrained").upload_mbps == 5.0);
  CHECK(ethshadow_class("laggy").extra_latency_ms == 300.0);
  CHECK(ethshadow_class("bad").loss_rate == 0.2);
  CHECK_THROWS_WITH_AS(ethshadow_class("fibre"), doctest::Contains("constrained"),
                       std::invalid_argument);

  const std::vector<ClassShare> shares = {{"reliable", 0.5}, {"home", 0.3}, {"constrained", 0.2}};
  const ClassAssignment a = assign_classes(1000, shares, 42);
  CHECK(a.counts == std::vector<std::uint32_t>{500, 300, 200});
  std::vector<std::uint32_t> seen(3, 0);
  for (auto c : a.class_of) ++seen[c];
  CHECK(seen == a.counts);
  CHECK(assign_classes(1000, shares, 42).class_of == a.class_of);
  CHECK(assign_classes(1000, shares, 43).class_of != a.class_of);

  // Extra latency at both ends; bandwidth per class.
  const LatencyModel base = LatencyModel::constant(1000, ConstantLatencyParams{50.0});
  const LatencyModel m = base.with_node_extra_ms(a.extra_latency_ms());
  NodeId home = 0;
  NodeId reliable = 0;
  NodeId constrained = 0;
  for (NodeId v = 0; v < 1000; ++v) {
    if (a.of(v).name == "home") home = v;
    if (a.of(v).name == "reliable") reliable = v;
    if (a.of(v).name == "constrained") constrained = v;
  }
  CHECK(m.base_latency_s(home, reliable) == doctest::Approx(0.070));
  CHECK(m.base_latency_s(home, constrained) == doctest::Approx(0.090));
  CHECK(m.base_latency_s(home, home) == 0.0);
  CHECK(m.geometric_latency_s(home, constrained) == doctest::Approx(0.050));
  BandwidthModel bw(1000, BandwidthParams{});
  a.apply_bandwidth(bw);
  CHECK(bw.upload_bytes_per_s(constrained) == doctest::Approx(625'000.0));
  CHECK(bw.upload_bytes_per_s(home) == doctest::Approx(6'250'000.0));

  CHECK_THROWS_AS(assign_classes(10, std::vector<ClassShare>{{"home", 1}, {"home", 1}}, 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(assign_classes(10, std::vector<ClassShare>{{"home", -1}}, 1),
                  std::invalid_argument);
  const std::vector<NodeClass> custom = {{"datacenter", 1.0, 0.0, 10'000.0, 10'000.0}};
  const ClassAssignment c =
      assign_classes(4, std::vector<ClassShare>{{"datacenter", 1.0}}, 1, custom);
  CHECK(c.of(3).upload_mbps == 10'000.0);
  CHECK_THROWS_AS(base.with_node_extra_ms(std::vector<double>(3, 1.0)), std::invalid_argument);
}
