#include "models/network/gossip.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <random>
#include <stdexcept>
#include <string>

#include "models/common/random.hpp"

namespace pipesim::network {
namespace {

struct Event {
  double t;
  std::uint64_t seq;  // issue order: total, deterministic tie-break
  RelayMessage message;
};

bool announces(GossipMode mode) {
  return mode == GossipMode::kPushPull || mode == GossipMode::kInvGetdata ||
         mode == GossipMode::kCompact || mode == GossipMode::kHeaderFirst;
}

void require_node_vector(std::size_t size, std::uint32_t n, const char* what) {
  if (size != 0 && size != n) {
    throw std::invalid_argument("gossip: " + std::string(what) + " has " + std::to_string(size) +
                                " entries, expected one per node (" + std::to_string(n) + ")");
  }
}

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

}  // namespace

bool is_bulk(RelayKind kind) {
  return kind == RelayKind::kFull || kind == RelayKind::kSketch || kind == RelayKind::kTxs;
}

std::string_view to_string(GossipMode mode) {
  switch (mode) {
    case GossipMode::kFlood:
      return "flood";
    case GossipMode::kPush:
      return "push";
    case GossipMode::kPushPull:
      return "push_pull";
    case GossipMode::kInvGetdata:
      return "inv_getdata";
    case GossipMode::kCompact:
      return "compact";
    case GossipMode::kHeaderFirst:
      return "header_first";
  }
  return "unknown";
}

GossipMode gossip_mode_from_string(std::string_view name) {
  if (name == "flood") return GossipMode::kFlood;
  if (name == "push") return GossipMode::kPush;
  if (name == "push_pull") return GossipMode::kPushPull;
  if (name == "inv_getdata") return GossipMode::kInvGetdata;
  if (name == "compact") return GossipMode::kCompact;
  if (name == "header_first") return GossipMode::kHeaderFirst;
  throw std::invalid_argument("unknown gossip mode \"" + std::string(name) +
                              "\"; valid: flood, push, push_pull, inv_getdata, compact, "
                              "header_first");
}

nlohmann::json to_json(const GossipResult& r, GossipMode mode) {
  auto time = [](double t) { return std::isfinite(t) ? nlohmann::json(t) : nlohmann::json(); };
  return {{"mode", std::string(to_string(mode))},
          {"reached", r.reached},
          {"t50_s", time(r.t50_s)},
          {"t90_s", time(r.t90_s)},
          {"t100_s", time(r.t100_s)},
          {"messages", r.messages},
          {"bytes", r.bytes},
          {"full_copies", r.full_copies},
          {"duplicate_copies", r.duplicate_copies},
          {"sketches", r.sketches},
          {"reconstruction_misses", r.reconstruction_misses}};
}

double time_to_fraction(std::span<const double> receive_time_s, double q) {
  if (receive_time_s.empty()) throw std::invalid_argument("time_to_fraction: no nodes");
  if (!(q > 0.0 && q <= 1.0)) {
    throw std::invalid_argument("time_to_fraction: q must be in (0, 1], got " + std::to_string(q));
  }
  std::vector<double> t(receive_time_s.begin(), receive_time_s.end());
  std::sort(t.begin(), t.end());
  const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(t.size()) - 1e-9));
  return t[std::max<std::size_t>(k, 1) - 1];
}

