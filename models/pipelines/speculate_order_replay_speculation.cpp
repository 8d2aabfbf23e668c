// speculate_order_replay, stage 1: speculation. A validator's next batch (its pending home
// transactions within the block limits) is speculated on its latest replayed state (read/write
// sets, reordering, dependency DAG) and charged on its execution lane before the DAG core
// proposes it. See speculate_order_replay.hpp.
#include <fmt/format.h>

#include <utility>
#include <vector>

#include "models/pipelines/chain_state.hpp"
#include "models/pipelines/kernel/execution_lane.hpp"
#include "models/pipelines/speculate_order_replay_app.hpp"

namespace pipesim::pipelines::speculate_order_replay_detail {
namespace {

/// Encoded size of one dependency-DAG edge in a vertex: from 4 + to 4 + kind 1 bytes.
constexpr std::uint64_t kEdgeBytes = 9;
/// Encoded size of one speculated key (read or write set entry): a 32-byte key hash.
constexpr std::uint64_t kKeyBytes = 32;

}  // namespace

void SpeculateOrderReplay::on_request_batch(NodeId node, cs::Round round, double start_s) {
  NodeState& ns = nodes_[node];
  std::vector<std::uint64_t> picked;
  std::uint64_t gas = 0;
  while (!ns.pending.empty() && picked.size() < scenario_.pipeline.max_block_txs) {
    const workload::TxArrival& t = feed_.tx(ns.pending.front());
    if (t.submit_time_s > start_s) break;
    if (gas + t.tx.gas_limit > scenario_.pipeline.block_gas_limit) break;
    gas += t.tx.gas_limit;
    picked.push_back(t.id);
    ns.pending.pop_front();
  }
  if (picked.empty()) {
    apply(node, ns.dag->on_batch_ready(start_s, round, cs::DagBatch{}));
    return;
  }
  ex::Block block;
  block.number = ns.replayed + 1;
  block.beneficiary = ChainState::beneficiary_address(node);
  block.gas_limit = scenario_.pipeline.block_gas_limit;
  block.txs.reserve(picked.size());
  for (std::uint64_t id : picked) block.txs.push_back(feed_.tx(id).tx);

  Batch batch;
  batch.proposer = node;
  cs::DagBatch dag_batch;
  dag_batch.batch_id = batches_.size() + 1;
  dag_batch.tx_count = picked.size();
  const bool speculates = !leader_only_ || round % nodes_.size() == node;
  if (!speculates) {
    batch.txs = std::move(picked);
    for (const auto& t : block.txs) dag_batch.size_bytes += t.size_bytes();
    batches_.push_back(std::move(batch));
    apply(node, ns.dag->on_batch_ready(start_s, round, dag_batch));
    return;
  }
  ex::StateLayer::Ptr base = states_.at(ns.replayed);
  if (scenario_.pipeline.sor.speculate_on_pending && !ns.inflight.empty()) {
    ex::StateMap pending;
    for (const auto& [id, writes] : ns.inflight) {
      writes->for_each([&](const ex::StateKey& k, const ex::U256& v) { pending.set(k, v); });
    }
    base = ex::StateLayer::make_child(base, std::move(pending), /*update_commitment=*/false);
  }
  ex::SpeculationResult r = ex::speculate(block, base, exec_, spec_);
  if (scenario_.pipeline.sor.speculate_on_pending) {
    ns.inflight.emplace_back(dag_batch.batch_id,
                             std::make_shared<const ex::StateMap>(std::move(r.writes)));
  }
  batch.txs.reserve(picked.size());
  for (std::uint32_t i : r.original_index) batch.txs.push_back(picked[i]);
  for (const auto& t : r.block.txs) dag_batch.size_bytes += t.size_bytes();
  dag_batch.size_bytes += r.dag.edges.size() * kEdgeBytes +
                          (r.access.reads.keys.size() + r.access.writes.keys.size()) * kKeyBytes;
  batch.access = std::make_shared<const ex::SpeculatedAccess>(std::move(r.access));
  batches_.push_back(std::move(batch));

  LaneCharge what;
  what.stage = "speculation";
  what.track = sim::Track::kSpeculate;
  what.label = fmt::format("speculate {} txs", picked.size());
  what.record_job = false;
  charge_execution(rt_, node, cpu_job(r.schedule, r.makespan_s, exec_.threads), what,
                   [this, node, round, dag_batch](double done, double duration) {
                     speculation_time_s_.push_back(duration);
                     apply(node, nodes_[node].dag->on_batch_ready(done, round, dag_batch));
                   });
}

}  // namespace pipesim::pipelines::speculate_order_replay_detail
