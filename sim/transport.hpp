// Transport: when does a message of S bytes sent from a to b arrive?
//
// Model (pure arithmetic, no SimGrid; see docs/architecture.md for why and its measured error
// against SimGrid's flow model):
//   start   = max(depart, uplink_free[a]);  uplink_free[a] = start + S / upload_Bps
//   latency = one_way(a, b) + jitter ~ U[0, jitter_max]   (or sample(a, b, rng) when a sampler
//             is set: the latency model's own normal / Pareto draw, see set_sampler)
//   arrival = max(uplink_free[a] + latency, max(start + latency, downlink_free[b]) + S /
//   download_Bps) downlink_free[b] = arrival
// i.e. the bytes stream through both access links (the slower one bounds the transfer), the
// uplink sends one message at a time in send order and the downlink receives one at a time.
// A configured 50 ms one-way latency with a 0-byte message arrives exactly 50 ms later.
// With set_shared_calendars(true) (pipesim turns it on when gossip broadcasts share the links,
// network.dissemination.shared_links) each link is a calendar of busy intervals
// (network::LinkCalendar) instead of one busy-until time: the same rule, but a message takes the
// earliest gap of its length at or after `depart` on the uplink (start .. uplink finish) and at
// or after start + latency on the downlink (held until the arrival), so it may use idle time
// before reservations made earlier for later times (a flood's relays).
// Upload / download rates are per node (bytes/s; e.g. from node classes or SimBlock's regions).
// Bytes are counted per node (sent / received) for the summary.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "models/network/link_calendar.hpp"

namespace pipesim::sim {

class Transport {
 public:
  using LatencyFn = std::function<double(std::uint32_t from, std::uint32_t to)>;
  /// One message's whole one-way latency in seconds, drawn from `rng` (the Transport's seeded
  /// stream), e.g. LatencyModel::sample_latency_s.
  using SampleFn =
      std::function<double(std::uint32_t from, std::uint32_t to, std::mt19937_64& rng)>;

  /// `latency_s(a, b)`: base one-way latency in seconds. `jitter_max_s` >= 0. Bandwidths in
  /// bytes per second (> 0), the same for every node; `seed` seeds the jitter stream.
  /// Throws std::invalid_argument for a non-positive bandwidth or a negative jitter.
  Transport(std::uint32_t nodes, LatencyFn latency_s, double jitter_max_s, double upload_Bps,
            double download_Bps, std::uint64_t seed);
  /// Per-node rates: `upload_Bps[v]`, `download_Bps[v]` in bytes/s (> 0), one per node.
  /// Throws std::invalid_argument for a size mismatch or a non-positive rate.
  Transport(std::uint32_t nodes, LatencyFn latency_s, double jitter_max_s,
            std::vector<double> upload_Bps, std::vector<double> download_Bps, std::uint64_t seed);

  // links() views the Transport's own calendars.
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Draws every message's latency with `sample` instead of latency_s + U[0, jitter_max]
  /// (empty: back to that). base_latency_s still answers latency_s.
  void set_sampler(SampleFn sample) { sample_s_ = std::move(sample); }
  double upload_Bps(std::uint32_t node) const { return upload_Bps_[node]; }
  double download_Bps(std::uint32_t node) const { return download_Bps_[node]; }

  /// One message's one-way latency (s) drawn as schedule() draws it (sampler, or base + uniform
  /// jitter), without reserving links: for link models outside the Transport (the flow model).
  double sample_latency_s(std::uint32_t from, std::uint32_t to);

  /// Reserves the links for one message and returns its arrival time (s).
  double schedule(std::uint32_t from, std::uint32_t to, std::uint64_t size_bytes, double depart_s);

  /// Off (default): one busy-until time per link. On: per-link calendars of busy intervals
  /// (see the file comment), which links() shares with dissemination models. Call before the
  /// first schedule().
  void set_shared_calendars(bool on) { calendars_ = on; }
  bool shared_calendars() const { return calendars_; }
  /// The current simulated time (s): calendar reservations that end by then are dropped when a
  /// link is next used. Every later message must depart at or after it.
  void set_now(double now_s) { links_.prune_before_s = now_s; }
  /// Every node's uplink / downlink calendar (absolute seconds), for dissemination models that
  /// reserve the same links (network::simulate_gossip's params.links). Used by schedule() only
  /// with set_shared_calendars(true).
  network::LinkState& links() { return links_; }

  std::uint64_t bytes_sent(std::uint32_t node) const { return bytes_sent_[node]; }
  std::uint64_t bytes_received(std::uint32_t node) const { return bytes_received_[node]; }
  std::uint64_t messages() const { return messages_; }
  /// Counts bytes a node sends outside the link model (e.g. analytically modelled gossip).
  void count_sent(std::uint32_t node, std::uint64_t bytes) { bytes_sent_[node] += bytes; }
  void count_received(std::uint32_t node, std::uint64_t bytes) { bytes_received_[node] += bytes; }
  /// Counts messages sent outside the link model (e.g. by a gossip computation).
  void count_messages(std::uint64_t messages) { messages_ += messages; }
  double base_latency_s(std::uint32_t from, std::uint32_t to) const { return latency_s_(from, to); }

 private:
  double schedule_on_calendars(std::uint32_t from, std::uint32_t to, std::uint64_t size_bytes,
                               double depart_s);
  LatencyFn latency_s_;
  SampleFn sample_s_;
  double jitter_max_s_;
  std::vector<double> upload_Bps_;
  std::vector<double> download_Bps_;
  std::mt19937_64 rng_;
  std::vector<double> uplink_free_s_;
  std::vector<double> downlink_free_s_;
  bool calendars_ = false;
  std::vector<network::LinkCalendar> uplink_calendar_;
  std::vector<network::LinkCalendar> downlink_calendar_;
  network::LinkState links_;  // views of the two calendars
  std::vector<std::uint64_t> bytes_sent_;
  std::vector<std::uint64_t> bytes_received_;
  std::uint64_t messages_ = 0;
};

}  // namespace pipesim::sim
