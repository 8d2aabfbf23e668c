// The SimGrid runtime (sim::Simulation). SimGrid allows one engine per process, so CTest runs
// each test case of this file in its own process (tests/sim/CMakeLists.txt).
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/recorder.hpp"
#include "sim/simulation.hpp"

using namespace pipesim::sim;

namespace {

Scenario base(std::uint32_t n) {
  Scenario s;
  s.network.validators = n;
  s.network.latency.model = "constant";
  s.network.latency.constant_ms = 50;
  s.duration_s = 100;
  s.outputs.trace = false;
  return s;
}

/// An application that runs a script at start and logs deliveries and timers.
class Script final : public Application {
 public:
  explicit Script(std::function<void()> start) : start_(std::move(start)) {}
  void on_start() override { start_(); }
  void on_deliver(NodeId node, NodeId from, std::uint16_t,
                  const std::shared_ptr<const void>&) override {
    deliveries.push_back({node, from, now ? now() : 0});
  }
  void on_timer(NodeId node, std::uint64_t id) override { timers.push_back({node, id, now()}); }
  void on_finish() override { finished = true; }
  struct Delivery {
    NodeId node, from;
    double t;
  };
  struct Timer {
    NodeId node;
    std::uint64_t id;
    double t;
  };
  std::vector<Delivery> deliveries;
  std::vector<Timer> timers;
  std::function<double()> now;
  bool finished = false;

 private:
  std::function<void()> start_;
};

}  // namespace

