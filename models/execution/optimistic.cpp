#include "models/execution/optimistic.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace pipesim::execution {

namespace {

// Phase 1: the pre-state only, through the block's read cache (cold on first touch).
struct PreStateReader final : StateReader {
  BlockStorage* storage = nullptr;
  std::uint32_t cold = 0, warm = 0;
  bool read(const StateKey& key, U256& value) override {
    bool is_cold = false;
    value = storage->read(key, is_cold);
    ++(is_cold ? cold : warm);
    return true;
  }
};

// Phase-1 results of every transaction, in flat arrays (transactions start in block order).
struct Phase1 {
  std::vector<TxResult> results;
  std::vector<StateKey> reads;
  std::vector<std::uint32_t> read_offsets{0};
  std::vector<std::pair<StateKey, U256>> writes;
  std::vector<std::uint32_t> write_offsets{0};
  std::vector<double> end_s;
};

}  // namespace

ExecutionOutcome OptimisticExecutor::execute(const Block& block,
                                             std::shared_ptr<const StateLayer> pre_state,
                                             const ExecutorConfig& cfg) {
  if (!pre_state) throw std::invalid_argument("OptimisticExecutor: null pre_state");
  if (cfg.threads == 0) throw std::invalid_argument("OptimisticExecutor: threads must be >= 1");
  const auto n = static_cast<std::uint32_t>(block.txs.size());
  const std::uint32_t workers = cfg.threads;
  const BlockEnv env = make_block_env(block, cfg);
  ExecutionOutcome out;
  out.receipts.reserve(n);
  out.schedule.reserve(3 * static_cast<std::size_t>(n) + 1);
  const double t0 = schedule_sig_recovery(n, workers, cfg.cost, out.schedule);

  BlockStorage storage;
  storage.reset(pre_state.get(), cfg.state_cache.get());
  StateMap merged;  // writes of the merged transactions 0..m-1 (the block's delta so far)

  Phase1 p1;
  p1.results.reserve(n);
  p1.read_offsets.reserve(n + 1);
  p1.write_offsets.reserve(n + 1);
  p1.end_s.reserve(n);

  std::vector<double> free_at(workers, t0);
  std::uint32_t next_exec = 0;   // next transaction to start phase 1
  std::uint32_t next_merge = 0;  // next transaction to merge
  U256 fees;
  bool any_included = false;

  // Every task is computed at its span's start, and spans start in non-decreasing time order,
  // so BlockStorage's cold/warm accounting follows virtual time.
  while (next_merge < n) {
    std::uint32_t w = 0;
    for (std::uint32_t k = 1; k < workers; ++k)
      if (free_at[k] < free_at[w]) w = k;
    const bool merge_ready = next_merge < next_exec && p1.end_s[next_merge] <= free_at[0];
    if (next_exec < n && !(w == 0 && merge_ready)) {
      // Phase 1: execute next_exec on the pre-state on worker w.
      const std::uint32_t i = next_exec++;
      PreStateReader reader;
      reader.storage = &storage;
      const TxResult r = vm_.execute(block.txs[i], env, reader);
      for (const TxAccess& a : vm_.accesses()) {
        if (a.read) p1.reads.push_back(a.key);
        if (a.written) p1.writes.emplace_back(a.key, a.current);
      }
      p1.read_offsets.push_back(static_cast<std::uint32_t>(p1.reads.size()));
      p1.write_offsets.push_back(static_cast<std::uint32_t>(p1.writes.size()));
      p1.results.push_back(r);
      out.stats.cold_reads += reader.cold;
      out.stats.warm_reads += reader.warm;
      const double d = cfg.cost.execute_s(block.txs[i], r.gas_used, reader.cold, reader.warm,
                                          p1.write_offsets.back() -
                                              p1.write_offsets[p1.write_offsets.size() - 2]) +
                       cfg.cost.parallel_task_s(0);
      out.schedule.push_back(Span{w, free_at[w], free_at[w] + d, i, 0, SpanKind::kExecute});
      free_at[w] += d;
      p1.end_s.push_back(free_at[w]);
      continue;
    }

    // Phase 2: merge next_merge on worker 0 (its phase 1 has been scheduled: next_merge <
    // next_exec, since either merge_ready or every execution has started).
    const std::uint32_t i = next_merge++;
    double t = std::max(free_at[0], p1.end_s[i]);
    const std::uint32_t r0 = p1.read_offsets[i], r1 = p1.read_offsets[i + 1];
    std::uint32_t checked = 0;
    bool conflict = false;
    for (std::uint32_t k = r0; k < r1; ++k) {
      ++checked;
      if (merged.find(p1.reads[k])) {
        conflict = true;
        break;
      }
    }
    ++out.stats.validations;
    TxResult final_result;
    if (!conflict) {
      const std::uint32_t w0 = p1.write_offsets[i], w1 = p1.write_offsets[i + 1];
      for (std::uint32_t k = w0; k < w1; ++k) {
        merged.set(p1.writes[k].first, p1.writes[k].second);
        out.write_sets.keys.push_back(p1.writes[k].first);
      }
      for (std::uint32_t k = r0; k < r1; ++k) out.read_sets.keys.push_back(p1.reads[k]);
      const double d = cfg.cost.validate_s(checked + (w1 - w0));
      out.schedule.push_back(Span{0, t, t + d, i, 0, SpanKind::kValidate});
      t += d;
      final_result = p1.results[i];
    } else {
      const double dv = cfg.cost.validate_s(checked);
      out.schedule.push_back(Span{0, t, t + dv, i, 0, SpanKind::kValidate});
      t += dv;
      ++out.stats.aborts;
      ++out.stats.re_executions;
      OverlayReader reader;  // the merged writes of earlier transactions, then the pre-state
      reader.overlay = &merged;
      reader.storage = &storage;
      final_result = vm_.execute(block.txs[i], env, reader);
      std::uint32_t applied = 0;
      for (const TxAccess& a : vm_.accesses())
        if (a.read) out.read_sets.keys.push_back(a.key);
      for (const TxAccess& a : vm_.accesses()) {
        if (!a.written) continue;
        merged.set(a.key, a.current);
        out.write_sets.keys.push_back(a.key);
        ++applied;
      }
      out.stats.cold_reads += reader.cold;
      out.stats.warm_reads += reader.warm;
      // The re-execution reuses the first execution's decoded transaction and validity checks
      // (Monad: inputs cached from the optimistic run): tx_fixed_us is not paid again.
      const double d = cfg.cost.execute_s(block.txs[i], final_result.gas_used, reader.cold,
                                          reader.warm, applied) -
                       cfg.cost.tx_fixed_us * 1e-6;
      out.schedule.push_back(Span{0, t, t + d, i, 1, SpanKind::kExecute});
      t += d;
    }
    out.read_sets.close_tx();
    out.write_sets.close_tx();
    out.receipts.push_back(Receipt{final_result.status, final_result.gas_used});
    if (is_included(final_result.status)) {
      any_included = true;
      fees += final_result.fee;
    }
    free_at[0] = t;
  }
  out.stats.incarnations = n + out.stats.re_executions;

  // The commit follows the last merge, which ends after every phase-1 execution.
  const double commit_start = n == 0 ? t0 : free_at[0];
  finish_outcome(out, block, env, pre_state, std::move(merged), fees, any_included, storage, cfg,
                 commit_start);
  return out;
}

}  // namespace pipesim::execution
