// Pipeline registry: one row per pipeline kind (registry/pipeline_info.hpp: name, label, colour,
// marker, consensus protocol, own scenario sections, trace tracks) paired with its factory here.
// The scenario's `pipeline.kind` choices and only_for rules, the CLI (`pipesim pipelines`) and
// analysis/ (analysis/pipesim_plots/pipelines.json, written by `pipesim pipelines --json`) all
// read the same rows. Adding a pipeline: docs/architecture.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/pipelines/registry/pipeline_info.hpp"
#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

/// Builds a pipeline's Application for a validated scenario.
using PipelineFactory = std::unique_ptr<sim::Application> (*)(const sim::Scenario&, sim::Runtime&);

/// A registry row: the descriptive half and the factory.
struct PipelineEntry {
  const PipelineInfo* info;
  PipelineFactory make;
};

/// Every registered pipeline, in kPipelineInfos order.
const std::vector<PipelineEntry>& pipeline_registry();

/// Names accepted in `pipeline.kind`.
const std::vector<std::string>& pipeline_kinds();

/// Throws std::invalid_argument naming the allowed kinds for an unknown one.
std::unique_ptr<sim::Application> make_pipeline(const sim::Scenario& scenario,
                                                sim::Runtime& runtime);

/// Builds, without a runtime, what make_pipeline loads before simulating on a replayed workload:
/// the recorded stream and the genesis state layer (with its state commitment) of the stream
/// replayed once (not looped). Nothing for generated workloads or propagation. Used with input
/// reuse on (models/common/input_reuse.hpp) by a process that then forks the simulations: they
/// find both in memory (a looped replay builds its own genesis). Throws as make_pipeline would
/// on bad inputs.
void preload_inputs(const sim::Scenario& scenario);

/// The registry as JSON (`pipesim pipelines --json`): {"pipelines": [{name, label, colour,
/// marker, consensus, own_sections, trace_tracks, summary, metrics: [names]}]}, the metrics
/// being the catalogue rows (kernel/metrics.hpp) the pipeline may report.
nlohmann::json pipelines_json();

}  // namespace pipesim::pipelines
