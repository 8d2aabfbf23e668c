// speculate_order_replay, stages 2 and 3: ordering and replay. Each committed anchor's newly
// ordered causal history is one replay block, computed once (with the agreement and
// serialisability checks) and replayed on every validator's execution lane. See
// speculate_order_replay.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "models/execution/sequential.hpp"
#include "models/pipelines/chain_state.hpp"
#include "models/pipelines/kernel/execution_lane.hpp"
#include "models/pipelines/speculate_order_replay_app.hpp"

namespace pipesim::pipelines::speculate_order_replay_detail {

const SpeculateOrderReplay::AnchorBlock& SpeculateOrderReplay::anchor_block(std::uint64_t k,
                                                                            const cs::Ordered& o) {
  if (k < anchors_.size()) return anchors_[k];
  AnchorBlock a;
  a.wave = o.wave;
  a.anchor = o.anchor;
  ex::Block block;
  block.number = k + 1;
  block.beneficiary = ChainState::beneficiary_address(o.anchor.source);
  ex::SpeculatedAccess spec;
  for (const auto& v : o.vertices) {
    a.vertices.push_back(v.header->ref());
    if (!ordered_vertices_.insert({v.header->round, v.header->source}).second) {
      vertex_ordered_twice_ = true;
    }
    if (v.header->batch.batch_id == 0) continue;
    Batch& b = batches_.at(v.header->batch.batch_id - 1);
    a.batch_ids.push_back(v.header->batch.batch_id);
    for (std::uint64_t t : b.txs) {
      a.txs.push_back(t);
      block.txs.push_back(feed_.tx(t).tx);
      rec_.tx_included(t, b.certified_at_s >= 0 ? b.certified_at_s : rt_.now());
      if (tx_ordered_[t]++) tx_ordered_twice_ = true;
    }
    ex::append_speculation(spec, b.access ? *b.access : ex::empty_speculation(b.txs.size()));
  }
  block.gas_limit = std::max<std::uint64_t>(
      scenario_.pipeline.block_gas_limit,
      static_cast<std::uint64_t>(o.vertices.size()) * scenario_.pipeline.block_gas_limit);
  ex::ReplayOutcome r = ex::replay_block(block, states_.at(k), exec_, &spec, replay_);
  // Serialisability check (once per anchor): Sequential on the replay's serial order gives the
  // same state root and gas.
  {
    ex::Block serial = block;
    for (std::size_t p = 0; p < r.serial_order.size(); ++p) {
      serial.txs[p] = block.txs[r.serial_order[p]];
    }
    ex::SequentialExecutor seq;
    const ex::ExecutionOutcome ref = seq.execute(serial, states_.at(k), exec_);
    if ((ref.state_root != r.outcome.state_root || ref.gas_used != r.outcome.gas_used) &&
        serial_detail_.empty()) {
      serial_detail_ = fmt::format("anchor #{} ({} txs)", k + 1, block.txs.size());
    }
  }
  a.gas.reserve(block.txs.size());
  for (const auto& receipt : r.outcome.receipts) a.gas.push_back(receipt.gas_used);
  a.gas_used = r.outcome.gas_used;
  a.job = cpu_job(r.outcome.schedule, r.outcome.makespan_s, exec_.threads);
  a.stats = r.stats;
  a.root = r.outcome.state_root.value_or(Hash32{});
  ex::StateLayer::Ptr post = std::move(r.outcome.post_state);
  if (post->depth() > ChainState::kMaxOverlayDepth) post = post->flatten();
  states_.emplace(k + 1, std::move(post));
  anchors_.push_back(std::move(a));
  return anchors_.back();
}

void SpeculateOrderReplay::on_ordered(NodeId node, const cs::Ordered& o, double now) {
  NodeState& ns = nodes_[node];
  const std::uint64_t k = ns.ordered++;
  const AnchorBlock& a = anchor_block(k, o);
  // Agreement: this node ordered exactly the vertices of the k-th anchor computed first.
  bool same = o.anchor == a.anchor && o.vertices.size() == a.vertices.size();
  for (std::size_t i = 0; same && i < o.vertices.size(); ++i) {
    same = o.vertices[i].header->ref() == a.vertices[i];
  }
  if (!same && agreement_detail_.empty()) {
    agreement_detail_ = fmt::format("node {} anchor #{} differs", node, k + 1);
  }
  if (!same) {
    // Keep what this node ordered for no_transaction_committed_twice (report()).
    std::vector<std::uint64_t>& own = ns.own_txs[k];
    for (const auto& v : o.vertices) {
      if (v.header->batch.batch_id == 0) continue;
      const Batch& b = batches_.at(v.header->batch.batch_id - 1);
      own.insert(own.end(), b.txs.begin(), b.txs.end());
    }
  }
  const sim::BlockRef ref{k + 1, a.anchor.digest, a.anchor.round, a.anchor.source};
  rec_.block_stage(node, ref, "ordered", now);
  feed_.record_committed(node, k, a.txs, now, a.gas);
  // Ordering latency of this node's own vertices, proposal -> ordered.
  for (const auto& v : o.vertices) {
    if (v.header->source != node) continue;
    auto it = proposed_at_.find({v.header->round, node});
    if (it == proposed_at_.end()) continue;
    ordering_latency_s_.push_back(now - it->second);
    if (rec_.traced(node)) {
      rec_.span(node, sim::Track::kOrder, fmt::format("order r{}", v.header->round), it->second,
                now);
    }
    proposed_at_.erase(it);
  }
  const double budget = std::max(now - ns.last_ordered_s, 1e-9);
  if (node == reference_node_) {
    if (k > 0) anchor_interval_s_.push_back(now - ns.last_ordered_s);
    replay_batches_.push_back(a.stats.batches);
    if (a.stats.txs > 0) {
      replay_parallelism_.push_back(a.stats.mean_batch_size);
      replay_speedup_.push_back(a.stats.speedup_over_sequential);
    }
  }
  ns.last_ordered_s = now;
  // The anchor is known once this handler's consensus work ends (`now`, after the lane's CPU
  // time): the replay is queued on the execution lane then, not at the delivery's time.
  auto replay = [this, node, k, ref, budget]() {
    LaneCharge what;
    what.stage = "replay";
    what.track = sim::Track::kReplay;
    what.label = fmt::format("replay {} txs", anchors_[k].txs.size());
    what.budget_s = budget;
    charge_execution(rt_, node, anchors_[k].job, what,
                     [this, node, k, ref](double done, double duration) {
                       replayed(node, k, ref, done, duration);
                     });
  };
  if (now > rt_.now()) {
    rt_.at(now, std::move(replay));
  } else {
    replay();
  }
}

void SpeculateOrderReplay::replayed(NodeId node, std::uint64_t k, const sim::BlockRef& ref,
                                    double done, double duration) {
  const AnchorBlock& ab = anchors_[k];
  NodeState& s = nodes_[node];
  s.replayed = k + 1;
  rec_.block_stage(node, ref, "replayed", done);
  if (node == reference_node_) replay_time_s_.push_back(duration);
  feed_.record_executed(node, k, ab.txs, done);
  std::erase_if(s.inflight, [&](const auto& entry) {
    return std::find(ab.batch_ids.begin(), ab.batch_ids.end(), entry.first) != ab.batch_ids.end();
  });
  prune_states();
}

void SpeculateOrderReplay::prune_states() {
  std::uint64_t low = anchors_.size();
  for (NodeId i = 0; i < nodes_.size(); ++i) {
    if (!rt_.is_crashed(i)) low = std::min(low, nodes_[i].replayed);
  }
  while (!states_.empty() && states_.begin()->first < low) states_.erase(states_.begin());
}

}  // namespace pipesim::pipelines::speculate_order_replay_detail
