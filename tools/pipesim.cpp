// pipesim — command-line entry point.
//
//   pipesim run SCENARIO.json [--out DIR] [--seed N] [--set key.path=value ...] [--quiet]
//   pipesim validate SCENARIO.json [--set key.path=value ...]
//   pipesim exec ...            (executors alone, no network; see `pipesim exec --help`)
//   pipesim trace-stats ...     (per-block statistics of the shipped mainnet access traces)
//   pipesim compare FILE.json   (one scenario under several variants, side by side)
//   pipesim sweep SCENARIO.json (every point of its "sweep" section, resumable; sweep.csv)
//   pipesim plot DIR            (paper-style figures via analysis/plot.py; see docs/plots.md)
//   pipesim calibrate           (fit the cost model to published times; docs/calibration.md)
//
// Exit codes: 0 success; 1 runtime failure; 2 invalid scenario or usage (nothing written);
// 3 the run finished but an invariant failed (outputs are written, the failure is listed).
#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "models/pipelines/pipeline.hpp"
#include "sim/recorder.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

#include "tools/calibrate_command.hpp"
#include "tools/compare_command.hpp"
#include "tools/exec_command.hpp"
#include "tools/plot_command.hpp"
#include "tools/sweep_command.hpp"
#include "tools/trace_stats_command.hpp"

namespace fs = std::filesystem;
using namespace pipesim;

