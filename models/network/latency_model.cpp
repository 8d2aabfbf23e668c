#include "models/network/latency_model.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace pipesim::network {
namespace {

std::string num(double v) {
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument("latency model: " + message);
}

void require_nodes(std::uint32_t nodes) {
  require(nodes >= 1, "node count must be >= 1, got 0");
}

void require_non_negative(double v, const char* name) {
  require(std::isfinite(v) && v >= 0.0,
          std::string(name) + " must be a finite number >= 0, got " + num(v));
}

constexpr double kMsToS = 1e-3;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

std::string_view to_string(LatencyKind kind) {
  switch (kind) {
    case LatencyKind::kConstant:
      return "constant";
    case LatencyKind::kUniform:
      return "uniform";
    case LatencyKind::kNormal:
      return "normal";
    case LatencyKind::kLogNormal:
      return "lognormal";
    case LatencyKind::kRegionMatrix:
      return "region_matrix";
    case LatencyKind::kVivaldi:
      return "vivaldi";
  }
  return "unknown";
}

std::string_view to_string(JitterKind kind) {
  switch (kind) {
    case JitterKind::kUniform:
      return "uniform";
    case JitterKind::kNormal:
      return "normal";
    case JitterKind::kPareto:
      return "pareto";
  }
  return "unknown";
}

std::vector<std::uint32_t> apportion(std::uint32_t n, std::span<const double> weights) {
  require(!weights.empty(), "region weights must not be empty");
  double sum = 0.0;
  for (std::size_t r = 0; r < weights.size(); ++r) {
    require(std::isfinite(weights[r]) && weights[r] >= 0.0,
            "region weight " + std::to_string(r) + " must be a finite number >= 0, got " +
                num(weights[r]));
    sum += weights[r];
  }
  require(sum > 0.0, "region weights must not all be zero");

  std::vector<std::uint32_t> counts(weights.size());
  std::vector<double> remainder(weights.size());
  std::uint64_t assigned = 0;
  for (std::size_t r = 0; r < weights.size(); ++r) {
    const double quota = static_cast<double>(n) * (weights[r] / sum);
    const double whole = std::floor(quota);
    counts[r] = static_cast<std::uint32_t>(whole);
    remainder[r] = quota - whole;
    assigned += counts[r];
  }
  // Rounding of the quotas can make the floors sum above n by a node in extreme cases: take
  // back from the smallest remainders first. Normally assigned <= n and the largest remainders
  // get the leftover nodes.
  std::vector<std::size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return remainder[x] > remainder[y]; });
  for (std::size_t i = 0; assigned < n; i = (i + 1) % order.size()) {
    if (weights[order[i]] == 0.0) continue;
    ++counts[order[i]];
    ++assigned;
  }
  for (std::size_t i = order.size(); assigned > n;) {
    i = (i == 0 ? order.size() : i) - 1;
    if (counts[order[i]] == 0) continue;
    --counts[order[i]];
    --assigned;
  }
  return counts;
}

LatencyModel LatencyModel::constant(std::uint32_t nodes, const ConstantLatencyParams& p,
                                    double jitter_ms) {
  require_nodes(nodes);
  require_non_negative(p.one_way_ms, "constant one_way_ms");
  require_non_negative(jitter_ms, "jitter_ms");
  LatencyModel m;
  m.kind_ = LatencyKind::kConstant;
  m.nodes_ = nodes;
  m.a_ = p.one_way_ms * kMsToS;
  m.jitter_s_ = jitter_ms * kMsToS;
  m.region_counts_ = {nodes};
  return m;
}

LatencyModel LatencyModel::uniform(std::uint32_t nodes, const UniformLatencyParams& p,
                                   std::uint64_t seed, double jitter_ms) {
  require_nodes(nodes);
  require_non_negative(p.min_ms, "uniform min_ms");
  require_non_negative(p.max_ms, "uniform max_ms");
  require(p.max_ms >= p.min_ms,
          "uniform max_ms (" + num(p.max_ms) + ") must be >= min_ms (" + num(p.min_ms) + ")");
  require_non_negative(jitter_ms, "jitter_ms");
  LatencyModel m;
  m.kind_ = LatencyKind::kUniform;
  m.nodes_ = nodes;
  m.seed_mixed_ = splitmix64(seed);
  m.a_ = p.min_ms * kMsToS;
  m.b_ = (p.max_ms - p.min_ms) * kMsToS;
  m.jitter_s_ = jitter_ms * kMsToS;
  m.region_counts_ = {nodes};
  return m;
}

