// Pipeline registry: builds the Application for a scenario's `pipeline.kind`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

/// Names accepted in `pipeline.kind`.
const std::vector<std::string>& pipeline_kinds();

/// Throws std::invalid_argument naming the allowed kinds for an unknown one.
std::unique_ptr<sim::Application> make_pipeline(const sim::Scenario& scenario,
                                                sim::Runtime& runtime);

}  // namespace pipesim::pipelines
