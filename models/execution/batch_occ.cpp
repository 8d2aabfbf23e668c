#include "models/execution/batch_occ.hpp"

#include "models/execution/vm.hpp"

#include <algorithm>
#include <bit>
#include <iterator>
#include <optional>
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

/// A set of transaction indices in [0, n) as bits, visited in ascending order: the candidates
/// of a declared_conflicts round (a round that finds few of them skips 64 others per word).
class TxBits {
 public:
  explicit TxBits(std::uint32_t n) : n_(n), words_((n + 63) / 64, 0) {}
  void insert(std::uint32_t i) { words_[i / 64] |= std::uint64_t{1} << (i % 64); }
  void erase(std::uint32_t i) { words_[i / 64] &= ~(std::uint64_t{1} << (i % 64)); }
  /// The lowest member >= i, or n.
  std::uint32_t next(std::uint32_t i) const {
    if (i >= n_) return n_;
    std::size_t w = i / 64;
    std::uint64_t bits = words_[w] & (~std::uint64_t{0} << (i % 64));
    while (bits == 0) {
      if (++w == words_.size()) return n_;
      bits = words_[w];
    }
    return static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
  }

 private:
  std::uint32_t n_;
  std::vector<std::uint64_t> words_;
};

/// The known writers of each key among the uncommitted transactions of a declared_conflicts run,
/// and the waiting transactions each of them blocks. A transaction j is blocked while some
/// uncommitted lower transaction's known writes meet its reads; it waits on the highest such
/// writer (the last of them to commit, since commits follow block order) and is looked at again
/// only when that writer commits or its known writes change. This keeps batch formation near
/// O(n log n) per block where a scan of every waiting transaction each round was O(n^2) (a
/// 5,000-transaction block of two accounts: one round per transaction).
class DeclaredWriters {
 public:
  explicit DeclaredWriters(std::uint32_t n) : slots_of_(n), waiters_(n) {}

  /// `tx`'s known writes are `writes` (after remove(tx) if it had others).
  void add(std::uint32_t tx, const std::vector<StateKey>& writes) {
    std::vector<std::uint32_t>& slots = slots_of_[tx];
    slots.clear();
    for (const StateKey& k : writes) {
      slots.push_back(slot(k));
      Writers& w = writers_[slots.back()];
      if (w.txs.size() == w.head || w.txs.back() < tx) {
        w.txs.push_back(tx);  // the usual case: added in block order
        continue;
      }
      auto it = std::lower_bound(w.txs.begin() + w.head, w.txs.end(), tx);
      if (*it != tx) w.txs.insert(it, tx);
    }
  }
  /// Removes `tx` from the writers of its known writes. A committing transaction is the lowest
  /// uncommitted one, so it is its keys' first writer: O(1) each.
  void remove(std::uint32_t tx) {
    for (const std::uint32_t s : slots_of_[tx]) {
      Writers& w = writers_[s];
      if (w.head < w.txs.size() && w.txs[w.head] == tx) {
        ++w.head;
        continue;
      }
      auto it = std::lower_bound(w.txs.begin() + w.head, w.txs.end(), tx);
      if (it != w.txs.end() && *it == tx) w.txs.erase(it);
    }
  }
  /// The highest uncommitted transaction below `tx` whose known writes meet `reads`, if any.
  std::optional<std::uint32_t> blocker(std::uint32_t tx, const std::vector<StateKey>& reads) const {
    std::optional<std::uint32_t> w;
    for (const StateKey& k : reads) {
      const std::uint32_t* s = slot_.find(k);
      if (s == nullptr) continue;
      const Writers& ws = writers_[*s];
      const auto first = ws.txs.begin() + ws.head;
      const auto it = std::lower_bound(first, ws.txs.end(), tx);
      if (it == first) continue;
      const std::uint32_t below = *std::prev(it);
      if (!w || below > *w) w = below;
    }
    return w;
  }
  /// `tx` waits on `writer` (not a candidate until woken).
  void wait(std::uint32_t tx, std::uint32_t writer) { waiters_[writer].push_back(tx); }
  /// The transactions waiting on `writer` become candidates again.
  void wake(std::uint32_t writer, TxBits& candidates) {
    for (std::uint32_t tx : waiters_[writer]) candidates.insert(tx);
    waiters_[writer].clear();
  }

