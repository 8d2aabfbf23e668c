// HotStuffPipeline: the end-of-run invariants (prefix chains, no transaction committed twice,
// one certified block per round) and the common metrics of the HotStuff pipelines
// (docs/metrics.md). See hotstuff_pipeline.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "models/pipelines/hotstuff_pipeline.hpp"
#include "models/pipelines/kernel/faults.hpp"
#include "models/pipelines/kernel/invariants.hpp"

namespace pipesim::pipelines {

std::uint64_t HotStuffPipeline::executed_gas(const BlockHeader& h) const {
  // Gas actually used by the block's execution (headers of some pipelines carry gas limits).
  if (auto r = chain_.find(h.payload_id)) return r->gas_used;
  return h.gas_used;
}

void HotStuffPipeline::report_common() {
  const std::uint32_t n = static_cast<std::uint32_t>(nodes_.size());
  const std::vector<bool> honest = honest_nodes(scenario_);
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
  // kernel's DuplicateTxFinder, positions = block heights; one pass over the longest chain when
  // the honest chains are prefixes of it: hotstuff_commit_checks.cpp).
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
    if (auto r = chain_.find(h->payload_id)) add_executed_block(totals, *r);
  }
  for (std::size_t k = 1; k < chain.size(); ++k) {
    const PayloadRecord* a = payload(chain[k - 1]->payload_id);
    const PayloadRecord* b = payload(chain[k]->payload_id);
    if (a && b) totals.block_intervals_s.push_back(b->built_at_s - a->built_at_s);
  }
  report_chain_metrics(rec_, totals, feed_.source(), scenario_.duration_s);
  report_count(rec_, "final_round", nodes_[reference_node_].hotstuff->current_round(), "round");
  report_count(rec_, "rounds_entered_via_tc", rounds_via_tc_, "count");
  if (!scenario_.faults.events.empty()) {
    // Fault schedules only (keeps fault-free summaries unchanged): timeouts and block sync.
    std::uint64_t timeouts = 0, requests = 0, responses = 0, synced = 0;
    for (const auto& st : nodes_) {
      timeouts += st.hotstuff->timeouts_sent();
      requests += st.hotstuff->sync_requests();
      responses += st.hotstuff->sync_responses();
      synced += st.hotstuff->synced_blocks();
    }
    report_count(rec_, "timeout_messages_sent", timeouts, "count");
    report_count(rec_, "block_sync_requests", requests, "count");
    report_count(rec_, "block_sync_responses", responses, "count");
    report_count(rec_, "blocks_received_by_sync", synced, "blocks");
    std::uint64_t equivocations = 0, withheld = 0, invalid_votes = 0, double_votes = 0;
    for (const auto& st : nodes_) {
      equivocations += st.hotstuff->equivocations();
      withheld += st.hotstuff->withheld_proposals();
      invalid_votes += st.hotstuff->invalid_votes();
      double_votes += st.hotstuff->double_votes();
    }
    const std::vector<bool> byzantine = sim::ever_byzantine(scenario_);
    if (std::find(byzantine.begin(), byzantine.end(), true) != byzantine.end()) {
      report_count(rec_, "byzantine_equivocations", equivocations, "proposals");
      report_count(rec_, "byzantine_withheld_proposals", withheld, "proposals");
      report_count(rec_, "byzantine_invalid_votes", invalid_votes, "votes");
      report_count(rec_, "byzantine_double_votes", double_votes, "votes");
    }
  }
}

}  // namespace pipesim::pipelines
