// Tests of models/network latency models, the cloudping loader and bandwidth helpers.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "models/network/bandwidth.hpp"
#include "models/network/latency_model.hpp"

using namespace pipesim::network;
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kN = 200;

std::vector<double> all_pairs(const LatencyModel& m) {
  std::vector<double> v;
  for (NodeId a = 0; a < m.node_count(); ++a) {
    for (NodeId b = a + 1; b < m.node_count(); ++b) v.push_back(m.base_latency_s(a, b));
  }
  return v;
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double stddev(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Symmetry, zero self-latency, same values in reverse query order.
void check_pair_properties(const LatencyModel& m) {
  std::vector<double> forward;
  for (NodeId a = 0; a < m.node_count(); ++a) {
    CHECK(m.base_latency_s(a, a) == 0.0);
    for (NodeId b = 0; b < m.node_count(); ++b) {
      if (a != b) forward.push_back(m.base_latency_s(a, b));
    }
  }
  bool symmetric = true;
  bool repeatable = true;
  for (NodeId a = m.node_count(); a-- > 0;) {
    for (NodeId b = m.node_count(); b-- > 0;) {
      if (a == b) continue;
      symmetric = symmetric && m.base_latency_s(a, b) == m.base_latency_s(b, a);
    }
  }
  std::size_t k = 0;
  for (NodeId a = 0; a < m.node_count(); ++a) {
    for (NodeId b = 0; b < m.node_count(); ++b) {
      if (a != b) repeatable = repeatable && m.base_latency_s(a, b) == forward[k++];
    }
  }
  CHECK(symmetric);
  CHECK(repeatable);
}

std::size_t count_differences(const LatencyModel& x, const LatencyModel& y) {
  const auto a = all_pairs(x);
  const auto b = all_pairs(y);
  std::size_t d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += a[i] != b[i];
  return d;
}

}  // namespace

TEST_CASE("constant latency") {
  const auto m = LatencyModel::constant(10, {25.0});
  CHECK(m.kind() == LatencyKind::kConstant);
  CHECK(to_string(m.kind()) == "constant");
  CHECK(m.base_latency_s(0, 9) == doctest::Approx(0.025));
  CHECK(m.base_latency_s(9, 0) == doctest::Approx(0.025));
  CHECK(m.base_latency_s(4, 4) == 0.0);
  CHECK(m.region_count() == 1);
  CHECK(m.region_of(3) == 0);
  CHECK(m.region_names().front() == "all");
  CHECK_THROWS_AS(m.base_latency_s(10, 0), std::out_of_range);
  CHECK_THROWS_AS(m.region_of(10), std::out_of_range);
  CHECK_THROWS_AS(LatencyModel::constant(10, {-1.0}), std::invalid_argument);
  CHECK_THROWS_AS(LatencyModel::constant(0, {1.0}), std::invalid_argument);
  CHECK_THROWS_AS(LatencyModel::constant(4, {1.0}, -2.0), std::invalid_argument);
}

TEST_CASE("uniform latency: range, symmetry, determinism, seed sensitivity") {
  const UniformLatencyParams p{10.0, 100.0};
  const auto m = LatencyModel::uniform(kN, p, 42);
  const auto v = all_pairs(m);
  CHECK(*std::min_element(v.begin(), v.end()) >= 0.010);
  CHECK(*std::max_element(v.begin(), v.end()) < 0.100);
  // 19,900 samples of U[10, 100] ms: mean 55 ms, stddev 90/sqrt(12) = 25.98 ms.
  CHECK(mean(v) == doctest::Approx(0.055).epsilon(0.02));
  CHECK(stddev(v) == doctest::Approx(0.02598).epsilon(0.03));
  check_pair_properties(LatencyModel::uniform(30, p, 42));

  const auto same = LatencyModel::uniform(kN, p, 42);
  CHECK(count_differences(m, same) == 0);
  const auto other = LatencyModel::uniform(kN, p, 43);
  CHECK(count_differences(m, other) > v.size() * 99 / 100);
  // A pair's latency does not depend on n (no table): the same seed with more nodes agrees.
  const auto bigger = LatencyModel::uniform(5000, p, 42);
  CHECK(bigger.base_latency_s(3, 7) == m.base_latency_s(3, 7));
  CHECK(bigger.base_latency_s(4999, 0) >= 0.010);

  CHECK_THROWS_AS(LatencyModel::uniform(4, {50.0, 10.0}, 1), std::invalid_argument);
  CHECK_THROWS_AS(LatencyModel::uniform(4, {-1.0, 10.0}, 1), std::invalid_argument);
  CHECK_THROWS_AS(LatencyModel::uniform(4, {1.0, NAN}, 1), std::invalid_argument);
  // Degenerate range is allowed.
  CHECK(LatencyModel::uniform(4, {20.0, 20.0}, 1).base_latency_s(0, 1) == doctest::Approx(0.02));
}

TEST_CASE("normal latency: moments, floor, determinism") {
  const auto m = LatencyModel::normal(kN, {50.0, 10.0, 0.1}, 7);
  const auto v = all_pairs(m);
  CHECK(mean(v) == doctest::Approx(0.050).epsilon(0.01));
  CHECK(stddev(v) == doctest::Approx(0.010).epsilon(0.03));
  check_pair_properties(LatencyModel::normal(30, {50.0, 10.0, 0.1}, 7));
  CHECK(count_differences(m, LatencyModel::normal(kN, {50.0, 10.0, 0.1}, 7)) == 0);
  CHECK(count_differences(m, LatencyModel::normal(kN, {50.0, 10.0, 0.1}, 8)) > v.size() * 99 / 100);

  // Mean 5 ms, stddev 10 ms: about 31 % of the draws fall below 0 and are clamped to the floor.
  const auto clamped = LatencyModel::normal(kN, {5.0, 10.0, 1.0}, 7);
  const auto c = all_pairs(clamped);
  CHECK(*std::min_element(c.begin(), c.end()) == doctest::Approx(0.001));
  const auto at_floor = std::count(c.begin(), c.end(), 0.001);
  // P(N(5, 10) < 1) = Phi(-0.4) = 0.3446.
  CHECK(static_cast<double>(at_floor) / static_cast<double>(c.size()) ==
        doctest::Approx(0.3446).epsilon(0.05));

  CHECK_THROWS_AS(LatencyModel::normal(4, {50.0, -1.0, 0.1}, 1), std::invalid_argument);
  CHECK_THROWS_AS(LatencyModel::normal(4, {50.0, 1.0, -0.1}, 1), std::invalid_argument);
}

TEST_CASE("lognormal latency: median, log-moments, floor") {
  const auto m = LatencyModel::lognormal(kN, {50.0, 0.5, 0.1}, 99);
  const auto v = all_pairs(m);
  CHECK(median(v) == doctest::Approx(0.050).epsilon(0.03));
  std::vector<double> logs;
  logs.reserve(v.size());
  for (double x : v) logs.push_back(std::log(x));
  CHECK(mean(logs) == doctest::Approx(std::log(0.050)).epsilon(0.01));
  CHECK(stddev(logs) == doctest::Approx(0.5).epsilon(0.03));
  CHECK(*std::min_element(v.begin(), v.end()) > 0.0);
  check_pair_properties(LatencyModel::lognormal(30, {50.0, 0.5, 0.1}, 99));
  CHECK(count_differences(m, LatencyModel::lognormal(kN, {50.0, 0.5, 0.1}, 99)) == 0);
  CHECK(count_differences(m, LatencyModel::lognormal(kN, {50.0, 0.5, 0.1}, 1)) >
        v.size() * 99 / 100);
  const auto floored = LatencyModel::lognormal(kN, {50.0, 0.5, 40.0}, 99);
  const auto f = all_pairs(floored);
  CHECK(*std::min_element(f.begin(), f.end()) == doctest::Approx(0.040));
  CHECK_THROWS_AS(LatencyModel::lognormal(4, {0.0, 0.5, 0.1}, 1), std::invalid_argument);
  CHECK_THROWS_AS(LatencyModel::lognormal(4, {50.0, -0.5, 0.1}, 1), std::invalid_argument);
}

TEST_CASE("largest-remainder apportionment") {
  CHECK(apportion(100, std::vector<double>{0.5, 0.3, 0.2}) ==
        std::vector<std::uint32_t>{50, 30, 20});
  // Weights need not sum to 1.
  CHECK(apportion(100, std::vector<double>{5, 3, 2}) == std::vector<std::uint32_t>{50, 30, 20});
  // 10 * {1/3, 1/3, 1/3} = 3.33 each: the extra node goes to the first (ties to lower index).
  CHECK(apportion(10, std::vector<double>{1, 1, 1}) == std::vector<std::uint32_t>{4, 3, 3});
  // 7 * {0.45, 0.35, 0.2} = 3.15, 2.45, 1.4: floors 3, 2, 1; leftover 1 to remainder 0.45.
  CHECK(apportion(7, std::vector<double>{0.45, 0.35, 0.2}) == std::vector<std::uint32_t>{3, 3, 1});
  CHECK(apportion(5, std::vector<double>{0.0, 1.0}) == std::vector<std::uint32_t>{0, 5});
  CHECK(apportion(0, std::vector<double>{1.0}) == std::vector<std::uint32_t>{0});
  CHECK_THROWS_AS(apportion(5, std::vector<double>{}), std::invalid_argument);
  CHECK_THROWS_AS(apportion(5, std::vector<double>{0.0, 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(apportion(5, std::vector<double>{1.0, -0.1}), std::invalid_argument);
}

TEST_CASE("region matrix: assignment proportions, lookup, asymmetry") {
  RegionMatrixParams p;
  p.region_names = {"A", "B", "C"};
  p.one_way_ms = {{1.0, 10.0, 20.0}, {11.0, 2.0, 30.0}, {21.0, 31.0, 3.0}};
  p.weights = {0.5, 0.3, 0.2};
  const auto m = LatencyModel::region_matrix(100, p, 0.0);
  CHECK(m.kind() == LatencyKind::kRegionMatrix);
  CHECK(m.region_names() == std::vector<std::string>{"A", "B", "C"});
  CHECK(m.region_node_counts() == std::vector<std::uint32_t>{50, 30, 20});
  std::vector<int> counted(3, 0);
  for (NodeId i = 0; i < 100; ++i) ++counted[m.region_of(i)];
  CHECK(counted == std::vector<int>{50, 30, 20});
  // Interleaved: the first nodes cycle through the regions (smooth weighted round-robin).
  std::string first;
  for (NodeId i = 0; i < 10; ++i) first += m.region_name_of(i);
  CHECK(first == "ABCAABACBA");
  // Every prefix of 10 nodes is within one node of its share.
  for (NodeId k = 10; k <= 100; k += 10) {
    std::vector<int> c(3, 0);
    for (NodeId i = 0; i < k; ++i) ++c[m.region_of(i)];
    CHECK(std::abs(c[0] - static_cast<int>(k) * 5 / 10) <= 1);
    CHECK(std::abs(c[1] - static_cast<int>(k) * 3 / 10) <= 1);
    CHECK(std::abs(c[2] - static_cast<int>(k) * 2 / 10) <= 1);
  }

  // Lookup: row = from region, column = to region; same region uses the diagonal.
  const NodeId a0 = 0, b0 = 1, c0 = 2, a1 = 3;
  REQUIRE(m.region_name_of(a0) == "A");
  REQUIRE(m.region_name_of(b0) == "B");
  REQUIRE(m.region_name_of(c0) == "C");
  REQUIRE(m.region_name_of(a1) == "A");
  CHECK(m.base_latency_s(a0, b0) == doctest::Approx(0.010));
  CHECK(m.base_latency_s(b0, a0) == doctest::Approx(0.011));
  CHECK(m.base_latency_s(c0, b0) == doctest::Approx(0.031));
  CHECK(m.base_latency_s(a0, a1) == doctest::Approx(0.001));
  CHECK(m.base_latency_s(a1, a1) == 0.0);

  p.assignment = RegionAssignment::kContiguous;
  const auto contiguous = LatencyModel::region_matrix(100, p, 0.0);
  CHECK(contiguous.region_of(0) == 0);
  CHECK(contiguous.region_of(49) == 0);
  CHECK(contiguous.region_of(50) == 1);
  CHECK(contiguous.region_of(79) == 1);
  CHECK(contiguous.region_of(80) == 2);
  CHECK(contiguous.region_of(99) == 2);
}

TEST_CASE("region matrix parameter errors") {
  RegionMatrixParams good;
  good.region_names = {"A", "B"};
  good.one_way_ms = {{1.0, 2.0}, {2.0, 1.0}};
  good.weights = {1.0, 1.0};
  CHECK_NOTHROW(LatencyModel::region_matrix(4, good));

  auto bad = good;
  bad.one_way_ms = {{1.0, 2.0}};
  CHECK_THROWS_WITH_AS(LatencyModel::region_matrix(4, bad),
                       doctest::Contains("1 rows, expected one per region (2)"),
                       std::invalid_argument);
  bad = good;
  bad.one_way_ms[1] = {1.0};
  CHECK_THROWS_AS(LatencyModel::region_matrix(4, bad), std::invalid_argument);
  bad = good;
  bad.one_way_ms[0][1] = -5.0;
  CHECK_THROWS_WITH_AS(LatencyModel::region_matrix(4, bad), doctest::Contains("one_way_ms[A][B]"),
                       std::invalid_argument);
  bad = good;
  bad.weights = {1.0};
  CHECK_THROWS_AS(LatencyModel::region_matrix(4, bad), std::invalid_argument);
  bad = good;
  bad.region_names = {"A", "A"};
  CHECK_THROWS_WITH_AS(LatencyModel::region_matrix(4, bad), doctest::Contains("appears twice"),
                       std::invalid_argument);
}

TEST_CASE("jitter: U[0, jitter) from the caller's RNG, reproducible") {
  const auto m = LatencyModel::constant(4, {10.0}, 5.0);
  CHECK(m.jitter_s() == doctest::Approx(0.005));
  std::mt19937_64 rng(123);
  std::vector<double> j;
  j.reserve(20000);
  for (int i = 0; i < 20000; ++i) j.push_back(m.jitter_sample_s(rng));
  CHECK(*std::min_element(j.begin(), j.end()) >= 0.0);
  CHECK(*std::max_element(j.begin(), j.end()) < 0.005);
  CHECK(mean(j) == doctest::Approx(0.0025).epsilon(0.02));
  std::mt19937_64 rng2(123);
  CHECK(m.sample_latency_s(0, 1, rng2) == doctest::Approx(0.010 + j[0]));
  // No jitter: nothing is drawn from the RNG.
  const auto still = LatencyModel::constant(4, {10.0});
  std::mt19937_64 r3(5), r4(5);
  CHECK(still.sample_latency_s(0, 1, r3) == doctest::Approx(0.010));
  CHECK(r3() == r4());
}

TEST_CASE("cloudping loader: hand-checked values from the AWS p50/p90 files") {
  const fs::path root = PIPESIM_SOURCE_DIR;
  // The repository copy and the shared original (the same bytes); test whichever are present.
  std::vector<fs::path> dirs;
  for (const fs::path& d :
       {root / "data/latency/aws", root / "../shared/data/latency/commonware-estimator"}) {
    if (fs::exists(d / "p50.json")) dirs.push_back(d);
  }
  REQUIRE(!dirs.empty());
  for (const fs::path& dir : dirs) {
    CAPTURE(dir);
    const std::vector<std::string> sel{"us-east-1", "eu-west-1", "ap-northeast-1"};
    const auto p50 = load_cloudping_matrix(dir / "p50.json", sel);
    CHECK(p50.region_names == sel);
    REQUIRE(p50.one_way_ms.size() == 3);
    // us-east-1 -> eu-west-1: 69.622 ms RTT at p50; eu-west-1 -> us-east-1: 69.736 ms.
    CHECK(p50.one_way_ms[0][1] == doctest::Approx(34.811));
    CHECK(p50.one_way_ms[1][0] == doctest::Approx(34.868));
    CHECK(p50.one_way_ms[0][0] == doctest::Approx(5.506 / 2));

    const auto p90 = load_cloudping_matrix(dir / "p90.json", sel);
    CHECK(p90.one_way_ms[0][1] == doctest::Approx(74.634 / 2));
    CHECK(p90.one_way_ms[1][0] == doctest::Approx(72.814 / 2));

    const auto all = load_cloudping_matrix(dir / "p50.json");
    CHECK(all.region_names.size() == 33);
    CHECK(std::is_sorted(all.region_names.begin(), all.region_names.end()));
    CHECK(all.region_names.front() == "af-south-1");
    const auto idx = [&](const std::string& n) {
      return static_cast<std::size_t>(
          std::find(all.region_names.begin(), all.region_names.end(), n) -
          all.region_names.begin());
    };
    CHECK(all.one_way_ms[idx("ap-northeast-1")][idx("sa-east-1")] == doctest::Approx(258.343 / 2));

    // Feeds a region model directly.
    RegionMatrixParams rp{p50.region_names, p50.one_way_ms, {1, 1, 1}};
    const auto m = LatencyModel::region_matrix(3, rp);
    CHECK(m.base_latency_s(0, 1) == doctest::Approx(0.034811));

    const std::vector<std::string> unknown{"us-east-1", "mars-north-1"};
    CHECK_THROWS_WITH_AS(load_cloudping_matrix(dir / "p50.json", unknown),
                         doctest::Contains("unknown region \"mars-north-1\"; available: "
                                           "af-south-1, ap-east-1"),
                         std::invalid_argument);
  }
  CHECK_THROWS_AS(load_cloudping_matrix(root / "no/such/file.json"), std::runtime_error);
}

TEST_CASE("bandwidth: Mbit/s to bytes/s") {
  CHECK(mbps_to_bytes_per_s(1000.0) == 125'000'000.0);
  CHECK(mbps_to_bytes_per_s(8.0) == 1'000'000.0);
  CHECK(bytes_per_s_to_mbps(125'000'000.0) == 1000.0);
  BandwidthModel bw(4, {100.0, 1000.0});
  CHECK(bw.upload_bytes_per_s(0) == 12'500'000.0);
  CHECK(bw.download_bytes_per_s(3) == 125'000'000.0);
  bw.set_node(2, {8.0, 16.0});
  CHECK(bw.upload_bytes_per_s(2) == 1'000'000.0);
  // 1 MB from node 0 (12.5 MB/s up) to node 2 (2 MB/s down): limited by the download side.
  CHECK(bw.transfer_time_s(1'000'000, 0, 2) == doctest::Approx(0.5));
  CHECK(bw.transfer_time_s(1'000'000, 2, 0) == doctest::Approx(1.0));
  CHECK_THROWS_AS(bw.upload_bytes_per_s(4), std::out_of_range);
  CHECK_THROWS_AS(BandwidthModel(4, {0.0, 1.0}), std::invalid_argument);
  CHECK_THROWS_AS(bw.set_node(1, {1.0, -1.0}), std::invalid_argument);
  CHECK_THROWS_AS(BandwidthModel(0, {}), std::invalid_argument);
}
