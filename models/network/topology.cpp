#include "models/network/topology.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include <boost/graph/connected_components.hpp>
#include <boost/graph/erdos_renyi_generator.hpp>
#include <boost/graph/graphml.hpp>
#include <boost/property_map/dynamic_property_map.hpp>

#include "models/common/random.hpp"

namespace pipesim::network {
namespace {

using Edge = std::pair<NodeId, NodeId>;

std::string number_text(double v) {
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("topology: " + what);
}

std::uint64_t key(NodeId a, NodeId b) {
  const std::uint64_t lo = std::min(a, b);
  const std::uint64_t hi = std::max(a, b);
  return (lo << 32) | hi;
}

std::string describe(const TopologyParams& p) {
  const std::string n = "n=" + std::to_string(p.n);
  const std::string seed = ", seed=" + std::to_string(p.seed);
  switch (p.kind) {
    case TopologyKind::kComplete:
      return "complete(" + n + ")";
    case TopologyKind::kRandomRegular:
      return "random_regular(" + n + ", degree=" + std::to_string(p.degree) + seed + ")";
    case TopologyKind::kErdosRenyi:
      return "erdos_renyi(" + n + ", p=" + number_text(p.p) + seed + ")";
    case TopologyKind::kWattsStrogatz:
      return "watts_strogatz(" + n + ", degree=" + std::to_string(p.degree) +
             ", p=" + number_text(p.p) + seed + ")";
    case TopologyKind::kBarabasiAlbert:
      return "barabasi_albert(" + n + ", m=" + std::to_string(p.degree) + seed + ")";
    case TopologyKind::kStar:
      return "star(" + n + ", center=" + std::to_string(p.center) + ")";
    case TopologyKind::kRing:
      return "ring(" + n + ")";
    case TopologyKind::kFile:
      return "file(" + p.file.string() + ")";
    case TopologyKind::kOutboundCdf:
      return "outbound_cdf(" + n +
             ", max_outbound=" + std::to_string(p.outbound_degree_cdf.size()) + seed + ")";
  }
  return "unknown";
}

std::uint32_t components_of(std::uint32_t n, const std::vector<Edge>& edges) {
  TopologyGraph g(edges.begin(), edges.end(), n);
  std::vector<int> comp(n);
  return n == 0 ? 0 : static_cast<std::uint32_t>(boost::connected_components(g, comp.data()));
}

std::vector<Edge> complete_edges(std::uint32_t n) {
  std::vector<Edge> e;
  e.reserve(static_cast<std::size_t>(n) * (n - 1) / 2);
  for (NodeId a = 0; a < n; ++a) {
    for (NodeId b = a + 1; b < n; ++b) e.emplace_back(a, b);
  }
  return e;
}

// Pairing model with Steger-Wormald local rejection; returns false when stuck.
bool try_random_regular(std::uint32_t n, std::uint32_t k, std::mt19937_64& rng,
                        std::vector<Edge>& out) {
  std::vector<NodeId> stubs;
  stubs.reserve(static_cast<std::size_t>(n) * k);
  for (NodeId v = 0; v < n; ++v) stubs.insert(stubs.end(), k, v);
  std::vector<std::vector<NodeId>> adj(n);
  out.clear();
  std::size_t failures = 0;
  while (!stubs.empty()) {
    const std::size_t i = uniform_below(rng, stubs.size());
    const std::size_t j = uniform_below(rng, stubs.size());
    const NodeId a = stubs[i];
    const NodeId b = stubs[j];
    if (i == j || a == b || std::find(adj[a].begin(), adj[a].end(), b) != adj[a].end()) {
      if (++failures > 64 * stubs.size() + 1024) return false;
      continue;
    }
    failures = 0;
    adj[a].push_back(b);
    adj[b].push_back(a);
    out.emplace_back(a, b);
    // Remove both stubs (higher index first so the lower stays valid).
    const std::size_t hi = std::max(i, j);
    const std::size_t lo = std::min(i, j);
    stubs[hi] = stubs.back();
    stubs.pop_back();
    stubs[lo] = stubs.back();
    stubs.pop_back();
  }
  return true;
}

std::vector<Edge> erdos_renyi_edges(std::uint32_t n, double p, std::mt19937_64& rng) {
  using It = boost::sorted_erdos_renyi_iterator<std::mt19937_64, TopologyGraph>;
  std::vector<Edge> e;
  for (It it(rng, n, p, false), end; it != end; ++it) {
    e.emplace_back(static_cast<NodeId>(it->first), static_cast<NodeId>(it->second));
  }
  return e;
}

std::vector<Edge> watts_strogatz_edges(std::uint32_t n, std::uint32_t k, double p,
                                       std::mt19937_64& rng) {
  std::unordered_set<std::uint64_t> present;
  std::vector<std::uint32_t> deg(n, k);
  std::vector<Edge> e;
  e.reserve(static_cast<std::size_t>(n) * k / 2);
  for (std::uint32_t j = 1; j <= k / 2; ++j) {
    for (NodeId i = 0; i < n; ++i) {
      const NodeId t = static_cast<NodeId>((i + j) % n);
      present.insert(key(i, t));
      e.emplace_back(i, t);
    }
  }
  // Rewire lattice edges in the order of the original model: by distance j, then by node i.
  for (std::size_t idx = 0; idx < e.size(); ++idx) {
    if (uniform_unit(rng) >= p) continue;
    const NodeId i = e[idx].first;
    if (deg[i] >= n - 1) continue;  // nowhere to go
    NodeId w;
    do {
      w = static_cast<NodeId>(uniform_below(rng, n));
    } while (w == i || present.count(key(i, w)) != 0);
    const NodeId old = e[idx].second;
    present.erase(key(i, old));
    present.insert(key(i, w));
    --deg[old];
    ++deg[w];
    e[idx].second = w;
  }
  return e;
}

std::vector<Edge> barabasi_albert_edges(std::uint32_t n, std::uint32_t m, std::mt19937_64& rng) {
  std::vector<Edge> e = complete_edges(m + 1);
  std::vector<NodeId> ends;  // every edge's endpoints: uniform pick = degree-proportional pick
  ends.reserve(2 * (e.size() + static_cast<std::size_t>(n) * m));
  for (const Edge& x : e) {
    ends.push_back(x.first);
    ends.push_back(x.second);
  }
  std::vector<NodeId> chosen;
  for (NodeId v = m + 1; v < n; ++v) {
    chosen.clear();
    while (chosen.size() < m) {
      const NodeId t = ends[uniform_below(rng, ends.size())];
      if (std::find(chosen.begin(), chosen.end(), t) == chosen.end()) chosen.push_back(t);
    }
    for (NodeId t : chosen) {
      e.emplace_back(t, v);
      ends.push_back(t);
      ends.push_back(v);
    }
  }
  return e;
}

std::vector<Edge> outbound_cdf_edges(std::uint32_t n, const std::vector<double>& cdf,
                                     std::mt19937_64& rng) {
  // SimBlock's makeRandomListFollowDistribution(cdf, facum = true): value i while the list is
  // no longer than n * cdf[i]; the rest get the last value; then shuffled.
  std::vector<std::uint32_t> outbound;
  outbound.reserve(n + 1);
  for (std::size_t i = 0; i < cdf.size(); ++i) {
    while (outbound.size() < n &&
           static_cast<double>(outbound.size()) <= static_cast<double>(n) * cdf[i]) {
      outbound.push_back(static_cast<std::uint32_t>(i + 1));
    }
  }
  while (outbound.size() < n) outbound.push_back(static_cast<std::uint32_t>(cdf.size()));
  pipesim::shuffle(outbound.begin(), outbound.end(), rng);
  std::vector<Edge> e;
  std::unordered_set<std::uint64_t> seen;
  std::vector<NodeId> perm(n);
  for (NodeId v = 0; v < n; ++v) {
    for (NodeId i = 0; i < n; ++i) perm[i] = i;
    std::uint32_t opened = 0;
    for (NodeId i = 0; i < n && opened < outbound[v]; ++i) {
      std::swap(perm[i], perm[i + uniform_below(rng, n - i)]);  // lazy Fisher-Yates
      const NodeId w = perm[i];
      if (w == v || !seen.insert(key(v, w)).second) continue;
      e.emplace_back(v, w);
      ++opened;
    }
  }
  return e;
}

std::vector<Edge> read_edge_list(const std::filesystem::path& file, std::uint32_t& n) {
  const std::string where = "topology file '" + file.string() + "'";
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + where);
  std::vector<Edge> e;
  std::string line;
  std::size_t line_no = 0;
  std::uint64_t max_id = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream ls(line);
    long long a = -1;
    long long b = -1;
    std::string extra;
    if (!(ls >> a >> b) || (ls >> extra) || a < 0 || b < 0 ||
        a > std::numeric_limits<NodeId>::max() - 1 || b > std::numeric_limits<NodeId>::max() - 1) {
      throw std::runtime_error(where + " line " + std::to_string(line_no) +
                               ": expected two node ids `u v` (integers >= 0), got \"" + line +
                               "\"");
    }
    if (a == b) {
      throw std::runtime_error(where + " line " + std::to_string(line_no) + ": self-loop on node " +
                               std::to_string(a));
    }
    max_id = std::max<std::uint64_t>(max_id, std::max(a, b));
    e.emplace_back(static_cast<NodeId>(a), static_cast<NodeId>(b));
  }
  if (e.empty()) throw std::runtime_error(where + ": no edges");
  if (n == 0) {
    n = static_cast<std::uint32_t>(max_id + 1);
  } else if (max_id >= n) {
    throw std::runtime_error(where + ": node id " + std::to_string(max_id) +
                             " out of range for n=" + std::to_string(n));
  }
  return e;
}