LatencyModel LatencyModel::normal(std::uint32_t nodes, const NormalLatencyParams& p,
                                  std::uint64_t seed, double jitter_ms) {
  require_nodes(nodes);
  require(std::isfinite(p.mean_ms), "normal mean_ms must be finite, got " + num(p.mean_ms));
  require_non_negative(p.stddev_ms, "normal stddev_ms");
  require_non_negative(p.floor_ms, "normal floor_ms");
  require_non_negative(jitter_ms, "jitter_ms");
  LatencyModel m;
  m.kind_ = LatencyKind::kNormal;
  m.nodes_ = nodes;
  m.seed_mixed_ = splitmix64(seed);
  m.a_ = p.mean_ms * kMsToS;
  m.b_ = p.stddev_ms * kMsToS;
  m.floor_s_ = p.floor_ms * kMsToS;
  m.jitter_s_ = jitter_ms * kMsToS;
  m.region_counts_ = {nodes};
  return m;
}

LatencyModel LatencyModel::lognormal(std::uint32_t nodes, const LogNormalLatencyParams& p,
                                     std::uint64_t seed, double jitter_ms) {
  require_nodes(nodes);
  require(std::isfinite(p.median_ms) && p.median_ms > 0.0,
          "lognormal median_ms must be a finite number > 0, got " + num(p.median_ms));
  require_non_negative(p.sigma, "lognormal sigma");
  require_non_negative(p.floor_ms, "lognormal floor_ms");
  require_non_negative(jitter_ms, "jitter_ms");
  LatencyModel m;
  m.kind_ = LatencyKind::kLogNormal;
  m.nodes_ = nodes;
  m.seed_mixed_ = splitmix64(seed);
  m.a_ = std::log(p.median_ms * kMsToS);  // mu of ln(latency in seconds)
  m.b_ = p.sigma;
  m.floor_s_ = p.floor_ms * kMsToS;
  m.jitter_s_ = jitter_ms * kMsToS;
  m.region_counts_ = {nodes};
  return m;
}

LatencyModel LatencyModel::region_matrix(std::uint32_t nodes, RegionMatrixParams p,
                                         double jitter_ms) {
  require_nodes(nodes);
  require_non_negative(jitter_ms, "jitter_ms");
  const std::size_t r_count = p.region_names.size();
  require(r_count >= 1, "region_matrix needs at least one region");
  require(r_count <= std::numeric_limits<std::uint16_t>::max(),
          "region_matrix supports at most 65535 regions, got " + std::to_string(r_count));
  {
    std::set<std::string> seen;
    for (const auto& name : p.region_names) {
      require(seen.insert(name).second, "region name \"" + name + "\" appears twice");
    }
  }
  require(p.one_way_ms.size() == r_count,
          "region_matrix one_way_ms has " + std::to_string(p.one_way_ms.size()) +
              " rows, expected one per region (" + std::to_string(r_count) + ")");
  require(p.weights.size() == r_count,
          "region_matrix weights has " + std::to_string(p.weights.size()) +
              " entries, expected one per region (" + std::to_string(r_count) + ")");
  LatencyModel m;
  m.kind_ = LatencyKind::kRegionMatrix;
  m.nodes_ = nodes;
  m.jitter_s_ = jitter_ms * kMsToS;
  m.matrix_s_.resize(r_count * r_count);
  for (std::size_t i = 0; i < r_count; ++i) {
    require(p.one_way_ms[i].size() == r_count, "region_matrix one_way_ms row " + std::to_string(i) +
                                                   " (" + p.region_names[i] + ") has " +
                                                   std::to_string(p.one_way_ms[i].size()) +
                                                   " columns, expected " + std::to_string(r_count));
    for (std::size_t j = 0; j < r_count; ++j) {
      const double v = p.one_way_ms[i][j];
      require(std::isfinite(v) && v >= 0.0, "region_matrix one_way_ms[" + p.region_names[i] + "][" +
                                                p.region_names[j] +
                                                "] must be a finite number >= 0, got " + num(v));
      m.matrix_s_[i * r_count + j] = v * kMsToS;
    }
  }
  m.region_counts_ = apportion(nodes, p.weights);

  m.region_of_.resize(nodes);
  if (p.assignment == RegionAssignment::kContiguous) {
    std::uint32_t node = 0;
    for (std::size_t r = 0; r < r_count; ++r) {
      for (std::uint32_t k = 0; k < m.region_counts_[r]; ++k) {
        m.region_of_[node++] = static_cast<std::uint16_t>(r);
      }
    }
  } else {
    // Smooth weighted round-robin: node i goes to the region r with remaining capacity that
    // maximises deficit_r = c_r * (i + 1) - assigned_r * n (its share of the first i+1 nodes
    // minus what it has, scaled by n to stay in integers). Exact counts by construction.
    std::vector<std::uint32_t> assigned(r_count, 0);
    const std::int64_t n = nodes;
    for (std::uint32_t i = 0; i < nodes; ++i) {
      std::size_t best = r_count;
      std::int64_t best_deficit = 0;
      for (std::size_t r = 0; r < r_count; ++r) {
        if (assigned[r] == m.region_counts_[r]) continue;
        const std::int64_t deficit = static_cast<std::int64_t>(m.region_counts_[r]) * (i + 1) -
                                     static_cast<std::int64_t>(assigned[r]) * n;
        if (best == r_count || deficit > best_deficit) {
          best = r;
          best_deficit = deficit;
        }
      }
      m.region_of_[i] = static_cast<std::uint16_t>(best);
      ++assigned[best];
    }
  }
  m.regions_ = std::move(p.region_names);
  return m;
}

