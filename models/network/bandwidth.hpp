// Per-node access bandwidth: upload and download link rates.
//
// Units: scenario values are megabits per second, Mbit/s = 1e6 bit/s (decimal, as ISPs and cloud
// providers quote link rates; not MiB). The simulator works in bytes per second:
// bytes/s = Mbit/s * 1e6 / 8. Example: 1000 Mbit/s (1 Gbit/s) = 125,000,000 bytes/s.
// Pure C++ (no SimGrid): the runtime turns these into SimGrid link bandwidths.
#pragma once

#include <cstdint>
#include <vector>

namespace pipesim::network {

using NodeId = std::uint32_t;

/// Bits per megabit (decimal).
inline constexpr double kBitsPerMbit = 1e6;

/// Mbit/s -> bytes/s (x 1e6 / 8).
constexpr double mbps_to_bytes_per_s(double mbps) noexcept {
  return mbps * kBitsPerMbit / 8.0;
}
/// bytes/s -> Mbit/s (x 8 / 1e6).
constexpr double bytes_per_s_to_mbps(double bytes_per_s) noexcept {
  return bytes_per_s * 8.0 / kBitsPerMbit;
}

/// One node's access link rates in Mbit/s (scenario `network.bandwidth`).
struct BandwidthParams {
  double upload_mbps = 1000.0;    // finite, > 0
  double download_mbps = 1000.0;  // finite, > 0
};

/// Throws std::invalid_argument naming the field and value unless both rates are finite and > 0.
void validate(const BandwidthParams& p);

/// Access bandwidth of every node: all nodes share `defaults` unless set_node() overrides one
/// (e.g. a "constrained" class of validators). Queries are O(1).
class BandwidthModel {
 public:
  /// Throws std::invalid_argument for nodes == 0 or invalid defaults.
  BandwidthModel(std::uint32_t nodes, const BandwidthParams& defaults);

  /// Overrides one node's rates. Throws std::out_of_range / std::invalid_argument.
  void set_node(NodeId node, const BandwidthParams& p);

  std::uint32_t node_count() const { return static_cast<std::uint32_t>(up_.size()); }
  /// Upload (sending) rate of `node` in bytes/s. Throws std::out_of_range.
  double upload_bytes_per_s(NodeId node) const;
  /// Download (receiving) rate of `node` in bytes/s. Throws std::out_of_range.
  double download_bytes_per_s(NodeId node) const;

  /// Seconds to move `bytes` from `from` to `to` when the transfer has both access links to
  /// itself: bytes / min(upload(from), download(to)). A lower bound ignoring sharing between
  /// concurrent transfers (SimGrid's flow model does the sharing) and latency.
  double transfer_time_s(std::uint64_t bytes, NodeId from, NodeId to) const;

 private:
  void check(NodeId node) const;
  std::vector<double> up_;    // bytes/s per node
  std::vector<double> down_;  // bytes/s per node
};

}  // namespace pipesim::network
