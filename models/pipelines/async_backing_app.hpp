// Internal to the async_backing pipeline (async_backing.hpp has the model's description): the
// application class, whose methods are split over async_backing.cpp (wiring of the Polkadot
// cores, relay chain, GRANDPA finality), async_backing_parachains.cpp (collators, backing,
// transactions) and async_backing_report.cpp (metrics and invariants).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/consensus/polkadot/backing.hpp"
#include "models/consensus/polkadot/collator.hpp"
#include "models/consensus/polkadot/grandpa.hpp"
#include "models/consensus/polkadot/messages.hpp"
#include "models/consensus/polkadot/parachain_backing.hpp"
#include "models/consensus/polkadot/relay_node.hpp"
#include "models/pipelines/chain_state.hpp"
#include "models/pipelines/kernel/workload_feed.hpp"
#include "sim/recorder.hpp"
#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines::async_backing_detail {

namespace pd = pipesim::consensus::polkadot;
using pd::CandidateId;
using sim::NodeId;

/// Every Polkadot message travels on this channel (pd::Message's variant tells the kind).
inline constexpr std::uint16_t kPolkadotChannel = 1;
inline constexpr double kNever = std::numeric_limits<double>::infinity();
inline constexpr std::uint64_t kRelayBlockIdBase = 1ULL << 40;  // blocks.csv ids of relay blocks

/// A canonical relay block (the chain every honest node follows).
struct RelayBlockRec {
  std::uint64_t number = 0;
  std::uint64_t slot = 0;
  NodeId author = 0;
  double authored_s = 0.0;
  double finalized_s = kNever;
  std::uint64_t size_bytes = 0;
  std::vector<CandidateId> backed;    // put on chain (pending availability) by this block
  std::vector<CandidateId> included;  // made available by this block
  std::uint64_t included_gas = 0;
  std::uint64_t included_bytes = 0;
  bool inherent = true;
};

struct CandRec {
  std::uint32_t para = 0;
  NodeId collator = 0;
  CandidateId parent = 0;
  std::uint64_t para_height = 0;
  std::uint64_t relay_parent = 0;
  double authored_s = kNever;
  double backed_s = kNever;           // backable (minimum_backing_votes statements)
  double backed_on_chain_s = kNever;  // relay block authored
  double included_s = kNever;         // relay block authored
  double finalized_s = kNever;
  std::vector<std::uint64_t> txs;
  std::uint64_t gas = 0;
  std::uint64_t pov_bytes = 0;
  std::shared_ptr<const ExecutedBlock> exec;
  std::uint32_t executions = 0;
  bool registered = false;
  bool invalid = false;  // authored by a collator with Byzantine behaviour invalid_candidate
};

struct Para {
  std::unique_ptr<pd::ParachainTracker> tracker;
  std::vector<std::uint64_t> mempool;  // tx ids in arrival order
  std::size_t first_pending = 0;
  std::vector<double> inclusion_times;  // relay block authoring times of inclusions
};

/// The cores of one node: relay validators have relay + backer + grandpa, collators relay +
/// collator.
struct NodeCores {
  std::unique_ptr<pd::RelayChainNode> relay;
  std::unique_ptr<pd::Backer> backer;
  std::unique_ptr<pd::GrandpaVoter> grandpa;
  std::unique_ptr<pd::Collator> collator;
};

class AsyncBacking final : public sim::Application {
 public:
  AsyncBacking(const sim::Scenario& scenario, sim::Runtime& rt);
  void on_start() override;
  void on_deliver(NodeId node, NodeId from, std::uint16_t channel,
                  const std::shared_ptr<const void>& payload) override;
  void on_timer(NodeId node, std::uint64_t timer_id) override;
  void on_recover(NodeId node) override;
  void on_finish() override { report(); }

 private:
  // ---- async_backing.cpp: effects, relay chain, finality ----
  void apply(NodeId node, const pd::Effects& effects);
  void author_relay_block(NodeId author, const pd::AuthorSlot& slot);
  void imported(NodeId v, const pd::RelayBlock& b);
  void finalized(NodeId v, std::uint64_t number);

  // ---- async_backing_parachains.cpp ----
  FeedPolicy collator_feed();
  std::uint32_t para_of(const workload::TxArrival& t) const;
  NodeId collator(std::uint32_t para, std::uint32_t k) const {
    return relay_n_ + para * collators_ + k;
  }
  NodeId home_of(const workload::TxArrival& t) const;
  bool is_collator(NodeId v) const { return v >= relay_n_; }
  std::uint32_t para_of_collator(NodeId v) const { return (v - relay_n_) / collators_; }
  bool tx_taken(std::uint64_t t) const;
  void build_collation(NodeId c, std::uint64_t relay_parent);
  void authored(CandidateId id, NodeId c, double done);
  void validate(NodeId v, const pd::ValidateCandidate& what);
  void statement_issued(NodeId v, CandidateId id);
  void commit_included(NodeId c, const pd::RelayBlock& b);
  void charge(NodeId node, const std::shared_ptr<const ExecutedBlock>& r, const char* what,
              std::function<void(double)> then);

  // ---- async_backing_report.cpp ----
  sim::BlockRef ref(CandidateId id) const;
  static sim::BlockRef relay_ref(const RelayBlockRec& b);
  void segment_sample(std::uint32_t para, double t);
  void report();

  const sim::Scenario& s_;
  const sim::PolkadotConfig& p_;
  sim::Runtime& rt_;
  sim::Recorder& rec_;
  WorkloadFeed feed_;
  ChainState chain_;
  std::uint32_t n_, paras_n_, collators_, relay_n_;
  std::shared_ptr<const pd::BackingGroups> groups_;
  bool sync_;
  double slot_s_, authoring_s_;
  NodeId reference_ = 0;
  std::uint64_t slots_ = 0;  // relay slots in the run

  std::vector<NodeCores> nodes_;
  std::vector<Para> paras_;
  std::map<CandidateId, CandRec> cands_;
  CandidateId next_candidate_ = 1;
  std::vector<RelayBlockRec> relay_;  // canonical chain, relay_[0] = genesis
  std::uint64_t finalized_number_ = 0;
  std::uint64_t forks_orphaned_ = 0;
  std::string linear_detail_;  // first violation of relay_chain_linear

  std::vector<CandidateId> tx_owner_;
  std::vector<std::uint8_t> tx_done_;
  std::vector<std::uint8_t> tx_in_block_;

  std::uint64_t candidates_authored_ = 0, authoring_skipped_ = 0, blocks_cut_ = 0;
  std::uint64_t invalid_authored_ = 0;
  std::map<std::string, std::uint64_t> dropped_;
  std::vector<double> segment_samples_, finality_lag_blocks_;
};

}  // namespace pipesim::pipelines::async_backing_detail
