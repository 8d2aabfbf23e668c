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

// ---- Relay protocols and shared links ------------------------------------------------------

namespace {

GossipParams relay(GossipMode mode) {
  GossipParams p = flood();
  p.mode = mode;
  p.processing_delay_s = 0.0;
  p.announce_bytes = 1'000;  // 1 ms on the 1,000,000 bytes/s links
  p.compact.sketch_bytes = 10'000;
  p.compact.miss_rate = 0.0;
  p.compact.missing_fraction = 0.2;  // 20,000 bytes
  return p;
}

}  // namespace

TEST_CASE("inv_getdata on a pair: inv, getdata, block = 3 latencies + the three transfers") {
  Fixture f("pair", 2, {{0, 1}});
  const GossipResult r = simulate_gossip(f.topo, f.lat, f.bw, 0, relay(GossipMode::kInvGetdata));
  CHECK(r.receive_time_s[1] == doctest::Approx(3 * 0.05 + 0.001 + 0.001 + 0.1));
  CHECK(r.messages == 3);
  CHECK(r.full_copies == 1);
  CHECK(r.bytes == 102'000);
}

TEST_CASE("compact on a pair: a hit costs the sketch, a miss adds the getblocktxn round trip") {
  Fixture f("pair", 2, {{0, 1}});
  GossipParams p = relay(GossipMode::kCompact);
  const GossipResult hit = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  CHECK(hit.receive_time_s[1] == doctest::Approx(3 * 0.05 + 0.001 + 0.001 + 0.01));
  CHECK(hit.sketches == 1);
  CHECK(hit.full_copies == 0);
  CHECK(hit.reconstruction_misses == 0);
  CHECK(hit.bytes == 12'000);
  p.compact.miss_rate = 1.0;
  const GossipResult miss = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  CHECK(miss.reconstruction_misses == 1);
  CHECK(miss.receive_time_s[1] == doctest::Approx(hit.receive_time_s[1] + 2 * 0.05 + 0.001 + 0.02));
  CHECK(miss.bytes == 12'000 + 1'000 + 20'000);
  // High-bandwidth mode: the sketch is pushed unannounced (one latency, no inv/getdata).
  p.compact.miss_rate = 0.0;
  p.compact.high_bandwidth_peers = 1;
  const GossipResult hb = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  CHECK(hb.receive_time_s[1] == doctest::Approx(0.05 + 0.01));
  CHECK(hb.messages == 1);
  // A receiver that does not speak compact blocks gets the full block after inv/getdata.
  p.compact.high_bandwidth_peers = 0;
  const std::vector<std::uint8_t> uses = {1, 0};
  p.compact.uses_compact = uses;
  const GossipResult legacy = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  CHECK(legacy.full_copies == 1);
  CHECK(legacy.sketches == 0);
  CHECK(legacy.receive_time_s[1] == doctest::Approx(3 * 0.05 + 0.001 + 0.001 + 0.1));
}

TEST_CASE("compact relay moves fewer bytes and is faster than full-block relay on one graph") {
  // 300 nodes, random 8-regular, 535 kB blocks, 10 Mbit/s links, 50 ms: SimBlock-like sizes.
  TopologyParams tp;
  tp.kind = TopologyKind::kRandomRegular;
  tp.n = 300;
  tp.degree = 8;
  tp.seed = 5;
  const Topology topo = build_topology(tp);
  const LatencyModel lat = LatencyModel::constant(300, ConstantLatencyParams{50.0});
  const BandwidthModel bw(300, BandwidthParams{10.0, 10.0});
  GossipParams p;
  p.message_bytes = 535'000;
  p.processing_delay_s = 0.002;
  p.announce_bytes = 40;
  p.mode = GossipMode::kInvGetdata;
  const GossipResult full = simulate_gossip(topo, lat, bw, 0, p);
  p.mode = GossipMode::kCompact;
  p.compact = CompactRelayParams{};  // SimBlock's 18 kB sketch, 13 % misses, 1 % missing
  const GossipResult cmpct = simulate_gossip(topo, lat, bw, 0, p);
  REQUIRE(full.reached == 300);
  REQUIRE(cmpct.reached == 300);
  CHECK(cmpct.reconstruction_misses > 0);
  CHECK(cmpct.reconstruction_misses < 300 / 4);
  CHECK(cmpct.bytes * 5 < full.bytes);
  CHECK(cmpct.t50_s < full.t50_s);
  CHECK(cmpct.t100_s < full.t100_s);
  MESSAGE("full: t50 " << full.t50_s << " t100 " << full.t100_s << " bytes " << full.bytes
                       << "; compact: t50 " << cmpct.t50_s << " t100 " << cmpct.t100_s << " bytes "
                       << cmpct.bytes);
  // Every miss costs exactly one getblocktxn round trip.
  p.compact.miss_rate = 0.0;
  const GossipResult no_miss = simulate_gossip(topo, lat, bw, 0, p);
  CHECK(no_miss.reconstruction_misses == 0);
  CHECK(no_miss.t100_s <= cmpct.t100_s);
}

TEST_CASE("header_first: every node has the header before the proposal") {
  Fixture f("line", 3, {{0, 1}, {1, 2}});
  GossipParams p = relay(GossipMode::kHeaderFirst);
  const GossipResult r = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  REQUIRE(r.header_time_s.size() == 3);
  CHECK(r.header_time_s[1] == doctest::Approx(0.05 + 0.001));
  CHECK(r.receive_time_s[1] == doctest::Approx(0.05 + 0.101));
  CHECK(r.header_time_s[2] < r.receive_time_s[2]);
}

TEST_CASE("shared links: two concurrent broadcasts from one node share its uplink") {
  // Star: centre 0, 4 leaves; 100 kB on the 1 MB/s uplink = 0.1 s per copy.
  Fixture f("star", 5, {{0, 1}, {0, 2}, {0, 3}, {0, 4}});
  std::vector<LinkCalendar> up(5), down(5);
  LinkState links{up, down};
  GossipParams p = flood();
  p.links = &links;
  p.start_s = 0.0;
  const GossipResult a = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  const GossipResult b = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  CHECK(a.t100_s == doctest::Approx(4 * 0.1 + 0.05));
  // The second broadcast queues behind the first: 8 copies on one uplink.
  CHECK(b.t100_s == doctest::Approx(8 * 0.1 + 0.05));
  CHECK(up[0].busy_until_s() == doctest::Approx(0.8));
  // Without shared state each broadcast starts on idle links.
  GossipParams q = flood();
  CHECK(simulate_gossip(f.topo, f.lat, f.bw, 0, q).t100_s == doctest::Approx(0.45));
  // Links free again by a later start: no waiting.
  p.start_s = 10.0;
  CHECK(simulate_gossip(f.topo, f.lat, f.bw, 0, p).t100_s == doctest::Approx(0.45));
}

TEST_CASE("shared links: a later broadcast fills the gap before an earlier flood's relays") {
  // Line 0 - 1 - 2, 100 kB = 0.1 s per copy, 50 ms, 10 ms processing. Flood A from 0 at t = 0
  // reserves 1's uplink for its relay at [0.16, 0.26) and 2's downlink at [0.21, 0.31).
  // Flood B from 1 at t = 0: its copy to 0 takes the idle [0, 0.1) (arrives 0.15); the copy to
  // 2 does not fit in [0.1, 0.16) and goes after A's relay: [0.26, 0.36), arriving 0.41.
  // (One busy-until time per link made both wait for 0.26: 0.41 and 0.51.)
  Fixture f("line", 3, {{0, 1}, {1, 2}});
  std::vector<LinkCalendar> up(3), down(3);
  LinkState links{up, down};
  GossipParams p = flood();
  p.links = &links;
  const GossipResult a = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  CHECK(a.receive_time_s[2] == doctest::Approx(0.31));
  const GossipResult b = simulate_gossip(f.topo, f.lat, f.bw, 1, p);
  CHECK(b.receive_time_s[0] == doctest::Approx(0.15));
  CHECK(b.receive_time_s[2] == doctest::Approx(0.41));
  REQUIRE(up[1].size() == 2);  // [0, 0.1) and [0.16, 0.26) + [0.26, 0.36) merged
  CHECK(up[1].intervals()[0].end_s == doctest::Approx(0.1));
}

TEST_CASE("shared links: concurrent downloads into one node share its downlink") {
  // 0 - 2 - 1: node 2 downloads from 0 and 1 at once over a 4 Mbit/s (500 kB/s) downlink.
  Topology topo("vee", 3, {{0, 2}, {1, 2}});
  const LatencyModel lat = LatencyModel::constant(3, ConstantLatencyParams{50.0});
  BandwidthModel bw(3, BandwidthParams{8.0, 8.0});
  bw.set_node(2, BandwidthParams{8.0, 4.0});
  std::vector<LinkCalendar> up(3), down(3);
  LinkState links{up, down};
  GossipParams p = flood();
  p.links = &links;
  const GossipResult a = simulate_gossip(topo, lat, bw, 0, p);
  const GossipResult b = simulate_gossip(topo, lat, bw, 1, p);
  CHECK(a.receive_time_s[2] == doctest::Approx(0.05 + 0.2));  // the downlink bounds it
  CHECK(b.receive_time_s[2] == doctest::Approx(0.05 + 0.4));  // queued behind the first
}

TEST_CASE("relay modes: names and parameter errors") {
  CHECK(gossip_mode_from_string("compact") == GossipMode::kCompact);
  CHECK(gossip_mode_from_string("inv_getdata") == GossipMode::kInvGetdata);
  CHECK(to_string(GossipMode::kHeaderFirst) == "header_first");
  CHECK_THROWS_WITH_AS(gossip_mode_from_string("cmpct"), doctest::Contains("compact"),
                       std::invalid_argument);
  Fixture f("pair", 2, {{0, 1}});
  GossipParams p = relay(GossipMode::kCompact);
  p.compact.miss_rate = 1.5;
  CHECK_THROWS_WITH_AS(simulate_gossip(f.topo, f.lat, f.bw, 0, p), doctest::Contains("miss_rate"),
                       std::invalid_argument);
  p = relay(GossipMode::kCompact);
  const std::vector<std::uint8_t> wrong = {1, 1, 1};
  p.compact.uses_compact = wrong;
  CHECK_THROWS_WITH_AS(simulate_gossip(f.topo, f.lat, f.bw, 0, p),
                       doctest::Contains("uses_compact"), std::invalid_argument);
  p = relay(GossipMode::kInvGetdata);
  p.announce_bytes = 0;
  CHECK_THROWS_AS(simulate_gossip(f.topo, f.lat, f.bw, 0, p), std::invalid_argument);
}

TEST_CASE("SimBlock compatibility: uplink held until arrival, extra latency on control messages") {
  Fixture f("star", 3, {{0, 1}, {0, 2}});
  GossipParams p = relay(GossipMode::kInvGetdata);
  p.hold_uplink_until_arrival = true;
  p.control_extra_latency_s = 0.010;
  const GossipResult r = simulate_gossip(f.topo, f.lat, f.bw, 0, p);
  // invs: leave at 0.001 and 0.002, arrive +0.06; getdatas arrive back at 0.122 and 0.123.
  // Block to 1: 0.122 + 0.1 + 0.05 = 0.272, and the uplink stays busy until then; block to 2
  // starts at 0.272: 0.272 + 0.15 = 0.422.
  CHECK(r.receive_time_s[1] == doctest::Approx(0.272));
  CHECK(r.receive_time_s[2] == doctest::Approx(0.422));
  p.control_extra_latency_s = -1.0;
  CHECK_THROWS_AS(simulate_gossip(f.topo, f.lat, f.bw, 0, p), std::invalid_argument);
}
