// Recorder: a run's metrics and trace, and the writer of its output folder.
//
// Pipelines report what happens (block stages per node, transaction lifecycle, CPU busy time,
// execution jobs); the Recorder aggregates it and, at the end, writes atomically:
//   scenario.json the resolved scenario (to_json): `pipesim run DIR/scenario.json` reruns it;
//   summary.json  every metric with its unit and percentiles, invariants, the resolved scenario,
//                 seed, code version and config hash;
//   blocks.csv    one row per (block, node, stage), streamed during the run:
//   height,block_id,round,proposer,node,stage,time_s txs.csv       sampled transaction lifecycles
//   (outputs.txs_csv, outputs.tx_sample_rate); trace.json    Chrome trace event format (a process
//   per traced node, a track per stage).
// No SimGrid include.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario.hpp"

namespace pipesim::sim {

namespace output {
class ChromeTraceWriter;
}

/// Identity of a block for blocks.csv.
struct BlockRef {
  std::uint64_t height = 0;
  std::uint64_t block_id = 0;
  std::uint64_t round = 0;
  std::uint32_t proposer = 0;
};

/// Trace track ids inside a node's process (tid), stable across pipelines.
enum class Track : std::uint32_t {
  kConsensus = 1,
  kNetwork = 2,
  kExecution = 3,
  kFaults = 4,    // injected faults (crash, recover, partition, loss, delay, slow) on this node
  kWorker0 = 16,  // execution worker w is kWorker0 + w
  // speculate_order_replay (numbers below kWorker0, clear of other pipelines' additions):
  kSpeculate = 8,  // speculation of the node's next batch
  kOrder = 9,      // own vertex: proposal -> ordered
  kReplay = 10,    // replay of an ordered anchor block
};

class Recorder {
 public:
  /// `run_dir` empty: record in memory only (validate/tests); otherwise trace.json is streamed
  /// into `run_dir` (which must exist) during the run.
  explicit Recorder(const Scenario& scenario, std::filesystem::path run_dir = {});
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // --- blocks ---
  /// Node `node` reached `stage` ("proposed", "received", "executed", "voted", "committed", ...)
  /// for block `b` at `time_s`.
  void block_stage(std::uint32_t node, const BlockRef& b, std::string_view stage, double time_s);

  // --- transactions (ids dense from 0) ---
  void tx_submitted(std::uint64_t tx, double time_s);
  void tx_included(std::uint64_t tx, double time_s);
  void tx_committed(std::uint64_t tx, double time_s, std::uint64_t gas);
  void tx_executed(std::uint64_t tx, double time_s);

  // --- resources ---
  /// CPU busy seconds (simulated, after speed scaling) of `node` in `stage` (e.g. "consensus").
  void cpu_busy(std::uint32_t node, std::string_view stage, double seconds);
  /// One block execution on a node: wall (simulated) duration and the block time it must fit.
  void execution_job(double duration_s, double block_time_s);
  void set_bytes(std::vector<std::uint64_t> sent, std::vector<std::uint64_t> received);

  // --- trace (no-ops for untraced nodes or when tracing is off) ---
  bool traced(std::uint32_t node) const;
  void span(std::uint32_t node, Track track, std::string_view name, double start_s, double end_s);
  void instant(std::uint32_t node, Track track, std::string_view name, double time_s);
  void counter(std::uint32_t node, std::string_view name, double time_s, double value);

  // --- pipeline-specific results and invariants ---
  /// Adds a metric object to summary.json's "metrics" (e.g. {"value": 3, "unit": "count"}).
  void metric(const std::string& name, nlohmann::json value);
  /// Adds a distribution metric (count, mean, stddev, min, max, p50, p90, p99) in `unit`.
  void sample_metric(const std::string& name, const std::vector<double>& samples,
                     const std::string& unit);
  /// Records an invariant check; failed invariants are listed in summary.json and by the CLI.
  void invariant(const std::string& name, bool holds, const std::string& detail = "");
  bool invariants_hold() const;
  /// Adds a top-level section to summary.json (e.g. "faults", "liveness").
  void section(const std::string& name, nlohmann::json value);

  /// Builds summary.json's content (deterministic key order). `wall` data is excluded so that
  /// outputs are byte-identical between runs.
  nlohmann::json summary() const;
  /// Writes scenario.json (the resolved scenario, to_json: the reproducibility bundle), then
  /// summary.json, blocks.csv, txs.csv (if enabled) and commits trace.json into run_dir.
  void write_outputs();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Version of the pipesim code (git describe at configure time).
std::string code_version();
/// FNV-1a 64-bit hash of the resolved scenario's canonical JSON dump, as 16 hex digits.
std::string config_hash(const nlohmann::json& resolved_scenario);

}  // namespace pipesim::sim
