#include "models/pipelines/async_execution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "models/execution/reserve_balance.hpp"
#include "models/pipelines/hotstuff_pipeline.hpp"

namespace pipesim::pipelines {
namespace {

namespace ex = pipesim::execution;

constexpr double kNotYet = -1.0;

/// Per-node, per-payload stage times (simulated seconds, kNotYet if not reached).
struct Stages {
  double voted = kNotYet;
  double finalized = kNotYet;
  double executed = kNotYet;
  double verified = kNotYet;
};

class AsyncExecution final : public HotStuffPipeline {
 public:
  AsyncExecution(const sim::Scenario& scenario, sim::Runtime& rt)
      : HotStuffPipeline(scenario, rt), d_(scenario.pipeline.d_lag), nodes_(rt.validators()) {
    const std::string& mode = scenario.pipeline.speculative_execution;
    on_proposal_ = mode == "on_proposal";
    on_vote_ = mode == "on_vote";
    for (std::uint32_t d : scenario.faults.divergent) {
      nodes_[d].own_chain = std::make_unique<ChainState>(scenario, feed_.source().genesis());
      nodes_[d].divergent = true;
    }
    nodes_[reference_node_].reference = true;
  }

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

  std::uint64_t payload_height(std::uint64_t p) const {
    if (p == ChainState::kGenesis) return 0;
    const PayloadRecord* r = payload(p);
    return r ? r->height : 0;
  }
  std::uint64_t payload_parent(std::uint64_t p) const {
    const PayloadRecord* r = payload(p);
    return r ? r->parent_payload : ChainState::kGenesis;
  }

  // ---- execution lane ----

  /// Queues `p` and its not yet queued ancestors, in chain order, on the node's lane.
  void ensure_executed(NodeId node, std::uint64_t p) {
    Node& ns = nodes_[node];
    std::vector<std::uint64_t> chain;
    for (std::uint64_t q = p; q != ChainState::kGenesis && !ns.enqueued.count(q);
         q = payload_parent(q)) {
      if (!payload(q)) return;
      chain.push_back(q);
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      if (!enqueue(node, *it)) return;
    }
  }

  bool enqueue(NodeId node, std::uint64_t p) {
    Node& ns = nodes_[node];
    const bool corrupt = ns.divergent && payload_height(p) == scenario_.faults.diverge_at_height;
    auto result = execute_payload(chain_for(node), p, corrupt);
    if (!result) return false;  // built on a pruned (abandoned) fork
    ns.enqueued.insert(p);
    execute_on_lane(node, result, [this, node, p, result](double done) {
      on_executed(node, p, result->state_root, done);
    });
    return true;
  }

  /// Runs `fn(time)` once the node has executed payload `p` (now if it already has).
  void when_executed(NodeId node, std::uint64_t p, std::function<void(double)> fn) {
    Node& ns = nodes_[node];
    if (p == ChainState::kGenesis) return fn(rt_.now());
    if (auto it = ns.executed.find(p); it != ns.executed.end()) return fn(rt_.now());
    ns.waiters[p].push_back(std::move(fn));
    ensure_executed(node, p);
  }

  Hash32 own_root(NodeId node, std::uint64_t p) const {
    if (p == ChainState::kGenesis) return chain_.genesis_root();
    return nodes_[node].executed.at(p).root;
  }

  void on_executed(NodeId node, std::uint64_t p, const Hash32& root, double done) {
    Node& ns = nodes_[node];
    ns.executed[p] = Exec{done, root};
    ns.stages[p].executed = done;
    if (ns.stages[p].finalized >= 0) executed_final(node, p);
    auto w = ns.waiters.find(p);
    if (w != ns.waiters.end()) {
      auto fns = std::move(w->second);
      ns.waiters.erase(w);
      for (auto& fn : fns) fn(done);
    }
  }

  /// Node has both finalized and executed payload p.
  void executed_final(NodeId node, std::uint64_t p) {
    Node& ns = nodes_[node];
    const std::uint64_t h = payload_height(p);
    ns.executed_final_height = std::max(ns.executed_final_height, h);
    const Stages& st = ns.stages[p];
    for (std::uint64_t t : home_txs(node, p))
      rec_.tx_executed(t, std::max(st.executed, st.finalized));
    if (auto v = ns.pending_verify.find(p); v != ns.pending_verify.end()) {
      const Hash32 claim = v->second;
      ns.pending_verify.erase(v);
      verify(node, p, claim);
    }
    if (ns.reference) {
      sample_lag(node);
      chain_.finalize(p);
    }
    if (ns.own_chain) ns.own_chain->finalize(p);
  }

  // ---- consensus hooks ----

