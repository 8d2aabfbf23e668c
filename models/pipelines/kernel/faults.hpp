// Kernel: the pipelines' reading of the fault schedule (faults.crashed, faults.divergent and the
// "byzantine" events of faults.events; docs/faults.md), one definition each.
//
//  - honest_nodes: the nodes whose committed sequences the safety invariants check. The nodes
//    of the crash shorthand (faults.crashed, down from faults.crash_at_s on) and divergent nodes
//    (faults.divergent) are not honest; nodes that crash and recover through events are;
//    Byzantine nodes (a "byzantine" event at any time) are not, unless the caller asks for
//    ByzantineNodes::kIncluded.
//  - behaviour_scheduled: whether some node has a "byzantine" event with a behaviour; the
//    metrics and invariants of a behaviour are reported only then (fault-free summaries stay
//    unchanged).
#pragma once

#include <string_view>
#include <vector>

#include "sim/scenario.hpp"

namespace pipesim::pipelines {

/// Whether honest_nodes counts Byzantine nodes as honest.
enum class ByzantineNodes { kExcluded, kIncluded };

/// Per node (network.validators flags): honest as the file comment defines it.
std::vector<bool> honest_nodes(const sim::Scenario& scenario,
                               ByzantineNodes byzantine = ByzantineNodes::kExcluded);

/// Whether a "byzantine" event of faults.events names `behaviour` (e.g. "dag_equivocate",
/// "invalid_candidate") for some node.
bool behaviour_scheduled(const sim::Scenario& scenario, std::string_view behaviour);

}  // namespace pipesim::pipelines
