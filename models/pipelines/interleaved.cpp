#include "models/pipelines/interleaved.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_set>
#include <variant>

#include "models/consensus/hotstuff.hpp"
#include "models/pipelines/chain_state.hpp"
#include "models/workload/poisson_transfers.hpp"
#include "sim/recorder.hpp"

namespace pipesim::pipelines {
namespace {

using consensus::BlockHeader;
using consensus::BlockId;
using sim::NodeId;

constexpr std::uint16_t kConsensusChannel = 1;
/// Gas of a native transfer (Yellow Paper G_transaction = 21000).
constexpr std::uint64_t kTransferGas = 21'000;
/// Arrivals are generated in windows of this length (s), one runtime event per window.
constexpr double kArrivalWindowS = 0.1;

/// A payload built by a leader: the transactions of one proposed block.
struct PayloadRecord {
  std::uint64_t parent_payload = 0;
  std::uint32_t proposer = 0;
  double built_at_s = 0.0;
  std::vector<std::uint64_t> txs;  // arrival ids
  bool finalized = false;
};

struct NodeState {
  std::unique_ptr<consensus::HotStuff> hotstuff;
  std::map<BlockId, double> executed_at_s;  // blocks this node executed, not yet committed
  std::vector<BlockHeader> committed;       // in height order
  std::uint64_t tcs_formed = 0;
};

class Interleaved final : public sim::Application {
 public:
  Interleaved(const sim::Scenario& scenario, sim::Runtime& rt)
      : scenario_(scenario),
        rt_(rt),
        rec_(rt.recorder()),
        chain_(scenario),
        workload_({scenario.workload.tps, scenario.workload.accounts, scenario.workload.zipf_exponent},
                  scenario.seed ^ 0x776f726b6c6f6164ULL) {
    const std::uint32_t n = rt.validators();
    consensus::HotStuffConfig cfg;
    cfg.block_time_ms = scenario.consensus.block_time_ms;
    cfg.round_timeout_ms = scenario.consensus.round_timeout_ms;
    cfg.signature_verify_us = scenario.consensus.signature_verify_us;
    cfg.signature_sign_us = scenario.consensus.signature_sign_us;
    cfg.qc_verify_us = scenario.consensus.qc_verify_us;
    nodes_.resize(n);
    for (NodeId i = 0; i < n; ++i) {
      nodes_[i].hotstuff = std::make_unique<consensus::HotStuff>(cfg, i, n);
    }
    // Transactions enter at validators that never crash (a crashed node accepts nothing).
    std::vector<bool> crashes(n, false);
    for (std::uint32_t c : scenario.faults.crashed) crashes[c] = true;
    for (NodeId i = 0; i < n; ++i) {
      if (!crashes[i]) entry_nodes_.push_back(i);
    }
    reference_node_ = entry_nodes_.front();
    speed_ = scenario.nodes.speed_factor;
    block_time_s_ = scenario.consensus.block_time_ms / 1000.0;
  }

  void on_start() override {
    schedule_arrivals(0.0);
    for (NodeId i = 0; i < nodes_.size(); ++i) {
      if (rt_.is_crashed(i)) continue;
      apply(i, nodes_[i].hotstuff->start(rt_.now()));
    }
  }

  void on_deliver(NodeId node, NodeId from, std::uint16_t channel,
                  const std::shared_ptr<const void>& payload) override {
    if (channel != kConsensusChannel) return;
    const auto& msg = *static_cast<const consensus::Message*>(payload.get());
    apply(node, nodes_[node].hotstuff->on_message(rt_.now(), from, msg));
  }

  void on_timer(NodeId node, std::uint64_t timer_id) override {
    apply(node, nodes_[node].hotstuff->on_timer(rt_.now(), timer_id));
  }

  void on_finish() override { report(); }

 private:
  // ---- workload ----
  void schedule_arrivals(double from_s) {
    const double until = from_s + kArrivalWindowS;
    const std::size_t first = txs_.size();
    workload_.generate_until(until, txs_);
    tx_committed_.resize(txs_.size(), 0);
    const std::uint64_t size = scenario_.workload.tx_size_bytes;
    for (std::size_t k = first; k < txs_.size(); ++k) {
      const auto& tx = txs_[k];
      rec_.tx_submitted(tx.id, tx.submit_time_s);
      if (scenario_.workload.gossip) {
        // Gossip modelled analytically: visibility is computed when blocks are built; the bytes
        // are charged to the entry node at submission (n - 1 copies).
        rt_.at(tx.submit_time_s,
               [this, home = home_of(tx), size]() { rt_.account_broadcast_bytes(home, size); });
      }
    }
    if (until < scenario_.duration_s) rt_.at(until, [this, until]() { schedule_arrivals(until); });
  }

