#include "models/pipelines/propagation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "sim/recorder.hpp"

namespace pipesim::pipelines {
namespace {

constexpr std::uint16_t kBlockChannel = 1;

/// The block a source broadcasts (shared by every delivery, never copied).
struct Block {
  std::uint32_t index;  // 0 .. sources-1
  std::uint64_t size_bytes;
};

class Propagation final : public sim::Application {
 public:
  Propagation(const sim::Scenario& scenario, sim::Runtime& rt)
      : scenario_(scenario),
        rt_(rt),
        sources_(std::min(scenario.pipeline.propagation_sources, scenario.network.validators)),
        received_(sources_, std::vector<double>(scenario.network.validators, kNever)) {}

  void on_start() override {
    for (std::uint32_t b = 0; b < sources_; ++b) {
      if (rt_.is_crashed(b)) continue;
      received_[b][b] = 0.0;
      rt_.recorder().block_stage(b, ref(b), "proposed", 0.0);
      auto block = std::make_shared<const Block>(Block{b, scenario_.pipeline.block_size_bytes});
      rt_.broadcast(b, kBlockChannel, block, block->size_bytes, 0.0);
    }
  }

  void on_deliver(sim::NodeId node, sim::NodeId, std::uint16_t channel,
                  const std::shared_ptr<const void>& payload) override {
    if (channel != kBlockChannel) return;
    const auto& block = *static_cast<const Block*>(payload.get());
    double& t = received_[block.index][node];
    if (t != kNever) return;  // a duplicate (direct mode never sends one)
    t = rt_.now();
    rt_.recorder().block_stage(node, ref(block.index), "received", t);
  }

  void on_timer(sim::NodeId, std::uint64_t) override {}

  void on_finish() override {
    sim::Recorder& rec = rt_.recorder();
    const std::uint32_t n = scenario_.network.validators;
    std::vector<double> t50, t90, t100;
    std::uint64_t complete = 0, broadcast = 0;
    for (std::uint32_t b = 0; b < sources_; ++b) {
      if (received_[b][b] == kNever) continue;  // the source was down at time 0
      ++broadcast;
      std::vector<double> live;
      for (std::uint32_t v = 0; v < n; ++v) {
        if (!rt_.is_crashed(v)) live.push_back(received_[b][v]);
      }
      std::sort(live.begin(), live.end());
      const auto at = [&](double q) {
        const auto k =
            static_cast<std::size_t>(std::ceil(q * static_cast<double>(live.size()) - 1e-9));
        return live[std::max<std::size_t>(k, 1) - 1];
      };
      if (at(0.5) != kNever) t50.push_back(at(0.5));
      if (at(0.9) != kNever) t90.push_back(at(0.9));
      if (at(1.0) != kNever) {
        t100.push_back(at(1.0));
        ++complete;
      }
    }
    rec.sample_metric("block_propagation_t50_s", t50, "s");
    rec.sample_metric("block_propagation_t90_s", t90, "s");
    rec.sample_metric("block_propagation_t100_s", t100, "s");
    rec.metric("blocks_broadcast", {{"value", broadcast}, {"unit", "blocks"}});
    rec.metric("blocks_fully_propagated", {{"value", complete}, {"unit", "blocks"}});
    rec.metric("block_size_bytes",
               {{"value", scenario_.pipeline.block_size_bytes}, {"unit", "bytes"}});
    // Reaching every validator is liveness, not safety: a crashed source, lost messages or a
    // run shorter than the propagation time leave blocks incomplete without anything being
    // wrong, so it is reported here (not as an invariant, whose failure exits 3).
    rec.section("liveness",
                {{"blocks_broadcast", broadcast},
                 {"blocks_fully_propagated", complete},
                 {"sources_down_at_start", sources_ - broadcast},
                 {"progress_stopped", complete < broadcast},
                 {"detail", std::to_string(complete) + " of " + std::to_string(broadcast) +
                                " broadcast blocks reached every validator up at the end"}});
  }

 private:
  static constexpr double kNever = std::numeric_limits<double>::infinity();

  static sim::BlockRef ref(std::uint32_t b) {
    return sim::BlockRef{1, b, 0, b};  // height 1, block id = source index, round 0
  }

  const sim::Scenario& scenario_;
  sim::Runtime& rt_;
  std::uint32_t sources_;
  std::vector<std::vector<double>> received_;  // [block][node] arrival time (s), kNever if not
};

}  // namespace

std::unique_ptr<sim::Application> make_propagation(const sim::Scenario& scenario,
                                                   sim::Runtime& runtime) {
  return std::make_unique<Propagation>(scenario, runtime);
}

}  // namespace pipesim::pipelines
