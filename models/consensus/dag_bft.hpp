// Leaderless DAG BFT (Narwhal / DAG-Rider / Tusk family) as a sans-I/O state machine.
//
// Each handler takes the simulated time `now` (seconds) and one event and returns the effects
// the runtime must execute (DagEffect below). No clock, no I/O, no hidden randomness: the same
// event sequence gives the same effects.
//
// Protocol (n validators, f = max_faulty(n), q = quorum_size(n) = n - f = 2f + 1 for n = 3f + 1):
//   - Rounds start at 1. In every round each validator proposes one vertex: its batch (asked
//     from the pipeline with RequestBatch, answered by on_batch_ready) plus references to >= q
//     certified vertices of the previous round ("strong parents": every certified vertex of
//     round r - 1 it has) and weak links to certified vertices of older rounds not yet reachable
//     from its own vertices (DAG-Rider's weak edges, which make every certified vertex ordered
//     eventually). [Keidar et al., "All You Need is DAG", PODC 2021; Danezis et al., "Narwhal
//     and Tusk", EuroSys 2022.]
//   - Certified reliable broadcast (Narwhal): the source broadcasts VertexMsg; a validator acks
//     (signed AckMsg to the source) the first header it sees for (round, source) once all of its
//     parents are in its local DAG; q acks (the source's own included) form a certificate, which
//     the source broadcasts (CertificateMsg). A certified vertex enters a node's DAG once all its
//     parents are in it. Two certificates for the same (round, source) cannot exist (quorum
//     intersection), so (round, source) identifies a vertex.
//   - Round advance: a node proposes round r + 1 once (a) its DAG holds >= q vertices of round r,
//     (b) the batch for its next vertex is ready, and (c) at least `round_time_ms` passed since
//     its previous proposal (SetTimer when (a), (b) hold earlier). A lagging node jumps to
//     (highest round with q vertices) + 1. The batch of the next vertex is requested right after
//     proposing, so the pipeline's batch preparation (speculation) overlaps the round.
//   - Waves of `wave_length_rounds` rounds: wave w >= 1 spans rounds (w-1)L + 1 .. wL. Its anchor
//     is the vertex of round (w-1)L + 1 from validator coin(w) = splitmix(seed, w) mod n, a
//     deterministic stand-in for the threshold-signature common coin (crash faults only: nobody
//     exploits knowing it early; it is only consulted once the wave's last round is in the DAG).
//   - Commit rule: the anchor of wave w is committed directly when the node's DAG holds >= S
//     vertices of round wL with a strong path (strong parents only) to it, where
//       L = 4: S = q   (DAG-Rider, Alg. 3: 2f+1 round-4 vertices with strong paths);
//       L = 2: S = f+1 (Tusk: f+1 second-round vertices that reference the leader, i.e. votes);
//       other L >= 2: S = q (conservative).
//     Either S intersects the q strong parents of any later anchor, so every later anchor has a
//     strong path to a directly committed one. On a direct commit of wave w the node walks back
//     over waves w-1 .. last_committed+1 and also commits every earlier anchor reachable by a
//     strong path from the most recent anchor kept (DAG-Rider's order_vertices), oldest first.
//     Waves are checked in increasing order whenever the DAG grows, so support that arrives late
//     still commits (or the anchor is reached from a later one, or skipped by every node).
//   - Ordering: for each committed anchor, oldest first, its causal history (strong and weak
//     edges) minus already ordered vertices is ordered by (round, source) and reported in one
//     Ordered effect. Every vertex is ordered at most once per node; all honest nodes order the
//     same sequence (prefixes of one another).
//
// CPU accounting (Cpu effect first in a handler's effects): signature_verify_us per vertex or
// ack signature checked; signature_sign_us per vertex or ack signed; certificate_verify_us per
// certificate not already known (aggregate BLS verification); defaults as HotStuffConfig. The
// coin and the certificate aggregation are not charged.
//
// Faults and delivery: crash faults only (a crashed node neither receives nor sends); the
// runtime never drops messages to live nodes. With <= f crashed nodes every round still gets q
// certified vertices, so the DAG grows without timeouts; a wave whose anchor's source crashed
// is not committed directly but ordered through the next committed anchor (no single leader on
// the critical path). No garbage collection: the DAG is kept whole (memory ~ rounds x n).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "models/consensus/dag_messages.hpp"
#include "models/consensus/effects.hpp"
#include "models/consensus/types.hpp"

