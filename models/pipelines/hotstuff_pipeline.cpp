#include "models/pipelines/hotstuff_pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <unordered_set>
#include <variant>

#include "models/pipelines/kernel/invariants.hpp"

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

struct HotStuffPipeline::NodeState {
  std::unique_ptr<consensus::HotStuff> hotstuff;
  std::vector<const BlockHeader*> committed;  // in height order, into headers_
};

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

// ---- workload ----

std::vector<const workload::TxArrival*> HotStuffPipeline::select_transactions(
    NodeId node, const BlockHeader& parent, double now) {
  // Transactions already in the uncommitted ancestors of `parent` must not be included again.
  std::unordered_set<std::uint64_t> in_ancestors;
  for (std::uint64_t p = parent.payload_id; p != ChainState::kGenesis;) {
    auto it = payloads_.find(p);
    if (it == payloads_.end() || it->second.finalized) break;
    in_ancestors.insert(it->second.txs.begin(), it->second.txs.end());
    p = it->second.parent_payload;
  }
  begin_selection(node, parent);
  std::vector<const workload::TxArrival*> picked;
  if (scenario_.workload.mainnet_mode == "as_mined") {
    // One recorded block per simulated block: the first recorded block not yet committed nor in
    // an ancestor, whole and in order, once all of its transactions are visible here.
    for (std::size_t k = first_pending_; k < feed_.size(); ++k) {
      const auto& t = feed_.tx(k);
      if (tx_committed_[k] || in_ancestors.count(t.id)) continue;
      if (t.index_in_block != 0 || k + t.block_txs > feed_.size()) return picked;
      for (std::size_t j = k; j < k + t.block_txs; ++j) {
        if (feed_.tx(j).submit_time_s > now || !feed_.visible(feed_.tx(j), node, now)) return {};
        picked.push_back(&feed_.tx(j));
      }
      return picked;
    }
    return picked;
  }
  std::uint64_t gas = 0;
  for (std::size_t k = first_pending_;
       k < feed_.size() && picked.size() < scenario_.pipeline.max_block_txs; ++k) {
    const auto& t = feed_.tx(k);
    if (t.submit_time_s > now) break;
    if (tx_committed_[k] || in_ancestors.count(t.id) || !feed_.visible(t, node, now)) continue;
    // A transaction whose own gas limit exceeds the block gas limit can never be included
    // (geth's txpool rejects it: core/txpool ErrGasLimit); skip it rather than let it block
    // every transaction behind it.
    if (t.tx.gas_limit > scenario_.pipeline.block_gas_limit) continue;
    if (gas + t.tx.gas_limit > scenario_.pipeline.block_gas_limit) break;
    if (!admissible(node, parent, t)) continue;
    gas += t.tx.gas_limit;
    picked.push_back(&t);
  }
  return picked;
}

std::uint64_t HotStuffPipeline::payload_bytes(const std::vector<const workload::TxArrival*>& txs) {
  std::uint64_t bytes = 0;
  for (const auto* t : txs) bytes += t->tx.size_bytes();
  return bytes;
}

std::uint64_t HotStuffPipeline::new_payload(NodeId node, const BlockHeader& parent,
                                            const std::vector<const workload::TxArrival*>& txs,
                                            double now) {
  PayloadRecord record;
  record.parent_payload = parent.payload_id;
  record.proposer = node;
  record.height = parent.height + 1;
  record.built_at_s = now;
  record.txs.reserve(txs.size());
  for (const auto* t : txs) record.txs.push_back(t->id);
  const std::uint64_t id = next_payload_id_++;
  payloads_.emplace(id, std::move(record));
  return id;
}

std::shared_ptr<const ExecutedBlock> HotStuffPipeline::execute_payload(ChainState& chain,
                                                                       std::uint64_t payload_id,
                                                                       bool corrupt) {
  if (auto done = chain.find(payload_id)) return done;
  const PayloadRecord* p = payload(payload_id);
  if (p == nullptr || !chain.find(p->parent_payload)) return nullptr;
  std::vector<const execution::Transaction*> txs;
  txs.reserve(p->txs.size());
  for (std::uint64_t id : p->txs) txs.push_back(&feed_.tx(id).tx);
  return chain.execute(payload_id, p->parent_payload, txs, p->proposer, corrupt);
}

