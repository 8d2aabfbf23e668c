#include "sim/faults.hpp"

#include <algorithm>
#include <limits>

#include "models/common/random.hpp"
#include "models/common/splitmix64.hpp"
#include "models/network/latency_model.hpp"
#include "models/network/presets.hpp"

namespace pipesim::sim {
namespace {

constexpr double kForever = std::numeric_limits<double>::infinity();
constexpr std::uint64_t kLossSalt = 0x6661756c746c6f73ULL;  // "faultlos"

bool within(const FaultEvent& e, double t) {
  return t >= e.from_s && t < e.until_s;
}

}  // namespace

FaultInjector::FaultInjector(const Scenario& s, std::vector<std::string> class_of)
    : scenario_(s), class_of_(std::move(class_of)), seed_(s.seed ^ kLossSalt) {
  const std::uint32_t n = s.network.validators;
  class_loss_.assign(n, 0.0);
  if (class_of_.size() == n) {
    for (std::uint32_t v = 0; v < n; ++v) {
      class_loss_[v] = network::ethshadow_class(class_of_[v]).loss_rate;
    }
  }
  for (std::uint32_t c : s.faults.crashed) transitions_.push_back({s.faults.crash_at_s, c, true});
  const std::size_t m = s.faults.events.size();
  side_.resize(m);
  touches_.resize(m);
  dropped_.assign(m, 0);
  held_.assign(m, 0);
  delayed_.assign(m, 0);
  for (std::size_t i = 0; i < m; ++i) {
    const FaultEvent& e = s.faults.events[i];
    if (e.kind == "crash" || e.kind == "recover") {
      for (std::uint32_t v : e.nodes) transitions_.push_back({e.at_s, v, e.kind == "crash"});
      continue;
    }
    if (e.kind == "partition") {
      side_[i].assign(n, static_cast<std::int32_t>(e.groups.size()));  // the rest: one group
      for (std::size_t g = 0; g < e.groups.size(); ++g) {
        for (std::uint32_t v : e.groups[g]) side_[i][v] = static_cast<std::int32_t>(g);
      }
      acts_on_messages_ = true;
      continue;
    }
    if (e.kind == "byzantine") continue;  // acts through the consensus cores, not the network
    touches_[i].assign(n, e.nodes.empty() && e.link_class.empty() ? 1 : 0);
    for (std::uint32_t v : e.nodes) touches_[i][v] = 1;
    if (!e.link_class.empty() && class_of_.size() == n) {
      for (std::uint32_t v = 0; v < n; ++v) touches_[i][v] = class_of_[v] == e.link_class;
    }
    if (e.kind != "slow" || e.link_factor > 1.0) acts_on_messages_ = true;
  }
  std::stable_sort(transitions_.begin(), transitions_.end(),
                   [](const Transition& a, const Transition& b) {
                     return a.time_s < b.time_s || (a.time_s == b.time_s && a.node < b.node);
                   });
  down_.resize(n);
  for (const Transition& t : transitions_) {
    auto& iv = down_[t.node];
    if (t.crash) {
      iv.push_back({t.time_s, kForever});
    } else if (!iv.empty()) {
      iv.back().until_s = t.time_s;
    }
  }
}

bool FaultInjector::byzantine(std::uint32_t node, double t) const {
  for (const FaultEvent& e : scenario_.faults.events) {
    if (e.kind == "byzantine" && within(e, t) &&
        std::find(e.nodes.begin(), e.nodes.end(), node) != e.nodes.end())
      return true;
  }
  return false;
}

std::pair<std::pair<std::uint32_t, std::uint32_t>, double> FaultInjector::max_faulty_at_once()
    const {
  const std::uint32_t members = consensus_validators(scenario_);
  // The counts only change at a transition or a Byzantine window's start.
  std::vector<double> times;
  for (const Transition& t : transitions_) times.push_back(t.time_s);
  for (const FaultEvent& e : scenario_.faults.events) {
    if (e.kind == "byzantine") times.push_back(e.from_s);
  }
  std::sort(times.begin(), times.end());
  std::uint32_t most_faulty = 0, most_byzantine = 0;
  double at = 0.0;
  for (double t : times) {
    std::uint32_t faulty = 0, byz = 0;
    for (std::uint32_t v = 0; v < members; ++v) {
      const bool b = byzantine(v, t);
      byz += b ? 1 : 0;
      faulty += b || down(v, t) ? 1 : 0;
    }
    most_byzantine = std::max(most_byzantine, byz);
    if (faulty > most_faulty) {
      most_faulty = faulty;
      at = t;
    }
  }
  return {{most_faulty, most_byzantine}, at};
}

bool FaultInjector::down(std::uint32_t node, double t) const {
  for (const Interval& iv : down_[node]) {
    if (t >= iv.from_s && t < iv.until_s) return true;
  }
  return false;
}

bool FaultInjector::on_link(std::size_t i, std::uint32_t from, std::uint32_t to) const {
  return touches_[i][from] != 0 || touches_[i][to] != 0;
}

FaultInjector::Fate FaultInjector::message(std::uint32_t from, std::uint32_t to, double depart,
                                           double base_latency_s) {
  Fate fate;
  if (!acts_on_messages_) return fate;
  const auto& events = scenario_.faults.events;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const FaultEvent& e = events[i];
    if (e.kind == "crash" || e.kind == "recover" || e.kind == "byzantine" || !within(e, depart))
      continue;
    if (e.kind == "partition") {
      if (side_[i][from] == side_[i][to]) continue;
      if (e.mode == "drop") {
        ++dropped_[i];
        fate.dropped = true;
        fate.cause = "partition";
        return fate;
      }
      ++held_[i];
      fate.hold_until_s = std::max(fate.hold_until_s, e.until_s);
      continue;
    }
    if (!on_link(i, from, to)) continue;
    if (e.kind == "loss") {
      double keep = 1.0 - e.probability;
      if (e.class_loss_rates) keep *= (1.0 - class_loss_[from]) * (1.0 - class_loss_[to]);
      const double u = unit_from_bits(splitmix64_mix(seed_ ^ draws_++));
      if (u >= keep) {
        ++dropped_[i];
        fate.dropped = true;
        fate.cause = "loss";
        return fate;
      }
    } else if (e.kind == "delay") {
      ++delayed_[i];
      fate.extra_s += e.extra_ms / 1000.0;
    } else if (e.kind == "slow" && e.link_factor > 1.0) {
      ++delayed_[i];
      fate.extra_s += (e.link_factor - 1.0) * base_latency_s;
    }
  }
  return fate;
}