namespace pipesim::consensus {

struct DagBftConfig {
  std::uint32_t wave_length_rounds = 4;   // L >= 2: 4 = DAG-Rider, 2 = Tusk-style votes
  double round_time_ms = 0.0;             // minimum time between a node's proposals
  std::uint64_t coin_seed = 1;            // seed of the common coin
  bool weak_links = true;                 // add DAG-Rider weak edges
  double signature_verify_us = 50.0;      // per vertex / ack signature verified
  double signature_sign_us = 20.0;        // per vertex / ack signed
  double certificate_verify_us = 1000.0;  // per aggregate certificate verified
};

// ---- Effects ----------------------------------------------------------------------------------

/// Unicast to validator `to` (never self).
struct DagSend {
  NodeId to = 0;
  DagMessagePtr msg;
};
/// Send to every other validator (n - 1 receivers).
struct DagBroadcast {
  DagMessagePtr msg;
};
/// The pipeline must prepare the batch of this node's next vertex (intended for `round`; it is
/// used for the next vertex the node proposes, which may be a later round after a jump) and
/// answer on_batch_ready(now, round, batch).
struct RequestBatch {
  Round round = 0;
};
/// One ordered vertex: its header and its position in this node's total order (0, 1, ...).
struct OrderedVertex {
  std::uint64_t sequence = 0;
  VertexHeader header;
};
/// The causal history of one committed anchor, in total order (round, then source). Each vertex
/// is reported exactly once per node; consecutive Ordered effects continue the sequence.
struct Ordered {
  std::uint64_t wave = 0;
  VertexRef anchor;
  bool direct = false;  // anchor committed by the support rule (false: reached from a later one)
  std::vector<OrderedVertex> vertices;
};

// Observability effects.
/// This node broadcast its vertex.
struct VertexProposed {
  VertexHeader header;
};
/// A vertex entered this node's DAG (certified and all parents present).
struct VertexAdded {
  VertexRef ref;
};
/// This node aggregated the certificate of its own vertex.
struct CertificateFormed {
  VertexRef ref;
  std::uint32_t signers = 0;
};

using DagEffect = std::variant<DagSend, DagBroadcast, SetTimer, RequestBatch, Ordered, Cpu,
                               VertexProposed, VertexAdded, CertificateFormed>;
using DagEffects = std::vector<DagEffect>;

/// The common coin: splitmix64(seed, wave) mod n. Requires n > 0.
NodeId dag_coin(std::uint64_t seed, std::uint64_t wave, std::uint32_t n);

class DagBft {
 public:
  /// Throws std::invalid_argument if n == 0, self >= n, wave_length_rounds < 2 or a cost/time
  /// parameter is negative.
  DagBft(const DagBftConfig& config, NodeId self, std::uint32_t n);

  /// Requests the batch of round 1. Call once before any other handler (they return nothing
  /// before start()).
  DagEffects start(double now);
  /// A message from validator `from` (!= self).
  DagEffects on_message(double now, NodeId from, const DagMessage& msg);
  /// A SetTimer fired (stale timers are ignored).
  DagEffects on_timer(double now, TimerId id);
  /// The pipeline's answer to RequestBatch{round}; ignored unless it answers the outstanding
  /// request.
  DagEffects on_batch_ready(double now, Round round, const DagBatch& batch);

  // Introspection (tests, metrics).
  NodeId self() const { return self_; }
  std::uint32_t validators() const { return n_; }
  /// Round of this node's last proposed vertex (0 before the first).
  Round current_round() const { return proposed_round_; }
  /// Highest round with >= 1 vertex in the local DAG.
  Round highest_dag_round() const;
  std::size_t dag_size() const { return dag_.size(); }
  std::uint64_t last_committed_wave() const { return last_committed_wave_; }
  std::uint64_t ordered_count() const { return ordered_count_; }
  /// Source of the anchor of wave w (w >= 1) and its round.
  NodeId anchor_source(std::uint64_t wave) const { return dag_coin(config_.coin_seed, wave, n_); }
  Round anchor_round(std::uint64_t wave) const {
    return (wave - 1) * config_.wave_length_rounds + 1;
  }
  /// Direct-commit support threshold S (see the file comment).
  std::uint32_t commit_support() const { return support_; }

