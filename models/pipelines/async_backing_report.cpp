// async_backing: observability (blocks.csv references, counters) and the run's metrics and
// invariants (docs/metrics.md). See async_backing.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/pipelines/async_backing_app.hpp"
#include "models/pipelines/kernel/faults.hpp"
#include "models/pipelines/kernel/invariants.hpp"
#include "models/pipelines/kernel/metrics.hpp"

namespace pipesim::pipelines::async_backing_detail {

sim::BlockRef AsyncBacking::ref(CandidateId id) const {
  const CandRec& r = cands_.at(id);
  return sim::BlockRef{r.para_height, id, r.para, r.collator};
}
sim::BlockRef AsyncBacking::relay_ref(const RelayBlockRec& b) {
  return sim::BlockRef{b.number, kRelayBlockIdBase + b.number, b.slot, b.author};
}

void AsyncBacking::segment_sample(std::uint32_t para, double t) {
  const auto len = static_cast<double>(paras_[para].tracker->unincluded_segment().size());
  segment_samples_.push_back(len);
  rec_.counter(reference_, fmt::format("unincluded_segment_para{}", para), t, len);
}

void AsyncBacking::report() {
  // Parablock intervals.
  std::vector<double> pooled;
  std::uint64_t included = 0, txs = 0, gas = 0;
  std::vector<double> executions_per_candidate;
  ChainTotals totals;
  totals.batch_occ = s_.pipeline.executor == "batch_occ";
  for (std::uint32_t para = 0; para < paras_n_; ++para) {
    const auto& times = paras_[para].inclusion_times;
    std::vector<double> iv;
    for (std::size_t k = 1; k < times.size(); ++k) iv.push_back(times[k] - times[k - 1]);
    rec_.sample_metric(fmt::format("parablock_interval_s_para{}", para), iv, "s");
    pooled.insert(pooled.end(), iv.begin(), iv.end());
    included += times.size();
  }
  rec_.sample_metric("parablock_interval_s", pooled, "s");
  // Candidates.
  std::vector<double> to_backed, to_on_chain, to_included, to_finalized;
  std::uint64_t backed_on_chain = 0;
  for (const auto& [id, c] : cands_) {
    if (!c.registered) continue;
    executions_per_candidate.push_back(c.executions);
    if (c.exec) add_executed_block(totals, *c.exec);
    if (c.backed_s != kNever) to_backed.push_back(c.backed_s - c.authored_s);
    if (c.backed_on_chain_s != kNever) {
      ++backed_on_chain;
      to_on_chain.push_back(c.backed_on_chain_s - c.authored_s);
    }
    if (c.included_s != kNever) {
      to_included.push_back(c.included_s - c.authored_s);
      txs += c.txs.size();
      gas += c.gas;
    }
    if (c.finalized_s != kNever) to_finalized.push_back(c.finalized_s - c.authored_s);
  }
  rec_.sample_metric("latency_candidate_authored_to_backed_s", to_backed, "s");
  rec_.sample_metric("latency_candidate_authored_to_backed_on_chain_s", to_on_chain, "s");
  rec_.sample_metric("latency_candidate_authored_to_included_s", to_included, "s");
  rec_.sample_metric("latency_candidate_authored_to_finalized_s", to_finalized, "s");
  report_count(rec_, "candidates_authored", candidates_authored_, "candidates");
  report_count(rec_, "candidates_backed", backed_on_chain, "candidates");
  report_count(rec_, "candidates_included", included, "candidates");
  std::uint64_t dropped = 0;
  for (const char* reason : {"not_backed_in_time", "relay_parent_out_of_ancestry",
                             "availability_timeout", "parent_dropped"}) {
    const std::uint64_t d = dropped_.count(reason) ? dropped_.at(reason) : 0;
    dropped += d;
    report_count(rec_, fmt::format("candidates_dropped_{}", reason), d, "candidates");
  }
  report_count(rec_, "candidates_dropped", dropped, "candidates");
  report_count(rec_, "authoring_attempts_refused", authoring_skipped_, "count");
  report_count(rec_, "parablocks_cut_to_authoring_time", blocks_cut_, "count");
  rec_.sample_metric("unincluded_segment_length", segment_samples_, "candidates");
  std::uint32_t max_segment = 0;
  for (const auto& pa : paras_)
    max_segment = std::max(max_segment, pa.tracker->max_segment_length());
  report_count(rec_, "unincluded_segment_length_max", max_segment, "candidates");
  // Relay chain.
  std::vector<double> relay_iv, lag, space_gas, space_bytes;
  for (std::size_t k = 1; k < relay_.size(); ++k) {
    const auto& b = relay_[k];
    if (k > 1) relay_iv.push_back(b.authored_s - relay_[k - 1].authored_s);
    if (b.finalized_s != kNever) lag.push_back(b.finalized_s - b.authored_s);
    space_gas.push_back(static_cast<double>(b.included_gas));
    space_bytes.push_back(static_cast<double>(b.included_bytes));
  }
  rec_.sample_metric("relay_block_interval_s", relay_iv, "s");
  rec_.sample_metric("finality_lag_s", lag, "s");
  rec_.sample_metric("finality_lag_blocks", finality_lag_blocks_, "blocks");
  rec_.sample_metric("blockspace_gas_per_relay_block", space_gas, "gas");
  rec_.sample_metric("blockspace_bytes_per_relay_block", space_bytes, "bytes");
  report_count(rec_, "relay_blocks_authored", relay_.size() - 1, "blocks");
  report_count(rec_, "relay_slots_empty",
               slots_ - std::min<std::uint64_t>(slots_, relay_.size() - 1), "slots");
  report_count(rec_, "relay_blocks_finalized", finalized_number_, "blocks");
  report_count(rec_, "relay_forks_orphaned", forks_orphaned_, "blocks");
  report_count(rec_, "relay_validators", relay_n_, "nodes");
  report_count(rec_, "backing_groups", groups_->groups(), "groups");
  // Common vocabulary.
  totals.blocks = included;
  totals.txs_submitted = feed_.size();
  totals.txs_committed = txs;
  totals.gas = gas;
  // re_executions / executed_txs (add_executed_block above): executor incarnations beyond the
  // first per transaction, as in the other pipelines (the repeated executions of a whole
  // parablock by its backers are executions_per_candidate).
  totals.block_intervals_s = pooled;
  report_chain_metrics(rec_, totals, feed_.source(), s_.duration_s);
  rec_.sample_metric("executions_per_candidate", executions_per_candidate, "executions");
  // Byzantine invalid_candidate (faults.events), only when scheduled.
  const bool any_invalid = behaviour_scheduled(s_, "invalid_candidate");
  if (any_invalid) {
    std::uint64_t refused = 0;
    for (const auto& node : nodes_) refused += node.backer ? node.backer->refused() : 0;
    report_count(rec_, "candidates_invalid_authored", invalid_authored_, "candidates");
    report_count(rec_, "statements_refused_invalid", refused, "statements");
  }
  // Invariants.
  std::string order_detail, segment_detail, sync_detail;
  for (std::uint32_t para = 0; para < paras_n_; ++para) {
    const std::string d = paras_[para].tracker->check_invariants();
    if (d.empty()) continue;
    const std::string msg = fmt::format("parachain {}: {}", para, d);
    if (d.find("inclusion") == 0)
      order_detail = msg;
    else if (d.find("unincluded") == 0)
      segment_detail = msg;
    else
      sync_detail = msg;
  }
  rec_.invariant("inclusion_follows_parent_links", order_detail.empty(), order_detail);
  rec_.invariant("unincluded_segment_within_bound", segment_detail.empty(), segment_detail);
  // Per parachain, along the parablocks the canonical relay chain included (positions: relay
  // block numbers).
  std::string twice;
  for (std::uint32_t para = 0; para < paras_n_ && twice.empty(); ++para) {
    DuplicateTxFinder finder;
    for (std::size_t k = 1; k < relay_.size() && twice.empty(); ++k) {
      for (CandidateId id : relay_[k].included) {
        const CandRec& c = cands_.at(id);
        if (c.para != para) continue;
        if (const auto d = finder.add(relay_[k].number, c.txs)) {
          twice = fmt::format(
              "parachain {} relay block {} (parablock {} at height {}): transaction {} (already "
              "included at relay block {})",
              para, d->position, id, c.para_height, d->tx, d->first_position);
          break;
        }
      }
    }
  }
  rec_.invariant("no_transaction_committed_twice", twice.empty(), twice);
  if (sync_) {
    rec_.invariant("sync_builds_on_included_head", sync_detail.empty(), sync_detail);
  }
  // Forks (an author behind the tip) are orphaned by the fork choice, so the canonical chain is
  // linear by construction; what is checked is that no voter finalized beyond it.
  rec_.invariant("relay_chain_linear", linear_detail_.empty(), linear_detail_);
  if (any_invalid) {
    std::string detail;
    for (const auto& [id, c] : cands_) {
      if (c.invalid && c.backed_on_chain_s != kNever && detail.empty()) {
        detail =
            fmt::format("invalid candidate {} of parachain {} was backed on chain", id, c.para);
      }
    }
    rec_.invariant("no_invalid_candidate_backed", detail.empty(), detail);
  }
}

}  // namespace pipesim::pipelines::async_backing_detail
