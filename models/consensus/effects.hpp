// Effects returned by the consensus core's event handlers (sans-I/O, like monad-bft's
// `update(event) -> Vec<Command>`): the runtime executes them; tests assert them.
//
// Ordering contract of one handler's result:
//   - if the handling cost CPU, `Cpu` is the FIRST effect: the runtime should charge it before
//     acting on the rest (messages leave after the signatures were checked/made);
//   - the remaining effects are in the order the core decided them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "models/consensus/messages.hpp"
#include "models/consensus/types.hpp"

namespace pipesim::consensus {

/// Opaque timer identifier: (round << 2) | kind. The runtime only stores it and hands it back to
/// on_timer() at `at_s`. Timers are never cancelled: a stale timer is ignored by the core.
using TimerId = std::uint64_t;

enum class TimerKind : std::uint64_t {
  kRoundTimeout = 0,  // pacemaker: local timeout of a round
  kPacing = 1,        // leader: earliest time to send the proposal of its round
};

constexpr TimerId make_timer_id(TimerKind kind, Round round) {
  return (round << 2) | static_cast<std::uint64_t>(kind);
}
constexpr TimerKind timer_kind(TimerId id) {
  return static_cast<TimerKind>(id & 3);
}
constexpr Round timer_round(TimerId id) {
  return id >> 2;
}

/// Unicast `msg` to validator `to` (never to self: self-delivery is handled inside the core).
struct Send {
  NodeId to = 0;
  MessagePtr msg;
};
/// Send `msg` to every other validator (n - 1 receivers, the same shared object).
struct Broadcast {
  MessagePtr msg;
};
/// Call on_timer(id) at simulated time `at_s` (seconds).
struct SetTimer {
  TimerId id = 0;
  double at_s = 0.0;
};
/// This node leads `round`: the pipeline must build a payload on top of `parent` and answer with
/// on_payload_ready(now, round, payload). The proposal leaves at max(answer time,
/// `not_before_s`) (pacing, see hotstuff.hpp): a pipeline that wants the freshest mempool
/// snapshot may delay building until shortly before `not_before_s`; one that builds at once
/// overlaps its build time with the pacing wait.
struct RequestPayload {
  Round round = 0;
  BlockHeader parent;
  double not_before_s = 0.0;  // earliest proposal time (simulated seconds)
};
/// A proposal from another validator attached to the block tree: the pipeline must check it and
/// answer on_validated(now, header.id, valid). The node votes only after valid == true.
struct RequestValidation {
  BlockHeader header;
};
/// Newly committed blocks, in height order, each reported exactly once per node (ancestors
/// committed implicitly are included). Genesis is never reported. A committed block may never
/// have been validated by this node (it arrived after its round ended): the pipeline must be
/// ready to process any committed header.
struct Committed {
  std::vector<BlockHeader> blocks;
};
/// CPU time (seconds) spent by the handling just done; label e.g. "consensus.vote".
struct Cpu {
  double seconds = 0.0;
  std::string label;
};

// Observability effects (no action required from the runtime beyond metrics/trace).

/// This node proposed `header` (emitted just before the Broadcast of the proposal).
struct Proposed {
  BlockHeader header;
};
/// This node voted for (block_id, round).
struct Voted {
  BlockId block_id = 0;
  Round round = 0;
};
/// This node aggregated a QC from votes it collected (it leads qc.round + 1).
struct QcFormed {
  QuorumCert qc;
};
/// This node aggregated a TC from timeout messages.
struct TcFormed {
  TimeoutCert tc;
};
enum class RoundReason { kQc, kTc };
/// This node entered `round`, justified by a QC (of round - 1 or higher; the start of the
/// protocol counts as the genesis QC) or by a TC of round - 1.
struct RoundEntered {
  Round round = 0;
  RoundReason reason = RoundReason::kQc;
};

using Effect = std::variant<Send, Broadcast, SetTimer, RequestPayload, RequestValidation, Committed,
                            Cpu, Proposed, Voted, QcFormed, TcFormed, RoundEntered>;
using Effects = std::vector<Effect>;

}  // namespace pipesim::consensus