  /// The payload whose root a block of height n is checked against: M = n - max(D, 1).
  std::optional<std::uint64_t> checked_payload(const BlockHeader& parent_or_self,
                                               std::uint64_t n) const {
    const std::uint64_t back = std::max<std::uint64_t>(d_, 1);
    if (n <= back) return ChainState::kGenesis;
    const BlockHeader* m = ancestor_at(parent_or_self, n - back);
    if (!m) return std::nullopt;
    return payload_of(m->id);
  }

  ex::ReserveBalanceCheck reserve_check(NodeId node, std::uint64_t lagging_payload,
                                        std::uint64_t parent_payload) {
    ChainState& chain = chain_for(node);
    ex::ReserveBalanceCheck check([&chain, lagging_payload](const Address& a) {
      return chain.balance(lagging_payload, a).value_or(ex::U256{});
    });
    // Pending: transactions of the blocks after the lagging state, up to the parent.
    for (std::uint64_t q = parent_payload; q != lagging_payload && q != ChainState::kGenesis;
         q = payload_parent(q)) {
      const PayloadRecord* r = payload(q);
      if (!r) break;
      for (std::uint64_t t : r->txs) check.add_pending(sender_of(t), max_expenditure(tx(t).tx));
    }
    return check;
  }

  Address sender_of(std::uint64_t t) const { return tx(t).tx.from; }
  /// value + gas_limit x fee cap (wei); only native transfers move value in this model.
  static ex::U256 max_expenditure(const ex::Transaction& t) {
    const ex::U256 value = t.kind == ex::TxKind::kNativeTransfer ? t.amount : ex::U256{};
    return ex::ReserveBalanceCheck::max_expenditure(value, t.gas_limit, t.gas_price);
  }

  void begin_selection(NodeId node, const BlockHeader& parent) override {
    const std::uint64_t n = parent.height + 1;
    const auto m = checked_payload(parent, n);
    selection_check_.emplace(
        reserve_check(node, m.value_or(ChainState::kGenesis), parent.payload_id));
  }

  bool admissible(NodeId, const BlockHeader&, const workload::TxArrival& t) override {
    const bool ok = selection_check_->admit(t.tx.from, max_expenditure(t.tx));
    if (!ok) ++excluded_by_reserve_;
    return ok;
  }

  void on_request_payload(NodeId node, consensus::Round round, const BlockHeader& parent,
                          double) override {
    const std::uint64_t n = parent.height + 1;
    if (d_ == 0) {
      // The leader executes N on its parent before proposing it with root(N).
      when_executed(node, parent.payload_id, [this, node, round, parent](double) {
        const double now = rt_.now();
        const auto picked = select_transactions(node, parent, now);
        const std::uint64_t id = new_payload(node, parent, picked, now);
        when_executed(node, id, [this, node, round, id, picked](double) {
          propose(node, round, id, picked, own_root(node, id));
        });
      });
      return;
    }
    const auto m = n <= d_ ? std::optional<std::uint64_t>(ChainState::kGenesis)
                           : [&]() -> std::optional<std::uint64_t> {
      const BlockHeader* a = ancestor_at(parent, n - d_);
      return a ? payload_of(a->id) : std::nullopt;
    }();
    if (!m) return;  // unknown ancestry: let the round time out
    when_executed(node, *m, [this, node, round, parent, m](double) {
      const double now = rt_.now();
      const auto picked = select_transactions(node, parent, now);
      const std::uint64_t id = new_payload(node, parent, picked, now);
      propose(node, round, id, picked, own_root(node, *m));
      if (on_proposal_) ensure_executed(node, id);
    });
  }

  void propose(NodeId node, consensus::Round round, std::uint64_t id,
               const std::vector<const workload::TxArrival*>& txs, const Hash32& root) {
    consensus::Payload payload;
    payload.payload_id = id;
    payload.size_bytes = payload_bytes(txs);
    payload.state_root = root;
    payload.tx_count = txs.size();
    // Gas is charged on the gas limit at consensus time (the header cannot know gas used).
    for (const auto* t : txs) payload.gas_used += t->tx.gas_limit;
    payload_ready(node, round, payload, rt_.now());
  }

