#include "sim/latency.hpp"

#include <memory>
#include <stdexcept>

#include "models/network/latency_model.hpp"

namespace pipesim::sim {

Transport::LatencyFn make_latency_fn(const Scenario& scenario) {
  namespace net = pipesim::network;
  const auto& c = scenario.network.latency;
  const std::uint32_t n = scenario.network.validators;
  // Per-pair samples get their own stream, derived from the scenario seed.
  const std::uint64_t seed = scenario.seed ^ 0x6c6174656e6379ULL;
  std::shared_ptr<const net::LatencyModel> model;
  try {
    if (c.model == "constant") {
      model = std::make_shared<net::LatencyModel>(net::LatencyModel::constant(n, {c.constant_ms}));
    } else if (c.model == "uniform") {
      model = std::make_shared<net::LatencyModel>(
          net::LatencyModel::uniform(n, {c.min_ms, c.max_ms}, seed));
    } else if (c.model == "normal") {
      model = std::make_shared<net::LatencyModel>(
          net::LatencyModel::normal(n, {c.mean_ms, c.stddev_ms, c.floor_ms}, seed));
    } else if (c.model == "lognormal") {
      model = std::make_shared<net::LatencyModel>(
          net::LatencyModel::lognormal(n, {c.median_ms, c.sigma, c.floor_ms}, seed));
    } else if (c.model == "region_matrix") {
      net::RegionMatrixParams p;
      p.region_names = c.region_names;
      p.one_way_ms = c.one_way_ms;
      p.weights = c.region_weights;
      model = std::make_shared<net::LatencyModel>(net::LatencyModel::region_matrix(n, p));
    } else {
      throw ScenarioError("network.latency.model", "unknown latency model \"" + c.model + "\"");
    }
  } catch (const std::invalid_argument& e) {
    throw ScenarioError("network.latency", e.what());
  }
  return [model](std::uint32_t a, std::uint32_t b) { return model->base_latency_s(a, b); };
}

}  // namespace pipesim::sim
