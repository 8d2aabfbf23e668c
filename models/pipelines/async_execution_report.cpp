// async_execution: the run's metrics (the Monad latency ladder, execution lag, reserve balance,
// divergence detections) and invariants (stages in order, honest state roots agree;
// docs/metrics.md). See async_execution.hpp.
#include <fmt/format.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/pipelines/async_execution_app.hpp"
#include "models/pipelines/kernel/faults.hpp"
#include "models/pipelines/kernel/metrics.hpp"

namespace pipesim::pipelines::async_execution_detail {

void AsyncExecution::report_pipeline() {
  // Byzantine voters' own stage ladders and roots count too (as shipped).
  const std::vector<bool> honest = honest_nodes(scenario_, ByzantineNodes::kIncluded);
  std::vector<double> to_voted, to_finalized, to_executed, to_verified;
  std::uint64_t wasted = 0;
  bool roots_agree = true;
  bool order_ok = true;
  std::string detail;
  const auto& ref_chain = committed_chain(reference_node_);
  for (NodeId i = 0; i < nodes_.size(); ++i) {
    if (!honest[i]) continue;
    const Node& ns = nodes_[i];
    // Executions of blocks that can no longer be finalized (a sibling was): wasted work.
    for (const auto& [p, e] : ns.executed) {
      if (ns.stages.at(p).finalized < 0 && payload_height(p) <= ns.finalized_height) ++wasted;
    }
    for (const consensus::BlockHeader* hp : ref_chain) {
      const consensus::BlockHeader& h = *hp;
      auto it = ns.stages.find(h.payload_id);
      const PayloadRecord* r = payload(h.payload_id);
      if (it == ns.stages.end() || !r) continue;
      const Stages& st = it->second;
      // The ladder starts at the proposal's broadcast, not at payload build (the payload
      // may wait for its round's pacing between the two).
      const double t0 = r->proposed_at_s >= 0 ? r->proposed_at_s : r->built_at_s;
      if (st.voted >= 0) to_voted.push_back(st.voted - t0);
      if (st.finalized >= 0) to_finalized.push_back(st.finalized - t0);
      if (st.executed >= 0 && st.finalized >= 0) to_executed.push_back(st.executed - t0);
      if (st.verified >= 0) to_verified.push_back(st.verified - t0);
      // Stage order: Proposed <= Voted <= Finalized <= Verified, Executed <= Verified.
      auto before = [](double a, double b) { return a < 0 || b < 0 || a <= b + 1e-12; };
      if (!before(t0, st.voted) || !before(st.voted, st.finalized) ||
          !before(st.finalized, st.verified) || !before(st.executed, st.verified)) {
        order_ok = false;
        detail = fmt::format("node {} height {}", i, h.height);
      }
      auto own = ns.executed.find(h.payload_id);
      auto mine = nodes_[reference_node_].executed.find(h.payload_id);
      if (own != ns.executed.end() && mine != nodes_[reference_node_].executed.end() &&
          own->second.root != mine->second.root) {
        roots_agree = false;
      }
    }
  }
  rec_.invariant("stages_in_order", order_ok, detail);
  rec_.invariant("honest_state_roots_agree", roots_agree);
  rec_.sample_metric("latency_proposed_to_voted_s", to_voted, "s");
  rec_.sample_metric("latency_proposed_to_finalized_s", to_finalized, "s");
  rec_.sample_metric("latency_proposed_to_executed_s", to_executed, "s");
  rec_.sample_metric("latency_proposed_to_verified_s", to_verified, "s");
  rec_.sample_metric("execution_lag_blocks", lag_samples_, "blocks");
  report_count(rec_, "d_lag", d_, "blocks");
  report_count(rec_, "speculative_executions_wasted", wasted, "blocks");
  report_count(rec_, "txs_excluded_by_reserve_balance", excluded_by_reserve_, "tx");
  report_count(rec_, "votes_refused_reserve_balance", rejected_reserve_, "votes");
  report_count(rec_, "votes_refused_root_mismatch", rejected_root_mismatch_, "votes");
  nlohmann::json det = nlohmann::json::array();
  std::vector<double> latency;
  for (const Detection& d : detections_) {
    det.push_back({{"node", d.node},
                   {"height", d.height},
                   {"executed_at_s", d.executed_at_s},
                   {"detected_at_s", d.detected_at_s},
                   {"latency_s", d.detected_at_s - d.executed_at_s}});
    latency.push_back(d.detected_at_s - d.executed_at_s);
  }
  rec_.metric("divergence_detections", {{"value", det}, {"unit", "list"}});
  rec_.sample_metric("divergence_detection_latency_s", latency, "s");
}

}  // namespace pipesim::pipelines::async_execution_detail
