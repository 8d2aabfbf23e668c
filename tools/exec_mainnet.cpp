#include "tools/exec_mainnet.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/workload/eth_mainnet.hpp"
#include "sim/output/csv.hpp"
#include "tools/exec_flags.hpp"

namespace pipesim {

namespace {

using exec_flags::parse_uint;

constexpr const char* kUsage =
    "usage: pipesim exec --mainnet [--blocks N,M,...] [--executor NAME] [--threads N]\n"
    "                    [--eager] [--approximate] [--data-dir DIR] [--csv FILE]\n"
    "                    [--root] [--preset NAME] [--tier T] [--cost KEY=V ...]\n"
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
    "  --root         update the MPT and compute the state root (the pre-state's partial trie),\n"
    "                 charging the commitment (CostModel::root_s; with --cost\n"
    "                 account_trie_leaves/storage_trie_leaves, a mainnet-sized trie's nodes\n"
    "                 counted from the block's updated keys; parallel_commitment=true, spread\n"
    "                 over the workers); adds per block its time and its share of block\n"
    "                 processing (default: skipped)\n"
    "Cost model (models/execution/cost_model.hpp; the same flags as pipesim exec):\n"
    "  --preset NAME  pevm-i9-12900k-memory | reth-nvme-disk (default: the first)\n"
    "  --tier T       memory | page_cache | disk (where state lives)\n"
    "  --cost KEY=V   any numeric cost-model key, e.g. --cost cold_read_us=100 (repeatable);\n"
    "                 not memory_cache_bytes (each block runs alone: no client cache)\n"
    "Each recorded block runs alone (no network) on its pre-state: Sequential and the executor,\n"
    "both on N workers, in virtual time. Per block: number, transactions, gas used, trace kind\n"
    "(exact = re-executed by a real EVM, approx = approximated), sequential and executor virtual\n"
    "time, speedup, incarnations per transaction; with --root, the commitment time, its share\n"
    "of Sequential's and of the executor's block time, trie nodes hashed and updated leaves\n"
    "(accounts + storage slots written). Then the mean and median speedup and\n"
    "sum(sequential) / sum(executor); Sequential's throughput (tx/s and Mgas/s: median over\n"
    "the blocks with transactions, and aggregate = sum / sum(sequential)); with --root the\n"
    "commitment share's median and p90 over the blocks with transactions; for batch_occ, the\n"
    "rounds and abort fractions pooled over every block's rounds (a round's abort fraction =\n"
    "aborted / executed).\n";

/// The shared flags (exec_flags::ExecutorFlags) and the block selection.
struct Options : exec_flags::ExecutorFlags {
  std::vector<std::uint64_t> blocks;
  bool approximate = false;
  std::string data_dir;
};

Options parse(int argc, char** argv) {
  Options o;
  exec_flags::FlagWalker args(argc, argv);
  while (args.next()) {
    const std::string& arg = args.flag();
    if (exec_flags::apply_executor_flag(o, args)) continue;
    if (arg == "--mainnet") {
      args.no_value();
    } else if (arg == "--blocks") {
      const std::string v = args.value();
      std::size_t pos = 0;
      while (pos <= v.size()) {
        const std::size_t comma = std::min(v.find(',', pos), v.size());
        o.blocks.push_back(parse_uint(arg, v.substr(pos, comma - pos), 0));
        pos = comma + 1;
      }
    } else if (arg == "--approximate") {
      args.no_value();
      o.approximate = true;
    } else if (arg == "--data-dir") {
      o.data_dir = args.value();
    } else {
      throw std::invalid_argument("unknown option '" + arg + "' (with --mainnet)");
    }
  }
  execution::make_executor(o.executor);  // validates the name
  if (o.cost.memory_cache_bytes > 0)
    throw std::invalid_argument(
        "--cost memory_cache_bytes: not used with --mainnet (each block runs alone on its "
        "recorded pre-state, with no client cache)");
  return o;
}

/// Quantile q of `v`, linear interpolation between order statistics (q = 0.5: the median); 0
/// for an empty `v`.
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}
double median(std::vector<double> v) {
  return quantile(std::move(v), 0.5);
}

/// Leaves of the tries a block updates: accounts with any write (account trie) plus storage
/// slots written (storage tries).
std::uint64_t updated_leaves(const execution::StateLayer& post) {
  std::uint64_t slots = 0;
  std::vector<Address> accounts;
  for (const auto& kv : post.writes().sorted()) {
    if (kv.first.kind == execution::KeyKind::kStorage) ++slots;
    accounts.push_back(kv.first.address);
  }
  std::sort(accounts.begin(), accounts.end());
  return slots + static_cast<std::uint64_t>(std::unique(accounts.begin(), accounts.end()) -
                                            accounts.begin());
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
  cfg.compute_root = o.root;
  cfg.cost = o.cost;
  std::optional<sim::output::CsvWriter> csv;
  if (!o.csv.empty()) {
    std::vector<std::string> header{
        "block",   "txs",          "gas_used",   "trace",   "executor",
        "threads", "sequential_s", "executor_s", "speedup", "incarnations_per_tx"};
    if (o.root)
      for (const char* c : {"commit_s", "sequential_commit_share", "executor_commit_share",
                            "trie_nodes_hashed", "updated_leaves"})
        header.emplace_back(c);
    csv.emplace(o.csv, header);
  }
  fmt::print(
      "executor {}, {} threads, {} beneficiary, state tier {}{}{}{}{}; virtual times in ms\n",
      o.executor, o.threads, o.eager ? "eager" : "lazy", execution::to_string(o.cost.state_tier),
      o.cost.async_io ? ", async I/O" : "", o.root ? ", state root" : "",
      o.root && o.cost.models_trie_depth() ? ", modelled trie depth" : "",
      o.root && o.cost.parallel_commitment ? ", parallel commitment" : "");
  fmt::print("{:>9} {:>5} {:>11} {:>6} {:>10} {:>10} {:>8} {:>8}", "block", "txs", "gas_used",
             "trace", "seq_ms", "exec_ms", "speedup", "inc/tx");
  if (o.root)
    fmt::print(" {:>9} {:>9} {:>10} {:>7} {:>7}", "commit_ms", "seq_share", "exec_share", "nodes",
               "leaves");
  fmt::print("\n");
  std::vector<double> speedups;
  std::vector<double> seq_tps, seq_mgas;                    // Sequential's throughput per block
  std::vector<double> seq_commit_share, exec_commit_share;  // --root
  std::vector<execution::OccRoundStats> occ_rounds;         // Batch OCC: every block's rounds
  double sum_seq = 0, sum_exec = 0;
  std::uint64_t sum_txs = 0, sum_gas = 0, sum_nodes = 0, sum_loaded = 0, sum_leaves = 0;
  std::size_t exact = 0;
  const auto commitment =
      o.root ? std::optional(execution::CommitmentKind::kMerklePatriciaTrie) : std::nullopt;
  for (std::uint64_t b : blocks) {
    const workload::MainnetBlock mb = workload::load_eth_block(dir, b, mo);
    exact += mb.exact;
    const execution::Block blk = mb.traced.to_block();
    const auto pre = mb.pre_layer(commitment);
    const auto seq = execution::make_executor("sequential")->execute(blk, pre, cfg);
    const auto out = o.executor == "sequential"
                         ? seq
                         : execution::make_executor(o.executor)->execute(blk, pre, cfg);
    if (out.receipts != seq.receipts || (o.root && out.state_root != seq.state_root)) {
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
    sum_txs += blk.txs.size();
    sum_gas += seq.gas_used;
    // Per-block statistics (throughput, commitment share) cover the blocks with transactions: an
    // empty block's "processing" is the commit span's task overhead alone.
    if (!blk.txs.empty() && seq.makespan_s > 0) {
      seq_tps.push_back(static_cast<double>(blk.txs.size()) / seq.makespan_s);
      seq_mgas.push_back(static_cast<double>(seq.gas_used) * 1e-6 / seq.makespan_s);
    }
    fmt::print("{:>9} {:>5} {:>11} {:>6} {:>10.3f} {:>10.3f} {:>7.2f}x {:>8.2f}", b, blk.txs.size(),
               out.gas_used, mb.exact ? "exact" : "approx", seq.makespan_s * 1e3,
               out.makespan_s * 1e3, speedup, inc);
    // The commitment is the block's commit span (after execution, on worker 0): its share of
    // block processing is commit / makespan = commit / (execution + commitment).
    double commit_s = 0, seq_share = 0, exec_share = 0;
    std::uint64_t leaves = 0;
    if (o.root) {
      // The commit phase (one span, or several with parallel_commitment): the same writes give
      // the same commit in both runs.
      commit_s = seq.commit_s;
      seq_share = seq.makespan_s > 0 ? commit_s / seq.makespan_s : 0.0;
      exec_share = out.makespan_s > 0 ? out.commit_s / out.makespan_s : 0.0;
      leaves = updated_leaves(*seq.post_state);
      if (!blk.txs.empty()) {
        seq_commit_share.push_back(seq_share);
        exec_commit_share.push_back(exec_share);
      }
      sum_nodes += seq.commit_stats.nodes_hashed;
      sum_loaded += seq.commit_stats.nodes_loaded;
      sum_leaves += leaves;
      fmt::print(" {:>9.3f} {:>8.1f}% {:>9.1f}% {:>7} {:>7}", commit_s * 1e3, 100 * seq_share,
                 100 * exec_share, seq.commit_stats.nodes_hashed, leaves);
    }
    fmt::print("\n");
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
      if (o.root)
        csv->add(commit_s)
            .add(seq_share)
            .add(exec_share)
            .add(seq.commit_stats.nodes_hashed)
            .add(leaves);
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
  fmt::print(
      "sequential throughput: median over {} blocks with transactions {:.0f} tx/s, {:.1f} "
      "Mgas/s; aggregate (sum / sum(seq)) {:.0f} tx/s, {:.1f} Mgas/s\n",
      seq_tps.size(), median(seq_tps), median(seq_mgas),
      sum_seq > 0 ? static_cast<double>(sum_txs) / sum_seq : 0.0,
      sum_seq > 0 ? static_cast<double>(sum_gas) * 1e-6 / sum_seq : 0.0);
  if (o.root) {
    // With --executor sequential both runs are the same: its share is printed once.
    const std::string executor_share =
        o.executor == "sequential"
            ? std::string()
            : fmt::format(", {} median {:.1f} % p90 {:.1f} %", o.executor,
                          100 * median(exec_commit_share), 100 * quantile(exec_commit_share, 0.9));
    fmt::print(
        "state commitment share of block processing over {} blocks with transactions: "
        "sequential median {:.1f} % p90 {:.1f} %{}; {} trie nodes hashed for {} updated leaves "
        "({:.2f} nodes per leaf)\n",
        seq_commit_share.size(), 100 * median(seq_commit_share),
        100 * quantile(seq_commit_share, 0.9), executor_share, sum_nodes, sum_leaves,
        sum_leaves > 0 ? static_cast<double>(sum_nodes) / static_cast<double>(sum_leaves) : 0.0);
    if (o.cost.models_trie_depth())
      fmt::print(
          "modelled trie: account trie {} leaves, storage tries {} leaves (0 = as built), {} "
          "cached levels; {} nodes loaded from the tier ({:.2f} per updated leaf)\n",
          o.cost.account_trie_leaves, o.cost.storage_trie_leaves, o.cost.cached_trie_levels(),
          sum_loaded,
          sum_leaves > 0 ? static_cast<double>(sum_loaded) / static_cast<double>(sum_leaves) : 0.0);
  }
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
