#include "models/pipelines/kernel/execution_config.hpp"

#include <memory>
#include <utility>

#include "models/execution/state_commitment.hpp"
#include "models/pipelines/chain_state.hpp"

namespace pipesim::pipelines {

execution::ExecutorConfig executor_config(const sim::Scenario& scenario) {
  namespace ex = pipesim::execution;
  ex::ExecutorConfig config;
  config.threads = scenario.pipeline.threads;
  config.lazy_beneficiary = scenario.pipeline.lazy_beneficiary;
  config.occ_batch_size = scenario.pipeline.occ_batch_size;
  config.occ_formation = ex::parse_occ_formation(scenario.pipeline.occ_formation)
                             .value_or(ex::OccFormation::kIndexWindow);
  config.compute_root = true;
  const auto& c = scenario.pipeline.cost_model;
  config.cost = c.model();
  if (c.memory_cache_bytes > 0) {
    config.state_cache = std::make_shared<ex::StateCache>(c.memory_cache_bytes);
  }
  return config;
}

execution::StateLayer::Ptr genesis_state(const sim::Scenario& scenario,
                                         execution::StateMap accounts) {
  namespace ex = pipesim::execution;
  ex::StateBuilder genesis;
  genesis.map() = std::move(accounts);
  for (std::uint32_t v = 0; v < scenario.network.validators; ++v) {
    genesis.set_nonce(ChainState::beneficiary_address(v), 0);
  }
  return ex::StateLayer::make_base(genesis.take(),
                                   ex::parse_commitment_kind(scenario.pipeline.commitment));
}

}  // namespace pipesim::pipelines