std::vector<Edge> read_graphml_file(const std::filesystem::path& file, std::uint32_t& n) {
  const std::string where = "topology file '" + file.string() + "'";
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + where);
  TopologyGraph g;
  boost::dynamic_properties dp(boost::ignore_other_properties);
  try {
    boost::read_graphml(in, g, dp);
  } catch (const std::exception& ex) {
    throw std::runtime_error(where + ": not valid GraphML: " + ex.what());
  }
  const auto count = static_cast<std::uint32_t>(boost::num_vertices(g));
  if (n != 0 && n != count) {
    throw std::runtime_error(where + " has " + std::to_string(count) +
                             " nodes, expected n=" + std::to_string(n));
  }
  n = count;
  std::vector<Edge> e;
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    const auto a = static_cast<NodeId>(boost::source(*it, g));
    const auto b = static_cast<NodeId>(boost::target(*it, g));
    if (a == b) throw std::runtime_error(where + ": self-loop on node " + std::to_string(a));
    e.emplace_back(a, b);
  }
  if (e.empty()) throw std::runtime_error(where + ": no edges");
  return e;
}

}  // namespace

std::string_view to_string(TopologyKind kind) {
  switch (kind) {
    case TopologyKind::kComplete:
      return "complete";
    case TopologyKind::kRandomRegular:
      return "random_regular";
    case TopologyKind::kErdosRenyi:
      return "erdos_renyi";
    case TopologyKind::kWattsStrogatz:
      return "watts_strogatz";
    case TopologyKind::kBarabasiAlbert:
      return "barabasi_albert";
    case TopologyKind::kStar:
      return "star";
    case TopologyKind::kRing:
      return "ring";
    case TopologyKind::kFile:
      return "file";
    case TopologyKind::kOutboundCdf:
      return "outbound_cdf";
  }
  return "unknown";
}

