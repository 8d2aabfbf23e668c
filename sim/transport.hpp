// Transport: when does a message of S bytes sent from a to b arrive?
//
// Model (pure arithmetic, no SimGrid; see docs/architecture.md for why and its measured error
// against SimGrid's flow model):
//   start   = max(depart, uplink_free[a]);  uplink_free[a] = start + S / upload_Bps
//   latency = one_way(a, b) + jitter ~ U[0, jitter_max]
//   arrival = max(uplink_free[a] + latency, max(start + latency, downlink_free[b]) + S /
//   download_Bps) downlink_free[b] = arrival
// i.e. the bytes stream through both access links (the slower one bounds the transfer), the
// uplink sends one message at a time in send order and the downlink receives one at a time.
// A configured 50 ms one-way latency with a 0-byte message arrives exactly 50 ms later.
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

  /// `latency_s(a, b)`: base one-way latency in seconds. `jitter_max_s` >= 0. Bandwidths in
  /// bytes per second (> 0); `seed` seeds the jitter stream.
  Transport(std::uint32_t nodes, LatencyFn latency_s, double jitter_max_s, double upload_Bps,
            double download_Bps, std::uint64_t seed);

  /// Reserves the links for one message and returns its arrival time (s).
  double schedule(std::uint32_t from, std::uint32_t to, std::uint64_t size_bytes, double depart_s);

  std::uint64_t bytes_sent(std::uint32_t node) const { return bytes_sent_[node]; }
  std::uint64_t bytes_received(std::uint32_t node) const { return bytes_received_[node]; }
  std::uint64_t messages() const { return messages_; }
  /// Counts bytes a node sends outside the link model (e.g. analytically modelled gossip).
  void count_sent(std::uint32_t node, std::uint64_t bytes) { bytes_sent_[node] += bytes; }
  void count_received(std::uint32_t node, std::uint64_t bytes) { bytes_received_[node] += bytes; }
  double base_latency_s(std::uint32_t from, std::uint32_t to) const { return latency_s_(from, to); }

 private:
  LatencyFn latency_s_;
  double jitter_max_s_;
  double upload_Bps_;
  double download_Bps_;
  std::mt19937_64 rng_;
  std::vector<double> uplink_free_s_;
  std::vector<double> downlink_free_s_;
  std::vector<std::uint64_t> bytes_sent_;
  std::vector<std::uint64_t> bytes_received_;
  std::uint64_t messages_ = 0;
};

}  // namespace pipesim::sim
