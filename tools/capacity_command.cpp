#include "tools/capacity_command.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sim/output/atomic_file.hpp"
#include "sim/output/csv.hpp"
#include "sim/recorder.hpp"
#include "sim/scenario.hpp"
#include "tools/capacity_plan.hpp"
#include "tools/sweep_plan.hpp"
#include "tools/sweep_runner.hpp"

namespace pipesim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
using capacity::CapacitySpec;
using capacity::LoadPoint;

using sweep::read_summary;
using sweep::read_text;

double value_of(const json& m, const std::string& name, const char* field = "value") {
  if (!m.contains(name) || !m[name].contains(field) || !m[name][field].is_number()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return m[name][field].get<double>();
}

/// A load point of the curve from a run's summary.json.
LoadPoint load_point(const json& summary) {
  const json& m = summary.at("metrics");
  LoadPoint p;
  p.offered_tx_per_s = value_of(m, "window_offered_load_tx_per_s");
  p.committed_tx_per_s = value_of(m, "window_throughput_tx_per_s");
  p.committed_gas_per_s = value_of(m, "window_throughput_gas_per_s");
  p.latency_p50_s = value_of(m, "latency_submit_to_committed_s", "p50");
  p.latency_p99_s = value_of(m, "latency_submit_to_committed_s", "p99");
  // No committed transaction: latency unbounded (the point cannot follow its load).
  if (std::isnan(p.latency_p50_s)) p.latency_p50_s = std::numeric_limits<double>::infinity();
  if (std::isnan(p.latency_p99_s)) p.latency_p99_s = std::numeric_limits<double>::infinity();
  const double submitted = value_of(m, "window_txs_submitted");
  const double missing = value_of(m, "window_txs_not_committed");
  p.not_committed_fraction = submitted > 0 ? missing / submitted : 1.0;
  return p;
}

/// The experiment's fixed inputs.
struct Inputs {
  std::string file;
  std::string base_dir;
  json base;  // the base scenario (capacity section removed, --set applied)
  sim::Scenario base_scenario;
  CapacitySpec spec;
  ojson section;  // the capacity section as used (after --full)
  fs::path dir;
  std::string name;
  std::vector<std::string> overrides;
  bool full = false;
  bool require_saturation = false;  // --require-saturation: exit 1 when a series did not saturate
};

const capacity::Case& find_case(const std::vector<capacity::Case>& cases, const std::string& n) {
  return *std::find_if(cases.begin(), cases.end(),
                       [&](const capacity::Case& c) { return c.name == n; });
}

sweep::Point make_point(const std::string& id, const capacity::Case& topo,
                        const capacity::Case& pipe, const ojson& extra, const ojson& labels,
                        std::uint64_t seed) {
  sweep::Point p;
  p.id = id;
  p.seed = seed;
  for (const auto& [k, v] : topo.set.items()) p.params[k] = v;
  for (const auto& [k, v] : pipe.set.items()) p.params[k] = v;
  for (const auto& [k, v] : extra.items()) p.params[k] = v;
  p.labels = labels;
  return p;
}

/// A load as a param value: an integer when whole (`200`, not `200.0`, in sweep.csv).
ojson load_json(double load) {
  if (load == std::floor(load) && load < 1e15) return static_cast<std::int64_t>(load);
  return load;
}

/// A series: one (topology, pipeline) load curve.
struct Series {
  const capacity::Case* topology = nullptr;
  const capacity::Case* pipeline = nullptr;
  std::vector<double> loads;        // offered loads run or to run (ascending)
  std::vector<std::string> ids;     // their point ids
  std::vector<LoadPoint> measured;  // prefix of loads with a summary
  std::vector<json> summaries;
};

std::string series_id(const Series& s, double load) {
  return fmt::format("{}.{}.{}", s.topology->name, s.pipeline->name, capacity::load_label(load));
}

/// Reads the finished points of each series (a prefix of its loads).
void measure(const Inputs& in, std::vector<Series>& all) {
  for (Series& s : all) {
    s.measured.clear();
    s.summaries.clear();
    for (const std::string& id : s.ids) {
      const auto summary = read_summary(in.dir / "points" / id);
      if (!summary) break;
      s.measured.push_back(load_point(*summary));
      s.summaries.push_back(*summary);
    }
  }
}

struct Capacity {
  const Series* series = nullptr;
  capacity::Saturation sat;
  double capacity_tx_per_s = 0, capacity_gas_per_s = 0, capacity_offered = 0;
  double bytes_per_tx = std::numeric_limits<double>::quiet_NaN();
};

Capacity capacity_of(const Series& s, const capacity::SaturationRule& rule) {
  Capacity c;
  c.series = &s;
  c.sat = capacity::detect_saturation(s.measured, rule);
  if (c.sat.capacity_index) {
    const LoadPoint& p = s.measured[*c.sat.capacity_index];
    c.capacity_tx_per_s = p.committed_tx_per_s;
    c.capacity_gas_per_s = p.committed_gas_per_s;
    c.capacity_offered = p.offered_tx_per_s;
    c.bytes_per_tx = value_of(s.summaries[*c.sat.capacity_index]["metrics"],
                              "bytes_sent_per_node_per_committed_tx");
  }
  return c;
}

std::string num(double v, int decimals) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return "inf";
  return fmt::format("{:.{}f}", v, decimals);
}

