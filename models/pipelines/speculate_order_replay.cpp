// speculate_order_replay: construction, the DAG BFT cores' events and effects (the kernel's
// drive_effects; RequestBatch and Ordered go to the speculation and replay stages). See
// speculate_order_replay.hpp.
#include "models/pipelines/speculate_order_replay.hpp"

#include <memory>
#include <utility>
#include <variant>

#include "models/pipelines/kernel/driver.hpp"
#include "models/pipelines/kernel/execution_config.hpp"
#include "models/pipelines/speculate_order_replay_app.hpp"

namespace pipesim::pipelines {
namespace speculate_order_replay_detail {
namespace {

constexpr std::uint16_t kDagChannel = 2;
constexpr std::uint64_t kCoinSeedSalt = 0x636f696eULL;  // "coin"

}  // namespace

SpeculateOrderReplay::SpeculateOrderReplay(const sim::Scenario& scenario, sim::Runtime& rt)
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

  exec_ = executor_config(scenario);
  replay_.mode = scenario.pipeline.sor.replay_mode == "basic" ? ex::ReplayMode::kBasic
                                                              : ex::ReplayMode::kImproved;
  spec_.reorder = scenario.pipeline.sor.reorder;

  states_.emplace(0, genesis_state(scenario, feed_.source().genesis()));
}

void SpeculateOrderReplay::on_start() {
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
      rt_.at(ev->from_s, [this, i] { nodes_[i].dag->set_equivocating(true); });
      rt_.at(ev->until_s, [this, i] { nodes_[i].dag->set_equivocating(false); });
    }
  }
}

void SpeculateOrderReplay::on_deliver(NodeId node, NodeId from, std::uint16_t channel,
                                      const std::shared_ptr<const void>& payload) {
  if (channel != kDagChannel) return;
  apply(node, nodes_[node].dag->on_message(
                  rt_.now(), from, std::static_pointer_cast<const cs::DagMessage>(payload)));
}

void SpeculateOrderReplay::on_timer(NodeId node, std::uint64_t timer_id) {
  apply(node, nodes_[node].dag->on_timer(rt_.now(), timer_id));
}

void SpeculateOrderReplay::on_recover(NodeId node) {
  apply(node, nodes_[node].dag->on_recover(rt_.now()));
}

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

}  // namespace speculate_order_replay_detail

std::unique_ptr<sim::Application> make_speculate_order_replay(const sim::Scenario& scenario,
                                                              sim::Runtime& runtime) {
  return std::make_unique<speculate_order_replay_detail::SpeculateOrderReplay>(scenario, runtime);
}

}  // namespace pipesim::pipelines
