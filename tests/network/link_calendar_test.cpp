// LinkCalendar: earliest-gap reservations on one link.
#include <doctest/doctest.h>

#include <limits>

#include "models/network/link_calendar.hpp"

using pipesim::network::LinkCalendar;

TEST_CASE("link calendar: an empty link starts at once") {
  LinkCalendar c;
  CHECK(c.busy_until_s() == -std::numeric_limits<double>::infinity());
  const LinkCalendar::Slot s = c.reserve(2.0, 0.5);
  CHECK(s.start_s == 2.0);
  CHECK(s.end_s == 2.5);
  CHECK(c.size() == 1);
  CHECK(c.busy_until_s() == 2.5);
}

TEST_CASE("link calendar: a gap before a future reservation is used") {
  LinkCalendar c;
  c.reserve(10.0, 1.0);  // [10, 11): reserved first, for later
  const LinkCalendar::Slot s = c.reserve(1.0, 2.0);
  CHECK(s.start_s == 1.0);  // not after 11
  CHECK(s.end_s == 3.0);
  REQUIRE(c.size() == 2);
  CHECK(c.intervals()[0].start_s == 1.0);
  CHECK(c.intervals()[1].start_s == 10.0);
}

TEST_CASE("link calendar: back-to-back reservations queue and merge") {
  LinkCalendar c;
  CHECK(c.reserve(0.0, 1.0).start_s == 0.0);
  CHECK(c.reserve(0.0, 1.0).start_s == 1.0);
  CHECK(c.reserve(0.5, 1.0).start_s == 2.0);
  REQUIRE(c.size() == 1);  // [0, 3)
  CHECK(c.intervals()[0].end_s == 3.0);
  // Filling a gap exactly joins both neighbours.
  c.reserve(4.0, 1.0);  // [4, 5)
  CHECK(c.size() == 2);
  CHECK(c.reserve(0.0, 1.0).start_s == 3.0);
  REQUIRE(c.size() == 1);
  CHECK(c.intervals()[0].end_s == 5.0);
}

TEST_CASE("link calendar: a transmission longer than a gap goes after it") {
  LinkCalendar c;
  c.reserve(0.0, 1.0);                        // [0, 1)
  c.reserve(2.0, 1.0);                        // [2, 3)
  c.reserve(5.0, 1.0);                        // [5, 6)
  CHECK(c.reserve(0.0, 1.5).start_s == 3.0);  // [1, 2) too short; [3, 5) holds it
  CHECK(c.reserve(0.0, 1.0).start_s == 1.0);  // fits [1, 2) exactly
  CHECK(c.reserve(0.0, 0.6).start_s == 6.0);  // [4.5, 5) too short
  // min_end_s: the slot lasts at least until then (a downlink held until the uplink is done).
  LinkCalendar d;
  d.reserve(3.0, 1.0);  // [3, 4)
  const LinkCalendar::Slot s = d.reserve(0.0, 0.5, 3.5);
  CHECK(s.start_s == 4.0);  // [0, 3.5) would overlap [3, 4)
  CHECK(s.end_s == 4.5);
  const LinkCalendar::Slot t = d.reserve(0.0, 0.5, 2.0);
  CHECK(t.start_s == 0.0);
  CHECK(t.end_s == 2.0);
}

TEST_CASE("link calendar: zero-length transmissions occupy nothing") {
  LinkCalendar c;
  c.reserve(1.0, 1.0);                        // [1, 2)
  CHECK(c.reserve(1.5, 0.0).start_s == 2.0);  // inside a reservation: after it
  CHECK(c.reserve(0.5, 0.0).start_s == 0.5);
  CHECK(c.size() == 1);
}

TEST_CASE("link calendar: pruning forgets what ended and changes no later answer") {
  LinkCalendar c, kept;
  for (LinkCalendar* x : {&c, &kept}) {
    x->reserve(0.0, 1.0);  // [0, 1)
    x->reserve(2.0, 1.0);  // [2, 3)
    x->reserve(4.0, 1.0);  // [4, 5)
  }
  c.prune_before(3.0);  // [2, 3) ends at 3: gone too
  REQUIRE(c.size() == 1);
  CHECK(c.intervals()[0].start_s == 4.0);
  for (double t : {3.0, 3.5, 4.5}) {
    CHECK(c.find(t, 0.5).start_s == kept.find(t, 0.5).start_s);
    CHECK(c.find(t, 2.0).start_s == kept.find(t, 2.0).start_s);
  }
  c.prune_before(10.0);
  CHECK(c.size() == 0);
  CHECK(c.reserve(10.0, 1.0).start_s == 10.0);
}
