#include "tools/calibrate_command.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/common/data_dir.hpp"
#include "models/execution/executor.hpp"
#include "models/workload/block_generator.hpp"
#include "models/workload/eth_mainnet.hpp"

namespace pipesim {

namespace {

namespace ex = execution;

// Weights of the least squares: 1 / published_time^kWeightPower (see the fit below).
constexpr double kWeightPower = 1.0;

constexpr const char* kUsage =
    "usage: pipesim calibrate [--data FILE] [--blocks-dir DIR] [--report FILE]\n"
    "  --data        published sequential times (default "
    "DATA_DIR/calibration/pevm_sequential.csv)\n"
    "  --blocks-dir  the mainnet blocks (default DATA_DIR/eth-blocks)\n"
    "  --report      write the markdown report there (e.g. docs/calibration.md)\n"
    "  --weight-power  rows weighted by 1 / time^P (default 1: relative errors)\n"
    "Fits tx_fixed_us, cpu_ns_per_gas, memory_read_us, warm_read_us and write_us (in-memory\n"
    "tier) by non-negative weighted least squares, and prints the fit.\n";

struct Row {
  std::string workload;
  std::uint64_t block = 0;
  std::uint64_t txs = 0;
  std::uint64_t gas_used = 0;
  double published_us = 0;
};

std::vector<Row> read_rows(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<Row> rows;
  int n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string f[5];
    for (auto& x : f) std::getline(ss, x, ',');
    try {
      rows.push_back(
          Row{f[0], std::stoull(f[1]), std::stoull(f[2]), std::stoull(f[3]), std::stod(f[4])});
    } catch (const std::exception&) {
      throw std::runtime_error(path + ":" + std::to_string(n) + ": malformed row '" + line + "'");
    }
  }
  return rows;
}

// The work of one block as Sequential executes it: the regressors of the fit.
struct Features {
  double txs = 0, gas = 0, cold_reads = 0, warm_reads = 0, writes = 0;
  std::uint64_t gas_used = 0;
  std::size_t n_txs = 0;
};

struct Workload {
  ex::Block block;
  std::shared_ptr<const ex::StateLayer> pre;
};

Workload make_workload(const Row& r, const std::string& blocks_dir) {
  if (r.workload == "mainnet") {
    const auto b = workload::load_eth_block(blocks_dir, r.block);
    return Workload{b.traced.to_block(), b.pre_layer()};
  }
  // pevm's mocked gigagas blocks: one kind, independent transactions (distinct accounts).
  workload::BlockGeneratorConfig g;
  g.accounts = static_cast<std::uint32_t>(2 * r.txs + 2);
  g.seed = 1;
  if (r.workload == "gigagas_raw_transfers") {
    g.mix = workload::TxMix::parse("transfer=1");
  } else if (r.workload == "gigagas_erc20_transfers") {
    g.mix = workload::TxMix::parse("transfer=0,erc20=1");
    g.tokens = 64;
  } else if (r.workload == "gigagas_uniswap_swaps") {
    g.mix = workload::TxMix::parse("transfer=0,swap=1");
    g.tokens = 128;
    g.pairs = 127;
  } else {
    throw std::runtime_error("unknown workload '" + r.workload + "'");
  }
  workload::BlockGenerator gen(g);
  auto pre = gen.genesis(std::nullopt);
  return Workload{gen.next_block(static_cast<std::uint32_t>(r.txs)), pre};
}

ex::ExecutorConfig seq_config(const ex::CostModel& cost) {
  ex::ExecutorConfig c;
  c.threads = 1;
  c.compute_root = false;
  c.cost = cost;
  return c;
}

/// Execution time of Sequential's execute spans (no signature recovery, no commit): what the
/// published sequential column measures.
double execution_s(const ex::ExecutionOutcome& out) {
  double s = 0;
  for (const ex::Span& sp : out.schedule)
    if (sp.kind == ex::SpanKind::kExecute) s += sp.end_s - sp.start_s;
  return s;
}

Features features(const Workload& w) {
  ex::CostModel unit;  // only the counts matter here
  auto out = ex::make_executor("sequential")->execute(w.block, w.pre, seq_config(unit));
  Features f;
  f.n_txs = out.receipts.size();
  f.txs = static_cast<double>(out.receipts.size());
  f.gas = static_cast<double>(out.gas_used);
  f.gas_used = out.gas_used;
  f.cold_reads = static_cast<double>(out.stats.cold_reads);
  f.warm_reads = static_cast<double>(out.stats.warm_reads);
  f.writes = static_cast<double>(out.write_sets.keys.size());
  return f;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

int calibrate_main(int argc, char** argv) {
  std::string data = data_dir() + "/calibration/pevm_sequential.csv";
  std::string blocks_dir = workload::default_eth_blocks_dir();
  std::string report;
  double weight_power = kWeightPower;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    }
    if (i + 1 >= argc) {
      fmt::print(stderr, "pipesim calibrate: {} needs a value (or unknown option)\n{}", a, kUsage);
      return 2;
    }
    if (a == "--data") {
      data = argv[++i];
    } else if (a == "--blocks-dir") {
      blocks_dir = argv[++i];
    } else if (a == "--report") {
      report = argv[++i];
    } else if (a == "--weight-power") {
      try {
        weight_power = std::stod(argv[++i]);
      } catch (const std::exception&) {
        fmt::print(stderr, "pipesim calibrate: --weight-power: not a number\n");
        return 2;
      }
    } else {
      fmt::print(stderr, "pipesim calibrate: unknown option '{}'\n{}", a, kUsage);
      return 2;
    }
  }
  try {
    const std::vector<Row> rows = read_rows(data);
    std::vector<Workload> loads;
    std::vector<Features> feats;
    for (const Row& r : rows) {
      loads.push_back(make_workload(r, blocks_dir));
      feats.push_back(features(loads.back()));
    }
    // Columns: tx_fixed_us, cpu_ns_per_gas (x1e-3 us), memory_read_us, warm_read_us, write_us.
    constexpr int kP = 5;
    const char* names[kP] = {"tx_fixed_us", "cpu_ns_per_gas", "memory_read_us", "warm_read_us",
                             "write_us"};
    const auto m = static_cast<Eigen::Index>(rows.size());
    Eigen::MatrixXd X(m, kP);
    Eigen::VectorXd y(m);
    for (Eigen::Index i = 0; i < m; ++i) {
      const Features& f = feats[static_cast<std::size_t>(i)];
      X.row(i) << f.txs, f.gas * 1e-3, f.cold_reads, f.warm_reads, f.writes;
      y(i) = rows[static_cast<std::size_t>(i)].published_us;
    }
    if (const char* dump = std::getenv("PIPESIM_CALIBRATE_DUMP")) {
      std::ofstream f(dump);
      for (Eigen::Index i = 0; i < m; ++i) f << X.row(i) << " " << y(i) << "\n";
    }
    // Weighted least squares: row i scaled by 1 / y_i^weight_power (blocks span 80 us to
    // 586 ms: 0 would fit the largest rows only, 1 is least squares on relative errors).
    Eigen::MatrixXd Xw = X;
    Eigen::VectorXd yw = y;
    for (Eigen::Index i = 0; i < m; ++i) {
      const double w = std::pow(y(i), -weight_power);
      Xw.row(i) *= w;
      yw(i) *= w;
    }
    // Non-negative least squares, exactly: the optimum is the unconstrained least-squares
    // solution on its support, so try every subset of the 5 columns (31) and keep the best
    // solution with no negative coefficient.
    std::vector<bool> active(kP, false);
    Eigen::VectorXd theta = Eigen::VectorXd::Zero(kP);
    double best_sse = -1;
    for (int mask = 1; mask < (1 << kP); ++mask) {
      std::vector<int> cols;
      for (int j = 0; j < kP; ++j)
        if (mask >> j & 1) cols.push_back(j);
      Eigen::MatrixXd A(m, static_cast<Eigen::Index>(cols.size()));
      for (std::size_t k = 0; k < cols.size(); ++k)
        A.col(static_cast<Eigen::Index>(k)) = Xw.col(cols[k]);
      const Eigen::VectorXd sol = A.colPivHouseholderQr().solve(yw);
      if ((sol.array() < 0).any()) continue;
      const double sse = (A * sol - yw).squaredNorm();
      if (best_sse >= 0 && sse >= best_sse) continue;
      best_sse = sse;
      theta.setZero();
      active.assign(kP, false);
      for (std::size_t k = 0; k < cols.size(); ++k) {
        theta(cols[k]) = sol(static_cast<Eigen::Index>(k));
        active[static_cast<std::size_t>(cols[k])] = true;
      }
    }
    ex::CostModel fitted;
    fitted.tx_fixed_us = theta(0);
    fitted.cpu_ns_per_gas = theta(1);
    fitted.memory_read_us = theta(2);
    fitted.warm_read_us = theta(3);
    fitted.write_us = theta(4);
    fitted.state_tier = ex::StorageTier::kMemory;

    // Predictions: Sequential run with the fitted model (must equal X theta).
    std::vector<double> pred(rows.size()), rel(rows.size());
    double ss_res = 0, ss_tot = 0, mean = y.mean();
    std::vector<double> rel_mainnet;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto out = ex::make_executor("sequential")
                           ->execute(loads[i].block, loads[i].pre, seq_config(fitted));
      pred[i] = execution_s(out) * 1e6;
      rel[i] = (pred[i] - rows[i].published_us) / rows[i].published_us;
      ss_res +=
          (pred[i] - y(static_cast<Eigen::Index>(i))) * (pred[i] - y(static_cast<Eigen::Index>(i)));
      ss_tot += (y(static_cast<Eigen::Index>(i)) - mean) * (y(static_cast<Eigen::Index>(i)) - mean);
      if (rows[i].workload == "mainnet") rel_mainnet.push_back(std::abs(rel[i]));
    }
    std::vector<double> abs_rel;
    for (double r : rel) abs_rel.push_back(std::abs(r));
    const double r2 = 1 - ss_res / ss_tot;
    // R² in log space as well (blocks span four orders of magnitude).
    double l_res = 0, l_tot = 0, l_mean = 0;
    for (Eigen::Index i = 0; i < m; ++i) l_mean += std::log(y(i));
    l_mean /= static_cast<double>(m);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const double ly = std::log(rows[i].published_us);
      l_res += (std::log(pred[i]) - ly) * (std::log(pred[i]) - ly);
      l_tot += (ly - l_mean) * (ly - l_mean);
    }
    const double r2_log = 1 - l_res / l_tot;

    std::string md;
    auto out = std::back_inserter(md);
    fmt::format_to(out, "# Cost-model calibration (generated by `pipesim calibrate`)\n\n");
    fmt::format_to(out,
                   "Regenerate with `pipesim calibrate --report docs/calibration.md` (from the "
                   "repository root).\n\n"
                   "Data: `data/calibration/pevm_sequential.csv` (see its PROVENANCE.md): pevm's "
                   "published **sequential** execution times, Intel i9-12900K, state in memory, "
                   "{} mainnet blocks that pipesim ships plus pevm's three 1-gigagas blocks.\n\n",
                   rel_mainnet.size());
    fmt::format_to(out,
                   "Model (in-memory tier): time = tx_fixed_us x txs + cpu_ns_per_gas x gas + "
                   "memory_read_us x first reads in the block + warm_read_us x repeated reads + "
                   "write_us x keys written; regressors counted by running pipesim's Sequential "
                   "executor on the shipped block (mainnet transactions are replayed from their "
                   "access traces) or on a generated gigagas block. Weighted least squares "
                   "(each row divided by its published time to the power {}: the rows span four "
                   "orders of magnitude), non-negative (exact: the best "
                   "least-squares solution over every subset of the columns with no negative "
                   "coefficient). Parallel "
                   "times and speedups are not fitted.\n\n",
                   weight_power);
    fmt::format_to(out, "## Fitted constants (preset `pevm-i9-12900k-memory`)\n\n");
    fmt::format_to(out, "| constant | value |\n|---|---|\n");
    for (int j = 0; j < kP; ++j)
      fmt::format_to(out, "| `{}` | {:.4g}{} |\n", names[j], theta(j),
                     active[static_cast<std::size_t>(j)]
                         ? ""
                         : " (0: the non-negative optimum leaves it out)");
    fmt::format_to(out, "\n## Fit quality\n\n");
    fmt::format_to(out, "- R² (times): {:.3f}; R² (log times): {:.3f}\n", r2, r2_log);
    fmt::format_to(out, "- |relative error|, all {} rows: median {:.1f} %, p90 {:.1f} %\n",
                   rows.size(), 100 * quantile(abs_rel, 0.5), 100 * quantile(abs_rel, 0.9));
    fmt::format_to(out, "- |relative error|, {} mainnet blocks: median {:.1f} %, p90 {:.1f} %\n\n",
                   rel_mainnet.size(), 100 * quantile(rel_mainnet, 0.5),
                   100 * quantile(rel_mainnet, 0.9));
    fmt::format_to(out,
                   "| workload | block | txs | gas | published us | pipesim us | rel. error | "
                   "ms/Mgas published |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      fmt::format_to(out, "| {} | {} | {} | {} | {:.1f} | {:.1f} | {:+.1f} % | {:.3f} |\n",
                     r.workload, r.block, feats[i].n_txs, feats[i].gas_used, r.published_us,
                     pred[i], 100 * rel[i],
                     r.published_us * 1e-3 / (static_cast<double>(r.gas_used) * 1e-6));
    }
    fmt::format_to(
        out,
        "\nWhere pipesim disagrees: the mainnet rows replay access traces, not the EVM "
        "bytecode; the work per gas of a real block varies with its opcode mix (the "
        "published column spans {:.3f}-{:.3f} ms/Mgas), which a model with one cost per "
        "gas cannot express; exact traces with opcode-class profiles "
        "(transaction.hpp, OpcodeProfile) are the planned remedy. Gas counts of the "
        "traced blocks are pipesim's (a trace charges its recorded gas).\n",
        [&] {
          double lo = 1e9;
          for (const Row& r : rows)
            lo = std::min(lo, r.published_us * 1e3 / static_cast<double>(r.gas_used));
          return lo;
        }(),
        [&] {
          double hi = 0;
          for (const Row& r : rows)
            hi = std::max(hi, r.published_us * 1e3 / static_cast<double>(r.gas_used));
          return hi;
        }());
    fmt::print("{}", md);
    if (!report.empty()) {
      const std::string tmp = report + ".tmp";
      {
        std::ofstream f(tmp);
        if (!f) throw std::runtime_error("cannot write " + tmp);
        f << md;
      }
      std::filesystem::rename(tmp, report);
      fmt::print("\nwrote {}\n", report);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "pipesim calibrate: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace pipesim
