// Maps a scenario's network.latency section onto models/network's LatencyModel.
#pragma once

#include "sim/scenario.hpp"
#include "sim/transport.hpp"

namespace pipesim::sim {

/// The base one-way latency function of the scenario (jitter is added by the Transport).
/// Throws ScenarioError (path network.latency) if the model's parameters are rejected.
Transport::LatencyFn make_latency_fn(const Scenario& scenario);

}  // namespace pipesim::sim
