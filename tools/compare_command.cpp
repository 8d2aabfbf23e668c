#include "tools/compare_command.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/output/atomic_file.hpp"
#include "sim/output/csv.hpp"
#include "tools/child_process.hpp"
#include "tools/sweep_runner.hpp"

namespace pipesim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tools::run_process;

struct Variant {
  std::string name;
  std::vector<std::string> overrides;  // key.path=value
};

struct Comparison {
  std::string name;
  fs::path base;
  std::vector<Variant> variants;
};

[[noreturn]] void bad(const std::string& path, const std::string& msg) {
  throw std::invalid_argument(path + ": " + msg);
}

void only_keys(const json& obj, const std::string& path, const std::vector<std::string>& allowed) {
  for (const auto& [k, v] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      bad(path.empty() ? k : path + "." + k,
          fmt::format("unknown key, expected one of {}", fmt::join(allowed, ", ")));
    }
  }
}

Comparison load(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument(file.string() + ": cannot read the file");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(file.string() + ": JSON syntax error: " + e.what());
  }
  if (!doc.is_object()) bad("(root)", "expected an object");
  Comparison c;
  c.name = doc.value("name", file.stem().string());
  // Two forms: a comparison file {"base": "scenario.json", "variants": [...]}, or a scenario
  // with a "compare" section {"variants": [...]} that is its own base.
  std::string prefix;
  const json* section = &doc;
  if (doc.contains("compare")) {
    if (!doc["compare"].is_object()) bad("compare", "expected an object {\"variants\": [...]}");
    section = &doc["compare"];
    prefix = "compare.";
    only_keys(*section, "compare", {"description", "variants"});
    c.base = file;
  } else {
    only_keys(doc, "", {"name", "description", "base", "variants"});
    if (!doc.contains("base") || !doc["base"].is_string()) {
      bad("base",
          "expected the path of a scenario file (relative to this file), or a scenario with a "
          "\"compare\" section");
    }
    c.base = file.parent_path() / doc["base"].get<std::string>();
    if (!fs::exists(c.base)) {
      bad("base", fmt::format("value \"{}\": no such file", c.base.string()));
    }
  }
  const json variants = section->value("variants", json());
  if (!variants.is_array() || variants.size() < 2) {
    bad(prefix + "variants", "expected an array of at least 2 variants {\"name\", \"set\"}");
  }
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const json& v = variants[i];
    const std::string path = fmt::format("{}variants[{}]", prefix, i);
    if (!v.is_object()) bad(path, "expected an object {\"name\", \"set\"}");
    only_keys(v, path, {"name", "set"});
    if (!v.contains("name") || !v["name"].is_string() || v["name"].get<std::string>().empty() ||
        v["name"].get<std::string>().find('/') != std::string::npos) {
      bad(path + ".name", "expected a non-empty folder name without '/'");
    }
    Variant var{v["name"].get<std::string>(), {}};
    if (v.contains("set")) {
      if (!v["set"].is_object()) bad(path + ".set", "expected an object {\"key.path\": value}");
      for (const auto& [k, val] : v["set"].items()) var.overrides.push_back(k + "=" + val.dump());
    }
    for (const auto& other : c.variants) {
      if (other.name == var.name) bad(path + ".name", "duplicate variant name " + var.name);
    }
    c.variants.push_back(std::move(var));
  }
  return c;
}

struct Row {
  std::string label;
  std::string metric;
  std::string field;
  std::string unit;
  double scale = 1.0;
  bool optional = false;  // shown only if some variant reports the metric (pipeline-specific)
};