  NodeId home_of(const workload::TransferArrival& tx) const {
    return entry_nodes_[tx.sender % entry_nodes_.size()];
  }

  bool visible(const workload::TransferArrival& tx, NodeId at, double now) const {
    const NodeId home = home_of(tx);
    if (home == at) return tx.submit_time_s <= now;
    if (!scenario_.workload.gossip) return false;
    return tx.submit_time_s + rt_.base_latency_s(home, at) <= now;
  }

  // ---- effects ----
  void apply(NodeId node, const consensus::Effects& effects) {
    double depart = rt_.now();
    for (const auto& effect : effects) {
      std::visit([&](const auto& e) { handle(node, e, depart); }, effect);
    }
  }

  void handle(NodeId node, const consensus::Cpu& e, double& depart) {
    const double end = rt_.occupy_consensus_lane(node, e.seconds);
    const double busy = e.seconds / speed_;
    rec_.cpu_busy(node, "consensus", busy);
    if (rec_.traced(node)) rec_.span(node, sim::Track::kConsensus, e.label, end - busy, end);
    depart = std::max(depart, end);
  }
  void handle(NodeId node, const consensus::Send& e, double& depart) {
    rt_.send(node, e.to, kConsensusChannel, e.msg, e.msg->size_bytes(), depart);
  }
  void handle(NodeId node, const consensus::Broadcast& e, double& depart) {
    rt_.broadcast(node, kConsensusChannel, e.msg, e.msg->size_bytes(), depart);
  }
  void handle(NodeId node, const consensus::SetTimer& e, double&) {
    rt_.set_timer(node, e.at_s, e.id);
  }
  void handle(NodeId node, const consensus::RequestPayload& e, double& depart) {
    build_and_execute(node, e.round, e.parent, depart);
  }
  void handle(NodeId node, const consensus::RequestValidation& e, double&) {
    validate(node, e.header);
  }
  void handle(NodeId node, const consensus::Committed& e, double&) {
    for (const auto& h : e.blocks) on_committed(node, h);
  }
  void handle(NodeId node, const consensus::Proposed& e, double& depart) {
    if (payloads_.count(e.header.payload_id)) payload_of_block_[e.header.id] = e.header.payload_id;
    rec_.block_stage(node, ref(e.header), "proposed", depart);
  }
  void handle(NodeId node, const consensus::Voted& e, double& depart) {
    if (rec_.traced(node)) {
      rec_.instant(node, sim::Track::kConsensus, fmt::format("vote r{}", e.round), depart);
    }
  }
  void handle(NodeId node, const consensus::QcFormed& e, double& depart) {
    if (rec_.traced(node)) {
      rec_.instant(node, sim::Track::kConsensus, fmt::format("QC r{}", e.qc.round), depart);
    }
  }
  void handle(NodeId node, const consensus::TcFormed& e, double& depart) {
    ++nodes_[node].tcs_formed;
    if (rec_.traced(node)) {
      rec_.instant(node, sim::Track::kConsensus, fmt::format("TC r{}", e.tc.round), depart);
    }
  }
  void handle(NodeId node, const consensus::RoundEntered& e, double& depart) {
    if (e.reason == consensus::RoundReason::kTc) ++rounds_via_tc_;
    if (rec_.traced(node)) rec_.counter(node, "round", depart, static_cast<double>(e.round));
  }

  static sim::BlockRef ref(const BlockHeader& h) {
    return sim::BlockRef{h.height, h.id, h.round, h.proposer};
  }