void validate_gossip(const Topology& topology, const LatencyModel& latency,
                     const BandwidthModel& bandwidth, NodeId source, const GossipParams& params) {
  const std::uint32_t n = topology.node_count();
  if (latency.node_count() != n || bandwidth.node_count() != n) {
    throw std::invalid_argument("gossip: topology has " + std::to_string(n) +
                                " nodes, latency model " + std::to_string(latency.node_count()) +
                                ", bandwidth model " + std::to_string(bandwidth.node_count()));
  }
  if (source >= n) {
    throw std::out_of_range("gossip: source " + std::to_string(source) +
                            " out of range (n=" + std::to_string(n) + ")");
  }
  if (params.message_bytes == 0) throw std::invalid_argument("gossip: message_bytes must be >= 1");
  if (!std::isfinite(params.control_extra_latency_s) || params.control_extra_latency_s < 0.0) {
    throw std::invalid_argument("gossip: control_extra_latency_s must be a finite number >= 0");
  }
  if (!std::isfinite(params.processing_delay_s) || params.processing_delay_s < 0.0) {
    throw std::invalid_argument("gossip: processing_delay_s must be a finite number >= 0, got " +
                                std::to_string(params.processing_delay_s));
  }
  if (params.mode == GossipMode::kPush && params.fanout == 0) {
    throw std::invalid_argument("gossip: push needs fanout >= 1");
  }
  require_node_vector(params.down.size(), n, "down");
  if (!params.down.empty() && params.down[source] != 0) {
    throw std::invalid_argument("gossip: the source " + std::to_string(source) + " is down");
  }
  if (announces(params.mode) && params.announce_bytes == 0) {
    throw std::invalid_argument("gossip: mode " + std::string(to_string(params.mode)) +
                                " needs announce_bytes >= 1");
  }
  const CompactRelayParams& cp = params.compact;
  if (params.mode == GossipMode::kCompact) {
    if (cp.sketch_bytes == 0) throw std::invalid_argument("gossip: sketch_bytes must be >= 1");
    const auto rate = [](double v, const char* what) {
      if (!(v >= 0.0 && v <= 1.0)) {
        throw std::invalid_argument("gossip: " + std::string(what) + " must be in [0, 1], got " +
                                    std::to_string(v));
      }
    };
    rate(cp.miss_rate, "miss_rate");
    rate(cp.missing_fraction, "missing_fraction");
    require_node_vector(cp.uses_compact.size(), n, "uses_compact");
    require_node_vector(cp.node_miss_rate.size(), n, "node_miss_rate");
    require_node_vector(cp.node_table.size(), n, "node_table");
    for (double v : cp.node_miss_rate) rate(v, "node_miss_rate");
    for (const auto& table : cp.missing_fraction_tables) {
      if (table.empty()) throw std::invalid_argument("gossip: an empty missing-fraction table");
      for (double v : table) rate(v, "missing_fraction_tables");
    }
    for (std::uint8_t t : cp.node_table) {
      if (t >= cp.missing_fraction_tables.size()) {
        throw std::invalid_argument("gossip: node_table entry " + std::to_string(t) +
                                    " has no missing_fraction_tables entry");
      }
    }
  }
  if (params.links != nullptr) {
    if (params.links->uplink.size() != n || params.links->downlink.size() != n) {
      throw std::invalid_argument(
          "gossip: link state must have one uplink and one downlink "
          "entry per node (" +
          std::to_string(n) + ")");
    }
    if (!std::isfinite(params.start_s)) throw std::invalid_argument("gossip: start_s not finite");
  }
}

struct GossipRelay::Impl {
  const Topology& topology;
  GossipParams params;
  NodeId source;
  SendFn send_fn;
  ReceiveFn receive_fn;
  GossipResult r;
  bool announces_ = false;
  bool compact = false;
  std::vector<std::uint8_t> requested;
  std::vector<std::vector<NodeId>> hb_senders;  // hb_senders[v]: nodes that chose v
  std::vector<NodeId> candidates;

  Impl(const Topology& t, NodeId src, const GossipParams& p, SendFn send, ReceiveFn receive)
      : topology(t),
        params(p),
        source(src),
        send_fn(std::move(send)),
        receive_fn(std::move(receive)) {}

  bool is_down(NodeId v) const { return !params.down.empty() && params.down[v] != 0; }
  bool speaks_compact(NodeId v) const {
    return params.compact.uses_compact.empty() || params.compact.uses_compact[v] != 0;
  }
  static std::uint64_t node_stream(std::uint64_t seed, NodeId v) {
    return splitmix64_mix(seed ^ splitmix64_mix(static_cast<std::uint64_t>(v) + 1));
  }

  void send(NodeId from, NodeId to, double at, RelayKind kind, std::uint64_t size) {
    send_fn(RelayMessage{from, to, kind, size, at});
    ++r.messages;
    r.bytes += size;
    r.bytes_sent[from] += size;
    if (kind == RelayKind::kFull) ++r.full_copies;
    if (kind == RelayKind::kSketch) ++r.sketches;
  }

