#include "models/pipelines/speculate_order_replay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "models/consensus/dag_bft.hpp"
#include "models/execution/dag_replay.hpp"
#include "models/execution/sequential.hpp"
#include "models/execution/speculation.hpp"
#include "models/execution/state.hpp"
#include "models/execution/state_commitment.hpp"
#include "models/pipelines/chain_state.hpp"
#include "models/pipelines/kernel/driver.hpp"
#include "models/pipelines/kernel/execution_lane.hpp"
#include "models/pipelines/kernel/invariants.hpp"
#include "models/pipelines/kernel/metrics.hpp"
#include "models/pipelines/kernel/workload_feed.hpp"
#include "models/workload/tx_source.hpp"
#include "sim/recorder.hpp"

namespace pipesim::pipelines {
namespace {

namespace ex = pipesim::execution;
namespace cs = pipesim::consensus;
using sim::NodeId;

constexpr std::uint16_t kDagChannel = 2;
constexpr std::uint64_t kCoinSeedSalt = 0x636f696eULL;  // "coin"
/// Encoded size of one dependency-DAG edge in a vertex: from 4 + to 4 + kind 1 bytes.
constexpr std::uint64_t kEdgeBytes = 9;
/// Encoded size of one speculated key (read or write set entry): a 32-byte key hash.
constexpr std::uint64_t kKeyBytes = 32;

sim::CpuJob job_of(const std::vector<ex::Span>& schedule, double makespan_s,
                   std::uint32_t threads) {
  sim::CpuJob job;
  job.worker_busy_s.assign(threads, 0.0);
  job.makespan_s = makespan_s;
  for (const ex::Span& s : schedule) {
    job.worker_busy_s[std::min(s.worker, threads - 1)] += s.end_s - s.start_s;
  }
  return job;
}

class SpeculateOrderReplay final : public sim::Application {
 public:
  SpeculateOrderReplay(const sim::Scenario& scenario, sim::Runtime& rt)
      : scenario_(scenario),
        rt_(rt),
        rec_(rt.recorder()),
        feed_(scenario, rt, FeedPolicy{}),
        leader_only_(scenario.pipeline.sor.speculation == "leader") {
    const std::uint32_t n = rt.validators();
    cs::DagBftConfig cfg;
    cfg.wave_length_rounds = scenario.consensus.dag.wave_length_rounds;
    cfg.round_time_ms = scenario.consensus.dag.round_time_ms;
    cfg.coin_seed = scenario.seed ^ kCoinSeedSalt;
    cfg.signature_verify_us = scenario.consensus.signature_verify_us;
    cfg.signature_sign_us = scenario.consensus.signature_sign_us;
    cfg.certificate_verify_us = scenario.consensus.qc_verify_us;
    nodes_.resize(n);
    for (NodeId i = 0; i < n; ++i) nodes_[i].dag = std::make_unique<cs::DagBft>(cfg, i, n);
    reference_node_ = sim::never_crashed(scenario).front();

    exec_.threads = scenario.pipeline.threads;
    exec_.lazy_beneficiary = scenario.pipeline.lazy_beneficiary;
    exec_.compute_root = true;
    const auto& c = scenario.pipeline.cost_model;
    exec_.cost = c.model();
    if (c.memory_cache_bytes > 0)
      exec_.state_cache = std::make_shared<ex::StateCache>(c.memory_cache_bytes);
    replay_.mode = scenario.pipeline.sor.replay_mode == "basic" ? ex::ReplayMode::kBasic
                                                                : ex::ReplayMode::kImproved;
    spec_.reorder = scenario.pipeline.sor.reorder;

    // Genesis: the workload's accounts plus an empty beneficiary account per validator (so fee
    // credits never create accounts), as every pipeline's.
    states_.emplace(0, ChainState::genesis_layer(scenario, feed_.source().genesis()));
  }

