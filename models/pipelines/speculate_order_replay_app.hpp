// Internal to the speculate_order_replay pipeline (speculate_order_replay.hpp has the model's
// description): the application class, whose methods are split over speculate_order_replay.cpp
// (construction, the DAG BFT cores' events and effects), speculate_order_replay_speculation.cpp
// (stage 1: batches speculated on the replayed state), speculate_order_replay_replay.cpp (stages
// 2 and 3: committed anchors as replay blocks, replay on the execution lane) and
// speculate_order_replay_report.cpp (metrics and invariants).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "models/consensus/dag_bft.hpp"
#include "models/execution/dag_replay.hpp"
#include "models/execution/speculation.hpp"
#include "models/execution/state.hpp"
#include "models/pipelines/kernel/workload_feed.hpp"
#include "sim/recorder.hpp"
#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines::speculate_order_replay_detail {

namespace ex = pipesim::execution;
namespace cs = pipesim::consensus;
using sim::NodeId;

class SpeculateOrderReplay final : public sim::Application {
 public:
  SpeculateOrderReplay(const sim::Scenario& scenario, sim::Runtime& rt);

  // ---- speculate_order_replay.cpp: the DAG BFT cores ----
  void on_start() override;
  void on_deliver(NodeId node, NodeId from, std::uint16_t channel,
                  const std::shared_ptr<const void>& payload) override;
  void on_timer(NodeId node, std::uint64_t timer_id) override;
  /// A recovered node re-arms the DAG core's timers (those due while it was down were lost).
  void on_recover(NodeId node) override;
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
  void apply(NodeId node, const cs::DagEffects& effects);

  // ---- speculate_order_replay_speculation.cpp (RequestBatch) ----
  void on_request_batch(NodeId node, cs::Round round, double start_s);

  // ---- speculate_order_replay_replay.cpp: ordering and replay ----
  /// Builds (once) the replay block of anchor index `k` from an Ordered effect.
  const AnchorBlock& anchor_block(std::uint64_t k, const cs::Ordered& o);
  void on_ordered(NodeId node, const cs::Ordered& o, double now);
  /// Anchor `k`'s replay ended at `node`.
  void replayed(NodeId node, std::uint64_t k, const sim::BlockRef& ref, double done,
                double duration);
  /// Drops post-states no live node can speculate on any more.
  void prune_states();

  // ---- speculate_order_replay_report.cpp ----
  /// no_transaction_committed_twice: per honest node (not crashed from the start, never
  /// Byzantine; crashed-and-recovered nodes are honest), the transactions of the anchors'
  /// sub-DAGs it ordered (and replayed from), in order; "" when none is committed twice, else
  /// the first duplicate of the first such node (node, anchor, its round and proposer, tx id,
  /// the anchor it was first ordered in).
  std::string committed_twice_detail() const;
  void report();

  const sim::Scenario& scenario_;
  sim::Runtime& rt_;
  sim::Recorder& rec_;
  WorkloadFeed feed_;
  bool leader_only_ = false;
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

}  // namespace pipesim::pipelines::speculate_order_replay_detail
