// LinkCalendar: the busy intervals of one access link (a node's uplink or downlink), for link
// models that reserve transmissions ahead of time (network::simulate_gossip computes a whole
// flood when it departs; sim::Transport schedules a message when it is sent).
//
// A transmission that may start at t and needs the link for d seconds takes the earliest free
// gap at or after t that is long enough (first come first served in time, gap-filling): it may
// go BEFORE a reservation made earlier for a later time, so a flood's relays reserved a few hops
// in the future do not hold up a message that fits in the link's idle time now. With min_end_s
// a reservation lasts at least until then (a downlink that cannot finish receiving before the
// sender's uplink has pushed the last byte).
//
// Units: absolute simulated seconds. Intervals are half-open [start, end), sorted, disjoint;
// touching intervals are merged (so back-to-back FIFO sends stay one interval). Zero-length
// reservations occupy nothing.
// Cost: find O(log k + j) for k intervals of which j are skipped; reserve O(k) (vector insert);
// prune_before O(k). k stays small if the owner prunes what ends before the current time.
#pragma once

#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace pipesim::network {

class LinkCalendar {
 public:
  /// One busy interval [start_s, end_s), seconds.
  struct Slot {
    double start_s = 0.0;
    double end_s = 0.0;
  };

  /// The earliest slot that could be reserved: start s >= earliest_s such that
  /// [s, max(s + duration_s, min_end_s)) overlaps no reservation. duration_s >= 0. Does not
  /// reserve. Always exists (after the last reservation, at worst).
  Slot find(double earliest_s, double duration_s,
            double min_end_s = -std::numeric_limits<double>::infinity()) const;

  /// find(), then marks the slot busy (nothing if it has zero length). Returns the slot.
  Slot reserve(double earliest_s, double duration_s,
               double min_end_s = -std::numeric_limits<double>::infinity());

  /// Forgets the reservations that end at or before t_s. Results do not change as long as every
  /// later find / reserve asks for earliest_s >= t_s (call it with the current simulated time).
  void prune_before(double t_s);

  /// End of the last reservation, seconds; -infinity when there is none.
  double busy_until_s() const;
  /// The reservations, sorted by start.
  const std::vector<Slot>& intervals() const { return busy_; }
  std::size_t size() const { return busy_.size(); }

 private:
  std::vector<Slot> busy_;
};

/// The reservations on every node's uplink and downlink, absolute seconds (shared between
/// broadcasts, network::simulate_gossip, and the point-to-point transport, sim::Transport).
/// n calendars each; not owned. prune_before_s: the current simulated time; a calendar drops
/// the reservations that end by then when it is next used (every message departs at or after).
struct LinkState {
  std::span<LinkCalendar> uplink;
  std::span<LinkCalendar> downlink;
  double prune_before_s = -std::numeric_limits<double>::infinity();
};

}  // namespace pipesim::network