void HotStuffPipeline::payload_ready(NodeId node, consensus::Round round,
                                     const consensus::Payload& payload, double now) {
  consensus::HotStuff& core = *nodes_[node].hotstuff;
  std::optional<consensus::Payload> second;
  const auto first = payloads_.find(payload.payload_id);
  if (core.wants_conflicting_payload(now) && first != payloads_.end()) {
    // Byzantine equivocation: a second payload on the same parent with the same transactions
    // under another id (two blocks that differ only in, e.g., their timestamp): valid for every
    // check, so only the voting rule stands between the two proposals.
    PayloadRecord copy = first->second;
    copy.proposed_at_s = -1.0;
    second = payload;
    second->payload_id = next_payload_id_++;
    payloads_.emplace(second->payload_id, std::move(copy));
  }
  apply(node, core.on_payload_ready(now, round, payload, second));
}

void HotStuffPipeline::validated(NodeId node, BlockId block, bool valid, double now) {
  apply(node, nodes_[node].hotstuff->on_validated(now, block, valid));
}

void HotStuffPipeline::execute_on_lane(NodeId node, std::shared_ptr<const ExecutedBlock> r,
                                       std::function<void(double)> then) {
  LaneCharge what;
  what.label = fmt::format("execute {} txs", r->tx_count);
  what.budget_s = block_time_s_;
  charge_execution(rt_, node, std::move(r), what,
                   [then = std::move(then)](double done, double) { then(done); });
}

const PayloadRecord* HotStuffPipeline::payload(std::uint64_t payload_id) const {
  auto it = payloads_.find(payload_id);
  return it == payloads_.end() ? nullptr : &it->second;
}

std::optional<std::uint64_t> HotStuffPipeline::payload_of(BlockId block) const {
  if (block == consensus::genesis_header().id) return ChainState::kGenesis;
  auto it = payload_of_block_.find(block);
  if (it == payload_of_block_.end()) return std::nullopt;
  return it->second;
}

const consensus::BlockHeader* HotStuffPipeline::header(BlockId block) const {
  auto it = headers_.find(block);
  return it == headers_.end() ? nullptr : &it->second;
}

const consensus::BlockHeader* HotStuffPipeline::ancestor_at(const BlockHeader& block,
                                                            std::uint64_t height) const {
  const BlockHeader* h = &block;
  while (h != nullptr && h->height > height) h = header(h->parent_id);
  return h != nullptr && h->height == height ? h : nullptr;
}

const std::vector<const consensus::BlockHeader*>& HotStuffPipeline::committed_chain(
    NodeId node) const {
  return nodes_[node].committed;
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
  for (std::uint64_t t : home_txs(node, h.payload_id)) rec_.tx_committed(t, now, gas_each);
}

// ---- end of run ----

std::uint64_t HotStuffPipeline::executed_gas(const BlockHeader& h) const {
  // Gas actually used by the block's execution (headers of some pipelines carry gas limits).
  if (auto r = chain_.find(h.payload_id)) return r->gas_used;
  return h.gas_used;
}

