#include "models/pipelines/kernel/driver.hpp"

namespace pipesim::pipelines {

double charge_consensus_lane(sim::Runtime& rt, sim::Recorder& rec, sim::NodeId node,
                             double seconds_ref, std::string_view label) {
  const double end = rt.occupy_consensus_lane(node, seconds_ref);
  const double busy = seconds_ref / rt.speed_factor(node);
  rec.cpu_busy(node, "consensus", busy);
  if (rec.traced(node)) rec.span(node, sim::Track::kConsensus, label, end - busy, end);
  return end;
}

}  // namespace pipesim::pipelines
