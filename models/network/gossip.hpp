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
//   - inv_getdata: Bitcoin's legacy block relay: on first receipt a node announces the block
//                (inv, announce_bytes) to every neighbour except the sender; a node that has
//                neither the block nor an outstanding request answers with getdata
//                (announce_bytes) and the announcer sends the full block. (= push_pull with
//                fanout 0.)
//   - compact:   BIP-152 compact block relay (see CompactRelayParams): the full block is
//                replaced by a sketch (header + short transaction ids, sketch_bytes) that the
//                receiver reconstructs from its mempool; with probability miss_rate of the
//                receiver it lacks transactions and fetches them with a round trip
//                (getblocktxn, announce_bytes; blocktxn, missing_fraction x message_bytes), and
//                it has the block when that answer arrives. Low-bandwidth peers (BIP-152
//                low-bandwidth mode): inv -> getdata -> sketch. High-bandwidth peers: each node
//                picks `high_bandwidth_peers` of its neighbours (BIP-152 allows 3) that push the
//                sketch to it unannounced as soon as they have the block (before validation:
//                processing_delay_s is not waited). A pair where either end does not use
//                compact relay (uses_compact) falls back to inv/getdata/full block.
//   - header_first: push for BFT proposals: on first receipt a node sends the header
//                (announce_bytes) to every neighbour except the sender, then the full proposal
//                to each of them, all on its FIFO uplink (headers first). The receive time is
//                the full proposal's; header_time_s records each node's first header arrival.
// Links: every message a node sends occupies its uplink (FIFO in issue order) and then the
// receiver's downlink: arrival = max(uplink_finish + latency, max(start + latency,
// downlink_free[to]) + bytes / download_bytes_per_s(to)) (the Transport's rule,
// sim/transport.hpp), downlink_free[to] = arrival; without params.links every broadcast starts
// on idle links and each link is a busy-until time of its own. With params.links the links are
// the shared calendars of busy intervals there (LinkCalendar; absolute seconds, params.start_s =
// this broadcast's t = 0), so successive broadcasts and other traffic compete for the same
// links: a message takes its sender's earliest uplink gap of bytes / upload_bytes_per_s(from)
// at or after its departure (start .. finish), then the receiver's earliest downlink gap at or
// after start + latency that holds it until max(finish + latency, gap start + bytes /
// download_bytes_per_s(to)) = its arrival (the same rule, gap-filling instead of FIFO). So a
// message may use a link's idle time before reservations made earlier for later times (an
// earlier flood's relays a few hops ahead). With hold_uplink_until_arrival the uplink gap must
// last until the arrival.
// Cost: O((n + m) log m) time, O(n + m) memory for n nodes and m edges.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/network/bandwidth.hpp"
#include "models/network/latency_model.hpp"
#include "models/network/link_calendar.hpp"
#include "models/network/topology.hpp"

