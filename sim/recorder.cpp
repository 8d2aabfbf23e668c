#include "sim/recorder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>

#include "models/common/random.hpp"
#include "sim/liveness.hpp"
#include "sim/output/atomic_file.hpp"
#include "sim/output/chrome_trace.hpp"
#include "sim/output/csv.hpp"
#include "sim/output/stats.hpp"

#ifndef PIPESIM_CODE_VERSION
#define PIPESIM_CODE_VERSION "unknown"
#endif

namespace pipesim::sim {
namespace {

constexpr double kNotYet = -1.0;

struct TxTimes {
  double submitted = kNotYet;
  double included = kNotYet;
  double committed = kNotYet;
  double executed = kNotYet;
  std::uint64_t gas = 0;
};

const char* track_name(Track t) {
  switch (t) {
    case Track::kConsensus:
      return "consensus";
    case Track::kNetwork:
      return "network";
    case Track::kExecution:
      return "execution";
    case Track::kFaults:
      return "faults";
    case Track::kSpeculate:
      return "speculate";
    case Track::kOrder:
      return "order";
    case Track::kReplay:
      return "replay";
    default:
      return "worker";
  }
}

}  // namespace

struct Recorder::Impl {
  Scenario scenario;
  std::filesystem::path run_dir;
  std::optional<output::ChromeTraceWriter> trace;
  std::vector<bool> track_named;  // per (node, tid) whether thread_name was written
  /// blocks.csv, streamed row by row during the run (one row per (block, node, stage): the
  /// largest output; kept in memory it grew linearly with blocks x validators).
  std::optional<output::CsvWriter> blocks_csv;
  /// Committed / finalized / ordered stages (32 B per (node, block)): the liveness section's
  /// input, kept apart from the streamed rows.
  std::vector<CommitPoint> commits;
  std::vector<TxTimes> txs;
  std::map<std::string, std::vector<double>> cpu_busy;  // stage -> per node seconds
  std::vector<double> exec_durations;
  std::vector<double> exec_budget;
  std::vector<std::uint64_t> bytes_sent, bytes_received;
  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json invariants = nlohmann::json::object();
  bool invariants_ok = true;
  std::map<std::string, nlohmann::json> sections;

  std::uint32_t pid(std::uint32_t node) const { return node + 1; }

  void ensure_track(std::uint32_t node, std::uint32_t tid) {
    const std::size_t key = static_cast<std::size_t>(node) * 64 + std::min<std::uint32_t>(tid, 63);
    if (key >= track_named.size()) track_named.resize(key + 1, false);
    if (track_named[key]) return;
    track_named[key] = true;
    const Track t = static_cast<Track>(tid);
    const std::string name =
        tid >= static_cast<std::uint32_t>(Track::kWorker0)
            ? fmt::format("worker {}", tid - static_cast<std::uint32_t>(Track::kWorker0))
            : std::string(track_name(t));
    trace->thread_name(pid(node), tid, name);
    trace->thread_sort_index(pid(node), tid, tid);
  }

