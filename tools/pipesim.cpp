// pipesim — command-line entry point.
//
//   pipesim run SCENARIO.json [--out DIR] [--seed N] [--set key.path=value ...] [--quiet]
//   pipesim validate SCENARIO.json [--set key.path=value ...]
//   pipesim exec ...            (executors alone, no network; see `pipesim exec --help`)
//   pipesim trace-stats ...     (per-block statistics of the shipped mainnet access traces)
//   pipesim compare FILE.json   (one scenario under several variants, side by side)
//   pipesim sweep SCENARIO.json (every point of its "sweep" section, resumable; sweep.csv)
//   pipesim capacity FILE.json (load sweep per pipeline/topology until saturation; capacity.csv)
//   pipesim plot DIR            (paper-style figures via analysis/plot.py; see docs/plots.md)
//   pipesim calibrate           (fit the cost model to published times; docs/calibration.md)
//
// Exit codes: 0 success; 1 runtime failure; 2 invalid scenario or usage (nothing written);
// 3 the run finished but an invariant failed (outputs are written, the failure is listed).
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "models/pipelines/pipeline.hpp"
#include "sim/output/run_folder.hpp"
#include "sim/recorder.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

#include "tools/calibrate_command.hpp"
#include "tools/capacity_command.hpp"
#include "tools/child_process.hpp"
#include "tools/compare_command.hpp"
#include "tools/exec_command.hpp"
#include "tools/plot_command.hpp"
#include "tools/sweep_command.hpp"
#include "tools/trace_stats_command.hpp"

namespace fs = std::filesystem;
using namespace pipesim;

namespace {

/// Process start, for the run log's wall time (static initialisation happens before main); a
/// forked sweep point or compare variant counts from its fork (child_main).
auto g_process_start = std::chrono::steady_clock::now();

/// One line on stderr (the run log: a sweep point's run.log) with the process's wall time, split
/// into start-up (scenario, platform, workload and pipeline construction) and simulation, its CPU
/// time (user + system) and its peak resident set (getrusage ru_maxrss, KiB on Linux). Not in
/// summary.json, which stays byte-identical across runs.
void log_resources(double startup_s, double simulation_s) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - g_process_start).count();
  fmt::print(stderr,
             "pipesim: wall {:.3f} s (start-up {:.3f} s, simulation {:.3f} s), cpu {:.3f} s, "
             "peak rss {:.1f} MiB\n",
             wall_s, startup_s, simulation_s, seconds(ru.ru_utime) + seconds(ru.ru_stime),
             static_cast<double>(ru.ru_maxrss) / 1024.0);
}

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

int cmd_pipelines(bool as_json) {
  if (as_json) {
    fmt::print("{}\n", pipelines::pipelines_json().dump(2));
    return 0;
  }
  for (const auto& e : pipelines::pipeline_registry()) {
    fmt::print("{:<24} {:<9} {}\n", e.info->name, e.info->consensus, e.info->summary);
  }
  return 0;
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

extern "C" void on_stop_signal(int sig) {
  sim::request_stop(sig);
}

/// SIGINT, SIGTERM and SIGHUP stop the simulation at its next event (cmd_run then removes the
/// staged outputs and leaves the INCOMPLETE marker) instead of killing the process mid-write.
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

int cmd_run(const std::string& file, const std::vector<std::string>& overrides,
            const std::optional<std::uint64_t>& seed, const std::string& out, bool quiet) {
  sim::Scenario scenario = load(file, overrides, seed);
  const fs::path dir = out.empty() ? fs::path(scenario.outputs.dir) / scenario.name : fs::path(out);
  // Lock + staging folder first: an unwritable or busy folder fails before simulating.
  sim::output::RunFolder folder(dir);
  const bool progress_on = !quiet && isatty(STDERR_FILENO);
  // Input errors found while building the network (platform hosts, topology connectivity) are
  // scenario errors too: the folder is left as it was (RunFolder removes what it created).
  auto sim_ptr = std::make_unique<sim::Simulation>(scenario, folder.staging());
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
  // After the engine exists: SimGrid installs a SIGINT handler of its own that exits 1.
  install_stop_handlers();
  folder.begin();
  const double startup_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - g_process_start).count();
  sim::RunStats stats;
  try {
    stats = simulation.run(*app, progress);
    if (progress_on && stats.wall_s >= 1.0) fmt::print(stderr, "\n");
    simulation.recorder().write_outputs();
    if (const int sig = sim::stop_requested(); sig != 0) throw sim::RunInterrupted(sig);
    folder.commit();
  } catch (const sim::RunInterrupted& e) {
    if (progress_on) fmt::print(stderr, "\n");
    folder.abandon(fmt::format("interrupted by SIG{}", sigabbrev_np(e.signal())));
    fmt::print(stderr, "pipesim: run interrupted by SIG{}: no outputs written (see {})\n",
               sigabbrev_np(e.signal()), (dir / sim::output::RunFolder::kMarker).string());
    return 128 + e.signal();
  } catch (const std::bad_alloc&) {
    folder.abandon("out of memory");
    throw;
  } catch (const std::exception& e) {
    folder.abandon(e.what());
    throw;
  }
  log_resources(startup_s, stats.wall_s);
  sim::Recorder& rec = simulation.recorder();
  if (!quiet) print_summary(scenario, rec.summary(), stats, dir);
  if (!rec.invariants_hold()) {
    // Name each violated invariant and where (its detail), also with --quiet.
    const nlohmann::json summary = rec.summary();
    if (const auto it = summary.find("invariants"); it != summary.end() && it->is_object()) {
      for (const auto& [name, inv] : it->items()) {
        if (inv.value("holds", true)) continue;
        const std::string detail = inv.value("detail", std::string());
        fmt::print(stderr, "pipesim: invariant {} violated{}{}\n", name, detail.empty() ? "" : ": ",
                   detail);
      }
    }
    fmt::print(stderr, "pipesim: an invariant was violated (see {}/summary.json)\n", dir.string());
    return 3;
  }
  return 0;
}

