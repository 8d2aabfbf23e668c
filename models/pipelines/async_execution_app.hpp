// Internal to the async_execution pipeline (async_execution.hpp has the model's description):
// the application class on HotStuffPipeline, whose methods are split over async_execution.cpp
// (construction, the in-order execution lane, execution lag), async_execution_consensus.cpp
// (the HotStuff hooks: proposals with the lagged root, root and reserve-balance checks before a
// vote, finalization), async_execution_divergence.cpp (verification of the root claimed D
// blocks later, divergence detection) and async_execution_report.cpp (metrics and invariants).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "models/execution/reserve_balance.hpp"
#include "models/pipelines/hotstuff_pipeline.hpp"

namespace pipesim::pipelines::async_execution_detail {

namespace ex = pipesim::execution;

inline constexpr double kNotYet = -1.0;

/// Per-node, per-payload stage times (simulated seconds, kNotYet if not reached).
struct Stages {
  double voted = kNotYet;
  double finalized = kNotYet;
  double executed = kNotYet;
  double verified = kNotYet;
};

class AsyncExecution final : public HotStuffPipeline {
 public:
  AsyncExecution(const sim::Scenario& scenario, sim::Runtime& rt);

 private:
  struct Exec {
    double done_s = 0;
    Hash32 root{};
  };
  struct Node {
    std::map<std::uint64_t, Exec> executed;  // payload -> own execution
    std::set<std::uint64_t> enqueued;        // queued or executed
    std::map<std::uint64_t, std::vector<std::function<void(double)>>> waiters;
    std::map<std::uint64_t, Stages> stages;            // payload -> stage times
    std::map<std::uint64_t, std::uint64_t> finalized;  // height -> payload
    std::map<std::uint64_t, Hash32> pending_verify;    // payload -> claimed root
    std::uint64_t finalized_height = 0;
    std::uint64_t executed_final_height = 0;
    std::unique_ptr<ChainState> own_chain;  // divergent nodes execute on their own state
    bool divergent = false;
    bool reference = false;
    bool detected = false;
  };
  struct Detection {
    NodeId node = 0;
    std::uint64_t height = 0;
    double executed_at_s = 0;
    double detected_at_s = 0;
  };

  ChainState& chain_for(NodeId node) {
    return nodes_[node].own_chain ? *nodes_[node].own_chain : chain_;
  }
  const char* commit_stage() const override { return "finalized"; }
  std::uint64_t payload_height(std::uint64_t p) const;
  std::uint64_t payload_parent(std::uint64_t p) const;

  // ---- async_execution.cpp: the execution lane ----
  /// Queues `p` and its not yet queued ancestors, in chain order, on the node's lane.
  void ensure_executed(NodeId node, std::uint64_t p);
  bool enqueue(NodeId node, std::uint64_t p);
  /// Runs `fn(time)` once the node has executed payload `p` (now if it already has).
  void when_executed(NodeId node, std::uint64_t p, std::function<void(double)> fn);
  Hash32 own_root(NodeId node, std::uint64_t p) const;
  void on_executed(NodeId node, std::uint64_t p, const Hash32& root, double done);
  /// Node has both finalized and executed payload p.
  void executed_final(NodeId node, std::uint64_t p);
  void sample_lag(NodeId node);

  // ---- async_execution_consensus.cpp: HotStuff hooks ----
  /// The payload whose root a block of height n is checked against: M = n - max(D, 1).
  std::optional<std::uint64_t> checked_payload(const BlockHeader& parent_or_self,
                                               std::uint64_t n) const;
  ex::ReserveBalanceCheck reserve_check(NodeId node, std::uint64_t lagging_payload,
                                        std::uint64_t parent_payload);
  Address sender_of(std::uint64_t t) const { return tx(t).tx.from; }
  /// value + gas_limit x fee cap (wei); only native transfers move value in this model.
  static ex::U256 max_expenditure(const ex::Transaction& t);
  void begin_selection(NodeId node, const BlockHeader& parent) override;
  bool admissible(NodeId, const BlockHeader&, const workload::TxArrival& t) override;
  void on_request_payload(NodeId node, consensus::Round round, const BlockHeader& parent,
                          double) override;
  void propose(NodeId node, consensus::Round round, std::uint64_t id,
               const std::vector<const workload::TxArrival*>& txs, const Hash32& root);
  void on_request_validation(NodeId node, const BlockHeader& header) override;
  Hash32 header_root_of_parent(const BlockHeader& header) const;
  void on_voted(NodeId node, BlockId block, double) override;
  void on_qc(NodeId node, const consensus::QuorumCert& qc, double t) override;
  void mark_voted(NodeId node, std::uint64_t p, double t);
  void on_block_committed(NodeId node, const BlockHeader& h) override;

  // ---- async_execution_divergence.cpp ----
  /// Compares the finalized claim about payload p with the node's own root: verified, or a
  /// divergence detected.
  void verify(NodeId node, std::uint64_t p, const Hash32& claim);
  /// Verifies the pending claims whose payload the node has executed and finalized.
  void verify_pending(NodeId node);
  const BlockHeader* header_of_payload(std::uint64_t p) const;
  void detect(NodeId node, std::uint64_t p);

  // ---- async_execution_report.cpp ----
  void report_pipeline() override;

  std::uint32_t d_;
  bool on_proposal_ = false;
  bool on_vote_ = false;
  std::vector<Node> nodes_;
  std::optional<ex::ReserveBalanceCheck> selection_check_;
  std::map<std::uint64_t, BlockHeader> finalized_headers_;  // payload -> finalized header
  std::map<std::pair<const ChainState*, std::uint64_t>, bool> reserve_verdicts_;
  std::vector<double> lag_samples_;
  std::vector<Detection> detections_;
  std::uint64_t excluded_by_reserve_ = 0;
  std::uint64_t rejected_reserve_ = 0;
  std::uint64_t rejected_root_mismatch_ = 0;
};

}  // namespace pipesim::pipelines::async_execution_detail
