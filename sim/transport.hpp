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
// Upload / download rates are per node (bytes/s; e.g. from node classes or SimBlock's regions).
// Bytes are counted per node (sent / received) for the summary.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

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

  /// Busy-until times (s) of every node's uplink / downlink, for dissemination models that
  /// reserve the same links (network::LinkState).
  std::vector<double>& uplink_free_s() { return uplink_free_s_; }
  std::vector<double>& downlink_free_s() { return downlink_free_s_; }

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
  LatencyFn latency_s_;
  SampleFn sample_s_;
  double jitter_max_s_;
  std::vector<double> upload_Bps_;
  std::vector<double> download_Bps_;
  std::mt19937_64 rng_;
  std::vector<double> uplink_free_s_;
  std::vector<double> downlink_free_s_;
  std::vector<std::uint64_t> bytes_sent_;
  std::vector<std::uint64_t> bytes_received_;
  std::uint64_t messages_ = 0;
};

}  // namespace pipesim::sim
