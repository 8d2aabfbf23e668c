#include "models/network/presets.hpp"

#include "models/common/data_dir.hpp"
#include "models/common/random.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace pipesim::network {
namespace {

using nlohmann::json;

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

struct Reader {
  std::string where;
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw std::runtime_error(where + ": field \"" + field + "\" " + what);
  }
  double number(const json& v, const std::string& field) const {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0.0) {
      fail(field, "must hold finite numbers >= 0, got " + v.dump());
    }
    return v.get<double>();
  }
  const json& get(const json& doc, const std::string& field) const {
    if (!doc.contains(field)) fail(field, "is missing");
    return doc[field];
  }
  std::vector<double> vec(const json& v, const std::string& field, std::size_t len) const {
    if (!v.is_array() || v.size() != len) {
      fail(field, "must be an array of " + std::to_string(len) + " numbers");
    }
    std::vector<double> out;
    for (const auto& x : v) out.push_back(number(x, field));
    return out;
  }
  std::vector<std::vector<double>> matrix(const json& v, const std::string& field,
                                          std::size_t r) const {
    if (!v.is_array() || v.size() != r) {
      fail(field, "must be a " + std::to_string(r) + " x " + std::to_string(r) + " matrix");
    }
    std::vector<std::vector<double>> out;
    for (const auto& row : v) out.push_back(vec(row, field, r));
    return out;
  }
};

}  // namespace

std::filesystem::path network_data_dir() {
  return pipesim::data_dir();
}

// ---- SimBlock ---------------------------------------------------------------------------------

std::filesystem::path simblock_regions_path() {
  return network_data_dir() / "latency" / "simblock" / "simblock-regions.json";
}

SimblockRegions load_simblock_regions(const std::filesystem::path& file) {
  const Reader rd{"simblock regions '" + file.string() + "'"};
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + rd.where);
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(rd.where + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw std::runtime_error(rd.where + ": expected a JSON object");
  SimblockRegions out;
  const json& regions = rd.get(doc, "regions");
  if (!regions.is_array() || regions.empty()) rd.fail("regions", "must be a non-empty array");
  for (const auto& r : regions) {
    if (!r.is_string()) rd.fail("regions", "must hold strings");
    out.regions.push_back(r.get<std::string>());
  }
  const std::size_t r = out.regions.size();
  out.latency_ms_2015 = rd.matrix(rd.get(doc, "latency_ms_2015"), "latency_ms_2015", r);
  out.latency_ms_2019 = rd.matrix(rd.get(doc, "latency_ms_2019"), "latency_ms_2019", r);
  out.download_bps_2015 =
      rd.vec(rd.get(doc, "download_bandwidth_bps_2015"), "download_bandwidth_bps_2015", r);
  out.upload_bps_2015 =
      rd.vec(rd.get(doc, "upload_bandwidth_bps_2015"), "upload_bandwidth_bps_2015", r);
  out.inter_region_bps_2015 =
      rd.number(rd.get(doc, "inter_region_bandwidth_bps_2015"), "inter_region_bandwidth_bps_2015");
  out.download_bps_2019 =
      rd.vec(rd.get(doc, "download_bandwidth_bps_2019"), "download_bandwidth_bps_2019", r);
  out.upload_bps_2019 =
      rd.vec(rd.get(doc, "upload_bandwidth_bps_2019"), "upload_bandwidth_bps_2019", r);
  const json& dist = rd.get(doc, "region_distribution");
  if (!dist.is_object() || dist.empty()) {
    rd.fail("region_distribution", "must be a non-empty object");
  }
  for (const auto& [name, v] : dist.items()) {
    out.distributions[name] = rd.vec(v, "region_distribution." + name, r);
  }
  const json& cdf = rd.get(doc, "outbound_degree_cdf_bitcoin_2015");
  out.outbound_degree_cdf_bitcoin_2015 =
      rd.vec(cdf, "outbound_degree_cdf_bitcoin_2015", cdf.is_array() ? cdf.size() : 0);
  out.outbound_degree_cdf["bitcoin_2015"] = out.outbound_degree_cdf_bitcoin_2015;
  for (const char* name : {"litecoin", "dogecoin"}) {
    const std::string field = std::string("outbound_degree_cdf_") + name;
    if (!doc.contains(field)) continue;  // optional
    const json& c = doc[field];
    out.outbound_degree_cdf[name] = rd.vec(c, field, c.is_array() ? c.size() : 0);
  }
  return out;
}

std::filesystem::path simblock_relay_path() {
  return network_data_dir() / "latency" / "simblock" / "simblock-relay.json";
}