TEST_CASE("runtime: 50 ms constant latency is delivered at 50 ms, 1 MB adds its bandwidth term") {
  Scenario s = base(4);
  s.network.bandwidth.upload_mbps = 8;  // 1 MB/s
  s.network.bandwidth.download_mbps = 8;
  Simulation sim(s);
  Script app([&] {
    sim.send(0, 1, 1, nullptr, 0);
    sim.send(2, 3, 1, nullptr, 1'000'000);
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 2);
  CHECK(app.deliveries[0].t == doctest::Approx(0.050).epsilon(1e-12));
  CHECK(app.deliveries[1].t == doctest::Approx(1.050).epsilon(1e-9));
  CHECK(app.finished);
  CHECK(sim.bytes_sent(2) == 1'000'000);
}

TEST_CASE("runtime: timers fire in time order, crashed nodes receive nothing") {
  Scenario s = base(4);
  s.faults.crashed = {3};
  s.faults.crash_at_s = 0.5;
  Simulation sim(s);
  Script app([&] {
    sim.set_timer(1, 2.0, 7);
    sim.set_timer(0, 1.0, 5);
    sim.set_timer(3, 0.4, 1);  // before the crash: fires
    sim.set_timer(3, 0.6, 2);  // after: dropped
    sim.at(1.0, [&] { sim.send(0, 3, 1, nullptr, 0); });
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.timers.size() == 3);
  CHECK(app.timers[0].id == 1);
  CHECK(app.timers[1].id == 5);
  CHECK(app.timers[1].t == doctest::Approx(1.0));
  CHECK(app.timers[2].id == 7);
  CHECK(app.deliveries.empty());
}

TEST_CASE("runtime: execution jobs take makespan / speed on SimGrid and queue per node") {
  Scenario s = base(4);
  s.nodes.cores = 4;
  s.nodes.speed_factor = 2.0;
  Simulation sim(s);
  std::vector<double> done;
  Script app([&] {
    // 4 workers x 2 reference seconds on 4 cores at speed 2: 1 s.
    sim.run_execution(0, CpuJob{{2, 2, 2, 2}, 2.0}, [&](double t) { done.push_back(t); });
    // Same node: queued behind the first job, then 1 s of work with a 3 s makespan (waits).
    sim.run_execution(0, CpuJob{{2}, 6.0}, [&](double t) { done.push_back(t); });
    // Another node at the same time: independent.
    sim.run_execution(1, CpuJob{{1}, 1.0}, [&](double t) { done.push_back(t); });
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(done.size() == 3);
  CHECK(done[0] == doctest::Approx(0.5));  // node 1
  CHECK(done[1] == doctest::Approx(1.0));  // node 0, first job
  CHECK(done[2] == doctest::Approx(4.0));  // node 0, second job: 1.0 + 6 / 2
}

TEST_CASE("runtime: more workers than cores share the cores (SimGrid CPU model)") {
  Scenario s = base(4);
  s.nodes.cores = 2;
  Simulation sim(s);
  double done = -1;
  Script app([&] { sim.run_execution(0, CpuJob{{1, 1, 1, 1}, 1.0}, [&](double t) { done = t; }); });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  CHECK(done == doctest::Approx(2.0));  // 4 reference seconds on 2 cores
}

TEST_CASE("runtime: the consensus lane delays deliveries while busy") {
  Scenario s = base(4);
  Simulation sim(s);
  Script app([&] {
    sim.send(0, 1, 1, nullptr, 0);                            // arrives at 0.05
    sim.at(0.0, [&] { sim.occupy_consensus_lane(1, 0.2); });  // node 1 busy until 0.2
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 1);
  CHECK(app.deliveries[0].t == doctest::Approx(0.2));
}

TEST_CASE("runtime: uneven workers beyond the cores share them as processor sharing") {
  Scenario s = base(4);
  s.nodes.cores = 2;
  Simulation sim(s);
  double done = -1;
  Script app([&] { sim.run_execution(0, CpuJob{{1, 2, 3}, 0.0}, [&](double t) { done = t; }); });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  // 3 workers on 2 cores at 2/3 core each: the 1 s worker ends at 1.5 s (the others have done
  // 1 s); then 2 workers, a core each: 1 s and 2 s left, the last ends at 3.5 s.
  CHECK(done == doctest::Approx(3.5));
}

TEST_CASE("runtime: deliveries queued behind a busy consensus lane keep their order") {
  Scenario s = base(4);
  Simulation sim(s);
  Script app([&] {
    sim.send(0, 1, 1, nullptr, 0);                            // arrives at 0.05
    sim.send(2, 1, 1, nullptr, 0);                            // arrives at 0.05, after it
    sim.set_timer(1, 0.07, 9);                                // fires at 0.07
    sim.send(3, 1, 1, nullptr, 0, 0.04);                      // arrives at 0.09
    sim.at(0.0, [&] { sim.occupy_consensus_lane(1, 0.2); });  // node 1 busy until 0.2
    sim.at(0.1, [&] { sim.occupy_consensus_lane(1, 0.1); });  // and then until 0.3
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 3);
  REQUIRE(app.timers.size() == 1);
  CHECK(app.deliveries[0].from == 0);
  CHECK(app.deliveries[1].from == 2);
  CHECK(app.deliveries[2].from == 3);
  for (const auto& d : app.deliveries) CHECK(d.t == doctest::Approx(0.3));
  CHECK(app.timers[0].t == doctest::Approx(0.3));
}

TEST_CASE("runtime: a 50 ms AWS preset pair is delivered in 50 ms") {
  // aws_p50: ap-northeast-3 -> us-west-2 is 99.93 ms round trip, i.e. 49.965 ms one way.
  Scenario s = base(4);
  s.network.latency = LatencyConfig{};
  s.network.latency.preset = "aws_p50";
  s.network.latency.region_names = {"ap-northeast-3", "us-west-2"};
  s.network.latency.region_weights = {1, 1};  // interleaved: nodes 0, 2 in the first region
  s = parse_scenario(to_json(s));             // resolve the preset exactly as a scenario file would
  Simulation sim(s);
  Script app([&] { sim.send(0, 1, 1, nullptr, 0); });  // node 0: ap-northeast-3, node 1: us-west-2
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 1);
  CHECK(app.deliveries[0].t == doctest::Approx(0.049965).epsilon(1e-12));
}

TEST_CASE("runtime: flood on a ring delivers at the hand-computed gossip times") {
  // Ring 0-1-2-3-4-5-0, 50 ms per hop, 1000-byte message over 1 MB/s uplinks (1 ms per copy),
  // 10 ms processing per hop. Source 0 sends to 1 then 5 (ascending ids):
  //   1: 0.001 + 0.050 = 0.051;  5: 0.002 + 0.050 = 0.052
  //   1 -> 2 at 0.061: 0.062 + 0.050 = 0.112;  5 -> 4 at 0.062: 0.063 + 0.050 = 0.113
  //   2 -> 3 at 0.122: 0.123 + 0.050 = 0.173 (4 -> 3 arrives at 0.174: a duplicate)
  // The broadcast departs at 1.0 s: deliveries at 1.0 + those times.
  Scenario s = base(6);
  s.network.bandwidth.upload_mbps = 8;
  s.network.topology.kind = "ring";
  s.network.dissemination.mode = "flood";
  s.network.dissemination.processing_delay_ms = 10;
  Simulation sim(s);
  Script app([&] { sim.at(1.0, [&] { sim.broadcast(0, 1, nullptr, 1000); }); });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 5);
  std::map<NodeId, double> at;
  for (const auto& d : app.deliveries) {
    CHECK(d.from == 0);  // the original sender, not the forwarder
    at[d.node] = d.t;
  }
  CHECK(at.at(1) == doctest::Approx(1.051).epsilon(1e-12));
  CHECK(at.at(5) == doctest::Approx(1.052).epsilon(1e-12));
  CHECK(at.at(2) == doctest::Approx(1.112).epsilon(1e-12));
  CHECK(at.at(4) == doctest::Approx(1.113).epsilon(1e-12));
  CHECK(at.at(3) == doctest::Approx(1.173).epsilon(1e-12));
  // Every node forwards: the source 2 copies, the others 1 each; 3 and 4 receive a duplicate.
  CHECK(sim.bytes_sent(0) == 2000);
  for (NodeId v = 1; v < 6; ++v) CHECK(sim.bytes_sent(v) == 1000);
  CHECK(sim.bytes_received(3) == 2000);
  CHECK(sim.bytes_received(4) == 2000);
  CHECK(sim.bytes_received(1) == 1000);
  const nlohmann::json m = sim.recorder().summary()["metrics"];
  CHECK(m["topology"]["diameter_hops"] == 3);
  CHECK(m["topology"]["degree_max"] == 2);
  CHECK(m["propagation_t50_s"]["p50"].get<double>() == doctest::Approx(0.052));  // 3rd of 6
  CHECK(m["propagation_t100_s"]["max"].get<double>() == doctest::Approx(0.173));
  CHECK(m["broadcasts_gossiped"]["value"] == 1);
}

TEST_CASE("runtime: concurrent small floods do not wait for each other's future relays") {
  // Every node of the 50 ms ring floods a 200-byte message at 1.0 s (as DAG BFT validators do
  // with their vertices each round). Below network.bulk_min_bytes a flood takes the FCFS fast
  // path: it neither waits for nor reserves the shared links, so each message reaches the far
  // side of the ring after 3 hops (3 x (0.2 ms + 50 ms) plus the second copy's 0.2 ms).
  // Before, each flood's relay reservations (up to 100 ms ahead) made the next flood start
  // behind them: the last of 6 arrived ~0.5 s late.
  Scenario s = base(6);
  s.network.bandwidth.upload_mbps = 8;
  s.network.topology.kind = "ring";
  s.network.dissemination.mode = "flood";
  REQUIRE(s.network.dissemination.shared_links);
  Simulation sim(s);
  Script app([&] {
    sim.at(1.0, [&] {
      for (NodeId v = 0; v < 6; ++v) sim.broadcast(v, 1, nullptr, 200);
    });
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 30);
  double last = 0.0;
  for (const auto& d : app.deliveries) last = std::max(last, d.t);
  CHECK(last <= 1.0 + 3 * 0.0502 + 0.0002 + 1e-9);
  CHECK(last >= 1.0 + 3 * 0.0502 - 1e-9);
}

TEST_CASE("runtime: concurrent bulk floods use the links' idle time before earlier relays") {
  // Ring 0-1-2-3-4-5, 50 ms, 1 MB/s uplinks (10 kB = 10 ms per copy), 125 MB/s downlinks, no
  // processing delay. Nodes 0 and 1 each flood 10 kB (bulk: >= network.bulk_min_bytes) at 1.0 s,
  // 0 first. Flood 0 reserves 0's uplink for [0, 20) ms, then its relays: 1 at [60, 70), 5 at
  // [70, 80), 2 at [120, 130), 4 at [130, 140), 3 at [180, 190). Flood 1 finds 1's uplink idle
  // until 60 ms: its copies leave at 0 and 10 ms, and every relay of it fits in an idle gap, so
  // both floods reach every node in 3 hops of 60 ms at most, each copy after the one before it
  // in its direction (deliveries hand-computed below, ms after 1.0 s). With one busy-until time
  // per link, flood 1 started at 70 ms, behind flood 0's relay at node 1, and its last copy
  // arrived at 1.25 s.
  Scenario s = base(6);
  s.network.bandwidth.upload_mbps = 8;
  s.network.topology.kind = "ring";
  s.network.dissemination.mode = "flood";
  REQUIRE(s.network.dissemination.shared_links);
  REQUIRE(s.network.bulk_min_bytes <= 10'000);
  Simulation sim(s);
  Script app([&] {
    sim.at(1.0, [&] {
      sim.broadcast(0, 1, nullptr, 10'000);
      sim.broadcast(1, 1, nullptr, 10'000);
    });
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 10);
  std::map<std::pair<NodeId, NodeId>, double> at;  // (source, receiver) -> time
  for (const auto& d : app.deliveries) at[{d.from, d.node}] = d.t;
  const std::map<std::pair<NodeId, NodeId>, double> expected = {
      {{0, 1}, 0.06}, {{0, 5}, 0.07}, {{0, 2}, 0.12}, {{0, 4}, 0.13}, {{0, 3}, 0.18},
      {{1, 0}, 0.06}, {{1, 2}, 0.07}, {{1, 5}, 0.12}, {{1, 3}, 0.13}, {{1, 4}, 0.18}};
  for (const auto& entry : expected) {
    const std::pair<NodeId, NodeId>& key = entry.first;
    const double t = entry.second;
    CAPTURE(key.first);
    CAPTURE(key.second);
    REQUIRE(at.count(key) == 1);
    CHECK(at[key] == doctest::Approx(1.0 + t).epsilon(1e-9));
  }
}

namespace {

// Transaction gossip on the shared links (docs/network.md#transaction-gossip-on-the-links).
// Star of 5 (centre 0, leaves 1..4), 50 ms, 1 MB/s uplinks and downlinks, flood. At 1.0 s node 0
// gossips transactions worth 25 kB per peer (Runtime::account_broadcast_bytes, as the workload
// feed does), at 1.15 s it broadcasts a 10 kB block (bulk: >= network.bulk_min_bytes), one copy
// per leaf in id order, 10 ms each on its uplink.
constexpr std::uint64_t kTxGossipBytesPerPeer = 25'000;
constexpr std::uint64_t kGossipBlockBytes = 10'000;
constexpr double kGossipLinkBps = 1e6;  // 8 Mbit/s
constexpr double kGossipAtS = 1.0;
constexpr double kGossipWindowEndS = 1.1;  // end of the 0.1 s window that holds 1.0 s
constexpr double kGossipBlockAtS = 1.15;
constexpr std::uint32_t kGossipPeers = 4;

Scenario gossip_star() {
  Scenario s = base(5);
  s.network.bandwidth.upload_mbps = 8;
  s.network.bandwidth.download_mbps = 8;
  s.network.topology.kind = "star";
  s.network.dissemination.mode = "flood";
  REQUIRE(s.network.dissemination.shared_links);
  REQUIRE(s.network.bulk_transfer_model == "fcfs");
  REQUIRE(s.workload.gossip);
  REQUIRE(s.network.bulk_min_bytes <= kGossipBlockBytes);
  return s;
}

struct GossipThenBlock {
  std::map<NodeId, double> at;  // block arrival per leaf
  std::uint64_t sent0 = 0;
  std::vector<std::uint64_t> received;  // per leaf 1..4
};

GossipThenBlock run_gossip_then_block(const Scenario& s) {
  Simulation sim(s);
  Script app([&] {
    sim.at(kGossipAtS, [&] { sim.account_broadcast_bytes(0, kTxGossipBytesPerPeer); });
    sim.at(kGossipBlockAtS, [&] { sim.broadcast(0, 1, nullptr, kGossipBlockBytes); });
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  GossipThenBlock r;
  for (const auto& d : app.deliveries) r.at[d.node] = d.t;
  r.sent0 = sim.bytes_sent(0);
  for (NodeId v = 1; v <= kGossipPeers; ++v) r.received.push_back(sim.bytes_received(v));
  return r;
}

/// Leaf k's block arrival when the block's copies leave node 0's uplink from `first_copy_s`.
double gossip_block_arrival(double first_copy_s, NodeId k) {
  return first_copy_s + static_cast<double>(k * kGossipBlockBytes) / kGossipLinkBps + 0.050;
}

/// The byte counters are those of today's analytic gossip plus the block's flood, whether or
/// not gossip occupies the links.
void check_gossip_bytes(const GossipThenBlock& r) {
  CHECK(r.sent0 == kGossipPeers * (kTxGossipBytesPerPeer + kGossipBlockBytes));
  for (std::uint64_t b : r.received) CHECK(b == kTxGossipBytesPerPeer + kGossipBlockBytes);
}

}  // namespace

TEST_CASE("runtime: tx gossip occupies the uplink and a later block waits behind it") {
  // The 1.0 s window's gossip, 4 x 25 kB = 100 kB from node 0, is reserved on its uplink at the
  // window's end: [1.1, 1.2) at 1 MB/s. The block departs at 1.15 s, so its copies start at
  // 1.2 s, 50 ms later than on idle links (each leaf's 25 kB share on its downlink, [1.1,
  // 1.125), is over before a copy reaches it).
  const GossipThenBlock r = run_gossip_then_block(gossip_star());
  const double uplink_free_s =
      kGossipWindowEndS +
      static_cast<double>(kGossipPeers * kTxGossipBytesPerPeer) / kGossipLinkBps;
  REQUIRE(uplink_free_s > kGossipBlockAtS);
  REQUIRE(r.at.size() == kGossipPeers);
  for (NodeId k = 1; k <= kGossipPeers; ++k) {
    CAPTURE(k);
    CHECK(r.at.at(k) == doctest::Approx(gossip_block_arrival(uplink_free_s, k)).epsilon(1e-9));
    CHECK(r.at.at(k) - gossip_block_arrival(kGossipBlockAtS, k) ==
          doctest::Approx(0.05).epsilon(1e-6));
  }
  check_gossip_bytes(r);
}

TEST_CASE("runtime: tx gossip occupies each receiver's downlink for its share") {
  // As above with 125 kB/s downlinks: leaf 1's 25 kB share of the 1.0 s window is reserved on its
  // downlink at the window's end, [1.1, 1.3). A 1 kB message from leaf 2 to leaf 1 sent at 1.15 s
  // leaves 2's idle uplink in 1 ms and may enter 1's downlink from 1.2 s (latency) for 8 ms: it
  // waits for the gossip and arrives at 1.308 s instead of 1.208 s.
  Scenario s = gossip_star();
  s.network.bandwidth.download_mbps = 1;  // 125 kB/s
  constexpr double kDownBps = 125'000;
  constexpr std::uint64_t kMessageBytes = 1000;
  Simulation sim(s);
  Script app([&] {
    sim.at(kGossipAtS, [&] { sim.account_broadcast_bytes(0, kTxGossipBytesPerPeer); });
    sim.at(kGossipBlockAtS, [&] { sim.send(2, 1, 1, nullptr, kMessageBytes); });
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  const double downlink_free_s =
      kGossipWindowEndS + static_cast<double>(kTxGossipBytesPerPeer) / kDownBps;
  const double idle_arrival_s =
      kGossipBlockAtS + 0.050 + static_cast<double>(kMessageBytes) / kDownBps;
  REQUIRE(downlink_free_s > kGossipBlockAtS + 0.050);
  REQUIRE(app.deliveries.size() == 1);
  CHECK(app.deliveries[0].node == 1);
  CHECK(app.deliveries[0].t ==
        doctest::Approx(downlink_free_s + static_cast<double>(kMessageBytes) / kDownBps));
  CHECK(app.deliveries[0].t - idle_arrival_s == doctest::Approx(0.1).epsilon(1e-6));
  CHECK(sim.bytes_received(1) == kTxGossipBytesPerPeer + kMessageBytes);
}

namespace {

/// Runs gossip_then_block on `s` and checks that every leaf gets the block when it would without
/// gossip on the links (gossip_block_arrival) and that gossip bytes are still counted.
void check_block_time_unchanged(const Scenario& s) {
  const GossipThenBlock r = run_gossip_then_block(s);
  REQUIRE(r.at.size() == kGossipPeers);
  for (NodeId k = 1; k <= kGossipPeers; ++k) {
    CAPTURE(k);
    CHECK(r.at.at(k) == doctest::Approx(gossip_block_arrival(kGossipBlockAtS, k)).epsilon(1e-9));
  }
  check_gossip_bytes(r);
}

}  // namespace

TEST_CASE("runtime: tx gossip off leaves the block time unchanged") {
  Scenario s = gossip_star();
  s.workload.gossip = false;
  check_block_time_unchanged(s);
}

TEST_CASE("runtime: tx gossip without shared links leaves the block time unchanged") {
  Scenario s = gossip_star();
  s.network.dissemination.shared_links = false;
  check_block_time_unchanged(s);
}

TEST_CASE("runtime: tx gossip with direct dissemination leaves the block time unchanged") {
  // Direct: the block is one point-to-point copy per leaf (from+1, from+2, ...), the same times.
  Scenario s = gossip_star();
  s.network.dissemination.mode = "direct";
  check_block_time_unchanged(s);
}

TEST_CASE("runtime: flow model: a lone transfer takes latency + size / min(up, down)") {
  // SimGrid communication over the sender's 1 MB/s uplink and the receiver's 0.5 MB/s downlink:
  // 1,000,000 bytes take 2 s at the slower link, then the 50 ms latency.
  Scenario s = base(4);
  s.network.bandwidth.upload_mbps = 8;
  s.network.bandwidth.download_mbps = 4;
  s.network.bulk_transfer_model = "flow";
  Simulation sim(s);
  Script app([&] {
    sim.send(0, 1, 1, nullptr, 1'000'000, 0.5);
    sim.send(2, 3, 1, nullptr, 100);  // below bulk_min_bytes: the fast path, 100 B at 0.5 MB/s
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 2);
  CHECK(app.deliveries[0].node == 3);
  CHECK(app.deliveries[0].t == doctest::Approx(0.05 + 100 / 0.5e6).epsilon(1e-12));
  CHECK(app.deliveries[1].node == 1);
  CHECK(app.deliveries[1].t == doctest::Approx(0.5 + 2.0 + 0.05).epsilon(1e-9));
  CHECK(sim.bytes_sent(0) == 1'000'000);
  CHECK(sim.recorder().summary()["metrics"]["flow_transfers"]["value"] == 1);
}

TEST_CASE("runtime: flow model: two concurrent broadcasts from one node share its uplink") {
  // Star: centre 0 and 4 leaves, 100 kB blocks, 1 MB/s links, 50 ms latency, no processing.
  // One broadcast: 4 flows share the centre's uplink (max-min: 0.25 MB/s each), all end at
  // 0.4 s. Two at once: 8 flows, 800 kB through one 1 MB/s uplink: every copy ends at 0.8 s and
  // arrives 50 ms later -- the time the shared uplink implies (FCFS: the same last arrival, but
  // the first copy at 0.15 s).
  Scenario s = base(5);
  s.network.bandwidth.upload_mbps = 8;
  s.network.bandwidth.download_mbps = 8;
  s.network.topology.kind = "star";
  s.network.dissemination.mode = "flood";
  s.network.bulk_transfer_model = "flow";
  Simulation sim(s);
  Script app([&] {
    sim.at(1.0, [&] { sim.broadcast(0, 1, nullptr, 100'000); });
    sim.at(3.0, [&] {
      sim.broadcast(0, 1, nullptr, 100'000);
      sim.broadcast(0, 1, nullptr, 100'000);
    });
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 12);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(app.deliveries[i].t == doctest::Approx(1.0 + 0.4 + 0.05).epsilon(1e-9));
  }
  for (std::size_t i = 4; i < 12; ++i) {
    CHECK(app.deliveries[i].t == doctest::Approx(3.0 + 0.8 + 0.05).epsilon(1e-9));
  }
  const nlohmann::json m = sim.recorder().summary()["metrics"];
  CHECK(m["flow_transfers"]["value"] == 12);
  CHECK(m["broadcasts_gossiped"]["value"] == 3);
  CHECK(m["propagation_t100_s"]["max"].get<double>() == doctest::Approx(0.85).epsilon(1e-9));
  CHECK(sim.bytes_sent(0) == 1'200'000);
}

TEST_CASE("runtime: flow model: flood on a ring matches the hand-computed times") {
  // As "flood on a ring" with every copy a SimGrid flow: a node's two copies (only the source
  // sends two) share its uplink, so 1 and 5 both get theirs at 0.002 + 0.050; the rest of the
  // ring is one copy per uplink at a time: +0.010 processing, +0.001 transfer, +0.050 latency.
  Scenario s = base(6);
  s.network.bandwidth.upload_mbps = 8;
  s.network.topology.kind = "ring";
  s.network.dissemination.mode = "flood";
  s.network.dissemination.processing_delay_ms = 10;
  s.network.bulk_transfer_model = "flow";
  s.network.bulk_min_bytes = 1;
  Simulation sim(s);
  Script app([&] { sim.at(1.0, [&] { sim.broadcast(0, 1, nullptr, 1000); }); });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 5);
  std::map<NodeId, double> at;
  for (const auto& d : app.deliveries) at[d.node] = d.t;
  CHECK(at.at(1) == doctest::Approx(1.052).epsilon(1e-9));
  CHECK(at.at(5) == doctest::Approx(1.052).epsilon(1e-9));
  CHECK(at.at(2) == doctest::Approx(1.113).epsilon(1e-9));
  CHECK(at.at(4) == doctest::Approx(1.113).epsilon(1e-9));
  CHECK(at.at(3) == doctest::Approx(1.174).epsilon(1e-9));
}

TEST_CASE("runtime: flow model over a platform file uses its link bandwidths") {
  // tests/data/platforms/narrow-link.xml: a -> b over a 1 MBps link, a -> c over a 100 kBps
  // one, 10 ms each. A 100 kB block takes 0.1 s to b and 1 s to c (the narrow link), plus the
  // route's 10 ms; network.bandwidth (1000 Mbit/s) is not what limits them.
  Scenario s = base(4);
  s.network.platform_xml =
      std::string(PIPESIM_SOURCE_DIR) + "/tests/data/platforms/narrow-link.xml";
  s.network.bulk_transfer_model = "flow";
  s = parse_scenario(to_json(s));
  Simulation sim(s);
  Script app([&] {
    sim.send(0, 1, 1, nullptr, 100'000);
    sim.send(0, 2, 1, nullptr, 100'000);
  });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 2);
  CHECK(app.deliveries[0].node == 1);
  CHECK(app.deliveries[0].t == doctest::Approx(0.01 + 0.1).epsilon(1e-9));
  CHECK(app.deliveries[1].node == 2);
  CHECK(app.deliveries[1].t == doctest::Approx(0.01 + 1.0).epsilon(1e-9));
}

TEST_CASE("runtime: platform_xml maps validators onto hosts and takes route latencies") {
  Scenario s = base(4);
  s.network.platform_xml = "platforms/small_platform.xml";
  s = parse_scenario(to_json(s));  // resolves the path against the data folder
  Simulation sim(s);
  Script app([&] { sim.send(0, 1, 1, nullptr, 0); });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 1);
  // Hosts in name order: Boivin, Bourassa, Fafard, Ginette, ...: the route Boivin -> Bourassa
  // is a positive sum of link latencies, and base_latency_s reports the same value.
  CHECK(app.deliveries[0].t > 0.0);
  CHECK(app.deliveries[0].t == doctest::Approx(sim.base_latency_s(0, 1)).epsilon(1e-12));
}

TEST_CASE("runtime: platform_xml with fewer hosts than validators names the key") {
  Scenario s = base(40);
  s.network.platform_xml = "platforms/small_platform.xml";
  s = parse_scenario(to_json(s));
  std::string err;
  try {
    Simulation sim(s);
  } catch (const ScenarioError& e) {
    err = e.what();
  }
  CHECK(err.find("network.platform_xml: platform") == 0);
  CHECK(err.find("expected at least network.validators (40) hosts") != std::string::npos);
}

TEST_CASE("runtime: flood over a platform's routes") {
  // Ring 0-1-2-3-0 over small_platform.xml's first 4 hosts, 1-byte message at 1 Gbit/s: node 1
  // gets it after the route latency 0 -> 1 (+ 8 ns on the uplink), node 2 by the faster side.
  Scenario s = base(4);
  s.network.platform_xml = "platforms/small_platform.xml";
  s.network.topology.kind = "ring";
  s.network.dissemination.mode = "flood";
  s = parse_scenario(to_json(s));
  Simulation sim(s);
  Script app([&] { sim.broadcast(0, 1, nullptr, 1); });
  app.now = [&] { return sim.now(); };
  sim.run(app);
  REQUIRE(app.deliveries.size() == 3);
  std::map<NodeId, double> at;
  for (const auto& d : app.deliveries) at[d.node] = d.t;
  const double l01 = sim.base_latency_s(0, 1), l03 = sim.base_latency_s(0, 3);
  CHECK(l01 > 0.0);
  CHECK(at.at(1) == doctest::Approx(l01).epsilon(1e-6));
  CHECK(at.at(3) == doctest::Approx(l03).epsilon(1e-6));
  const double via1 = l01 + sim.base_latency_s(1, 2), via3 = l03 + sim.base_latency_s(3, 2);
  CHECK(at.at(2) == doctest::Approx(std::min(via1, via3)).epsilon(1e-6));
}

TEST_CASE("runtime: an exception in the application stops the run and reaches the caller") {
  Simulation sim(base(4));
  struct Throwing : Application {
    Simulation* sim = nullptr;
    void on_start() override { sim->set_timer(1, 0.5, 7); }
    void on_deliver(NodeId, NodeId, std::uint16_t, const std::shared_ptr<const void>&) override {}
    void on_timer(NodeId, std::uint64_t) override { throw std::bad_alloc(); }
    void on_finish() override {}
  } throwing;
  throwing.sim = &sim;
  CHECK_THROWS_AS(sim.run(throwing), std::bad_alloc);  // not an abort inside SimGrid
}

TEST_CASE("runtime: an exception in an execution job stops the run and reaches the caller") {
  Simulation sim(base(4));
  Script app([&] {
    sim.run_execution(0, CpuJob{{1}, 1.0},
                      [](double) { throw std::runtime_error("job callback"); });
  });
  app.now = [&] { return sim.now(); };
  CHECK_THROWS_WITH_AS(sim.run(app), "job callback", std::runtime_error);
}

TEST_CASE("runtime: a non-finite CPU duration is an error, not a SimGrid abort") {
  Simulation sim(base(4));
  Script app([&] {
    sim.run_execution(0, CpuJob{{std::numeric_limits<double>::infinity()}, 1.0}, [](double) {});
  });
  CHECK_THROWS_AS(sim.run(app), std::runtime_error);
}

TEST_CASE("runtime: request_stop ends the run with RunInterrupted") {
  Simulation sim(base(4));
  Script app([&] { request_stop(15); });
  try {
    sim.run(app);
    FAIL("no RunInterrupted");
  } catch (const RunInterrupted& e) {
    CHECK(e.signal() == 15);
  }
  CHECK(stop_requested() == 15);
}