  void on_start() override {
    // Transactions wait at their entry node for its next batch (no mempool gossip: a
    // transaction travels in its batch's vertex).
    feed_.start([this](std::size_t first, std::size_t end) {
      for (std::size_t k = first; k < end; ++k) nodes_[home_of(k)].pending.push_back(k);
      tx_ordered_.resize(end, 0);
    });
    for (NodeId i = 0; i < nodes_.size(); ++i) {
      if (rt_.is_crashed(i)) continue;
      apply(i, nodes_[i].dag->start(rt_.now()));
    }
    // Byzantine `dag_equivocate` (faults.events): the node seals two vertices per round while
    // the event lasts (DagBft::set_equivocating; honest nodes certify at most one of them).
    for (NodeId i = 0; i < nodes_.size(); ++i) {
      for (const sim::FaultEvent* ev : sim::byzantine_events(scenario_, i, "dag_equivocate")) {
        any_equivocator_ = true;
        rt_.at(ev->from_s, [this, i] { nodes_[i].dag->set_equivocating(true); });
        rt_.at(ev->until_s, [this, i] { nodes_[i].dag->set_equivocating(false); });
      }
    }
  }

  void on_deliver(NodeId node, NodeId from, std::uint16_t channel,
                  const std::shared_ptr<const void>& payload) override {
    if (channel != kDagChannel) return;
    apply(node, nodes_[node].dag->on_message(
                    rt_.now(), from, std::static_pointer_cast<const cs::DagMessage>(payload)));
  }

  void on_timer(NodeId node, std::uint64_t timer_id) override {
    apply(node, nodes_[node].dag->on_timer(rt_.now(), timer_id));
  }

  /// A recovered node re-arms the DAG core's timers (those due while it was down were lost).
  void on_recover(NodeId node) override { apply(node, nodes_[node].dag->on_recover(rt_.now())); }

  void on_finish() override { report(); }

 private:
  /// A vertex's payload: the batch of transactions (in proposed order) and its speculation.
  struct Batch {
    NodeId proposer = 0;
    std::vector<std::uint64_t> txs;                      // arrival ids, proposed order
    std::shared_ptr<const ex::SpeculatedAccess> access;  // nullptr: not speculated
    double certified_at_s = -1.0;
  };
  /// One committed anchor's replay block, computed once (the k-th anchor ordered by every node).
  struct AnchorBlock {
    std::uint64_t wave = 0;
    cs::VertexRef anchor;
    std::vector<cs::VertexRef> vertices;   // ordered vertices, total order
    std::vector<std::uint64_t> txs;        // arrival ids, block order
    std::vector<std::uint64_t> batch_ids;  // non-empty batches, block order
    std::vector<std::uint64_t> gas;        // gas used per tx (receipts), block order
    std::uint64_t gas_used = 0;
    sim::CpuJob job;
    ex::ReplayStats stats;
    Hash32 root{};
  };
  struct NodeState {
    std::unique_ptr<cs::DagBft> dag;
    std::deque<std::uint64_t> pending;  // own (home) transactions not yet in a batch
    /// Own speculated batches not yet replayed here, with their speculated writes (oldest
    /// first): the base of the next speculation with pipeline.sor.speculate_on_pending.
    std::deque<std::pair<std::uint64_t, std::shared_ptr<const ex::StateMap>>> inflight;
    std::uint64_t ordered = 0;   // anchors ordered
    std::uint64_t replayed = 0;  // anchors replayed (index into states_)
    double last_ordered_s = 0.0;
    /// Anchors this node ordered differently from the k-th anchor computed first (an agreement
    /// violation; normally empty): k -> the transactions of its own sub-DAG, in order.
    std::map<std::uint64_t, std::vector<std::uint64_t>> own_txs;
  };
  struct Effects;

  /// Entry node of transaction `id` (the kernel's default rule).
  NodeId home_of(std::uint64_t id) const { return feed_.entry_of(feed_.tx(id)); }

  // ---- speculation (RequestBatch) ----

