// Sequential executor: the reference. Runs transactions one after another on worker 0 against
// a block-local write cache over the pre-state. Signature recovery is still spread over
// cfg.threads workers (state-independent), as production clients do.
#pragma once

#include "models/execution/executor.hpp"

namespace pipesim::execution {

class SequentialExecutor final : public Executor {
 public:
  std::string_view name() const override { return "sequential"; }
  ExecutionOutcome execute(const Block& block, std::shared_ptr<const StateLayer> pre_state,
                           const ExecutorConfig& cfg) override;

 private:
  struct Cached {
    U256 value;
    bool dirty = false;
  };
  Vm vm_;
  BasicStateMap<Cached> cache_;  // reused between blocks
};

}  // namespace pipesim::execution
