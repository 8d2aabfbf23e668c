// HotStuffPipeline: the services of the concrete pipelines — transaction selection, the payload
// registry (which transactions each proposed block carries, on which parent), execution through
// ChainState and the kernel's execution lane, and header lookups. See hotstuff_pipeline.hpp.
#include <optional>
#include <unordered_set>
#include <utility>

#include "models/pipelines/hotstuff_pipeline.hpp"

namespace pipesim::pipelines {

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
  charge_block(rt_, node, std::move(r), "execute", block_time_s_, std::move(then));
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

}  // namespace pipesim::pipelines
