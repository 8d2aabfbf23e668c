// async_execution: divergence detection. The root a finalized block claims for the block D below
// it is compared with the node's own execution of that block: equal, the block is verified; not
// equal, the node has diverged (faults.divergent) and detects it at that moment (metrics
// divergence_detections, divergence_detection_latency_s). See async_execution.hpp.
#include <fmt/format.h>

#include "models/pipelines/async_execution_app.hpp"

namespace pipesim::pipelines::async_execution_detail {

void AsyncExecution::verify(NodeId node, std::uint64_t p, const Hash32& claim) {
  Node& ns = nodes_[node];
  Stages& st = ns.stages[p];
  if (st.verified >= 0) return;
  if (claim == own_root(node, p)) {
    st.verified = rt_.now();
    if (const BlockHeader* h = header_of_payload(p)) {
      rec_.block_stage(node, ref(*h), "executed", st.executed);
      rec_.block_stage(node, ref(*h), "verified", st.verified);
    }
  } else {
    detect(node, p);
  }
}

void AsyncExecution::verify_pending(NodeId node) {
  Node& ns = nodes_[node];
  for (auto it = ns.pending_verify.begin(); it != ns.pending_verify.end();) {
    const std::uint64_t q = it->first;
    if (ns.executed.count(q) && ns.stages[q].finalized >= 0) {
      const Hash32 claim = it->second;
      it = ns.pending_verify.erase(it);
      verify(node, q, claim);
    } else {
      ++it;
    }
  }
}

const consensus::BlockHeader* AsyncExecution::header_of_payload(std::uint64_t p) const {
  auto it = finalized_headers_.find(p);
  return it == finalized_headers_.end() ? nullptr : &it->second;
}

void AsyncExecution::detect(NodeId node, std::uint64_t p) {
  Node& ns = nodes_[node];
  if (ns.detected || !ns.executed.count(p)) return;
  ns.detected = true;
  detections_.push_back(Detection{node, payload_height(p), ns.executed.at(p).done_s, rt_.now()});
  if (rec_.traced(node)) {
    rec_.instant(node, sim::Track::kExecution,
                 fmt::format("state root mismatch at height {}", payload_height(p)), rt_.now());
  }
}

}  // namespace pipesim::pipelines::async_execution_detail
