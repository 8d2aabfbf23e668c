#include "models/execution/batch_occ.hpp"

#include "models/execution/vm.hpp"

#include <algorithm>
#include <stdexcept>

namespace pipesim::execution {

void declared_access(const Transaction& tx, std::vector<StateKey>& reads,
                     std::vector<StateKey>& writes) {
  reads.assign({StateKey::nonce(tx.from), StateKey::balance(tx.from)});
  writes = reads;
  // A slot that is read and written (the read-modify-write of a balance, a counter, a reserve).
  const auto update = [&](const Address& contract, const Hash32& slot) {
    reads.push_back(StateKey::storage(contract, slot));
    writes.push_back(StateKey::storage(contract, slot));
  };
  switch (tx.kind) {
    case TxKind::kNativeTransfer:
      reads.push_back(StateKey::balance(tx.to));
      writes.push_back(StateKey::balance(tx.to));
      break;
    case TxKind::kErc20Transfer:  // token.transfer(party, amount)
      update(tx.to, erc20_balance_slot(tx.from));
      update(tx.to, erc20_balance_slot(tx.party));
      break;
    case TxKind::kErc20Approve:  // token.approve(party, amount): a blind write
      writes.push_back(StateKey::storage(tx.to, erc20_allowance_slot(tx.from, tx.party)));
      break;
    case TxKind::kErc20TransferFrom:  // token.transferFrom(party, party2, amount)
      update(tx.to, erc20_allowance_slot(tx.party, tx.from));
      update(tx.to, erc20_balance_slot(tx.party));
      update(tx.to, erc20_balance_slot(tx.party2));
      break;
    case TxKind::kAmmSwap:
      // The pair's reserves; the token addresses live in the pair's storage, not in the
      // calldata, so the token balances it moves are left to detection.
      reads.push_back(StateKey::storage(tx.to, word_slot(kPairToken0Slot)));
      reads.push_back(StateKey::storage(tx.to, word_slot(kPairToken1Slot)));
      update(tx.to, word_slot(kPairReserve0Slot));
      update(tx.to, word_slot(kPairReserve1Slot));
      break;
    case TxKind::kNftMint:
      update(tx.to, word_slot(kNftNextIdSlot));
      update(tx.to, nft_balance_slot(tx.from));
      break;
    case TxKind::kAccessTrace:
      break;
  }
  if (tx.kind == TxKind::kAccessTrace && tx.trace) {
    reads.insert(reads.end(), tx.trace->reads.begin(), tx.trace->reads.end());
    for (const TraceWrite& w : tx.trace->writes) {
      writes.push_back(w.key);
      if (w.mode == TraceWrite::Mode::kIncrement) reads.push_back(w.key);
    }
  }
}

namespace {

struct OccSpeculative {
  TxResult result;
  std::vector<StateKey> reads;
  std::vector<std::pair<StateKey, U256>> writes;
};

/// The state both formations share: the committed writes, the snapshot reader, the final
/// results and the virtual-time bookkeeping.
struct OccRun {
  OccRun(const Block& b, const std::shared_ptr<const StateLayer>& pre, const ExecutorConfig& c)
      : block(b),
        cfg(c),
        n(static_cast<std::uint32_t>(b.txs.size())),
        workers(c.threads),
        batch_size(c.occ_batch_size == 0 ? c.threads : c.occ_batch_size),
        env(make_block_env(b, c)),
        executions(n, 0),
        final_results(n),
        worker_free(c.threads) {
    t = schedule_sig_recovery(n, workers, cfg.cost, out.schedule);
    storage.reset(pre.get(), cfg.state_cache.get());
    reader.overlay = &committed;
    reader.storage = &storage;
  }