LatencyModel LatencyModel::vivaldi(std::uint32_t nodes, std::span<const VivaldiCoord> coords,
                                   double jitter_ms) {
  require_nodes(nodes);
  require_non_negative(jitter_ms, "jitter_ms");
  require(coords.size() == nodes, "vivaldi needs one coordinate per node: got " +
                                      std::to_string(coords.size()) + " for " +
                                      std::to_string(nodes) + " nodes");
  LatencyModel m;
  m.kind_ = LatencyKind::kVivaldi;
  m.nodes_ = nodes;
  m.jitter_s_ = jitter_ms * kMsToS;
  m.region_counts_ = {nodes};
  m.coords_s_.reserve(nodes);
  for (std::size_t i = 0; i < coords.size(); ++i) {
    const VivaldiCoord& c = coords[i];
    require(std::isfinite(c.x_ms) && std::isfinite(c.y_ms),
            "vivaldi coordinate of node " + std::to_string(i) + " must be finite, got (" +
                num(c.x_ms) + ", " + num(c.y_ms) + ")");
    require(std::isfinite(c.height_ms) && c.height_ms >= 0.0,
            "vivaldi height of node " + std::to_string(i) + " must be a finite number >= 0, got " +
                num(c.height_ms));
    m.coords_s_.push_back({c.x_ms * kMsToS, c.y_ms * kMsToS, c.height_ms * kMsToS});
  }
  return m;
}

LatencyModel LatencyModel::with_node_extra_ms(std::span<const double> extra_ms) const {
  require(extra_ms.size() == nodes_, "node extra latency needs one value per node: got " +
                                         std::to_string(extra_ms.size()) + " for " +
                                         std::to_string(nodes_) + " nodes");
  LatencyModel m = *this;
  m.extra_s_.assign(nodes_, 0.0);
  bool any = false;
  for (std::size_t i = 0; i < extra_ms.size(); ++i) {
    require(std::isfinite(extra_ms[i]) && extra_ms[i] >= 0.0,
            "node extra latency of node " + std::to_string(i) +
                " must be a finite number >= 0 (ms), got " + num(extra_ms[i]));
    m.extra_s_[i] = extra_ms[i] * kMsToS;
    any = any || extra_ms[i] != 0.0;
  }
  if (!any) m.extra_s_.clear();  // keeps the common query path branch-cheap
  return m;
}

LatencyModel LatencyModel::with_normal_jitter(double stddev_ms) const {
  require_non_negative(stddev_ms, "normal jitter stddev_ms");
  LatencyModel m = *this;
  m.jitter_kind_ = JitterKind::kNormal;
  m.jitter_s_ = stddev_ms * kMsToS;
  m.jitter_matrix_s_.clear();
  return m;
}

