#include "models/execution/batch_occ.hpp"

#include <algorithm>
#include <stdexcept>

namespace pipesim::execution {

namespace {

struct Speculative {
  TxResult result;
  std::vector<StateKey> reads;
  std::vector<std::pair<StateKey, U256>> writes;
};

}  // namespace

ExecutionOutcome BatchOccExecutor::execute(const Block& block,
                                           std::shared_ptr<const StateLayer> pre_state,
                                           const ExecutorConfig& cfg) {
  if (!pre_state) throw std::invalid_argument("BatchOccExecutor: null pre_state");
  if (cfg.threads == 0) throw std::invalid_argument("BatchOccExecutor: threads must be >= 1");
  const auto n = static_cast<std::uint32_t>(block.txs.size());
  const std::uint32_t workers = cfg.threads;
  const std::uint32_t batch_size = cfg.occ_batch_size == 0 ? workers : cfg.occ_batch_size;
  const BlockEnv env = make_block_env(block, cfg);
  ExecutionOutcome out;
  double t = schedule_sig_recovery(n, workers, cfg.cost, out.schedule);

  BlockStorage storage;
  storage.reset(pre_state.get(), cfg.state_cache.get());
  StateMap committed;
  OverlayReader reader;
  reader.overlay = &committed;
  reader.storage = &storage;

  std::vector<std::uint32_t> executions(n, 0);
  std::vector<Speculative> final_results(n);
  std::vector<Speculative> batch;
  std::vector<double> worker_free(workers);
  BasicStateMap<bool> written_this_round;
  std::uint32_t next = 0;  // lowest uncommitted transaction

  while (next < n) {
    ++out.stats.rounds;
    const std::uint32_t end = std::min(n, next + batch_size);
    batch.assign(end - next, Speculative{});
    std::fill(worker_free.begin(), worker_free.end(), t);
    // Execute the batch on the snapshot.
    for (std::uint32_t i = next; i < end; ++i) {
      Speculative& s = batch[i - next];
      reader.cold = reader.warm = 0;
      s.result = vm_.execute(block.txs[i], env, reader);
      for (const TxAccess& a : vm_.accesses()) {
        if (a.read) s.reads.push_back(a.key);
        if (a.written) s.writes.emplace_back(a.key, a.current);
      }
      out.stats.cold_reads += reader.cold;
      out.stats.warm_reads += reader.warm;
      ++out.stats.incarnations;
      const double d = cfg.cost.execute_s(block.txs[i], s.result.gas_used, reader.cold, reader.warm,
                                          static_cast<std::uint32_t>(s.writes.size())) +
                       cfg.cost.parallel_task_s(0);
      auto w = static_cast<std::uint32_t>(std::min_element(worker_free.begin(), worker_free.end()) -
                                          worker_free.begin());
      out.schedule.push_back(
          Span{w, worker_free[w], worker_free[w] + d, i, executions[i], SpanKind::kExecute});
      worker_free[w] += d;
      ++executions[i];
    }
    double v = *std::max_element(worker_free.begin(), worker_free.end());
    // Validate and commit in index order.
    written_this_round.clear();
    std::uint32_t i = next;
    for (; i < end; ++i) {
      Speculative& s = batch[i - next];
      const double d = cfg.cost.validate_s(static_cast<std::uint32_t>(s.reads.size()));
      out.schedule.push_back(Span{0, v, v + d, i, executions[i] - 1, SpanKind::kValidate});
      v += d;
      ++out.stats.validations;
      bool conflict = false;
      for (const StateKey& k : s.reads)
        if (written_this_round.find(k)) {
          conflict = true;
          break;
        }
      if (conflict) break;
      for (const auto& [k, val] : s.writes) {
        committed.set(k, val);
        written_this_round.set(k, true);
      }
      final_results[i] = std::move(s);
    }
    out.stats.aborts += end - i;
    out.stats.occ_rounds.push_back(OccRoundStats{end - next, end - i});
    next = i;
    t = v;
  }
  out.stats.re_executions = out.stats.incarnations - n;

  StateMap delta(committed.size());
  committed.for_each([&](const StateKey& k, const U256& val) { delta.set(k, val); });
  U256 fees;
  bool any_included = false;
  out.receipts.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const Speculative& s = final_results[i];
    out.receipts.push_back(Receipt{s.result.status, s.result.gas_used});
    if (is_included(s.result.status)) {
      any_included = true;
      fees += s.result.fee;
    }
    for (const StateKey& k : s.reads) out.read_sets.keys.push_back(k);
    out.read_sets.close_tx();
    for (const auto& [k, val] : s.writes) out.write_sets.keys.push_back(k);
    out.write_sets.close_tx();
  }
  finish_outcome(out, block, env, pre_state, std::move(delta), fees, any_included, storage, cfg, t);
  return out;
}

}  // namespace pipesim::execution
