// Tests of models/network/topology: every kind's invariants (edge counts, degrees,
// connectivity), determinism by seed, errors, files, statistics.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "models/network/topology.hpp"

using namespace pipesim::network;

namespace {

TopologyParams params(TopologyKind kind, std::uint32_t n, std::uint32_t degree = 0, double p = 0,
                      std::uint64_t seed = 1) {
  TopologyParams t;
  t.kind = kind;
  t.n = n;
  t.degree = degree;
  t.p = p;
  t.seed = seed;
  return t;
}

void check_simple_undirected(const Topology& t) {
  std::size_t degree_sum = 0;
  for (NodeId v = 0; v < t.node_count(); ++v) {
    const auto nb = t.neighbors(v);
    degree_sum += nb.size();
    CHECK(std::is_sorted(nb.begin(), nb.end()));
    CHECK(std::adjacent_find(nb.begin(), nb.end()) == nb.end());  // no parallel edges
    for (NodeId w : nb) {
      CHECK(w != v);
      CHECK(t.has_edge(w, v));
    }
  }
  CHECK(degree_sum == 2 * t.edge_count());
  CHECK(boost::num_edges(t.graph()) == t.edge_count());
  CHECK(boost::num_vertices(t.graph()) == t.node_count());
}

std::filesystem::path topology_temp_file(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("complete, star, ring: exact structure") {
  const Topology c = build_topology(params(TopologyKind::kComplete, 10));
  check_simple_undirected(c);
  CHECK(c.edge_count() == 45);
  const TopologyStats cs = topology_stats(c);
  CHECK(cs.min_degree == 9);
  CHECK(cs.max_degree == 9);
  CHECK(cs.diameter == 1);
  CHECK(cs.mean_distance == doctest::Approx(1.0));

  TopologyParams sp = params(TopologyKind::kStar, 10);
  sp.center = 3;
  const Topology s = build_topology(sp);
  check_simple_undirected(s);
  CHECK(s.edge_count() == 9);
  CHECK(s.degree(3) == 9);
  CHECK(s.degree(0) == 1);
  CHECK(topology_stats(s).diameter == 2);
  sp.center = 10;
  CHECK_THROWS_AS(build_topology(sp), std::invalid_argument);

  const Topology r = build_topology(params(TopologyKind::kRing, 10));
  check_simple_undirected(r);
  CHECK(r.edge_count() == 10);
  const TopologyStats rs = topology_stats(r);
  CHECK(rs.min_degree == 2);
  CHECK(rs.max_degree == 2);
  CHECK(rs.diameter == 5);
  CHECK(r.has_edge(9, 0));
  CHECK_THROWS_AS(build_topology(params(TopologyKind::kRing, 2)), std::invalid_argument);
}

TEST_CASE("random_regular: every degree exact, connected, deterministic by seed") {
  const Topology t = build_topology(params(TopologyKind::kRandomRegular, 100, 8, 0, 7));
  check_simple_undirected(t);
  CHECK(t.edge_count() == 400);
  for (NodeId v = 0; v < 100; ++v) CHECK(t.degree(v) == 8);
  CHECK(t.component_count() == 1);
  CHECK(build_topology(params(TopologyKind::kRandomRegular, 100, 8, 0, 7)).edges() == t.edges());
  CHECK(build_topology(params(TopologyKind::kRandomRegular, 100, 8, 0, 8)).edges() != t.edges());
  const Topology big = build_topology(params(TopologyKind::kRandomRegular, 2000, 3, 0, 1));
  CHECK(big.edge_count() == 3000);
  CHECK_THROWS_WITH_AS(build_topology(params(TopologyKind::kRandomRegular, 11, 3)),
                       doctest::Contains("even"), std::invalid_argument);
  CHECK_THROWS_AS(build_topology(params(TopologyKind::kRandomRegular, 10, 10)),
                  std::invalid_argument);
  // Degree 1 is a perfect matching: never connected for n > 2.
  CHECK_THROWS_WITH_AS(build_topology(params(TopologyKind::kRandomRegular, 10, 1)),
                       doctest::Contains("attempts"), std::invalid_argument);
}

TEST_CASE("erdos_renyi: edge count near p * n(n-1)/2, disconnected graphs rejected") {
  const Topology t = build_topology(params(TopologyKind::kErdosRenyi, 200, 0, 0.1, 3));
  check_simple_undirected(t);
  // Expected 1990 edges, standard deviation ~42.
  CHECK(t.edge_count() > 1990 - 5 * 42);
  CHECK(t.edge_count() < 1990 + 5 * 42);
  CHECK(build_topology(params(TopologyKind::kErdosRenyi, 200, 0, 0.1, 3)).edges() == t.edges());
  CHECK(build_topology(params(TopologyKind::kErdosRenyi, 200, 0, 0.1, 4)).edges() != t.edges());
  CHECK_THROWS_WITH_AS(build_topology(params(TopologyKind::kErdosRenyi, 100, 0, 0.01, 1)),
                       doctest::Contains("erdos_renyi(n=100, p=0.01, seed=1) is not connected"),
                       std::invalid_argument);
  CHECK_THROWS_AS(build_topology(params(TopologyKind::kErdosRenyi, 100, 0, 1.0)),
                  std::invalid_argument);
}

TEST_CASE("watts_strogatz: lattice at p = 0, n*k/2 edges at any p") {
  const Topology lattice = build_topology(params(TopologyKind::kWattsStrogatz, 100, 4, 0.0));
  check_simple_undirected(lattice);
  CHECK(lattice.edge_count() == 200);
  for (NodeId v = 0; v < 100; ++v) {
    CHECK(lattice.degree(v) == 4);
    CHECK(lattice.has_edge(v, (v + 2) % 100));
  }
  CHECK(topology_stats(lattice).diameter == 25);
  const Topology ws = build_topology(params(TopologyKind::kWattsStrogatz, 100, 6, 0.2, 9));
  check_simple_undirected(ws);
  CHECK(ws.edge_count() == 300);
  CHECK(topology_stats(ws).diameter < topology_stats(lattice).diameter);
  CHECK(build_topology(params(TopologyKind::kWattsStrogatz, 100, 6, 0.2, 9)).edges() == ws.edges());
  CHECK_THROWS_AS(build_topology(params(TopologyKind::kWattsStrogatz, 100, 5, 0.2)),
                  std::invalid_argument);
}

TEST_CASE("barabasi_albert: m(m+1)/2 + (n-m-1)m edges, min degree m, hubs") {
  const Topology t = build_topology(params(TopologyKind::kBarabasiAlbert, 1000, 3, 0, 5));
  check_simple_undirected(t);
  CHECK(t.edge_count() == 6 + (1000 - 4) * 3);
  const TopologyStats s = topology_stats(t);
  CHECK(s.min_degree == 3);
  CHECK(s.max_degree > 30);  // preferential attachment grows hubs (~ sqrt(n) * m)
  CHECK(s.mean_degree == doctest::Approx(2.0 * t.edge_count() / 1000));
  CHECK(build_topology(params(TopologyKind::kBarabasiAlbert, 1000, 3, 0, 5)).edges() == t.edges());
}

TEST_CASE("file: edge list and GraphML") {
  const auto list = topology_temp_file(
      "pipesim_topo.txt", "# a square with a diagonal\n0 1\n1 2\n2 3\n3 0\n0 2\n2 0\n");
  TopologyParams p;
  p.kind = TopologyKind::kFile;
  p.file = list;
  const Topology t = build_topology(p);
  CHECK(t.node_count() == 4);
  CHECK(t.edge_count() == 5);  // the repeated 2 0 is merged
  CHECK(t.degree(0) == 3);
  const auto gap = topology_temp_file("pipesim_topo_gap.txt", "0 1\n2 3\n");
  p.file = gap;
  CHECK_THROWS_WITH_AS(build_topology(p), doctest::Contains("2 components"), std::invalid_argument);
  const auto loop = topology_temp_file("pipesim_topo_loop.txt", "0 1\n1 1\n");
  p.file = loop;
  CHECK_THROWS_WITH_AS(build_topology(p), doctest::Contains("line 2"), std::runtime_error);

  const auto gml =
      topology_temp_file("pipesim_topo.graphml", R"(<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <graph id="G" edgedefault="undirected">
    <node id="a"/><node id="b"/><node id="c"/>
    <edge source="a" target="b"/><edge source="b" target="c"/>
  </graph>
</graphml>
)");
  p.file = gml;
  const Topology g = build_topology(p);
  CHECK(g.node_count() == 3);
  CHECK(g.edge_count() == 2);
  CHECK(g.has_edge(0, 1));
  CHECK(g.has_edge(1, 2));
  CHECK(!g.has_edge(0, 2));
  p.file = "/nonexistent/topology.txt";
  CHECK_THROWS_AS(build_topology(p), std::runtime_error);
  for (const auto& f : {list, gap, loop, gml}) std::filesystem::remove(f);
}

TEST_CASE("stats: double-sweep lower bound above the exact limit") {
  const Topology r = build_topology(params(TopologyKind::kRing, 5000));
  const TopologyStats s = topology_stats(r, 1000);
  CHECK(!s.diameter_exact);
  CHECK(s.diameter == 2500);  // exact for a ring: the sweep reaches the antipode
  const Topology rr = build_topology(params(TopologyKind::kRandomRegular, 3000, 4, 0, 2));
  const TopologyStats exact = topology_stats(rr);
  const TopologyStats bound = topology_stats(rr, 100);
  CHECK(exact.diameter_exact);
  CHECK(bound.diameter <= exact.diameter);
  CHECK(bound.diameter + 2 >= exact.diameter);
  CHECK(topology_kind_from_string("watts_strogatz") == TopologyKind::kWattsStrogatz);
  CHECK_THROWS_AS(topology_kind_from_string("mesh"), std::invalid_argument);
}

TEST_CASE("stats: JSON for summary.json") {
  const Topology r = build_topology(params(TopologyKind::kRing, 10));
  const nlohmann::json j = to_json(r, topology_stats(r));
  CHECK(j["description"] == "ring(n=10)");
  CHECK(j["edges"] == 10);
  CHECK(j["degree_min"] == 2);
  CHECK(j["degree_mean"] == 2.0);
  CHECK(j["diameter_hops"] == 5);
  CHECK(j["diameter_exact"] == true);
  // Ring of 10: distances 1,1,2,2,3,3,4,4,5 from each node -> mean 25/9.
  CHECK(j["mean_distance_hops"].get<double>() == doctest::Approx(25.0 / 9));
}

TEST_CASE("outbound_cdf: SimBlock's outbound-degree table") {
  TopologyParams p;
  p.kind = TopologyKind::kOutboundCdf;
  p.n = 600;
  p.seed = 3;
  // Bitcoin 2015 (Miller et al.; SimBlock NetworkConfiguration.DEGREE_DISTRIBUTION_BITCOIN_2015).
  p.outbound_degree_cdf = {0.025, 0.050, 0.075, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60,  0.70,
                           0.80,  0.85,  0.90,  0.95, 0.97, 0.97, 0.98, 0.99, 0.995, 1.0};
  const Topology t = build_topology(p);
  CHECK(t.component_count() == 1);
  CHECK(to_string(TopologyKind::kOutboundCdf) == "outbound_cdf");
  CHECK(topology_kind_from_string("outbound_cdf") == TopologyKind::kOutboundCdf);
  // Every node opened >= 1 link; the edge count is the sum of the apportioned outbound counts
  // (no collisions are lost: a node skips neighbours it already has). Mean outbound of this CDF
  // (sum over i of (1 - cdf[i - 1])) is 8.6.
  const double mean_degree = 2.0 * static_cast<double>(t.edge_count()) / 600.0;
  CHECK(mean_degree > 2 * 8.0);
  CHECK(mean_degree < 2 * 9.5);
  for (NodeId v = 0; v < 600; ++v) CHECK(t.degree(v) >= 1);
  const Topology again = build_topology(p);
  CHECK(again.edges() == t.edges());
  p.outbound_degree_cdf = {0.5, 0.4, 1.0};
  CHECK_THROWS_WITH_AS(build_topology(p), doctest::Contains("non-decreasing"),
                       std::invalid_argument);
  p.outbound_degree_cdf = {0.5, 0.9};
  CHECK_THROWS_WITH_AS(build_topology(p), doctest::Contains("end with 1"), std::invalid_argument);
}
