// Measured error of pipesim's transport arithmetic (sim/transport.hpp) against SimGrid's flow
// model (CM02 with unit latency/bandwidth factors) on the same star platform: every host has a
// private uplink (carrying the one-way latency) and downlink of the same bandwidth.
//
// Cases: a single transfer; a broadcast of one message to k peers at once (SimGrid shares the
// uplink fairly among the k flows, pipesim sends them one after another); k senders to one
// receiver at once (downlink sharing). Prints per case the last and mean arrival of both models.
//
//   flow_model_check [size_bytes=1000000] [bandwidth_mbps=100] [latency_ms=50] [k=10]
#include <fmt/format.h>
#include <xbt/log.h>
#include <simgrid/s4u.hpp>

#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "sim/transport.hpp"

namespace sg4 = simgrid::s4u;

namespace {

struct Flow {
  int from;
  int to;
};

std::vector<double> simgrid_arrivals(const std::vector<sg4::Host*>& hosts,
                                     const std::vector<Flow>& flows, double size) {
  std::vector<double> arrivals(flows.size(), 0.0);
  sg4::Actor::create("driver", hosts[0], [&]() {
    std::vector<sg4::CommPtr> comms;
    comms.reserve(flows.size());
    for (const Flow& f : flows) {
      comms.push_back(sg4::Comm::sendto_async(hosts[f.from], hosts[f.to], size));
    }
    std::vector<bool> done(flows.size(), false);
    for (std::size_t left = flows.size(); left > 0; --left) {
      // Wait for the next one to finish and record its completion time.
      std::vector<sg4::CommPtr> pending;
      std::vector<std::size_t> index;
      for (std::size_t i = 0; i < comms.size(); ++i) {
        if (!done[i]) {
          pending.push_back(comms[i]);
          index.push_back(i);
        }
      }
      const ssize_t k = sg4::Comm::wait_any(pending);
      done[index[k]] = true;
      arrivals[index[k]] = sg4::Engine::get_clock();
    }
  });
  sg4::Engine::get_instance()->run();
  return arrivals;
}

}  // namespace

int main(int argc, char** argv) {
  const double size = argc > 1 ? std::atof(argv[1]) : 1e6;
  const double mbps = argc > 2 ? std::atof(argv[2]) : 100;
  const double latency_ms = argc > 3 ? std::atof(argv[3]) : 50;
  const int k = argc > 4 ? std::atoi(argv[4]) : 10;
  const double Bps = mbps * 1e6 / 8;
  const int n = k + 1;

  struct Case {
    std::string name;
    std::vector<Flow> flows;
  };
  std::vector<Case> cases;
  cases.push_back({"single transfer 0->1", {{0, 1}}});
  Case bcast{fmt::format("broadcast 0->{{1..{}}}", k), {}};
  for (int i = 1; i <= k; ++i) bcast.flows.push_back({0, i});
  cases.push_back(bcast);
  Case incast{fmt::format("incast {{1..{}}}->0", k), {}};
  for (int i = 1; i <= k; ++i) incast.flows.push_back({i, 0});
  cases.push_back(incast);

  // SimGrid: one engine per process, so the three cases run as three phases of one engine.
  sg4::Engine e(&argc, argv);
  xbt_log_control_set("root.thres:critical");
  sg4::Engine::set_config("network/model:CM02");
  sg4::Engine::set_config("network/latency-factor:1");
  sg4::Engine::set_config("network/bandwidth-factor:1");
  auto* zone = sg4::create_star_zone("star");
  std::vector<sg4::Host*> hosts;
  for (int i = 0; i < n; ++i) {
    std::string name = "h";
    name += std::to_string(i);
    auto* h = zone->create_host(name, 1e9);
    auto* up = zone->create_link(name + "_up", Bps)->set_latency(latency_ms / 1000)->seal();
    auto* down = zone->create_link(name + "_down", Bps)->seal();
    zone->add_route(h->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(up)}, false);
    zone->add_route(nullptr, h->get_netpoint(), nullptr, nullptr, {sg4::LinkInRoute(down)}, false);
    hosts.push_back(h);
  }
  zone->seal();

  fmt::print("flow_model_check: {} bytes, {} Mbit/s links, {} ms one-way, k = {}\n", size, mbps,
             latency_ms, k);
  fmt::print("{:<24} {:>14} {:>14} {:>9} {:>14} {:>14} {:>9}\n", "case", "simgrid last s",
             "pipesim last s", "error", "simgrid mean s", "pipesim mean s", "error");
  double offset = 0;
  for (const Case& c : cases) {
    std::vector<double> sg = simgrid_arrivals(hosts, c.flows, size);
    for (double& t : sg) t -= offset;
    offset += *std::max_element(sg.begin(), sg.end());
    pipesim::sim::Transport transport(
        n, [&](std::uint32_t, std::uint32_t) { return latency_ms / 1000; }, 0.0, Bps, Bps, 1);
    std::vector<double> ours;
    for (const Flow& f : c.flows) ours.push_back(transport.schedule(f.from, f.to, size, 0.0));
    auto last = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
    auto mean = [](const std::vector<double>& v) {
      return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    };
    fmt::print("{:<24} {:>14.6f} {:>14.6f} {:>8.2f}% {:>14.6f} {:>14.6f} {:>8.2f}%\n", c.name,
               last(sg), last(ours), 100 * (last(ours) - last(sg)) / last(sg), mean(sg), mean(ours),
               100 * (mean(ours) - mean(sg)) / mean(sg));
  }
  return 0;
}
