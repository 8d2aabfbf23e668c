#include "sim/latency.hpp"

#include <memory>
#include <stdexcept>

#include "models/network/bandwidth.hpp"
#include "models/network/latency_model.hpp"
#include "models/network/presets.hpp"
#include "models/network/vivaldi.hpp"

namespace pipesim::sim {
namespace {

namespace net = pipesim::network;

/// The base model of network.latency (uniform jitter_ms folded in so that gossip can sample it;
/// the Transport draws its own uniform jitter for direct messages).
net::LatencyModel base_model(const Scenario& scenario, std::uint64_t seed) {
  const auto& c = scenario.network.latency;
  const std::uint32_t n = scenario.network.validators;
  const double uj = c.jitter_kind == "uniform" ? c.jitter_ms : 0.0;
  if (c.model == "constant") return net::LatencyModel::constant(n, {c.constant_ms}, uj);
  if (c.model == "uniform") return net::LatencyModel::uniform(n, {c.min_ms, c.max_ms}, seed, uj);
  if (c.model == "normal") {
    return net::LatencyModel::normal(n, {c.mean_ms, c.stddev_ms, c.floor_ms}, seed, uj);
  }
  if (c.model == "lognormal") {
    return net::LatencyModel::lognormal(n, {c.median_ms, c.sigma, c.floor_ms}, seed, uj);
  }
  if (c.model == "vivaldi") {
    std::vector<net::VivaldiPeer> peers;
    try {
      peers = net::load_syscoord(net::syscoord_path(c.vivaldi_dataset));
    } catch (const std::runtime_error& e) {
      throw ScenarioError("network.latency.vivaldi_dataset", e.what());
    }
    return net::vivaldi_latency(n, peers, net::peer_selection_from_string(c.vivaldi_selection),
                                seed, uj);
  }
  if (c.model == "region_matrix") {
    if (c.preset.rfind("simblock_", 0) == 0) {
      net::SimblockRegions data;
      try {
        data = net::load_simblock_regions(net::simblock_regions_path());
      } catch (const std::runtime_error& e) {
        throw ScenarioError("network.latency.preset", e.what());
      }
      const auto year = net::simblock_year_from_string(c.preset.substr(9));
      net::RegionMatrixParams p = net::simblock_region_params(data, year, c.region_distribution);
      return net::LatencyModel::region_matrix(n, std::move(p), uj);
    }
    net::RegionMatrixParams p;
    p.region_names = c.region_names;
    p.one_way_ms = c.one_way_ms;
    p.weights = c.region_weights;
    return net::LatencyModel::region_matrix(n, std::move(p), uj);
  }
  throw ScenarioError("network.latency.model", "unknown latency model \"" + c.model + "\"");
}

/// Applies network.latency.jitter_kind (normal / pareto / from_p90) to `m`.
net::LatencyModel with_jitter(const Scenario& scenario, net::LatencyModel m) {
  const auto& c = scenario.network.latency;
  if (c.jitter_kind == "normal") return m.with_normal_jitter(c.jitter_ms);
  if (c.jitter_kind == "pareto") return m.with_pareto_jitter();
  if (c.jitter_kind == "from_p90") {
    net::RegionLatencyMatrix p50, p90;
    const auto dir = net::network_data_dir() / "latency" / "aws";
    try {
      p50 = net::load_cloudping_matrix(dir / "p50.json", c.region_names);
      p90 = net::load_cloudping_matrix(dir / "p90.json", c.region_names);
    } catch (const std::runtime_error& e) {
      throw ScenarioError("network.latency.jitter_kind", e.what());
    }
    return m.with_normal_jitter_matrix(net::commonware_jitter_ms(p50, p90));
  }
  return m;
}

}  // namespace

NetworkModel make_network_model(const Scenario& scenario) {
  const auto& c = scenario.network.latency;
  const std::uint32_t n = scenario.network.validators;
  // Per-pair samples get their own stream, derived from the scenario seed.
  const std::uint64_t seed = scenario.seed ^ 0x6c6174656e6379ULL;
  NetworkModel out;
  try {
    net::LatencyModel m = with_jitter(scenario, base_model(scenario, seed));
    // Bandwidth: network.bandwidth, replaced by SimBlock's per-region rates, then by classes.
    net::BandwidthModel bw(
        n, {scenario.network.bandwidth.upload_mbps, scenario.network.bandwidth.download_mbps});
    if (c.model == "region_matrix" && c.preset.rfind("simblock_", 0) == 0) {
      const auto data = net::load_simblock_regions(net::simblock_regions_path());
      bw = net::simblock_access_bandwidth(data, net::simblock_year_from_string(c.preset.substr(9)),
                                          m);
    }
    if (!scenario.network.classes.empty()) {
      std::vector<net::ClassShare> shares;
      for (const auto& s : scenario.network.classes) shares.push_back({s.name, s.fraction});
      const net::ClassAssignment a =
          net::assign_classes(n, shares, scenario.seed ^ 0x636c6173736573ULL);
      a.apply_bandwidth(bw);
      const std::vector<double> extra_ms = a.extra_latency_ms();
      m = m.with_node_extra_ms(extra_ms);
      for (double e : extra_ms) out.extra_s.push_back(e / 1000.0);
      for (std::uint32_t v = 0; v < n; ++v) out.class_of.push_back(a.of(v).name);
    }
    out.upload_Bps.resize(n);
    out.download_Bps.resize(n);
    for (std::uint32_t v = 0; v < n; ++v) {
      out.upload_Bps[v] = bw.upload_bytes_per_s(v);
      out.download_Bps[v] = bw.download_bytes_per_s(v);
    }
    out.model = std::make_shared<const net::LatencyModel>(std::move(m));
  } catch (const std::invalid_argument& e) {
    throw ScenarioError("network.latency", e.what());
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const ScenarioError*>(&e) != nullptr) throw;
    throw ScenarioError("network", e.what());
  }
  auto model = out.model;
  out.latency_s = [model](std::uint32_t a, std::uint32_t b) { return model->base_latency_s(a, b); };
  if (c.jitter_kind != "uniform") {
    out.sample_s = [model](std::uint32_t a, std::uint32_t b, std::mt19937_64& rng) {
      return model->sample_latency_s(a, b, rng);
    };
  }
  return out;
}

Transport::LatencyFn make_latency_fn(const Scenario& scenario) {
  return make_network_model(scenario).latency_s;
}

}  // namespace pipesim::sim
