// HotStuffPipeline: what the pipelines built on chained HotStuff share.
//
// Owns one consensus::HotStuff core per validator and executes their effects on the runtime
// (consensus-lane CPU, sends, timers), the transaction workload and mempool, the payload
// bookkeeping (which transactions each proposed block carries, on which parent), commit
// accounting (transaction latency at each transaction's entry node) and the end-of-run checks
// (honest committed chains are prefixes of one another). A concrete pipeline decides what
// happens on the three execution-related requests of the core: build a payload
// (RequestPayload), validate a proposal (RequestValidation), and a committed block.
//
// Composes the kernel (models/pipelines/kernel/): the workload feed (a transaction enters at
// its sender's home validator, the sender bucket mod the never-crashing validators; with
// workload.gossip it is visible at validator v from submit_time + one_way(home, v) and its bytes
// are counted as n - 1 copies sent by the home validator), the execution lane, the effect driver
// and the common chain metrics.
//
// Files: hotstuff_pipeline.cpp (construction, the cores' events and effects, commit accounting),
// hotstuff_pipeline_payloads.cpp (the services below: transaction selection, payloads, execution,
// header lookups) and hotstuff_pipeline_report.cpp (end-of-run invariants and metrics).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/consensus/hotstuff.hpp"
#include "models/pipelines/chain_state.hpp"
#include "models/pipelines/kernel/driver.hpp"
#include "models/pipelines/kernel/execution_lane.hpp"
#include "models/pipelines/kernel/metrics.hpp"
#include "models/pipelines/kernel/workload_feed.hpp"
#include "models/workload/tx_source.hpp"
#include "sim/recorder.hpp"
#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

/// A payload built by a leader: the transactions of one proposed block.
struct PayloadRecord {
  std::uint64_t parent_payload = 0;
  std::uint32_t proposer = 0;
  std::uint64_t height = 0;
  double built_at_s = 0.0;  // the leader built the payload (selected its transactions)
  /// The leader's proposal carrying this payload left it (after signing: the departure time of
  /// its broadcast); -1 until proposed. The Monad latency ladder (latency_proposed_to_*)
  /// starts here.
  double proposed_at_s = -1.0;
  std::vector<std::uint64_t> txs;  // arrival ids, block order
  bool finalized = false;
};

class HotStuffPipeline : public sim::Application {
 public:
  HotStuffPipeline(const sim::Scenario& scenario, sim::Runtime& runtime);
  ~HotStuffPipeline() override;

  void on_start() override;
  void on_deliver(sim::NodeId node, sim::NodeId from, std::uint16_t channel,
                  const std::shared_ptr<const void>& payload) override;
  void on_timer(sim::NodeId node, std::uint64_t timer_id) override;
  void on_recover(sim::NodeId node) override;
  void on_finish() override;

 protected:
  using BlockHeader = consensus::BlockHeader;
  using BlockId = consensus::BlockId;
  using NodeId = sim::NodeId;

  // ---- hooks of the concrete pipeline ----
  /// This node leads `round` on `parent`: build (select_transactions + new_payload), do the
  /// pipeline's work, then call payload_ready(). `start_s` is when the consensus lane is free.
  virtual void on_request_payload(NodeId node, consensus::Round round, const BlockHeader& parent,
                                  double start_s) = 0;
  /// A proposal to check; answer with validated(node, header.id, valid) (possibly later).
  virtual void on_request_validation(NodeId node, const BlockHeader& header) = 0;
  /// `header` was committed (finalized) at `node`, in height order (after the base's accounting).
  virtual void on_block_committed(NodeId node, const BlockHeader& header) = 0;
  /// Observability: the node voted / saw a QC (as leader) / entered a round. Default: nothing.
  virtual void on_voted(NodeId, BlockId, double) {}
  virtual void on_qc(NodeId, const consensus::QuorumCert&, double) {}
  /// Stage name of a committed block in blocks.csv ("committed"; Monad calls it "finalized").
  virtual const char* commit_stage() const { return "committed"; }
  /// Pipeline-specific metrics and invariants at the end of the run.
  virtual void report_pipeline() {}
  /// Whether `tx` may enter a block built by `node` on `parent` given the transactions already
  /// picked for it (consensus-time validity). Default: always.
  virtual bool admissible(NodeId, const BlockHeader&, const workload::TxArrival&) { return true; }
  /// Called before selection of a block so admissible() can reset per-block state.
  virtual void begin_selection(NodeId, const BlockHeader&) {}

