// HotStuffPipeline: construction, the cores' events and effects (consensus wiring) and commit
// accounting. Payload services: hotstuff_pipeline_payloads.cpp; end-of-run invariants and
// metrics: hotstuff_pipeline_report.cpp.
#include "models/pipelines/hotstuff_pipeline.hpp"

#include <fmt/format.h>

#include <memory>
#include <utility>
#include <variant>

namespace pipesim::pipelines {
namespace {

constexpr std::uint16_t kConsensusChannel = 1;

FeedPolicy hotstuff_feed(const sim::Scenario& scenario) {
  FeedPolicy policy;  // entry: the never-crashing validators by sender bucket
  policy.gossip_visibility = scenario.workload.gossip;
  policy.gossip_bytes = scenario.workload.gossip;
  return policy;
}

/// Byzantine behaviours of `node` from faults.events (the sim::byzantine_events hook).
void configure_byzantine(consensus::HotStuff& core, const sim::Scenario& s, sim::NodeId node) {
  using Kind = consensus::ByzantineWindow::Kind;
  const std::pair<const char*, Kind> kinds[] = {
      {"equivocate", Kind::kEquivocate},
      {"withhold", Kind::kWithhold},
      {"invalid_execution_vote", Kind::kInvalidExecutionVote}};
  for (const auto& [name, kind] : kinds) {
    for (const sim::FaultEvent* e : sim::byzantine_events(s, node, name)) {
      consensus::ByzantineWindow w;
      w.kind = kind;
      w.from_s = e->from_s;
      w.until_s = e->until_s;
      for (std::uint32_t v : e->nodes)
        if (v != node) w.accomplices.push_back(v);
      w.withhold_from = e->withhold_from;
      w.delay_ms = e->delay_ms;
      core.add_byzantine(w);
    }
  }
}

}  // namespace

HotStuffPipeline::HotStuffPipeline(const sim::Scenario& scenario, sim::Runtime& rt)
    : scenario_(scenario),
      rt_(rt),
      rec_(rt.recorder()),
      feed_(scenario, rt, hotstuff_feed(scenario)),
      chain_(scenario, feed_.source().genesis()) {
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
    configure_byzantine(*nodes_[i].hotstuff, scenario, i);
  }
  std::vector<bool> faulty = sim::ever_crashed(scenario);
  for (std::uint32_t d : scenario.faults.divergent) faulty[d] = true;
  const std::vector<bool> byzantine = sim::ever_byzantine(scenario);
  for (NodeId i = 0; i < n; ++i) faulty[i] = faulty[i] || byzantine[i];
  for (NodeId i = 0; i < n; ++i) {
    if (!faulty[i]) {
      reference_node_ = i;
      break;
    }
  }
  block_time_s_ = scenario.consensus.block_time_ms / 1000.0;
  headers_.emplace(consensus::genesis_header().id, consensus::genesis_header());
}

HotStuffPipeline::~HotStuffPipeline() = default;

void HotStuffPipeline::on_start() {
  feed_.start([this](std::size_t, std::size_t end) { tx_committed_.resize(end, 0); });
  for (NodeId i = 0; i < nodes_.size(); ++i) {
    if (rt_.is_crashed(i)) continue;
    apply(i, nodes_[i].hotstuff->start(rt_.now()));
  }
}

void HotStuffPipeline::on_deliver(NodeId node, NodeId from, std::uint16_t channel,
                                  const std::shared_ptr<const void>& payload) {
  if (channel != kConsensusChannel) return;
  const auto& msg = *static_cast<const consensus::Message*>(payload.get());
  apply(node, nodes_[node].hotstuff->on_message(rt_.now(), from, msg));
}

void HotStuffPipeline::on_timer(NodeId node, std::uint64_t timer_id) {
  apply(node, nodes_[node].hotstuff->on_timer(rt_.now(), timer_id));
}

void HotStuffPipeline::on_recover(NodeId node) {
  apply(node, nodes_[node].hotstuff->on_recover(rt_.now()));
}

void HotStuffPipeline::on_finish() {
  report_common();
  report_pipeline();
}