namespace pipesim::network {

enum class GossipMode { kFlood, kPush, kPushPull, kInvGetdata, kCompact, kHeaderFirst };

/// "flood" | "push" | "push_pull" | "inv_getdata" | "compact" | "header_first".
std::string_view to_string(GossipMode mode);
/// Inverse of to_string; std::invalid_argument listing the valid names.
GossipMode gossip_mode_from_string(std::string_view name);

/// BIP-152 compact block relay (GossipMode::kCompact). Defaults are SimBlock's
/// (dsg-titech/simblock SimulationConfiguration.java, main branch commit 5fc7f9f):
/// COMPACT_BLOCK_SIZE 18 kB, CBR_FAILURE_RATE_FOR_CONTROL_NODE 0.13.
struct CompactRelayParams {
  std::uint64_t sketch_bytes = 18'000;     // cmpctblock message, bytes, >= 1
  std::uint32_t high_bandwidth_peers = 0;  // per node (BIP-152: <= 3; SimBlock: 0)
  double miss_rate = 0.13;                 // P(reconstruction misses), nodes without an entry
  double missing_fraction = 0.01;          // blocktxn size / message_bytes when no table given
  /// Optional, one per node (or empty = every node): 0 = this node does not speak compact
  /// blocks (its pairs use inv/getdata/full block). Not owned.
  std::span<const std::uint8_t> uses_compact;
  /// Optional, one per node (or empty): the node's reconstruction miss probability in [0, 1]
  /// (e.g. from its mempool's overlap with the block, or SimBlock's control / churn rates).
  std::span<const double> node_miss_rate;
  /// Optional, one per node (or empty): index into missing_fraction_tables of the node's table.
  std::span<const std::uint8_t> node_table;
  /// Optional tables of missing fractions; on a miss the receiver's table is sampled uniformly
  /// (SimBlock's CBR_FAILURE_BLOCK_SIZE_DISTRIBUTION_*). Empty: missing_fraction. Not owned.
  std::span<const std::vector<double>> missing_fraction_tables;
};

struct GossipParams {
  GossipMode mode = GossipMode::kFlood;
  std::uint64_t message_bytes = 1'000'000;  // full message (block) size, bytes, >= 1
  double processing_delay_s = 0.0;          // per hop, before forwarding, seconds, >= 0
  std::uint32_t fanout = 8;                 // push (>= 1) / push_pull (>= 0)
  std::uint64_t announce_bytes = 40;        // push_pull: announcement and request size, bytes
  bool jitter = false;                      // draw latencies with sample_latency_s
  std::uint64_t seed = 1;                   // fan-out choices, jitter, compact misses
  CompactRelayParams compact;               // mode compact
  /// SimBlock compatibility (off by default; docs/network.md#simblock): a block, sketch or
  /// blocktxn holds the sender's uplink until it ARRIVES (SimBlock's BlockMessageTask starts the
  /// next block message at the arrival), and every control message (inv, getdata, getblocktxn,
  /// header) gets this extra latency (SimBlock: 10 ms, AbstractMessageTask.getInterval).
  bool hold_uplink_until_arrival = false;
  double control_extra_latency_s = 0.0;  // >= 0
  /// Optional shared link state (see the file comment); start_s = absolute time of t = 0.
  LinkState* links = nullptr;
  double start_s = 0.0;
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
  std::uint64_t duplicate_copies = 0;     // full messages (or sketches) that arrived at a node
                                          // that had it
  std::vector<std::uint64_t> bytes_sent;  // per node: bytes it sent (full + announce + request)
  std::vector<std::uint64_t> bytes_received;  // per node: bytes that arrived at it (duplicates too;
                                              // not at down nodes)
  std::uint64_t sketches = 0;                 // compact: sketches sent
  std::uint64_t reconstruction_misses = 0;    // compact: sketches that needed a blocktxn trip
  std::vector<double> header_time_s;          // header_first: first header arrival (or kNever)
};

/// For summary.json: {"mode", "reached", "t50_s", "t90_s", "t100_s", "messages", "bytes",
/// "full_copies", "duplicate_copies", "sketches", "reconstruction_misses"}; a time that was never
/// reached is JSON null.
nlohmann::json to_json(const GossipResult& r, GossipMode mode);

/// Time by which a fraction q in (0, 1] of all nodes has received: the ceil(q * n)-th smallest
/// receive time (kNever if fewer nodes were reached). Throws std::invalid_argument for q out of
/// range or no nodes.
double time_to_fraction(std::span<const double> receive_time_s, double q);

/// The messages of the relay protocols: full block, inv (announcement), getdata (request),
/// cmpctblock (sketch), getblocktxn, blocktxn, proposal header.
enum class RelayKind : std::uint8_t {
  kFull,
  kAnnounce,
  kRequest,
  kSketch,
  kTxRequest,
  kTxs,
  kHeader
};

/// True for the messages that carry block data (full block, sketch, blocktxn): the ones a link
/// model treats as bulk transfers; the others are latency-bound control messages.
bool is_bulk(RelayKind kind);

/// One message of a broadcast as the link model sees it. depart_s: seconds after the
/// broadcast's t = 0 at which the sender hands it to its uplink.
struct RelayMessage {
  NodeId from = 0;
  NodeId to = 0;
  RelayKind kind = RelayKind::kFull;
  std::uint64_t bytes = 0;
  double depart_s = 0.0;
};

/// Throws what simulate_gossip throws for bad inputs (see there); nothing else.
void validate_gossip(const Topology& topology, const LatencyModel& latency,
                     const BandwidthModel& bandwidth, NodeId source, const GossipParams& params);

/// The relay protocol of one broadcast (every mode above) as an incremental state machine,
/// without a link model: the protocol calls `send` for every message it issues, and the caller
/// (a link model) calls arrive() when that message has arrived, in non-decreasing time order.
/// simulate_gossip drives it with the FCFS link model; sim/ drives it with SimGrid's flow
/// model (network.bulk_transfer_model "flow"). Times are seconds after the broadcast's t = 0.
/// params.links, params.jitter, params.hold_uplink_until_arrival and
/// params.control_extra_latency_s are the link model's business and ignored here. Inputs are not
/// validated (call validate_gossip first); topology, params' spans and the callbacks must
/// outlive the object.
class GossipRelay {
 public:
  using SendFn = std::function<void(const RelayMessage&)>;
  /// A node's first full arrival (node, who delivered it, time s).
  using ReceiveFn = std::function<void(NodeId node, NodeId from, double t_s)>;
  GossipRelay(const Topology& topology, NodeId source, const GossipParams& params, SendFn send,
              ReceiveFn on_receive = {});
  ~GossipRelay();
  GossipRelay(const GossipRelay&) = delete;
  GossipRelay& operator=(const GossipRelay&) = delete;
  /// The source has the message at t = 0 and starts forwarding.
  void start();
  /// `message` (issued through `send`) arrived at t_s (>= its depart_s).
  void arrive(const RelayMessage& message, double t_s);
  /// The counters so far (percentiles not filled in).
  const GossipResult& result() const;
  /// The result with t50 / t90 / t100; call once, when no message is in flight.
  GossipResult finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Disseminates one message from `source`. latency and bandwidth must cover the topology's
/// nodes. Throws std::invalid_argument (bad parameters, node count mismatch, per-node vectors or
/// link state of the wrong length, rates outside [0, 1]) or std::out_of_range (source).
GossipResult simulate_gossip(const Topology& topology, const LatencyModel& latency,
                             const BandwidthModel& bandwidth, NodeId source,
                             const GossipParams& params);

}  // namespace pipesim::network
