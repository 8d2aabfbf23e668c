#include "tools/sweep_command.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "models/common/input_reuse.hpp"
#include "models/pipelines/pipeline.hpp"
#include "sim/output/atomic_file.hpp"
#include "sim/output/csv.hpp"
#include "sim/recorder.hpp"
#include "sim/scenario.hpp"
#include "tools/child_process.hpp"
#include "tools/sweep_plan.hpp"
#include "tools/sweep_runner.hpp"

namespace pipesim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
using sweep::read_summary;
using sweep::read_text;

/// Test hook (docs/sweeps.md): the point whose child is killed with SIGKILL right after it
/// starts, to exercise the crashed-point path without a crashing scenario.
constexpr const char* kKillHookEnv = "PIPESIM_SWEEP_TEST_KILL";

bool file_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

bool finished(const fs::path& pdir) {
  return read_summary(pdir).has_value();
}

/// Parses a JSON file the sweep wrote itself (point.json, scenario.json); throws naming the file.
template <class J>
J parse_file(const fs::path& f) {
  J j = J::parse(read_text(f), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    throw std::runtime_error(
        fmt::format("{}: not valid JSON (a damaged point folder: remove it "
                    "and run the sweep again)",
                    f.string()));
  }
  return j;
}

/// Set by SIGINT / SIGTERM / SIGHUP during run_points: no new point starts, running points are
/// stopped (they exit "interrupted") and the sweep collects what finished.
volatile std::sig_atomic_t g_sweep_stop = 0;
extern "C" void on_sweep_signal(int sig) {
  g_sweep_stop = sig;
}

using sweep::Plan;

/// Loads and validates everything; writes nothing. Throws sim::ScenarioError / SweepError.
Plan make_plan(const std::string& file, const std::vector<std::string>& overrides,
               const std::string& out) {
  for (const auto& o : overrides) {
    if (o.rfind("sweep", 0) == 0 && (o.size() == 5 || o[5] == '.' || o[5] == '=')) {
      throw sweep::SweepError("--set " + o +
                              ": the sweep section cannot be overridden, expected a scenario key");
    }
  }
  // The base scenario alone (also reports unreadable files and JSON syntax errors).
  const sim::Scenario base = sim::load_scenario(file, overrides);
  const std::string text = read_text(file);
  const ojson ordered = ojson::parse(text);
  if (!ordered.contains("sweep")) {
    throw sweep::SweepError(
        "sweep: missing, expected a \"sweep\" object with grid, zip and/or seeds "
        "(docs/sweeps.md)");
  }
  const sweep::SweepSpec spec = sweep::parse_sweep(ordered["sweep"]);
  Plan plan;
  plan.points = sweep::expand(spec, base.seed);
  json doc = json::parse(text);
  for (const auto& o : overrides) sim::apply_override(doc, o);
  const fs::path parent = fs::path(file).parent_path();
  const std::vector<sim::Scenario> scenarios =
      sweep::resolve_points(doc, parent.empty() ? "." : parent.string(), plan.points);
  for (const sim::Scenario& s : scenarios) {
    plan.scenario_text.push_back(sim::to_json(s).dump(2) + "\n");
  }
  plan.name = spec.name.empty() ? base.name + "-sweep" : spec.name;
  plan.dir = out.empty() ? fs::path(base.outputs.dir) / (base.name + "-sweep") : fs::path(out);
  ojson j = ojson::object();
  j["name"] = plan.name;
  j["scenario_file"] = fs::absolute(file).lexically_normal().string();
  j["overrides"] = overrides;
  j["sweep"] = ordered["sweep"];
  // The base scenario as resolved (with --set), its seed and config hash; each point's own
  // resolved scenario is points/<id>/scenario.json.
  const json resolved_base = sim::to_json(base);
  j["base_scenario"] = resolved_base;
  j["seed"] = base.seed;
  j["config_hash"] = sim::config_hash(resolved_base);
  j["code_version"] = sim::code_version();
  j["points"] = ojson::array();
  for (const auto& p : plan.points) j["points"].push_back(p.to_json());
  plan.sweep_json = std::move(j);
  return plan;
}

}  // namespace

