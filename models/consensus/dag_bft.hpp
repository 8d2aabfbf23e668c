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
// Faults and delivery: a crashed node neither receives nor sends; the runtime may drop
// messages (faults.events loss/partition). A parent a waiting header needs that is still
// missing after fetch_timeout_ms is fetched (FetchMsg to the header's author, then the next
// validators; answered with the held certificate). A node whose own header is still uncertified
// header_resend_ms after it was sent re-sends it to the validators whose ack it has not
// received, every header_resend_ms until it is certified, also after the node moved on to later
// rounds (the late vertex is then ordered through weak links, so no batch is lost; Narwhal gets
// the same from its reliable transport, which retransmits every message until delivered). A
// round in which the node equivocated is never re-sent. A receiver acks a repeated header with the
// digest it already acked again (acks are idempotent; not equivocation evidence); one that still
// waits for its parents stays queued once and is acked when they arrive. A node stuck in its
// current round (certified its own vertex, but its DAG holds < q vertices of the round) re-sends
// that certificate every header_resend_ms to the peers whose next-round header has not referenced
// it: after a partition that dropped a round's certificates nobody could advance, so nothing
// would reference (and fetch) them. Other certificates are not re-sent: a peer that missed one
// fetches it when a later header references it. With <= f crashed nodes every round still gets
// q certified vertices, so the DAG grows without timeouts; a wave whose anchor's source crashed is
// not committed directly but ordered through the next committed anchor (no single leader on the
// critical path). Equivocation (set_equivocating): honest nodes ack only the first vertex they see
// per (round, source) and deliver only certified vertices, so two vertices of one (round, source)
// are never both delivered.
//
// Cost (issue 16): headers are sealed once by their author and shared (VertexHeaderPtr), never
// copied or re-hashed per receiver; each node keeps flat per-round slots indexed by source with
// bitmaps (in DAG, covered, ordered, strong path to the wave's anchor), so a received vertex
// costs O(n / 64) word operations (parent check, commit support kept incrementally), ordering
// and covering walk the DAG round by round with bitmap unions, and the simulation's work per
// round is O(n^2) messages plus O(n^3 / 64) word operations. Garbage collection: below the
// round of the last committed anchor, a round whose vertices are all ordered and covered drops
// its header pointers (its bitmaps, n / 8 bytes each, stay).
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
  /// Vertex fetch: a parent missing for this long (a header waits on it) is requested from the
  /// header's author, then from the next validators in turn, one request per period. 0: never.
  /// pipesim's choice: 5 x the largest one-way AWS p50 latency (420.7 ms round trip / 2,
  /// data/latency/aws), so that a certificate still in flight in a loss-free run is not asked
  /// for; Narwhal retries its sync requests after sync_retry_delay = 5,000 ms
  /// (MystenLabs/narwhal config Parameters default), too slow to matter in short runs.
  double fetch_timeout_ms = 1000.0;
  /// Header retransmission: an own header still not certified this long after it was (re-)sent
  /// is re-sent to every validator whose ack has not arrived, one period after another until it
  /// is certified (also after the node proposed later rounds, so that its batch is ordered,
  /// late, through weak links); the same period paces the certificate of a round the node is
  /// stuck in (see the file comment). 0: never.
  /// pipesim's choice: 2,000 ms = 2 x fetch_timeout_ms, about 10 x the largest one-way AWS p50
  /// latency (data/latency/aws, 420.7 ms round trip): in a loss-free run an ack can wait for a
  /// parent certificate in flight, or for its fetch (fetch_timeout_ms plus a round trip), so
  /// loss-free runs never resend. Between Narwhal's max_header_delay = 100 ms (the proposer's
  /// batching interval, not a retry) and sync_retry_delay = 5,000 ms (MystenLabs/narwhal config
  /// Parameters defaults); Narwhal's transport itself retransmits until delivery.
  double header_resend_ms = 2000.0;
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
  VertexHeaderPtr header;  // non-null, shared
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
  VertexHeaderPtr header;  // non-null, shared
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
  /// A message from validator `from` (!= self). The pointer form keeps received certificates
  /// shared (they answer fetch requests); the reference form copies the message once.
  DagEffects on_message(double now, NodeId from, const DagMessagePtr& msg);
  DagEffects on_message(double now, NodeId from, const DagMessage& msg);
  /// Timer id of the vertex-fetch tick (round timers use the round number).
  static constexpr TimerId kFetchTimerId = ~TimerId{0};
  /// Timer id of the header / certificate resend tick (see DagBftConfig::header_resend_ms).
  static constexpr TimerId kResendTimerId = ~TimerId{0} - 1;
  /// A SetTimer fired (stale timers are ignored).
  DagEffects on_timer(double now, TimerId id);
  /// The node recovered from a crash (its state is kept; timers due while it was down were
  /// lost): re-arms the fetch and resend ticks and the round timer.
  DagEffects on_recover(double now);
  /// The pipeline's answer to RequestBatch{round}; ignored unless it answers the outstanding
  /// request.
  DagEffects on_batch_ready(double now, Round round, const DagBatch& batch);

  /// Fault hook (issue 15, Byzantine behaviour "dag_equivocate"): while set, this node
  /// equivocates in every round it proposes: it seals two different vertices for the round (its
  /// real batch, and an empty batch) and sends the first to the first ceil((n-1)/2) of its peers
  /// (ascending index, self excluded) and the second to the others, instead of one broadcast.
  /// It forms a certificate only from acks on one digest, as an honest node, so at most one of
  /// the two is certified (quorum intersection) and honest nodes deliver only that one; with an
  /// even split neither reaches 2f + 1 acks and the round has no vertex of this node.
  void set_equivocating(bool on) { equivocating_ = on; }
  bool equivocating() const { return equivocating_; }

  // Introspection (tests, metrics).
  NodeId self() const { return self_; }
  std::uint32_t validators() const { return n_; }
  /// Round of this node's last proposed vertex (0 before the first).
  Round current_round() const { return proposed_round_; }
  /// Highest round with >= 1 vertex in the local DAG.
  Round highest_dag_round() const { return highest_round_; }
  /// Vertices in the local DAG (garbage-collected headers included).
  std::size_t dag_size() const { return dag_size_; }
  std::uint64_t last_committed_wave() const { return last_committed_wave_; }
  std::uint64_t ordered_count() const { return ordered_count_; }
  /// Vertex messages received for a (round, source) this node already saw with another digest
  /// (equivocation evidence; such a vertex is never acked).
  std::uint64_t equivocations_detected() const { return equivocations_detected_; }
  /// Rounds whose vertex headers were released by garbage collection (below the last
  /// committed anchor, every vertex ordered and covered).
  std::uint64_t rounds_collected() const { return rounds_collected_; }
  /// Fetch requests sent / answered by this node (vertex fetch, see DagBftConfig).
  std::uint64_t fetches_sent() const { return fetches_sent_; }
  std::uint64_t fetches_answered() const { return fetches_answered_; }
  /// Header copies this node re-sent (one per receiver; DagBftConfig::header_resend_ms) / acks it
  /// sent again for a repeated header it had already acked.
  std::uint64_t headers_resent() const { return headers_resent_; }
  std::uint64_t acks_resent() const { return acks_resent_; }
  /// Copies of this node's certificate of its current round re-sent while it was stuck in it.
  std::uint64_t certificates_resent() const { return certificates_resent_; }
  /// Source of the anchor of wave w (w >= 1) and its round.
  NodeId anchor_source(std::uint64_t wave) const { return dag_coin(config_.coin_seed, wave, n_); }
  Round anchor_round(std::uint64_t wave) const {
    return (wave - 1) * config_.wave_length_rounds + 1;
  }
  /// Direct-commit support threshold S (see the file comment).
  std::uint32_t commit_support() const { return support_; }

 private:
  using Key = std::pair<Round, NodeId>;
  /// Everything this node knows about one round, flat and indexed by source.
  struct RoundSlot {
    /// Per source: the DAG's (certified) vertex once in_dag, else the first vertex seen (the
    /// one acked). Shared with the messages and the other nodes; emptied by garbage collection.
    std::vector<VertexHeaderPtr> header;
    /// Per source: the certificate accepted (answers fetch requests); emptied with `header`.
    std::vector<DagMessagePtr> certificate;
    NodeBitmap in_dag;     // certified and every parent in the DAG
    NodeBitmap seen;       // a vertex message was received (acked or waiting to be acked)
    NodeBitmap certified;  // a certificate was accepted (in the DAG or waiting for parents)
    NodeBitmap covered;    // reachable from one of this node's own proposals (weak-link pruning)
    NodeBitmap ordered;
    NodeBitmap reach;  // strong path to the anchor of the round's wave (commit support)
    std::uint32_t count = 0, covered_count = 0, ordered_count = 0, reach_count = 0;
    bool released = false;  // headers dropped by garbage collection
  };
  struct Ctx {
    double now;
    DagEffects out;
    double cpu_us = 0.0;
  };
  /// A header waiting for its parents; the strong parents below word `strong_word` of its
  /// parent_set and its first `weak` weak parents are known to be in the DAG (it only grows).
  struct Waiting {
    VertexHeaderPtr header;
    std::size_t strong_word = 0;
    std::size_t weak = 0;
  };

  RoundSlot& slot(Round round);
  const RoundSlot* slot_if(Round round) const {
    return round < rounds_.size() ? &rounds_[round] : nullptr;
  }
  bool in_dag(Round round, NodeId source) const {
    const RoundSlot* s = slot_if(round);
    return s != nullptr && s->in_dag.test(source);
  }
  const VertexHeaderPtr& header_of(Round round, NodeId source) const {
    return rounds_[round].header[source];
  }
  void set_header(Round round, NodeId source, const VertexHeaderPtr& h);

  DagEffects finish(Ctx& ctx, const char* label) const;
  void on_vertex(Ctx& ctx, NodeId from, const VertexHeaderPtr& h);
  void on_ack(Ctx& ctx, const AckMsg& a);
  void certify_own(Ctx& ctx, Round round, std::size_t candidate);
  void on_certificate(Ctx& ctx, const CertificateMsg& c, const DagMessagePtr& msg);
  void on_fetch(Ctx& ctx, NodeId from, const FetchMsg& f);
  void fetch_tick(Ctx& ctx);
  /// Arms the fetch tick when something waits for a parent and no tick is armed.
  void arm_fetch(Ctx& ctx);
  /// Re-sends every own uncertified header that is due, and the current round's certificate
  /// while stuck in it; re-arms the tick at the next due time.
  void resend_tick(Ctx& ctx);
  /// Arms the resend tick at `at_s` unless one is armed.
  void arm_resend(Ctx& ctx, double at_s);
  /// Earliest due time of a header or certificate resend; < 0 when nothing is to be re-sent.
  double next_resend_due() const;
  void accept_certified(Ctx& ctx, const VertexHeaderPtr& h, const DagMessagePtr& certificate);
  void insert_vertex(Ctx& ctx, const VertexHeaderPtr& h);
  /// True once every parent of `w` is in the DAG; else `missing` is one absent parent.
  bool parents_arrived(Waiting& w, VertexRef& missing) const;
  /// Files waiter `key` (is_ack: in ack_waiting_) under its missing parent.
  void block_on(Ctx& ctx, const VertexRef& missing, bool is_ack, const Key& key, NodeId author);
  void dag_changed(Ctx& ctx);
  void try_ack_pending(Ctx& ctx);
  void send_ack(Ctx& ctx, const VertexHeader& h);
  void try_propose(Ctx& ctx);
  void propose(Ctx& ctx, Round round);
  /// Marks covered every uncovered DAG vertex reachable from `todo` (round -> sources).
  void cover(std::map<Round, NodeBitmap> todo);
  void try_commit(Ctx& ctx);
  bool strong_path(const VertexHeader& from, const VertexHeader& to) const;
  void commit_anchor_chain(Ctx& ctx, std::uint64_t wave);
  void order_history(Ctx& ctx, std::uint64_t wave, const VertexHeaderPtr& anchor, bool direct);
  void collect_garbage();
  /// Files `key` (in certified_waiting_ or ack_waiting_) under its first missing parent, or in
  /// the matching ready set when none is missing.
  void block_or_ready(Ctx& ctx, bool is_ack, const Key& key);

  DagBftConfig config_;
  NodeId self_;
  std::uint32_t n_;
  std::uint32_t quorum_;
  std::uint32_t support_;
  bool started_ = false;
  bool equivocating_ = false;

  std::vector<RoundSlot> rounds_;  // by round (index 0 unused)
  std::size_t dag_size_ = 0;
  Round highest_round_ = 0;  // highest round with a vertex in the DAG
  Round quorum_round_ = 0;   // highest round with >= quorum vertices in the DAG
  Round uncovered_low_ = 1;  // no uncovered DAG vertex below this round
  Round gc_low_ = 1;         // rounds below are released (or empty)
  std::uint64_t rounds_collected_ = 0;
  std::uint64_t equivocations_detected_ = 0;

  std::map<Key, Waiting> certified_waiting_;  // certified, some parent not in the DAG yet
  std::map<Key, Waiting> ack_waiting_;        // headers to ack once their parents arrive
  /// Waiting headers indexed by one parent they wait for. A vertex entering the DAG wakes only
  /// its own waiters; a parent missing for fetch_timeout_ms is requested (fetch_tick).
  struct Blocked {
    std::vector<std::pair<bool, Key>> waiters;  // (is_ack, header key)
    VertexDigest digest = 0;                    // of the missing parent
    NodeId author = 0;                          // of the first waiter: has the parent
    double next_fetch_s = 0.0;
    std::uint32_t fetches = 0;
  };
  std::map<Key, Blocked> blocked_on_;
  bool fetch_armed_ = false;
  std::uint64_t fetches_sent_ = 0;
  std::uint64_t fetches_answered_ = 0;
  std::set<Key> certified_ready_;  // certified_waiting_ entries whose parents all arrived
  std::set<Key> ack_ready_;        // ack_waiting_ entries whose parents all arrived

  // Own proposals.
  Round proposed_round_ = 0;
  double last_proposal_s = 0.0;
  Round batch_requested_round_ = 0;
  std::optional<DagBatch> next_batch_;
  struct Candidate {  // one own vertex of a round (two while equivocating)
    VertexHeaderPtr header;
    NodeBitmap acks;
    std::uint32_t ack_count = 0;
    double resend_due_s = 0.0;  // re-sent then if still uncertified (header_resend_ms)
  };
  std::map<Round, std::vector<Candidate>> own_pending_;  // own vertices awaiting a certificate
  Round timer_round_ = 0;  // round whose min-round-time timer is armed
  bool resend_armed_ = false;
  Round cert_round_ = 0;  // own certified round whose certificate is re-sent while stuck in it
  double cert_due_s_ = 0.0;
  std::uint64_t certificates_resent_ = 0;
  /// Digests of headers seen but not certified in rounds released by garbage collection (a
  /// re-sent copy is acked again); erased when the vertex enters the DAG.
  std::map<Key, VertexDigest> released_acks_;
  std::uint64_t headers_resent_ = 0;
  std::uint64_t acks_resent_ = 0;

  // Commit state.
  std::uint64_t last_committed_wave_ = 0;
  std::uint64_t ordered_count_ = 0;
};

}  // namespace pipesim::consensus