SimblockRelay load_simblock_relay(const std::filesystem::path& file) {
  const Reader rd{"simblock relay settings '" + file.string() + "'"};
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + rd.where);
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(rd.where + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw std::runtime_error(rd.where + ": expected a JSON object");
  SimblockRelay out;
  const auto fraction = [&](const char* field) {
    const double v = rd.number(rd.get(doc, field), field);
    if (v > 1.0) rd.fail(field, "must be a fraction in [0, 1]");
    return v;
  };
  out.block_size_bytes =
      static_cast<std::uint64_t>(rd.number(rd.get(doc, "block_size_bytes"), "block_size_bytes"));
  out.compact_block_size_bytes = static_cast<std::uint64_t>(
      rd.number(rd.get(doc, "compact_block_size_bytes"), "compact_block_size_bytes"));
  out.cbr_usage_rate = fraction("cbr_usage_rate");
  out.churn_node_rate = fraction("churn_node_rate");
  out.failure_rate_control = fraction("cbr_failure_rate_control_node");
  out.failure_rate_churn = fraction("cbr_failure_rate_churn_node");
  const auto runs = [&](const char* field) {
    const json& v = rd.get(doc, field);
    if (!v.is_array() || v.empty()) rd.fail(field, "must be a non-empty array of [value, count]");
    std::vector<double> table;
    for (const auto& run : v) {
      if (!run.is_array() || run.size() != 2) rd.fail(field, "must hold [value, count] pairs");
      const double value = rd.number(run[0], field);
      const double count = rd.number(run[1], field);
      if (value > 1.0 || count != std::floor(count) || count < 1.0) {
        rd.fail(field, "must hold [fraction, positive integer count] pairs, got " + run.dump());
      }
      table.insert(table.end(), static_cast<std::size_t>(count), value);
    }
    return table;
  };
  out.missing_fraction_control = runs("missing_fraction_runs_control_node");
  out.missing_fraction_churn = runs("missing_fraction_runs_churn_node");
  return out;
}

SimblockYear simblock_year_from_string(std::string_view year) {
  if (year == "2015") return SimblockYear::k2015;
  if (year == "2019") return SimblockYear::k2019;
  throw std::invalid_argument("unknown SimBlock year \"" + std::string(year) +
                              "\"; valid: 2015, 2019");
}

RegionMatrixParams simblock_region_params(const SimblockRegions& data, SimblockYear year,
                                          std::string_view distribution,
                                          RegionAssignment assignment) {
  const auto it = data.distributions.find(std::string(distribution));
  if (it == data.distributions.end()) {
    std::vector<std::string> names;
    for (const auto& [name, v] : data.distributions) names.push_back(name);
    throw std::invalid_argument("unknown SimBlock node distribution \"" +
                                std::string(distribution) + "\"; valid: " + join_names(names));
  }
  RegionMatrixParams p;
  p.region_names = data.regions;
  p.one_way_ms = data.latency_ms(year);
  p.weights = it->second;
  p.assignment = assignment;
  return p;
}

LatencyModel simblock_latency(std::uint32_t n, const SimblockRegions& data, SimblockYear year,
                              std::string_view distribution, bool pareto_jitter) {
  LatencyModel m = LatencyModel::region_matrix(n, simblock_region_params(data, year, distribution));
  return pareto_jitter ? m.with_pareto_jitter() : m;
}

double simblock_pair_bandwidth_bps(const SimblockRegions& data, SimblockYear year,
                                   std::uint32_t from_region, std::uint32_t to_region) {
  const std::size_t r = data.regions.size();
  if (from_region >= r || to_region >= r) {
    throw std::out_of_range("simblock bandwidth: region pair (" + std::to_string(from_region) +
                            ", " + std::to_string(to_region) + ") out of range (" +
                            std::to_string(r) + " regions)");
  }
  return std::min(data.upload_bps(year)[from_region], data.download_bps(year)[to_region]);
}

namespace {
void require_simblock_regions(const SimblockRegions& data, const LatencyModel& regions) {
  if (regions.region_count() != data.regions.size()) {
    throw std::invalid_argument("simblock bandwidth: the latency model has " +
                                std::to_string(regions.region_count()) + " regions, SimBlock has " +
                                std::to_string(data.regions.size()));
  }
}
}  // namespace

BandwidthModel simblock_access_bandwidth(const SimblockRegions& data, SimblockYear year,
                                         const LatencyModel& regions) {
  require_simblock_regions(data, regions);
  BandwidthModel bw(regions.node_count(), BandwidthParams{});
  for (NodeId v = 0; v < regions.node_count(); ++v) {
    const std::uint32_t r = regions.region_of(v);
    const double up = data.upload_bps(year)[r];
    const double down = data.download_bps(year)[r];
    bw.set_node(v, BandwidthParams{up / kBitsPerMbit, down / kBitsPerMbit});
  }
  return bw;
}

