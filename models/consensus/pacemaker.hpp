// Pacemaker of the chained-HotStuff core: the current round, when it was entered, its local
// timeout, and aggregation of timeout messages into timeout certificates (TCs).
//
// Rounds advance only on certificates (Jolteon / DiemBFT v4 pacemaker): a QC of round r or a TC
// of round r moves a node to round r + 1. The caller (HotStuff) owns the effects; the pacemaker
// is plain state.
//
// Local timeout of a round: round_timeout_ms * backoff^k, where k is the number of consecutive
// rounds entered through a TC (reset to 0 when a round is entered through a QC), capped at
// max_backoff_exponent. backoff = 1 (the default) disables exponential backoff, so every round
// waits exactly round_timeout_ms. Backoff helps after asynchrony (timeouts too short for the
// actual latency) and costs nothing on the happy path; with crashed leaders it lengthens the
// round after each crashed leader's round, so it is off by default.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "models/consensus/messages.hpp"
#include "models/consensus/types.hpp"

namespace pipesim::consensus {

struct PacemakerConfig {
  double round_timeout_ms = 4000.0;  // base local timeout of a round
  double timeout_backoff = 1.0;      // multiplier per consecutive TC round (>= 1; 1 = off)
  std::uint32_t max_backoff_exponent = 6;
};

class Pacemaker {
 public:
  /// Throws std::invalid_argument for n == 0, round_timeout_ms <= 0 or timeout_backoff < 1.
  Pacemaker(const PacemakerConfig& config, std::uint32_t n);

  Round current_round() const { return round_; }
  /// Simulated time (s) at which the current round was entered.
  double entered_at() const { return entered_at_; }
  /// Time (s) at which the round before the current one (in this node's history) was entered;
  /// nullopt while in the first round.
  std::optional<double> previous_entered_at() const { return previous_entered_at_; }

  /// Moves to `round` if it is higher than the current round; returns false (no change)
  /// otherwise. Records the entry time and updates the backoff counter.
  bool advance(Round round, bool via_tc, double now);

  /// Local timeout duration (s) of the current round, including backoff.
  double timeout_duration_s() const;

  /// Whether this node already timed out `round` (sent its timeout message).
  bool timed_out(Round round) const { return timed_out_round_ && *timed_out_round_ >= round; }
  void mark_timed_out(Round round) { timed_out_round_ = round; }

  /// Adds a timeout message; duplicates from the same sender for the same round are ignored.
  /// Returns the TC when this message completes a quorum for its round (exactly once per round).
  /// Rounds below the current round are ignored. O(1) amortised per call (plus the TC's signer
  /// list when one forms).
  std::optional<TimeoutCert> add_timeout(const Timeout& timeout);
  /// Number of distinct timeout senders collected for `round`.
  std::uint32_t timeout_count(Round round) const;

 private:
  struct Collector {
    std::vector<bool> seen;
    std::vector<NodeId> signers;
    QuorumCert high_qc;
    bool done = false;
  };

  PacemakerConfig config_;
  std::uint32_t n_;
  Round round_ = 0;
  double entered_at_ = 0.0;
  std::optional<double> previous_entered_at_;
  std::uint32_t consecutive_tc_rounds_ = 0;
  std::optional<Round> timed_out_round_;
  std::map<Round, Collector> timeouts_;  // ordered: pruned from the front
};

}  // namespace pipesim::consensus