 private:
  struct Writers {
    std::vector<std::uint32_t> txs;  // ascending; txs[head..] are the uncommitted writers
    std::size_t head = 0;
  };
  std::uint32_t slot(const StateKey& k) {
    bool inserted = false;
    const std::uint32_t s =
        slot_.emplace(k, static_cast<std::uint32_t>(writers_.size()), &inserted);
    if (inserted) writers_.emplace_back();
    return s;
  }

  BasicStateMap<std::uint32_t> slot_;                 // key -> its index in writers_
  std::vector<std::vector<std::uint32_t>> slots_of_;  // by tx: its known writes' slots
  std::vector<Writers> writers_;                      // by key
  std::vector<std::vector<std::uint32_t>> waiters_;   // by writer: the txs waiting on it
};

/// Whether `a` and `b` hold the same keys (as sets); false for long lists (the caller then
/// re-indexes, which is always correct), so the quadratic check stays small.
bool same_keys(const std::vector<StateKey>& a, const std::vector<StateKey>& b) {
  constexpr std::size_t kMaxCompared = 32;
  if (a.size() > kMaxCompared || b.size() > kMaxCompared) return false;
  const auto in = [](const std::vector<StateKey>& v, const StateKey& k) {
    return std::find(v.begin(), v.end(), k) != v.end();
  };
  return std::all_of(a.begin(), a.end(), [&](const StateKey& k) { return in(b, k); }) &&
         std::all_of(b.begin(), b.end(), [&](const StateKey& k) { return in(a, k); });
}

/// declared_conflicts: greedy batches over the uncommitted transactions in block order; a
/// transaction joins unless a key it reads (declared, or detected in its last execution) is
/// written by an uncommitted lower transaction (in the batch, waiting, or holding an
/// unvalidated result). Results survive rounds: a result executed in round e commits, in block
/// order, if no key it read was committed in round e or later; otherwise it is aborted.
/// Candidates (DeclaredWriters): the uncommitted transactions not known to be blocked, so a
/// round looks at the held results and the free transactions, not at every waiting one.
void run_declared_conflicts(OccRun& r, Vm& vm) {
  const std::uint32_t n = r.n;
  std::vector<std::vector<StateKey>> reads(n), writes(n);  // known access sets
  DeclaredWriters index(n);
  TxBits candidates(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    declared_access(r.block.txs[i], reads[i], writes[i]);
    index.add(i, writes[i]);
    candidates.insert(i);
  }
  std::vector<OccSpeculative> results(n);
  std::vector<std::uint64_t> result_round(n, 0);  // round of the held result, 0 = none
  BasicStateMap<std::uint64_t> last_commit;       // key -> last round that committed a write
  std::vector<std::uint32_t> members;
  std::vector<StateKey> detected;
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
    // Form the batch: the candidates in block order (every uncommitted transaction not known
    // to be blocked, held results included).
    members.clear();
    for (std::uint32_t j = candidates.next(next); j < n && members.size() < r.batch_size;
         j = candidates.next(j + 1)) {
      if (result_round[j] && stale(j)) abort_result(j);  // a lower commit invalidated it: retry now
      if (result_round[j]) continue;
      if (const auto w = index.blocker(j, reads[j])) {
        index.wait(j, *w);
        candidates.erase(j);
        continue;
      }
      members.push_back(j);
    }
    // Execute it on the snapshot; the execution's access sets replace the known ones.
    std::fill(r.worker_free.begin(), r.worker_free.end(), r.t);
    for (std::uint32_t j : members) {
      results[j] = OccSpeculative{};
      r.execute(vm, j, results[j]);
      result_round[j] = round;
      reads[j] = results[j].reads;
      detected.clear();
      for (const auto& [k, val] : results[j].writes) detected.push_back(k);
      if (!same_keys(detected, writes[j])) {
        index.remove(j);
        writes[j].swap(detected);
        index.add(j, writes[j]);
        index.wake(j, candidates);  // who waits on j may no longer be blocked by it
      }
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
      index.remove(i);
      index.wake(i, candidates);
      candidates.erase(i);
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