/// The plan of the points known so far: load series, gas-limit sweep and timeline runs.
sweep::Plan make_plan(const Inputs& in, const std::vector<Series>& series,
                      const std::vector<sweep::Point>& extra_points) {
  sweep::Plan plan;
  plan.name = in.name;
  plan.dir = in.dir;
  for (const Series& s : series) {
    for (std::size_t i = 0; i < s.loads.size(); ++i) {
      ojson extra = ojson::object();
      extra["workload.tps"] = load_json(s.loads[i]);
      ojson labels = ojson::object();
      labels["experiment"] = "load";
      labels["topology"] = s.topology->name;
      labels["pipeline"] = s.pipeline->name;
      plan.points.push_back(
          make_point(s.ids[i], *s.topology, *s.pipeline, extra, labels, in.base_scenario.seed));
    }
  }
  plan.points.insert(plan.points.end(), extra_points.begin(), extra_points.end());
  for (std::size_t i = 0; i < plan.points.size(); ++i) plan.points[i].index = i;
  const std::vector<sim::Scenario> scenarios =
      sweep::resolve_points(in.base, in.base_dir, plan.points);
  for (const sim::Scenario& sc : scenarios) {
    plan.scenario_text.push_back(sim::to_json(sc).dump(2) + "\n");
  }
  ojson j = ojson::object();
  j["name"] = in.name;
  j["kind"] = "capacity";
  j["scenario_file"] = fs::absolute(in.file).lexically_normal().string();
  j["overrides"] = in.overrides;
  j["full"] = in.full;
  j["capacity"] = in.section;
  const json resolved = sim::to_json(in.base_scenario);
  j["base_scenario"] = resolved;
  j["seed"] = in.base_scenario.seed;
  j["config_hash"] = sim::config_hash(resolved);
  j["code_version"] = sim::code_version();
  j["points"] = ojson::array();
  for (const auto& p : plan.points) j["points"].push_back(p.to_json());
  plan.sweep_json = std::move(j);
  return plan;
}

/// Runs the plan's unfinished points. Returns the runner's exit code, or 2 when the folder
/// belongs to another experiment.
int run_plan(const sweep::Plan& plan, const std::string& exe, unsigned jobs, double timeout_s,
             bool quiet) {
  if (const std::string id = sweep::conflicting_point(plan); !id.empty()) {
    fmt::print(stderr,
               "pipesim capacity: {} holds point {} of a different experiment (its scenario.json "
               "differs), expected an empty folder or this experiment's; use another --out\n",
               plan.dir.string(), id);
    return 2;
  }
  sweep::write_plan(plan);
  return sweep::run_points(plan, exe, jobs, timeout_s, quiet);
}