SimblockPairBandwidth::SimblockPairBandwidth(const SimblockRegions& data, SimblockYear year,
                                             const LatencyModel& regions) {
  require_simblock_regions(data, regions);
  r_ = data.regions.size();
  rate_.resize(r_ * r_);
  for (std::uint32_t a = 0; a < r_; ++a) {
    for (std::uint32_t b = 0; b < r_; ++b) {
      rate_[a * r_ + b] = simblock_pair_bandwidth_bps(data, year, a, b) / 8.0;
    }
  }
  region_of_.resize(regions.node_count());
  for (NodeId v = 0; v < regions.node_count(); ++v) {
    region_of_[v] = static_cast<std::uint16_t>(regions.region_of(v));
  }
}

// ---- AWS --------------------------------------------------------------------------------------

std::vector<std::vector<double>> commonware_jitter_ms(const RegionLatencyMatrix& p50,
                                                      const RegionLatencyMatrix& p90) {
  if (p50.region_names != p90.region_names) {
    throw std::invalid_argument(
        "commonware jitter: the p50 and p90 matrices must have the same regions in the same "
        "order");
  }
  const std::size_t r = p50.region_names.size();
  std::vector<std::vector<double>> out(r, std::vector<double>(r, 0.0));
  for (std::size_t i = 0; i < r; ++i) {
    for (std::size_t j = 0; j < r; ++j) {
      out[i][j] = std::max(0.0, p90.one_way_ms[i][j] - p50.one_way_ms[i][j]);
    }
  }
  return out;
}

// ---- Node classes -----------------------------------------------------------------------------

std::span<const NodeClass> ethshadow_classes() {
  static const std::array<NodeClass, 5> kClasses = {{
      {"reliable", 0.0, 0.0, 1000.0, 1000.0},
      {"home", 20.0, 0.001, 50.0, 50.0},
      {"laggy", 300.0, 0.05, 50.0, 50.0},
      {"constrained", 20.0, 0.001, 5.0, 5.0},
      {"bad", 500.0, 0.2, 2.0, 2.0},
  }};
  return kClasses;
}

const NodeClass& ethshadow_class(std::string_view name) {
  for (const NodeClass& c : ethshadow_classes()) {
    if (c.name == name) return c;
  }
  throw std::invalid_argument("unknown node class \"" + std::string(name) +
                              "\"; valid: reliable, home, laggy, constrained, bad");
}

std::vector<double> ClassAssignment::extra_latency_ms() const {
  std::vector<double> out(class_of.size());
  for (std::size_t v = 0; v < class_of.size(); ++v) out[v] = classes[class_of[v]].extra_latency_ms;
  return out;
}

void ClassAssignment::apply_bandwidth(BandwidthModel& bw) const {
  if (bw.node_count() != class_of.size()) {
    throw std::invalid_argument("class assignment has " + std::to_string(class_of.size()) +
                                " nodes, the bandwidth model " + std::to_string(bw.node_count()));
  }
  for (NodeId v = 0; v < class_of.size(); ++v) {
    const NodeClass& c = classes[class_of[v]];
    bw.set_node(v, BandwidthParams{c.upload_mbps, c.download_mbps});
  }
}

ClassAssignment assign_classes(std::uint32_t n, std::span<const ClassShare> shares,
                               std::uint64_t seed, std::span<const NodeClass> custom) {
  if (n == 0) throw std::invalid_argument("node classes: node count must be >= 1, got 0");
  if (shares.empty()) throw std::invalid_argument("node classes: no class shares given");
  ClassAssignment out;
  std::vector<double> weights;
  std::set<std::string> seen;
  for (const ClassShare& s : shares) {
    if (!seen.insert(s.name).second) {
      throw std::invalid_argument("node classes: class \"" + s.name + "\" given twice");
    }
    const NodeClass* found = nullptr;
    for (const NodeClass& c : custom) {
      if (c.name == s.name) found = &c;
    }
    const NodeClass& c = found != nullptr ? *found : ethshadow_class(s.name);
    validate(BandwidthParams{c.upload_mbps, c.download_mbps});
    if (!std::isfinite(c.extra_latency_ms) || c.extra_latency_ms < 0.0) {
      throw std::invalid_argument("node class \"" + c.name +
                                  "\": extra_latency_ms must be a finite number >= 0");
    }
    out.classes.push_back(c);
    weights.push_back(s.fraction);
  }
  out.counts = apportion(n, weights);
  out.class_of.reserve(n);
  for (std::size_t c = 0; c < out.counts.size(); ++c) {
    out.class_of.insert(out.class_of.end(), out.counts[c], static_cast<std::uint16_t>(c));
  }
  std::mt19937_64 rng(seed);
  pipesim::shuffle(out.class_of.begin(), out.class_of.end(), rng);
  return out;
}

}  // namespace pipesim::network