std::string sweep::read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<json> sweep::read_summary(const fs::path& pdir, std::string* problem) {
  const fs::path f = pdir / "summary.json";
  if (!file_exists(f)) return std::nullopt;
  json j = json::parse(read_text(f), nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object() && j.contains("metrics") && j["metrics"].is_object()) {
    return j;
  }
  if (problem != nullptr) {
    *problem = fmt::format("{} is {}, expected the summary of a finished run", f.string(),
                           j.is_discarded() ? "not valid JSON" : "not a run summary");
  }
  return std::nullopt;
}

fs::path sweep::point_dir(const fs::path& dir, const sweep::Point& p) {
  return dir / "points" / p.id;
}

/// Refuses to mix two sweeps in one folder: a point folder whose scenario.json differs from the
/// one this sweep would run. Returns the first conflicting point id, or "".
std::string sweep::conflicting_point(const Plan& plan) {
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const fs::path f = point_dir(plan.dir, plan.points[i]) / "scenario.json";
    if (file_exists(f) && read_text(f) != plan.scenario_text[i]) return plan.points[i].id;
  }
  return "";
}

void sweep::write_plan(const Plan& plan) {
  fs::create_directories(plan.dir / "points");
  sim::output::write_file_atomic(plan.dir / "sweep.json", plan.sweep_json.dump(2) + "\n");
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const fs::path pdir = point_dir(plan.dir, plan.points[i]);
    fs::create_directories(pdir);
    sim::output::write_file_atomic(pdir / "point.json", plan.points[i].to_json().dump(2) + "\n");
    if (read_text(pdir / "scenario.json") != plan.scenario_text[i]) {
      sim::output::write_file_atomic(pdir / "scenario.json", plan.scenario_text[i]);
    }
  }
}

