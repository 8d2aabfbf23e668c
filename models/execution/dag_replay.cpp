#include "models/execution/dag_replay.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <stdexcept>
#include <utility>

namespace pipesim::execution {

namespace {

// One execution of a transaction.
struct Run {
  TxResult result;
  std::vector<StateKey> reads;                    // observed, first-access order
  std::vector<std::pair<StateKey, U256>> writes;  // observed, first-access order
};

std::vector<StateKey> sorted_unique(std::vector<StateKey> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::vector<StateKey> write_keys(const Run& r) {
  std::vector<StateKey> k;
  k.reserve(r.writes.size());
  for (const auto& [key, v] : r.writes) k.push_back(key);
  return sorted_unique(std::move(k));
}

std::vector<StateKey> minus(const std::vector<StateKey>& a, const std::vector<StateKey>& b) {
  std::vector<StateKey> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

bool contains(const std::vector<StateKey>& sorted, const StateKey& k) {
  return std::binary_search(sorted.begin(), sorted.end(), k);
}

}  // namespace

ReplayOutcome replay_block(const Block& block, const std::shared_ptr<const StateLayer>& pre_state,
                           const ExecutorConfig& cfg, const SpeculatedAccess* spec,
                           const ReplayConfig& rcfg) {
  if (!pre_state) throw std::invalid_argument("replay_block: null pre_state");
  if (cfg.threads == 0) throw std::invalid_argument("replay_block: threads must be >= 1");
  const auto n = static_cast<std::uint32_t>(block.txs.size());
  const BlockEnv env = make_block_env(block, cfg);
  ReplayOutcome R;
  ExecutionOutcome& out = R.outcome;
  const double sig_end = schedule_sig_recovery(n, cfg.threads, cfg.cost, out.schedule);
  double t = sig_end;

  // DAG over the speculated sets (missing entries are empty).
  const SpeculatedAccess none;
  const SpeculatedAccess& acc = spec != nullptr ? *spec : none;
  const std::size_t known = std::min<std::size_t>(n, acc.size());
  R.dag = build_dependency_dag(n, acc);
  add_sender_chains(R.dag, block);
  R.stats.dag_build_s = rcfg.dag_cost.seconds(R.dag);
  out.schedule.push_back(Span{0, t, t + R.stats.dag_build_s, n, 0, SpanKind::kValidate});
  t += R.stats.dag_build_s;

  std::vector<std::vector<StateKey>> spec_r(n), spec_w(n);
  BasicStateMap<std::uint32_t> spec_count;  // distinct txs speculating each key
  for (std::uint32_t i = 0; i < known; ++i) {
    spec_r[i] = sorted_unique({acc.reads[i].begin(), acc.reads[i].end()});
    spec_w[i] = sorted_unique({acc.writes[i].begin(), acc.writes[i].end()});
    std::vector<StateKey> all;
    std::set_union(spec_r[i].begin(), spec_r[i].end(), spec_w[i].begin(), spec_w[i].end(),
                   std::back_inserter(all));
    for (const StateKey& k : all) ++spec_count.emplace(k, 0);
  }

  // Predecessor counters by kind and successor lists.
  std::vector<std::uint32_t> waw(n, 0), war(n, 0), raw(n, 0);
  std::vector<std::vector<std::pair<std::uint32_t, DepKind>>> succ(n);
  for (const DepEdge& e : R.dag.edges) {
    succ[e.from].emplace_back(e.to, e.kind);
    ++(e.kind == DepKind::kWaw ? waw : (e.kind == DepKind::kWar ? war : raw))[e.to];
  }

  StateMap committed;
  BlockStorage storage;
  storage.reset(pre_state.get(), cfg.state_cache.get());
  OverlayReader reader;
  reader.overlay = &committed;
  reader.storage = &storage;
  Vm vm;
  auto run_tx = [&](std::uint32_t i, Run& r) {
    reader.cold = reader.warm = 0;
    r.result = vm.execute(block.txs[i], env, reader);
    r.reads.clear();
    r.writes.clear();
    for (const TxAccess& a : vm.accesses()) {
      if (a.read) r.reads.push_back(a.key);
      if (a.written) r.writes.emplace_back(a.key, a.current);
    }
    out.stats.cold_reads += reader.cold;
    out.stats.warm_reads += reader.warm;
    ++out.stats.incarnations;
    return cfg.cost.execute_s(block.txs[i], r.result.gas_used, reader.cold, reader.warm,
                              static_cast<std::uint32_t>(r.writes.size()));
  };

  std::vector<Run> final_run(n);
  std::vector<bool> finished(n, false);
  std::vector<bool> tainted(n, false);  // a WAW/RAW predecessor was deferred
  R.batch_of.assign(n, 0);
  R.re_executed.assign(n, false);
  std::vector<std::uint32_t> deferred;
  std::uint32_t remaining = n;
  std::vector<std::uint32_t> batch;
  std::vector<double> free_at(cfg.threads);
  BasicStateMap<std::uint8_t> new_committed;  // new keys committed in this batch: 1 read, 2 write
  while (remaining > 0) {
    batch.clear();
    for (std::uint32_t j = 0; j < n; ++j)
      if (!finished[j] && waw[j] == 0 &&
          (rcfg.raw_waits ? raw[j] == 0 : !(war[j] > 0 && raw[j] > 0)))
        batch.push_back(j);
    if (batch.empty()) throw std::logic_error("replay_block: no ready transaction");
    const auto batch_no = ++R.stats.batches;
    R.stats.max_batch_size =
        std::max<std::uint32_t>(R.stats.max_batch_size, static_cast<std::uint32_t>(batch.size()));

    // Execute on the batch-start state, list-scheduled in block order.
    std::fill(free_at.begin(), free_at.end(), t);
    std::vector<Run> runs(batch.size());
    for (std::size_t b = 0; b < batch.size(); ++b) {
      const std::uint32_t j = batch[b];
      const double d = run_tx(j, runs[b]);
      auto w = static_cast<std::uint32_t>(std::min_element(free_at.begin(), free_at.end()) -
                                          free_at.begin());
      out.schedule.push_back(Span{w, free_at[w], free_at[w] + d, j, 0, SpanKind::kExecute});
      free_at[w] += d;
      R.batch_of[j] = batch_no;
    }
    const double batch_end = *std::max_element(free_at.begin(), free_at.end());

    // Commit decision at the batch end, in block order.
    std::vector<std::vector<StateKey>> obs_r(batch.size()), obs_w(batch.size());
    for (std::size_t b = 0; b < batch.size(); ++b) {
      obs_r[b] = sorted_unique(runs[b].reads);
      obs_w[b] = write_keys(runs[b]);
    }
    new_committed.clear();
    std::vector<bool> commit(batch.size(), false);
    for (std::size_t b = 0; b < batch.size(); ++b) {
      const std::uint32_t j = batch[b];
      const bool exact = obs_r[b] == spec_r[j] && obs_w[b] == spec_w[j];
      if (exact) ++R.stats.speculated_exact;
      if (tainted[j]) continue;  // it read state missing a deferred predecessor's writes
      if (rcfg.mode == ReplayMode::kBasic || exact) {
        commit[b] = exact;
        continue;
      }
      const std::vector<StateKey> new_r = minus(obs_r[b], spec_r[j]);
      const std::vector<StateKey> new_w = minus(obs_w[b], spec_w[j]);
      bool ok = true;
      auto own = [&](const StateKey& k) {
        return (contains(spec_r[j], k) || contains(spec_w[j], k)) ? 1u : 0u;
      };
      auto check = [&](const StateKey& k, bool writes) {
        const std::uint32_t* sc = spec_count.find(k);
        if (sc != nullptr && *sc > own(k)) return false;  // another tx speculated it
        const std::uint8_t* nc = new_committed.find(k);
        if (nc == nullptr) return true;
        return writes ? false : (*nc & 2) == 0;
      };
      for (const StateKey& k : new_w) ok = ok && check(k, true);
      for (const StateKey& k : new_r) ok = ok && check(k, contains(obs_w[b], k));
      if (!ok) continue;
      // A later transaction of this batch touching one of these new keys is deferred by its
      // own check (new_committed), so each new key has one committed writer or only readers.
      commit[b] = true;
      for (const StateKey& k : new_w) new_committed.emplace(k, 0) |= 2;
      for (const StateKey& k : new_r) new_committed.emplace(k, 0) |= 1;
    }

    // Apply the committed writes; defer the rest; finish the batch in the DAG.
    for (std::size_t b = 0; b < batch.size(); ++b) {
      const std::uint32_t j = batch[b];
      if (commit[b]) {
        for (const auto& [k, v] : runs[b].writes) committed.set(k, v);
        final_run[j] = std::move(runs[b]);
      } else {
        deferred.push_back(j);
        for (const auto& [s, kind] : succ[j])
          if (kind != DepKind::kWar && R.batch_of[s] == 0) tainted[s] = true;
      }
      finished[j] = true;
      --remaining;
      for (const auto& [s, kind] : succ[j])
        --(kind == DepKind::kWaw ? waw : (kind == DepKind::kWar ? war : raw))[s];
    }

    // Equivalent serial order inside the batch: a reader of a key precedes its writer.
    {
      std::vector<std::size_t> members;
      for (std::size_t b = 0; b < batch.size(); ++b)
        if (commit[b]) members.push_back(b);
      BasicStateMap<std::uint32_t> writer;  // key -> member index + 1
      for (std::size_t m = 0; m < members.size(); ++m)
        for (const StateKey& k : obs_w[members[m]]) {
          std::uint32_t& w = writer.emplace(k, 0);
          if (w != 0) throw std::logic_error("replay_block: two committed writers in a batch");
          w = static_cast<std::uint32_t>(m + 1);
        }
      std::vector<std::vector<std::uint32_t>> after(members.size());
      std::vector<std::uint32_t> indeg(members.size(), 0);
      for (std::size_t m = 0; m < members.size(); ++m)
        for (const StateKey& k : obs_r[members[m]]) {
          const std::uint32_t* w = writer.find(k);
          if (w == nullptr || *w == m + 1) continue;
          after[m].push_back(*w - 1);
          ++indeg[*w - 1];
        }
      std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> ready;
      for (std::uint32_t m = 0; m < members.size(); ++m)
        if (indeg[m] == 0) ready.push(m);
      std::size_t emitted = 0;
      while (!ready.empty()) {
        const std::uint32_t m = ready.top();
        ready.pop();
        R.serial_order.push_back(batch[members[m]]);
        ++emitted;
        for (std::uint32_t x : after[m])
          if (--indeg[x] == 0) ready.push(x);
      }
      if (emitted != members.size())
        throw std::logic_error("replay_block: cyclic read/write order inside a batch");
    }

    const double barrier = cfg.cost.task_overhead_us * 1e-6 * static_cast<double>(batch.size());
    out.schedule.push_back(
        Span{0, batch_end, batch_end + barrier, n, batch_no, SpanKind::kValidate});
    t = batch_end + barrier;
  }

  // Serial re-execution of the deferred transactions, in block order.
  std::sort(deferred.begin(), deferred.end());
  for (std::uint32_t j : deferred) {
    Run r;
    const double d = run_tx(j, r);
    out.schedule.push_back(Span{0, t, t + d, j, 1, SpanKind::kExecute});
    t += d;
    for (const auto& [k, v] : r.writes) committed.set(k, v);
    final_run[j] = std::move(r);
    R.re_executed[j] = true;
    R.serial_order.push_back(j);
  }
  R.stats.re_executed = static_cast<std::uint32_t>(deferred.size());
  out.stats.re_executions = deferred.size();
  out.stats.rounds = R.stats.batches;

  // Executor-shaped outcome.
  U256 fees;
  bool any_included = false;
  out.receipts.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const Run& r = final_run[i];
    out.receipts.push_back(Receipt{r.result.status, r.result.gas_used});
    if (is_included(r.result.status)) {
      any_included = true;
      fees += r.result.fee;
    }
    for (const StateKey& k : r.reads) out.read_sets.keys.push_back(k);
    out.read_sets.close_tx();
    for (const auto& [k, v] : r.writes) out.write_sets.keys.push_back(k);
    out.write_sets.close_tx();
  }
  StateMap delta(committed.size());
  committed.for_each([&](const StateKey& k, const U256& v) { delta.set(k, v); });
  finish_outcome(out, block, env, pre_state, std::move(delta), fees, any_included, storage, cfg, t);

  // Statistics.
  R.stats.txs = n;
  R.stats.dag_edges = R.dag.edges.size();
  if (n > 0) {
    R.stats.speculation_accuracy = static_cast<double>(R.stats.speculated_exact) / n;
    R.stats.re_execution_fraction = static_cast<double>(R.stats.re_executed) / n;
    R.stats.mean_batch_size = static_cast<double>(n) / R.stats.batches;
  }
  const double commit_s = out.commit_s;
  double seq = sig_end;
  BasicStateMap<bool> touched;
  for (std::uint32_t i : R.serial_order) {
    const Run& r = final_run[i];
    std::uint32_t cold = 0, warm = 0;
    for (const StateKey& k : r.reads) {
      bool inserted = false;
      touched.emplace(k, true, &inserted);
      bool in_overlay = false;
      if (inserted) pre_state->get(k, &in_overlay);
      ++(inserted && !in_overlay ? cold : warm);
    }
    for (const auto& [k, v] : r.writes) touched.emplace(k, true);
    seq += cfg.cost.execute_s(block.txs[i], r.result.gas_used, cold, warm,
                              static_cast<std::uint32_t>(r.writes.size()));
  }
  R.stats.sequential_makespan_s = seq + commit_s;
  R.stats.speedup_over_sequential =
      out.makespan_s > 0 ? R.stats.sequential_makespan_s / out.makespan_s : 0.0;
  return R;
}

ExecutionOutcome DagReplayExecutor::execute(const Block& block,
                                            std::shared_ptr<const StateLayer> pre_state,
                                            const ExecutorConfig& cfg) {
  last_ = replay_block(block, pre_state, cfg, spec_.get(), cfg_);
  return std::move(last_.outcome);
}

}  // namespace pipesim::execution
