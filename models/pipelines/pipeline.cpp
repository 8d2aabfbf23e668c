#include "models/pipelines/pipeline.hpp"

#include <stdexcept>

#include "models/pipelines/async_backing.hpp"
#include "models/pipelines/async_execution.hpp"
#include "models/pipelines/interleaved.hpp"
#include "models/pipelines/kernel/execution_config.hpp"
#include "models/pipelines/kernel/metrics.hpp"
#include "models/pipelines/kernel/workload_feed.hpp"
#include "models/pipelines/propagation.hpp"
#include "models/pipelines/speculate_order_replay.hpp"

namespace pipesim::pipelines {
namespace {

PipelineFactory factory_of(std::string_view name) {
  if (name == "interleaved") return make_interleaved;
  if (name == "async_execution") return make_async_execution;
  if (name == "propagation") return make_propagation;
  if (name == "async_backing") return make_async_backing;
  if (name == "speculate_order_replay") return make_speculate_order_replay;
  return nullptr;
}

}  // namespace

const std::vector<PipelineEntry>& pipeline_registry() {
  static const std::vector<PipelineEntry> registry = [] {
    std::vector<PipelineEntry> r;
    for (const auto& info : kPipelineInfos) {
      const PipelineFactory make = factory_of(info.name);
      if (make == nullptr) {
        throw std::logic_error("pipeline registry: no factory for " + std::string(info.name));
      }
      r.push_back({&info, make});
    }
    return r;
  }();
  return registry;
}

const std::vector<std::string>& pipeline_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> k;
    for (const auto& e : pipeline_registry()) k.emplace_back(e.info->name);
    return k;
  }();
  return kinds;
}

void preload_inputs(const sim::Scenario& scenario) {
  // Only replays have inputs worth sharing (a generated workload's genesis is built per source);
  // propagation broadcasts blocks only.
  if (scenario.pipeline.kind == "propagation" || scenario.workload.kind == "transfers") return;
  // The recorded stream, and the genesis layer of the stream replayed once: a looped replay's
  // genesis depends on the point's load and duration (fresh senders per pass), so it is the
  // point's own, and looping here could cost as much as the run (a long point loops thousands
  // of times).
  sim::Scenario once = scenario;
  once.workload.replay_loop = false;
  const std::unique_ptr<workload::TxSource> source = make_tx_source(once);
  genesis_state(once, source->genesis());
}

std::unique_ptr<sim::Application> make_pipeline(const sim::Scenario& scenario,
                                                sim::Runtime& runtime) {
  for (const auto& e : pipeline_registry()) {
    if (e.info->name == scenario.pipeline.kind) return e.make(scenario, runtime);
  }
  std::string allowed;
  for (const auto& k : pipeline_kinds()) allowed += (allowed.empty() ? "" : ", ") + k;
  throw std::invalid_argument("pipeline.kind: unknown pipeline \"" + scenario.pipeline.kind +
                              "\", expected one of: " + allowed);
}

nlohmann::json pipelines_json() {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : pipeline_registry()) {
    const PipelineInfo& p = *e.info;
    nlohmann::json sections = nlohmann::json::array(), tracks = nlohmann::json::array(),
                   metrics = nlohmann::json::array();
    for (auto s : p.own_sections)
      if (!s.empty()) sections.push_back(s);
    for (auto t : p.trace_tracks)
      if (!t.empty()) tracks.push_back(t);
    for (const auto& m : metric_catalogue())
      if (reported_by(m, p.name)) metrics.push_back(m.name);
    rows.push_back({{"name", p.name},
                    {"label", p.label},
                    {"colour", p.colour},
                    {"marker", p.marker},
                    {"consensus", p.consensus},
                    {"own_sections", sections},
                    {"trace_tracks", tracks},
                    {"summary", p.summary},
                    {"metrics", metrics}});
  }
  return {{"pipelines", rows}};
}

}  // namespace pipesim::pipelines