namespace {
using sweep::point_dir;

std::vector<std::string> run_command(const std::string& exe, const fs::path& pdir) {
  return {exe, "run", (pdir / "scenario.json").string(), "--out", pdir.string(), "--quiet"};
}

// ---- Collecting point folders into sweep.csv. ------------------------------------------------

struct CollectResult {
  std::map<std::string, std::size_t> by_status;
  std::vector<std::string> not_ok;  // "p0003 crashed"
  std::size_t rows = 0;
};

/// The status of a point folder: from summary.json ("ok" | "invariant_violation"), else the
/// first line of error.txt ("status: crashed"), else "missing".
std::string point_status(const fs::path& pdir, const json* summary) {
  if (summary != nullptr) {
    return summary->value("invariants_hold", true) ? "ok" : "invariant_violation";
  }
  if (file_exists(pdir / "summary.json")) return "corrupt_summary";
  std::ifstream err(pdir / "error.txt");
  std::string line;
  if (err && std::getline(err, line) && line.rfind("status: ", 0) == 0) return line.substr(8);
  return "missing";
}

/// Tabulates DIR/points/* into DIR/sweep.csv. `only` (when not null) restricts the rows to
/// these point ids (a sweep run ignores folders left by a larger sweep in the same DIR).
CollectResult collect(const fs::path& dir, const std::set<std::string>* only = nullptr) {
  struct PointData {
    std::string id;
    ojson point;
    std::optional<json> summary;
    std::string status;
    std::string kind;
  };
  std::vector<PointData> data;
  std::vector<fs::path> folders;
  if (fs::is_directory(dir / "points")) {
    for (const auto& e : fs::directory_iterator(dir / "points")) {
      if (!e.is_directory() || !file_exists(e.path() / "point.json")) continue;
      if (only != nullptr && only->count(e.path().filename().string()) == 0) continue;
      folders.push_back(e.path());
    }
  }
  if (folders.empty()) {
    throw std::runtime_error(
        fmt::format("{}: no point folders (points/*/point.json), expected the folder of a "
                    "sweep made by pipesim sweep or --emit-jobs",
                    dir.string()));
  }
  std::sort(folders.begin(), folders.end());
  std::vector<std::string> label_cols, param_cols;
  std::set<std::string> metric_cols;
  for (const fs::path& pdir : folders) {
    PointData d;
    d.id = pdir.filename().string();
    d.point = parse_file<ojson>(pdir / "point.json");
    std::string problem;
    d.summary = read_summary(pdir, &problem);
    if (!problem.empty()) fmt::print(stderr, "pipesim sweep: {}\n", problem);
    d.status = point_status(pdir, d.summary ? &*d.summary : nullptr);
    if (d.summary) {
      d.kind = (*d.summary)["scenario"]["pipeline"].value("kind", "");
      for (const auto& [col, v] : sweep::metric_cells((*d.summary)["metrics"])) {
        metric_cols.insert(col);
      }
    } else if (file_exists(pdir / "scenario.json")) {
      const json s = json::parse(read_text(pdir / "scenario.json"), nullptr, false);
      if (s.is_object() && s.contains("pipeline") && s["pipeline"].is_object()) {
        d.kind = s["pipeline"].value("kind", "");
      }
    }
    if (d.point.contains("labels")) {
      for (const auto& [k, v] : d.point["labels"].items()) {
        if (std::find(label_cols.begin(), label_cols.end(), k) == label_cols.end()) {
          label_cols.push_back(k);
        }
      }
    }
    if (d.point.contains("params")) {
      for (const auto& [k, v] : d.point["params"].items()) {
        if (std::find(param_cols.begin(), param_cols.end(), k) == param_cols.end()) {
          param_cols.push_back(k);
        }
      }
    }
    data.push_back(std::move(d));
  }
  const bool kind_swept =
      std::find(param_cols.begin(), param_cols.end(), "pipeline.kind") != param_cols.end();
  std::vector<std::string> header{"point", "status", "seed"};
  header.insert(header.end(), label_cols.begin(), label_cols.end());
  header.insert(header.end(), param_cols.begin(), param_cols.end());
  if (!kind_swept) header.push_back("pipeline.kind");
  header.push_back("config_hash");
  header.push_back("code_version");
  header.insert(header.end(), metric_cols.begin(), metric_cols.end());
  sim::output::CsvWriter csv(dir / "sweep.csv", header);
  CollectResult result;
  for (const PointData& d : data) {
    csv.add(d.id).add(d.status);
    if (d.point.contains("seed")) {
      csv.add(d.point["seed"].get<std::uint64_t>());
    } else {
      csv.add_empty();
    }
    for (const auto& k : label_cols) {
      if (d.point.contains("labels") && d.point["labels"].contains(k)) {
        csv.add(sweep::param_cell(d.point["labels"][k]));
      } else {
        csv.add_empty();
      }
    }
    for (const auto& k : param_cols) {
      const ojson& params = d.point["params"];
      if (params.contains(k)) {
        csv.add(sweep::param_cell(params[k]));
      } else {
        csv.add_empty();
      }
    }
    if (!kind_swept) csv.add(d.kind);
    csv.add(d.summary ? d.summary->value("config_hash", "") : "");
    csv.add(d.summary ? d.summary->value("code_version", "") : "");
    const auto cells = d.summary ? sweep::metric_cells((*d.summary)["metrics"])
                                 : std::map<std::string, std::string>{};
    for (const auto& col : metric_cols) {
      const auto it = cells.find(col);
      if (it == cells.end()) {
        csv.add_empty();
      } else {
        csv.add(it->second);
      }
    }
    csv.end_row();
    ++result.by_status[d.status];
    if (d.status != "ok") result.not_ok.push_back(d.id + " " + d.status);
  }
  csv.commit();
  result.rows = data.size();
  return result;
}

std::string status_counts(const CollectResult& r) {
  std::vector<std::string> parts;
  for (const auto& [status, n] : r.by_status) parts.push_back(fmt::format("{} {}", status, n));
  return fmt::format("{}", fmt::join(parts, ", "));
}

/// 0 all ok; 3 only invariant violations besides ok; 1 anything else (failed, missing, ...).
int exit_code(const CollectResult& r) {
  int code = 0;
  for (const auto& [status, n] : r.by_status) {
    if (status == "ok") continue;
    if (status == "invariant_violation") {
      code = 3;
    } else {
      return 1;
    }
  }
  return code;
}

// ---- Running points. ---------------------------------------------------------------------------

std::string mmss(double seconds) {
  const long long s = std::llround(seconds);
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

struct Running {
  std::size_t point = 0;
  pid_t pid = 0;
  Clock::time_point start;
  bool timed_out = false;
};

/// Removes leftovers of an earlier attempt at the point (error report, temporary files of a
/// killed run) before it runs again.
void clean_point(const fs::path& pdir) {
  std::error_code ec;
  fs::remove(pdir / "error.txt", ec);
  for (const auto& e : fs::directory_iterator(pdir, ec)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) fs::remove(e.path(), ec);
  }
}

/// Classifies a finished child; writes error.txt for a failed one. Returns the status.
std::string finish_point(const Running& r, int wait_status, const fs::path& pdir,
                         const std::vector<std::string>& command) {
  const int code = tools::exit_code_of(wait_status);
  const bool summary = file_exists(pdir / "summary.json");
  std::error_code ec;
  if (summary && (code == 0 || code == 3)) {
    if (fs::file_size(pdir / "run.log", ec) == 0 && !ec) fs::remove(pdir / "run.log", ec);
    return code == 0 ? "ok" : "invariant_violation";
  }
  std::string status = "failed";
  std::string exit_text = fmt::format("exit status {}", code);
  // `pipesim run` exits 128 + signal after a SIGINT / SIGTERM / SIGHUP it handled.
  const int sig = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : code > 128 ? code - 128 : 0;
  if (!r.timed_out && (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)) {
    status = "interrupted";
    exit_text =
        fmt::format("stopped by SIG{} (runs again on the next `pipesim sweep`)", sigabbrev_np(sig));
  } else if (r.timed_out) {
    status = "timeout";
    exit_text = "killed after --timeout-s";
  } else if (WIFSIGNALED(wait_status)) {
    status = "crashed";
    exit_text = fmt::format("killed by signal {} ({})", WTERMSIG(wait_status),
                            strsignal(WTERMSIG(wait_status)));
  }
  std::string cmd;
  for (const auto& a : command) cmd += (cmd.empty() ? "" : " ") + tools::shell_quote(a);
  // A point that ended without its summary is unfinished: drop a summary from an odd exit.
  if (summary) fs::remove(pdir / "summary.json", ec);
  sim::output::write_file_atomic(
      pdir / "error.txt",
      fmt::format("status: {}\nexit: {}\ncommand: {}\n--- last 30 lines of run.log ---\n{}", status,
                  exit_text, cmd, tools::tail_lines(pdir / "run.log", 30)));
  return status;
}

}  // namespace

