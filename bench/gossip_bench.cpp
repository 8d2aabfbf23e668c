// gossip_bench: one block's propagation (no execution) over Boost.Graph topologies with measured
// latency presets (models/network). Prints wall time per phase and the 50/90/100 % propagation
// times. Usage: gossip_bench [n=10000] [degree=8] [block_bytes=1000000]
// Peak memory: run under /usr/bin/time -v.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/core.h>

#include "models/network/gossip.hpp"
#include "models/network/presets.hpp"
#include "models/network/topology.hpp"
#include "models/network/vivaldi.hpp"

namespace net = pipesim::network;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void run(const char* label, const net::Topology& topo, const net::LatencyModel& lat,
         const net::BandwidthModel& bw, const net::GossipParams& p) {
  const auto t0 = std::chrono::steady_clock::now();
  const net::GossipResult r = net::simulate_gossip(topo, lat, bw, 0, p);
  const double wall = seconds_since(t0);
  fmt::print(
      "  {:<48} reached {:>6}  t50 {:7.3f} s  t90 {:7.3f} s  t100 {:7.3f} s  msgs {:>8}  "
      "MB {:>9.1f}  dup {:>7}  wall {:6.1f} ms\n",
      label, r.reached, r.t50_s, r.t90_s, r.t100_s, r.messages, static_cast<double>(r.bytes) / 1e6,
      r.duplicate_copies, wall * 1e3);
}

void bench(std::uint32_t n, std::uint32_t degree, std::uint64_t block_bytes) {
  fmt::print("n = {}, random_regular degree {}, block {} bytes, processing 10 ms/hop\n", n, degree,
             block_bytes);
  auto t0 = std::chrono::steady_clock::now();
  net::TopologyParams tp;
  tp.kind = net::TopologyKind::kRandomRegular;
  tp.n = n;
  tp.degree = degree;
  tp.seed = 1;
  const net::Topology topo = net::build_topology(tp);
  fmt::print("  topology build {:.1f} ms\n", seconds_since(t0) * 1e3);
  t0 = std::chrono::steady_clock::now();
  const net::TopologyStats s = net::topology_stats(topo);
  fmt::print("  stats {:.1f} ms: degree min/mean/max {}/{:.2f}/{}, diameter {} ({})\n",
             seconds_since(t0) * 1e3, s.min_degree, s.mean_degree, s.max_degree, s.diameter,
             s.diameter_exact ? "exact" : "double-sweep lower bound");

  t0 = std::chrono::steady_clock::now();
  const net::SimblockRegions sb = net::load_simblock_regions(net::simblock_regions_path());
  const net::LatencyModel region =
      net::simblock_latency(n, sb, net::SimblockYear::k2019, "bitcoin_2019", false);
  const net::BandwidthModel sb_bw =
      net::simblock_access_bandwidth(sb, net::SimblockYear::k2019, region);
  const auto peers = net::load_syscoord(net::syscoord_path("meridian"));
  const net::LatencyModel viv = net::vivaldi_latency(
      n, peers, n <= peers.size() ? net::PeerSelection::kSample : net::PeerSelection::kWrap, 1);
  const net::BandwidthModel gbit(n, net::BandwidthParams{1000.0, 1000.0});
  fmt::print("  models {:.1f} ms\n", seconds_since(t0) * 1e3);

  net::GossipParams p;
  p.message_bytes = block_bytes;
  p.processing_delay_s = 0.010;
  p.mode = net::GossipMode::kFlood;
  run("flood, SimBlock 2019 regions, 1 Gbit/s", topo, region, gbit, p);
  run("flood, SimBlock 2019 regions + bandwidth", topo, region, sb_bw, p);
  run("flood, Vivaldi meridian, 1 Gbit/s", topo, viv, gbit, p);
  p.jitter = true;
  run("flood, SimBlock 2019 + Pareto jitter, 1 Gbit/s", topo, region.with_pareto_jitter(), gbit, p);
  p.jitter = false;
  p.mode = net::GossipMode::kPush;
  p.fanout = 4;
  run("push fanout 4, SimBlock 2019 regions, 1 Gbit/s", topo, region, gbit, p);
  p.mode = net::GossipMode::kPushPull;
  p.fanout = static_cast<std::uint32_t>(std::lround(std::sqrt(degree)));
  run(fmt::format("push_pull fanout {}, SimBlock 2019, 1 Gbit/s", p.fanout).c_str(), topo, region,
      gbit, p);
  run(fmt::format("push_pull fanout {}, SimBlock 2019 + bandwidth", p.fanout).c_str(), topo, region,
      sb_bw, p);
}

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<std::uint32_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000);
  const auto degree = static_cast<std::uint32_t>(argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 8);
  const std::uint64_t block = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1'000'000;
  const auto t0 = std::chrono::steady_clock::now();
  bench(n, degree, block);
  fmt::print("total wall {:.1f} ms\n", seconds_since(t0) * 1e3);
  return 0;
}