  // ---- services for the concrete pipeline ----
  /// Transactions visible at `node` at `now`, not committed and not in the uncommitted
  /// ancestors of `parent`, admissible, in arrival order, while the sum of their gas limits fits
  /// pipeline.block_gas_limit (the first that does not fit ends the block, which keeps each
  /// sender's nonces in order) and their count pipeline.max_block_txs.
  std::vector<const workload::TxArrival*> select_transactions(NodeId node,
                                                              const BlockHeader& parent,
                                                              double now);
  /// Encoded size of a block's transactions (bytes).
  static std::uint64_t payload_bytes(const std::vector<const workload::TxArrival*>& txs);
  /// Registers a new payload (its id is returned) built by `node` on `parent`.
  std::uint64_t new_payload(NodeId node, const BlockHeader& parent,
                            const std::vector<const workload::TxArrival*>& txs, double now);
  /// Hands the payload to the node's consensus core (it proposes if still in `round`).
  void payload_ready(NodeId node, consensus::Round round, const consensus::Payload& payload,
                     double now);
  /// Answers a RequestValidation.
  void validated(NodeId node, BlockId block, bool valid, double now);
  /// Queues `result`'s execution on `node` through the kernel's execution lane (worker spans,
  /// CPU accounting, the block time as budget); `then(done_s)`.
  void execute_on_lane(NodeId node, std::shared_ptr<const ExecutedBlock> result,
                       std::function<void(double)> then);

  const PayloadRecord* payload(std::uint64_t payload_id) const;
  /// Payload id of a proposed block (ChainState::kGenesis for genesis), or nullopt.
  std::optional<std::uint64_t> payload_of(BlockId block) const;
  /// Header of a proposed block (genesis included), or nullptr.
  const BlockHeader* header(BlockId block) const;
  /// Ancestor of `block` at `height` (walking parent links), or nullptr if unknown.
  const BlockHeader* ancestor_at(const BlockHeader& block, std::uint64_t height) const;
  /// Arrival record of transaction `id`.
  const workload::TxArrival& tx(std::uint64_t id) const { return feed_.tx(id); }
  /// Committed chain of a node, in height order: pointers into the pipeline's one copy of each
  /// header (a header embeds its QC's signer list, ~2.7 KB at n = 1,000: a copy per node and
  /// block grew as n x blocks). Valid for the pipeline's lifetime.
  const std::vector<const BlockHeader*>& committed_chain(NodeId node) const;
  /// Executes `payload_id` on its parent through `chain` (compute once per chain).
  std::shared_ptr<const ExecutedBlock> execute_payload(ChainState& chain, std::uint64_t payload_id,
                                                       bool corrupt = false);
  static sim::BlockRef ref(const BlockHeader& h) {
    return sim::BlockRef{h.height, h.id, h.round, h.proposer};
  }

  const sim::Scenario& scenario_;
  sim::Runtime& rt_;
  sim::Recorder& rec_;
  WorkloadFeed feed_;  // built first: chain_ starts from its source's genesis
  ChainState chain_;   // the honest execution (compute once, charge everywhere)
  double block_time_s_ = 1.0;
  NodeId reference_node_ = 0;

 private:
  struct NodeState {
    std::unique_ptr<consensus::HotStuff> hotstuff;
    std::vector<const BlockHeader*> committed;  // in height order, into headers_
  };
  struct Effects;
  void apply(NodeId node, const consensus::Effects& effects);
  void account_commit(NodeId node, const BlockHeader& h);
  std::uint64_t executed_gas(const BlockHeader& h) const;
  void report_common();
  /// The no_transaction_committed_twice detail (empty: none) over the honest nodes' committed
  /// chains; `longest` is the longest honest chain when they are prefixes of it (one pass over
  /// it then decides for all), nullptr otherwise (hotstuff_commit_checks.cpp).
  std::string first_committed_twice(const std::vector<bool>& honest,
                                    const std::vector<const BlockHeader*>* longest) const;

  std::vector<NodeState> nodes_;
  std::vector<std::uint8_t> tx_committed_;
  std::size_t first_pending_ = 0;
  std::map<std::uint64_t, PayloadRecord> payloads_;
  std::map<BlockId, std::uint64_t> payload_of_block_;
  std::map<BlockId, BlockHeader> headers_;
  std::uint64_t next_payload_id_ = 1;
  std::uint64_t rounds_via_tc_ = 0;
  std::map<consensus::Round, std::pair<BlockId, NodeId>> certified_;  // QCs formed: block, by
  std::string conflicting_qc_;  // first round with two certified blocks (invariant detail)
};

}  // namespace pipesim::pipelines