void sweep::preload_for_children(const std::string& file,
                                 const std::vector<std::string>& overrides) {
  if (!tools::children_forked()) return;
  enable_input_reuse();
  try {
    pipelines::preload_inputs(sim::load_scenario(file, overrides));
  } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the child reports it
  }
}

int sweep::run_points(const Plan& plan, const std::string& exe, unsigned jobs, double timeout_s,
                      bool quiet) {
  std::deque<std::size_t> pending;
  std::size_t skipped = 0;
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    std::string problem;
    if (read_summary(point_dir(plan.dir, plan.points[i]), &problem)) {
      ++skipped;
    } else {
      if (!problem.empty()) {
        fmt::print(stderr, "pipesim sweep: {}; point {} runs again\n", problem, plan.points[i].id);
      }
      pending.push_back(i);
    }
  }
  // Forked points share what the first one to run loads before simulating (docs/sweeps.md).
  if (!pending.empty()) {
    preload_for_children(
        (point_dir(plan.dir, plan.points[pending.front()]) / "scenario.json").string());
  }
  g_sweep_stop = 0;
  struct sigaction sa {};
  sa.sa_handler = on_sweep_signal;
  sigemptyset(&sa.sa_mask);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  int forwarded = 0;
  const std::size_t total = plan.points.size();
  const bool tty = !quiet && isatty(STDERR_FILENO);
  const char* kill_hook = std::getenv(kKillHookEnv);
  if (!quiet) {
    fmt::print(stderr,
               "pipesim sweep: {} — {} points, {} already finished, {} to run (-j {}, {})\n",
               plan.name, total, skipped, pending.size(), jobs,
               tools::children_forked() ? "forked" : "exec");
  }
  std::vector<Running> running;
  // ok_now: points of this session that ran to their summary (the ETA's mean excludes
  // points that crashed or failed early).
  std::size_t done = skipped, ok = 0, failed = 0, finished_now = 0, ok_now = 0;
  const Clock::time_point t0 = Clock::now();
  std::string shown;  // the progress line on screen: redrawn only when its text changes
  const auto progress = [&] {
    if (!tty) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::string eta =
        finished_now == 0
            ? "--:--"
            : mmss(elapsed / static_cast<double>(finished_now) * static_cast<double>(total - done));
    std::string line = fmt::format("[{}/{}] ok {} failed {}  ETA {}", done, total, ok, failed, eta);
    if (line == shown) return;
    fmt::print(stderr, "\r{:<{}}", line, std::max(line.size(), shown.size()));
    std::fflush(stderr);
    shown = std::move(line);
  };
  progress();
  while (!pending.empty() || !running.empty()) {
    if (const int sig = g_sweep_stop; sig != 0 && forwarded == 0) {
      // Children share the terminal's process group (a Ctrl-C reached them already); a signal
      // sent to the sweep alone is passed on. They stop and report "interrupted".
      forwarded = sig;
      pending.clear();
      for (const Running& r : running) kill(r.pid, sig);
    }
    while (!pending.empty() && running.size() < jobs) {
      const std::size_t i = pending.front();
      pending.pop_front();
      const fs::path pdir = point_dir(plan.dir, plan.points[i]);
      clean_point(pdir);
      Running r;
      r.point = i;
      r.start = Clock::now();
      r.pid = tools::spawn_process(run_command(exe, pdir), pdir / "run.log");
      if (kill_hook != nullptr && plan.points[i].id == kill_hook) kill(r.pid, SIGKILL);
      running.push_back(r);
    }
    bool reaped = false;
    for (auto it = running.begin(); it != running.end();) {
      int wstatus = 0;
      const pid_t got = waitpid(it->pid, &wstatus, WNOHANG);
      if (got == 0) {
        if (timeout_s > 0 && !it->timed_out &&
            std::chrono::duration<double>(Clock::now() - it->start).count() > timeout_s) {
          kill(it->pid, SIGKILL);
          it->timed_out = true;
        }
        ++it;
        continue;
      }
      const sweep::Point& p = plan.points[it->point];
      const fs::path pdir = point_dir(plan.dir, p);
      const std::string status =
          got < 0 ? "failed" : finish_point(*it, wstatus, pdir, run_command(exe, pdir));
      const double wall = std::chrono::duration<double>(Clock::now() - it->start).count();
      ++done;
      ++finished_now;
      if (status == "ok" || status == "invariant_violation") {
        ++ok;
        ++ok_now;
      } else {
        ++failed;
      }
      std::vector<std::string> params;
      for (const auto& [k, v] : p.params.items()) {
        params.push_back(k + "=" + sweep::param_cell(v));
      }
      params.push_back(fmt::format("seed={}", p.seed));
      const std::string line =
          fmt::format("  {} {} ({}) {:.1f} s", p.id, status, fmt::join(params, " "), wall);
      const bool bad = status != "ok" && status != "invariant_violation";
      if (bad || status == "invariant_violation" || (!quiet && !tty)) {
        const std::string report =
            bad ? fmt::format("{}, see {}", line, (pdir / "error.txt").string()) : line;
        if (tty) {  // over the progress line, which is drawn again below
          fmt::print(stderr, "\r{:<{}}\n", report, shown.size());
          shown.clear();
        } else {
          fmt::print(stderr, "{}\n", report);
        }
      }
      it = running.erase(it);
      reaped = true;
      progress();
    }
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    progress();
  }
  if (tty) fmt::print(stderr, "\n");
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, SIG_DFL);
  std::set<std::string> ids;
  for (const auto& p : plan.points) ids.insert(p.id);
  const CollectResult r = collect(plan.dir, &ids);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!quiet) {
    fmt::print("pipesim sweep: {}: {} points ({}), {} run now in {:.1f} s wall\n  results in {}\n",
               plan.name, r.rows, status_counts(r), finished_now, wall,
               (plan.dir / "sweep.csv").string());
  }
  if (forwarded != 0) {
    fmt::print(stderr,
               "pipesim sweep: interrupted by SIG{}; unfinished points run on the next "
               "`pipesim sweep` with the same --out\n",
               sigabbrev_np(forwarded));
    return 128 + forwarded;
  }
  return exit_code(r);
}

