// async_execution: the HotStuff hooks — the leader's proposal (with the root of N - D, or of N
// for D = 0), the validator's checks before a vote (the claimed root against its own execution,
// reserve balance), votes and QCs (stage times, speculative execution on vote) and finalization.
// See async_execution.hpp.
#include <algorithm>
#include <optional>
#include <utility>

#include "models/pipelines/async_execution_app.hpp"

namespace pipesim::pipelines::async_execution_detail {

std::optional<std::uint64_t> AsyncExecution::checked_payload(const BlockHeader& parent_or_self,
                                                             std::uint64_t n) const {
  const std::uint64_t back = std::max<std::uint64_t>(d_, 1);
  if (n <= back) return ChainState::kGenesis;
  const BlockHeader* m = ancestor_at(parent_or_self, n - back);
  if (!m) return std::nullopt;
  return payload_of(m->id);
}

ex::ReserveBalanceCheck AsyncExecution::reserve_check(NodeId node, std::uint64_t lagging_payload,
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

ex::U256 AsyncExecution::max_expenditure(const ex::Transaction& t) {
  const ex::U256 value = t.kind == ex::TxKind::kNativeTransfer ? t.amount : ex::U256{};
  return ex::ReserveBalanceCheck::max_expenditure(value, t.gas_limit, t.gas_price);
}

void AsyncExecution::begin_selection(NodeId node, const BlockHeader& parent) {
  const std::uint64_t n = parent.height + 1;
  const auto m = checked_payload(parent, n);
  selection_check_.emplace(
      reserve_check(node, m.value_or(ChainState::kGenesis), parent.payload_id));
}

bool AsyncExecution::admissible(NodeId, const BlockHeader&, const workload::TxArrival& t) {
  const bool ok = selection_check_->admit(t.tx.from, max_expenditure(t.tx));
  if (!ok) ++excluded_by_reserve_;
  return ok;
}

void AsyncExecution::on_request_payload(NodeId node, consensus::Round round,
                                        const BlockHeader& parent, double) {
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

void AsyncExecution::propose(NodeId node, consensus::Round round, std::uint64_t id,
                             const std::vector<const workload::TxArrival*>& txs,
                             const Hash32& root) {
  consensus::Payload payload;
  payload.payload_id = id;
  payload.size_bytes = payload_bytes(txs);
  payload.state_root = root;
  payload.tx_count = txs.size();
  // Gas is charged on the gas limit at consensus time (the header cannot know gas used).
  for (const auto* t : txs) payload.gas_used += t->tx.gas_limit;
  payload_ready(node, round, payload, rt_.now());
}

void AsyncExecution::on_request_validation(NodeId node, const BlockHeader& header) {
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
    for (std::uint64_t t : r->txs) ok = ok && check.admit(sender_of(t), max_expenditure(tx(t).tx));
    cached = reserve_verdicts_.emplace(key, ok).first;
  }
  const bool reserve_ok = cached->second;
  // Root check: the claim about M is in this header (D >= 1) or in the parent's (D = 0).
  const Hash32 claim = d_ == 0 ? header_root_of_parent(header) : header.state_root;
  when_executed(node, *m, [this, node, header, m, claim, reserve_ok](double) {
    const bool root_ok = *m == ChainState::kGenesis && d_ == 0 ? true : claim == own_root(node, *m);
    // A mismatch here only refuses the vote: the node cannot tell whether the proposer or
    // itself diverged. It learns which when a finalized (quorum-certified) claim disagrees.
    if (!root_ok) ++rejected_root_mismatch_;
    if (!reserve_ok) ++rejected_reserve_;
    validated(node, header.id, root_ok && reserve_ok, rt_.now());
  });
}

Hash32 AsyncExecution::header_root_of_parent(const BlockHeader& header) const {
  const BlockHeader* p = this->header(header.parent_id);
  return p ? p->state_root : Hash32{};
}

void AsyncExecution::on_voted(NodeId node, BlockId block, double) {
  if (!on_vote_) return;
  if (auto p = payload_of(block)) ensure_executed(node, *p);
}

void AsyncExecution::on_qc(NodeId node, const consensus::QuorumCert& qc, double t) {
  if (auto p = payload_of(qc.block_id)) mark_voted(node, *p, t);
}

void AsyncExecution::mark_voted(NodeId node, std::uint64_t p, double t) {
  if (p == ChainState::kGenesis) return;
  Stages& st = nodes_[node].stages[p];
  if (st.voted < 0) st.voted = t;
}

void AsyncExecution::on_block_committed(NodeId node, const BlockHeader& h) {
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
  verify_pending(node);
  if (ns.reference) sample_lag(node);
}

}  // namespace pipesim::pipelines::async_execution_detail
