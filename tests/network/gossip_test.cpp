// Tests of models/network/gossip: exact hand-computed arrival times on a line, a star and a
// triangle; coverage and message counts on random graphs; push / push_pull; determinism.
//
// Unless stated: constant one-way latency 50 ms, upload 8 Mbit/s = 1,000,000 bytes/s, message
// 100,000 bytes (0.1 s on the uplink), processing 10 ms per hop.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "models/network/gossip.hpp"

using namespace pipesim::network;

namespace {

struct Fixture {
  Topology topo;
  LatencyModel lat;
  BandwidthModel bw;
  Fixture(std::string name, std::uint32_t n, std::vector<std::pair<NodeId, NodeId>> edges)
      : topo(std::move(name), n, std::move(edges)),
        lat(LatencyModel::constant(n, ConstantLatencyParams{50.0})),
        bw(n, BandwidthParams{8.0, 8.0}) {}
};

GossipParams flood() {
  GossipParams p;
  p.mode = GossipMode::kFlood;
  p.message_bytes = 100'000;
  p.processing_delay_s = 0.010;
  return p;
}

}  // namespace

TEST_CASE("flood on a line 0-1-2-3: t = hops * (proc + 0.1 + 0.05) - proc") {
  Fixture f("line", 4, {{0, 1}, {1, 2}, {2, 3}});
  const GossipResult r = simulate_gossip(f.topo, f.lat, f.bw, 0, flood());
  CHECK(r.receive_time_s[0] == 0.0);
  CHECK(r.receive_time_s[1] == doctest::Approx(0.15));
  CHECK(r.receive_time_s[2] == doctest::Approx(0.31));
  CHECK(r.receive_time_s[3] == doctest::Approx(0.47));
  CHECK(r.parent[3] == 2);
  CHECK(r.reached == 4);
  CHECK(r.messages == 3);  // nobody sends back to where it came from
  CHECK(r.bytes == 300'000);
  CHECK(r.duplicate_copies == 0);
  CHECK(r.t50_s == doctest::Approx(0.15));  // 2 of 4 nodes
  CHECK(r.t90_s == doctest::Approx(0.47));  // ceil(3.6) = 4 nodes
  CHECK(r.t100_s == doctest::Approx(0.47));
}

TEST_CASE("flood on a star: copies serialise on the sender's uplink") {
  Fixture f("star", 4, {{0, 1}, {0, 2}, {0, 3}});
  const GossipResult c = simulate_gossip(f.topo, f.lat, f.bw, 0, flood());
  CHECK(c.receive_time_s[1] == doctest::Approx(0.15));
  CHECK(c.receive_time_s[2] == doctest::Approx(0.25));
  CHECK(c.receive_time_s[3] == doctest::Approx(0.35));
  const GossipResult leaf = simulate_gossip(f.topo, f.lat, f.bw, 1, flood());
  CHECK(leaf.receive_time_s[0] == doctest::Approx(0.15));
  CHECK(leaf.receive_time_s[2] == doctest::Approx(0.31));  // 0.16 + 0.1 + 0.05
  CHECK(leaf.receive_time_s[3] == doctest::Approx(0.41));  // 0.16 + 0.2 + 0.05
  CHECK(leaf.messages == 3);
}

TEST_CASE("flood on a triangle: duplicates counted") {
  Fixture f("triangle", 3, {{0, 1}, {1, 2}, {0, 2}});
  const GossipResult r = simulate_gossip(f.topo, f.lat, f.bw, 0, flood());
  CHECK(r.receive_time_s[1] == doctest::Approx(0.15));
  CHECK(r.receive_time_s[2] == doctest::Approx(0.25));
  // 1 forwards to 2 at 0.16 (arrives 0.31), 2 to 1 at 0.26 (arrives 0.41): both duplicates.
  CHECK(r.messages == 4);
  CHECK(r.full_copies == 4);
  CHECK(r.duplicate_copies == 2);
}

TEST_CASE("a 50 ms pair is delivered in 50 ms") {
  Fixture f("pair", 2, {{0, 1}});
  GossipParams p = flood();
  p.message_bytes = 1;
  BandwidthModel fast(2, BandwidthParams{1e9, 1e9});  // 1 byte: 8e-15 s on the uplink
  const GossipResult r = simulate_gossip(f.topo, f.lat, fast, 0, p);
  CHECK(r.receive_time_s[1] == doctest::Approx(0.050).epsilon(1e-9));
}

TEST_CASE("push_pull on a line with fanout 0: announce, request, answer") {
  Fixture f("line", 3, {{0, 1}, {1, 2}});
  GossipParams p = flood();
  p.mode = GossipMode::kPushPull;
  p.fanout = 0;
  p.announce_bytes = 100;  // 0.0001 s on the uplink
  const GossipResult r = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  // announce 0->1 arrives 0.0501; request 1->0 arrives 0.1002; full 0->1 0.2002 + 0.05.
  CHECK(r.receive_time_s[1] == doctest::Approx(0.2502));
  // 1 announces at 0.2602: arrives 0.3103; request arrives 0.3604; full arrives 0.5104.
  CHECK(r.receive_time_s[2] == doctest::Approx(0.5104));
  CHECK(r.messages == 6);
  CHECK(r.full_copies == 2);
  CHECK(r.bytes == 4 * 100 + 2 * 100'000);
}

TEST_CASE("flood reaches every node of connected graphs; message count 2m - n + 1") {
  for (auto kind : {TopologyKind::kRandomRegular, TopologyKind::kErdosRenyi,
                    TopologyKind::kWattsStrogatz, TopologyKind::kBarabasiAlbert}) {
    TopologyParams tp;
    tp.kind = kind;
    tp.n = 1000;
    tp.degree = kind == TopologyKind::kBarabasiAlbert ? 4 : 8;
    tp.p = kind == TopologyKind::kErdosRenyi ? 0.01 : 0.1;
    tp.seed = 3;
    const Topology t = build_topology(tp);
    const LatencyModel lat = LatencyModel::uniform(1000, {10.0, 100.0}, 5);
    const BandwidthModel bw(1000, BandwidthParams{100.0, 100.0});
    const GossipResult r = simulate_gossip(t, lat, bw, 17, flood());
    CHECK(r.reached == 1000);
    CHECK(std::all_of(r.receive_time_s.begin(), r.receive_time_s.end(),
                      [](double x) { return std::isfinite(x); }));
    CHECK(r.messages == 2 * t.edge_count() - 1000 + 1);
    CHECK(r.duplicate_copies == r.messages - 999);
    CHECK(r.t50_s <= r.t90_s);
    CHECK(r.t90_s <= r.t100_s);
    CHECK(r.t100_s == *std::max_element(r.receive_time_s.begin(), r.receive_time_s.end()));
    // Each arrival is at least the parent's arrival + processing + one transfer + latency.
    for (NodeId v = 0; v < 1000; ++v) {
      if (v == 17) continue;
      const NodeId u = r.parent[v];
      CHECK(t.has_edge(u, v));
      CHECK(r.receive_time_s[v] >= r.receive_time_s[u] + lat.base_latency_s(u, v) + 0.008 - 1e-12);
    }
  }
}

TEST_CASE("push: fanout >= degree equals flood; small fanout reaches fewer or later") {
  TopologyParams tp;
  tp.kind = TopologyKind::kRandomRegular;
  tp.n = 500;
  tp.degree = 6;
  const Topology t = build_topology(tp);
  const LatencyModel lat = LatencyModel::uniform(500, {10.0, 100.0}, 1);
  const BandwidthModel bw(500, BandwidthParams{100.0, 100.0});
  const GossipResult fl = simulate_gossip(t, lat, bw, 0, flood());
  GossipParams p = flood();
  p.mode = GossipMode::kPush;
  p.fanout = 6;
  const GossipResult all = simulate_gossip(t, lat, bw, 0, p);
  CHECK(all.receive_time_s == fl.receive_time_s);
  p.fanout = 2;
  const GossipResult few = simulate_gossip(t, lat, bw, 0, p);
  CHECK(few.messages < fl.messages);
  CHECK(few.messages <= 2 * few.reached);
  CHECK(simulate_gossip(t, lat, bw, 0, p).receive_time_s == few.receive_time_s);
  p.seed = 2;
  CHECK(simulate_gossip(t, lat, bw, 0, p).receive_time_s != few.receive_time_s);
  p.fanout = 0;
  CHECK_THROWS_AS(simulate_gossip(t, lat, bw, 0, p), std::invalid_argument);

  GossipParams pp = flood();
  pp.mode = GossipMode::kPushPull;
  pp.fanout = 2;
  const GossipResult pull = simulate_gossip(t, lat, bw, 0, pp);
  CHECK(pull.reached == 500);
  CHECK(pull.full_copies < fl.full_copies);
  CHECK(pull.bytes < fl.bytes);
}

TEST_CASE("gossip: jitter is deterministic by seed; errors") {
  Fixture f("line", 3, {{0, 1}, {1, 2}});
  const LatencyModel jl = f.lat.with_normal_jitter(5.0);
  GossipParams p = flood();
  p.jitter = true;
  const GossipResult a = simulate_gossip(f.topo, jl, f.bw, 0, p);
  CHECK(simulate_gossip(f.topo, jl, f.bw, 0, p).receive_time_s == a.receive_time_s);
  CHECK(a.receive_time_s[2] != doctest::Approx(0.31));
  CHECK_THROWS_AS(simulate_gossip(f.topo, jl, f.bw, 3, p), std::out_of_range);
  const LatencyModel small = LatencyModel::constant(2, {});
  CHECK_THROWS_AS(simulate_gossip(f.topo, small, f.bw, 0, p), std::invalid_argument);
  CHECK(time_to_fraction(std::vector<double>{0.0, 1.0, kNever}, 1.0) == kNever);
  CHECK(time_to_fraction(std::vector<double>{0.0, 1.0, kNever}, 0.5) == 1.0);
  CHECK(gossip_mode_from_string("push_pull") == GossipMode::kPushPull);
  CHECK_THROWS_AS(gossip_mode_from_string("gossipsub"), std::invalid_argument);
}

TEST_CASE("gossip: JSON for summary.json, unreached percentiles are null") {
  Fixture f("line", 4, {{0, 1}, {1, 2}, {2, 3}});
  const nlohmann::json j =
      to_json(simulate_gossip(f.topo, f.lat, f.bw, 0, flood()), GossipMode::kFlood);
  CHECK(j["mode"] == "flood");
  CHECK(j["t100_s"].get<double>() == doctest::Approx(0.47));
  CHECK(j["messages"] == 3);
  GossipResult partial;
  partial.reached = 1;
  CHECK(to_json(partial, GossipMode::kPush)["t100_s"].is_null());
}

TEST_CASE("per-node bytes and down nodes: a down node neither receives nor forwards") {
  // Line 0-1-2-3 with node 2 down: 0 -> 1 -> 2 (sent, dropped); 3 is never reached.
  Fixture f("line", 4, {{0, 1}, {1, 2}, {2, 3}});
  GossipParams p = flood();
  const std::vector<std::uint8_t> down{0, 0, 1, 0};
  p.down = down;
  const GossipResult r = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  CHECK(r.reached == 2);
  CHECK(r.receive_time_s[2] == kNever);
  CHECK(r.receive_time_s[3] == kNever);
  CHECK(r.bytes_sent == std::vector<std::uint64_t>{100'000, 100'000, 0, 0});
  CHECK(r.bytes_received == std::vector<std::uint64_t>{0, 100'000, 0, 0});
  // Without down nodes the per-node bytes add up to the total.
  const GossipResult all = simulate_gossip(f.topo, f.lat, f.bw, 0, flood());
  CHECK(std::accumulate(all.bytes_sent.begin(), all.bytes_sent.end(), std::uint64_t{0}) ==
        all.bytes);
  CHECK(all.bytes_sent == std::vector<std::uint64_t>{100'000, 100'000, 100'000, 0});
  const std::vector<std::uint8_t> source_down{1, 0, 0, 0};
  p.down = source_down;
  CHECK_THROWS_AS(simulate_gossip(f.topo, f.lat, f.bw, 0, p), std::invalid_argument);
}