int sweep_main(int argc, char** argv, const char* self_exe) {
  CLI::App app{
      "pipesim sweep — run every point of a scenario's \"sweep\" section, each in its own "
      "process (docs/sweeps.md)"};
  app.name("pipesim sweep");
  std::string file, out, collect_dir;
  std::vector<std::string> overrides;
  unsigned jobs = 1;
  double timeout_s = 0.0;
  bool quiet = false, emit_jobs = false;
  app.add_option("scenario", file, "Scenario JSON file with a \"sweep\" section");
  app.add_option("--out", out, "Sweep folder (default: outputs.dir/<scenario name>-sweep)");
  app.add_option("-j,--jobs", jobs, "Points run at the same time (child processes)")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--set", overrides,
                 "Override a key of the base scenario: key.path=value (repeatable)");
  app.add_option("--timeout-s", timeout_s,
                 "Kill a point after this many wall-clock seconds (0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--quiet,-q", quiet, "No progress line, no per-point lines, no summary");
  app.add_flag("--emit-jobs", emit_jobs,
               "Write the point folders, print one `pipesim run` command per unfinished point "
               "and exit");
  app.add_option("--collect", collect_dir,
                 "Rebuild DIR/sweep.csv from DIR/points/* (points run elsewhere)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!collect_dir.empty()) {
    if (!file.empty() || emit_jobs) {
      fmt::print(stderr, "pipesim sweep: --collect DIR takes no scenario and no --emit-jobs\n");
      return 2;
    }
    try {
      const CollectResult r = collect(collect_dir);
      if (!quiet) {
        fmt::print("pipesim sweep --collect: {} points ({})\n  results in {}\n", r.rows,
                   status_counts(r), (fs::path(collect_dir) / "sweep.csv").string());
      }
      for (const auto& s : r.not_ok) {
        if (s.find("invariant_violation") == std::string::npos) {
          fmt::print(stderr, "  point {}\n", s);
        }
      }
      return exit_code(r);
    } catch (const std::exception& e) {
      fmt::print(stderr, "pipesim sweep --collect: {}\n", e.what());
      return 2;
    }
  }
  if (file.empty()) {
    fmt::print(stderr, "pipesim sweep: missing SCENARIO.json (see --help)\n");
    return 2;
  }
  Plan plan;
  try {
    plan = make_plan(file, overrides, out);
  } catch (const sim::ScenarioError& e) {
    fmt::print(stderr, "pipesim: invalid scenario {}: {}\n", file, e.what());
    return 2;
  } catch (const sweep::SweepError& e) {
    fmt::print(stderr, "pipesim: invalid sweep in {}: {}\n", file, e.what());
    return 2;
  }
  if (const std::string id = conflicting_point(plan); !id.empty()) {
    fmt::print(stderr,
               "pipesim sweep: {} holds point {} of a different sweep (its scenario.json "
               "differs from this sweep's), expected an empty folder or this sweep's; use "
               "another --out or remove it\n",
               plan.dir.string(), id);
    return 2;
  }
  try {
    write_plan(plan);
    if (emit_jobs) {
      const std::string exe = fs::absolute(self_exe).string();
      const fs::path dir = fs::absolute(plan.dir).lexically_normal();
      for (const auto& p : plan.points) {
        if (finished(point_dir(dir, p))) continue;
        std::string line;
        for (const auto& a : run_command(exe, point_dir(dir, p))) {
          line += (line.empty() ? "" : " ") + tools::shell_quote(a);
        }
        fmt::print("{}\n", line);
      }
      return 0;
    }
    return run_points(plan, self_exe, jobs, timeout_s, quiet);
  } catch (const std::exception& e) {
    fmt::print(stderr, "pipesim sweep: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace pipesim