LatencyModel LatencyModel::with_normal_jitter_matrix(
    const std::vector<std::vector<double>>& stddev_ms) const {
  require(kind_ == LatencyKind::kRegionMatrix,
          "a per-region-pair jitter matrix needs the region_matrix kind, not " +
              std::string(to_string(kind_)));
  const std::size_t r_count = regions_.size();
  require(stddev_ms.size() == r_count, "jitter matrix has " + std::to_string(stddev_ms.size()) +
                                           " rows, expected " + std::to_string(r_count));
  LatencyModel m = *this;
  m.jitter_kind_ = JitterKind::kNormal;
  m.jitter_s_ = 0.0;
  m.jitter_matrix_s_.assign(r_count * r_count, 0.0);
  for (std::size_t i = 0; i < r_count; ++i) {
    require(stddev_ms[i].size() == r_count, "jitter matrix row " + std::to_string(i) + " has " +
                                                std::to_string(stddev_ms[i].size()) +
                                                " columns, expected " + std::to_string(r_count));
    for (std::size_t j = 0; j < r_count; ++j) {
      const double v = stddev_ms[i][j];
      require(std::isfinite(v) && v >= 0.0, "jitter matrix [" + regions_[i] + "][" + regions_[j] +
                                                "] must be a finite number >= 0, got " + num(v));
      m.jitter_matrix_s_[i * r_count + j] = v * kMsToS;
    }
  }
  return m;
}

LatencyModel LatencyModel::with_pareto_jitter(const ParetoJitterParams& p) const {
  require(std::isfinite(p.shape_per_ms) && p.shape_per_ms > 0.0,
          "pareto shape_per_ms must be a finite number > 0, got " + num(p.shape_per_ms));
  require_non_negative(p.scale_offset_ms, "pareto scale_offset_ms");
  LatencyModel m = *this;
  m.jitter_kind_ = JitterKind::kPareto;
  m.pareto_ = p;
  m.jitter_s_ = 0.0;
  m.jitter_matrix_s_.clear();
  return m;
}

std::uint32_t LatencyModel::region_of(NodeId node) const {
  if (node >= nodes_) {
    throw std::out_of_range("latency model: node " + std::to_string(node) +
                            " out of range (node count " + std::to_string(nodes_) + ")");
  }
  return kind_ == LatencyKind::kRegionMatrix ? region_of_[node] : 0;
}

void LatencyModel::throw_out_of_range(NodeId from, NodeId to) const {
  throw std::out_of_range("latency model: node pair (" + std::to_string(from) + ", " +
                          std::to_string(to) + ") out of range (node count " +
                          std::to_string(nodes_) + ")");
}

RegionLatencyMatrix load_cloudping_matrix(const std::filesystem::path& file,
                                          std::span<const std::string> regions) {
  const std::string where = "cloudping matrix '" + file.string() + "'";
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + where);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(where + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_object() ||
      doc["data"].empty()) {
    throw std::runtime_error(where +
                             ": expected {\"data\": {FROM: {TO: milliseconds}}} with at least one "
                             "region");
  }
  const nlohmann::json& data = doc["data"];
  std::vector<std::string> available;
  for (const auto& [name, row] : data.items()) available.push_back(name);
  std::sort(available.begin(), available.end());

  RegionLatencyMatrix out;
  if (regions.empty()) {
    out.region_names = available;
  } else {
    std::set<std::string> seen;
    for (const std::string& r : regions) {
      if (!data.contains(r)) {
        throw std::invalid_argument(where + ": unknown region \"" + r +
                                    "\"; available: " + join(available));
      }
      if (!seen.insert(r).second) {
        throw std::invalid_argument(where + ": region \"" + r + "\" selected twice");
      }
      out.region_names.push_back(r);
    }
  }

  const std::size_t r_count = out.region_names.size();
  out.one_way_ms.assign(r_count, std::vector<double>(r_count, 0.0));
  for (std::size_t i = 0; i < r_count; ++i) {
    const std::string& from = out.region_names[i];
    const nlohmann::json& row = data[from];
    if (!row.is_object())
      throw std::runtime_error(where + ": data[\"" + from + "\"] is not an object");
    for (std::size_t j = 0; j < r_count; ++j) {
      const std::string& to = out.region_names[j];
      const auto it = row.find(to);
      if (it == row.end()) {
        throw std::runtime_error(where + ": no entry data[\"" + from + "\"][\"" + to + "\"]");
      }
      if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0.0) {
        throw std::runtime_error(where + ": data[\"" + from + "\"][\"" + to +
                                 "\"] must be a number >= 0, got " + it->dump());
      }
      out.one_way_ms[i][j] = it->get<double>() / 2.0;  // round trip -> one way
    }
  }
  return out;
}

}  // namespace pipesim::network