  // ---- block building (leader) ----
  void build_and_execute(NodeId node, consensus::Round round, const BlockHeader& parent,
                         double start_s) {
    // Transactions already in the uncommitted ancestors of `parent` must not be included again.
    std::unordered_set<std::uint64_t> in_ancestors;
    for (std::uint64_t p = parent.payload_id; p != ChainState::kGenesis;) {
      auto it = payloads_.find(p);
      if (it == payloads_.end() || it->second.finalized) break;
      in_ancestors.insert(it->second.txs.begin(), it->second.txs.end());
      p = it->second.parent_payload;
    }
    const std::uint64_t max_txs = std::min<std::uint64_t>(
        scenario_.pipeline.max_block_txs, scenario_.pipeline.block_gas_limit / kTransferGas);
    const double now = start_s;
    PayloadRecord record;
    record.parent_payload = parent.payload_id;
    record.proposer = node;
    record.built_at_s = now;
    std::vector<const workload::TransferArrival*> picked;
    for (std::size_t k = first_pending_; k < txs_.size() && picked.size() < max_txs; ++k) {
      const auto& tx = txs_[k];
      if (tx.submit_time_s > now) break;
      if (tx_committed_[k] || in_ancestors.count(tx.id) || !visible(tx, node, now)) continue;
      picked.push_back(&tx);
      record.txs.push_back(tx.id);
    }
    const std::uint64_t payload_id = next_payload_id_++;
    const auto result = chain_.execute(payload_id, parent.payload_id, picked, node);
    payloads_.emplace(payload_id, std::move(record));

    consensus::Payload payload;
    payload.payload_id = payload_id;
    payload.size_bytes = picked.size() * scenario_.workload.tx_size_bytes;
    payload.state_root = result->state_root;
    payload.tx_count = result->tx_count;
    payload.gas_used = result->gas_used;
    charge_execution(node, result, start_s, [this, node, round, payload](double done) {
      apply(node, nodes_[node].hotstuff->on_payload_ready(done, round, payload));
    });
  }

  /// Queues `result`'s execution job on `node` and reports it to the recorder and trace.
  void charge_execution(NodeId node, std::shared_ptr<const ExecutedBlock> r, double queued_at,
                        std::function<void(double)> then) {
    double busy = 0;
    for (double b : r->job.worker_busy_s) busy += b;
    rec_.cpu_busy(node, "execution", busy / speed_);
    rt_.run_execution(node, r->job, [this, node, r, queued_at, then](double done) {
      const double duration = r->job.makespan_s / speed_;
      const double start = std::max(queued_at, done - duration);
      rec_.execution_job(done - start, block_time_s_);
      if (rec_.traced(node)) {
        rec_.span(node, sim::Track::kExecution, fmt::format("execute {} txs", r->tx_count), start,
                  done);
        const double scale = (done - start) / std::max(r->job.makespan_s, 1e-12);
        for (const auto& s : r->spans) {
          rec_.span(
              node,
              static_cast<sim::Track>(static_cast<std::uint32_t>(sim::Track::kWorker0) + s.worker),
              "worker", start + s.start_s * scale, start + s.end_s * scale);
        }
      }
      then(done);
    });
  }

  // ---- validation (every validator) ----
  void validate(NodeId node, const BlockHeader& header) {
    rec_.block_stage(node, ref(header), "received", rt_.now());
    std::shared_ptr<const ExecutedBlock> result = chain_.find(header.payload_id);
    auto it = payloads_.find(header.payload_id);
    if (result == nullptr || it == payloads_.end() ||
        it->second.parent_payload != header_payload(header.parent_id)) {
      // Unknown payload or a parent mismatch: nothing to execute, refuse.
      apply(node, nodes_[node].hotstuff->on_validated(rt_.now(), header.id, false));
      return;
    }
    charge_execution(node, result, rt_.now(), [this, node, header, result](double done) {
      nodes_[node].executed_at_s[header.id] = done;
      rec_.block_stage(node, ref(header), "executed", done);
      // The validator's own execution yields result->state_root (compute once: honest nodes
      // agree); it votes only if the header carries that root.
      const bool valid = header.state_root == result->state_root;
      apply(node, nodes_[node].hotstuff->on_validated(done, header.id, valid));
    });
  }

  std::uint64_t header_payload(BlockId id) const {
    if (id == consensus::genesis_header().id) return ChainState::kGenesis;
    auto it = payload_of_block_.find(id);
    return it == payload_of_block_.end() ? std::numeric_limits<std::uint64_t>::max() : it->second;
  }

  // ---- commit ----
  void on_committed(NodeId node, const BlockHeader& h) {
    const double now = rt_.now();
    NodeState& ns = nodes_[node];
    ns.committed.push_back(h);
    rec_.block_stage(node, ref(h), "committed", now);
    auto pit = payloads_.find(h.payload_id);
    if (pit == payloads_.end()) return;
    PayloadRecord& p = pit->second;
    std::shared_ptr<const ExecutedBlock> result = chain_.find(h.payload_id);
    if (!p.finalized) {
      p.finalized = true;
      if (result) committed_roots_[h.payload_id] = result->state_root;
      chain_.finalize(h.payload_id);
      for (std::uint64_t tx : p.txs) {
        tx_committed_[tx] = 1;
        rec_.tx_included(tx, p.built_at_s);
      }
      while (first_pending_ < tx_committed_.size() && tx_committed_[first_pending_]) {
        ++first_pending_;
      }
    }
    // Latency to commit / executed is measured at each transaction's entry node.
    auto eit = ns.executed_at_s.find(h.id);
    const double executed = eit != ns.executed_at_s.end() ? eit->second : now;
    const std::uint64_t gas_each =
        result && result->tx_count ? result->gas_used / result->tx_count : kTransferGas;
    for (std::uint64_t tx : p.txs) {
      if (home_of(txs_[tx]) != node) continue;
      rec_.tx_committed(tx, now, gas_each);
      rec_.tx_executed(tx, std::min(executed, now));
    }
    ns.executed_at_s.erase(h.id);
  }

