#include "tools/capacity_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace pipesim::capacity {
namespace {

using ojson = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw CapacityError(path + ": " + what);
}

void check_keys(const ojson& obj, const std::string& path, const std::set<std::string>& allowed) {
  if (!obj.is_object()) fail(path, fmt::format("value {} is not an object", obj.dump()));
  for (const auto& [k, v] : obj.items()) {
    if (!allowed.count(k)) {
      fail(path + "." + k,
           fmt::format("unknown key, expected one of {}", fmt::join(allowed, ", ")));
    }
  }
}

double positive(const ojson& v, const std::string& path) {
  if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>())) {
    fail(path, fmt::format("value {} is not valid, expected a number > 0", v.dump()));
  }
  return v.get<double>();
}

std::vector<double> ladder(const ojson& v, const std::string& path) {
  if (!v.is_array() || v.empty()) {
    fail(path, fmt::format("value {} is not valid, expected a non-empty array of loads (tx/s)",
                           v.dump()));
  }
  std::vector<double> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double x = positive(v[i], fmt::format("{}[{}]", path, i));
    if (!out.empty() && x <= out.back()) {
      fail(fmt::format("{}[{}]", path, i),
           fmt::format("value {} is not valid, expected loads in strictly increasing order", x));
    }
    out.push_back(x);
  }
  return out;
}

std::string checked_name(const ojson& v, const std::string& path) {
  if (!v.is_string() || v.get<std::string>().empty()) {
    fail(path, fmt::format("value {} is not valid, expected a non-empty string", v.dump()));
  }
  std::string s = v.get<std::string>();
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      fail(path, fmt::format("value \"{}\" is not valid, expected letters, digits, _ and -", s));
    }
  }
  return s;
}

