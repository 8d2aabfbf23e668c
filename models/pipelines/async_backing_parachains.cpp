// async_backing: collators (transaction selection, execution), backing (validation, statements)
// and the transactions' lifecycle. See async_backing.hpp.
#include <algorithm>
#include <cmath>
#include <utility>

#include "models/pipelines/async_backing_app.hpp"
#include "models/pipelines/kernel/execution_lane.hpp"

namespace pipesim::pipelines::async_backing_detail {

// ---- workload ----

std::uint32_t AsyncBacking::para_of(const workload::TxArrival& t) const {
  return sender_bucket(t.tx.from) % paras_n_;
}

NodeId AsyncBacking::home_of(const workload::TxArrival& t) const {
  return collator(para_of(t), (sender_bucket(t.tx.from) / paras_n_) % collators_);
}

/// Transactions enter at a collator of their parachain (sender bucket mod parachains, then mod
/// its collators) and are gossiped among collators (visible one base latency later). Not counted
/// as bytes (the kernel counts transaction gossip only to every validator).
FeedPolicy AsyncBacking::collator_feed() {
  FeedPolicy policy;
  policy.entry = [this](const workload::TxArrival& t) { return home_of(t); };
  policy.gossip_visibility = true;
  return policy;
}

bool AsyncBacking::tx_taken(std::uint64_t t) const {
  if (tx_done_[t]) return true;
  const CandidateId owner = tx_owner_[t];
  if (owner == 0) return false;
  const CandRec& rec = cands_.at(owner);
  const auto* c = paras_[rec.para].tracker->find(owner);
  // Being authored (by a live collator) or live: taken; dropped: free again.
  if (c == nullptr) return !rec.registered && !rt_.is_crashed(rec.collator);
  return c->state != pd::CandidateState::kDropped;
}

// ---- collators ----

void AsyncBacking::build_collation(NodeId c, std::uint64_t relay_parent) {
  const std::uint32_t para = para_of_collator(c);
  Para& pa = paras_[para];
  const auto target = pa.tracker->build_target(relay_parent);
  if (!target) {
    ++authoring_skipped_;
    return;
  }
  const double now = rt_.now();
  while (pa.first_pending < pa.mempool.size() && tx_done_[pa.mempool[pa.first_pending]]) {
    ++pa.first_pending;
  }
  std::vector<std::uint64_t> picked;
  std::uint64_t gas = 0;
  std::uint64_t bytes = pd::kParablockHeaderBytes;
  for (std::size_t k = pa.first_pending;
       k < pa.mempool.size() && picked.size() < s_.pipeline.max_block_txs; ++k) {
    const std::uint64_t t = pa.mempool[k];
    const auto& tx = feed_.tx(t);
    if (tx.submit_time_s > now) break;
    if (tx_taken(t) || !feed_.visible(tx, c, now)) continue;
    if (gas + tx.tx.gas_limit > s_.pipeline.block_gas_limit) break;
    if (bytes + tx.tx.size_bytes() > p_.pov_size_limit_bytes) break;
    gas += tx.tx.gas_limit;
    bytes += tx.tx.size_bytes();
    picked.push_back(t);
  }
  const CandidateId id = next_candidate_++;
  CandRec& rec = cands_[id];
  rec.para = para;
  rec.collator = c;
  rec.parent = target->parent;
  rec.para_height = target->para_height;
  rec.relay_parent = relay_parent;
  rec.invalid = sim::byzantine_behaviour(s_, c, "invalid_candidate", now) != nullptr;
  // Execute (compute once); cut the block to what fits the authoring time.
  std::shared_ptr<const ExecutedBlock> r;
  for (int attempt = 0;; ++attempt) {
    std::vector<const execution::Transaction*> list;
    list.reserve(picked.size());
    for (std::uint64_t t : picked) list.push_back(&feed_.tx(t).tx);
    r = chain_.execute(id, target->parent, list, c);
    const double took = r->job.makespan_s / rt_.speed_factor(c);  // the collator's own core
    if (took <= authoring_s_ || picked.empty() || attempt == 4) break;
    const auto keep = static_cast<std::size_t>(
        std::floor(static_cast<double>(picked.size()) * authoring_s_ / took * 0.95));
    picked.resize(keep);
    ++blocks_cut_;
  }
  rec.txs = picked;
  rec.exec = r;
  rec.gas = r->gas_used;
  rec.pov_bytes = pd::kParablockHeaderBytes;
  for (std::uint64_t t : picked) {
    rec.pov_bytes += feed_.tx(t).tx.size_bytes();
    tx_owner_[t] = id;
  }
  charge(c, r, "author", [this, id, c](double done) { authored(id, c, done); });
}

void AsyncBacking::charge(NodeId node, const std::shared_ptr<const ExecutedBlock>& r,
                          const char* what, std::function<void(double)> then) {
  charge_block(rt_, node, r, what, authoring_s_, std::move(then));
}

void AsyncBacking::authored(CandidateId id, NodeId c, double done) {
  CandRec& rec = cands_.at(id);
  rec.authored_s = done;
  rec.registered = true;
  ++rec.executions;
  Para& pa = paras_[rec.para];
  ++candidates_authored_;
  if (rec.invalid) ++invalid_authored_;
  if (!pa.tracker->add_candidate(id, rec.parent, rec.relay_parent)) {
    ++dropped_[pd::to_string(pd::DropReason::kParentDropped)];
    return;
  }
  rec_.block_stage(c, ref(id), "authored", done);
  for (std::uint64_t t : rec.txs) {
    const NodeId home = home_of(feed_.tx(t));
    rec_.tx_executed(t, done + (home == c ? 0.0 : rt_.base_latency_s(c, home)));
  }
  segment_sample(rec.para, done);
  const std::uint32_t group = groups_->group_for_core(rec.para, rec.relay_parent);
  // The collator hands the collation to one live member of the group (a request to a crashed
  // validator would time out and go to another member; that delay is not modelled).
  std::vector<NodeId> live;
  for (NodeId m : groups_->members(group)) {
    if (!rt_.is_crashed(m)) live.push_back(m);
  }
  if (live.empty()) return;  // the whole group is down: the candidate is never backed
  const pd::Collation collation{id, group, rec.pov_bytes, false};
  apply(c, nodes_[c].collator->on_authored(done, collation, live[id % live.size()]));
}

// ---- backing ----

void AsyncBacking::validate(NodeId v, const pd::ValidateCandidate& what) {
  const CandidateId id = what.id;
  CandRec& rec = cands_.at(id);
  const auto* cand = paras_[rec.para].tracker->find(id);
  if (cand == nullptr || cand->state == pd::CandidateState::kDropped) return;
  charge(v, rec.exec, "validate", [this, v, id](double done) {
    CandRec& r = cands_.at(id);
    ++r.executions;
    // The PoV is re-executed against the parachain's validation function: an invalid
    // candidate fails it and gets no statement. A Byzantine backer (invalid_candidate) attests
    // whatever it receives.
    const bool byzantine = sim::byzantine_behaviour(s_, v, "invalid_candidate", done) != nullptr;
    apply(v, nodes_[v].backer->on_validated(done, id, !r.invalid || byzantine));
  });
}

void AsyncBacking::statement_issued(NodeId v, CandidateId id) {
  CandRec& rec = cands_.at(id);
  if (paras_[rec.para].tracker->add_valid_vote(id, v)) {
    rec.backed_s = rt_.now();
    rec_.block_stage(v, ref(id), "backed", rt_.now());
  }
}

/// Collator `c` imported relay block `b`: the transactions that entered at it and that `b`
/// made available are committed.
void AsyncBacking::commit_included(NodeId c, const pd::RelayBlock& b) {
  const std::uint32_t para = para_of_collator(c);
  for (CandidateId id : b.included) {
    const CandRec& rec = cands_.at(id);
    if (rec.para != para) continue;
    feed_.record_committed(c, id, rec.txs, rt_.now(),
                           rec.txs.empty() ? 0 : rec.gas / rec.txs.size());
  }
}

}  // namespace pipesim::pipelines::async_backing_detail
