#include "models/network/link_calendar.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>

namespace pipesim::network {

LinkCalendar::Slot LinkCalendar::find(double earliest_s, double duration_s,
                                      double min_end_s) const {
  double s = earliest_s;
  // Ends are sorted too (disjoint intervals): skip every interval over by s.
  auto it =
      std::partition_point(busy_.begin(), busy_.end(), [s](const Slot& b) { return b.end_s <= s; });
  for (; it != busy_.end(); ++it) {
    const double end = std::max(s + duration_s, min_end_s);
    if (end <= it->start_s) return Slot{s, end};
    s = std::max(s, it->end_s);
  }
  return Slot{s, std::max(s + duration_s, min_end_s)};
}

LinkCalendar::Slot LinkCalendar::reserve(double earliest_s, double duration_s, double min_end_s) {
  const Slot slot = find(earliest_s, duration_s, min_end_s);
  if (!(slot.end_s > slot.start_s)) return slot;
  // First interval starting after the slot; the one before it (if any) ends at or before it.
  auto next = std::upper_bound(busy_.begin(), busy_.end(), slot.start_s,
                               [](double t, const Slot& b) { return t < b.start_s; });
  const bool join_prev = next != busy_.begin() && std::prev(next)->end_s == slot.start_s;
  const bool join_next = next != busy_.end() && next->start_s == slot.end_s;
  if (join_prev && join_next) {
    std::prev(next)->end_s = next->end_s;
    busy_.erase(next);
  } else if (join_prev) {
    std::prev(next)->end_s = slot.end_s;
  } else if (join_next) {
    next->start_s = slot.start_s;
  } else {
    busy_.insert(next, slot);
  }
  return slot;
}

void LinkCalendar::prune_before(double t_s) {
  auto it = std::partition_point(busy_.begin(), busy_.end(),
                                 [t_s](const Slot& b) { return b.end_s <= t_s; });
  busy_.erase(busy_.begin(), it);
}

double LinkCalendar::busy_until_s() const {
  return busy_.empty() ? -std::numeric_limits<double>::infinity() : busy_.back().end_s;
}

}  // namespace pipesim::network