TopologyKind topology_kind_from_string(std::string_view name) {
  for (auto k : {TopologyKind::kComplete, TopologyKind::kRandomRegular, TopologyKind::kErdosRenyi,
                 TopologyKind::kWattsStrogatz, TopologyKind::kBarabasiAlbert, TopologyKind::kStar,
                 TopologyKind::kRing, TopologyKind::kFile, TopologyKind::kOutboundCdf}) {
    if (to_string(k) == name) return k;
  }
  bad("unknown kind \"" + std::string(name) +
      "\"; valid: complete, random_regular, erdos_renyi, watts_strogatz, barabasi_albert, star, "
      "ring, file, outbound_cdf");
}

Topology::Topology(std::string description, std::uint32_t n, std::vector<Edge> edges)
    : description_(std::move(description)), n_(n) {
  for (Edge& x : edges) {
    if (x.first >= n || x.second >= n) {
      bad(description_ + ": edge (" + std::to_string(x.first) + ", " + std::to_string(x.second) +
          ") out of range for n=" + std::to_string(n));
    }
    if (x.first == x.second) bad(description_ + ": self-loop on node " + std::to_string(x.first));
    if (x.first > x.second) std::swap(x.first, x.second);
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  edges_ = std::move(edges);
  graph_ = TopologyGraph(edges_.begin(), edges_.end(), n);
  offsets_.assign(static_cast<std::size_t>(n) + 1, 0);
  for (const Edge& x : edges_) {
    ++offsets_[x.first + 1];
    ++offsets_[x.second + 1];
  }
  for (std::size_t v = 0; v < n; ++v) offsets_[v + 1] += offsets_[v];
  targets_.resize(offsets_[n]);
  std::vector<std::size_t> pos(offsets_.begin(), offsets_.end() - 1);
  for (const Edge& x : edges_) {  // edges sorted by (u, v): every list comes out sorted
    targets_[pos[x.first]++] = x.second;
  }
  for (const Edge& x : edges_) targets_[pos[x.second]++] = x.first;
  for (std::size_t v = 0; v < n; ++v) {
    std::sort(targets_.begin() + static_cast<std::ptrdiff_t>(offsets_[v]),
              targets_.begin() + static_cast<std::ptrdiff_t>(offsets_[v + 1]));
  }
}

bool Topology::has_edge(NodeId u, NodeId v) const {
  const auto nb = neighbors(u);
  return std::binary_search(nb.begin(), nb.end(), v);
}

std::uint32_t Topology::component_count() const {
  if (n_ == 0) return 0;
  std::vector<int> comp(n_);
  return static_cast<std::uint32_t>(boost::connected_components(graph_, comp.data()));
}

Topology build_topology(const TopologyParams& p) {
  std::string desc = describe(p);
  std::uint32_t n = p.n;
  std::mt19937_64 rng(p.seed);
  std::vector<Edge> edges;
  if (p.kind != TopologyKind::kFile && n < 2) {
    bad(desc + ": n must be >= 2, got " + std::to_string(n));
  }
  switch (p.kind) {
    case TopologyKind::kComplete:
      edges = complete_edges(n);
      break;
    case TopologyKind::kRandomRegular: {
      const std::uint32_t k = p.degree;
      if (k < 1 || k >= n) bad(desc + ": degree must be in [1, n-1], got " + std::to_string(k));
      if ((static_cast<std::uint64_t>(n) * k) % 2 != 0) {
        bad(desc + ": n * degree must be even, got " + std::to_string(n) + " * " +
            std::to_string(k));
      }
      if (p.max_attempts < 1) bad(desc + ": max_attempts must be >= 1");
      std::uint32_t attempt = 0;
      for (; attempt < p.max_attempts; ++attempt) {
        if (try_random_regular(n, k, rng, edges) && components_of(n, edges) == 1) break;
      }
      if (attempt == p.max_attempts) {
        bad(desc + ": no connected simple graph after " + std::to_string(p.max_attempts) +
            " attempts (degree " + std::to_string(k) + " random regular graphs are " +
            (k <= 2 ? "rings or unions of rings: use degree >= 3" : "rarely disconnected") + ")");
      }
      break;
    }
    case TopologyKind::kErdosRenyi:
      if (!(p.p > 0.0 && p.p < 1.0)) {
        bad(desc + ": p must be in (0, 1) (use complete for p = 1), got " + number_text(p.p));
      }
      edges = erdos_renyi_edges(n, p.p, rng);
      break;
    case TopologyKind::kWattsStrogatz:
      if (p.degree < 2 || p.degree % 2 != 0 || p.degree >= n) {
        bad(desc + ": degree must be even and in [2, n-1], got " + std::to_string(p.degree));
      }
      if (!(p.p >= 0.0 && p.p <= 1.0)) bad(desc + ": p must be in [0, 1], got " + number_text(p.p));
      edges = watts_strogatz_edges(n, p.degree, p.p, rng);
      break;
    case TopologyKind::kBarabasiAlbert:
      if (p.degree < 1 || p.degree >= n) {
        bad(desc + ": m (degree) must be in [1, n-1], got " + std::to_string(p.degree));
      }
      edges = barabasi_albert_edges(n, p.degree, rng);
      break;
    case TopologyKind::kStar:
      if (p.center >= n) {
        bad(desc + ": center must be < n, got " + std::to_string(p.center));
      }
      for (NodeId v = 0; v < n; ++v) {
        if (v != p.center) edges.emplace_back(p.center, v);
      }
      break;
    case TopologyKind::kRing:
      if (n < 3) bad(desc + ": n must be >= 3, got " + std::to_string(n));
      for (NodeId v = 0; v < n; ++v) edges.emplace_back(v, (v + 1) % n);
      break;
    case TopologyKind::kOutboundCdf: {
      const auto& cdf = p.outbound_degree_cdf;
      if (cdf.empty()) bad(desc + ": outbound_degree_cdf must not be empty");
      double prev = 0.0;
      for (double c : cdf) {
        if (!(c >= prev && c <= 1.0)) {
          bad(desc + ": outbound_degree_cdf must be non-decreasing in [0, 1], got " +
              number_text(c));
        }
        prev = c;
      }
      if (cdf.back() != 1.0) bad(desc + ": outbound_degree_cdf must end with 1");
      edges = outbound_cdf_edges(n, cdf, rng);
      break;
    }
    case TopologyKind::kFile: {
      const std::string ext = p.file.extension().string();
      edges = (ext == ".graphml" || ext == ".xml") ? read_graphml_file(p.file, n)
                                                   : read_edge_list(p.file, n);
      desc = "file(" + p.file.string() + ", n=" + std::to_string(n) + ")";
      break;
    }
  }
  Topology t(desc, n, std::move(edges));
  const std::uint32_t comps = t.component_count();
  if (comps != 1) {
    bad(desc + " is not connected: " + std::to_string(comps) + " components");
  }
  return t;
}

nlohmann::json to_json(const Topology& t, const TopologyStats& s) {
  nlohmann::json j = {{"description", t.description()},
                      {"nodes", s.nodes},
                      {"edges", s.edges},
                      {"degree_min", s.min_degree},
                      {"degree_mean", s.mean_degree},
                      {"degree_max", s.max_degree},
                      {"components", s.components},
                      {"diameter_hops", s.diameter},
                      {"diameter_exact", s.diameter_exact}};
  if (s.diameter_exact) j["mean_distance_hops"] = s.mean_distance;
  return j;
}

std::vector<std::uint32_t> bfs_hops(const Topology& t, NodeId source) {
  const std::uint32_t kInf = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> dist(t.node_count(), kInf);
  std::vector<NodeId> queue;
  queue.reserve(t.node_count());
  dist.at(source) = 0;
  queue.push_back(source);
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const NodeId u = queue[head];
    for (NodeId w : t.neighbors(u)) {
      if (dist[w] == kInf) {
        dist[w] = dist[u] + 1;
        queue.push_back(w);
      }
    }
  }
  return dist;
}

