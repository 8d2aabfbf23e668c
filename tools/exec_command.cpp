#include "tools/exec_command.hpp"

#include <fmt/core.h>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/workload/block_generator.hpp"
#include "models/workload/trace_stats.hpp"
#include "sim/output/csv.hpp"
#include "tools/exec_flags.hpp"
#include "tools/exec_mainnet.hpp"

namespace pipesim {

namespace {

using exec_flags::parse_double;
using exec_flags::parse_uint;
using execution::ExecutionOutcome;
using execution::ExecutorConfig;

constexpr const char* kUsage =
    "usage: pipesim exec [--executor NAME] [--threads N] [--accounts N] [--txs N]\n"
    "                    [--mix transfer=1,erc20=0,approve=0,transfer_from=0,swap=0,nft_mint=0,"
    "trace=0]\n"
    "                    [--seed N] [--eager] [--async-io] [--root] [--batch N]\n"
    "                    [--formation index_window|declared_conflicts] [--csv FILE]\n"
    "                    [--sweep [--sweep-threads 1,2,4,8,16,32] [--sweep-accounts "
    "2,10,100,1000,10000]]\n"
    "  --executor   sequential | block_stm | batch_occ | optimistic (default block_stm)\n"
    "  --threads    executor workers (default 8)\n"
    "  --accounts   distinct accounts; fewer = more conflicts (default 1000)\n"
    "  --txs        transactions in the block (default 1000)\n"
    "  --mix        relative weights of the transaction kinds (default transfer=1)\n"
    "  --seed       generator seed (default 1)\n"
    "  --eager      credit the beneficiary in every transaction (default: lazily at block end)\n"
    "  --async-io   storage reads overlap (default: they block the worker)\n"
    "  --root       compute the MPT state root (default: skipped)\n"
    "  --batch      Batch OCC transactions per round (default = threads)\n"
    "  --formation  Batch OCC batch formation: index_window (default) | declared_conflicts\n"
    "  --csv        also write the results as CSV (one row per executor x threads x accounts;\n"
    "               columns: see docs/plots.md), written atomically\n"
    "  --sweep      one table per parallel executor (block_stm, batch_occ, optimistic) over\n"
    "               threads x accounts (the lists below)\n"
    "  --sweep-threads   comma-separated thread counts (default 1,2,4,8,16,32)\n"
    "  --sweep-accounts  comma-separated account counts, >= 2 (default 2,10,100,1000,10000)\n"
    "       pipesim exec --mainnet [...]: recorded mainnet blocks, see pipesim exec --mainnet "
    "--help\n"
    "Workload knobs: --tokens N, --pairs N, --hot-fraction F, --hot-probability P (block\n"
    "  generator; docs/workloads.md).\n"
    "Cost model (models/execution/cost_model.hpp; docs/scenario.md pipeline.cost_model):\n"
    "  --preset NAME   pevm-i9-12900k-memory | reth-nvme-disk (default: the first)\n"
    "  --tier T        memory | page_cache | disk (where state lives)\n"
    "  --cost KEY=V    any numeric cost-model key, e.g. --cost cold_read_us=100 (repeatable)\n"
    "  --sweep-latency L1,L2,..  Block-STM speedup, blocking vs async I/O, with the disk tier\n"
    "                  at each read latency (us), at --threads\n"
    "Speedup = Sequential makespan / executor makespan, in virtual time, on the same N workers\n"
    "(Sequential recovers signatures on all N workers but executes on one).\n"
    "A flag's value may follow it or be joined with '=' (--threads 8, --threads=8); a switch\n"
    "(--eager, --async-io, --root, --sweep) takes none.\n";

/// The shared flags (exec_flags::ExecutorFlags) and the block generator's and sweeps'.
struct Options : exec_flags::ExecutorFlags {
  std::uint32_t accounts = 1000;
  std::uint32_t txs = 1000;
  std::string mix = "transfer=1";
  std::uint64_t seed = 1;
  bool async_io = false;
  bool sweep = false;
  std::vector<std::uint32_t> sweep_threads{1, 2, 4, 8, 16, 32};
  std::vector<std::uint32_t> sweep_accounts{2, 10, 100, 1000, 10000};
  std::uint32_t tokens = 2;
  std::uint32_t pairs = 1;
  double hot_fraction = 0;
  double hot_probability = 0;
  std::vector<std::uint32_t> sweep_latency;  // empty: no latency sweep
};

/// "1,2,4" -> {1, 2, 4}; every entry an integer >= min; at least one entry.
std::vector<std::uint32_t> parse_list(const std::string& flag, const std::string& v,
                                      std::uint64_t min) {
  std::vector<std::uint32_t> out;
  std::size_t pos = 0;
  while (pos <= v.size()) {
    const std::size_t comma = std::min(v.find(',', pos), v.size());
    const std::uint64_t x = parse_uint(flag, v.substr(pos, comma - pos), min);
    if (x > 1'000'000) {
      throw std::invalid_argument(flag + ": '" + std::to_string(x) + "' is larger than 1000000");
    }
    out.push_back(static_cast<std::uint32_t>(x));
    pos = comma + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  exec_flags::FlagWalker args(argc, argv);
  while (args.next()) {
    const std::string& arg = args.flag();
    if (exec_flags::apply_executor_flag(o, args)) continue;
    if (arg == "--accounts") {
      o.accounts = static_cast<std::uint32_t>(parse_uint(arg, args.value(), 2));
    } else if (arg == "--txs") {
      o.txs = static_cast<std::uint32_t>(parse_uint(arg, args.value(), 1));
    } else if (arg == "--mix") {
      o.mix = args.value();
    } else if (arg == "--seed") {
      o.seed = parse_uint(arg, args.value(), 0);
    } else if (arg == "--async-io") {
      args.no_value();
      o.async_io = true;
    } else if (arg == "--sweep") {
      args.no_value();
      o.sweep = true;
    } else if (arg == "--sweep-threads") {
      o.sweep_threads = parse_list(arg, args.value(), 1);
    } else if (arg == "--sweep-accounts") {
      o.sweep_accounts = parse_list(arg, args.value(), 2);
    } else if (arg == "--tokens") {
      o.tokens = static_cast<std::uint32_t>(parse_uint(arg, args.value(), 1));
    } else if (arg == "--pairs") {
      o.pairs = static_cast<std::uint32_t>(parse_uint(arg, args.value(), 1));
    } else if (arg == "--hot-fraction") {
      o.hot_fraction = parse_double(arg, args.value());
    } else if (arg == "--hot-probability") {
      o.hot_probability = parse_double(arg, args.value());
    } else if (arg == "--sweep-latency") {
      o.sweep_latency = parse_list(arg, args.value(), 1);
    } else {
      throw std::invalid_argument("unknown option '" + arg + "'");
    }
  }
  execution::make_executor(o.executor);  // validates the name
  return o;
}

workload::BlockGeneratorConfig generator_config(const Options& o, std::uint32_t accounts) {
  workload::BlockGeneratorConfig g;
  g.accounts = accounts;
  g.seed = o.seed;
  g.mix = workload::TxMix::parse(o.mix);
  g.tokens = o.tokens;
  g.pairs = o.pairs;
  g.hot_fraction = o.hot_fraction;
  g.hot_probability = o.hot_probability;
  return g;
}

ExecutorConfig executor_config(const Options& o, std::uint32_t threads) {
  ExecutorConfig c;
  c.threads = threads;
  c.lazy_beneficiary = !o.eager;
  c.compute_root = o.root;
  c.occ_batch_size = o.batch;
  c.occ_formation = o.formation;
  c.cost = o.cost;
  c.cost.async_io = o.async_io || o.cost.async_io;
  if (c.cost.memory_cache_bytes > 0)
    c.state_cache = std::make_shared<execution::StateCache>(c.cost.memory_cache_bytes);
  return c;
}

/// Batch OCC: rounds, batch sizes and abort fractions (nothing for the other executors).
void print_occ_rounds(const execution::ExecutionStats& stats) {
  if (stats.occ_rounds.empty()) return;
  const execution::OccAbortSummary r = execution::summarise_occ_rounds(stats.occ_rounds);
  fmt::print(
      "{:<11} occ_rounds {}  batch size mean {:.2f} max {}  abort fraction per round mean "
      "{:.4f} max {:.4f}  overall {:.4f} ({} of {} executions)\n",
      "", r.rounds, r.mean_batch_size, r.max_batch_size, r.abort_fraction_mean,
      r.abort_fraction_max, r.abort_fraction_overall, r.aborted, r.executed);
}

void print_outcome(const char* label, const ExecutionOutcome& out, double seq_makespan,
                   std::size_t n) {
  fmt::print(
      "{:<11} makespan {:9.3f} ms  speedup {:6.2f}x  incarnations/tx {:5.2f}  aborts {:6}  "
      "suspensions {:6}  validations {:6}  gas {}\n",
      label, out.makespan_s * 1e3, seq_makespan / out.makespan_s,
      n ? static_cast<double>(out.stats.incarnations) / static_cast<double>(n) : 0.0,
      out.stats.aborts, out.stats.dependency_waits, out.stats.validations, out.gas_used);
  print_occ_rounds(out.stats);
}

/// The machine-readable results (--csv): one row per executor x threads x accounts. The
/// contention columns describe the block, from Sequential's read/write sets
/// (workload::analyse_conflicts; with lazy crediting the beneficiary is in no set).
class ResultCsv {
 public:
  explicit ResultCsv(const Options& o)
      : o_(o),
        csv_(o.csv, {"executor",
                     "threads",
                     "accounts",
                     "txs",
                     "mix",
                     "seed",
                     "lazy_beneficiary",
                     "async_io",
                     "sequential_makespan_s",
                     "makespan_s",
                     "speedup",
                     "incarnations_per_tx",
                     "aborts",
                     "validations",
                     "gas_used",
                     "independent_fraction",
                     "conflict_rate",
                     "longest_chain",
                     "occ_rounds",
                     "occ_mean_batch_size",
                     "occ_abort_fraction_mean",
                     "occ_abort_fraction_max",
                     "occ_abort_fraction_overall"}) {}

  void add(const std::string& executor, std::uint32_t threads, std::uint32_t accounts,
           const ExecutionOutcome& seq, const ExecutionOutcome& out,
           const workload::ConflictAnalysis& conflicts) {
    const double n = static_cast<double>(std::max<std::size_t>(out.receipts.size(), 1));
    csv_.add(executor)
        .add(threads)
        .add(accounts)
        .add(static_cast<std::uint64_t>(out.receipts.size()))
        .add(o_.mix)
        .add(o_.seed)
        .add(!o_.eager)
        .add(o_.async_io)
        .add(seq.makespan_s)
        .add(out.makespan_s)
        .add(seq.makespan_s / out.makespan_s)
        .add(static_cast<double>(out.stats.incarnations) / n)
        .add(static_cast<std::uint64_t>(out.stats.aborts))
        .add(static_cast<std::uint64_t>(out.stats.validations))
        .add(out.gas_used)
        .add(conflicts.independent_fraction())
        .add(conflicts.conflict_rate())
        .add(conflicts.longest_chain);
    // Batch OCC's rounds (execution::summarise_occ_rounds); empty for the other executors.
    if (out.stats.occ_rounds.empty()) {
      for (int i = 0; i < 5; ++i) csv_.add_empty();
    } else {
      const execution::OccAbortSummary r = execution::summarise_occ_rounds(out.stats.occ_rounds);
      csv_.add(r.rounds)
          .add(r.mean_batch_size)
          .add(r.abort_fraction_mean)
          .add(r.abort_fraction_max)
          .add(r.abort_fraction_overall);
    }
    csv_.end_row();
  }
  void commit() { csv_.commit(); }

 private:
  const Options& o_;
  sim::output::CsvWriter csv_;
};

int run_one(const Options& o) {
  workload::BlockGenerator gen(generator_config(o, o.accounts));
  auto kind = o.root ? std::optional(execution::CommitmentKind::kMerklePatriciaTrie) : std::nullopt;
  auto pre = gen.genesis(kind);
  const execution::Block block = gen.next_block(o.txs);
  fmt::print("block: {} txs, {} accounts, mix {}, seed {}, {} beneficiary, {} I/O\n", o.txs,
             o.accounts, o.mix, o.seed, o.eager ? "eager" : "lazy",
             o.async_io ? "async" : "blocking");
  const auto seq =
      execution::make_executor("sequential")->execute(block, pre, executor_config(o, o.threads));
  print_outcome("sequential", seq, seq.makespan_s, block.txs.size());
  const auto out =
      execution::make_executor(o.executor)->execute(block, pre, executor_config(o, o.threads));
  print_outcome(o.executor.c_str(), out, seq.makespan_s, block.txs.size());
  if (out.receipts != seq.receipts ||
      out.post_state->writes().sorted() != seq.post_state->writes().sorted()) {
    fmt::print(stderr, "error: {} disagrees with sequential\n", o.executor);
    return 1;
  }
  if (out.state_root) fmt::print("state root 0x{}\n", to_hex(*out.state_root));
  if (!o.csv.empty()) {
    ResultCsv csv(o);
    const auto conflicts = workload::analyse_conflicts(seq.read_sets, seq.write_sets);
    csv.add("sequential", o.threads, o.accounts, seq, seq, conflicts);
    if (o.executor != "sequential") csv.add(o.executor, o.threads, o.accounts, seq, out, conflicts);
    csv.commit();
    fmt::print("wrote {}\n", o.csv);
  }
  return 0;
}

int run_sweep(const Options& o) {
  struct Cell {
    double speedup = 0;
    double incarnations_per_tx = 0;
  };
  // Every executor make_executor knows; Sequential is the baseline (its rows go to the CSV only).
  const std::vector<std::string> executors = execution::executor_names();
  std::map<std::string, std::map<std::pair<std::uint32_t, std::uint32_t>, Cell>> cells;
  std::optional<ResultCsv> csv;
  if (!o.csv.empty()) csv.emplace(o);
  for (std::uint32_t a : o.sweep_accounts) {
    workload::BlockGenerator gen(generator_config(o, a));
    auto pre = gen.genesis(std::nullopt);
    const execution::Block block = gen.next_block(o.txs);
    // Sequential's makespan depends on the thread count (signatures are recovered on all
    // workers): one baseline per thread count.
    auto sequential = execution::make_executor("sequential");
    std::map<std::uint32_t, ExecutionOutcome> baseline;
    for (std::uint32_t t : o.sweep_threads) {
      baseline.emplace(t, sequential->execute(block, pre, executor_config(o, t)));
    }
    const auto conflicts = workload::analyse_conflicts(baseline.begin()->second.read_sets,
                                                       baseline.begin()->second.write_sets);
    for (const std::string& name : executors) {
      auto ex = execution::make_executor(name);
      for (std::uint32_t t : o.sweep_threads) {
        const ExecutionOutcome& seq = baseline.at(t);
        const auto out =
            name == "sequential" ? seq : ex->execute(block, pre, executor_config(o, t));
        cells[name][{t, a}] =
            Cell{seq.makespan_s / out.makespan_s, static_cast<double>(out.stats.incarnations) /
                                                      static_cast<double>(block.txs.size())};
        if (csv) csv->add(name, t, a, seq, out, conflicts);
      }
    }
  }
  fmt::print("sweep: {} txs per block, mix {}, seed {}, {} beneficiary, {} I/O\n", o.txs, o.mix,
             o.seed, o.eager ? "eager" : "lazy", o.async_io ? "async" : "blocking");
  for (const std::string& name : executors) {
    if (name == "sequential") continue;
    fmt::print("\n{}: speedup over sequential (incarnations/tx)\n", name);
    fmt::print("{:>8}", "threads");
    for (std::uint32_t a : o.sweep_accounts) {
      fmt::print(" | {:>15}", fmt::format("{} accounts", a));
    }
    fmt::print("\n");
    for (std::uint32_t t : o.sweep_threads) {
      fmt::print("{:>8}", t);
      for (std::uint32_t a : o.sweep_accounts) {
        const Cell& c = cells[name][{t, a}];
        fmt::print(" | {:>15}", fmt::format("{:.2f}x ({:.2f})", c.speedup, c.incarnations_per_tx));
      }
      fmt::print("\n");
    }
  }
  if (csv) {
    csv->commit();
    fmt::print("\nwrote {}\n", o.csv);
  }
  return 0;
}

/// --sweep-latency: Block-STM on the disk tier at each read latency, blocking vs async I/O,
/// speedup over blocking Sequential on the same workers (fresh block, no client cache).
int run_latency_sweep(const Options& o) {
  workload::BlockGenerator gen(generator_config(o, o.accounts));
  auto pre = gen.genesis(std::nullopt);
  const execution::Block block = gen.next_block(o.txs);
  fmt::print("latency sweep: {} txs, {} accounts, mix {}, block_stm x{} threads, disk tier\n",
             o.txs, o.accounts, o.mix, o.threads);
  fmt::print("{:>12} | {:>17} | {:>17}\n", "latency us", "blocking speedup", "async speedup");
  for (std::uint32_t lat : o.sweep_latency) {
    Options b = o;
    b.cost.state_tier = execution::StorageTier::kDisk;
    b.cost.cold_read_us = lat;
    b.cost.async_io = false;
    b.async_io = false;
    const auto seq =
        execution::make_executor("sequential")->execute(block, pre, executor_config(b, o.threads));
    const auto blocking =
        execution::make_executor("block_stm")->execute(block, pre, executor_config(b, o.threads));
    Options a = b;
    a.cost.async_io = true;
    const auto async =
        execution::make_executor("block_stm")->execute(block, pre, executor_config(a, o.threads));
    fmt::print("{:>12} | {:>16.2f}x | {:>16.2f}x\n", lat, seq.makespan_s / blocking.makespan_s,
               seq.makespan_s / async.makespan_s);
  }
  return 0;
}

}  // namespace

int exec_main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--mainnet") return exec_mainnet_main(argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    }
  }
  try {
    o = parse(argc, argv);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "pipesim exec: {}\n{}", e.what(), kUsage);
    return 2;
  }
  try {
    if (!o.sweep_latency.empty()) return run_latency_sweep(o);
    return o.sweep ? run_sweep(o) : run_one(o);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "pipesim exec: {}\n", e.what());
    return 2;
  } catch (const std::runtime_error& e) {  // e.g. the --csv file cannot be written
    fmt::print(stderr, "pipesim exec: {}\n", e.what());
    return 1;
  }
}

}  // namespace pipesim
