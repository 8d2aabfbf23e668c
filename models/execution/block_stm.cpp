#include "models/execution/block_stm.hpp"

#include <algorithm>
#include <optional>
#include <queue>
#include <stdexcept>

#include "models/execution/mv_memory.hpp"
#include "models/execution/sequential.hpp"

namespace pipesim::execution {

namespace {

enum class TaskKind : std::uint8_t { kExecution, kValidation };
struct Task {
  TaskKind kind;
  Version version;
};

// The collaborative scheduler of the Block-STM paper (Algorithms 4-5), single-threaded: the
// event loop makes every call atomic, so plain integers replace the paper's atomics.
class Scheduler {
 public:
  explicit Scheduler(std::uint32_t n) : n_(n), status_(n), deps_(n) {}

  bool done() const { return done_; }
  /// Changes whenever execution_idx or validation_idx moves: a worker whose next_task() came
  /// back empty retries at once while this changes (the paper's workers loop on next_task).
  std::uint64_t progress() const {
    return (static_cast<std::uint64_t>(execution_idx_) << 32) | validation_idx_;
  }

  std::optional<Task> next_task() {
    if (validation_idx_ < execution_idx_) {
      if (auto v = next_version_to_validate()) return Task{TaskKind::kValidation, *v};
    } else {
      if (auto v = next_version_to_execute()) return Task{TaskKind::kExecution, *v};
    }
    return std::nullopt;
  }

  // Returns false if `blocking` has already executed (the caller re-executes at once).
  bool add_dependency(std::uint32_t tx, std::uint32_t blocking) {
    if (status_[blocking].status == Status::kExecuted) return false;
    status_[tx].status = Status::kAborting;
    deps_[blocking].push_back(tx);
    --active_;
    return true;
  }

  std::optional<Task> finish_execution(std::uint32_t tx, std::uint32_t incarnation,
                                       bool wrote_new_location) {
    status_[tx].status = Status::kExecuted;
    std::vector<std::uint32_t> deps = std::move(deps_[tx]);
    deps_[tx].clear();
    resume_dependencies(deps);
    if (validation_idx_ > tx) {
      if (wrote_new_location) {
        decrease_validation_idx(tx);
      } else {
        return Task{TaskKind::kValidation, Version{tx, incarnation}};
      }
    }
    --active_;
    return std::nullopt;
  }

  bool try_validation_abort(std::uint32_t tx, std::uint32_t incarnation) {
    if (status_[tx].incarnation == incarnation && status_[tx].status == Status::kExecuted) {
      status_[tx].status = Status::kAborting;
      return true;
    }
    return false;
  }

  std::optional<Task> finish_validation(std::uint32_t tx, bool aborted) {
    if (aborted) {
      set_ready_status(tx);
      decrease_validation_idx(tx + 1);
      if (execution_idx_ > tx) {
        if (auto v = try_incarnate(tx)) return Task{TaskKind::kExecution, *v};
        return std::nullopt;  // try_incarnate already decremented active_
      }
    }
    --active_;
    return std::nullopt;
  }

 private:
  enum class Status : std::uint8_t { kReadyToExecute, kExecuting, kExecuted, kAborting };
  struct TxStatusEntry {
    std::uint32_t incarnation = 0;
    Status status = Status::kReadyToExecute;
  };