// ---- effects ----

struct HotStuffPipeline::Effects {
  HotStuffPipeline& p;
  NodeId node;
  double depart;

  void operator()(const consensus::RequestPayload& e) {
    p.on_request_payload(node, e.round, e.parent, depart);
  }
  void operator()(const consensus::RequestValidation& e) {
    p.headers_.emplace(e.header.id, e.header);
    p.rec_.block_stage(node, ref(e.header), "received", p.rt_.now());
    p.on_request_validation(node, e.header);
  }
  void operator()(const consensus::Committed& e) {
    for (const auto& h : e.blocks) {
      p.account_commit(node, h);
      p.on_block_committed(node, h);
    }
  }
  void operator()(const consensus::Proposed& e) {
    p.headers_.emplace(e.header.id, e.header);
    if (auto it = p.payloads_.find(e.header.payload_id); it != p.payloads_.end()) {
      p.payload_of_block_[e.header.id] = e.header.payload_id;
      // The proposal's broadcast departs now (its signing is charged before this effect).
      if (it->second.proposed_at_s < 0) it->second.proposed_at_s = depart;
    }
    p.rec_.block_stage(node, ref(e.header), "proposed", depart);
  }
  void operator()(const consensus::Voted& e) {
    if (p.rec_.traced(node)) {
      p.rec_.instant(node, sim::Track::kConsensus, fmt::format("vote r{}", e.round), depart);
    }
    p.on_voted(node, e.block_id, depart);
  }
  void operator()(const consensus::QcFormed& e) {
    // One certified block per round (quorum intersection), whoever aggregated the QC.
    const auto [it, fresh] = p.certified_.try_emplace(e.qc.round, e.qc.block_id, node);
    if (!fresh && it->second.first != e.qc.block_id && p.conflicting_qc_.empty()) {
      p.conflicting_qc_ =
          fmt::format("round {}: block {:#x} (QC formed by node {}) and block {:#x} (node {})",
                      e.qc.round, it->second.first, it->second.second, e.qc.block_id, node);
    }
    if (p.rec_.traced(node)) {
      p.rec_.instant(node, sim::Track::kConsensus, fmt::format("QC r{}", e.qc.round), depart);
    }
    p.on_qc(node, e.qc, depart);
  }
  void operator()(const consensus::TcFormed& e) {
    if (p.rec_.traced(node)) {
      p.rec_.instant(node, sim::Track::kConsensus, fmt::format("TC r{}", e.tc.round), depart);
    }
  }
  void operator()(const consensus::RoundEntered& e) {
    if (e.reason == consensus::RoundReason::kTc && node == p.reference_node_) ++p.rounds_via_tc_;
    if (p.rec_.traced(node)) p.rec_.counter(node, "round", depart, static_cast<double>(e.round));
  }
};

void HotStuffPipeline::apply(NodeId node, const consensus::Effects& effects) {
  drive_effects(rt_, node, kConsensusChannel, effects, [&](const auto& e, double depart) {
    Effects{*this, node, depart}(e);
  });
}

// ---- commit ----

void HotStuffPipeline::account_commit(NodeId node, const BlockHeader& h) {
  const double now = rt_.now();
  nodes_[node].committed.push_back(&headers_.try_emplace(h.id, h).first->second);
  rec_.block_stage(node, ref(h), commit_stage(), now);
  auto pit = payloads_.find(h.payload_id);
  if (pit == payloads_.end()) return;
  PayloadRecord& p = pit->second;
  if (!p.finalized) {
    p.finalized = true;
    for (std::uint64_t t : p.txs) {
      tx_committed_[t] = 1;
      rec_.tx_included(t, p.built_at_s);
    }
    while (first_pending_ < tx_committed_.size() && tx_committed_[first_pending_]) {
      ++first_pending_;
    }
  }
  // Latency to commit is measured at each transaction's entry node.
  const std::uint64_t gas_each = h.tx_count ? executed_gas(h) / h.tx_count : 0;
  feed_.record_committed(node, h.payload_id, p.txs, now, gas_each);
}

}  // namespace pipesim::pipelines