const std::vector<Row>& rows() {
  static const std::vector<Row> r{
      {"throughput", "throughput_tx_per_s", "value", "tx/s", 1},
      {"throughput", "throughput_gas_per_s", "value", "Mgas/s", 1e-6},
      {"latency to committed p50", "latency_submit_to_committed_s", "p50", "s", 1},
      {"latency to committed p99", "latency_submit_to_committed_s", "p99", "s", 1},
      {"latency to executed p50", "latency_submit_to_executed_s", "p50", "s", 1},
      {"latency to executed p99", "latency_submit_to_executed_s", "p99", "s", 1},
      {"latency proposed to verified p50", "latency_proposed_to_verified_s", "p50", "s", 1},
      {"block interval p50", "block_interval_s", "p50", "s", 1},
      {"block interval p90", "block_interval_s", "p90", "s", 1},
      {"execution budget p50", "execution_budget_utilisation", "p50", "%", 100},
      {"execution lag p50", "execution_lag_blocks", "p50", "blocks", 1},
      {"re-executions per tx", "reexecutions_per_tx", "value", "ratio", 1},
      {"bytes sent per node", "bytes_sent_per_node", "mean", "MB", 1e-6},
      {"blocks committed", "blocks_committed", "value", "blocks", 1},
      // speculate_order_replay
      {"speculation accuracy", "speculation_accuracy", "value", "ratio", 1, true},
      {"re-execution fraction", "reexecution_fraction", "value", "ratio", 1, true},
      {"replay speedup mean", "replay_speedup_over_sequential", "mean", "ratio", 1, true},
      {"replay batches per block", "replay_batches_per_block", "mean", "batches", 1, true},
      {"ordering latency p50", "ordering_latency_s", "p50", "s", 1, true},
  };
  return r;
}

std::string cell(const json& summary, const Row& row) {
  const json& m = summary["metrics"];
  if (!m.contains(row.metric) || !m[row.metric].contains(row.field) ||
      !m[row.metric][row.field].is_number()) {
    return "–";
  }
  return fmt::format("{:.4g}", m[row.metric][row.field].get<double>() * row.scale);
}

}  // namespace