void write_tables(const Inputs& in, const std::vector<Capacity>& caps,
                  const std::vector<Series>& series, double wall_s) {
  const capacity::SaturationRule& rule = in.spec.saturation;
  sim::output::CsvWriter csv(
      in.dir / "capacity.csv",
      {"topology", "pipeline", "saturated", "points", "capacity_offered_tx_per_s",
       "capacity_tx_per_s", "capacity_mgas_per_s", "knee_offered_tx_per_s",
       "latency_p50_s_at_50pct", "latency_p99_s_at_50pct", "latency_p50_s_at_90pct",
       "latency_p99_s_at_90pct", "bytes_per_node_per_committed_tx"});
  std::string md;
  md += fmt::format("# Capacity: {}\n\n", in.name);
  md += fmt::format(
      "Generated by `pipesim capacity {}{}` (code {}). Capacity = committed throughput of the "
      "last load point that follows its offered load: committed >= {:g} x offered, latency p50 "
      "(submit -> committed) <= {:g} s and <= {:g} x the lowest load's p50, and at most {:g} % "
      "of the window's transactions left uncommitted; the next point is the knee. Metrics over the "
      "measurement window "
      "[{:g} s, {:g} s) of each {:g} s run. Latencies at 50 % / 90 % of capacity are "
      "interpolated along the measured curve.\n\n",
      in.file, in.full ? " --full" : "", sim::code_version(), rule.min_efficiency,
      rule.max_latency_p50_s, rule.max_latency_p50_factor, 100 * (1 - rule.min_efficiency),
      in.base_scenario.measurement.warmup_s,
      in.base_scenario.duration_s - in.base_scenario.measurement.cooldown_s,
      in.base_scenario.duration_s);
  md +=
      "| topology | pipeline | capacity tx/s | capacity Mgas/s | p50 / p99 at 50 % (s) | p50 / "
      "p99 at 90 % (s) | bytes/node/tx | knee at offered tx/s "
      "|\n|---|---|---|---|---|---|---|---|\n";
  for (const Capacity& c : caps) {
    const Series& s = *c.series;
    const std::size_t last = c.sat.capacity_index.value_or(0);
    auto at = [&](double frac, double LoadPoint::*y) {
      if (!c.sat.capacity_index) return std::numeric_limits<double>::quiet_NaN();
      return capacity::interpolate_at_throughput(s.measured, last, frac * c.capacity_tx_per_s, y)
          .value_or(std::numeric_limits<double>::quiet_NaN());
    };
    const double p50_50 = at(0.5, &LoadPoint::latency_p50_s);
    const double p99_50 = at(0.5, &LoadPoint::latency_p99_s);
    const double p50_90 = at(0.9, &LoadPoint::latency_p50_s);
    const double p99_90 = at(0.9, &LoadPoint::latency_p99_s);
    const double knee =
        c.sat.knee_index ? s.loads[*c.sat.knee_index] : std::numeric_limits<double>::quiet_NaN();
    csv.add(s.topology->name).add(s.pipeline->name).add(c.sat.saturated ? "true" : "false");
    csv.add(static_cast<std::uint64_t>(s.measured.size()));
    for (double v : {c.capacity_offered, c.capacity_tx_per_s, c.capacity_gas_per_s / 1e6, knee,
                     p50_50, p99_50, p50_90, p99_90, c.bytes_per_tx}) {
      if (std::isnan(v) || !c.sat.capacity_index) {
        csv.add_empty();
      } else {
        csv.add(v);
      }
    }
    csv.end_row();
    std::string cap = c.sat.capacity_index ? num(c.capacity_tx_per_s, 1) : "< first load";
    if (!c.sat.saturated) cap = "> " + cap + " (not saturated)";
    md += fmt::format("| {} | {} | {} | {} | {} / {} | {} / {} | {} | {} |\n", s.topology->name,
                      s.pipeline->name, cap, num(c.capacity_gas_per_s / 1e6, 2), num(p50_50, 2),
                      num(p99_50, 2), num(p50_90, 2), num(p99_90, 2), num(c.bytes_per_tx, 0),
                      num(knee, 0));
  }
  csv.commit();
  md += "\nEvery load point (offered -> committed tx/s, latency p50 / p99 s, uncommitted %):\n\n";
  for (const Series& s : series) {
    std::vector<std::string> cells;
    for (std::size_t i = 0; i < s.measured.size(); ++i) {
      const LoadPoint& p = s.measured[i];
      cells.push_back(fmt::format("{:g} -> {:.1f} ({} / {}, {:.0f} %)", s.loads[i],
                                  p.committed_tx_per_s, num(p.latency_p50_s, 2),
                                  num(p.latency_p99_s, 2), 100 * p.not_committed_fraction));
    }
    md +=
        fmt::format("- {} / {}: {}\n", s.topology->name, s.pipeline->name, fmt::join(cells, "; "));
  }
  if (in.spec.gas_limit) {
    md += fmt::format(
        "\nBlock gas limit sweep ({} topology, {:g} tx/s offered): see "
        "gas_limit.csv.\n",
        in.spec.gas_limit->topology, in.spec.gas_limit->load_tx_per_s);
  }
  md += fmt::format("\nWall time of this invocation: {:.0f} s.\n", wall_s);
  sim::output::write_file_atomic(in.dir / "capacity.md", md);
}

