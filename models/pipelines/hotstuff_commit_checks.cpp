// HotStuffPipeline's per-node commit work that is shared across validators (issue 16's scale
// bench, 1,000 validators): the no_transaction_committed_twice check over the honest committed
// chains. (The home groups of a payload's transactions are the workload feed's.)
#include <fmt/format.h>

#include "models/pipelines/hotstuff_pipeline.hpp"
#include "models/pipelines/kernel/invariants.hpp"

namespace pipesim::pipelines {

std::string HotStuffPipeline::first_committed_twice(
    const std::vector<bool>& honest, const std::vector<const BlockHeader*>* longest) const {
  const auto detail = [](NodeId node, const BlockHeader& h, const DuplicateTx& dup) {
    return fmt::format(
        "node {} block {:#x} at height {}: transaction {} (already committed at height {})", node,
        h.id, h.height, dup.tx, dup.first_position);
  };
  if (longest != nullptr) {
    // Every honest chain is a prefix of `longest`: one pass over it (kernel/invariants.hpp).
    std::vector<NodeId> nodes;
    std::vector<std::size_t> lengths;
    for (NodeId i = 0; i < honest.size(); ++i) {
      if (!honest[i]) continue;
      nodes.push_back(i);
      lengths.push_back(committed_chain(i).size());
    }
    const auto found = first_duplicate_in_prefixes(
        lengths, [this, longest](std::size_t k) -> std::optional<CommittedEntry> {
          const BlockHeader& h = *(*longest)[k];
          const PayloadRecord* p = payload(h.payload_id);
          if (p == nullptr) return std::nullopt;
          return CommittedEntry{h.height, p->txs};
        });
    if (!found) return {};
    return detail(nodes[found->sequence], *(*longest)[found->entry], found->dup);
  }
  for (NodeId i = 0; i < honest.size(); ++i) {
    if (!honest[i]) continue;
    DuplicateTxFinder finder;
    for (const BlockHeader* h : committed_chain(i)) {
      const PayloadRecord* p = payload(h->payload_id);
      if (p == nullptr) continue;
      if (const auto dup = finder.add(h->height, p->txs)) return detail(i, *h, *dup);
    }
  }
  return {};
}

}  // namespace pipesim::pipelines
