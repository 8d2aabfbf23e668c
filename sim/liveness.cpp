#include "sim/liveness.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace pipesim::sim {
namespace {

/// Down intervals per node from the schedule (as FaultInjector builds them).
bool down_at_end(const Scenario& s, std::uint32_t v) {
  std::vector<std::pair<double, bool>> t;
  for (std::uint32_t c : s.faults.crashed) {
    if (c == v) t.emplace_back(s.faults.crash_at_s, true);
  }
  for (const FaultEvent& e : s.faults.events) {
    if (e.kind != "crash" && e.kind != "recover") continue;
    if (std::find(e.nodes.begin(), e.nodes.end(), v) != e.nodes.end()) {
      t.emplace_back(e.at_s, e.kind == "crash");
    }
  }
  std::stable_sort(t.begin(), t.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return !t.empty() && t.back().second;
}

/// Highest height committed by any node at or before `t`.
std::uint64_t height_at(const std::vector<CommitPoint>& by_time, double t) {
  std::uint64_t h = 0;
  for (const CommitPoint& c : by_time) {
    if (c.time_s > t) break;
    h = std::max(h, c.height);
  }
  return h;
}

/// First time >= `after` at which `node` commits a height >= `target` (or before `after` if it
/// already had): returns max(0, that - after), or -1 if never.
double reach(const std::vector<CommitPoint>& by_time, std::uint32_t node, std::uint64_t target,
             double after) {
  for (const CommitPoint& c : by_time) {
    if (c.node == node && c.height >= target) return std::max(0.0, c.time_s - after);
  }
  return -1.0;
}

}  // namespace

nlohmann::json liveness_report(const Scenario& s, std::vector<CommitPoint> commits, double end_s) {
  using nlohmann::json;
  std::stable_sort(commits.begin(), commits.end(),
                   [](const CommitPoint& a, const CommitPoint& b) { return a.time_s < b.time_s; });
  // New commits: the first commit of each block anywhere.
  std::vector<double> first;
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  for (const CommitPoint& c : commits) {
    if (seen.insert({c.height, c.block_id}).second) first.push_back(c.time_s);
  }
  double gap = first.empty() ? end_s : first.front();
  double gap_from = 0.0;
  std::vector<double> intervals;
  for (std::size_t k = 1; k < first.size(); ++k) {
    const double d = first[k] - first[k - 1];
    if (d > 0) intervals.push_back(d);
    if (d > gap) {
      gap = d;
      gap_from = first[k - 1];
    }
  }
  const double earlier_gap = gap;  // longest gap before the tail (the start included)
  const double tail = first.empty() ? end_s : end_s - first.back();
  if (!first.empty() && tail > gap) {
    gap = tail;
    gap_from = first.back();
  }
  double median = 0.0;
  if (!intervals.empty()) {
    std::vector<double> sorted = intervals;
    std::nth_element(sorted.begin(),
                     sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
    median = sorted[sorted.size() / 2];
  }
  const double threshold = std::max(4.0 * median, 2.0 * s.consensus.round_timeout_ms / 1000.0);
  json out = {{"commits", first.size()},
              {"first_commit_s", first.empty() ? json(nullptr) : json(first.front())},
              {"last_commit_s", first.empty() ? json(nullptr) : json(first.back())},
              {"longest_gap_without_commits_s", gap},
              {"longest_gap_from_s", gap_from},
              {"stall_threshold_s", threshold},
              {"progress_stopped", first.empty() || tail > std::max(threshold, earlier_gap)}};

  std::set<std::uint32_t> committing;
  for (const CommitPoint& c : commits) committing.insert(c.node);
  json healed = json::array();
  for (std::size_t i = 0; i < s.faults.events.size(); ++i) {
    const FaultEvent& e = s.faults.events[i];
    if (e.kind != "partition" || e.until_s >= end_s) continue;
    // Recovered = every node commits a block above the highest height committed at the heal.
    const std::uint64_t target = height_at(commits, e.until_s) + 1;
    double worst = 0.0;
    bool all = true;
    for (std::uint32_t v : committing) {
      if (down_at_end(s, v)) continue;
      const double r = reach(commits, v, target, e.until_s);
      if (r < 0) {
        all = false;
        break;
      }
      worst = std::max(worst, r);
    }
    healed.push_back({{"event", "faults.events[" + std::to_string(i) + "]"},
                      {"healed_at_s", e.until_s},
                      {"height_at_heal", target - 1},
                      {"recovered", all},
                      {"recovery_s", all ? json(worst) : json(nullptr)}});
  }
  json recoveries = json::array();
  for (std::size_t i = 0; i < s.faults.events.size(); ++i) {
    const FaultEvent& e = s.faults.events[i];
    if (e.kind != "recover") continue;
    for (std::uint32_t v : e.nodes) {
      const std::uint64_t target = height_at(commits, e.at_s);
      const double r = reach(commits, v, target, e.at_s);
      recoveries.push_back({{"event", "faults.events[" + std::to_string(i) + "]"},
                            {"node", v},
                            {"recovered_at_s", e.at_s},
                            {"height_to_reach", target},
                            {"caught_up", r >= 0},
                            {"catch_up_s", r >= 0 ? json(r) : json(nullptr)}});
    }
  }
  if (!healed.empty()) out["partitions_healed"] = std::move(healed);
  if (!recoveries.empty()) out["recoveries"] = std::move(recoveries);
  return out;
}

}  // namespace pipesim::sim