std::vector<Case> cases(const ojson& section, const std::string& key, bool with_loads) {
  const std::string path = "capacity." + key;
  if (!section.contains(key)) fail(path, "missing, expected a non-empty array of cases");
  const ojson& list = section.at(key);
  if (!list.is_array() || list.empty()) {
    fail(path, fmt::format("value {} is not valid, expected a non-empty array of "
                           "{{\"name\", \"set\"}} objects",
                           list.dump()));
  }
  std::vector<Case> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = fmt::format("{}[{}]", path, i);
    std::set<std::string> allowed{"name", "set", "description"};
    if (with_loads) allowed.insert("loads_tx_per_s");
    check_keys(list[i], p, allowed);
    if (!list[i].contains("name")) fail(p + ".name", "missing, expected a name");
    Case c;
    c.name = checked_name(list[i]["name"], p + ".name");
    if (!names.insert(c.name).second) {
      fail(p + ".name",
           fmt::format("value \"{}\" is a duplicate, expected distinct names", c.name));
    }
    if (list[i].contains("set")) {
      if (!list[i]["set"].is_object()) {
        fail(p + ".set", "not an object, expected {\"key.path\": value}");
      }
      c.set = list[i]["set"];
    }
    if (list[i].contains("loads_tx_per_s")) {
      c.loads_tx_per_s = ladder(list[i]["loads_tx_per_s"], p + ".loads_tx_per_s");
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

CapacitySpec parse_capacity(const ojson& section) {
  check_keys(section, "capacity",
             {"description", "topologies", "pipelines", "loads_tx_per_s", "extend_factor",
              "max_extensions", "saturation", "gas_limit", "timeline_load_fraction", "full"});
  CapacitySpec spec;
  spec.topologies = cases(section, "topologies", false);
  spec.pipelines = cases(section, "pipelines", true);
  if (section.contains("loads_tx_per_s")) {
    spec.loads_tx_per_s = ladder(section["loads_tx_per_s"], "capacity.loads_tx_per_s");
  }
  for (std::size_t i = 0; i < spec.pipelines.size(); ++i) {
    if (spec.pipelines[i].loads_tx_per_s.empty() && spec.loads_tx_per_s.empty()) {
      fail(fmt::format("capacity.pipelines[{}].loads_tx_per_s", i),
           "missing, expected a load ladder here or in capacity.loads_tx_per_s");
    }
  }
  if (section.contains("extend_factor")) {
    spec.extend_factor = positive(section["extend_factor"], "capacity.extend_factor");
    if (spec.extend_factor <= 1.0) {
      fail("capacity.extend_factor",
           fmt::format("value {} is out of range, expected a number > 1", spec.extend_factor));
    }
  }
  if (section.contains("max_extensions")) {
    const ojson& v = section["max_extensions"];
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 16) {
      fail("capacity.max_extensions",
           fmt::format("value {} is not valid, expected an integer in [0, 16]", v.dump()));
    }
    spec.max_extensions = v.get<std::uint32_t>();
  }
  if (section.contains("saturation")) {
    const ojson& s = section["saturation"];
    check_keys(s, "capacity.saturation",
               {"min_efficiency", "max_latency_p50_s", "max_latency_p50_factor"});
    if (s.contains("max_latency_p50_factor")) {
      spec.saturation.max_latency_p50_factor =
          positive(s["max_latency_p50_factor"], "capacity.saturation.max_latency_p50_factor");
    }
    if (s.contains("min_efficiency")) {
      spec.saturation.min_efficiency =
          positive(s["min_efficiency"], "capacity.saturation.min_efficiency");
      if (spec.saturation.min_efficiency > 1.0) {
        fail("capacity.saturation.min_efficiency",
             fmt::format("value {} is out of range, expected a ratio in (0, 1]",
                         spec.saturation.min_efficiency));
      }
    }
    if (s.contains("max_latency_p50_s")) {
      spec.saturation.max_latency_p50_s =
          positive(s["max_latency_p50_s"], "capacity.saturation.max_latency_p50_s");
    }
  }
  if (section.contains("timeline_load_fraction")) {
    spec.timeline_load_fraction =
        positive(section["timeline_load_fraction"], "capacity.timeline_load_fraction");
  }
  if (section.contains("gas_limit")) {
    const ojson& g = section["gas_limit"];
    const std::string p = "capacity.gas_limit";
    check_keys(g, p, {"topology", "pipelines", "block_gas_limit", "load_tx_per_s", "set"});
    GasLimitSweep s;
    if (!g.contains("topology")) fail(p + ".topology", "missing, expected a topology name");
    s.topology = checked_name(g["topology"], p + ".topology");
    if (std::none_of(spec.topologies.begin(), spec.topologies.end(),
                     [&](const Case& c) { return c.name == s.topology; })) {
      fail(p + ".topology",
           fmt::format("value \"{}\" is not a topology of capacity.topologies", s.topology));
    }
    if (!g.contains("pipelines") || !g["pipelines"].is_array() || g["pipelines"].empty()) {
      fail(p + ".pipelines", "missing or empty, expected an array of pipeline names");
    }
    for (std::size_t i = 0; i < g["pipelines"].size(); ++i) {
      const std::string name =
          checked_name(g["pipelines"][i], fmt::format("{}.pipelines[{}]", p, i));
      if (std::none_of(spec.pipelines.begin(), spec.pipelines.end(),
                       [&](const Case& c) { return c.name == name; })) {
        fail(fmt::format("{}.pipelines[{}]", p, i),
             fmt::format("value \"{}\" is not a pipeline of capacity.pipelines", name));
      }
      s.pipelines.push_back(name);
    }
    const std::vector<double> limits =
        ladder(g.value("block_gas_limit", ojson()), p + ".block_gas_limit");
    for (double l : limits) s.block_gas_limit.push_back(static_cast<std::uint64_t>(l));
    if (!g.contains("load_tx_per_s")) fail(p + ".load_tx_per_s", "missing, expected a load");
    s.load_tx_per_s = positive(g["load_tx_per_s"], p + ".load_tx_per_s");
    if (g.contains("set")) {
      if (!g["set"].is_object()) fail(p + ".set", "not an object, expected {\"key.path\": value}");
      s.set = g["set"];
    }
    spec.gas_limit = std::move(s);
  }
  return spec;
}

bool follows(const LoadPoint& p, const SaturationRule& rule, double baseline_p50_s) {
  if (!(p.offered_tx_per_s > 0)) return false;
  return p.committed_tx_per_s >= rule.min_efficiency * p.offered_tx_per_s &&
         p.latency_p50_s <= rule.max_latency_p50_s &&
         p.latency_p50_s <= rule.max_latency_p50_factor * baseline_p50_s &&
         p.not_committed_fraction <= 1.0 - rule.min_efficiency;
}

Saturation detect_saturation(const std::vector<LoadPoint>& curve, const SaturationRule& rule) {
  Saturation s;
  for (std::size_t i = 0; i < curve.size(); ++i) {
    if (follows(curve[i], rule, curve.front().latency_p50_s)) continue;
    s.saturated = true;
    s.knee_index = i;
    if (i > 0) s.capacity_index = i - 1;
    return s;
  }
  if (!curve.empty()) s.capacity_index = curve.size() - 1;
  return s;
}

std::optional<double> interpolate_at_throughput(const std::vector<LoadPoint>& curve,
                                                std::size_t last, double x, double LoadPoint::*y) {
  if (curve.empty()) return std::nullopt;
  last = std::min(last, curve.size() - 1);
  std::vector<const LoadPoint*> pts;
  for (std::size_t i = 0; i <= last; ++i) pts.push_back(&curve[i]);
  std::stable_sort(pts.begin(), pts.end(), [](const LoadPoint* a, const LoadPoint* b) {
    return a->committed_tx_per_s < b->committed_tx_per_s;
  });
  if (x <= pts.front()->committed_tx_per_s) return pts.front()->*y;
  if (x >= pts.back()->committed_tx_per_s) return pts.back()->*y;
  for (std::size_t i = 1; i < pts.size(); ++i) {
    const double x0 = pts[i - 1]->committed_tx_per_s, x1 = pts[i]->committed_tx_per_s;
    if (x <= x1) {
      if (x1 <= x0) return pts[i]->*y;
      const double f = (x - x0) / (x1 - x0);
      return pts[i - 1]->*y + f * (pts[i]->*y - pts[i - 1]->*y);
    }
  }
  return pts.back()->*y;
}

std::vector<double> series_loads(const std::vector<double>& ladder,
                                 const std::vector<LoadPoint>& measured, double extend_factor,
                                 std::uint32_t max_extensions, const SaturationRule& rule) {
  std::vector<double> loads = ladder;
  // Extensions already run (measured beyond the ladder) are part of the list.
  for (std::size_t i = ladder.size(); i < measured.size(); ++i) {
    loads.push_back(loads.back() * extend_factor);
  }
  if (measured.size() < loads.size()) return loads;  // the ladder is not measured yet
  if (detect_saturation(measured, rule).saturated) return loads;
  if (loads.size() - ladder.size() >= max_extensions) return loads;
  loads.push_back(loads.back() * extend_factor);
  return loads;
}

std::string load_label(double load) {
  const double whole = std::floor(load);
  if (whole == load) return fmt::format("load-{:05.0f}", load);
  return fmt::format("load-{:05.0f}{}", whole, fmt::format("{:g}", load - whole).substr(1));
}

}  // namespace pipesim::capacity