 private:
  using Key = std::pair<Round, NodeId>;
  struct DagVertex {
    VertexHeader header;
    bool covered = false;  // reachable from one of this node's own proposals (weak-link pruning)
    bool ordered = false;
  };
  struct Ctx {
    double now;
    DagEffects out;
    double cpu_us = 0.0;
  };

  DagEffects finish(Ctx& ctx, const char* label) const;
  void on_vertex(Ctx& ctx, NodeId from, const VertexHeader& h);
  void on_ack(Ctx& ctx, const AckMsg& a);
  void certify_own(Ctx& ctx, Round round);
  void on_certificate(Ctx& ctx, const CertificateMsg& c);
  void accept_certified(Ctx& ctx, const VertexHeader& h);
  bool parents_in_dag(const VertexHeader& h) const;
  void dag_changed(Ctx& ctx);
  void try_ack_pending(Ctx& ctx);
  void send_ack(Ctx& ctx, const VertexHeader& h);
  void try_propose(Ctx& ctx);
  void propose(Ctx& ctx, Round round);
  void cover_from(const VertexRef& ref);
  void try_commit(Ctx& ctx);
  std::uint32_t support_of(const VertexHeader& anchor, Round last_round) const;
  bool strong_path(const VertexHeader& from, const VertexHeader& to) const;
  void commit_anchor_chain(Ctx& ctx, std::uint64_t wave);
  void order_history(Ctx& ctx, std::uint64_t wave, const VertexHeader& anchor, bool direct);
  const DagVertex* find(Round round, NodeId source) const;

  DagBftConfig config_;
  NodeId self_;
  std::uint32_t n_;
  std::uint32_t quorum_;
  std::uint32_t support_;
  bool started_ = false;

  std::map<Key, DagVertex> dag_;                // the local DAG (certified, parents present)
  std::map<Round, std::uint32_t> round_count_;  // vertices per round in dag_
  /// present_[round][source] != 0 iff (round, source) is in dag_: the O(1) membership test of
  /// the parent checks (n x parents per vertex, the hot path of large committees).
  std::vector<std::vector<char>> present_;
  bool in_dag(Round round, NodeId source) const {
    return round < present_.size() && source < present_[round].size() && present_[round][source];
  }
  /// wave -> vertices of its rounds in dag_ when its support was last counted (try_commit)
  std::map<std::uint64_t, std::uint64_t> support_checked_;
  std::set<Key> uncovered_;  // dag_ vertices not yet `covered` (weak-link candidates)
  std::set<Key> acked_;      // (round, source) headers acked (once each)
  /// A header waiting for its parents; its first `present` parents (strong, then weak) are known
  /// to be in dag_ already (the DAG only grows), so each check resumes there.
  struct Waiting {
    VertexHeader header;
    std::size_t present = 0;
  };
  /// True once every parent of `w` is in dag_ (advances w.present).
  bool parents_arrived(Waiting& w) const;
  std::map<Key, Waiting> certified_waiting_;  // certified, some parent not in dag_ yet
  std::map<Key, Waiting> ack_waiting_;        // headers to ack once their parents arrive
  /// Waiting headers indexed by the parent they wait for (the one at their `present` index):
  /// parent -> [(is_ack, header key)]. A vertex entering dag_ wakes only its own waiters.
  std::map<Key, std::vector<std::pair<bool, Key>>> blocked_on_;
  std::set<Key> certified_ready_;  // certified_waiting_ entries whose parents all arrived
  std::set<Key> ack_ready_;        // ack_waiting_ entries whose parents all arrived
  /// Files `key` (in certified_waiting_ or ack_waiting_) under its first missing parent, or in
  /// the matching ready set when none is missing.
  void block_or_ready(bool is_ack, const Key& key);

  // Own proposals.
  Round proposed_round_ = 0;
  double last_proposal_s = 0.0;
  Round batch_requested_round_ = 0;
  std::optional<DagBatch> next_batch_;
  struct OwnPending {
    VertexHeader header;
    std::vector<NodeId> acks;
  };
  std::map<Round, OwnPending> own_pending_;  // own vertices awaiting their certificate
  Round timer_round_ = 0;                    // round whose min-round-time timer is armed

  // Commit state.
  std::uint64_t last_committed_wave_ = 0;
  std::uint64_t ordered_count_ = 0;
};

}  // namespace pipesim::consensus
