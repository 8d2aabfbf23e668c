// Chained HotStuff with a 2-chain commit rule (MonadBFT-like), as a sans-I/O state machine.
//
// Each handler takes the simulated time `now` (seconds) and one event, and returns the effects
// the runtime must execute (effects.hpp). No clock, no I/O, no randomness: the same event
// sequence gives the same effects.
//
// Protocol (n validators, f = floor((n-1)/3), quorum q = n - f = 2f + 1 for n = 3f + 1):
//   - Leader of round r is r mod n. Round 1 is the first round; genesis (round 0) is committed.
//   - Proposal: the leader of r extends its highest QC (`high_qc`); if high_qc.round != r - 1 it
//     attaches the TC of round r - 1.
//   - Votes for a round-r block go to the leader of r + 1, who aggregates q votes into QC(r).
//   - Commit (2-chain, Jolteon [1] / DiemBFT v4 [2] / MonadBFT [3]): when a node learns a QC for
//     block B and B.justify.round + 1 == B.round (B's parent P was certified in the round right
//     before B's), P and all its uncommitted ancestors are committed.
//   - Voting rule (DiemBFT v4 safe_to_vote, Jolteon Alg. 2): vote for block B of round r iff
//       B is validated by the pipeline, r == current round, r > highest_voted_round, and either
//       (a) B.justify.round == r - 1, or
//       (b) the proposal carries TC(r - 1) and B.justify.round >= TC.high_qc.round (the highest
//           QC any TC signer reported).
//     highest_voted_round is raised by voting and by timing out a round (a node never votes in
//     a round it has timed out), so a node votes at most once per round. The 2-chain lock is
//     implicit: the highest QC a node reports in its timeout is what rule (b) protects.
//   - Pacemaker: a round ends when a QC or TC for it is seen (-> RoundEntered). Entering a round
//     arms its local timeout (pacemaker.hpp). On timeout a node broadcasts Timeout{round,
//     high_qc}; q timeouts of a round form TC(round) at every receiver. A node that sees f + 1
//     timeouts of its current round times out immediately (Jolteon's timeout amplification), so
//     honest nodes leave a stuck round together. Timeouts carry the sender's high QC, which
//     receivers adopt, so lagging nodes catch up.
//   - Pacing (block_time_ms): the leader of round r requests its payload (RequestPayload) as
//     soon as it is in round r and holds the block of its high QC, and sends the proposal at
//       max(payload answer time, not_before = seen(r - 1) + block_time_ms),
//     where seen(r - 1) is the first time this node saw round r - 1 at all: entered it, or
//     received a proposal, vote or timeout of round r - 1, or a QC/TC of round r - 1 (if none,
//     the time it entered its previous round; in round 1, not_before = start time). Every such
//     event is caused by proposal r - 1 on the happy path (no TC; rounds >= 2, since all nodes
//     enter round 1 at start), so there proposal r is >= block_time_ms after proposal r - 1 in
//     simulated time, even when the leader of r forms QC(r - 1) before proposal r - 1 reaches
//     it. After a TC, all nodes enter the round together and the wait counts from that entry.
//     Building the payload overlaps the pacing wait, so the block time "holds" the build (as in an
//     interleaved pipeline, where the proposer executes its block within the slot); a build longer
//     than the wait stretches the round.
//   - Validation: a node requests validation (RequestValidation) of a proposal of its current
//     round once the block's parent is known; proposals whose parent is unknown are buffered
//     until the parent arrives. The proposer does not validate its own block (its pipeline built
//     it). on_validated(false) means the node never votes for that block.
//
// CPU accounting (Cpu effect, first in a handler's effects): signature_verify_us per received
// proposal/vote/timeout signature; qc_verify_us per QC or TC not verified before (a QC already
// known for the same (block, round), or a TC not higher than the highest known, is cached);
// signature_sign_us per proposal/vote/timeout signed. Defaults match sim::ConsensusConfig:
// 50 us per verification (ed25519 ~50 us, libsodium / ed25519-dalek benchmarks; secp256k1 ECDSA
// verify ~50-70 us in libsecp256k1), 20 us per signature (ed25519 sign ~20 us), 1 ms per
// aggregate BLS12-381 verification (two pairings ~1 ms with blst, plus public-key aggregation).
//
// Crash faults: a crashed node receives and emits nothing (runtime); with <= f crashed nodes the
// protocol stays live through timeouts and TCs: a crashed leader costs the timeout of its own
// round and of the round before (whose votes it should have aggregated). A commit needs three
// consecutive live leaders (r proposes, r + 1 aggregates QC(r) and proposes, r + 2 aggregates
// QC(r + 1)); with round-robin leaders, f crashed validators spread one every third index (e.g.
// n = 100, crashed 0, 3, ..., 96) stall commits for most of the rotation. Leader reputation
// (DiemBFT v4 / Aptos) would avoid that; it is not modelled.
//
// Lost messages, partitions, recovery (faults, docs/faults.md): a node keeps re-broadcasting
// its timeout of the current round every local timeout period (DiemBFT v4's pacemaker re-sends
// timeouts), and a timeout carries the TC that justified its round when the sender's high QC is
// older (DiemBFT v4 TimeoutMsg.last_round_tc), so nodes that missed a QC or TC catch up. A
// proposal whose parent is unknown is buffered and the missing ancestors are requested from
// the proposer (BlockRequest, at most once per round timeout per missing block); the response
// carries up to kMaxSyncBlocks certified blocks with their payloads, oldest first, which are
// added without voting (each is certified by its child's justify QC) and committed by the
// 2-chain rule on those QCs. A recovered node re-arms its round timeout (on_recover).
//
// Byzantine behaviours (faults.events kind "byzantine", docs/faults.md), switched on per node and
// time window with add_byzantine(); the honest nodes run the unchanged protocol above, whose
// rules are what keeps safety: an honest node votes at most once per round (highest_voted_round),
// and a QC needs quorum_size(n) = n - f distinct signers, so two QCs of one round share at least
// n - 2f >= f + 1 signers, one of them honest, which is impossible with <= f Byzantine nodes.
//   - kEquivocate: as leader, the node proposes two blocks for its round (the pipeline supplies a
//     second payload, on_payload_ready's `conflicting`), sends the first to one half of the other
//     honest validators and the second to the other half (its fellow equivocators of the same
//     event get both), and votes for both. As a voter it votes for every block of its current
//     round it sees (once per block) instead of once per round.
//   - kWithhold: as leader, the proposal leaves `delay_ms` after its pacing deadline and is never
//     sent to the validators in `withhold_from` (they get the block later by block sync, if a
//     QC forms without them).
//   - kInvalidExecutionVote: the node votes for proposals its pipeline's execution check refused
//     (on_validated(false)), and as leader claims a corrupted state root in its header (every
//     byte of the pipeline's root XOR 0x5a): honest validators refuse to vote for it (the root
//     check before voting; in async_execution the claim of N + D about N).
//
// [1] Gelashvili, Kokoris-Kogias, Sonnino, Spiegelman, Xiang, "Jolteon and Ditto:
//     Network-Adaptive Efficient Consensus with Asynchronous Fallback", FC 2022.
// [2] DiemBFT v4: "State Machine Replication in the Diem Blockchain", Diem Team, 2021.
// [3] Category Labs, "MonadBFT" (2025) and the monad-bft repository (consensus state machine).
// See also Jalalzai et al., "Fast-HotStuff" (2-chain commit with consecutive rounds).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/consensus/effects.hpp"
#include "models/consensus/messages.hpp"
#include "models/consensus/pacemaker.hpp"
#include "models/consensus/types.hpp"

