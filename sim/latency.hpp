// Maps a scenario's network section (latency model, presets, jitter kind, node classes,
// bandwidth) onto models/network's LatencyModel and per-node access rates.
//
// No SimGrid here: the platform_xml latencies (SimGrid routes) are built by sim/simulation.cpp,
// which replaces `latency_s` and keeps the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/scenario.hpp"
#include "sim/transport.hpp"

namespace pipesim::network {
class LatencyModel;
}

namespace pipesim::sim {

/// The network of a scenario, ready for the Transport and for gossip.
struct NetworkModel {
  /// The latency model (null only when the caller replaces latency_s, e.g. platform_xml).
  std::shared_ptr<const network::LatencyModel> model;
  /// Base one-way latency in seconds (model->base_latency_s).
  Transport::LatencyFn latency_s;
  /// Per-message latency with the model's jitter (normal / pareto / from_p90), or empty when
  /// jitter_kind is "uniform" (the Transport then adds U[0, jitter_ms] itself).
  Transport::SampleFn sample_s;
  /// Per-node access rates in bytes/s (index = validator). Precedence: network.classes, then
  /// the SimBlock preset's per-region rates (model region_matrix), then network.bandwidth.
  std::vector<double> upload_Bps;
  std::vector<double> download_Bps;
  /// Per-node extra one-way latency in seconds from network.classes (empty without classes).
  std::vector<double> extra_s;
  /// Class name of each node (empty without classes).
  std::vector<std::string> class_of;
};

/// Builds the network model of `scenario`. Reads the data files of presets (SimBlock, AWS p50 /
/// p90 for from_p90, syscoord for vivaldi). Throws ScenarioError naming the JSON path if a model
/// parameter is rejected or a data file cannot be read.
NetworkModel make_network_model(const Scenario& scenario);

/// The base one-way latency function of the scenario (jitter is added by the Transport).
/// Throws ScenarioError (path network.latency) if the model's parameters are rejected.
Transport::LatencyFn make_latency_fn(const Scenario& scenario);

}  // namespace pipesim::sim