  void on_request_validation(NodeId node, const BlockHeader& header) override {
    // The proposal's justify QC certifies the parent: the parent reached "voted" here.
    if (auto pp = payload_of(header.parent_id)) mark_voted(node, *pp, rt_.now());
    const PayloadRecord* r = payload(header.payload_id);
    const auto parent_payload = payload_of(header.parent_id);
    const auto m = checked_payload(header, header.height);
    if (!r || !parent_payload || r->parent_payload != *parent_payload || !m) {
      validated(node, header.id, false, rt_.now());
      return;
    }
    if (on_proposal_) ensure_executed(node, header.payload_id);
    // Reserve-balance check of the block's transactions (consensus-time validity). Compute
    // once: nodes on the same chain state reach the same verdict for the same block.
    const auto key = std::make_pair(&chain_for(node), header.payload_id);
    auto cached = reserve_verdicts_.find(key);
    if (cached == reserve_verdicts_.end()) {
      ex::ReserveBalanceCheck check = reserve_check(node, *m, *parent_payload);
      bool ok = true;
      for (std::uint64_t t : r->txs)
        ok = ok && check.admit(sender_of(t), max_expenditure(tx(t).tx));
      cached = reserve_verdicts_.emplace(key, ok).first;
    }
    const bool reserve_ok = cached->second;
    // Root check: the claim about M is in this header (D >= 1) or in the parent's (D = 0).
    const Hash32 claim = d_ == 0 ? header_root_of_parent(header) : header.state_root;
    when_executed(node, *m, [this, node, header, m, claim, reserve_ok](double) {
      const bool root_ok =
          *m == ChainState::kGenesis && d_ == 0 ? true : claim == own_root(node, *m);
      // A mismatch here only refuses the vote: the node cannot tell whether the proposer or
      // itself diverged. It learns which when a finalized (quorum-certified) claim disagrees.
      if (!root_ok) ++rejected_root_mismatch_;
      if (!reserve_ok) ++rejected_reserve_;
      validated(node, header.id, root_ok && reserve_ok, rt_.now());
    });
  }

  Hash32 header_root_of_parent(const BlockHeader& header) const {
    const BlockHeader* p = this->header(header.parent_id);
    return p ? p->state_root : Hash32{};
  }

  void on_voted(NodeId node, BlockId block, double) override {
    if (!on_vote_) return;
    if (auto p = payload_of(block)) ensure_executed(node, *p);
  }

  void on_qc(NodeId node, const consensus::QuorumCert& qc, double t) override {
    if (auto p = payload_of(qc.block_id)) mark_voted(node, *p, t);
  }

  void mark_voted(NodeId node, std::uint64_t p, double t) {
    if (p == ChainState::kGenesis) return;
    Stages& st = nodes_[node].stages[p];
    if (st.voted < 0) st.voted = t;
  }

  void on_block_committed(NodeId node, const BlockHeader& h) override {
    Node& ns = nodes_[node];
    const double now = rt_.now();
    const std::uint64_t p = h.payload_id;
    ns.finalized[h.height] = p;
    finalized_headers_.emplace(p, h);
    ns.finalized_height = std::max(ns.finalized_height, h.height);
    Stages& st = ns.stages[p];
    st.finalized = now;
    if (st.voted < 0) st.voted = now;  // the QC was learnt with the commit
    // Verification of M = the block whose root this one claims.
    if (d_ == 0) {
      ns.pending_verify[p] = h.state_root;
    } else if (h.height > d_) {
      auto m = ns.finalized.find(h.height - d_);
      if (m != ns.finalized.end()) ns.pending_verify[m->second] = h.state_root;
    }
    ensure_executed(node, p);  // finalized blocks are always executed, in order
    if (ns.executed.count(p)) executed_final(node, p);
    // Verifications whose M was executed and finalized before its claim arrived.
    for (auto it = ns.pending_verify.begin(); it != ns.pending_verify.end();) {
      const std::uint64_t q = it->first;
      if (ns.executed.count(q) && ns.stages[q].finalized >= 0) {
        const Hash32 claim = it->second;
        it = ns.pending_verify.erase(it);
        verify(node, q, claim);
      } else {
        ++it;
      }
    }
    if (ns.reference) sample_lag(node);
  }

  void verify(NodeId node, std::uint64_t p, const Hash32& claim) {
    Node& ns = nodes_[node];
    Stages& st = ns.stages[p];
    if (st.verified >= 0) return;
    if (claim == own_root(node, p)) {
      st.verified = rt_.now();
      if (const BlockHeader* h = header_of_payload(p)) {
        rec_.block_stage(node, ref(*h), "executed", st.executed);
        rec_.block_stage(node, ref(*h), "verified", st.verified);
      }
    } else {
      detect(node, p);
    }
  }

  const BlockHeader* header_of_payload(std::uint64_t p) const {
    auto it = finalized_headers_.find(p);
    return it == finalized_headers_.end() ? nullptr : &it->second;
  }

  void detect(NodeId node, std::uint64_t p) {
    Node& ns = nodes_[node];
    if (ns.detected || !ns.executed.count(p)) return;
    ns.detected = true;
    detections_.push_back(Detection{node, payload_height(p), ns.executed.at(p).done_s, rt_.now()});
    if (rec_.traced(node)) {
      rec_.instant(node, sim::Track::kExecution,
                   fmt::format("state root mismatch at height {}", payload_height(p)), rt_.now());
    }
  }