namespace {

sim::Scenario load(const std::string& file, std::vector<std::string> overrides,
                   const std::optional<std::uint64_t>& seed) {
  if (seed) overrides.push_back("seed=" + std::to_string(*seed));
  return sim::load_scenario(file, overrides);
}

double metric_value(const nlohmann::json& m, const std::string& name, const char* field) {
  if (!m.contains(name)) return 0.0;
  const auto& v = m.at(name);
  if (v.contains(field) && v.at(field).is_number()) return v.at(field).get<double>();
  return 0.0;
}

void print_summary(const sim::Scenario& s, const nlohmann::json& summary,
                   const sim::RunStats& stats, const fs::path& dir) {
  const auto& m = summary.at("metrics");
  auto lat = [&](const std::string& name) {
    return fmt::format("p50 {:.3f} s  p90 {:.3f} s  p99 {:.3f} s", metric_value(m, name, "p50"),
                       metric_value(m, name, "p90"), metric_value(m, name, "p99"));
  };
  // speculate_order_replay executes with speculation + DAG replay, not pipeline.executor.
  const std::string executor =
      s.pipeline.kind == "speculate_order_replay"
          ? fmt::format("{} speculation, {} replay", s.pipeline.sor.speculation,
                        s.pipeline.sor.replay_mode)
          : s.pipeline.executor + " executor";
  fmt::print("pipesim run: {} ({} pipeline, {} validators, {} x{} threads)\n", s.name,
             s.pipeline.kind, s.network.validators, executor, s.pipeline.threads);
  fmt::print("  simulated {:.1f} s in {:.2f} s wall ({} events, {} messages)\n", stats.simulated_s,
             stats.wall_s, stats.events, stats.messages);
  fmt::print("  blocks committed       {:.0f}\n", metric_value(m, "blocks_committed", "value"));
  fmt::print("  throughput             {:.1f} tx/s, {:.3g} gas/s\n",
             metric_value(m, "throughput_tx_per_s", "value"),
             metric_value(m, "throughput_gas_per_s", "value"));
  fmt::print("  latency to included    {}\n", lat("latency_submit_to_included_s"));
  fmt::print("  latency to committed   {}\n", lat("latency_submit_to_committed_s"));
  fmt::print("  latency to executed    {}\n", lat("latency_submit_to_executed_s"));
  fmt::print("  block interval         {}\n", lat("block_interval_s"));
  fmt::print("  execution budget       p50 {:.1f} %  max {:.1f} %\n",
             100 * metric_value(m, "execution_budget_utilisation", "p50"),
             100 * metric_value(m, "execution_budget_utilisation", "max"));
  fmt::print("  bytes sent per node    mean {:.3g} B  max {:.3g} B\n",
             metric_value(m, "bytes_sent_per_node", "mean"),
             metric_value(m, "bytes_sent_per_node", "max"));
  if (m.contains("propagation_t100_s")) {
    fmt::print(
        "  gossip propagation     t50 p50 {:.3f} s  t90 p50 {:.3f} s  t100 p50 {:.3f} s  "
        "({:.0f} broadcasts)\n",
        metric_value(m, "propagation_t50_s", "p50"), metric_value(m, "propagation_t90_s", "p50"),
        metric_value(m, "propagation_t100_s", "p50"),
        metric_value(m, "broadcasts_gossiped", "value"));
  }
  for (const auto& [name, inv] : summary.at("invariants").items()) {
    fmt::print("  invariant {:<28} {}\n", name, inv.at("holds").get<bool>() ? "holds" : "VIOLATED");
  }
  if (!dir.empty()) fmt::print("  outputs in {}\n", dir.string());
}

int cmd_run(const std::string& file, const std::vector<std::string>& overrides,
            const std::optional<std::uint64_t>& seed, const std::string& out, bool quiet) {
  sim::Scenario scenario = load(file, overrides, seed);
  fs::path dir = out.empty() ? fs::path(scenario.outputs.dir) / scenario.name : fs::path(out);
  std::error_code ec;
  const bool created = !fs::exists(dir, ec);
  fs::create_directories(dir);
  const bool progress_on = !quiet && isatty(STDERR_FILENO);
  // Input errors found while building the network (platform hosts, topology connectivity) are
  // scenario errors too: leave nothing behind.
  std::unique_ptr<sim::Simulation> sim_ptr;
  try {
    sim_ptr = std::make_unique<sim::Simulation>(scenario, dir);
  } catch (const sim::ScenarioError&) {
    if (created) fs::remove_all(dir, ec);
    throw;
  }
  sim::Simulation& simulation = *sim_ptr;
  auto app = pipelines::make_pipeline(scenario, simulation);
  sim::ProgressFn progress;
  if (progress_on) {
    progress = [](double sim_s, double dur_s, double wall_s, std::uint64_t events) {
      fmt::print(stderr, "\r  simulated {:7.2f} / {:.0f} s  wall {:6.1f} s  {:8.0f} events/s ",
                 sim_s, dur_s, wall_s, static_cast<double>(events) / std::max(wall_s, 1e-9));
      std::fflush(stderr);
    };
  }
  const sim::RunStats stats = simulation.run(*app, progress);
  if (progress_on && stats.wall_s >= 1.0) fmt::print(stderr, "\n");
  sim::Recorder& rec = simulation.recorder();
  rec.write_outputs();
  if (!quiet) print_summary(scenario, rec.summary(), stats, dir);
  if (!rec.invariants_hold()) {
    fmt::print(stderr, "pipesim: an invariant was violated (see {}/summary.json)\n", dir.string());
    return 3;
  }
  return 0;
}

int cmd_validate(const std::string& file, const std::vector<std::string>& overrides) {
  sim::Scenario s = sim::load_scenario(file, overrides);
  fmt::print("{}: valid ({} pipeline, {} validators, {} s simulated)\n", file, s.pipeline.kind,
             s.network.validators, s.duration_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Subcommands with their own option parsing (they print their own --help).
  if (argc >= 2 && std::string(argv[1]) == "exec") return exec_main(argc - 1, argv + 1);
  if (argc >= 2 && std::string(argv[1]) == "compare") {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    return pipesim::compare_main(argc - 1, argv + 1, self.c_str());
  }
  if (argc >= 2 && std::string(argv[1]) == "sweep") {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    return pipesim::sweep_main(argc - 1, argv + 1, self.c_str());
  }
  if (argc >= 2 && std::string(argv[1]) == "plot") return pipesim::plot_main(argc - 1, argv + 1);
  if (argc >= 2 && std::string(argv[1]) == "calibrate") {
    return pipesim::calibrate_main(argc - 1, argv + 1);
  }
  if (argc >= 2 && std::string(argv[1]) == "trace-stats") {
    return pipesim::trace_stats_main(argc - 1, argv + 1);
  }
  CLI::App app{"pipesim — discrete-event simulator of pipelined consensus/execution networks"};
  app.require_subcommand(1);

  std::string file, out;
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
  bool quiet = false;

  auto* run = app.add_subcommand("run", "Run one scenario and write its output folder");
  run->add_option("scenario", file, "Scenario JSON file")->required();
  run->add_option("--out", out, "Output folder (default: outputs.dir/<scenario name>)");
  run->add_option("--seed", seed, "Override the scenario's seed");
  run->add_option("--set", overrides, "Override a scenario key: key.path=value (repeatable)");
  run->add_flag("--quiet,-q", quiet, "No progress line and no summary");

  auto* validate = app.add_subcommand("validate", "Check a scenario without simulating");
  validate->add_option("scenario", file, "Scenario JSON file")->required();
  validate->add_option("--set", overrides, "Override a scenario key: key.path=value");
  app.add_subcommand("exec", "Run an executor on a generated block (see pipesim exec --help)");
  app.add_subcommand("compare", "Run a scenario under several variants, side by side (--help)");
  app.add_subcommand("sweep", "Run a scenario's sweep section, one process per point (--help)");
  app.add_subcommand("plot", "Figures from a sweep, comparison or run folder (see --help)");
  app.add_subcommand("calibrate",
                     "Fit the cost model to published sequential block times (see --help)");
  app.add_subcommand("trace-stats",
                     "Per-block statistics of the shipped mainnet traces (see --help)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (*run) return cmd_run(file, overrides, seed, out, quiet);
    if (*validate) return cmd_validate(file, overrides);
  } catch (const sim::ScenarioError& e) {
    fmt::print(stderr, "pipesim: invalid scenario {}: {}\n", file, e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "pipesim: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