  void on_request_batch(NodeId node, cs::Round round, double start_s) {
    NodeState& ns = nodes_[node];
    std::vector<std::uint64_t> picked;
    std::uint64_t gas = 0;
    while (!ns.pending.empty() && picked.size() < scenario_.pipeline.max_block_txs) {
      const workload::TxArrival& t = feed_.tx(ns.pending.front());
      if (t.submit_time_s > start_s) break;
      if (gas + t.tx.gas_limit > scenario_.pipeline.block_gas_limit) break;
      gas += t.tx.gas_limit;
      picked.push_back(t.id);
      ns.pending.pop_front();
    }
    if (picked.empty()) {
      apply(node, ns.dag->on_batch_ready(start_s, round, cs::DagBatch{}));
      return;
    }
    ex::Block block;
    block.number = ns.replayed + 1;
    block.beneficiary = ChainState::beneficiary_address(node);
    block.gas_limit = scenario_.pipeline.block_gas_limit;
    block.txs.reserve(picked.size());
    for (std::uint64_t id : picked) block.txs.push_back(feed_.tx(id).tx);

    Batch batch;
    batch.proposer = node;
    cs::DagBatch dag_batch;
    dag_batch.batch_id = batches_.size() + 1;
    dag_batch.tx_count = picked.size();
    const bool speculates = !leader_only_ || round % nodes_.size() == node;
    if (!speculates) {
      batch.txs = std::move(picked);
      for (const auto& t : block.txs) dag_batch.size_bytes += t.size_bytes();
      batches_.push_back(std::move(batch));
      apply(node, ns.dag->on_batch_ready(start_s, round, dag_batch));
      return;
    }
    ex::StateLayer::Ptr base = states_.at(ns.replayed);
    if (scenario_.pipeline.sor.speculate_on_pending && !ns.inflight.empty()) {
      ex::StateMap pending;
      for (const auto& [id, writes] : ns.inflight) {
        writes->for_each([&](const ex::StateKey& k, const ex::U256& v) { pending.set(k, v); });
      }
      base = ex::StateLayer::make_child(base, std::move(pending), /*update_commitment=*/false);
    }
    ex::SpeculationResult r = ex::speculate(block, base, exec_, spec_);
    if (scenario_.pipeline.sor.speculate_on_pending) {
      ns.inflight.emplace_back(dag_batch.batch_id,
                               std::make_shared<const ex::StateMap>(std::move(r.writes)));
    }
    batch.txs.reserve(picked.size());
    for (std::uint32_t i : r.original_index) batch.txs.push_back(picked[i]);
    for (const auto& t : r.block.txs) dag_batch.size_bytes += t.size_bytes();
    dag_batch.size_bytes += r.dag.edges.size() * kEdgeBytes +
                            (r.access.reads.keys.size() + r.access.writes.keys.size()) * kKeyBytes;
    batch.access = std::make_shared<const ex::SpeculatedAccess>(std::move(r.access));
    batches_.push_back(std::move(batch));

    LaneCharge what;
    what.stage = "speculation";
    what.track = sim::Track::kSpeculate;
    what.label = fmt::format("speculate {} txs", picked.size());
    what.record_job = false;
    charge_execution(rt_, node, job_of(r.schedule, r.makespan_s, exec_.threads), what,
                     [this, node, round, dag_batch](double done, double duration) {
                       speculation_time_s_.push_back(duration);
                       apply(node, nodes_[node].dag->on_batch_ready(done, round, dag_batch));
                     });
  }

  // ---- ordering and replay ----