namespace pipesim::consensus {

/// Parameters; the first five match sim::ConsensusConfig field for field.
struct HotStuffConfig {
  double block_time_ms = 1000.0;      // minimum time between proposals (see pacing)
  double round_timeout_ms = 4000.0;   // base local round timeout
  double signature_verify_us = 50.0;  // per signature verified (proposal, vote, timeout)
  double signature_sign_us = 20.0;    // per signature made
  double qc_verify_us = 1000.0;       // per aggregate QC/TC verification
  double timeout_backoff = 1.0;       // pacemaker backoff multiplier (1 = off)
  std::uint32_t max_backoff_exponent = 6;
};

/// One Byzantine behaviour of a node for simulated times [from_s, until_s).
struct ByzantineWindow {
  enum class Kind { kEquivocate, kWithhold, kInvalidExecutionVote };
  Kind kind = Kind::kEquivocate;
  double from_s = 0.0;
  double until_s = 0.0;
  std::vector<NodeId> accomplices;    // equivocate: other nodes of the same event (get both)
  std::vector<NodeId> withhold_from;  // withhold: never sent the proposal
  double delay_ms = 0.0;              // withhold: extra wait before the proposal leaves (ms)
};

class HotStuff {
 public:
  /// Throws std::invalid_argument if n == 0, self >= n, or a time/cost parameter is negative
  /// (round_timeout_ms must be > 0).
  HotStuff(const HotStuffConfig& config, NodeId self, std::uint32_t n);

