// Gossip dissemination of one message over a topology: a pure, deterministic discrete-event
// computation (binary heap of message arrivals), for block propagation.
//
// Model (all modes). The source holds the message at t = 0 and starts sending at once; every other
// node, on the FIRST arrival of the full message at time t, validates it for processing_delay_s
// and starts forwarding at t + processing_delay_s (later copies are duplicates: counted,
// dropped). Every message a node sends occupies its uplink for bytes / upload_bytes_per_s(node):
// sends are serialised in the order issued (a node's uplink is a FIFO; uplink_free tracks it),
// and a message sent from u to w arrives
//     finish_of_transmission + latency(u, w)
// with latency = LatencyModel::base_latency_s (or sample_latency_s with `jitter`). The receiver's
// downlink, TCP dynamics and loss are not modelled. Neighbours are served in ascending id order.
//
// Modes:
//   - flood:     on first receipt, send the full message to every neighbour except the one it
//                came from (the source: to all), once — flooding with duplicate suppression.
//   - push:      send the full message to `fanout` neighbours (not the sender) chosen uniformly
//                at random (per-node splitmix64 stream derived from `seed` and the node id); fewer
//                if it has fewer. May not reach every node: then reached < n and the percentiles
//                beyond it are +inf.
//   - push_pull: push the full message to `fanout` random neighbours (0 allowed), then send an
//                announcement (announce_bytes, a hash) to each remaining neighbour except the
//                sender; a node that gets an announcement of a message it neither has nor has
//                requested sends a request (announce_bytes) back at once, and the announcer
//                answers with the full message (queued on its uplink; no processing delay for
//                requests). This is Ethereum devp2p's block propagation (NewBlock to a subset of
//                peers, NewBlockHashes to the rest, then GetBlock), reaches every node of a
//                connected graph, and trades a request round trip for fewer full copies.
// Cost: O((n + m) log m) time, O(n + m) memory for n nodes and m edges.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/network/bandwidth.hpp"
#include "models/network/latency_model.hpp"
#include "models/network/topology.hpp"

namespace pipesim::network {

enum class GossipMode { kFlood, kPush, kPushPull };

/// "flood" | "push" | "push_pull".
std::string_view to_string(GossipMode mode);
/// Inverse of to_string; std::invalid_argument listing the valid names.
GossipMode gossip_mode_from_string(std::string_view name);

struct GossipParams {
  GossipMode mode = GossipMode::kFlood;
  std::uint64_t message_bytes = 1'000'000;  // full message (block) size, bytes, >= 1
  double processing_delay_s = 0.0;          // per hop, before forwarding, seconds, >= 0
  std::uint32_t fanout = 8;                 // push (>= 1) / push_pull (>= 0)
  std::uint64_t announce_bytes = 40;        // push_pull: announcement and request size, bytes
  bool jitter = false;                      // draw latencies with sample_latency_s
  std::uint64_t seed = 1;                   // fan-out choices and jitter
  /// Optional, one entry per node (or empty): nodes with a non-zero entry are down (crashed):
  /// messages to them are sent (bytes counted at the sender) but they neither receive nor
  /// forward. The source must be up. Not owned: must outlive the simulate_gossip call.
  std::span<const std::uint8_t> down;
};

inline constexpr double kNever = std::numeric_limits<double>::infinity();

struct GossipResult {
  std::vector<double> receive_time_s;  // per node: first full arrival, seconds (source 0; never:
                                       // kNever)
  std::vector<NodeId> parent;          // who delivered that copy (source: itself)
  std::uint32_t reached = 0;           // nodes with the message, source included
  double t50_s = kNever;               // time by which >= 50 % of the n nodes have it
  double t90_s = kNever;
  double t100_s = kNever;
  std::uint64_t messages = 0;             // every message sent (full + announcements + requests)
  std::uint64_t bytes = 0;                // their bytes
  std::uint64_t full_copies = 0;          // full messages sent
  std::uint64_t duplicate_copies = 0;     // full messages that arrived at a node that had it
  std::vector<std::uint64_t> bytes_sent;  // per node: bytes it sent (full + announce + request)
  std::vector<std::uint64_t> bytes_received;  // per node: bytes that arrived at it (duplicates too;
                                              // not at down nodes)
};

/// For summary.json: {"mode", "reached", "t50_s", "t90_s", "t100_s", "messages", "bytes",
/// "full_copies", "duplicate_copies"}; a time that was never reached is JSON null.
nlohmann::json to_json(const GossipResult& r, GossipMode mode);

/// Time by which a fraction q in (0, 1] of all nodes has received: the ceil(q * n)-th smallest
/// receive time (kNever if fewer nodes were reached). Throws std::invalid_argument for q out of
/// range or no nodes.
double time_to_fraction(std::span<const double> receive_time_s, double q);

/// Disseminates one message from `source`. latency and bandwidth must cover the topology's
/// nodes. Throws std::invalid_argument (bad parameters, node count mismatch) or
/// std::out_of_range (source).
GossipResult simulate_gossip(const Topology& topology, const LatencyModel& latency,
                             const BandwidthModel& bandwidth, NodeId source,
                             const GossipParams& params);

}  // namespace pipesim::network