  TxTimes& tx(std::uint64_t id) {
    if (id >= txs.size()) txs.resize(id + 1);
    return txs[id];
  }
};

Recorder::Recorder(const Scenario& scenario, std::filesystem::path run_dir)
    : impl_(std::make_unique<Impl>()) {
  impl_->scenario = scenario;
  impl_->run_dir = std::move(run_dir);
  if (!impl_->run_dir.empty() && scenario.outputs.blocks_csv) {
    impl_->blocks_csv.emplace(impl_->run_dir / "blocks.csv",
                              std::vector<std::string>{"height", "block_id", "round", "proposer",
                                                       "node", "stage", "time_s"});
  }
  if (!impl_->run_dir.empty() && scenario.outputs.trace) {
    impl_->trace.emplace(impl_->run_dir / "trace.json");
    const std::uint32_t traced =
        std::min(scenario.outputs.trace_nodes, scenario.network.validators);
    for (std::uint32_t node = 0; node < traced; ++node) {
      impl_->trace->process_name(impl_->pid(node), fmt::format("validator {}", node));
      impl_->trace->process_sort_index(impl_->pid(node), node);
    }
    impl_->trace->other_data("scenario", scenario.name);
    impl_->trace->other_data("seed", std::to_string(scenario.seed));
    impl_->trace->other_data("code_version", code_version());
  }
}

Recorder::~Recorder() = default;

void Recorder::block_stage(std::uint32_t node, const BlockRef& b, std::string_view stage,
                           double time_s) {
  if (stage == "committed" || stage == "finalized" || stage == "ordered") {
    impl_->commits.push_back({node, b.height, b.block_id, time_s});
  }
  if (impl_->blocks_csv) {
    output::CsvWriter& csv = *impl_->blocks_csv;
    char id[16];
    fmt::format_to_n(id, sizeof id, "{:016x}", b.block_id);
    csv.add(b.height)
        .add(std::string_view(id, sizeof id))
        .add(b.round)
        .add(static_cast<std::uint64_t>(b.proposer))
        .add(static_cast<std::uint64_t>(node))
        .add(stage)
        .add_fixed(time_s, 6);
    csv.end_row();
  }
  if (traced(node)) {
    instant(node, Track::kConsensus, fmt::format("{} h{}", stage, b.height), time_s);
  }
}

void Recorder::tx_submitted(std::uint64_t tx, double t) {
  impl_->tx(tx).submitted = t;
}
void Recorder::tx_included(std::uint64_t tx, double t) {
  impl_->tx(tx).included = t;
}
void Recorder::tx_committed(std::uint64_t tx, double t, std::uint64_t gas) {
  TxTimes& x = impl_->tx(tx);
  x.committed = t;
  x.gas = gas;
}
void Recorder::tx_executed(std::uint64_t tx, double t) {
  impl_->tx(tx).executed = t;
}

void Recorder::cpu_busy(std::uint32_t node, std::string_view stage, double seconds) {
  auto& v = impl_->cpu_busy[std::string(stage)];
  if (v.size() < impl_->scenario.network.validators) v.resize(impl_->scenario.network.validators);
  v[node] += seconds;
}

void Recorder::execution_job(double duration_s, double block_time_s) {
  impl_->exec_durations.push_back(duration_s);
  impl_->exec_budget.push_back(duration_s / block_time_s);
}

void Recorder::set_bytes(std::vector<std::uint64_t> sent, std::vector<std::uint64_t> received) {
  impl_->bytes_sent = std::move(sent);
  impl_->bytes_received = std::move(received);
}

bool Recorder::traced(std::uint32_t node) const {
  return impl_->trace.has_value() && node < impl_->scenario.outputs.trace_nodes;
}

void Recorder::span(std::uint32_t node, Track track, std::string_view name, double start_s,
                    double end_s) {
  if (!traced(node)) return;
  const auto tid = static_cast<std::uint32_t>(track);
  impl_->ensure_track(node, tid);
  impl_->trace->complete(impl_->pid(node), tid, name, std::max(0.0, start_s),
                         std::max(0.0, end_s - start_s), track_name(track));
}

void Recorder::instant(std::uint32_t node, Track track, std::string_view name, double time_s) {
  if (!traced(node)) return;
  const auto tid = static_cast<std::uint32_t>(track);
  impl_->ensure_track(node, tid);
  impl_->trace->instant(impl_->pid(node), tid, name, time_s);
}

void Recorder::counter(std::uint32_t node, std::string_view name, double time_s, double value) {
  if (!traced(node)) return;
  impl_->trace->counter(impl_->pid(node), name, time_s, value);
}

void Recorder::metric(const std::string& name, nlohmann::json value) {
  impl_->metrics[name] = std::move(value);
}

void Recorder::sample_metric(const std::string& name, const std::vector<double>& samples,
                             const std::string& unit) {
  impl_->metrics[name] = output::to_json(output::summarize(samples), unit);
}

void Recorder::invariant(const std::string& name, bool holds, const std::string& detail) {
  impl_->invariants[name] = {{"holds", holds}, {"detail", detail}};
  impl_->invariants_ok = impl_->invariants_ok && holds;
}

bool Recorder::invariants_hold() const {
  return impl_->invariants_ok;
}

void Recorder::section(const std::string& name, nlohmann::json value) {
  impl_->sections[name] = std::move(value);
}

nlohmann::json Recorder::summary() const {
  const Impl& s = *impl_;
  nlohmann::json m = s.metrics;
  // Measurement window [w0, w1) (scenario `measurement`): latencies are over the transactions
  // submitted in it that committed by the end of the run; those that did not are counted
  // (window_txs_not_committed), not dropped silently. Throughput counts commits inside it.
  const double w0 = s.scenario.measurement.warmup_s;
  const double w1 = s.scenario.duration_s - s.scenario.measurement.cooldown_s;
  const double window_s = w1 - w0;
  auto in_window = [&](double t) { return t >= w0 && t < w1; };
  std::vector<double> to_included, to_committed, to_executed;
  std::uint64_t committed = 0, window_submitted = 0, window_not_committed = 0;
  std::uint64_t window_commits = 0, window_gas = 0;
  for (const TxTimes& t : s.txs) {
    if (t.committed >= 0) ++committed;
    if (t.committed >= 0 && in_window(t.committed)) {
      ++window_commits;
      window_gas += t.gas;
    }
    if (t.submitted < 0 || !in_window(t.submitted)) continue;
    ++window_submitted;
    if (t.committed < 0) {
      ++window_not_committed;
      continue;
    }
    if (t.included >= 0) to_included.push_back(t.included - t.submitted);
    to_committed.push_back(t.committed - t.submitted);
    if (t.executed >= 0) to_executed.push_back(t.executed - t.submitted);
  }
  auto scalar = [](double v, const char* unit) {
    return nlohmann::json{{"value", v}, {"unit", unit}};
  };
  m["window_s"] = scalar(window_s, "s");
  m["window_txs_submitted"] = scalar(static_cast<double>(window_submitted), "tx");
  m["window_txs_not_committed"] = scalar(static_cast<double>(window_not_committed), "tx");
  m["window_offered_load_tx_per_s"] =
      scalar(static_cast<double>(window_submitted) / window_s, "tx/s");
  m["window_throughput_tx_per_s"] = scalar(static_cast<double>(window_commits) / window_s, "tx/s");
  m["window_throughput_gas_per_s"] = scalar(static_cast<double>(window_gas) / window_s, "gas/s");
  m["latency_submit_to_included_s"] = output::to_json(output::summarize(to_included), "s");
  m["latency_submit_to_committed_s"] = output::to_json(output::summarize(to_committed), "s");
  m["latency_submit_to_executed_s"] = output::to_json(output::summarize(to_executed), "s");
  m["execution_time_per_block_s"] = output::to_json(output::summarize(s.exec_durations), "s");
  m["execution_budget_utilisation"] = output::to_json(output::summarize(s.exec_budget), "ratio");
  std::vector<double> sent(s.bytes_sent.begin(), s.bytes_sent.end());
  std::vector<double> received(s.bytes_received.begin(), s.bytes_received.end());
  m["bytes_sent_per_node"] = output::to_json(output::summarize(sent), "bytes");
  m["bytes_received_per_node"] = output::to_json(output::summarize(received), "bytes");
  // Network cost of a committed transaction: mean bytes a node sent over the run / transactions
  // committed over the run (bytes are run totals, so this one is not windowed).
  if (!sent.empty() && committed > 0) {
    double total = 0;
    for (double b : sent) total += b;
    m["bytes_sent_per_node_per_committed_tx"] =
        scalar(total / static_cast<double>(sent.size()) / static_cast<double>(committed), "bytes");
  }
  for (const auto& [stage, per_node] : s.cpu_busy) {
    m["cpu_busy_" + stage + "_s_per_node"] = output::to_json(output::summarize(per_node), "s");
  }
  nlohmann::json resolved = to_json(s.scenario);
  nlohmann::json out;
  out["scenario"] = resolved;
  out["seed"] = s.scenario.seed;
  out["code_version"] = code_version();
  out["config_hash"] = config_hash(resolved);
  out["metrics"] = std::move(m);
  out["invariants"] = s.invariants;
  out["invariants_hold"] = s.invariants_ok;
  for (const auto& [name, value] : s.sections) out[name] = value;
  if (s.scenario.pipeline.kind != "propagation") {  // propagation commits nothing
    out["liveness"] = liveness_report(s.scenario, s.commits, s.scenario.duration_s);
    // The scalar figures also as metrics, so that sweep.csv tabulates them.
    const nlohmann::json& l = out["liveness"];
    nlohmann::json& metrics = out["metrics"];
    metrics["longest_gap_without_commits_s"] = {{"value", l["longest_gap_without_commits_s"]},
                                                {"unit", "s"}};
    metrics["progress_stopped"] = {{"value", l["progress_stopped"].get<bool>() ? 1 : 0},
                                   {"unit", "flag"}};
    const auto worst = [&](const char* list, const char* field) {
      double w = -1.0;
      bool all = true;
      if (l.contains(list)) {
        for (const auto& e : l[list]) {
          if (e[field].is_null())
            all = false;
          else
            w = std::max(w, e[field].get<double>());
        }
      }
      if (w >= 0.0 || !all) {
        metrics[std::string(field) + "_max"] = {
            {"value", all ? nlohmann::json(w) : nlohmann::json(nullptr)}, {"unit", "s"}};
      }
    };
    worst("partitions_healed", "recovery_s");
    worst("recoveries", "catch_up_s");
  }
  return out;
}

void Recorder::write_outputs() {
  Impl& s = *impl_;
  if (s.run_dir.empty()) return;
  const auto& o = s.scenario.outputs;
  if (s.blocks_csv) {
    s.blocks_csv->commit();
    s.blocks_csv.reset();
  }
  if (o.txs_csv) {
    output::CsvWriter csv(s.run_dir / "txs.csv",
                          {"tx", "submitted_s", "included_s", "committed_s", "executed_s", "gas"});
    // Deterministic sample: a seeded Bernoulli draw per transaction.
    std::mt19937_64 rng(s.scenario.seed ^ 0x7478736d706cULL);
    auto cell = [&csv](double t) {
      if (t < 0) {
        csv.add_empty();
      } else {
        csv.add_fixed(t, 6);
      }
    };
    for (std::size_t i = 0; i < s.txs.size(); ++i) {
      if (!bernoulli(rng, o.tx_sample_rate)) continue;
      const TxTimes& t = s.txs[i];
      csv.add(static_cast<std::uint64_t>(i));
      cell(t.submitted);
      cell(t.included);
      cell(t.committed);
      cell(t.executed);
      csv.add(t.gas);
      csv.end_row();
    }
    csv.commit();
  }
  if (s.trace) s.trace->commit();
  // Reproducibility bundle: the resolved scenario (every key, presets expanded, file paths
  // absolute); `pipesim run DIR/scenario.json` reproduces this run byte for byte. Written after
  // every other output and before summary.json, whose presence marks a finished run (pipesim
  // sweep's resume test; output::RunFolder moves it into place last).
  output::write_file_atomic(s.run_dir / "scenario.json", to_json(s.scenario).dump(2) + "\n");
  output::write_file_atomic(s.run_dir / "summary.json", summary().dump(2) + "\n");
}

std::string code_version() {
  return PIPESIM_CODE_VERSION;
}

std::string config_hash(const nlohmann::json& resolved_scenario) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : resolved_scenario.dump()) h = (h ^ c) * 1099511628211ULL;
  return fmt::format("{:016x}", h);
}

}  // namespace pipesim::sim