  /// Builds (once) the replay block of anchor index `k` from an Ordered effect.
  const AnchorBlock& anchor_block(std::uint64_t k, const cs::Ordered& o) {
    if (k < anchors_.size()) return anchors_[k];
    AnchorBlock a;
    a.wave = o.wave;
    a.anchor = o.anchor;
    ex::Block block;
    block.number = k + 1;
    block.beneficiary = ChainState::beneficiary_address(o.anchor.source);
    ex::SpeculatedAccess spec;
    for (const auto& v : o.vertices) {
      a.vertices.push_back(v.header->ref());
      if (!ordered_vertices_.insert({v.header->round, v.header->source}).second) {
        vertex_ordered_twice_ = true;
      }
      if (v.header->batch.batch_id == 0) continue;
      Batch& b = batches_.at(v.header->batch.batch_id - 1);
      a.batch_ids.push_back(v.header->batch.batch_id);
      for (std::uint64_t t : b.txs) {
        a.txs.push_back(t);
        block.txs.push_back(feed_.tx(t).tx);
        rec_.tx_included(t, b.certified_at_s >= 0 ? b.certified_at_s : rt_.now());
        if (tx_ordered_[t]++) tx_ordered_twice_ = true;
      }
      ex::append_speculation(spec, b.access ? *b.access : ex::empty_speculation(b.txs.size()));
    }
    block.gas_limit = std::max<std::uint64_t>(
        scenario_.pipeline.block_gas_limit,
        static_cast<std::uint64_t>(o.vertices.size()) * scenario_.pipeline.block_gas_limit);
    ex::ReplayOutcome r = ex::replay_block(block, states_.at(k), exec_, &spec, replay_);
    // Serialisability check (once per anchor): Sequential on the replay's serial order gives the
    // same state root and gas.
    {
      ex::Block serial = block;
      for (std::size_t p = 0; p < r.serial_order.size(); ++p) {
        serial.txs[p] = block.txs[r.serial_order[p]];
      }
      ex::SequentialExecutor seq;
      const ex::ExecutionOutcome ref = seq.execute(serial, states_.at(k), exec_);
      if ((ref.state_root != r.outcome.state_root || ref.gas_used != r.outcome.gas_used) &&
          serial_detail_.empty()) {
        serial_detail_ = fmt::format("anchor #{} ({} txs)", k + 1, block.txs.size());
      }
    }
    a.gas.reserve(block.txs.size());
    for (const auto& receipt : r.outcome.receipts) a.gas.push_back(receipt.gas_used);
    a.gas_used = r.outcome.gas_used;
    a.job = job_of(r.outcome.schedule, r.outcome.makespan_s, exec_.threads);
    a.stats = r.stats;
    a.root = r.outcome.state_root.value_or(Hash32{});
    ex::StateLayer::Ptr post = std::move(r.outcome.post_state);
    if (post->depth() > ChainState::kMaxOverlayDepth) post = post->flatten();
    states_.emplace(k + 1, std::move(post));
    anchors_.push_back(std::move(a));
    return anchors_.back();
  }

  void on_ordered(NodeId node, const cs::Ordered& o, double now) {
    NodeState& ns = nodes_[node];
    const std::uint64_t k = ns.ordered++;
    const AnchorBlock& a = anchor_block(k, o);
    // Agreement: this node ordered exactly the vertices of the k-th anchor computed first.
    bool same = o.anchor == a.anchor && o.vertices.size() == a.vertices.size();
    for (std::size_t i = 0; same && i < o.vertices.size(); ++i) {
      same = o.vertices[i].header->ref() == a.vertices[i];
    }
    if (!same && agreement_detail_.empty()) {
      agreement_detail_ = fmt::format("node {} anchor #{} differs", node, k + 1);
    }
    if (!same) {
      // Keep what this node ordered for no_transaction_committed_twice (report()).
      std::vector<std::uint64_t>& own = ns.own_txs[k];
      for (const auto& v : o.vertices) {
        if (v.header->batch.batch_id == 0) continue;
        const Batch& b = batches_.at(v.header->batch.batch_id - 1);
        own.insert(own.end(), b.txs.begin(), b.txs.end());
      }
    }
    const sim::BlockRef ref{k + 1, a.anchor.digest, a.anchor.round, a.anchor.source};
    rec_.block_stage(node, ref, "ordered", now);
    for (std::size_t i = 0; i < a.txs.size(); ++i) {
      const std::uint64_t t = a.txs[i];
      if (home_of(t) == node) rec_.tx_committed(t, now, a.gas[i]);
    }
    // Ordering latency of this node's own vertices, proposal -> ordered.
    for (const auto& v : o.vertices) {
      if (v.header->source != node) continue;
      auto it = proposed_at_.find({v.header->round, node});
      if (it == proposed_at_.end()) continue;
      ordering_latency_s_.push_back(now - it->second);
      if (rec_.traced(node)) {
        rec_.span(node, sim::Track::kOrder, fmt::format("order r{}", v.header->round), it->second,
                  now);
      }
      proposed_at_.erase(it);
    }
    const double budget = std::max(now - ns.last_ordered_s, 1e-9);
    if (node == reference_node_) {
      if (k > 0) anchor_interval_s_.push_back(now - ns.last_ordered_s);
      replay_batches_.push_back(a.stats.batches);
      if (a.stats.txs > 0) {
        replay_parallelism_.push_back(a.stats.mean_batch_size);
        replay_speedup_.push_back(a.stats.speedup_over_sequential);
      }
    }
    ns.last_ordered_s = now;
    // The anchor is known once this handler's consensus work ends (`now`, after the lane's CPU
    // time): the replay is queued on the execution lane then, not at the delivery's time.
    auto replay = [this, node, k, ref, budget]() {
      LaneCharge what;
      what.stage = "replay";
      what.track = sim::Track::kReplay;
      what.label = fmt::format("replay {} txs", anchors_[k].txs.size());
      what.budget_s = budget;
      charge_execution(rt_, node, anchors_[k].job, what,
                       [this, node, k, ref](double done, double duration) {
                         replayed(node, k, ref, done, duration);
                       });
    };
    if (now > rt_.now()) {
      rt_.at(now, std::move(replay));
    } else {
      replay();
    }
  }