  void choose_high_bandwidth_peers() {
    const std::uint32_t n = topology.node_count();
    hb_senders.resize(n);
    std::vector<NodeId> nb;
    for (NodeId w = 0; w < n; ++w) {
      nb.assign(topology.neighbors(w).begin(), topology.neighbors(w).end());
      // Stable across broadcasts: a seed-independent stream per node (BIP-152 peers keep
      // their high-bandwidth choice between blocks).
      std::uint64_t state = node_stream(0x68626d6f6465ULL, w);
      auto rng = [&state] { return splitmix64_mix(state += kSplitmix64Gamma); };
      const std::size_t k = std::min<std::size_t>(params.compact.high_bandwidth_peers, nb.size());
      pipesim::partial_shuffle(nb.begin(), nb.end(), k, rng);
      for (std::size_t i = 0; i < k; ++i) hb_senders[nb[i]].push_back(w);
    }
  }
  bool chose_high_bandwidth(NodeId receiver, NodeId sender) const {
    if (hb_senders.empty()) return false;
    const auto& s = hb_senders[sender];
    return std::find(s.begin(), s.end(), receiver) != s.end();
  }
  // Per receiver: the miss draw and the missing-fraction draw of this broadcast.
  bool miss_of(NodeId w) const {
    const CompactRelayParams& cp = params.compact;
    const double p = cp.node_miss_rate.empty() ? cp.miss_rate : cp.node_miss_rate[w];
    return unit_from_bits(node_stream(params.seed ^ 0x6d697373ULL, w)) < p;
  }
  std::uint64_t missing_bytes_of(NodeId w) const {
    const CompactRelayParams& cp = params.compact;
    double frac = cp.missing_fraction;
    if (!cp.missing_fraction_tables.empty()) {
      const auto& table = cp.missing_fraction_tables[cp.node_table.empty() ? 0 : cp.node_table[w]];
      const auto i = static_cast<std::size_t>(
          index_from_bits(node_stream(params.seed ^ 0x74786e73ULL, w), table.size()));
      frac = table[i];
    }
    return std::max<std::uint64_t>(
        1,
        static_cast<std::uint64_t>(std::llround(frac * static_cast<double>(params.message_bytes))));
  }

  // v has the block at t and forwards (after validation) at `at`.
  void forward(NodeId v, NodeId came_from, double t, double at) {
    const std::uint64_t full = params.message_bytes;
    const std::uint64_t small = params.announce_bytes;
    const CompactRelayParams& cp = params.compact;
    candidates.clear();
    for (NodeId w : topology.neighbors(v)) {
      if (w != came_from) candidates.push_back(w);
    }
    switch (params.mode) {
      case GossipMode::kFlood:
        for (NodeId w : candidates) send(v, w, at, RelayKind::kFull, full);
        return;
      case GossipMode::kInvGetdata:
        for (NodeId w : candidates) send(v, w, at, RelayKind::kAnnounce, small);
        return;
      case GossipMode::kHeaderFirst:
        for (NodeId w : candidates) send(v, w, at, RelayKind::kHeader, small);
        for (NodeId w : candidates) send(v, w, at, RelayKind::kFull, full);
        return;
      case GossipMode::kCompact:
        // High-bandwidth receivers first, unannounced and before validation; the rest get inv.
        for (NodeId w : candidates) {
          if (speaks_compact(v) && speaks_compact(w) && chose_high_bandwidth(w, v)) {
            send(v, w, t, RelayKind::kSketch, cp.sketch_bytes);
          }
        }
        for (NodeId w : candidates) {
          if (!(speaks_compact(v) && speaks_compact(w) && chose_high_bandwidth(w, v))) {
            send(v, w, at, RelayKind::kAnnounce, small);
          }
        }
        return;
      case GossipMode::kPush:
      case GossipMode::kPushPull:
        break;
    }
    // Choose min(fanout, |candidates|) uniformly: partial Fisher-Yates with the node's stream.
    // The node's own splitmix64 stream (Steele et al. 2014): independent of event order and
    // cheap to start (an mt19937_64 per node costs more to seed than the whole push).
    std::uint64_t state = node_stream(params.seed, v);
    auto rng = [&state] { return splitmix64_mix(state += kSplitmix64Gamma); };
    const std::size_t k = std::min<std::size_t>(params.fanout, candidates.size());
    pipesim::partial_shuffle(candidates.begin(), candidates.end(), k, rng);
    std::sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k));
    for (std::size_t i = 0; i < k; ++i) send(v, candidates[i], at, RelayKind::kFull, full);
    if (params.mode == GossipMode::kPushPull) {
      std::sort(candidates.begin() + static_cast<std::ptrdiff_t>(k), candidates.end());
      for (std::size_t i = k; i < candidates.size(); ++i) {
        send(v, candidates[i], at, RelayKind::kAnnounce, small);
      }
    }
  }

  void receive(NodeId v, NodeId from, double t) {
    r.receive_time_s[v] = t;
    r.parent[v] = from;
    ++r.reached;
    if (announces_) requested[v] = 1;
    if (receive_fn) receive_fn(v, from, t);
    forward(v, from, t, t + params.processing_delay_s);
  }

  void arrive(const RelayMessage& e, double t) {
    if (is_down(e.to)) return;
    r.bytes_received[e.to] += e.bytes;
    const bool has = r.receive_time_s[e.to] != kNever;
    const std::uint64_t small = params.announce_bytes;
    switch (e.kind) {
      case RelayKind::kFull:
      case RelayKind::kTxs:
        if (has) {
          if (e.kind == RelayKind::kFull) ++r.duplicate_copies;
          break;
        }
        receive(e.to, e.from, t);
        break;
      case RelayKind::kAnnounce:
        if (!has && requested[e.to] == 0) {
          requested[e.to] = 1;
          send(e.to, e.from, t, RelayKind::kRequest, small);
        }
        break;
      case RelayKind::kRequest:
        if (compact && speaks_compact(e.to) && speaks_compact(e.from)) {
          send(e.to, e.from, t, RelayKind::kSketch, params.compact.sketch_bytes);
        } else {
          send(e.to, e.from, t, RelayKind::kFull, params.message_bytes);
        }
        break;
      case RelayKind::kSketch:
        if (has) {
          ++r.duplicate_copies;
          break;
        }
        if (requested[e.to] == 2) break;  // already fetching missing transactions
        if (miss_of(e.to)) {
          requested[e.to] = 2;
          ++r.reconstruction_misses;
          send(e.to, e.from, t, RelayKind::kTxRequest, small);
        } else {
          receive(e.to, e.from, t);
        }
        break;
      case RelayKind::kTxRequest:
        send(e.to, e.from, t, RelayKind::kTxs, missing_bytes_of(e.from));
        break;
      case RelayKind::kHeader:
        r.header_time_s[e.to] = std::min(r.header_time_s[e.to], t);
        break;
    }
  }
};

