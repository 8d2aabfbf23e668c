// Peer-to-peer overlay topologies on Boost.Graph: undirected, simple (no self-loops, no parallel
// edges), nodes 0..n-1, every generator seeded by std::mt19937_64(seed) and checked connected.
//
// Kinds (TopologyParams fields used):
//   complete        n                 every pair; n(n-1)/2 edges.
//   random_regular  n, degree         every node has exactly `degree` neighbours (n*degree even,
//                                     degree < n): configuration (pairing) model with local
//                                     rejection of loops / parallel edges (Steger & Wormald,
//                                     "Generating random regular graphs quickly", 1999) and a
//                                     restart when stuck or disconnected (<= max_attempts).
//   erdos_renyi     n, p              G(n, p), 0 < p < 1, via boost::sorted_erdos_renyi_iterator
//                                     (geometric skipping, O(n + edges)).
//   watts_strogatz  n, degree, p      ring lattice, each node linked to degree/2 neighbours on each
//                                     side (degree even, 2 <= degree < n), then each lattice edge
//                                     (i, i+j) has its far end rewired with probability p to a
//                                     uniform node that is not i nor already adjacent (Watts &
//                                     Strogatz, Nature 1998); n*degree/2 edges.
//   barabasi_albert n, degree (= m)   m + 1 fully connected seed nodes, then each new node attaches
//                                     to m distinct existing nodes chosen proportionally to degree
//                                     (Barabasi & Albert, Science 1999); m(m+1)/2 + (n-m-1)m edges.
//   star            n, center         center linked to every other node; n - 1 edges.
//   ring            n (>= 3)          i -- i+1 mod n; n edges.
//   outbound_cdf    n, outbound_degree_cdf
//                                     SimBlock's Bitcoin-Core-like table (dsg-titech/simblock
//                                     Main.constructNetworkWithAllNodes + BitcoinCoreTable, main
//                                     branch 5fc7f9f): node outbound counts follow the CDF
//                                     (entry i = P(outbound <= i + 1)) as SimBlock apportions it
//                                     (count for value i+1 = #{k < n: k <= n * cdf[i]} minus the
//                                     smaller values), shuffled; then each node in id order links
//                                     to candidates taken from its own random permutation of all
//                                     nodes, skipping itself and existing neighbours, until it has
//                                     its outbound count of links it opened (or the permutation
//                                     runs out). Links are undirected (inbound is unbounded).
//   file            path (n optional) edge list (`u v` per line, 0-based ids, `#` comments; n =
//                                     max id + 1 unless given) or GraphML (*.graphml / *.xml, read
//                                     with boost::read_graphml; nodes numbered in file order).
//                                     Self-loops are an error; repeated edges are merged.
// Connectivity: a disconnected result throws std::invalid_argument, e.g. "topology
// erdos_renyi(n=100, p=0.01, seed=1) is not connected: 7 components".
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <nlohmann/json.hpp>

namespace pipesim::network {

using NodeId = std::uint32_t;

/// The Boost.Graph type of a topology (vertex descriptors are the node ids 0..n-1).
using TopologyGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;

enum class TopologyKind {
  kComplete,
  kRandomRegular,
  kErdosRenyi,
  kWattsStrogatz,
  kBarabasiAlbert,
  kStar,
  kRing,
  kFile,
  kOutboundCdf
};

/// "complete" | "random_regular" | "erdos_renyi" | "watts_strogatz" | "barabasi_albert" |
/// "star" | "ring" | "file" | "outbound_cdf".
std::string_view to_string(TopologyKind kind);
/// Inverse of to_string; std::invalid_argument listing the valid names.
TopologyKind topology_kind_from_string(std::string_view name);

struct TopologyParams {
  TopologyKind kind = TopologyKind::kRandomRegular;
  std::uint32_t n = 0;         // nodes (file: 0 = from the file)
  std::uint32_t degree = 8;    // random_regular degree; watts_strogatz k; barabasi_albert m
  double p = 0.1;              // erdos_renyi edge probability; watts_strogatz rewiring probability
  NodeId center = 0;           // star
  std::filesystem::path file;  // file
  std::vector<double> outbound_degree_cdf;  // outbound_cdf: non-decreasing, last entry 1
  std::uint64_t seed = 1;
  std::uint32_t max_attempts = 100;  // random_regular restarts
};

/// An undirected simple connected graph with a CSR copy of its adjacency for O(1) neighbour
/// access (neighbours sorted ascending).
class Topology {
 public:
  Topology(std::string description, std::uint32_t n, std::vector<std::pair<NodeId, NodeId>> edges);

  const std::string& description() const { return description_; }
  const TopologyGraph& graph() const { return graph_; }
  std::uint32_t node_count() const { return n_; }
  std::size_t edge_count() const { return edges_.size(); }
  /// Edges as (u, v) with u < v, sorted.
  const std::vector<std::pair<NodeId, NodeId>>& edges() const { return edges_; }
  std::span<const NodeId> neighbors(NodeId v) const {
    return {targets_.data() + offsets_.at(v), targets_.data() + offsets_.at(v + 1)};
  }
  std::uint32_t degree(NodeId v) const {
    return static_cast<std::uint32_t>(offsets_.at(v + 1) - offsets_.at(v));
  }
  bool has_edge(NodeId u, NodeId v) const;
  /// Number of connected components (boost::connected_components).
  std::uint32_t component_count() const;

 private:
  std::string description_;
  std::uint32_t n_;
  std::vector<std::pair<NodeId, NodeId>> edges_;
  TopologyGraph graph_;
  std::vector<std::size_t> offsets_;
  std::vector<NodeId> targets_;
};

/// Builds and checks a topology (see the file comment). Throws std::invalid_argument for bad
/// parameters (naming the parameter and value) or a disconnected graph, std::runtime_error for
/// an unreadable / malformed file (naming the file and line).
Topology build_topology(const TopologyParams& params);

/// Degree and distance statistics (for summary.json).
struct TopologyStats {
  std::uint32_t nodes = 0;
  std::size_t edges = 0;
  std::uint32_t min_degree = 0;
  double mean_degree = 0.0;
  std::uint32_t max_degree = 0;
  std::uint32_t components = 0;
  /// Hop diameter: exact (BFS from every node) when nodes <= exact_diameter_limit, else a lower
  /// bound from `sweeps` double sweeps (BFS from a seeded start, then from the farthest node
  /// found; the largest eccentricity seen), and diameter_exact == false.
  std::uint32_t diameter = 0;
  bool diameter_exact = true;
  /// Mean hop distance over ordered pairs (exact mode only; 0 otherwise).
  double mean_distance = 0.0;
};

/// Statistics of a connected topology. exact_diameter_limit 4096: an all-pairs BFS of O(n * m)
/// (4,096 nodes of degree 8: ~0.1 s).
TopologyStats topology_stats(const Topology& t, std::uint32_t exact_diameter_limit = 4096,
                             std::uint32_t sweeps = 8, std::uint64_t seed = 1);

/// For summary.json: {"description", "nodes", "edges", "degree_min", "degree_mean",
/// "degree_max", "components", "diameter_hops", "diameter_exact", "mean_distance_hops"}
/// (mean_distance_hops only when exact).
nlohmann::json to_json(const Topology& t, const TopologyStats& s);

/// Hop distances from `source` to every node (BFS); unreachable = UINT32_MAX.
std::vector<std::uint32_t> bfs_hops(const Topology& t, NodeId source);

}  // namespace pipesim::network