  /// Enters round 1 (RoundEntered{1, kQc}, justified by the genesis QC), arms its timeout and,
  /// on the leader of round 1, requests the first payload. Call once before any other handler;
  /// other handlers return no effects before start().
  Effects start(double now);
  /// A message from validator `from` (!= self).
  Effects on_message(double now, NodeId from, const Message& msg);
  /// A timer set through SetTimer fired (stale timers are ignored).
  Effects on_timer(double now, TimerId id);
  /// The pipeline's answer to RequestPayload{round}. Ignored unless this node is still in
  /// `round`, requested it and has not proposed yet. Proposes now, or (before the request's
  /// not_before_s) holds the payload and returns SetTimer{kPacing} to propose then.
  /// `conflicting`: a second payload on the same parent for an equivocating leader
  /// (wants_conflicting_payload); ignored otherwise.
  Effects on_payload_ready(double now, Round round, const Payload& payload,
                           const std::optional<Payload>& conflicting = std::nullopt);
  /// Adds a Byzantine behaviour window (see the header comment). Throws std::invalid_argument
  /// if until_s <= from_s or delay_ms < 0.
  void add_byzantine(const ByzantineWindow& window);
  /// The active window of `kind` at `now`, or nullptr (honest for that behaviour).
  const ByzantineWindow* byzantine(ByzantineWindow::Kind kind, double now) const;
  /// Whether the pipeline must pass a conflicting payload to on_payload_ready at `now`.
  bool wants_conflicting_payload(double now) const {
    return byzantine(ByzantineWindow::Kind::kEquivocate, now) != nullptr;
  }
  /// Byzantine actions taken: conflicting proposals sent, proposals withheld or delayed,
  /// votes for blocks the node's own check refused, extra votes in a round already voted in.
  std::uint64_t equivocations() const { return equivocations_; }
  std::uint64_t withheld_proposals() const { return withheld_proposals_; }
  std::uint64_t invalid_votes() const { return invalid_votes_; }
  std::uint64_t double_votes() const { return double_votes_; }
  /// The pipeline's answer to RequestValidation{header}: votes if valid and still allowed.
  Effects on_validated(double now, BlockId block, bool valid);
  /// The node recovered from a crash at `now` (its timers were lost while it was down): re-arms
  /// the current round's timeout. Catching up then happens through the certificates in peers'
  /// messages and block sync (BlockRequest / BlockResponse).
  Effects on_recover(double now);

  // Introspection (tests, metrics).
  NodeId self() const { return self_; }
  std::uint32_t validators() const { return n_; }
  Round current_round() const { return pacemaker_.current_round(); }
  Round highest_voted_round() const { return highest_voted_round_; }
  const QuorumCert& high_qc() const { return high_qc_; }
  const std::optional<TimeoutCert>& highest_tc() const { return highest_tc_; }
  Height committed_height() const { return committed_height_; }
  BlockId committed_id() const { return committed_id_; }
  /// Blocks held in the tree (uncommitted ones plus the last committed) and buffered orphans.
  std::size_t block_count() const { return blocks_.size(); }
  std::size_t orphan_count() const;
  /// Block sync: requests sent, responses served, blocks received through sync.
  std::uint64_t sync_requests() const { return sync_requests_; }
  std::uint64_t sync_responses() const { return sync_responses_; }
  std::uint64_t synced_blocks() const { return synced_blocks_; }
  /// Timeout messages broadcast (first ones and re-broadcasts).
  std::uint64_t timeouts_sent() const { return timeouts_sent_; }

