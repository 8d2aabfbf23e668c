#include "models/pipelines/kernel/execution_config.hpp"

#include <memory>
#include <utility>

#include "models/common/input_reuse.hpp"
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

execution::StateLayer::Ptr genesis_state(
    const sim::Scenario& scenario, const std::shared_ptr<const execution::StateMap>& accounts) {
  namespace ex = pipesim::execution;
  const ex::CommitmentKind kind = ex::parse_commitment_kind(scenario.pipeline.commitment);
  const std::uint32_t validators = scenario.network.validators;
  // Input reuse: the last layer built, keyed on the accounts object itself (a weak pointer, so
  // a new map at a freed one's address is never mistaken for it).
  struct Kept {
    std::weak_ptr<const execution::StateMap> accounts;
    std::uint32_t validators = 0;
    ex::CommitmentKind kind{};
    ex::StateLayer::Ptr layer;
  };
  static Kept kept;
  const bool reuse = input_reuse_enabled();
  if (reuse && kept.layer && kept.accounts.lock() == accounts && kept.validators == validators &&
      kept.kind == kind) {
    return kept.layer;
  }
  ex::StateBuilder genesis;
  genesis.map() = *accounts;
  for (std::uint32_t v = 0; v < validators; ++v) {
    genesis.set_nonce(ChainState::beneficiary_address(v), 0);
  }
  auto layer = ex::StateLayer::make_base(genesis.take(), kind);
  if (reuse) kept = Kept{accounts, validators, kind, layer};
  return layer;
}

}  // namespace pipesim::pipelines