void write_gas_table(const Inputs& in, const std::vector<sweep::Point>& gas_points) {
  sim::output::CsvWriter csv(
      in.dir / "gas_limit.csv",
      {"pipeline", "block_gas_limit", "committed_tx_per_s", "committed_mgas_per_s",
       "execution_budget_utilisation_p50", "execution_budget_utilisation_p90",
       "execution_time_per_block_p50_s", "block_interval_p50_s", "latency_p50_s"});
  for (const sweep::Point& p : gas_points) {
    const auto summary = read_summary(in.dir / "points" / p.id);
    if (!summary) continue;
    const json& m = (*summary)["metrics"];
    csv.add(p.labels["pipeline"].get<std::string>())
        .add(p.params["pipeline.block_gas_limit"].get<std::uint64_t>());
    for (double v :
         {value_of(m, "window_throughput_tx_per_s"),
          value_of(m, "window_throughput_gas_per_s") / 1e6,
          value_of(m, "execution_budget_utilisation", "p50"),
          value_of(m, "execution_budget_utilisation", "p90"),
          value_of(m, "execution_time_per_block_s", "p50"), value_of(m, "block_interval_s", "p50"),
          value_of(m, "latency_submit_to_committed_s", "p50")}) {
      if (std::isnan(v)) {
        csv.add_empty();
      } else {
        csv.add(v);
      }
    }
    csv.end_row();
  }
  csv.commit();
}