/// Everything `run` does before simulating: the scenario (with its resource estimate), then the
/// platform, topology, latency data and the pipeline built in memory; nothing is written.
int cmd_validate(const std::string& file, const std::vector<std::string>& overrides) {
  sim::Scenario s = sim::load_scenario(file, overrides);
  sim::Simulation simulation(s);
  auto app = pipelines::make_pipeline(s, simulation);
  fmt::print("{}: valid ({} pipeline, {} validators, {} s simulated)\n", file, s.pipeline.kind,
             s.network.validators, s.duration_s);
  return 0;
}

}  // namespace

int pipesim_main(int argc, char** argv);

/// Entry point of a forked child (tools::set_child_main): `pipesim ARGS` in the fork.
int child_main(int argc, char** argv) {
  g_process_start = std::chrono::steady_clock::now();
  return pipesim_main(argc, argv);
}

int pipesim_main(int argc, char** argv) {
  tools::die_with_parent();  // a sweep point or compare variant: no orphan when the parent dies
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
  if (argc >= 2 && std::string(argv[1]) == "capacity") {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    return pipesim::capacity_main(argc - 1, argv + 1, self.c_str());
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
  bool pipelines_as_json = false;
  auto* list =
      app.add_subcommand("pipelines", "List the pipeline registry (--json: for analysis/)");
  list->add_flag("--json", pipelines_as_json,
                 "Print the registry as JSON (analysis/pipesim_plots/pipelines.json is this)");
  app.add_subcommand("exec", "Run an executor on a generated block (see pipesim exec --help)");
  app.add_subcommand("compare", "Run a scenario under several variants, side by side (--help)");
  app.add_subcommand("sweep", "Run a scenario's sweep section, one process per point (--help)");
  app.add_subcommand("capacity", "Load sweep per pipeline and topology until saturation (--help)");
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
    if (*list) return cmd_pipelines(pipelines_as_json);
    if (*run) return cmd_run(file, overrides, seed, out, quiet);
    if (*validate) return cmd_validate(file, overrides);
  } catch (const sim::ScenarioError& e) {
    fmt::print(stderr, "pipesim: invalid scenario {}: {}\n", file, e.what());
    return 2;
  } catch (const sim::output::RunFolderBusy& e) {
    fmt::print(stderr, "pipesim: {}\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr,
               "pipesim: error: out of memory while simulating {} (the scenario passed the "
               "resource estimate of docs/scenario.md but needed more); lower network.validators, "
               "workload.tps or duration_s\n",
               file);
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "pipesim: error: {}\n", e.what());
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (const char* mode = std::getenv("PIPESIM_CHILDREN");
      mode != nullptr && std::string_view(mode) != "exec" && std::string_view(mode) != "fork") {
    fmt::print(stderr,
               "pipesim: PIPESIM_CHILDREN={}: expected \"fork\" (the default) or \"exec\"\n", mode);
    return 2;
  }
  // Sweep points, capacity points and compare variants are forks of this process.
  tools::set_child_main(&child_main);
  if (argc >= 2 && tools::children_forked()) {
    const std::string command = argv[1];
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if ((command == "sweep" || command == "capacity" || command == "compare") &&
        (tunables == nullptr ||
         std::string_view(tunables).find("glibc.malloc.hugetlb=") == std::string_view::npos)) {
      // Forked children inherit this process's allocator, so this process takes the huge-page
      // setting exec'd children got (tools::kChildMallocTunable): it starts again once with
      // it. If that fails, it goes on without.
      const std::string value = tools::child_glibc_tunables(tunables);
      setenv("GLIBC_TUNABLES", value.c_str(), 1);
      execv("/proc/self/exe", argv);
    }
  }
  return pipesim_main(argc, argv);
}