void HotStuffPipeline::report_common() {
  const std::uint32_t n = static_cast<std::uint32_t>(nodes_.size());
  std::vector<bool> honest(n, true);
  for (std::uint32_t c : scenario_.faults.crashed) honest[c] = false;
  for (std::uint32_t d : scenario_.faults.divergent) honest[d] = false;
  const std::vector<bool> byzantine = sim::ever_byzantine(scenario_);
  for (NodeId i = 0; i < n; ++i) honest[i] = honest[i] && !byzantine[i];
  // Invariant: committed chains of honest nodes are prefixes of one another.
  const std::vector<const BlockHeader*>* longest = nullptr;
  for (NodeId i = 0; i < n; ++i) {
    if (honest[i] && (!longest || nodes_[i].committed.size() > longest->size())) {
      longest = &nodes_[i].committed;
    }
  }
  bool prefix = true;
  std::string detail;
  for (NodeId i = 0; i < n && longest && prefix; ++i) {
    if (!honest[i]) continue;
    const auto& c = nodes_[i].committed;
    for (std::size_t k = 0; k < c.size(); ++k) {
      if (c[k]->id != (*longest)[k]->id) {
        prefix = false;
        detail = fmt::format("node {} differs at height {}", i, c[k]->height);
        break;
      }
    }
  }
  rec_.invariant("committed_chains_are_prefixes", prefix, detail);
  // Invariant: no transaction is committed twice in an honest node's committed chain (the
  // kernel's DuplicateTxFinder, positions = block heights).
  const std::string twice = first_committed_twice(honest, prefix ? longest : nullptr);
  rec_.invariant("no_transaction_committed_twice", twice.empty(), twice);
  rec_.invariant("one_certified_block_per_round", conflicting_qc_.empty(), conflicting_qc_);

  const auto& chain = nodes_[reference_node_].committed;
  ChainTotals totals;
  totals.batch_occ = scenario_.pipeline.executor == "batch_occ";
  totals.blocks = chain.size();
  totals.txs_submitted = feed_.size();
  for (const BlockHeader* h : chain) {
    totals.txs_committed += h->tx_count;
    totals.gas += executed_gas(*h);
    // Executor incarnations beyond the first per transaction (Block-STM aborts, OCC retries),
    // over the committed blocks' honest executions (ChainState keeps every finalized block's
    // result).
    if (auto r = chain_.find(h->payload_id)) {
      totals.re_executions += r->re_executions;
      totals.executed_txs += r->tx_count;
      if (totals.batch_occ) add_occ_rounds(totals, r->occ_rounds);
    }
  }
  for (std::size_t k = 1; k < chain.size(); ++k) {
    const PayloadRecord* a = payload(chain[k - 1]->payload_id);
    const PayloadRecord* b = payload(chain[k]->payload_id);
    if (a && b) totals.block_intervals_s.push_back(b->built_at_s - a->built_at_s);
  }
  report_chain_metrics(rec_, totals, feed_.source(), scenario_.duration_s);
  rec_.metric("final_round",
              {{"value", nodes_[reference_node_].hotstuff->current_round()}, {"unit", "round"}});
  rec_.metric("rounds_entered_via_tc", {{"value", rounds_via_tc_}, {"unit", "count"}});
  if (!scenario_.faults.events.empty()) {
    // Fault schedules only (keeps fault-free summaries unchanged): timeouts and block sync.
    std::uint64_t timeouts = 0, requests = 0, responses = 0, synced = 0;
    for (const auto& st : nodes_) {
      timeouts += st.hotstuff->timeouts_sent();
      requests += st.hotstuff->sync_requests();
      responses += st.hotstuff->sync_responses();
      synced += st.hotstuff->synced_blocks();
    }
    rec_.metric("timeout_messages_sent", {{"value", timeouts}, {"unit", "count"}});
    rec_.metric("block_sync_requests", {{"value", requests}, {"unit", "count"}});
    rec_.metric("block_sync_responses", {{"value", responses}, {"unit", "count"}});
    rec_.metric("blocks_received_by_sync", {{"value", synced}, {"unit", "blocks"}});
    std::uint64_t equivocations = 0, withheld = 0, invalid_votes = 0, double_votes = 0;
    for (const auto& st : nodes_) {
      equivocations += st.hotstuff->equivocations();
      withheld += st.hotstuff->withheld_proposals();
      invalid_votes += st.hotstuff->invalid_votes();
      double_votes += st.hotstuff->double_votes();
    }
    if (std::find(byzantine.begin(), byzantine.end(), true) != byzantine.end()) {
      rec_.metric("byzantine_equivocations", {{"value", equivocations}, {"unit", "proposals"}});
      rec_.metric("byzantine_withheld_proposals", {{"value", withheld}, {"unit", "proposals"}});
      rec_.metric("byzantine_invalid_votes", {{"value", invalid_votes}, {"unit", "votes"}});
      rec_.metric("byzantine_double_votes", {{"value", double_votes}, {"unit", "votes"}});
    }
  }
}

}  // namespace pipesim::pipelines
