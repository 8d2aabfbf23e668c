// Tests of models/network/vivaldi: the syscoord files (values hand-checked against
// data/platforms/*.syscoord), the distance formula, peer selection and the per-node model.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "models/network/presets.hpp"
#include "models/network/vivaldi.hpp"

using namespace pipesim::network;

namespace {

const std::vector<VivaldiPeer>& harvard() {
  static const std::vector<VivaldiPeer> peers = load_syscoord(syscoord_path("harvard"));
  return peers;
}

std::filesystem::path vivaldi_temp_file(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("syscoord: the three data sets parse with their peer counts and first/last peers") {
  const auto& h = harvard();
  REQUIRE(h.size() == 226);
  CHECK(h[0].id == 0);
  CHECK(h[0].coord.x_ms == 173.0);
  CHECK(h[0].coord.y_ms == 96.8);
  CHECK(h[0].coord.height_ms == 0.1);
  CHECK(h[5].coord.height_ms == 79.0);  // "5 116.3 -51.1 h 79.0"
  CHECK(h.back().id == 225);
  CHECK(h.back().coord.x_ms == 268.1);

  const auto p2p = load_syscoord(syscoord_path("p2psim"));
  REQUIRE(p2p.size() == 1740);
  CHECK(p2p[0].coord.x_ms == -30.8);
  CHECK(p2p[0].coord.y_ms == -183.3);
  CHECK(p2p.back().coord.y_ms == -52.2);

  const auto mer = load_syscoord(syscoord_path("meridian"));
  REQUIRE(mer.size() == 2500);
  CHECK(mer[0].coord.x_ms == 25.5);
  CHECK(mer.back().id == 2499);
  CHECK(mer.back().coord.height_ms == 1.4);
  CHECK_THROWS_WITH_AS(syscoord_path("king"), doctest::Contains("meridian"), std::invalid_argument);
}

TEST_CASE("syscoord: one-way latency = planar distance + both heights (hand-computed)") {
  const auto& h = harvard();
  // Peers 0 (173.0, 96.8, h 0.1) and 1 (247.0, 57.3, h 0.6): sqrt(74^2 + 39.5^2) + 0.7.
  CHECK(vivaldi_one_way_ms(h[0].coord, h[1].coord) == doctest::Approx(84.58235809751655));
  CHECK(vivaldi_one_way_ms(h[0].coord, h[0].coord) == doctest::Approx(0.2));
  const LatencyModel m = vivaldi_latency(226, h, PeerSelection::kFirst, 0);
  CHECK(m.kind() == LatencyKind::kVivaldi);
  CHECK(m.base_latency_s(0, 1) == doctest::Approx(0.08458235809751655));
  CHECK(m.base_latency_s(1, 0) == m.base_latency_s(0, 1));
  CHECK(m.base_latency_s(7, 7) == 0.0);
  CHECK_THROWS_AS(m.base_latency_s(0, 226), std::out_of_range);
  // Node extras add on top.
  std::vector<double> extra(226, 0.0);
  extra[0] = 20.0;
  const LatencyModel e = m.with_node_extra_ms(extra);
  CHECK(e.base_latency_s(0, 1) == doctest::Approx(0.10458235809751655));
  CHECK(e.base_latency_s(2, 1) == m.base_latency_s(2, 1));
}

TEST_CASE("syscoord: peer selection first / sample / wrap") {
  const auto& h = harvard();
  CHECK_THROWS_WITH_AS(vivaldi_latency(227, h, PeerSelection::kFirst, 0), doctest::Contains("wrap"),
                       std::invalid_argument);
  CHECK_THROWS_AS(vivaldi_latency(227, h, PeerSelection::kSample, 0), std::invalid_argument);
  CHECK_THROWS_AS(select_peers(0, 10, PeerSelection::kFirst, 0), std::invalid_argument);

  const auto wrap = select_peers(500, h.size(), PeerSelection::kWrap, 0);
  CHECK(wrap[226] == 0);
  CHECK(wrap[499] == 499 - 452);
  const LatencyModel w = vivaldi_latency(500, h, PeerSelection::kWrap, 0);
  CHECK(w.base_latency_s(0, 226) == doctest::Approx(0.0002));  // co-located: 2 * 0.1 ms

  const auto s1 = select_peers(100, h.size(), PeerSelection::kSample, 5);
  const auto s2 = select_peers(100, h.size(), PeerSelection::kSample, 5);
  const auto s3 = select_peers(100, h.size(), PeerSelection::kSample, 6);
  CHECK(s1 == s2);
  CHECK(s1 != s3);
  CHECK(std::set<std::uint32_t>(s1.begin(), s1.end()).size() == 100);
  CHECK(*std::max_element(s1.begin(), s1.end()) < 226);
  const LatencyModel sm = vivaldi_latency(100, h, PeerSelection::kSample, 5);
  CHECK(sm.base_latency_s(0, 1) * 1e3 ==
        doctest::Approx(vivaldi_one_way_ms(h[s1[0]].coord, h[s1[1]].coord)));
  CHECK(peer_selection_from_string("sample") == PeerSelection::kSample);
  CHECK_THROWS_AS(peer_selection_from_string("random"), std::invalid_argument);
}

TEST_CASE("syscoord: malformed files are rejected with the line number") {
  const auto bad =
      vivaldi_temp_file("pipesim_bad.syscoord", "# header\n0 1.0 2.0 h 0.5\n1 1.0 x h 2\n");
  CHECK_THROWS_WITH_AS(load_syscoord(bad), doctest::Contains("line 3"), std::runtime_error);
  const auto neg = vivaldi_temp_file("pipesim_neg.syscoord", "0 1.0 2.0 h -0.5\n");
  CHECK_THROWS_WITH_AS(load_syscoord(neg), doctest::Contains("height"), std::runtime_error);
  const auto dup = vivaldi_temp_file("pipesim_dup.syscoord", "0 1 2 h 0\n0 3 4 h 0\n");
  CHECK_THROWS_WITH_AS(load_syscoord(dup), doctest::Contains("twice"), std::runtime_error);
  const auto empty = vivaldi_temp_file("pipesim_empty.syscoord", "# nothing\n");
  CHECK_THROWS_WITH_AS(load_syscoord(empty), doctest::Contains("no peers"), std::runtime_error);
  CHECK_THROWS_AS(load_syscoord("/nonexistent.syscoord"), std::runtime_error);
  for (const auto& p : {bad, neg, dup, empty}) std::filesystem::remove(p);
  const std::vector<VivaldiCoord> coords = {{0, 0, 0}, {3, 4, -1}};
  CHECK_THROWS_AS(LatencyModel::vivaldi(2, coords), std::invalid_argument);
  CHECK_THROWS_AS(LatencyModel::vivaldi(3, coords), std::invalid_argument);
}

TEST_CASE("vivaldi: a 3-4-5 triangle") {
  const std::vector<VivaldiCoord> coords = {{0, 0, 1}, {3, 4, 2}};
  const LatencyModel m = LatencyModel::vivaldi(2, coords);
  CHECK(m.base_latency_s(0, 1) == doctest::Approx(0.008));  // 5 + 1 + 2 ms
  CHECK(to_string(m.kind()) == "vivaldi");
}