int run_experiment(const Inputs& in, const std::string& exe, unsigned jobs, double timeout_s,
                   bool quiet) {
  const auto t0 = std::chrono::steady_clock::now();
  const CapacitySpec& spec = in.spec;
  std::vector<Series> series;
  for (const auto& topo : spec.topologies) {
    for (const auto& pipe : spec.pipelines) {
      Series s;
      s.topology = &topo;
      s.pipeline = &pipe;
      s.loads = pipe.loads_tx_per_s.empty() ? spec.loads_tx_per_s : pipe.loads_tx_per_s;
      series.push_back(std::move(s));
    }
  }
  std::vector<sweep::Point> gas_points;
  if (spec.gas_limit) {
    const auto& g = *spec.gas_limit;
    const capacity::Case& topo = find_case(spec.topologies, g.topology);
    for (const std::string& name : g.pipelines) {
      const capacity::Case& pipe = find_case(spec.pipelines, name);
      for (std::uint64_t limit : g.block_gas_limit) {
        ojson extra = g.set;
        extra["workload.tps"] = load_json(g.load_tx_per_s);
        extra["pipeline.block_gas_limit"] = limit;
        ojson labels = ojson::object();
        labels["experiment"] = "gas_limit";
        labels["topology"] = topo.name;
        labels["pipeline"] = pipe.name;
        gas_points.push_back(make_point(fmt::format("gas.{}.{}.gas-{:010}", topo.name, name, limit),
                                        topo, pipe, extra, labels, in.base_scenario.seed));
      }
    }
  }
  int worst = 0;
  auto note = [&](int code) {
    if (code == 2) return;
    if (code == 1 || worst == 1) {
      worst = 1;
    } else {
      worst = std::max(worst, code);
    }
  };
  // Rounds: run what is planned; extend every series that has not saturated; repeat.
  for (int round = 0;; ++round) {
    for (Series& s : series) {
      s.ids.clear();
      for (double l : s.loads) s.ids.push_back(series_id(s, l));
    }
    const int code = run_plan(make_plan(in, series, gas_points), exe, jobs, timeout_s, quiet);
    // 2: a conflicting folder; > 128: the sweep was interrupted by a signal (128 + signal) and
    // its unfinished points resume on the next run: stop here, start no further round.
    if (code == 2 || code > 128) return code;
    note(code);
    measure(in, series);
    bool extended = false;
    for (Series& s : series) {
      const auto& ladder =
          s.pipeline->loads_tx_per_s.empty() ? spec.loads_tx_per_s : s.pipeline->loads_tx_per_s;
      if (s.measured.size() < s.loads.size()) continue;  // a point failed: no extension
      const auto loads = capacity::series_loads(ladder, s.measured, spec.extend_factor,
                                                spec.max_extensions, spec.saturation);
      if (loads.size() > s.loads.size()) {
        s.loads = loads;
        extended = true;
      }
    }
    if (!extended) break;
    if (!quiet)
      fmt::print(stderr, "pipesim capacity: round {}: extending unsaturated series\n", round + 1);
  }
  std::vector<Capacity> caps;
  caps.reserve(series.size());
  for (const Series& s : series) caps.push_back(capacity_of(s, spec.saturation));
  // Timeline runs: each pipeline on the first topology at timeline_load_fraction x capacity,
  // traced (trace.json, blocks.csv) for the per-pipeline timeline figure.
  std::vector<sweep::Point> timeline_points;
  for (const Capacity& c : caps) {
    const Series& s = *c.series;
    if (s.topology != &spec.topologies.front() || !c.sat.capacity_index) continue;
    const double load = std::max(1.0, std::round(spec.timeline_load_fraction * c.capacity_offered));
    ojson extra = ojson::object();
    extra["workload.tps"] = load_json(load);
    extra["outputs.trace"] = true;
    extra["outputs.blocks_csv"] = true;
    ojson labels = ojson::object();
    labels["experiment"] = "timeline";
    labels["topology"] = s.topology->name;
    labels["pipeline"] = s.pipeline->name;
    timeline_points.push_back(
        make_point(fmt::format("timeline.{}.{}", s.topology->name, s.pipeline->name), *s.topology,
                   *s.pipeline, extra, labels, in.base_scenario.seed));
  }
  std::vector<sweep::Point> extra = gas_points;
  extra.insert(extra.end(), timeline_points.begin(), timeline_points.end());
  const int code = run_plan(make_plan(in, series, extra), exe, jobs, timeout_s, quiet);
  if (code == 2 || code > 128) return code;  // as above
  note(code);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_tables(in, caps, series, wall);
  if (spec.gas_limit) write_gas_table(in, gas_points);
  bool all_saturated = true;
  for (const Capacity& c : caps) all_saturated = all_saturated && c.sat.saturated;
  if (!quiet) {
    fmt::print("pipesim capacity: {} in {:.0f} s wall\n", in.name, wall);
    for (const Capacity& c : caps) {
      fmt::print("  {:<14} {:<24} {}\n", c.series->topology->name, c.series->pipeline->name,
                 c.sat.capacity_index
                     ? fmt::format("{}{:.1f} tx/s, {:.2f} Mgas/s", c.sat.saturated ? "" : "> ",
                                   c.capacity_tx_per_s, c.capacity_gas_per_s / 1e6)
                     : std::string("saturated at the first load"));
    }
    fmt::print("  tables in {} and {}\n", (in.dir / "capacity.csv").string(),
               (in.dir / "capacity.md").string());
  }
  if (!all_saturated) {
    // A curve still linear at its last load is a result (a lower bound, marked in the tables),
    // not a failure; --require-saturation makes it one (exit 1) for scripts that need knees.
    fmt::print(stderr,
               "pipesim capacity: a series did not saturate inside its range (capacity.md "
               "marks it as a lower bound); raise its loads_tx_per_s or max_extensions\n");
    if (worst == 0 && in.require_saturation) worst = 1;
  }
  return worst;
}

}  // namespace

