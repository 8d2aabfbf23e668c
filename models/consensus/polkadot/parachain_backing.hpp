// Parachain backing, availability and inclusion of a Polkadot-like relay chain, with the
// prospective-parachains view that asynchronous backing adds — pure protocol logic (no SimGrid).
//
// Sources (polkadot-sdk; the Polkadot wiki "Asynchronous Backing" and "Parachains' Protocol"):
//  - backing groups and their rotation across cores: polkadot/runtime/parachains/src/scheduler.rs
//    (`GroupRotationInfo::group_for_core`: core c at rotation k is served by group (c + k) mod g,
//    rotating every `group_rotation_frequency` relay blocks, 10 on Polkadot);
//  - candidate lifecycle: a collator's candidate is seconded by one group member, the others
//    re-validate and issue valid statements; with `minimum_backing_votes` (2 on Polkadot)
//    statements it is backable and a relay block author may put it on chain ("backed"), where it
//    occupies its core "pending availability" until the block whose availability bitfields show
//    a supermajority holding their erasure chunk includes it (polkadot/runtime/parachains/src/
//    inclusion), or it times out (`availability_timeout_relay_blocks`, the former
//    HostConfiguration `paras_availability_period`) and is dropped;
//  - asynchronous backing: `AsyncBackingParams { max_candidate_depth, allowed_ancestry_len }`
//    (polkadot/primitives, production 3 / 2): a candidate may build on unincluded ancestors up to
//    depth max_candidate_depth, and its relay parent must stay within the last
//    allowed_ancestry_len + 1 relay blocks (the including block's parent and allowed_ancestry_len
//    ancestors, runtime/parachains/src/shared.rs AllowedRelayParentsTracker); the parachain
//    runtime bounds its unincluded segment by UNINCLUDED_SEGMENT_CAPACITY (3 in the parachain
//    template) and authors at most BLOCK_PROCESSING_VELOCITY (1) blocks per relay parent
//    (cumulus/pallets/parachain-system, `unincluded_segment` and `consensus_hook`);
//  - synchronous backing is the same machinery with max_candidate_depth = allowed_ancestry_len
//    = 0: a candidate builds on the included head, its relay parent must be the including
//    block's parent, and it is included one relay block after it is backed.
//
// The tracker holds one parachain's state as the relay chain sees it (the relay chain is linear,
// so this view is common to every honest node): the included head, the candidate pending
// availability on the parachain's core (one core per parachain), and the unincluded segment.
// The model allows no parachain forks: a candidate must build on the current segment tip.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pipesim::consensus::polkadot {

enum class BackingMode : std::uint8_t { kSync, kAsync };

/// Protocol parameters (defaults: Polkadot production with asynchronous backing).
struct BackingParams {
  BackingMode mode = BackingMode::kAsync;
  std::uint32_t max_candidate_depth = 3;                 // AsyncBackingParams (ignored in sync: 0)
  std::uint32_t allowed_ancestry_len = 2;                // AsyncBackingParams (ignored in sync: 0)
  std::uint32_t unincluded_segment_capacity = 3;         // parachain template
  std::uint32_t block_processing_velocity = 1;           // parachain template
  std::uint32_t minimum_backing_votes = 2;               // HostConfiguration, >= 1
  std::uint32_t availability_timeout_relay_blocks = 10;  // >= 1
};

/// Validators split into backing groups; group g serves core c at relay block b when
/// g == (c + b / rotation) mod groups. groups = max(1, validators / group_size); validator v is in
/// group v mod groups (sizes differ by at most one).
class BackingGroups {
 public:
  /// Throws std::invalid_argument when validators, group_size or rotation is 0.
  BackingGroups(std::uint32_t validators, std::uint32_t group_size,
                std::uint32_t rotation_relay_blocks);
  std::uint32_t groups() const { return static_cast<std::uint32_t>(members_.size()); }
  std::uint32_t group_of(std::uint32_t validator) const { return validator % groups(); }
  const std::vector<std::uint32_t>& members(std::uint32_t group) const { return members_[group]; }
  std::uint32_t group_for_core(std::uint32_t core, std::uint64_t relay_block) const;

 private:
  std::uint32_t rotation_;
  std::vector<std::vector<std::uint32_t>> members_;
};

using CandidateId = std::uint64_t;  // 0: none (the parachain's genesis head)

enum class CandidateState : std::uint8_t {
  kSeconded,             // authored and handed to its backing group, not yet backable
  kBacked,               // >= minimum_backing_votes valid statements, not yet on chain
  kPendingAvailability,  // on chain, occupying the core, waiting for availability
  kIncluded,
  kDropped,
};

enum class DropReason : std::uint8_t {
  kNone,
  kNotBackedInTime,           // relay parent left the allowed ancestry before it was backable
  kRelayParentOutOfAncestry,  // backable, but its relay parent left the ancestry off chain
  kAvailabilityTimeout,       // pending availability longer than the timeout
  kParentDropped,             // an ancestor in the unincluded segment was dropped
};

