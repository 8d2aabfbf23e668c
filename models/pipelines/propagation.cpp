#include "models/pipelines/propagation.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
      const double depart = depart_s(b);
      received_[b][b] = 0.0;
      auto block = std::make_shared<const Block>(Block{b, scenario_.pipeline.block_size_bytes});
      if (depart == 0.0) {
        rt_.recorder().block_stage(b, ref(b), "proposed", 0.0);
        rt_.broadcast(b, kBlockChannel, block, block->size_bytes, 0.0);
      } else {
        rt_.at(depart, [this, b, block, depart] {
          if (rt_.is_crashed(b)) return;
          rt_.recorder().block_stage(b, ref(b), "proposed", depart);
          rt_.broadcast(b, kBlockChannel, block, block->size_bytes, depart);
        });
      }
    }
  }

  void on_deliver(sim::NodeId node, sim::NodeId, std::uint16_t channel,
                  const std::shared_ptr<const void>& payload) override {
    if (channel != kBlockChannel) return;
    const auto& block = *static_cast<const Block*>(payload.get());
    double& t = received_[block.index][node];
    if (t != kNever) return;                // a duplicate (direct mode never sends one)
    t = rt_.now() - depart_s(block.index);  // since the block's broadcast
    rt_.recorder().block_stage(node, ref(block.index), "received", rt_.now());
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
    record_regions(rec);
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

  /// The ceil(q * size)-th smallest of sorted `t` (kNever if empty).
  static double fraction_time(const std::vector<double>& t, double q) {
    if (t.empty()) return kNever;
    const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(t.size()) - 1e-9));
    return t[std::max<std::size_t>(k, 1) - 1];
  }
  static nlohmann::json time_json(double t) {
    return t == kNever ? nlohmann::json() : nlohmann::json(t);
  }

  /// Per block and per region (when the latency model has regions): t50 / t90 / t100 over the
  /// live validators of each region, and the pooled arrival-time quantiles per region (the
  /// arrival-time CDF that `pipesim plot` draws).
  void record_regions(sim::Recorder& rec) {
    const std::uint32_t n = scenario_.network.validators;
    if (rt_.region_of(0).empty()) return;
    std::map<std::string, std::vector<std::uint32_t>> members;  // region -> live validators
    std::vector<std::string> region(n);
    for (std::uint32_t v = 0; v < n; ++v) {
      region[v] = rt_.region_of(v);
      if (!rt_.is_crashed(v)) members[region[v]].push_back(v);
    }
    nlohmann::json per_block = nlohmann::json::array();
    std::map<std::string, std::vector<double>> pooled;
    std::map<std::string, std::array<std::vector<double>, 3>> by_region;  // t50, t90, t100
    for (std::uint32_t b = 0; b < sources_; ++b) {
      if (rt_.is_crashed(b) && received_[b][b] == kNever) continue;
      nlohmann::json regions = nlohmann::json::object();
      for (const auto& [name, nodes] : members) {
        std::vector<double> t;
        for (std::uint32_t v : nodes) t.push_back(received_[b][v]);
        std::sort(t.begin(), t.end());
        pooled[name].insert(pooled[name].end(), t.begin(), t.end());
        const double q[3] = {fraction_time(t, 0.5), fraction_time(t, 0.9), fraction_time(t, 1.0)};
        for (int i = 0; i < 3; ++i) {
          if (q[i] != kNever) by_region[name][i].push_back(q[i]);
        }
        regions[name] = {{"nodes", nodes.size()},
                         {"t50_s", time_json(q[0])},
                         {"t90_s", time_json(q[1])},
                         {"t100_s", time_json(q[2])}};
      }
      per_block.push_back({{"block", b}, {"source_region", region[b]}, {"regions", regions}});
    }
    rec.metric("block_propagation_per_block_by_region",
               {{"value", std::move(per_block)}, {"unit", "s"}});
    const auto mean = [](const std::vector<double>& v) {
      if (v.empty()) return nlohmann::json();
      double sum = 0.0;
      for (double x : v) sum += x;
      return nlohmann::json(sum / static_cast<double>(v.size()));
    };
    nlohmann::json summary = nlohmann::json::object();
    nlohmann::json quantiles = nlohmann::json::object();
    std::vector<double> qs;
    for (int i = 0; i <= 100; ++i) qs.push_back(i / 100.0);
    for (auto& [name, t] : pooled) {
      const auto& r = by_region[name];
      summary[name] = {{"nodes", members[name].size()},
                       {"t50_s_mean", mean(r[0])},
                       {"t90_s_mean", mean(r[1])},
                       {"t100_s_mean", mean(r[2])}};
      std::sort(t.begin(), t.end());
      nlohmann::json row = nlohmann::json::array();
      for (double q : qs) row.push_back(time_json(q == 0.0 ? t.front() : fraction_time(t, q)));
      quantiles[name] = std::move(row);
    }
    rec.metric("block_propagation_by_region", {{"value", std::move(summary)}, {"unit", "s"}});
    rec.metric("block_arrival_quantiles_by_region",
               {{"value", std::move(quantiles)}, {"quantiles", qs}, {"unit", "s"}});
  }

  double depart_s(std::uint32_t b) const {
    return b * scenario_.pipeline.propagation_interval_ms / 1000.0;
  }

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