  void sample_lag(NodeId node) {
    const Node& ns = nodes_[node];
    const double lag = static_cast<double>(ns.finalized_height -
                                           std::min(ns.finalized_height, ns.executed_final_height));
    lag_samples_.push_back(lag);
    if (rec_.traced(node)) rec_.counter(node, "execution_lag_blocks", rt_.now(), lag);
  }

  // ---- end of run ----

  void report_pipeline() override {
    std::vector<bool> honest(nodes_.size(), true);
    for (std::uint32_t c : scenario_.faults.crashed) honest[c] = false;
    for (std::uint32_t d : scenario_.faults.divergent) honest[d] = false;
    std::vector<double> to_voted, to_finalized, to_executed, to_verified;
    std::uint64_t wasted = 0;
    bool roots_agree = true;
    bool order_ok = true;
    std::string detail;
    const auto& ref_chain = committed_chain(reference_node_);
    for (NodeId i = 0; i < nodes_.size(); ++i) {
      if (!honest[i]) continue;
      const Node& ns = nodes_[i];
      // Executions of blocks that can no longer be finalized (a sibling was): wasted work.
      for (const auto& [p, e] : ns.executed) {
        if (ns.stages.at(p).finalized < 0 && payload_height(p) <= ns.finalized_height) ++wasted;
      }
      for (const consensus::BlockHeader* hp : ref_chain) {
        const consensus::BlockHeader& h = *hp;
        auto it = ns.stages.find(h.payload_id);
        const PayloadRecord* r = payload(h.payload_id);
        if (it == ns.stages.end() || !r) continue;
        const Stages& st = it->second;
        // The ladder starts at the proposal's broadcast, not at payload build (the payload
        // may wait for its round's pacing between the two).
        const double t0 = r->proposed_at_s >= 0 ? r->proposed_at_s : r->built_at_s;
        if (st.voted >= 0) to_voted.push_back(st.voted - t0);
        if (st.finalized >= 0) to_finalized.push_back(st.finalized - t0);
        if (st.executed >= 0 && st.finalized >= 0) to_executed.push_back(st.executed - t0);
        if (st.verified >= 0) to_verified.push_back(st.verified - t0);
        // Stage order: Proposed <= Voted <= Finalized <= Verified, Executed <= Verified.
        auto before = [](double a, double b) { return a < 0 || b < 0 || a <= b + 1e-12; };
        if (!before(t0, st.voted) || !before(st.voted, st.finalized) ||
            !before(st.finalized, st.verified) || !before(st.executed, st.verified)) {
          order_ok = false;
          detail = fmt::format("node {} height {}", i, h.height);
        }
        auto own = ns.executed.find(h.payload_id);
        auto mine = nodes_[reference_node_].executed.find(h.payload_id);
        if (own != ns.executed.end() && mine != nodes_[reference_node_].executed.end() &&
            own->second.root != mine->second.root) {
          roots_agree = false;
        }
      }
    }
    rec_.invariant("stages_in_order", order_ok, detail);
    rec_.invariant("honest_state_roots_agree", roots_agree);
    rec_.sample_metric("latency_proposed_to_voted_s", to_voted, "s");
    rec_.sample_metric("latency_proposed_to_finalized_s", to_finalized, "s");
    rec_.sample_metric("latency_proposed_to_executed_s", to_executed, "s");
    rec_.sample_metric("latency_proposed_to_verified_s", to_verified, "s");
    rec_.sample_metric("execution_lag_blocks", lag_samples_, "blocks");
    rec_.metric("d_lag", {{"value", d_}, {"unit", "blocks"}});
    rec_.metric("speculative_executions_wasted", {{"value", wasted}, {"unit", "blocks"}});
    rec_.metric("txs_excluded_by_reserve_balance",
                {{"value", excluded_by_reserve_}, {"unit", "tx"}});
    rec_.metric("votes_refused_reserve_balance", {{"value", rejected_reserve_}, {"unit", "votes"}});
    rec_.metric("votes_refused_root_mismatch",
                {{"value", rejected_root_mismatch_}, {"unit", "votes"}});
    nlohmann::json det = nlohmann::json::array();
    std::vector<double> latency;
    for (const Detection& d : detections_) {
      det.push_back({{"node", d.node},
                     {"height", d.height},
                     {"executed_at_s", d.executed_at_s},
                     {"detected_at_s", d.detected_at_s},
                     {"latency_s", d.detected_at_s - d.executed_at_s}});
      latency.push_back(d.detected_at_s - d.executed_at_s);
    }
    rec_.metric("divergence_detections", {{"value", det}, {"unit", "list"}});
    rec_.sample_metric("divergence_detection_latency_s", latency, "s");
  }

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

}  // namespace

std::unique_ptr<sim::Application> make_async_execution(const sim::Scenario& scenario,
                                                       sim::Runtime& runtime) {
  return std::make_unique<AsyncExecution>(scenario, runtime);
}

}  // namespace pipesim::pipelines