  // ---- end of run ----
  void report() {
    const std::uint32_t n = static_cast<std::uint32_t>(nodes_.size());
    // Invariant: committed chains of honest nodes are prefixes of one another.
    const std::vector<BlockHeader>* longest = nullptr;
    for (NodeId i = 0; i < n; ++i) {
      if (rt_.is_crashed(i)) continue;
      if (!longest || nodes_[i].committed.size() > longest->size()) longest = &nodes_[i].committed;
    }
    bool prefix = true;
    bool roots = true;
    std::string detail;
    for (NodeId i = 0; i < n && longest; ++i) {
      if (rt_.is_crashed(i)) continue;
      const auto& c = nodes_[i].committed;
      for (std::size_t k = 0; k < c.size(); ++k) {
        if (c[k].id != (*longest)[k].id) {
          prefix = false;
          detail = fmt::format("node {} height {} differs", i, c[k].height);
          break;
        }
        auto r = committed_roots_.find(c[k].payload_id);
        if (r == committed_roots_.end() || r->second != c[k].state_root ||
            c[k].state_root != (*longest)[k].state_root) {
          roots = false;
        }
      }
    }
    rec_.invariant("committed_chains_are_prefixes", prefix, detail);
    rec_.invariant("honest_state_roots_agree", roots);

    const auto& ref_chain = nodes_[reference_node_].committed;
    rec_.metric("blocks_committed", {{"value", ref_chain.size()}, {"unit", "blocks"}});
    std::uint64_t txs = 0, gas = 0;
    for (const auto& h : ref_chain) {
      txs += h.tx_count;
      gas += h.gas_used;
    }
    rec_.metric("txs_committed", {{"value", txs}, {"unit", "tx"}});
    rec_.metric("throughput_tx_per_s",
                {{"value", static_cast<double>(txs) / scenario_.duration_s}, {"unit", "tx/s"}});
    rec_.metric("throughput_gas_per_s",
                {{"value", static_cast<double>(gas) / scenario_.duration_s}, {"unit", "gas/s"}});
    rec_.metric("final_round",
                {{"value", nodes_[reference_node_].hotstuff->current_round()}, {"unit", "round"}});
    rec_.metric("rounds_entered_via_tc", {{"value", rounds_via_tc_}, {"unit", "count"}});
    rec_.metric("txs_submitted", {{"value", txs_.size()}, {"unit", "tx"}});
    std::vector<double> intervals;
    for (std::size_t k = 1; k < ref_chain.size(); ++k) {
      auto a = payloads_.find(ref_chain[k - 1].payload_id);
      auto b = payloads_.find(ref_chain[k].payload_id);
      if (a != payloads_.end() && b != payloads_.end()) {
        intervals.push_back(b->second.built_at_s - a->second.built_at_s);
      }
    }
    rec_.sample_metric("block_interval_s", intervals, "s");
  }

  const sim::Scenario& scenario_;
  sim::Runtime& rt_;
  sim::Recorder& rec_;
  ChainState chain_;
  workload::PoissonTransfers workload_;
  std::vector<NodeState> nodes_;
  std::vector<NodeId> entry_nodes_;
  NodeId reference_node_ = 0;
  double speed_ = 1.0;
  double block_time_s_ = 1.0;
  std::vector<workload::TransferArrival> txs_;
  std::vector<std::uint8_t> tx_committed_;
  std::size_t first_pending_ = 0;
  std::map<std::uint64_t, PayloadRecord> payloads_;
  std::map<BlockId, std::uint64_t> payload_of_block_;
  std::map<std::uint64_t, Hash32> committed_roots_;  // executed root of each final payload
  std::uint64_t next_payload_id_ = 1;
  std::uint64_t rounds_via_tc_ = 0;
};

}  // namespace

std::unique_ptr<sim::Application> make_interleaved(const sim::Scenario& scenario,
                                                   sim::Runtime& runtime) {
  return std::make_unique<Interleaved>(scenario, runtime);
}

}  // namespace pipesim::pipelines
