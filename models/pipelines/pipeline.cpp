#include "models/pipelines/pipeline.hpp"

#include <stdexcept>

#include "models/pipelines/async_backing.hpp"
#include "models/pipelines/async_execution.hpp"
#include "models/pipelines/interleaved.hpp"
#include "models/pipelines/propagation.hpp"
#include "models/pipelines/speculate_order_replay.hpp"

namespace pipesim::pipelines {

const std::vector<std::string>& pipeline_kinds() {
  static const std::vector<std::string> kinds{"interleaved", "async_execution", "propagation",
                                              "async_backing", "speculate_order_replay"};
  return kinds;
}

std::unique_ptr<sim::Application> make_pipeline(const sim::Scenario& scenario,
                                                sim::Runtime& runtime) {
  if (scenario.pipeline.kind == "interleaved") return make_interleaved(scenario, runtime);
  if (scenario.pipeline.kind == "async_execution") return make_async_execution(scenario, runtime);
  if (scenario.pipeline.kind == "propagation") return make_propagation(scenario, runtime);
  if (scenario.pipeline.kind == "async_backing") return make_async_backing(scenario, runtime);
  if (scenario.pipeline.kind == "speculate_order_replay") {
    return make_speculate_order_replay(scenario, runtime);
  }
  std::string allowed;
  for (const auto& k : pipeline_kinds()) allowed += (allowed.empty() ? "" : ", ") + k;
  throw std::invalid_argument("pipeline.kind: unknown pipeline \"" + scenario.pipeline.kind +
                              "\", expected one of: " + allowed);
}

}  // namespace pipesim::pipelines