  /// Anchor `k`'s replay ended at `node`.
  void replayed(NodeId node, std::uint64_t k, const sim::BlockRef& ref, double done,
                double duration) {
    const AnchorBlock& ab = anchors_[k];
    NodeState& s = nodes_[node];
    s.replayed = k + 1;
    rec_.block_stage(node, ref, "replayed", done);
    if (node == reference_node_) replay_time_s_.push_back(duration);
    for (std::uint64_t t : ab.txs) {
      if (home_of(t) == node) rec_.tx_executed(t, done);
    }
    std::erase_if(s.inflight, [&](const auto& entry) {
      return std::find(ab.batch_ids.begin(), ab.batch_ids.end(), entry.first) != ab.batch_ids.end();
    });
    prune_states();
  }

  /// Drops post-states no live node can speculate on any more.
  void prune_states() {
    std::uint64_t low = anchors_.size();
    for (NodeId i = 0; i < nodes_.size(); ++i) {
      if (!rt_.is_crashed(i)) low = std::min(low, nodes_[i].replayed);
    }
    while (!states_.empty() && states_.begin()->first < low) states_.erase(states_.begin());
  }

  void apply(NodeId node, const cs::DagEffects& effects);

  // ---- end of run ----

  /// no_transaction_committed_twice: per honest node (not crashed from the start, never
  /// Byzantine; crashed-and-recovered nodes are honest), the transactions of the anchors'
  /// sub-DAGs it ordered (and replayed from), in order; "" when none is committed twice, else
  /// the first duplicate of the first such node (node, anchor, its round and proposer, tx id,
  /// the anchor it was first ordered in).
  std::string committed_twice_detail() const {
    const std::uint32_t n = static_cast<std::uint32_t>(nodes_.size());
    std::vector<bool> honest = sim::ever_byzantine(scenario_);
    honest.flip();
    for (std::uint32_t c : scenario_.faults.crashed) honest[c] = false;
    // Transactions of anchor `k` as `own` ordered them (own: a node's divergent orderings).
    auto scan = [&](const std::map<std::uint64_t, std::vector<std::uint64_t>>& own,
                    std::uint64_t upto) {
      DuplicateTxFinder finder;  // positions: anchor indexes k (anchor #k+1)
      for (std::uint64_t k = 0; k < upto && !finder.first(); ++k) {
        auto it = own.find(k);
        finder.add(k, it != own.end() ? std::span<const std::uint64_t>(it->second)
                                      : std::span<const std::uint64_t>(anchors_[k].txs));
      }
      return finder.first();
    };
    // The nodes that ordered the anchors as computed first (every node, unless an agreement
    // violation) share one sequence: it is scanned once, as far as any of them ordered.
    std::uint64_t shared_upto = 0;
    for (NodeId i = 0; i < n; ++i) {
      if (honest[i] && nodes_[i].own_txs.empty()) {
        shared_upto = std::max(shared_upto, nodes_[i].ordered);
      }
    }
    const std::optional<DuplicateTx> shared = scan({}, shared_upto);
    for (NodeId i = 0; i < n; ++i) {
      if (!honest[i]) continue;
      const NodeState& ns = nodes_[i];
      std::optional<DuplicateTx> d = ns.own_txs.empty() ? shared : scan(ns.own_txs, ns.ordered);
      if (!d || d->position >= ns.ordered) continue;
      const cs::VertexRef& at = anchors_[d->position].anchor;
      return fmt::format(
          "node {} anchor #{} (round {}, proposer {}): transaction {} (already ordered in "
          "anchor #{})",
          i, d->position + 1, at.round, at.source, d->tx, d->first_position + 1);
    }
    return {};
  }

