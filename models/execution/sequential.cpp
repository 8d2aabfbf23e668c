#include "models/execution/sequential.hpp"

#include <stdexcept>

namespace pipesim::execution {

ExecutionOutcome SequentialExecutor::execute(const Block& block,
                                             std::shared_ptr<const StateLayer> pre_state,
                                             const ExecutorConfig& cfg) {
  if (!pre_state) throw std::invalid_argument("SequentialExecutor: null pre_state");
  if (cfg.threads == 0) throw std::invalid_argument("SequentialExecutor: threads must be >= 1");
  const std::size_t n = block.txs.size();
  const BlockEnv env = make_block_env(block, cfg);
  ExecutionOutcome out;
  out.receipts.reserve(n);
  out.read_sets.keys.reserve(n * 4);
  out.read_sets.offsets.reserve(n + 1);
  out.write_sets.keys.reserve(n * 4);
  out.write_sets.offsets.reserve(n + 1);
  out.schedule.reserve(2 * n + 1);

  double t = schedule_sig_recovery(n, cfg.threads, cfg.cost, out.schedule);

  cache_.clear();
  BlockStorage storage;  // only for the lazy beneficiary credit at block end
  storage.reset(pre_state.get(), cfg.state_cache.get());

  // One block-local map serves both the block's own writes (dirty) and cached pre-state reads:
  // a miss reads the pre-state (cold if it falls through to the base layer) and caches it.
  struct Reader final : StateReader {
    BasicStateMap<Cached>* cache;
    const StateLayer* pre;
    StateCache* client = nullptr;
    std::uint32_t cold = 0, warm = 0;
    bool read(const StateKey& key, U256& value) override {
      bool inserted = false;
      Cached& c = cache->emplace(key, Cached{}, &inserted);
      if (!inserted) {
        ++warm;
        value = c.value;
        return true;
      }
      bool in_overlay = false;
      c.value = pre->get(key, &in_overlay);
      ++(in_overlay || (client && client->access(key)) ? warm : cold);
      value = c.value;
      return true;
    }
  } reader;
  reader.cache = &cache_;
  reader.pre = pre_state.get();
  reader.client = cfg.state_cache.get();

  U256 fees;
  bool any_included = false;
  std::size_t dirty = 0;
  for (std::size_t i = 0; i < n; ++i) {
    reader.cold = reader.warm = 0;
    const TxResult r = vm_.execute(block.txs[i], env, reader);
    std::uint32_t writes = 0;
    for (const TxAccess& a : vm_.accesses()) {
      if (a.read) out.read_sets.keys.push_back(a.key);
      if (a.written) {
        ++writes;
        out.write_sets.keys.push_back(a.key);
        bool inserted = false;
        Cached& c = cache_.emplace(a.key, Cached{}, &inserted);
        if (!c.dirty) ++dirty;
        c.value = a.current;
        c.dirty = true;
      }
    }
    out.read_sets.close_tx();
    out.write_sets.close_tx();
    out.receipts.push_back(Receipt{r.status, r.gas_used});
    if (is_included(r.status)) {
      any_included = true;
      fees += r.fee;
    }
    out.stats.cold_reads += reader.cold;
    out.stats.warm_reads += reader.warm;
    const double d = cfg.cost.execute_s(block.txs[i], r.gas_used, reader.cold, reader.warm, writes);
    out.schedule.push_back(Span{0, t, t + d, static_cast<std::uint32_t>(i), 0, SpanKind::kExecute});
    t += d;
  }
  out.stats.incarnations = n;

  StateMap delta(dirty);
  cache_.for_each([&](const StateKey& k, const Cached& c) {
    if (c.dirty) delta.set(k, c.value);
  });
  finish_outcome(out, block, env, pre_state, std::move(delta), fees, any_included, storage, cfg, t);
  return out;
}

}  // namespace pipesim::execution
