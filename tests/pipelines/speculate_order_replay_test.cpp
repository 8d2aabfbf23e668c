// The speculate_order_replay pipeline on the SimGrid runtime (models/pipelines/
// speculate_order_replay.hpp). SimGrid allows one engine per process, so CTest runs each test
// case in its own process (tests/pipelines/CMakeLists.txt). Comparisons between runs (leader vs
// leaderless speculation, basic vs improved replay) need several engines: tests/cli/
// speculate_order_replay.sh does them with the CLI.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "models/pipelines/pipeline.hpp"
#include "sim/recorder.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace pipesim;

namespace {

/// A contended synthetic workload: Zipf-popular accounts, so batches conflict.
sim::Scenario base(std::uint32_t n, double duration_s) {
  sim::Scenario s;
  s.name = "sor-test";
  s.duration_s = duration_s;
  s.network.validators = n;
  s.network.latency.model = "constant";
  s.network.latency.constant_ms = 30;
  s.consensus.protocol = "dag_bft";
  s.consensus.dag.round_time_ms = 50;
  s.pipeline.kind = "speculate_order_replay";
  s.pipeline.threads = 8;
  s.pipeline.commitment = "flat_hash";
  s.workload.kind = "transfers";
  s.workload.tps = 400;
  s.workload.accounts = 2000;
  s.workload.zipf_exponent = 1.0;
  s.outputs.trace = true;
  s.outputs.trace_nodes = 2;
  s.outputs.txs_csv = true;
  s.outputs.tx_sample_rate = 1.0;
  return s;
}

struct TxRow {
  double submitted = -1, included = -1, committed = -1, executed = -1;
};

struct Run {
  json summary;
  std::vector<TxRow> txs;
  std::string blocks_csv;
  std::string trace;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Validates `s` (as a scenario file would be), runs it and reads back its outputs.
Run run(const sim::Scenario& s) {
  const sim::Scenario checked = sim::parse_scenario(sim::to_json(s));
  const fs::path dir =
      fs::temp_directory_path() / ("pipesim-sor-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  Run r;
  {
    sim::Simulation simulation(checked, dir);
    auto app = pipelines::make_pipeline(checked, simulation);
    simulation.run(*app);
    simulation.recorder().write_outputs();
    r.summary = simulation.recorder().summary();
  }
  std::ifstream in(dir / "txs.csv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::vector<double> v;
    while (std::getline(ss, cell, ',')) v.push_back(cell.empty() ? -1.0 : std::stod(cell));
    REQUIRE(v.size() >= 5);
    r.txs.push_back(TxRow{v[1], v[2], v[3], v[4]});
  }
  r.blocks_csv = slurp(dir / "blocks.csv");
  r.trace = slurp(dir / "trace.json");
  fs::remove_all(dir);
  return r;
}

double value(const Run& r, const std::string& metric) {
  return r.summary["metrics"][metric]["value"].get<double>();
}

/// Common checks: invariants, progress, and per transaction submitted <= included <= committed
/// <= executed (where recorded).
void check_run(const Run& r) {
  CHECK_MESSAGE(r.summary["invariants_hold"].get<bool>(), r.summary["invariants"].dump());
  CHECK(r.summary["invariants"].size() >= 5);
  CHECK(r.summary["invariants"].contains("no_transaction_committed_twice"));
  CHECK(value(r, "anchors_committed") >= 2);
  CHECK(value(r, "txs_committed") > 0);
  CHECK(value(r, "throughput_tx_per_s") > 0);
  CHECK(value(r, "throughput_gas_per_s") > 0);
  CHECK(value(r, "dag_rounds") >= 8);
  const double acc = value(r, "speculation_accuracy");
  CHECK(acc >= 0.0);
  CHECK(acc <= 1.0);
  std::size_t committed = 0, executed = 0;
  for (const TxRow& t : r.txs) {
    if (t.committed < 0) continue;
    ++committed;
    CHECK(t.included >= t.submitted);
    CHECK(t.committed >= t.included);
    if (t.executed >= 0) {
      ++executed;
      CHECK(t.executed >= t.committed);
    }
  }
  CHECK(committed == static_cast<std::size_t>(value(r, "txs_committed")));
  CHECK(executed > 0);
  const json& m = r.summary["metrics"];
  CHECK(m["latency_submit_to_committed_s"]["p50"].get<double>() <=
        m["latency_submit_to_executed_s"]["p50"].get<double>());
  CHECK(m["replay_batches_per_block"]["count"].get<double>() >= 2);
  CHECK(m["replay_speedup_over_sequential"]["mean"].get<double>() > 0);
  CHECK(m["ordering_latency_s"]["count"].get<double>() > 0);
  CHECK(m["speculation_time_s"]["count"].get<double>() > 0);
  CHECK(r.blocks_csv.find(",proposed,") != std::string::npos);
  CHECK(r.blocks_csv.find(",certified,") != std::string::npos);
  CHECK(r.blocks_csv.find(",ordered,") != std::string::npos);
  CHECK(r.blocks_csv.find(",replayed,") != std::string::npos);
  for (const char* track : {"\"speculate\"", "\"order\"", "\"replay\""}) {
    CHECK_MESSAGE(r.trace.find(track) != std::string::npos, "trace lacks track " << track);
  }
}

}  // namespace

TEST_CASE("sor: 4 validators commit, speculate and replay a contended workload") {
  const Run r = run(base(4, 6));
  check_run(r);
  // Contention makes some speculation wrong, but most of it is right.
  CHECK(value(r, "speculation_accuracy") > 0.5);
  CHECK(value(r, "reexecution_fraction") < 0.75);
  MESSAGE("anchors=", value(r, "anchors_committed"), " txs=", value(r, "txs_committed"),
          " accuracy=", value(r, "speculation_accuracy"),
          " reexec=", value(r, "reexecution_fraction"));
}

TEST_CASE("sor: 10 validators keep committing with f = 3 crashed mid-run") {
  sim::Scenario s = base(10, 6);
  s.faults.crashed = {1, 4, 7};
  s.faults.crash_at_s = 2;
  const Run r = run(s);
  check_run(r);
  // Progress after the crash: transactions submitted after it are committed and executed.
  std::size_t late = 0;
  for (const TxRow& t : r.txs) {
    if (t.submitted > 3 && t.executed >= 0) ++late;
  }
  CHECK(late > 100);
}

TEST_CASE("sor: leader-based speculation with the basic replay") {
  sim::Scenario s = base(4, 6);
  s.pipeline.sor.speculation = "leader";
  s.pipeline.sor.replay_mode = "basic";
  const Run r = run(s);
  check_run(r);
  // Only one batch in n is speculated: the basic replay re-executes the others entirely.
  CHECK(value(r, "speculation_accuracy") < 0.6);
  CHECK(value(r, "reexecution_fraction") > 0.4);
}