  /// Executes tx i on the current snapshot (the committed writes) into `s` and list-schedules
  /// the execution on the earliest-free worker.
  void execute(Vm& vm, std::uint32_t i, OccSpeculative& s) {
    reader.cold = reader.warm = 0;
    s.result = vm.execute(block.txs[i], env, reader);
    for (const TxAccess& a : vm.accesses()) {
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

  /// Appends tx i's validate span on worker 0 at `v`; returns its end.
  double validate_span(std::uint32_t i, const OccSpeculative& s, double v) {
    const double d = cfg.cost.validate_s(static_cast<std::uint32_t>(s.reads.size()));
    out.schedule.push_back(Span{0, v, v + d, i, executions[i] - 1, SpanKind::kValidate});
    ++out.stats.validations;
    return v + d;
  }

  ExecutionOutcome finish(const std::shared_ptr<const StateLayer>& pre_state) {
    out.stats.re_executions = out.stats.incarnations - n;
    StateMap delta(committed.size());
    committed.for_each([&](const StateKey& k, const U256& val) { delta.set(k, val); });
    U256 fees;
    bool any_included = false;
    out.receipts.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      const OccSpeculative& s = final_results[i];
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
    finish_outcome(out, block, env, pre_state, std::move(delta), fees, any_included, storage, cfg,
                   t);
    return std::move(out);
  }

  const Block& block;
  const ExecutorConfig& cfg;
  const std::uint32_t n;
  const std::uint32_t workers;
  const std::uint32_t batch_size;
  const BlockEnv env;
  ExecutionOutcome out;
  double t = 0;  // virtual time: the end of the previous round's validation
  BlockStorage storage;
  StateMap committed;
  OverlayReader reader;
  std::vector<std::uint32_t> executions;
  std::vector<OccSpeculative> final_results;
  std::vector<double> worker_free;
};

/// index_window: the lowest uncommitted transactions, up to batch_size; a round's aborted
/// transactions and every transaction after them re-execute in the next round.
void run_index_window(OccRun& r, Vm& vm) {
  std::vector<OccSpeculative> batch;
  BasicStateMap<bool> written_this_round;
  std::uint32_t next = 0;  // lowest uncommitted transaction
  while (next < r.n) {
    ++r.out.stats.rounds;
    const std::uint32_t end = std::min(r.n, next + r.batch_size);
    batch.assign(end - next, OccSpeculative{});
    std::fill(r.worker_free.begin(), r.worker_free.end(), r.t);
    for (std::uint32_t i = next; i < end; ++i) r.execute(vm, i, batch[i - next]);
    double v = *std::max_element(r.worker_free.begin(), r.worker_free.end());
    // Validate and commit in index order.
    written_this_round.clear();
    std::uint32_t i = next;
    for (; i < end; ++i) {
      OccSpeculative& s = batch[i - next];
      v = r.validate_span(i, s, v);
      bool conflict = false;
      for (const StateKey& k : s.reads)
        if (written_this_round.find(k)) {
          conflict = true;
          break;
        }
      if (conflict) break;
      for (const auto& [k, val] : s.writes) {
        r.committed.set(k, val);
        written_this_round.set(k, true);
      }
      r.final_results[i] = std::move(s);
    }
    r.out.stats.aborts += end - i;
    r.out.stats.occ_rounds.push_back(OccRoundStats{end - next, end - i});
    next = i;
    r.t = v;
  }
}

/// declared_conflicts: greedy batches over the uncommitted transactions in block order; a
/// transaction joins unless a key it reads (declared, or detected in its last execution) is
/// written by an uncommitted lower transaction (in the batch, waiting, or holding an
/// unvalidated result). Results survive rounds: a result executed in round e commits, in block
/// order, if no key it read was committed in round e or later; otherwise it is aborted.
void run_declared_conflicts(OccRun& r, Vm& vm) {
  const std::uint32_t n = r.n;
  std::vector<std::vector<StateKey>> reads(n), writes(n);  // known access sets
  for (std::uint32_t i = 0; i < n; ++i) declared_access(r.block.txs[i], reads[i], writes[i]);
  std::vector<OccSpeculative> results(n);
  std::vector<std::uint64_t> result_round(n, 0);  // round of the held result, 0 = none
  BasicStateMap<std::uint64_t> last_commit;       // key -> last round that committed a write
  BasicStateMap<bool> pending_writes;             // known writes of uncommitted lower txs
  std::vector<std::uint32_t> members;
  auto stale = [&](std::uint32_t i) {
    for (const StateKey& k : results[i].reads)
      if (const std::uint64_t* c = last_commit.find(k); c && *c >= result_round[i]) return true;
    return false;
  };
  auto abort_result = [&](std::uint32_t i) {
    ++r.out.stats.aborts;
    ++r.out.stats.occ_rounds[result_round[i] - 1].aborted;
    result_round[i] = 0;
    results[i] = OccSpeculative{};
  };
  std::uint32_t next = 0;  // lowest uncommitted transaction
  std::uint64_t round = 0;
  while (next < n) {
    ++round;
    ++r.out.stats.rounds;
    r.out.stats.occ_rounds.push_back(OccRoundStats{});
    // Form the batch.
    members.clear();
    pending_writes.clear();
    for (std::uint32_t j = next; j < n && members.size() < r.batch_size; ++j) {
      if (result_round[j] && stale(j)) abort_result(j);  // a lower commit invalidated it: retry now
      if (!result_round[j]) {
        bool conflict = false;
        for (const StateKey& k : reads[j])
          if (pending_writes.find(k)) {
            conflict = true;
            break;
          }
        if (!conflict) members.push_back(j);
      }
      for (const StateKey& k : writes[j]) pending_writes.set(k, true);
    }
    // Execute it on the snapshot; the execution's access sets replace the known ones.
    std::fill(r.worker_free.begin(), r.worker_free.end(), r.t);
    for (std::uint32_t j : members) {
      results[j] = OccSpeculative{};
      r.execute(vm, j, results[j]);
      result_round[j] = round;
      reads[j] = results[j].reads;
      writes[j].clear();
      for (const auto& [k, val] : results[j].writes) writes[j].push_back(k);
    }
    r.out.stats.occ_rounds.back().batch_size = static_cast<std::uint32_t>(members.size());
    double v = *std::max_element(r.worker_free.begin(), r.worker_free.end());
    // Validate and commit the held results in block order, up to the first gap or abort.
    std::uint32_t i = next;
    for (; i < n && result_round[i]; ++i) {
      v = r.validate_span(i, results[i], v);
      if (stale(i)) {
        abort_result(i);
        break;
      }
      for (const auto& [k, val] : results[i].writes) {
        r.committed.set(k, val);
        last_commit.set(k, round);
      }
      r.final_results[i] = std::move(results[i]);
      result_round[i] = 0;
    }
    next = i;
    r.t = v;
  }
}

}  // namespace

ExecutionOutcome BatchOccExecutor::execute(const Block& block,
                                           std::shared_ptr<const StateLayer> pre_state,
                                           const ExecutorConfig& cfg) {
  if (!pre_state) throw std::invalid_argument("BatchOccExecutor: null pre_state");
  if (cfg.threads == 0) throw std::invalid_argument("BatchOccExecutor: threads must be >= 1");
  OccRun r(block, pre_state, cfg);
  if (cfg.occ_formation == OccFormation::kDeclaredConflicts) {
    run_declared_conflicts(r, vm_);
  } else {
    run_index_window(r, vm_);
  }
  return r.finish(pre_state);
}

}  // namespace pipesim::execution
