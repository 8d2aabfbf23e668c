// Transport benchmark: all-to-all rounds through pipesim's runtime on SimGrid.
//
// Every validator broadcasts one 0-byte message per round and starts the next round once it has
// received the n - 1 messages of the current one (the workload of ../shared/docs/
// simgrid-guide.md's "message throughput" table: 100 x 20 = 198,000 messages took 6.9 s with
// detached SimGrid puts and 1.2 s keeping the CommPtrs). Target: >= 1,000,000 delivered messages
// per wall second on 100 x 20, and a 1,000-node run that finishes.
//
//   transport_bench [nodes=100] [rounds=20] [latency=constant|uniform]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "sim/recorder.hpp"
#include "sim/simulation.hpp"

using namespace pipesim;

namespace {

class AllToAll final : public sim::Application {
 public:
  AllToAll(sim::Runtime& rt, std::uint32_t rounds)
      : rt_(rt), rounds_(rounds), received_(rt.validators(), 0), round_(rt.validators(), 0) {}
  void on_start() override {
    for (sim::NodeId i = 0; i < rt_.validators(); ++i) rt_.broadcast(i, 1, nullptr, 0);
  }
  void on_deliver(sim::NodeId node, sim::NodeId, std::uint16_t,
                  const std::shared_ptr<const void>&) override {
    ++delivered_;
    if (++received_[node] == rt_.validators() - 1) {
      received_[node] = 0;
      if (++round_[node] < rounds_) rt_.broadcast(node, 1, nullptr, 0);
    }
  }
  void on_timer(sim::NodeId, std::uint64_t) override {}
  void on_finish() override {}
  std::uint64_t delivered() const { return delivered_; }

 private:
  sim::Runtime& rt_;
  std::uint32_t rounds_;
  std::vector<std::uint32_t> received_;
  std::vector<std::uint32_t> round_;
  std::uint64_t delivered_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t nodes = argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 100;
  const std::uint32_t rounds = argc > 2 ? static_cast<std::uint32_t>(std::atoi(argv[2])) : 20;
  const std::string latency = argc > 3 ? argv[3] : "constant";
  sim::Scenario s;
  s.name = "transport-bench";
  s.duration_s = 1e6;
  s.network.validators = nodes;
  s.network.latency.model = latency;
  s.network.latency.constant_ms = 50;
  s.network.latency.min_ms = 10;
  s.network.latency.max_ms = 100;
  s.outputs.trace = false;
  sim::Simulation simulation(s);
  AllToAll app(simulation, rounds);
  const auto t0 = std::chrono::steady_clock::now();
  const sim::RunStats stats = simulation.run(app);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t expected = std::uint64_t{nodes} * (nodes - 1) * rounds;
  fmt::print(
      "transport_bench: {} nodes x {} rounds, {} latency: {} messages delivered (expected "
      "{}) in {:.3f} s wall = {:.0f} messages/s; simulated {:.3f} s\n",
      nodes, rounds, latency, app.delivered(), expected, wall,
      static_cast<double>(app.delivered()) / wall, stats.simulated_s);
  return app.delivered() == expected ? 0 : 1;
}