GossipRelay::GossipRelay(const Topology& topology, NodeId source, const GossipParams& params,
                         SendFn send, ReceiveFn on_receive)
    : impl_(std::make_unique<Impl>(topology, source, params, std::move(send),
                                   std::move(on_receive))) {
  Impl& s = *impl_;
  const std::uint32_t n = topology.node_count();
  s.announces_ = announces(params.mode);
  s.compact = params.mode == GossipMode::kCompact;
  s.r.receive_time_s.assign(n, kNever);
  s.r.parent.assign(n, source);
  s.r.bytes_sent.assign(n, 0);
  s.r.bytes_received.assign(n, 0);
  if (params.mode == GossipMode::kHeaderFirst) s.r.header_time_s.assign(n, kNever);
  s.requested.assign(s.announces_ ? n : 0, 0);
  if (s.compact && params.compact.high_bandwidth_peers > 0) s.choose_high_bandwidth_peers();
}

GossipRelay::~GossipRelay() = default;

void GossipRelay::start() {
  Impl& s = *impl_;
  s.r.receive_time_s[s.source] = 0.0;
  s.r.reached = 1;
  if (s.announces_) s.requested[s.source] = 1;
  if (!s.r.header_time_s.empty()) s.r.header_time_s[s.source] = 0.0;
  // came_from == source: excludes nobody (no self-edges)
  s.forward(s.source, s.source, 0.0, 0.0);
}

void GossipRelay::arrive(const RelayMessage& message, double t_s) {
  impl_->arrive(message, t_s);
}

const GossipResult& GossipRelay::result() const {
  return impl_->r;
}

GossipResult GossipRelay::finish() {
  GossipResult r = std::move(impl_->r);
  r.t50_s = time_to_fraction(r.receive_time_s, 0.5);
  r.t90_s = time_to_fraction(r.receive_time_s, 0.9);
  r.t100_s = time_to_fraction(r.receive_time_s, 1.0);
  return r;
}

