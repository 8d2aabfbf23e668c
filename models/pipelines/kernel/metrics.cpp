#include "models/pipelines/kernel/metrics.hpp"

#include <algorithm>
#include <cctype>

namespace pipesim::pipelines {

void report_replay_coverage(sim::Recorder& rec, const workload::TxSource& source) {
  const auto c = source.replay_coverage();
  if (c.exact_blocks + c.approximated_blocks == 0) return;
  rec.metric("exact_blocks", {{"value", c.exact_blocks}, {"unit", "blocks"}});
  rec.metric("approximated_blocks", {{"value", c.approximated_blocks}, {"unit", "blocks"}});
}

void report_chain_metrics(sim::Recorder& rec, const ChainTotals& t,
                          const workload::TxSource& source, double duration_s) {
  rec.metric("blocks_committed", {{"value", t.blocks}, {"unit", "blocks"}});
  rec.metric("txs_submitted", {{"value", t.txs_submitted}, {"unit", "tx"}});
  report_replay_coverage(rec, source);
  rec.metric("txs_committed", {{"value", t.txs_committed}, {"unit", "tx"}});
  rec.metric("throughput_tx_per_s",
             {{"value", static_cast<double>(t.txs_committed) / duration_s}, {"unit", "tx/s"}});
  rec.metric("throughput_gas_per_s",
             {{"value", static_cast<double>(t.gas) / duration_s}, {"unit", "gas/s"}});
  rec.metric("reexecutions_per_tx",
             {{"value", t.executed_txs ? static_cast<double>(t.re_executions) /
                                             static_cast<double>(t.executed_txs)
                                       : 0.0},
              {"unit", "ratio"}});
  rec.sample_metric("block_interval_s", t.block_intervals_s, "s");
  if (t.batch_occ) {
    rec.sample_metric("occ_rounds_per_block", t.occ_rounds_per_block, "rounds");
    rec.sample_metric("occ_abort_fraction_per_round", t.occ_abort_fraction_per_round, "ratio");
    rec.metric("occ_abort_fraction",
               {{"value", t.occ_executions ? static_cast<double>(t.occ_aborts) /
                                                 static_cast<double>(t.occ_executions)
                                           : 0.0},
                {"unit", "ratio"}});
  }
}

void report_count(sim::Recorder& rec, const std::string& name, std::uint64_t value,
                  std::string_view unit) {
  rec.metric(name, {{"value", value}, {"unit", unit}});
}

void add_executed_block(ChainTotals& totals, const ExecutedBlock& block) {
  totals.re_executions += block.re_executions;
  totals.executed_txs += block.tx_count;
  if (totals.batch_occ) add_occ_rounds(totals, block.occ_rounds);
}

void add_occ_rounds(ChainTotals& totals, std::span<const execution::OccRoundStats> rounds) {
  totals.occ_rounds_per_block.push_back(static_cast<double>(rounds.size()));
  for (const execution::OccRoundStats& r : rounds) {
    totals.occ_abort_fraction_per_round.push_back(
        r.batch_size ? static_cast<double>(r.aborted) / static_cast<double>(r.batch_size) : 0.0);
    totals.occ_executions += r.batch_size;
    totals.occ_aborts += r.aborted;
  }
}

namespace {

constexpr std::string_view kChain =
    "interleaved async_execution async_backing speculate_order_replay";
constexpr std::string_view kHotStuff = "interleaved async_execution";
constexpr std::string_view kExec = "interleaved async_execution async_backing";
constexpr std::string_view kAb = "async_backing";
constexpr std::string_view kAe = "async_execution";
constexpr std::string_view kSor = "speculate_order_replay";
constexpr std::string_view kProp = "propagation";

std::vector<MetricInfo> build_catalogue() {
  std::vector<MetricInfo> c{
      // Recorder and runtime (sim/recorder.cpp, sim/simulation.cpp, sim/liveness.cpp).
      {"latency_submit_to_included_s", "s", "dist", "*"},
      {"latency_submit_to_committed_s", "s", "dist", "*"},
      {"latency_submit_to_executed_s", "s", "dist", "*"},
      {"execution_time_per_block_s", "s", "dist", "*"},
      {"execution_budget_utilisation", "ratio", "dist", "*"},
      {"bytes_sent_per_node", "bytes", "dist", "*"},
      {"bytes_received_per_node", "bytes", "dist", "*"},
      {"bytes_sent_per_node_per_committed_tx", "bytes", "scalar", kChain},
      {"cpu_busy_consensus_s_per_node", "s", "dist", kChain},
      {"cpu_busy_execution_s_per_node", "s", "dist", kExec},
      {"topology", "", "object", "*"},
      {"propagation_t50_s", "s", "dist", "*"},
      {"propagation_t90_s", "s", "dist", "*"},
      {"propagation_t100_s", "s", "dist", "*"},
      {"broadcasts_gossiped", "count", "scalar", "*"},
      {"broadcasts_not_reaching_every_live_node", "count", "scalar", "*"},
      {"gossip_bytes", "bytes", "scalar", "*"},
      {"compact_sketches_sent", "count", "scalar", "*"},
      {"compact_reconstruction_misses", "count", "scalar", "*"},
      {"window_s", "s", "scalar", "*"},
      {"window_txs_submitted", "tx", "scalar", "*"},
      {"window_txs_not_committed", "tx", "scalar", "*"},
      {"window_offered_load_tx_per_s", "tx/s", "scalar", "*"},
      {"window_throughput_tx_per_s", "tx/s", "scalar", "*"},
      {"window_throughput_gas_per_s", "gas/s", "scalar", "*"},
      {"longest_gap_without_commits_s", "s", "scalar", "*"},
      {"progress_stopped", "flag", "scalar", "*"},
      {"recovery_s_max", "s", "scalar", "*"},
      {"catch_up_s_max", "s", "scalar", "*"},
      // Kernel chain metrics (report_chain_metrics).
      {"blocks_committed", "blocks", "scalar", kChain},
      {"txs_submitted", "tx", "scalar", kChain},
      {"txs_committed", "tx", "scalar", kChain},
      {"throughput_tx_per_s", "tx/s", "scalar", kChain},
      {"throughput_gas_per_s", "gas/s", "scalar", kChain},
      {"reexecutions_per_tx", "ratio", "scalar", kChain},
      {"block_interval_s", "s", "dist", kChain},
      {"occ_rounds_per_block", "rounds", "dist", kExec},
      {"occ_abort_fraction_per_round", "ratio", "dist", kExec},
      {"occ_abort_fraction", "ratio", "scalar", kExec},
      {"exact_blocks", "blocks", "scalar", kChain},
      {"approximated_blocks", "blocks", "scalar", kChain},
      // HotStuff pipelines (hotstuff_pipeline.cpp).
      {"final_round", "round", "scalar", kHotStuff},
      {"rounds_entered_via_tc", "count", "scalar", kHotStuff},
      {"timeout_messages_sent", "count", "scalar", kHotStuff},
      {"block_sync_requests", "count", "scalar", kHotStuff},
      {"block_sync_responses", "count", "scalar", kHotStuff},
      {"blocks_received_by_sync", "blocks", "scalar", kHotStuff},
      // async_execution.
      {"latency_proposed_to_voted_s", "s", "dist", kAe},
      {"latency_proposed_to_finalized_s", "s", "dist", kAe},
      {"latency_proposed_to_executed_s", "s", "dist", kAe},
      {"latency_proposed_to_verified_s", "s", "dist", kAe},
      {"execution_lag_blocks", "blocks", "dist", kAe},
      {"d_lag", "blocks", "scalar", kAe},
      {"speculative_executions_wasted", "blocks", "scalar", kAe},
      {"txs_excluded_by_reserve_balance", "tx", "scalar", kAe},
      {"votes_refused_reserve_balance", "votes", "scalar", kAe},
      {"votes_refused_root_mismatch", "votes", "scalar", kAe},
      {"divergence_detections", "list", "list", kAe},
      {"divergence_detection_latency_s", "s", "dist", kAe},
      // propagation.
      {"block_propagation_t50_s", "s", "dist", kProp},
      {"block_propagation_t90_s", "s", "dist", kProp},
      {"block_propagation_t100_s", "s", "dist", kProp},
      {"blocks_broadcast", "blocks", "scalar", kProp},
      {"blocks_fully_propagated", "blocks", "scalar", kProp},
      {"block_size_bytes", "bytes", "scalar", kProp},
      {"block_propagation_per_block_by_region", "s", "list", kProp},
      {"block_propagation_by_region", "s", "object", kProp},
      {"block_arrival_quantiles_by_region", "s", "object", kProp},
      // async_backing.
      {"parablock_interval_s", "s", "dist", kAb},
      {"parablock_interval_s_para<i>", "s", "dist", kAb},
      {"relay_block_interval_s", "s", "dist", kAb},
      {"finality_lag_s", "s", "dist", kAb},
      {"finality_lag_blocks", "blocks", "dist", kAb},
      {"blockspace_gas_per_relay_block", "gas", "dist", kAb},
      {"blockspace_bytes_per_relay_block", "bytes", "dist", kAb},
      {"latency_candidate_authored_to_backed_s", "s", "dist", kAb},
      {"latency_candidate_authored_to_backed_on_chain_s", "s", "dist", kAb},
      {"latency_candidate_authored_to_included_s", "s", "dist", kAb},
      {"latency_candidate_authored_to_finalized_s", "s", "dist", kAb},
      {"unincluded_segment_length", "candidates", "dist", kAb},
      {"unincluded_segment_length_max", "candidates", "scalar", kAb},
      {"candidates_authored", "candidates", "scalar", kAb},
      {"candidates_backed", "candidates", "scalar", kAb},
      {"candidates_included", "candidates", "scalar", kAb},
      {"candidates_dropped", "candidates", "scalar", kAb},
      {"candidates_dropped_not_backed_in_time", "candidates", "scalar", kAb},
      {"candidates_dropped_relay_parent_out_of_ancestry", "candidates", "scalar", kAb},
      {"candidates_dropped_availability_timeout", "candidates", "scalar", kAb},
      {"candidates_dropped_parent_dropped", "candidates", "scalar", kAb},
      {"executions_per_candidate", "executions", "dist", kAb},
      {"authoring_attempts_refused", "count", "scalar", kAb},
      {"parablocks_cut_to_authoring_time", "count", "scalar", kAb},
      {"relay_blocks_authored", "blocks", "scalar", kAb},
      {"relay_blocks_finalized", "blocks", "scalar", kAb},
      {"relay_slots_empty", "slots", "scalar", kAb},
      {"relay_forks_orphaned", "blocks", "scalar", kAb},
      {"relay_validators", "nodes", "scalar", kAb},
      {"candidates_invalid_authored", "candidates", "scalar", kAb},
      {"statements_refused_invalid", "statements", "scalar", kAb},
      {"backing_groups", "groups", "scalar", kAb},
      // speculate_order_replay.
      {"cpu_busy_speculation_s_per_node", "s", "dist", kSor},
      {"cpu_busy_replay_s_per_node", "s", "dist", kSor},
      {"anchors_committed", "anchors", "scalar", kSor},
      {"dag_rounds", "rounds", "scalar", kSor},
      {"dag_equivocations_detected", "count", "scalar", kSor},
      {"speculation_accuracy", "ratio", "scalar", kSor},
      {"reexecution_fraction", "ratio", "scalar", kSor},
      {"batches_speculated", "count", "scalar", kSor},
      {"replay_batches_per_block", "batches", "dist", kSor},
      {"replay_parallelism", "tx/batch", "dist", kSor},
      {"replay_speedup_over_sequential", "ratio", "dist", kSor},
      {"speculation_time_s", "s", "dist", kSor},
      {"replay_time_s", "s", "dist", kSor},
      {"ordering_latency_s", "s", "dist", kSor},
  };
  std::sort(c.begin(), c.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return c;
}

/// `name` matches `pattern` where `<i>` in the pattern stands for one or more digits.
bool matches(std::string_view pattern, std::string_view name) {
  const auto hole = pattern.find("<i>");
  if (hole == std::string_view::npos) return pattern == name;
  const std::string_view head = pattern.substr(0, hole), tail = pattern.substr(hole + 3);
  if (name.size() <= head.size() + tail.size() || name.substr(0, head.size()) != head ||
      name.substr(name.size() - tail.size()) != tail) {
    return false;
  }
  const std::string_view digits = name.substr(head.size(), name.size() - head.size() - tail.size());
  return std::all_of(digits.begin(), digits.end(),
                     [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; });
}

}  // namespace

const std::vector<MetricInfo>& metric_catalogue() {
  static const std::vector<MetricInfo> catalogue = build_catalogue();
  return catalogue;
}

const MetricInfo* find_metric(std::string_view name) {
  for (const auto& m : metric_catalogue()) {
    if (matches(m.name, name)) return &m;
  }
  return nullptr;
}

bool reported_by(const MetricInfo& info, std::string_view pipeline) {
  if (info.pipelines == "*") return true;
  std::string_view rest = info.pipelines;
  while (!rest.empty()) {
    const auto sp = rest.find(' ');
    if (rest.substr(0, sp) == pipeline) return true;
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  return false;
}

}  // namespace pipesim::pipelines
