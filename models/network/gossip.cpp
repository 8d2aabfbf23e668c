#include "models/network/gossip.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <random>
#include <stdexcept>
#include <string>

namespace pipesim::network {
namespace {

enum class Kind : std::uint8_t { kFull, kAnnounce, kRequest };

struct Event {
  double t;
  std::uint64_t seq;  // issue order: total, deterministic tie-break
  NodeId to;
  NodeId from;
  Kind kind;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

}  // namespace

std::string_view to_string(GossipMode mode) {
  switch (mode) {
    case GossipMode::kFlood:
      return "flood";
    case GossipMode::kPush:
      return "push";
    case GossipMode::kPushPull:
      return "push_pull";
  }
  return "unknown";
}

GossipMode gossip_mode_from_string(std::string_view name) {
  if (name == "flood") return GossipMode::kFlood;
  if (name == "push") return GossipMode::kPush;
  if (name == "push_pull") return GossipMode::kPushPull;
  throw std::invalid_argument("unknown gossip mode \"" + std::string(name) +
                              "\"; valid: flood, push, push_pull");
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
          {"duplicate_copies", r.duplicate_copies}};
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

GossipResult simulate_gossip(const Topology& topology, const LatencyModel& latency,
                             const BandwidthModel& bandwidth, NodeId source,
                             const GossipParams& params) {
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
  if (!std::isfinite(params.processing_delay_s) || params.processing_delay_s < 0.0) {
    throw std::invalid_argument("gossip: processing_delay_s must be a finite number >= 0, got " +
                                std::to_string(params.processing_delay_s));
  }
  if (params.mode == GossipMode::kPush && params.fanout == 0) {
    throw std::invalid_argument("gossip: push needs fanout >= 1");
  }
  if (!params.down.empty() && params.down.size() != n) {
    throw std::invalid_argument("gossip: down has " + std::to_string(params.down.size()) +
                                " entries, expected one per node (" + std::to_string(n) + ")");
  }
  if (!params.down.empty() && params.down[source] != 0) {
    throw std::invalid_argument("gossip: the source " + std::to_string(source) + " is down");
  }
  if (params.mode == GossipMode::kPushPull && params.announce_bytes == 0) {
    throw std::invalid_argument("gossip: push_pull needs announce_bytes >= 1");
  }

  GossipResult r;
  r.receive_time_s.assign(n, kNever);
  r.parent.assign(n, source);
  r.bytes_sent.assign(n, 0);
  r.bytes_received.assign(n, 0);
  std::vector<double> uplink_free(n, 0.0);
  std::vector<std::uint8_t> requested(params.mode == GossipMode::kPushPull ? n : 0, 0);
  std::vector<Event> storage;
  storage.reserve(static_cast<std::size_t>(2) * topology.edge_count() + 16);
  std::priority_queue<Event, std::vector<Event>, Later> heap(Later{}, std::move(storage));
  std::uint64_t seq = 0;
  std::mt19937_64 jitter_rng(splitmix64_mix(params.seed ^ 0x6a6974746572ULL));

  auto send = [&](NodeId from, NodeId to, double at, Kind kind) {
    const std::uint64_t size = kind == Kind::kFull ? params.message_bytes : params.announce_bytes;
    const double start = std::max(at, uplink_free[from]);
    const double finish = start + static_cast<double>(size) / bandwidth.upload_bytes_per_s(from);
    uplink_free[from] = finish;
    const double lat = params.jitter ? latency.sample_latency_s(from, to, jitter_rng)
                                     : latency.base_latency_s(from, to);
    heap.push(Event{finish + lat, seq++, to, from, kind});
    ++r.messages;
    r.bytes += size;
    r.bytes_sent[from] += size;
    if (kind == Kind::kFull) ++r.full_copies;
  };

  std::vector<NodeId> candidates;
  auto forward = [&](NodeId v, NodeId came_from, double at) {
    candidates.clear();
    for (NodeId w : topology.neighbors(v)) {
      if (w != came_from) candidates.push_back(w);
    }
    if (params.mode == GossipMode::kFlood) {
      for (NodeId w : candidates) send(v, w, at, Kind::kFull);
      return;
    }
    // Choose min(fanout, |candidates|) uniformly: partial Fisher-Yates with the node's stream.
    // The node's own splitmix64 stream (Steele et al. 2014): independent of event order and
    // cheap to start (an mt19937_64 per node costs more to seed than the whole push).
    std::uint64_t state = splitmix64_mix(params.seed ^ splitmix64_mix(v + 1));
    auto rng = [&state] { return splitmix64_mix(state += kSplitmix64Gamma); };
    const std::size_t k = std::min<std::size_t>(params.fanout, candidates.size());
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t span = candidates.size() - i;
      const auto j =
          i + static_cast<std::size_t>((static_cast<unsigned __int128>(rng()) * span) >> 64);
      std::swap(candidates[i], candidates[j]);
    }
    std::sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k));
    for (std::size_t i = 0; i < k; ++i) send(v, candidates[i], at, Kind::kFull);
    if (params.mode == GossipMode::kPushPull) {
      std::sort(candidates.begin() + static_cast<std::ptrdiff_t>(k), candidates.end());
      for (std::size_t i = k; i < candidates.size(); ++i) {
        send(v, candidates[i], at, Kind::kAnnounce);
      }
    }
  };

  r.receive_time_s[source] = 0.0;
  r.reached = 1;
  if (!requested.empty()) requested[source] = 1;
  forward(source, source, 0.0);  // came_from == source: excludes nobody (no self-edges)

  while (!heap.empty()) {
    const Event e = heap.top();
    heap.pop();
    if (!params.down.empty() && params.down[e.to] != 0) continue;
    r.bytes_received[e.to] += e.kind == Kind::kFull ? params.message_bytes : params.announce_bytes;
    switch (e.kind) {
      case Kind::kFull:
        if (r.receive_time_s[e.to] != kNever) {
          ++r.duplicate_copies;
          break;
        }
        r.receive_time_s[e.to] = e.t;
        r.parent[e.to] = e.from;
        ++r.reached;
        forward(e.to, e.from, e.t + params.processing_delay_s);
        break;
      case Kind::kAnnounce:
        if (r.receive_time_s[e.to] == kNever && requested[e.to] == 0) {
          requested[e.to] = 1;
          send(e.to, e.from, e.t, Kind::kRequest);
        }
        break;
      case Kind::kRequest:
        send(e.to, e.from, e.t, Kind::kFull);
        break;
    }
  }

  r.t50_s = time_to_fraction(r.receive_time_s, 0.5);
  r.t90_s = time_to_fraction(r.receive_time_s, 0.9);
  r.t100_s = time_to_fraction(r.receive_time_s, 1.0);
  return r;
}

}  // namespace pipesim::network