GossipResult simulate_gossip(const Topology& topology, const LatencyModel& latency,
                             const BandwidthModel& bandwidth, NodeId source,
                             const GossipParams& params) {
  validate_gossip(topology, latency, bandwidth, source, params);
  const std::uint32_t n = topology.node_count();
  // Link busy-until times relative to this broadcast's t = 0 (without shared links).
  std::vector<double> uplink_free(params.links == nullptr ? n : 0, 0.0);
  std::vector<double> downlink_free(params.links == nullptr ? n : 0, 0.0);
  const auto is_down = [&](NodeId v) { return !params.down.empty() && params.down[v] != 0; };
  std::vector<Event> storage;
  storage.reserve(static_cast<std::size_t>(2) * topology.edge_count() + 16);
  std::priority_queue<Event, std::vector<Event>, Later> heap(Later{}, std::move(storage));
  std::uint64_t seq = 0;
  std::mt19937_64 jitter_rng(splitmix64_mix(params.seed ^ 0x6a6974746572ULL));

  // The FCFS link model: uplink, then the receiver's downlink, one message at a time each.
  auto send_local = [&](const RelayMessage& m) {
    const NodeId from = m.from, to = m.to;
    const double start = std::max(m.depart_s, uplink_free[from]);
    const double finish = start + static_cast<double>(m.bytes) / bandwidth.upload_bytes_per_s(from);
    uplink_free[from] = finish;
    double lat = params.jitter ? latency.sample_latency_s(from, to, jitter_rng)
                               : latency.base_latency_s(from, to);
    const bool bulk = is_bulk(m.kind);
    if (!bulk) lat += params.control_extra_latency_s;
    double arrival = finish + lat;
    if (!is_down(to)) {
      const double down_start = std::max(start + lat, downlink_free[to]);
      arrival = std::max(
          arrival, down_start + static_cast<double>(m.bytes) / bandwidth.download_bytes_per_s(to));
      downlink_free[to] = arrival;
    }
    if (bulk && params.hold_uplink_until_arrival) uplink_free[from] = arrival;
    heap.push(Event{arrival, seq++, m});
  };
  // The same rule on the shared calendars (absolute times): earliest gaps instead of FIFO.
  auto send_shared = [&](const RelayMessage& m) {
    const NodeId from = m.from, to = m.to;
    LinkCalendar& up = params.links->uplink[from];
    LinkCalendar& down = params.links->downlink[to];
    up.prune_before(params.links->prune_before_s);
    down.prune_before(params.links->prune_before_s);
    const double up_s = static_cast<double>(m.bytes) / bandwidth.upload_bytes_per_s(from);
    const double down_s = static_cast<double>(m.bytes) / bandwidth.download_bytes_per_s(to);
    double lat = params.jitter ? latency.sample_latency_s(from, to, jitter_rng)
                               : latency.base_latency_s(from, to);
    const bool bulk = is_bulk(m.kind);
    if (!bulk) lat += params.control_extra_latency_s;
    const bool receives = !is_down(to);
    const bool hold = bulk && params.hold_uplink_until_arrival;
    const auto arrival_of = [&](const LinkCalendar::Slot& u) {
      return receives ? down.find(u.start_s + lat, down_s, u.end_s + lat).end_s : u.end_s + lat;
    };
    LinkCalendar::Slot u = up.find(params.start_s + m.depart_s, up_s);
    if (hold) {
      // The uplink gap must last until the arrival, which depends on where it starts: try the
      // next gap long enough for the current candidate's hold until one holds (start grows).
      for (;;) {
        const LinkCalendar::Slot longer = up.find(u.start_s, arrival_of(u) - u.start_s);
        if (longer.start_s == u.start_s) break;
        u = up.find(longer.start_s, up_s);
      }
    }
    double arrival = u.end_s + lat;
    if (receives) arrival = down.reserve(u.start_s + lat, down_s, u.end_s + lat).end_s;
    up.reserve(u.start_s, (hold ? arrival : u.end_s) - u.start_s);
    heap.push(Event{arrival - params.start_s, seq++, m});
  };
  auto send = [&](const RelayMessage& m) {
    if (params.links != nullptr) {
      send_shared(m);
    } else {
      send_local(m);
    }
  };
  GossipRelay relay(topology, source, params, send);
  relay.start();
  while (!heap.empty()) {
    const Event e = heap.top();
    heap.pop();
    relay.arrive(e.message, e.t);
  }

  return relay.finish();
}

}  // namespace pipesim::network