 private:
  enum class Validation { kPending, kValid, kInvalid };
  struct Entry {
    BlockHeader header;
    std::optional<TimeoutCert> tc;  // TC carried by the proposal, if any
    Validation validation = Validation::kPending;
  };
  struct VoteCollector {
    std::vector<bool> seen;
    std::vector<NodeId> signers;
    Height height = 0;
    bool done = false;
  };
  struct Ctx {
    double now;
    Effects out;
    double cpu_us = 0.0;
  };

  Effects finish(Ctx& ctx, const char* label) const;
  void on_proposal(Ctx& ctx, NodeId from, const Proposal& p);
  void on_vote(Ctx& ctx, const Vote& v);
  void on_timeout(Ctx& ctx, const Timeout& t);
  void process_qc(Ctx& ctx, const QuorumCert& qc);
  void process_tc(Ctx& ctx, const TimeoutCert& tc);
  void enter_round(Ctx& ctx, Round round, bool via_tc);
  void local_timeout(Ctx& ctx);
  void maybe_request_payload(Ctx& ctx);
  void propose(Ctx& ctx);
  enum class Origin { kOwn, kPeer, kSynced };
  /// Adds a block to the tree (or buffers it until its parent arrives, asking `peer` for the
  /// missing ancestors when it is a valid node index).
  void attach(Ctx& ctx, const BlockHeader& header, const std::optional<TimeoutCert>& tc,
              Origin origin, NodeId peer);
  void request_sync(Ctx& ctx, BlockId missing, NodeId peer);
  void on_block_request(Ctx& ctx, NodeId from, const BlockRequest& r);
  void on_block_response(Ctx& ctx, NodeId from, const BlockResponse& r);
  void broadcast_timeout(Ctx& ctx, Round r);
  void try_vote(Ctx& ctx, BlockId id);
  void cast_vote(Ctx& ctx, const BlockHeader& h);
  BlockHeader make_header(Round round, const BlockHeader& parent, const Payload& payload,
                          bool corrupt_root) const;
  void apply_commit_rule(Ctx& ctx, const BlockHeader& certified);
  void commit_to(Ctx& ctx, BlockId id);
  void prune();
  void note_round_seen(Round round, double now);
  bool qc_known(const QuorumCert& qc) const;

  HotStuffConfig config_;
  NodeId self_;
  std::uint32_t n_;
  Pacemaker pacemaker_;
  bool started_ = false;

  QuorumCert high_qc_;
  std::optional<TimeoutCert> highest_tc_;
  Round highest_voted_round_ = 0;

  // Block tree: lookups only (never iterated into effects).
  std::unordered_map<BlockId, Entry> blocks_;
  std::map<BlockId, std::vector<std::pair<BlockHeader, std::optional<TimeoutCert>>>> orphans_;
  std::set<std::pair<Round, BlockId>> certified_;  // QCs seen, by (round, block)

  BlockId committed_id_;
  Height committed_height_ = 0;
  Round committed_round_ = 0;

  std::map<std::pair<Round, BlockId>, VoteCollector> votes_;

  Round payload_requested_round_ = 0;     // last round whose payload was requested
  QuorumCert requested_qc_;               // high QC at the time of the request (the parent)
  double proposal_not_before_s_ = 0.0;    // pacing deadline of payload_requested_round_
  std::optional<Payload> ready_payload_;  // answer for payload_requested_round_, held for pacing
  Round proposed_round_ = 0;
  std::map<Round, double> first_seen_;  // rounds >= current - 1 only (pacing reference)

  // Block sync: every committed header by height (index height - 1) and id, to serve peers
  // after pruning; the last request time per missing block (retried after a round timeout).
  std::vector<BlockHeader> committed_log_;
  std::unordered_map<BlockId, Height> committed_index_;
  std::map<BlockId, double> sync_requested_at_;
  std::uint64_t sync_requests_ = 0, sync_responses_ = 0, synced_blocks_ = 0, timeouts_sent_ = 0;

  // Byzantine behaviours (empty for an honest node).
  std::vector<ByzantineWindow> byzantine_;
  std::optional<Payload> conflicting_payload_;  // equivocation: second payload of the round
  std::set<BlockId> double_voted_;              // equivocation: blocks voted for beyond once
  BlockId voted_block_ = 0;                     // the block of the last vote
  std::uint64_t equivocations_ = 0, withheld_proposals_ = 0, invalid_votes_ = 0, double_votes_ = 0;
};

}  // namespace pipesim::consensus