double FaultInjector::cpu_factor(std::uint32_t node, double t) const {
  double factor = 1.0;
  const auto& events = scenario_.faults.events;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const FaultEvent& e = events[i];
    if (e.kind == "slow" && touches_[i][node] != 0 && within(e, t)) factor *= e.cpu_factor;
  }
  return factor;
}

nlohmann::json FaultInjector::summary() const {
  using nlohmann::json;
  const std::uint32_t members = consensus_validators(scenario_);
  const std::uint32_t f = (members - 1) / 3;
  json events = json::array();
  if (!scenario_.faults.crashed.empty()) {
    events.push_back({{"kind", "crash"},
                      {"source", "faults.crashed"},
                      {"at_s", scenario_.faults.crash_at_s},
                      {"nodes", scenario_.faults.crashed}});
  }
  const auto& list = scenario_.faults.events;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const FaultEvent& e = list[i];
    json j = {{"kind", e.kind}, {"source", "faults.events[" + std::to_string(i) + "]"}};
    if (e.kind == "crash" || e.kind == "recover") {
      j["at_s"] = e.at_s;
      j["nodes"] = e.nodes;
    } else {
      j["from_s"] = e.from_s;
      j["until_s"] = e.until_s;
      if (e.kind == "byzantine") {
        j["behaviour"] = e.behaviour;
        j["nodes"] = e.nodes;
        if (e.behaviour == "withhold") {
          j["withhold_from"] = e.withhold_from;
          j["delay_ms"] = e.delay_ms;
        }
      } else if (e.kind == "partition") {
        j["groups"] = e.groups;
        j["mode"] = e.mode;
        j["messages_dropped"] = dropped_[i];
        j["messages_held"] = held_[i];
      } else {
        if (!e.nodes.empty()) j["nodes"] = e.nodes;
        if (!e.link_class.empty()) j["link_class"] = e.link_class;
        if (e.kind == "loss") {
          j["probability"] = e.probability;
          j["class_loss_rates"] = e.class_loss_rates;
          j["messages_dropped"] = dropped_[i];
        } else if (e.kind == "delay") {
          j["extra_ms"] = e.extra_ms;
          j["messages_delayed"] = delayed_[i];
        } else {
          j["cpu_factor"] = e.cpu_factor;
          j["link_factor"] = e.link_factor;
          j["messages_delayed"] = delayed_[i];
        }
      }
    }
    events.push_back(std::move(j));
  }
  // Most validators down at once (crash faults), against f.
  std::uint32_t down_now = 0, most_down = 0;
  double most_down_at = 0.0;
  for (const Transition& t : transitions_) {
    if (t.node >= members) continue;  // async_backing collators are not consensus members
    down_now = t.crash ? down_now + 1 : down_now - 1;
    if (down_now > most_down) {
      most_down = down_now;
      most_down_at = t.time_s;
    }
  }
  json out = {{"events", std::move(events)},
              {"consensus_validators", members},
              {"fault_tolerance_f", f},
              {"max_crashed_at_once", most_down},
              {"max_crashed_at_once_at_s", most_down_at},
              {"crashed_exceed_f", most_down > f}};
  const auto [faulty, faulty_at] = max_faulty_at_once();
  if (faulty.second > 0) {
    // Byzantine schedules: members crashed or Byzantine at one time, against f.
    out["max_byzantine_at_once"] = faulty.second;
    out["max_faulty_at_once"] = faulty.first;
    out["max_faulty_at_once_at_s"] = faulty_at;
    out["faulty_exceed_f"] = faulty.first > f;
  }
  return out;
}

}  // namespace pipesim::sim
