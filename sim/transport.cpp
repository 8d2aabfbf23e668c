#include "sim/transport.hpp"

#include <algorithm>
#include <stdexcept>

#include "models/common/random.hpp"

namespace pipesim::sim {

Transport::Transport(std::uint32_t nodes, LatencyFn latency_s, double jitter_max_s,
                     double upload_Bps, double download_Bps, std::uint64_t seed)
    : Transport(nodes, std::move(latency_s), jitter_max_s, std::vector<double>(nodes, upload_Bps),
                std::vector<double>(nodes, download_Bps), seed) {}

Transport::Transport(std::uint32_t nodes, LatencyFn latency_s, double jitter_max_s,
                     std::vector<double> upload_Bps, std::vector<double> download_Bps,
                     std::uint64_t seed)
    : latency_s_(std::move(latency_s)),
      jitter_max_s_(jitter_max_s),
      upload_Bps_(std::move(upload_Bps)),
      download_Bps_(std::move(download_Bps)),
      rng_(seed),
      uplink_free_s_(nodes, 0.0),
      downlink_free_s_(nodes, 0.0),
      uplink_calendar_(nodes),
      downlink_calendar_(nodes),
      bytes_sent_(nodes, 0),
      bytes_received_(nodes, 0) {
  links_.uplink = uplink_calendar_;
  links_.downlink = downlink_calendar_;
  if (upload_Bps_.size() != nodes || download_Bps_.size() != nodes) {
    throw std::invalid_argument("transport: one upload and one download rate per node expected");
  }
  for (std::uint32_t v = 0; v < nodes; ++v) {
    if (!(upload_Bps_[v] > 0 && download_Bps_[v] > 0)) {
      throw std::invalid_argument("transport: bandwidths must be > 0 bytes/s");
    }
  }
  if (jitter_max_s < 0) throw std::invalid_argument("transport: jitter must be >= 0 s");
}

double Transport::sample_latency_s(std::uint32_t from, std::uint32_t to) {
  if (sample_s_) return sample_s_(from, to, rng_);
  double latency = latency_s_(from, to);
  if (jitter_max_s_ > 0) latency += uniform_real(rng_, 0.0, jitter_max_s_);
  return latency;
}

double Transport::schedule(std::uint32_t from, std::uint32_t to, std::uint64_t size_bytes,
                           double depart_s) {
  const double bytes = static_cast<double>(size_bytes);
  if (calendars_) return schedule_on_calendars(from, to, size_bytes, depart_s);
  double& up = uplink_free_s_[from];
  const double start = std::max(up, depart_s);
  up = start + bytes / upload_Bps_[from];
  double latency = 0.0;
  if (sample_s_) {
    latency = sample_s_(from, to, rng_);
  } else {
    latency = latency_s_(from, to);
    if (jitter_max_s_ > 0) {
      latency += uniform_real(rng_, 0.0, jitter_max_s_);
    }
  }
  // The bytes stream through both access links: the last byte arrives when the slower of the
  // two has carried all of them, and the downlink serves one message at a time.
  double& down = downlink_free_s_[to];
  const double down_start = std::max(start + latency, down);
  const double arrival = std::max(up + latency, down_start + bytes / download_Bps_[to]);
  if (size_bytes > 0) down = arrival;
  bytes_sent_[from] += size_bytes;
  bytes_received_[to] += size_bytes;
  ++messages_;
  return arrival;
}

double Transport::schedule_on_calendars(std::uint32_t from, std::uint32_t to,
                                        std::uint64_t size_bytes, double depart_s) {
  const double bytes = static_cast<double>(size_bytes);
  network::LinkCalendar& up = uplink_calendar_[from];
  network::LinkCalendar& down = downlink_calendar_[to];
  up.prune_before(links_.prune_before_s);
  down.prune_before(links_.prune_before_s);
  const network::LinkCalendar::Slot u = up.reserve(depart_s, bytes / upload_Bps_[from]);
  const double latency = sample_latency_s(from, to);
  // The downlink slot starts with the first byte and lasts until the arrival (the slower of
  // the two links carries all bytes), as in the busy-until rule.
  const double arrival =
      down.reserve(u.start_s + latency, bytes / download_Bps_[to], u.end_s + latency).end_s;
  bytes_sent_[from] += size_bytes;
  bytes_received_[to] += size_bytes;
  ++messages_;
  return arrival;
}

}  // namespace pipesim::sim