  void decrease_execution_idx(std::uint32_t target) {
    execution_idx_ = std::min(execution_idx_, target);
  }
  void decrease_validation_idx(std::uint32_t target) {
    validation_idx_ = std::min(validation_idx_, target);
  }
  void check_done() {
    if (std::min(execution_idx_, validation_idx_) >= n_ && active_ == 0) done_ = true;
  }
  std::optional<Version> try_incarnate(std::uint32_t tx) {
    if (tx < n_ && status_[tx].status == Status::kReadyToExecute) {
      status_[tx].status = Status::kExecuting;
      return Version{tx, status_[tx].incarnation};
    }
    --active_;
    return std::nullopt;
  }
  std::optional<Version> next_version_to_execute() {
    if (execution_idx_ >= n_) {
      check_done();
      return std::nullopt;
    }
    ++active_;
    return try_incarnate(execution_idx_++);
  }
  std::optional<Version> next_version_to_validate() {
    if (validation_idx_ >= n_) {
      check_done();
      return std::nullopt;
    }
    ++active_;
    const std::uint32_t idx = validation_idx_++;
    if (status_[idx].status == Status::kExecuted) return Version{idx, status_[idx].incarnation};
    --active_;
    return std::nullopt;
  }
  void set_ready_status(std::uint32_t tx) {
    ++status_[tx].incarnation;
    status_[tx].status = Status::kReadyToExecute;
  }
  void resume_dependencies(const std::vector<std::uint32_t>& deps) {
    if (deps.empty()) return;
    for (std::uint32_t d : deps) set_ready_status(d);
    decrease_execution_idx(*std::min_element(deps.begin(), deps.end()));
  }

  std::uint32_t n_;
  std::uint32_t execution_idx_ = 0;
  std::uint32_t validation_idx_ = 0;
  std::int64_t active_ = 0;
  bool done_ = false;
  std::vector<TxStatusEntry> status_;
  std::vector<std::vector<std::uint32_t>> deps_;
};

// Reads for one execution: multi-version memory first, then the pre-state. A read that walked
// over lower deltas adds their sum to the base value (mv_memory.hpp).
struct MvReader final : StateReader {
  const MvMemory* mv = nullptr;
  BlockStorage* storage = nullptr;
  std::uint32_t tx = 0;
  std::vector<ReadDescriptor> reads;
  std::optional<std::uint32_t> blocking;
  std::uint32_t cold = 0, warm = 0, mv_reads = 0;

