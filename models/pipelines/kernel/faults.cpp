#include "models/pipelines/kernel/faults.hpp"

#include <cstdint>

namespace pipesim::pipelines {

std::vector<bool> honest_nodes(const sim::Scenario& scenario, ByzantineNodes byzantine) {
  std::vector<bool> honest(scenario.network.validators, true);
  for (std::uint32_t c : scenario.faults.crashed) honest[c] = false;
  for (std::uint32_t d : scenario.faults.divergent) honest[d] = false;
  if (byzantine == ByzantineNodes::kExcluded) {
    const std::vector<bool> ever = sim::ever_byzantine(scenario);
    for (std::size_t i = 0; i < honest.size(); ++i) honest[i] = honest[i] && !ever[i];
  }
  return honest;
}

bool behaviour_scheduled(const sim::Scenario& scenario, std::string_view behaviour) {
  for (std::uint32_t v = 0; v < scenario.network.validators; ++v) {
    if (!sim::byzantine_events(scenario, v, behaviour).empty()) return true;
  }
  return false;
}

}  // namespace pipesim::pipelines