const char* to_string(CandidateState s);
/// "not_backed_in_time", "relay_parent_out_of_ancestry", "availability_timeout",
/// "parent_dropped" (metric suffixes), "none".
const char* to_string(DropReason r);

struct Candidate {
  CandidateId id = 0;
  CandidateId parent = 0;
  std::uint64_t para_height = 0;   // parent's height + 1 (genesis head: 0)
  std::uint64_t relay_parent = 0;  // relay block number the collator built on
  CandidateState state = CandidateState::kSeconded;
  DropReason drop_reason = DropReason::kNone;
  bool parent_was_included = false;        // the parent was the included head when it was built
  std::vector<std::uint32_t> valid_votes;  // validators with a valid statement, in order
  std::uint64_t backed_in_block = 0;       // relay block that put it on chain
  std::uint64_t included_in_block = 0;
  std::uint64_t dropped_in_block = 0;  // 0 when dropped at registration
};

/// What one relay block did to one parachain.
struct ParaBlockOutcome {
  std::optional<CandidateId> included;
  std::optional<CandidateId> backed_on_chain;
  std::vector<CandidateId> dropped;  // in segment order
};

class ParachainTracker {
 public:
  /// Throws std::invalid_argument for minimum_backing_votes, capacity, velocity or timeout 0.
  explicit ParachainTracker(BackingParams params);

  /// Where a collator may build with relay parent `relay_parent` (the newest relay block, whose
  /// effects on_relay_block has applied): the segment tip, or nullopt when the segment is at its
  /// bound, velocity is used up for this relay parent, or (sync) a candidate is unincluded.
  struct BuildTarget {
    CandidateId parent = 0;
    std::uint64_t para_height = 0;  // of the new candidate
  };
  std::optional<BuildTarget> build_target(std::uint64_t relay_parent) const;

  /// Registers candidate `id` (unique, > 0) built on `parent` with `relay_parent`. If `parent`
  /// is no longer the segment tip (it was dropped while the collator was authoring), the
  /// candidate is registered as dropped (kParentDropped) and false is returned.
  bool add_candidate(CandidateId id, CandidateId parent, std::uint64_t relay_parent);

  /// A valid statement from `validator` on `id`. Returns true when it makes the candidate
  /// backable (exactly once). Ignored for unknown, dropped or on-chain candidates and repeats.
  bool add_valid_vote(CandidateId id, std::uint32_t validator);

  /// Relay block `number` (>= 1, increasing, parent number - 1) is authored:
  ///  1. if a candidate is pending availability and `pending_available` (the block's bitfields
  ///     hold a supermajority), it is included; else if it has been pending for
  ///     availability_timeout_relay_blocks blocks, it and its descendants are dropped;
  ///  2. off-chain candidates whose relay parent < number - 1 - allowed_ancestry_len can never
  ///     be placed any more: dropped with their descendants;
  ///  3. if the core is free, the segment's first candidate is backable, its relay parent in the
  ///     allowed window and `author_knows(candidate)` (the author holds its statements), it goes
  ///     on chain (pending availability).
  /// With `inherent` false (a block without the parachain inherent) nothing changes.
  ParaBlockOutcome on_relay_block(std::uint64_t number, bool pending_available,
                                  const std::function<bool(const Candidate&)>& author_knows,
                                  bool inherent = true);

  CandidateId included_head() const { return head_; }
  std::uint64_t included_height() const { return head_height_; }
  std::optional<CandidateId> pending_availability() const;
  /// Non-dropped, not-included candidates descending from the included head, in height order.
  const std::vector<CandidateId>& unincluded_segment() const { return segment_; }
  /// Largest segment the protocol allows: 1 in sync mode, else
  /// min(unincluded_segment_capacity, max_candidate_depth + 1).
  std::uint32_t segment_bound() const;
  /// Largest segment length ever observed (after any change).
  std::uint32_t max_segment_length() const { return max_segment_; }
  const Candidate* find(CandidateId id) const;
  /// Included candidates in inclusion order.
  const std::vector<CandidateId>& inclusion_log() const { return included_; }
  const BackingParams& params() const { return params_; }

  /// "" when every invariant holds, else a description of the first violation: the inclusion
  /// log follows parent links from genesis with heights 1, 2, ...; the segment never exceeded
  /// its bound; in sync mode every candidate was built on the included head.
  std::string check_invariants() const;

 private:
  void drop_from(std::size_t index, DropReason first, std::uint64_t block, ParaBlockOutcome& out);
  BackingParams params_;
  std::map<CandidateId, Candidate> candidates_;
  std::vector<CandidateId> segment_;
  std::vector<CandidateId> included_;
  CandidateId head_ = 0;
  std::uint64_t head_height_ = 0;
  std::uint32_t max_segment_ = 0;
};

}  // namespace pipesim::consensus::polkadot