int compare_main(int argc, char** argv, const char* self_exe) {
  std::string file, out;
  unsigned jobs = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      fmt::print(
          "usage: pipesim compare COMPARISON.json [--out DIR] [-j N]\n"
          "  COMPARISON.json: {{\"name\", \"base\": scenario file, \"variants\": "
          "[{{\"name\", \"set\": {{\"key.path\": value}}}}]}},\n"
          "  or a scenario with a section \"compare\": {{\"variants\": [...]}} (its own base)\n"
          "  Runs each variant in its own process into DIR/<variant>/, N at a time (default\n"
          "  1), and writes DIR/comparison.csv and DIR/comparison.md (default DIR:\n"
          "  out/<name>).\n");
      return 0;
    }
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if ((a == "-j" || a == "--jobs") && i + 1 < argc) {
      const std::string n = argv[++i];
      char* end = nullptr;
      const unsigned long v = std::strtoul(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || v < 1 || v > 256) {
        fmt::print(stderr, "pipesim compare: {} {}: expected an integer from 1 to 256\n", a, n);
        return 2;
      }
      jobs = static_cast<unsigned>(v);
    } else if (file.empty() && a.rfind("--", 0) != 0) {
      file = a;
    } else {
      fmt::print(stderr, "pipesim compare: unexpected argument {} (see --help)\n", a);
      return 2;
    }
  }
  if (file.empty()) {
    fmt::print(stderr, "pipesim compare: missing COMPARISON.json (see --help)\n");
    return 2;
  }
  Comparison c;
  try {
    c = load(file);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "pipesim: invalid comparison {}: {}\n", file, e.what());
    return 2;
  }
  // Variants (and their validation) are forks of this process: they share what the first
  // variant loads before simulating (docs/sweeps.md).
  if (!c.variants.empty())
    sweep::preload_for_children(c.base.string(), c.variants.front().overrides);
  // Validate every variant before running any (nothing is written for a bad variant).
  for (const Variant& v : c.variants) {
    std::vector<std::string> args{self_exe, "validate", c.base.string()};
    for (const auto& o : v.overrides) {
      args.push_back("--set");
      args.push_back(o);
    }
    const fs::path log =
        fs::temp_directory_path() / fmt::format("pipesim-validate-{}.log", getpid());
    if (run_process(args, log) != 0) {
      std::ifstream in(log);
      std::string msg((std::istreambuf_iterator<char>(in)), {});
      fs::remove(log);
      fmt::print(stderr, "pipesim: variant {}: {}", v.name, msg);
      return 2;
    }
    fs::remove(log);
  }
  const fs::path dir = out.empty() ? fs::path("out") / c.name : fs::path(out);
  fs::create_directories(dir);
  // Variants run `jobs` at a time, each in its own process; results are read in variant order.
  std::vector<int> codes(c.variants.size(), 0);
  std::vector<std::pair<pid_t, std::size_t>> running;  // pid, variant index
  for (std::size_t next = 0; next < c.variants.size() || !running.empty();) {
    while (next < c.variants.size() && running.size() < jobs) {
      const Variant& v = c.variants[next];
      std::vector<std::string> args{self_exe,  "run",   c.base.string(),
                                    "--quiet", "--out", (dir / v.name).string()};
      for (const auto& o : v.overrides) {
        args.push_back("--set");
        args.push_back(o);
      }
      fmt::print(stderr, "  running {} ...\n", v.name);
      try {
        running.emplace_back(tools::spawn_process(args, dir / (v.name + ".log")), next);
      } catch (const std::runtime_error&) {
        codes[next] = 127;
      }
      ++next;
    }
    if (running.empty()) continue;
    int status = 0;
    const pid_t got = wait(&status);
    if (got < 0) {
      if (errno == EINTR) continue;
      for (const auto& r : running) codes[r.second] = 127;
      break;
    }
    const auto it = std::find_if(running.begin(), running.end(),
                                 [got](const auto& r) { return r.first == got; });
    if (it == running.end()) continue;
    codes[it->second] = tools::exit_code_of(status);
    running.erase(it);
  }
  std::map<std::string, json> summaries;
  int failures = 0;
  for (std::size_t i = 0; i < c.variants.size(); ++i) {
    const Variant& v = c.variants[i];
    if (codes[i] != 0) {
      ++failures;
      fmt::print(stderr, "  variant {} failed (exit {}), see {}\n", v.name, codes[i],
                 (dir / (v.name + ".log")).string());
      continue;
    }
    std::ifstream in(dir / v.name / "summary.json");
    summaries[v.name] = json::parse(in);
  }
  // Table: one row per metric, one column per variant.
  std::vector<std::string> header{"metric", "unit"};
  for (const Variant& v : c.variants) header.push_back(v.name);
  sim::output::CsvWriter csv(dir / "comparison.csv", header);
  std::string md = fmt::format("# {}\n\n| metric | unit |", c.name);
  for (const Variant& v : c.variants) md += " " + v.name + " |";
  md += "\n|---|---|";
  for (std::size_t i = 0; i < c.variants.size(); ++i) md += "---|";
  md += "\n";
  std::string table = fmt::format("{:<34} {:<8}", "metric", "unit");
  for (const Variant& v : c.variants) table += fmt::format(" {:>16}", v.name);
  table += "\n";
  for (const Row& row : rows()) {
    if (row.optional) {
      bool any = false;
      for (const auto& [name, summary] : summaries) any |= cell(summary, row) != "–";
      if (!any) continue;
    }
    csv.add(row.label).add(row.unit);
    md += fmt::format("| {} | {} |", row.label, row.unit);
    table += fmt::format("{:<34} {:<8}", row.label, row.unit);
    for (const Variant& v : c.variants) {
      auto it = summaries.find(v.name);
      const std::string value = it == summaries.end() ? "failed" : cell(it->second, row);
      csv.add(value);
      md += " " + value + " |";
      table += fmt::format(" {:>16}", value);
    }
    csv.end_row();
    md += "\n";
    table += "\n";
  }
  csv.commit();
  sim::output::write_file_atomic(dir / "comparison.md", md);
  fmt::print("pipesim compare: {} ({} variants of {})\n{}  outputs in {}\n", c.name,
             c.variants.size(), c.base.string(), table, dir.string());
  return failures == 0 ? 0 : 1;
}

}  // namespace pipesim
