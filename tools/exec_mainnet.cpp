#include "tools/exec_mainnet.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/workload/eth_mainnet.hpp"
#include "sim/output/csv.hpp"

namespace pipesim {

namespace {

constexpr const char* kUsage =
    "usage: pipesim exec --mainnet [--blocks N,M,...] [--executor NAME] [--threads N]\n"
    "                    [--eager] [--approximate] [--data-dir DIR] [--csv FILE]\n"
    "  --blocks       recorded blocks to run (default: every block of DIR/eth-blocks)\n"
    "  --executor     sequential | block_stm | batch_occ | optimistic (default block_stm)\n"
    "  --threads      executor workers (default 8)\n"
    "  --batch        Batch OCC transactions per round (default = threads)\n"
    "  --formation    Batch OCC batch formation: index_window (default) | declared_conflicts\n"
    "  --eager        credit the beneficiary in every transaction (default: lazily at block end)\n"
    "  --approximate  ignore the exact traces (data/eth-traces): every block approximated\n"
    "  --data-dir     data folder holding eth-blocks/ and eth-traces/ (default: the repository's\n"
    "                 data/, or $PIPESIM_DATA_DIR)\n"
    "  --csv          also write one row per block (columns: docs/plots.md), atomically\n"
    "Each recorded block runs alone (no network) on its pre-state: Sequential and the executor,\n"
    "both on N workers, in virtual time. Per block: number, transactions, gas used, trace kind\n"
    "(exact = re-executed by a real EVM, approx = approximated), sequential and executor virtual\n"
    "time, speedup, incarnations per transaction; then the mean and median speedup and\n"
    "sum(sequential) / sum(executor); for batch_occ, the rounds and abort fractions pooled\n"
    "over every block's rounds (a round's abort fraction = aborted / executed).\n";

struct Options {
  std::vector<std::uint64_t> blocks;
  std::string executor = "block_stm";
  std::uint32_t threads = 8;
  std::uint32_t batch = 0;  // Batch OCC transactions per round (0 = threads)
  execution::OccFormation formation = execution::OccFormation::kIndexWindow;
  bool eager = false;
  bool approximate = false;
  std::string data_dir;
  std::string csv;
};

std::uint64_t parse_uint(const std::string& flag, const std::string& v, std::uint64_t min) {
  std::size_t used = 0;
  unsigned long long x = 0;
  try {
    x = std::stoull(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty() || v[0] == '-' || x < min)
    throw std::invalid_argument(flag + ": '" + v + "' is not an integer >= " + std::to_string(min));
  return x;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) throw std::invalid_argument(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "--mainnet") {
      continue;
    } else if (arg == "--blocks") {
      const std::string v = next();
      std::size_t pos = 0;
      while (pos <= v.size()) {
        const std::size_t comma = std::min(v.find(',', pos), v.size());
        o.blocks.push_back(parse_uint(arg, v.substr(pos, comma - pos), 0));
        pos = comma + 1;
      }
    } else if (arg == "--executor") {
      o.executor = next();
    } else if (arg == "--threads") {
      o.threads = static_cast<std::uint32_t>(parse_uint(arg, next(), 1));
    } else if (arg == "--batch") {
      o.batch = static_cast<std::uint32_t>(parse_uint(arg, next(), 1));
    } else if (arg == "--formation") {
      o.formation = execution::require_occ_formation("--formation", next());
    } else if (arg == "--eager") {
      o.eager = true;
    } else if (arg == "--approximate") {
      o.approximate = true;
    } else if (arg == "--data-dir") {
      o.data_dir = next();
    } else if (arg == "--csv") {
      o.csv = next();
    } else {
      throw std::invalid_argument("unknown option '" + arg + "' (with --mainnet)");
    }
  }
  execution::make_executor(o.executor);  // validates the name
  return o;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run(const Options& o) {
  const std::string dir =
      o.data_dir.empty() ? workload::default_eth_blocks_dir() : o.data_dir + "/eth-blocks";
  const std::vector<std::uint64_t> shipped = workload::list_eth_blocks(dir);
  std::vector<std::uint64_t> blocks = o.blocks.empty() ? shipped : o.blocks;
  for (std::uint64_t b : blocks)
    if (!std::binary_search(shipped.begin(), shipped.end(), b))
      throw std::invalid_argument("--blocks: block " + std::to_string(b) + " is not in " + dir);
  workload::MainnetOptions mo;
  mo.use_exact = !o.approximate;
  execution::ExecutorConfig cfg;
  cfg.threads = o.threads;
  cfg.occ_batch_size = o.batch;
  cfg.occ_formation = o.formation;
  cfg.lazy_beneficiary = !o.eager;
  cfg.compute_root = false;
  std::optional<sim::output::CsvWriter> csv;
  if (!o.csv.empty())
    csv.emplace(o.csv, std::vector<std::string>{"block", "txs", "gas_used", "trace", "executor",
                                                "threads", "sequential_s", "executor_s", "speedup",
                                                "incarnations_per_tx"});
  fmt::print("executor {}, {} threads, {} beneficiary; virtual times in ms\n", o.executor,
             o.threads, o.eager ? "eager" : "lazy");
  fmt::print("{:>9} {:>5} {:>11} {:>6} {:>10} {:>10} {:>8} {:>8}\n", "block", "txs", "gas_used",
             "trace", "seq_ms", "exec_ms", "speedup", "inc/tx");
  std::vector<double> speedups;
  std::vector<execution::OccRoundStats> occ_rounds;  // Batch OCC: every block's rounds
  double sum_seq = 0, sum_exec = 0;
  std::size_t exact = 0;
  for (std::uint64_t b : blocks) {
    const workload::MainnetBlock mb = workload::load_eth_block(dir, b, mo);
    exact += mb.exact;
    const execution::Block blk = mb.traced.to_block();
    const auto pre = mb.pre_layer();
    const auto seq = execution::make_executor("sequential")->execute(blk, pre, cfg);
    const auto out = o.executor == "sequential"
                         ? seq
                         : execution::make_executor(o.executor)->execute(blk, pre, cfg);
    if (out.receipts != seq.receipts) {
      fmt::print(stderr, "error: block {}: {} disagrees with sequential\n", b, o.executor);
      return 1;
    }
    const double n = static_cast<double>(std::max<std::size_t>(blk.txs.size(), 1));
    const double speedup = out.makespan_s > 0 ? seq.makespan_s / out.makespan_s : 1.0;
    const double inc = static_cast<double>(out.stats.incarnations) / n;
    speedups.push_back(speedup);
    occ_rounds.insert(occ_rounds.end(), out.stats.occ_rounds.begin(), out.stats.occ_rounds.end());
    sum_seq += seq.makespan_s;
    sum_exec += out.makespan_s;
    fmt::print("{:>9} {:>5} {:>11} {:>6} {:>10.3f} {:>10.3f} {:>7.2f}x {:>8.2f}\n", b,
               blk.txs.size(), out.gas_used, mb.exact ? "exact" : "approx", seq.makespan_s * 1e3,
               out.makespan_s * 1e3, speedup, inc);
    if (csv) {
      csv->add(b)
          .add(static_cast<std::uint64_t>(blk.txs.size()))
          .add(out.gas_used)
          .add(std::string(mb.exact ? "exact" : "approximated"))
          .add(o.executor)
          .add(o.threads)
          .add(seq.makespan_s)
          .add(out.makespan_s)
          .add(speedup)
          .add(inc);
      csv->end_row();
    }
  }
  double mean = 0;
  for (double s : speedups) mean += s;
  mean /= static_cast<double>(std::max<std::size_t>(speedups.size(), 1));
  fmt::print(
      "{} blocks ({} exact, {} approximated): speedup mean {:.2f}x, median {:.2f}x, "
      "sum(seq)/sum(exec) {:.2f}x\n",
      blocks.size(), exact, blocks.size() - exact, mean, median(speedups),
      sum_exec > 0 ? sum_seq / sum_exec : 1.0);
  if (!occ_rounds.empty()) {
    const execution::OccAbortSummary r = execution::summarise_occ_rounds(occ_rounds);
    fmt::print(
        "batch_occ: occ_rounds {} ({:.2f} per block), batch size mean {:.2f} max {}; abort "
        "fraction per round mean {:.4f} max {:.4f}, overall {:.4f} ({} of {} executions)\n",
        r.rounds, static_cast<double>(r.rounds) / static_cast<double>(blocks.size()),
        r.mean_batch_size, r.max_batch_size, r.abort_fraction_mean, r.abort_fraction_max,
        r.abort_fraction_overall, r.aborted, r.executed);
  }
  if (csv) {
    csv->commit();
    fmt::print("wrote {}\n", o.csv);
  }
  return 0;
}

}  // namespace

int exec_mainnet_main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    }
  }
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "pipesim exec --mainnet: {}\n{}", e.what(), kUsage);
    return 2;
  }
  try {
    return run(o);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "pipesim exec --mainnet: {}\n", e.what());
    return 2;
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "pipesim exec --mainnet: {}\n", e.what());
    return 1;
  }
}

}  // namespace pipesim