int capacity_main(int argc, char** argv, const char* self_exe) {
  CLI::App app{
      "pipesim capacity — load sweep per pipeline and topology until saturation, capacity "
      "table and figures' data (docs/capacity.md)"};
  app.name("pipesim capacity");
  Inputs in;
  std::string out;
  unsigned jobs = 1;
  double timeout_s = 0.0;
  bool quiet = false;
  app.add_option("scenario", in.file, "Scenario JSON file with a \"capacity\" section")->required();
  app.add_option("--out", out, "Experiment folder (default: outputs.dir/<scenario name>)");
  app.add_option("-j,--jobs", jobs, "Points run at the same time (child processes)")
      ->check(CLI::Range(1u, 1024u));
  app.add_flag("--full", in.full,
               "Apply the section's \"full\" patch (more loads, topologies, seeds)");
  app.add_option("--set", in.overrides,
                 "Override a key of the base scenario: key.path=value (repeatable)");
  app.add_option("--timeout-s", timeout_s,
                 "Kill a point after this many wall-clock seconds (0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--require-saturation", in.require_saturation,
               "Exit 1 when a series is still following its load at its last point");
  app.add_flag("--quiet,-q", quiet, "No progress and no summary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    const std::string text = read_text(in.file);
    if (text.empty()) {
      throw sim::ScenarioError("", fmt::format("{}: cannot read the file", in.file));
    }
    ojson doc;
    try {
      doc = ojson::parse(text);
    } catch (const ojson::parse_error& e) {
      throw sim::ScenarioError("", fmt::format("{}: JSON syntax error: {}", in.file, e.what()));
    }
    if (!doc.is_object() || !doc.contains("capacity")) {
      throw capacity::CapacityError(
          "capacity: missing, expected a \"capacity\" object (docs/capacity.md)");
    }
    if (in.full) {
      if (!doc["capacity"].contains("full")) {
        throw capacity::CapacityError("capacity.full: missing, expected a patch for --full");
      }
      const ojson patch = doc["capacity"]["full"];
      doc.merge_patch(patch);
    }
    doc["capacity"].erase("full");
    in.section = doc["capacity"];
    in.spec = capacity::parse_capacity(in.section);
    json base = json::parse(doc.dump());
    base.erase("capacity");
    base.erase("sweep");
    base.erase("compare");
    for (const auto& o : in.overrides) {
      if (o.rfind("capacity", 0) == 0) {
        throw capacity::CapacityError("--set " + o +
                                      ": the capacity section cannot be overridden, expected a "
                                      "scenario key");
      }
      sim::apply_override(base, o);
    }
    const fs::path parent = fs::path(in.file).parent_path();
    in.base_dir = parent.empty() ? "." : parent.string();
    in.base_scenario = sim::parse_scenario(base, in.base_dir);
    in.base = std::move(base);
    in.name = in.base_scenario.name + (in.full ? "-full" : "");
    in.dir = out.empty() ? fs::path(in.base_scenario.outputs.dir) / in.name : fs::path(out);
  } catch (const sim::ScenarioError& e) {
    fmt::print(stderr, "pipesim: invalid scenario {}: {}\n", in.file, e.what());
    return 2;
  } catch (const capacity::CapacityError& e) {
    fmt::print(stderr, "pipesim: invalid capacity section in {}: {}\n", in.file, e.what());
    return 2;
  } catch (const sweep::SweepError& e) {
    fmt::print(stderr, "pipesim: invalid capacity experiment in {}: {}\n", in.file, e.what());
    return 2;
  }
  try {
    return run_experiment(in, self_exe, jobs, timeout_s, quiet);
  } catch (const sweep::SweepError& e) {
    fmt::print(stderr, "pipesim: invalid capacity experiment in {}: {}\n", in.file, e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "pipesim capacity: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace pipesim
