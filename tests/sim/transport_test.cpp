// Transport arithmetic (pure, no SimGrid): latency, bandwidth and link serialisation.
#include <doctest/doctest.h>

#include <random>
#include <stdexcept>

#include "sim/transport.hpp"

using pipesim::sim::Transport;

namespace {
Transport make(double latency_s, double up_Bps, double down_Bps, double jitter_s = 0.0) {
  return Transport(
      4, [latency_s](std::uint32_t, std::uint32_t) { return latency_s; }, jitter_s, up_Bps,
      down_Bps, 42);
}
}  // namespace

TEST_CASE("a configured 50 ms one-way latency is delivered in 50 ms") {
  Transport t = make(0.050, 1e9, 1e9);
  CHECK(t.schedule(0, 1, 0, 1.0) == doctest::Approx(1.050).epsilon(1e-12));
}

TEST_CASE("bandwidth term: S / min(upload, download) after the latency") {
  // 1 MB over 1 MB/s up and 2 MB/s down: the uplink bounds the transfer at 1 s.
  Transport t = make(0.050, 1e6, 2e6);
  CHECK(t.schedule(0, 1, 1'000'000, 0.0) == doctest::Approx(1.050));
  // The downlink is the bottleneck the other way round.
  Transport u = make(0.050, 4e6, 1e6);
  CHECK(u.schedule(0, 1, 1'000'000, 0.0) == doctest::Approx(1.050));
}

TEST_CASE("the uplink sends one message at a time (broadcast queues)") {
  Transport t = make(0.010, 1e6, 1e9);
  const double a = t.schedule(0, 1, 100'000, 0.0);
  const double b = t.schedule(0, 2, 100'000, 0.0);
  const double c = t.schedule(0, 3, 100'000, 0.0);
  CHECK(a == doctest::Approx(0.110));
  CHECK(b == doctest::Approx(0.210));
  CHECK(c == doctest::Approx(0.310));
  CHECK(t.bytes_sent(0) == 300'000);
  CHECK(t.bytes_received(2) == 100'000);
  CHECK(t.messages() == 3);
}

TEST_CASE("the downlink receives one message at a time") {
  Transport t = make(0.010, 1e9, 1e6);
  const double a = t.schedule(1, 0, 100'000, 0.0);
  const double b = t.schedule(2, 0, 100'000, 0.0);
  CHECK(a == doctest::Approx(0.110).epsilon(1e-3));
  CHECK(b == doctest::Approx(0.210).epsilon(1e-3));
}

TEST_CASE("jitter is bounded and seeded") {
  Transport t1 = make(0.050, 1e9, 1e9, 0.010);
  Transport t2 = make(0.050, 1e9, 1e9, 0.010);
  bool varied = false;
  double first = -1;
  for (int k = 0; k < 100; ++k) {
    const double a = t1.schedule(0, 1, 0, 0.0);
    CHECK(a >= 0.050);
    CHECK(a <= 0.060);
    CHECK(a == t2.schedule(0, 1, 0, 0.0));
    if (first >= 0 && a != first) varied = true;
    first = a;
  }
  CHECK(varied);
}

TEST_CASE("per-node rates: each sender's uplink and each receiver's downlink") {
  // Node 0 uploads at 1 MB/s, node 1 at 4 MB/s; node 2 downloads at 0.5 MB/s.
  Transport t(
      3, [](std::uint32_t, std::uint32_t) { return 0.010; }, 0.0, {1e6, 4e6, 1e9},
      {1e9, 1e9, 0.5e6}, 42);
  CHECK(t.schedule(0, 1, 1'000'000, 0.0) == doctest::Approx(1.010));  // uplink of 0
  CHECK(t.schedule(1, 0, 1'000'000, 0.0) == doctest::Approx(0.260));  // uplink of 1
  CHECK(t.schedule(1, 2, 1'000'000, 1.0) == doctest::Approx(3.010));  // downlink of 2
  CHECK(t.upload_Bps(1) == 4e6);
  CHECK_THROWS_AS(
      Transport(
          2, [](std::uint32_t, std::uint32_t) { return 0.0; }, 0.0, {1e6}, {1e6, 1e6}, 1),
      std::invalid_argument);
}

TEST_CASE("a sampler replaces latency + uniform jitter and draws from the seeded stream") {
  Transport t = make(0.050, 1e9, 1e9, 0.010);
  t.set_sampler([](std::uint32_t, std::uint32_t, std::mt19937_64& rng) {
    return 0.100 + static_cast<double>(rng() % 1000) * 1e-6;
  });
  Transport u = make(0.050, 1e9, 1e9, 0.010);
  u.set_sampler([](std::uint32_t, std::uint32_t, std::mt19937_64& rng) {
    return 0.100 + static_cast<double>(rng() % 1000) * 1e-6;
  });
  for (int k = 0; k < 20; ++k) {
    const double a = t.schedule(0, 1, 0, 0.0);
    CHECK(a >= 0.100);
    CHECK(a < 0.101);
    CHECK(a == u.schedule(0, 1, 0, 0.0));
  }
  CHECK(t.base_latency_s(0, 1) == 0.050);
}

TEST_CASE("shared calendars: a message uses the idle link before a later reservation") {
  // 100 kB at 1 MB/s = 0.1 s per message, 10 ms latency, fast downlinks.
  Transport t = make(0.010, 1e6, 1e9);
  t.set_shared_calendars(true);
  t.set_now(0.0);
  CHECK(t.schedule(0, 1, 100'000, 1.0) == doctest::Approx(1.110));   // reserved for [1.0, 1.1)
  CHECK(t.schedule(0, 2, 100'000, 0.0) == doctest::Approx(0.110));   // fits before it
  CHECK(t.schedule(0, 3, 100'000, 0.95) == doctest::Approx(1.210));  // does not: after it
  // One busy-until time per link (the default) queues every message behind the last one.
  Transport u = make(0.010, 1e6, 1e9);
  CHECK(u.schedule(0, 1, 100'000, 1.0) == doctest::Approx(1.110));
  CHECK(u.schedule(0, 2, 100'000, 0.0) == doctest::Approx(1.210));
  // The downlink: held from the first byte until the arrival, gaps used the same way.
  Transport d = make(0.010, 1e6, 1e6);
  d.set_shared_calendars(true);
  CHECK(d.schedule(1, 0, 100'000, 1.0) == doctest::Approx(1.110));   // 0's downlink [1.01, 1.11)
  CHECK(d.schedule(2, 0, 100'000, 0.0) == doctest::Approx(0.110));   // [0.01, 0.11)
  CHECK(d.schedule(3, 0, 100'000, 0.95) == doctest::Approx(1.210));  // [1.11, 1.21)
  // Pruned reservations (ended before now) change nothing later.
  d.set_now(2.0);
  CHECK(d.schedule(1, 0, 100'000, 2.0) == doctest::Approx(2.110));
  CHECK(d.links().downlink[0].size() == 1);
}