  bool read(const StateKey& key, U256& value) override {
    ++mv_reads;
    MvReadResult r = mv->read(key, tx);
    switch (r.status) {
      case MvReadResult::Status::kEstimate:
        blocking = r.version.tx_index;
        return false;
      case MvReadResult::Status::kOk:
        ++warm;
        reads.push_back(ReadDescriptor{key, ReadDescriptor::Origin::kMv, r.version, r.delta_sum});
        value = r.value;
        return true;
      case MvReadResult::Status::kNotFound:
        break;
    }
    bool is_cold = false;
    value = storage->read(key, is_cold) + r.delta_sum;
    ++(is_cold ? cold : warm);
    reads.push_back(ReadDescriptor{key, ReadDescriptor::Origin::kStorage, Version{}, r.delta_sum});
    return true;
  }
};

// A task in flight: what it computed at its start, applied at its end.
struct Running {
  Task task{};
  double cpu_s = 0;  // CPU time on a core
  double io_s = 0;   // cold-read latency (blocking: on the core; async: off the core)
  // execution
  std::optional<std::uint32_t> blocking;
  TxResult result;
  std::vector<ReadDescriptor> reads;
  WriteList writes;
  // validation
  bool valid = false;
};

// Writes known before execution (declared as ESTIMATEs): the sender's nonce, and a raw
// transfer's lazily credited recipient balance.
std::vector<StateKey> declared_writes(const Transaction& t, bool lazy_credits) {
  std::vector<StateKey> keys{StateKey::nonce(t.from)};
  if (lazy_credits && t.kind == TxKind::kNativeTransfer && t.to != t.from)
    keys.push_back(StateKey::balance(t.to));
  return keys;
}

}  // namespace

ExecutionOutcome BlockStmExecutor::execute(const Block& block,
                                           std::shared_ptr<const StateLayer> pre_state,
                                           const ExecutorConfig& cfg) {
  if (!pre_state) throw std::invalid_argument("BlockStmExecutor: null pre_state");
  if (cfg.threads == 0) throw std::invalid_argument("BlockStmExecutor: threads must be >= 1");
  const auto n = static_cast<std::uint32_t>(block.txs.size());
  if (n < cfg.stm_sequential_below_txs) {
    ExecutionOutcome out = sequential_.execute(block, pre_state, cfg);
    out.stats.sequential_fallback = true;
    return out;
  }
  const std::uint32_t workers = cfg.threads;
  BlockEnv env = make_block_env(block, cfg);
  env.lazy_transfer_credits = cfg.lazy_transfer_credits;
  ExecutionOutcome out;
  const double t0 = schedule_sig_recovery(n, workers, cfg.cost, out.schedule);

  BlockStorage storage;
  storage.reset(pre_state.get(), cfg.state_cache.get());
  MvMemory mv(n);
  for (std::uint32_t i = 0; i < n; ++i)
    mv.declare_writes(i, declared_writes(block.txs[i], env.lazy_transfer_credits));
  Scheduler sched(n);
  std::vector<TxResult> results(n);

  // Async I/O: an execution whose reads go to storage releases its core while they are pending
  // (parked) and needs a core again for its CPU part when they complete (ready queue).
  const bool async = cfg.cost.async_io && cfg.cost.state_tier != StorageTier::kMemory;
  const std::size_t max_parked = static_cast<std::size_t>(workers) * cfg.async_tasks_per_core;
  std::vector<Running> slots;  // task storage; indices are stable
  std::vector<std::uint32_t> free_slots;
  auto new_slot = [&]() -> std::uint32_t {
    if (!free_slots.empty()) {
      const std::uint32_t i = free_slots.back();
      free_slots.pop_back();
      slots[i] = Running{};
      return i;
    }
    slots.emplace_back();
    return static_cast<std::uint32_t>(slots.size() - 1);
  };
  std::vector<std::optional<std::uint32_t>> on_core(workers);  // slot running on each worker
  // Events: (time, kind, id, seq). kind 0 = a core finishes its task (id = worker); kind 1 = a
  // parked task's reads complete (id = slot). Ties: by time, then kind, then id.
  struct Event {
    double t;
    int kind;
    std::uint32_t id;
    bool operator>(const Event& o) const {
      if (t != o.t) return t > o.t;
      if (kind != o.kind) return kind > o.kind;
      return id > o.id;
    }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events;
  std::queue<std::uint32_t> ready;  // parked tasks whose reads completed, FIFO
  std::size_t parked = 0;
  double now = t0;

  // Runs the task's reads (at its start) and computes its costs.
  auto prepare = [&](const Task& task) -> std::uint32_t {
    const std::uint32_t slot = new_slot();
    Running& r = slots[slot];
    r.task = task;
    const std::uint32_t tx = task.version.tx_index;
    if (task.kind == TaskKind::kExecution) {
      MvReader reader;
      reader.mv = &mv;
      reader.storage = &storage;
      reader.tx = tx;
      r.result = vm_.execute(block.txs[tx], env, reader);
      out.stats.cold_reads += reader.cold;
      out.stats.warm_reads += reader.warm;
      std::uint32_t writes = 0;
      if (r.result.status == TxStatus::kBlocked) {
        r.blocking = reader.blocking;
        r.cpu_s = cfg.cost.cpu_s(0, reader.warm, 0) + cfg.cost.parallel_task_s(reader.mv_reads);
      } else {
        r.reads = std::move(reader.reads);
        for (const TxAccess& a : vm_.accesses())
          if (a.written) {
            r.writes.push_back(MvWrite{a.key, a.current, a.delta});
            ++writes;
          }
        r.cpu_s = cfg.cost.cpu_s(block.txs[tx], r.result.gas_used, reader.warm, writes) +
                  cfg.cost.parallel_task_s(reader.mv_reads);
        ++out.stats.incarnations;
      }
      r.io_s = cfg.cost.io_s(reader.cold, reader.warm);
    } else {
      r.valid = mv.validate_read_set(tx);
      ++out.stats.validations;
      r.cpu_s = cfg.cost.validate_s(static_cast<std::uint32_t>(mv.last_reads(tx).size()));
    }
    return slot;
  };
  // Puts the task in `slot` on core w for `d` seconds.
  auto run_on_core = [&](std::uint32_t w, std::uint32_t slot, double d) {
    const Running& r = slots[slot];
    out.schedule.push_back(
        Span{w, now, now + d, r.task.version.tx_index, r.task.version.incarnation,
             r.task.kind == TaskKind::kExecution ? SpanKind::kExecute : SpanKind::kValidate});
    on_core[w] = slot;
    events.push(Event{now + d, 0, w});
  };
  // Starts a fresh task on core w (blocking) or parks it until its reads complete (async).
  auto start = [&](std::uint32_t w, const Task& task) {
    const std::uint32_t slot = prepare(task);
    Running& r = slots[slot];
    if (async && r.io_s > 0 && task.kind == TaskKind::kExecution) {
      ++parked;
      events.push(Event{now + r.io_s, 1, slot});
      return false;  // the core stays free
    }
    run_on_core(w, slot, r.cpu_s + r.io_s);
    return true;
  };

  auto complete = [&](std::uint32_t slot) -> std::optional<Task> {
    Running& r = slots[slot];
    free_slots.push_back(slot);
    const Version v = r.task.version;
    if (r.task.kind == TaskKind::kExecution) {
      if (r.blocking) {
        ++out.stats.dependency_waits;
        if (!sched.add_dependency(v.tx_index, *r.blocking)) return r.task;  // re-execute now
        return std::nullopt;
      }
      results[v.tx_index] = r.result;
      const bool wrote_new = mv.record(v, std::move(r.reads), std::move(r.writes));
      return sched.finish_execution(v.tx_index, v.incarnation, wrote_new);
    }
    const bool aborted = !r.valid && sched.try_validation_abort(v.tx_index, v.incarnation);
    if (aborted) {
      ++out.stats.aborts;
      mv.convert_writes_to_estimates(v.tx_index);
    }
    return sched.finish_validation(v.tx_index, aborted);
  };

  // Fills idle core w: a parked task whose reads completed first, else a new scheduler task.
  auto fill = [&](std::uint32_t w) {
    while (!on_core[w]) {
      if (!ready.empty()) {
        const std::uint32_t slot = ready.front();
        ready.pop();
        run_on_core(w, slot, slots[slot].cpu_s);
        return;
      }
      if (async && parked >= max_parked) return;
      const std::uint64_t before = sched.progress();
      if (auto task = sched.next_task()) {
        start(w, *task);
        continue;
      }
      if (sched.progress() == before) return;
    }
  };

  while (true) {
    for (std::uint32_t w = 0; w < workers; ++w) fill(w);
    if (events.empty()) {
      if (sched.done() || n == 0) break;
      throw std::logic_error("BlockStmExecutor: no task in flight but the block is not done");
    }
    const Event e = events.top();
    events.pop();
    now = e.t;
    if (e.kind == 1) {
      --parked;
      ready.push(e.id);
      continue;
    }
    const std::uint32_t w = e.id;
    const std::uint32_t slot = *on_core[w];
    on_core[w].reset();
    if (auto follow = complete(slot)) {
      if (!start(w, *follow)) continue;
    }
  }
  out.stats.re_executions =
      out.stats.incarnations - std::min<std::uint64_t>(out.stats.incarnations, n);

  // Final state: the last incarnation of every transaction, applied in block order (deltas
  // added to the value so far).
  StateMap delta;
  U256 fees;
  bool any_included = false;
  out.receipts.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const TxResult& r = results[i];
    out.receipts.push_back(Receipt{r.status, r.gas_used});
    if (is_included(r.status)) {
      any_included = true;
      fees += r.fee;
    }
    for (const ReadDescriptor& rd : mv.last_reads(i)) out.read_sets.keys.push_back(rd.key);
    out.read_sets.close_tx();
    for (const MvWrite& w : mv.last_writes(i)) {
      out.write_sets.keys.push_back(w.key);
      if (!w.delta) {
        delta.set(w.key, w.value);
        continue;
      }
      U256 base;
      if (const U256* v = delta.find(w.key)) {
        base = *v;
      } else {
        bool cold = false;
        base = storage.read(w.key, cold);
        ++(cold ? out.stats.cold_reads : out.stats.warm_reads);
      }
      delta.set(w.key, base + w.value);
    }
    out.write_sets.close_tx();
  }
  finish_outcome(out, block, env, pre_state, std::move(delta), fees, any_included, storage, cfg,
                 now);
  return out;
}

}  // namespace pipesim::execution
