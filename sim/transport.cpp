#include "sim/transport.hpp"

#include <algorithm>
#include <stdexcept>

namespace pipesim::sim {

Transport::Transport(std::uint32_t nodes, LatencyFn latency_s, double jitter_max_s,
                     double upload_Bps, double download_Bps, std::uint64_t seed)
    : latency_s_(std::move(latency_s)),
      jitter_max_s_(jitter_max_s),
      upload_Bps_(upload_Bps),
      download_Bps_(download_Bps),
      rng_(seed),
      uplink_free_s_(nodes, 0.0),
      downlink_free_s_(nodes, 0.0),
      bytes_sent_(nodes, 0),
      bytes_received_(nodes, 0) {
  if (!(upload_Bps > 0 && download_Bps > 0)) {
    throw std::invalid_argument("transport: bandwidths must be > 0 bytes/s");
  }
  if (jitter_max_s < 0) throw std::invalid_argument("transport: jitter must be >= 0 s");
}

double Transport::schedule(std::uint32_t from, std::uint32_t to, std::uint64_t size_bytes,
                           double depart_s) {
  const double bytes = static_cast<double>(size_bytes);
  double& up = uplink_free_s_[from];
  const double start = std::max(up, depart_s);
  up = start + bytes / upload_Bps_;
  double latency = latency_s_(from, to);
  if (jitter_max_s_ > 0) {
    latency += std::uniform_real_distribution<double>(0.0, jitter_max_s_)(rng_);
  }
  // The bytes stream through both access links: the last byte arrives when the slower of the
  // two has carried all of them, and the downlink serves one message at a time.
  double& down = downlink_free_s_[to];
  const double down_start = std::max(start + latency, down);
  const double arrival = std::max(up + latency, down_start + bytes / download_Bps_);
  if (size_bytes > 0) down = arrival;
  bytes_sent_[from] += size_bytes;
  bytes_received_[to] += size_bytes;
  ++messages_;
  return arrival;
}

}  // namespace pipesim::sim
