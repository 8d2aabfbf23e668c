#include "tools/trace_stats_command.hpp"

#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "models/execution/executor.hpp"
#include "models/workload/eth_bal.hpp"
#include "models/workload/eth_mainnet.hpp"
#include "models/workload/trace_stats.hpp"

namespace pipesim {

namespace {

using workload::BlockStats;

constexpr const char* kUsage =
    "usage: pipesim trace-stats [--source eth-blocks|eth-bal] [--blocks N] [--data-dir DIR]\n"
    "                           [--execute] [--keep-beneficiary]\n"
    "  --source            eth-blocks: mainnet replay of DIR/eth-blocks (default);\n"
    "                      eth-bal: EIP-7928 access lists of DIR/eth-bal/rlp\n"
    "  --blocks N          first N blocks in number order (default 0 = all)\n"
    "  --data-dir DIR      data folder holding eth-blocks/ and eth-bal/ (default: "
    "$PIPESIM_DATA_DIR\n"
    "                      or the repository's data/; ../shared/data has all 85 eth-blocks)\n"
    "  --execute           also run each block through the sequential executor and print the\n"
    "                      fraction of successful receipts (eth-blocks: on the block's pre-state;\n"
    "                      eth-bal: the blocks in order on the nonce genesis)\n"
    "  --keep-beneficiary  count the fee recipient's balance as a conflict key (default: ignored)\n"
    "Columns: txs; gas = trace gas (eth-blocks: estimated to sum to the recorded gasUsed;\n"
    "eth-bal: estimated); indep = fraction of txs with no RAW/WAW/WAR conflict with an earlier tx "
    "of\n"
    "the block; chain = longest dependency chain (txs); chain/txs; conflict = conflicting pairs /\n"
    "all pairs; keys r/w exact and derived (see the loaders' headers); gas_exact = txs whose gas\n"
    "is known exactly (plain transfers; every tx of a block with an exact EVM trace in\n"
    "DIR/eth-traces, whose keys are all exact).\n";

struct Options {
  std::string source = "eth-blocks";
  std::uint64_t blocks = 0;
  std::string data_dir;
  bool execute = false;
  bool keep_beneficiary = false;
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "pipesim trace-stats: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

void print_header(bool execute) {
  fmt::print("{:>10} {:>5} {:>11} {:>11} {:>6} {:>6} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7} {:>9}{}\n",
             "block", "txs", "gas", "rec_gas", "indep", "chain", "chain/txs", "conflict", "r_exact",
             "r_deriv", "w_exact", "w_deriv", "gas_exact", execute ? "  seq_ok" : "");
}

void print_row(const BlockStats& s, double seq_ok) {
  fmt::print(
      "{:>10} {:>5} {:>11} {:>11} {:>6.3f} {:>6} {:>9.3f} {:>9.4f} {:>7} {:>7} {:>7} {:>7} "
      "{:>9}",
      s.number, s.txs, s.gas, s.recorded_gas, s.independent_fraction, s.longest_chain,
      s.chain_ratio, s.conflict_rate, s.read_keys_exact, s.read_keys_derived, s.write_keys_exact,
      s.write_keys_derived, s.txs_gas_exact);
  if (seq_ok >= 0) fmt::print("  {:>6.4f}", seq_ok);
  fmt::print("\n");
}

struct Totals {
  std::uint64_t blocks = 0, txs = 0, gas = 0, independent = 0, seq_ok = 0, seq_total = 0;
  std::uint64_t r_exact = 0, r_derived = 0, w_exact = 0, w_derived = 0;
  double chain_ratio_sum = 0, conflict_sum = 0;
  void add(const BlockStats& s) {
    ++blocks;
    txs += s.txs;
    gas += s.gas;
    independent += static_cast<std::uint64_t>(std::llround(s.independent_fraction * s.txs));
    chain_ratio_sum += s.chain_ratio;
    conflict_sum += s.conflict_rate;
    r_exact += s.read_keys_exact;
    r_derived += s.read_keys_derived;
    w_exact += s.write_keys_exact;
    w_derived += s.write_keys_derived;
  }
  void print(bool execute) const {
    if (blocks == 0) return;
    const auto pct = [](std::uint64_t a, std::uint64_t b) {
      return b == 0 ? 0.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b);
    };
    fmt::print(
        "summary: {} blocks, {} txs, {} gas; independent {:.1f}% of txs; mean chain/txs "
        "{:.3f}; mean conflict rate {:.4f}\n",
        blocks, txs, gas, pct(independent, txs), chain_ratio_sum / blocks, conflict_sum / blocks);
    fmt::print(
        "keys: reads {} exact / {} derived ({:.1f}% exact), writes {} exact / {} derived "
        "({:.1f}% exact)\n",
        r_exact, r_derived, pct(r_exact, r_exact + r_derived), w_exact, w_derived,
        pct(w_exact, w_exact + w_derived));
    if (execute)
      fmt::print("sequential: {}/{} receipts successful ({:.2f}%)\n", seq_ok, seq_total,
                 pct(seq_ok, seq_total));
  }
};

std::pair<std::uint64_t, std::uint64_t> run_sequential(
    const execution::Block& block, std::shared_ptr<const execution::StateLayer>& state) {
  execution::ExecutorConfig cfg;
  cfg.compute_root = false;
  auto out = execution::make_executor("sequential")->execute(block, state, cfg);
  std::uint64_t ok = 0;
  for (const auto& r : out.receipts) ok += r.status == execution::TxStatus::kSuccess;
  state = out.post_state;
  return {ok, out.receipts.size()};
}

}  // namespace

int trace_stats_main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--source") {
      if (!value(o.source)) return usage_error("--source needs a value");
      if (o.source != "eth-blocks" && o.source != "eth-bal")
        return usage_error("--source must be eth-blocks or eth-bal, got \"" + o.source + "\"");
    } else if (a == "--blocks") {
      if (!value(v)) return usage_error("--blocks needs a value");
      try {
        std::size_t used = 0;
        o.blocks = std::stoull(v, &used);
        if (used != v.size() || v[0] == '-') throw std::invalid_argument(v);
      } catch (const std::exception&) {
        return usage_error("--blocks must be a non-negative integer, got \"" + v + "\"");
      }
    } else if (a == "--data-dir") {
      if (!value(o.data_dir)) return usage_error("--data-dir needs a value");
    } else if (a == "--execute") {
      o.execute = true;
    } else if (a == "--keep-beneficiary") {
      o.keep_beneficiary = true;
    } else {
      return usage_error("unknown option \"" + a + "\"");
    }
  }
  const std::string root = o.data_dir.empty() ? workload::data_dir() : o.data_dir;
  const bool ignore_ben = !o.keep_beneficiary;
  Totals tot;
  try {
    if (o.source == "eth-blocks") {
      const std::string dir = root + "/eth-blocks";
      std::vector<std::uint64_t> numbers = workload::list_eth_blocks(dir);
      if (o.blocks != 0 && numbers.size() > o.blocks) numbers.resize(o.blocks);
      fmt::print("# eth-blocks: {} blocks from {}\n", numbers.size(), dir);
      print_header(o.execute);
      for (std::uint64_t n : numbers) {
        const workload::MainnetBlock b = workload::load_eth_block(dir, n);
        const BlockStats s = workload::block_stats(b.traced, ignore_ben);
        double ok_frac = -1;
        if (o.execute) {
          auto state = b.pre_layer();
          auto [ok, total] = run_sequential(b.traced.to_block(), state);
          tot.seq_ok += ok;
          tot.seq_total += total;
          ok_frac = total == 0 ? 1.0 : static_cast<double>(ok) / static_cast<double>(total);
        }
        print_row(s, ok_frac);
        tot.add(s);
      }
    } else {
      const std::string dir = root + "/eth-bal/rlp";
      std::vector<std::uint64_t> numbers = workload::list_bal_blocks(dir);
      if (o.blocks != 0 && numbers.size() > o.blocks) numbers.resize(o.blocks);
      fmt::print("# eth-bal: {} blocks from {}\n", numbers.size(), dir);
      std::vector<workload::BalTraced> traced;
      traced.reserve(numbers.size());
      for (std::uint64_t n : numbers)
        traced.push_back(workload::bal_to_traced(workload::read_bal_block(dir, n)));
      std::shared_ptr<const execution::StateLayer> state;
      if (o.execute)
        state = execution::StateLayer::make_base(workload::bal_genesis(traced), std::nullopt);
      print_header(o.execute);
      for (const auto& t : traced) {
        const BlockStats s = workload::block_stats(t.traced, ignore_ben);
        double ok_frac = -1;
        if (o.execute) {
          auto [ok, total] = run_sequential(t.traced.to_block(), state);
          tot.seq_ok += ok;
          tot.seq_total += total;
          ok_frac = total == 0 ? 1.0 : static_cast<double>(ok) / static_cast<double>(total);
        }
        print_row(s, ok_frac);
        tot.add(s);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pipesim trace-stats: %s\n", e.what());
    return 1;
  }
  tot.print(o.execute);
  return 0;
}

}  // namespace pipesim