  void report() {
    rec_.invariant("honest_nodes_order_same_anchor_sequence", agreement_detail_.empty(),
                   agreement_detail_);
    rec_.invariant("vertex_ordered_at_most_once", !vertex_ordered_twice_);
    rec_.invariant("transaction_ordered_at_most_once", !tx_ordered_twice_);
    rec_.invariant("replay_equals_sequential_on_serial_order", serial_detail_.empty(),
                   serial_detail_);
    const std::string twice = committed_twice_detail();
    rec_.invariant("no_transaction_committed_twice", twice.empty(), twice);

    const NodeState& ref = nodes_[reference_node_];
    std::uint64_t txs = 0, gas = 0, exact = 0, reexec = 0;
    for (std::uint64_t k = 0; k < ref.ordered; ++k) {
      const AnchorBlock& a = anchors_[k];
      txs += a.txs.size();
      gas += a.gas_used;
      exact += a.stats.speculated_exact;
      reexec += a.stats.re_executed;
    }
    const double dtxs = static_cast<double>(txs);
    ChainTotals totals;
    totals.blocks = ref.ordered;
    totals.txs_submitted = feed_.size();
    totals.txs_committed = txs;
    totals.gas = gas;
    totals.re_executions = reexec;  // re-executed serially after the replay batch
    totals.executed_txs = txs;
    totals.block_intervals_s = anchor_interval_s_;
    report_chain_metrics(rec_, totals, feed_.source(), scenario_.duration_s);
    rec_.metric("anchors_committed", {{"value", ref.ordered}, {"unit", "anchors"}});
    rec_.metric("dag_rounds", {{"value", ref.dag->current_round()}, {"unit", "rounds"}});
    if (!scenario_.faults.events.empty()) {
      // Fault schedules only (keeps fault-free summaries unchanged): header retransmission and
      // vertex fetch, summed over nodes.
      std::uint64_t resent = 0, certs = 0, fetches = 0;
      for (const auto& ns : nodes_) {
        resent += ns.dag->headers_resent();
        certs += ns.dag->certificates_resent();
        fetches += ns.dag->fetches_sent();
      }
      rec_.metric("dag_headers_resent", {{"value", resent}, {"unit", "count"}});
      rec_.metric("dag_certificates_resent", {{"value", certs}, {"unit", "count"}});
      rec_.metric("dag_fetches_sent", {{"value", fetches}, {"unit", "count"}});
    }
    if (any_equivocator_) {
      std::uint64_t detected = 0;
      for (const auto& ns : nodes_) detected += ns.dag->equivocations_detected();
      rec_.metric("dag_equivocations_detected", {{"value", detected}, {"unit", "count"}});
    }
    rec_.metric("speculation_accuracy",
                {{"value", txs ? static_cast<double>(exact) / dtxs : 1.0}, {"unit", "ratio"}});
    rec_.metric("reexecution_fraction",
                {{"value", txs ? static_cast<double>(reexec) / dtxs : 0.0}, {"unit", "ratio"}});
    rec_.metric("batches_speculated", {{"value", speculation_time_s_.size()}, {"unit", "count"}});
    rec_.sample_metric("replay_batches_per_block", replay_batches_, "batches");
    rec_.sample_metric("replay_parallelism", replay_parallelism_, "tx/batch");
    rec_.sample_metric("replay_speedup_over_sequential", replay_speedup_, "ratio");
    rec_.sample_metric("speculation_time_s", speculation_time_s_, "s");
    rec_.sample_metric("replay_time_s", replay_time_s_, "s");
    rec_.sample_metric("ordering_latency_s", ordering_latency_s_, "s");
  }