TopologyStats topology_stats(const Topology& t, std::uint32_t exact_diameter_limit,
                             std::uint32_t sweeps, std::uint64_t seed) {
  TopologyStats s;
  s.nodes = t.node_count();
  s.edges = t.edge_count();
  s.components = t.component_count();
  if (s.nodes == 0) return s;
  s.min_degree = std::numeric_limits<std::uint32_t>::max();
  for (NodeId v = 0; v < s.nodes; ++v) {
    s.min_degree = std::min(s.min_degree, t.degree(v));
    s.max_degree = std::max(s.max_degree, t.degree(v));
  }
  s.mean_degree = 2.0 * static_cast<double>(s.edges) / s.nodes;
  if (s.components != 1) {
    s.diameter = std::numeric_limits<std::uint32_t>::max();
    s.diameter_exact = true;
    return s;
  }
  auto ecc = [&](NodeId v, NodeId* far) {
    const auto d = bfs_hops(t, v);
    const auto it = std::max_element(d.begin(), d.end());
    if (far != nullptr) *far = static_cast<NodeId>(it - d.begin());
    return std::pair{*it, d};
  };
  if (s.nodes <= exact_diameter_limit) {
    double total = 0.0;
    for (NodeId v = 0; v < s.nodes; ++v) {
      const auto [e, d] = ecc(v, nullptr);
      s.diameter = std::max(s.diameter, e);
      for (std::uint32_t x : d) total += x;
    }
    s.diameter_exact = true;
    s.mean_distance = s.nodes > 1 ? total / (static_cast<double>(s.nodes) * (s.nodes - 1)) : 0.0;
  } else {
    std::mt19937_64 rng(seed);
    for (std::uint32_t i = 0; i < std::max<std::uint32_t>(sweeps, 1); ++i) {
      NodeId far = 0;
      ecc(static_cast<NodeId>(uniform_below(rng, s.nodes)), &far);
      s.diameter = std::max(s.diameter, ecc(far, nullptr).first);
    }
    s.diameter_exact = false;
  }
  return s;
}

}  // namespace pipesim::network