  const sim::Scenario& scenario_;
  sim::Runtime& rt_;
  sim::Recorder& rec_;
  WorkloadFeed feed_;
  bool leader_only_ = false;
  bool any_equivocator_ = false;  // a dag_equivocate event names some node
  NodeId reference_node_ = 0;
  ex::ExecutorConfig exec_;
  ex::ReplayConfig replay_;
  ex::SpeculationConfig spec_;

  std::vector<NodeState> nodes_;
  std::vector<std::uint8_t> tx_ordered_;                                // by id: times ordered
  std::deque<Batch> batches_;                                           // batch id - 1
  std::deque<AnchorBlock> anchors_;                                     // anchor index (0-based)
  std::map<std::uint64_t, ex::StateLayer::Ptr> states_;                 // state after k anchors
  std::map<std::pair<cs::Round, NodeId>, double> proposed_at_;          // own vertices, not ordered
  std::map<std::pair<cs::Round, NodeId>, std::uint64_t> vertex_batch_;  // own, not certified
  std::set<std::pair<cs::Round, NodeId>> ordered_vertices_;
  std::string agreement_detail_;
  std::string serial_detail_;
  bool vertex_ordered_twice_ = false;
  bool tx_ordered_twice_ = false;

  std::vector<double> speculation_time_s_, replay_time_s_, ordering_latency_s_;
  std::vector<double> anchor_interval_s_, replay_batches_, replay_parallelism_, replay_speedup_;
};

struct SpeculateOrderReplay::Effects {
  SpeculateOrderReplay& p;
  NodeId node;
  double depart;

  void operator()(const cs::RequestBatch& e) { p.on_request_batch(node, e.round, depart); }
  void operator()(const cs::Ordered& e) { p.on_ordered(node, e, depart); }
  void operator()(const cs::VertexProposed& e) {
    p.proposed_at_[{e.header->round, node}] = depart;
    p.vertex_batch_[{e.header->round, node}] = e.header->batch.batch_id;
    p.rec_.block_stage(node, vertex_ref(e.header->ref()), "proposed", depart);
  }
  void operator()(const cs::VertexAdded&) {}
  void operator()(const cs::CertificateFormed& e) {
    p.rec_.block_stage(node, vertex_ref(e.ref), "certified", depart);
    auto it = p.vertex_batch_.find({e.ref.round, node});
    if (it == p.vertex_batch_.end()) return;
    if (it->second != 0) p.batches_.at(it->second - 1).certified_at_s = depart;
    p.vertex_batch_.erase(it);
  }
  static sim::BlockRef vertex_ref(const cs::VertexRef& r) {
    return sim::BlockRef{r.round, r.digest, r.round, r.source};
  }
};

void SpeculateOrderReplay::apply(NodeId node, const cs::DagEffects& effects) {
  drive_effects(rt_, node, kDagChannel, effects, [&](const auto& e, double depart) {
    Effects{*this, node, depart}(e);
  });
}

}  // namespace

std::unique_ptr<sim::Application> make_speculate_order_replay(const sim::Scenario& scenario,
                                                              sim::Runtime& runtime) {
  return std::make_unique<SpeculateOrderReplay>(scenario, runtime);
}

}  // namespace pipesim::pipelines
