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
    "  --report      write the markdown report there (e.g. docs/calibration.md), keeping the\n"
    "                file's hand-written sections after its keep-marker line\n"
    "  --weight-power  rows weighted by 1 / time^P (default 1: relative errors)\n"
    "Fits the in-memory preset's CPU constants (tx_fixed_us, the opcode-class and per-kind\n"
    "costs, cpu_ns_per_gas, memory_read_us) by non-negative weighted least squares to the\n"
    "published sequential times, and prints the fit with leave-one-out errors.\n";

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

// The work of one block as Sequential executes it: the regressors of the fit (one per column
// of kColumns, in that order), plus what the report prints.
constexpr int kP = 12;
constexpr const char* kColumns[kP] = {"tx_fixed_us",    "cpu_ns_per_gas", "op_ns",
                                      "keccak_word_ns", "storage_op_ns",  "call_us",
                                      "log_us",         "precompile_us",  "native_transfer_us",
                                      "erc20_call_us",  "amm_swap_us",    "memory_read_us"};
// What one unit of each column multiplies, in microseconds (ns columns x 1e-3).
constexpr double kColumnScaleUs[kP] = {1, 1e-3, 1e-3, 1e-3, 1e-3, 1, 1, 1, 1, 1, 1, 1};

double ex::CostModel::*const kField[kP] = {&ex::CostModel::tx_fixed_us,
                                           &ex::CostModel::cpu_ns_per_gas,
                                           &ex::CostModel::op_ns,
                                           &ex::CostModel::keccak_word_ns,
                                           &ex::CostModel::storage_op_ns,
                                           &ex::CostModel::call_us,
                                           &ex::CostModel::log_us,
                                           &ex::CostModel::precompile_us,
                                           &ex::CostModel::native_transfer_us,
                                           &ex::CostModel::erc20_call_us,
                                           &ex::CostModel::amm_swap_us,
                                           &ex::CostModel::memory_read_us};

struct Features {
  double x[kP] = {};
  std::uint64_t gas_used = 0;
  std::size_t n_txs = 0;
  std::size_t profiled_txs = 0;
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
  f.gas_used = out.gas_used;
  f.x[0] = static_cast<double>(out.receipts.size());
  f.x[11] = static_cast<double>(out.stats.cold_reads);
  // Interpretation columns: exactly the split CostModel::interpret_us makes, obtained by
  // evaluating it with one constant at 1 and the others at 0 (so X theta equals the executor's
  // time by construction; the report checks it).
  for (int j = 1; j <= 10; ++j) {
    ex::CostModel probe;
    for (int k = 0; k < kP; ++k) probe.*kField[k] = 0;
    probe.*kField[j] = 1;
    double sum_us = 0;
    for (std::size_t i = 0; i < w.block.txs.size() && i < out.receipts.size(); ++i)
      sum_us += probe.interpret_us(w.block.txs[i], out.receipts[i].gas_used);
    f.x[j] = sum_us / kColumnScaleUs[j];
  }
  for (const ex::Transaction& t : w.block.txs)
    if (t.trace && t.trace->opcodes.recorded) ++f.profiled_txs;
  return f;
}

// Non-negative weighted least squares, exactly: the optimum is the unconstrained least-squares
// solution on its support, so every subset of the columns is solved and the best solution with
// no negative coefficient kept. `use` selects the rows (leave-one-out drops one). Columns that
// are all zero on the selected rows are left out (unidentified: 0).
struct Fit {
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(kP);
  std::vector<bool> active = std::vector<bool>(kP, false);
};

Fit nnls(const Eigen::MatrixXd& Xw, const Eigen::VectorXd& yw, const std::vector<bool>& use) {
  std::vector<Eigen::Index> rows;
  for (std::size_t i = 0; i < use.size(); ++i)
    if (use[i]) rows.push_back(static_cast<Eigen::Index>(i));
  const auto m = static_cast<Eigen::Index>(rows.size());
  Eigen::MatrixXd X(m, kP);
  Eigen::VectorXd y(m);
  for (Eigen::Index r = 0; r < m; ++r) {
    X.row(r) = Xw.row(rows[static_cast<std::size_t>(r)]);
    y(r) = yw(rows[static_cast<std::size_t>(r)]);
  }
  int present = 0;
  for (int j = 0; j < kP; ++j)
    if (X.col(j).cwiseAbs().maxCoeff() > 0) present |= 1 << j;
  Fit best;
  double best_sse = -1;
  for (int mask = 1; mask < (1 << kP); ++mask) {
    if ((mask & ~present) != 0) continue;
    std::vector<int> cols;
    for (int j = 0; j < kP; ++j)
      if (mask >> j & 1) cols.push_back(j);
    if (static_cast<Eigen::Index>(cols.size()) > m) continue;
    Eigen::MatrixXd A(m, static_cast<Eigen::Index>(cols.size()));
    for (std::size_t k = 0; k < cols.size(); ++k)
      A.col(static_cast<Eigen::Index>(k)) = X.col(cols[k]);
    const Eigen::VectorXd sol = A.colPivHouseholderQr().solve(y);
    if ((sol.array() < 0).any()) continue;
    const double sse = (A * sol - y).squaredNorm();
    if (best_sse >= 0 && sse >= best_sse) continue;
    best_sse = sse;
    best.theta.setZero();
    best.active.assign(kP, false);
    for (std::size_t k = 0; k < cols.size(); ++k) {
      best.theta(cols[k]) = sol(static_cast<Eigen::Index>(k));
      best.active[static_cast<std::size_t>(cols[k])] = true;
    }
  }
  return best;
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

std::string merge_report(std::string_view generated, std::string_view existing) {
  std::string out(generated);
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += '\n';
  // The marker must be a whole line.
  std::size_t pos = 0;
  while ((pos = existing.find(kReportKeepMarker, pos)) != std::string_view::npos) {
    const std::size_t end = pos + kReportKeepMarker.size();
    const bool line_start = pos == 0 || existing[pos - 1] == '\n';
    const bool line_end = end == existing.size() || existing[end] == '\n';
    if (line_start && line_end) {
      out += existing.substr(pos);
      if (out.back() != '\n') out += '\n';
      return out;
    }
    pos = end;
  }
  out += kReportKeepMarker;
  out += '\n';
  return out;
}

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
    const auto m = static_cast<Eigen::Index>(rows.size());
    Eigen::MatrixXd X(m, kP);
    Eigen::VectorXd y(m);
    for (Eigen::Index i = 0; i < m; ++i) {
      const Features& f = feats[static_cast<std::size_t>(i)];
      for (int j = 0; j < kP; ++j) X(i, j) = f.x[j] * kColumnScaleUs[j];
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
    const Fit fit = nnls(Xw, yw, std::vector<bool>(rows.size(), true));
    const Eigen::VectorXd& theta = fit.theta;
    const std::vector<bool>& active = fit.active;
    ex::CostModel fitted;
    for (int j = 0; j < kP; ++j) fitted.*kField[j] = theta(j);
    fitted.warm_read_us = 0;
    fitted.write_us = 0;
    fitted.state_tier = ex::StorageTier::kMemory;

    // Out of sample: leave-one-out (refit without row i, predict row i). A row whose
    // columns are all zero elsewhere (the only row of its kind) has no out-of-sample
    // prediction: reported as n/a.
    std::vector<double> loo_rel(rows.size(), std::nan(""));
    std::vector<double> loo_abs, loo_abs_mainnet;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      std::vector<bool> use(rows.size(), true);
      use[i] = false;
      bool identified = true;
      for (int j = 0; j < kP; ++j) {
        if (X(static_cast<Eigen::Index>(i), j) == 0) continue;
        bool elsewhere = false;
        for (std::size_t k = 0; k < rows.size(); ++k)
          if (k != i && X(static_cast<Eigen::Index>(k), j) != 0) elsewhere = true;
        if (!elsewhere) identified = false;
      }
      if (!identified) continue;
      const Fit f = nnls(Xw, yw, use);
      const double p = X.row(static_cast<Eigen::Index>(i)).dot(f.theta);
      loo_rel[i] = (p - rows[i].published_us) / rows[i].published_us;
      loo_abs.push_back(std::abs(loo_rel[i]));
      if (rows[i].workload == "mainnet") loo_abs_mainnet.push_back(std::abs(loo_rel[i]));
    }

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
    abs_rel.reserve(rel.size());
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

    // The executor must reproduce X theta (the columns are the cost model's own split).
    double max_mismatch = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const double xt = X.row(static_cast<Eigen::Index>(i)).dot(theta);
      max_mismatch = std::max(max_mismatch, std::abs(pred[i] - xt) / std::max(xt, 1e-9));
    }
    // (Not exactly 0: the block-end beneficiary credit's reads are counted as first reads
    // but charged by the block's finish, not per transaction.)
    if (max_mismatch > 0.01)
      throw std::runtime_error(fmt::format(
          "internal: Sequential's time differs from the fitted model by {:.2g} (relative)",
          max_mismatch));
    std::size_t traced = 0;
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (rows[i].workload == "mainnet" && feats[i].profiled_txs == feats[i].n_txs) ++traced;

    std::string md;
    auto out = std::back_inserter(md);
    fmt::format_to(out, "# Cost-model calibration (generated by `pipesim calibrate`)\n\n");
    fmt::format_to(
        out,
        "Regenerate with `pipesim calibrate --report docs/calibration.md` (from the "
        "repository root); it rewrites this file up to the keep-marker line and keeps the "
        "hand-written sections after it.\n\n"
        "Data: `data/calibration/pevm_sequential.csv` (see its PROVENANCE.md): pevm's "
        "published **sequential** execution times, Intel i9-12900K, state in memory, "
        "{} mainnet blocks that pipesim ships plus pevm's three 1-gigagas blocks. "
        "{} of the mainnet blocks have exact traces with an opcode-class profile for "
        "every transaction (data/eth-traces); the others replay approximated traces.\n\n",
        rel_mainnet.size(), traced);
    fmt::format_to(
        out,
        "Model (in-memory tier), per transaction: tx_fixed_us + interpretation + memory_read_us "
        "x first reads in the block of a key. Interpretation (CostModel::interpret_us): for an "
        "exact trace, a cost per **opcode class** of its profile; the profile's 16 classes are "
        "grouped into 6 because 35 published rows cannot identify 16 constants: `op_ns` per "
        "instruction of arith_stack plus per memory word, `keccak_word_ns` per hashed word, "
        "`storage_op_ns` per SLOAD/SSTORE (cold and warm together: the shipped traces record no "
        "cold "
        "SLOAD or SSTORE in any block from Berlin on, so the split cannot be fitted), "
        "`call_us` per CALL-family instruction, CREATE and account read, `log_us` per LOG, "
        "`precompile_us` per precompile call (all five kinds together). A generated transaction "
        "(no profile) costs its **kind**: `native_transfer_us`, `erc20_call_us`, `amm_swap_us`, "
        "each identified by one gigagas row only; an approximated mainnet trace costs gas x "
        "`cpu_ns_per_gas`, identified by the {} untraced mainnet blocks. `warm_read_us` and "
        "`write_us` are not fitted (0; an earlier fit with them left them at 0). Regressors "
        "counted by running pipesim's Sequential executor on the shipped block or on a "
        "generated gigagas block. Weighted least squares (each row divided by its published "
        "time to the power {}: the rows span four orders of magnitude), non-negative (exact: "
        "the best least-squares solution over every subset of the columns with no negative "
        "coefficient). Parallel times and speedups are not fitted. Largest relative "
        "difference between Sequential's time and the fitted linear model: {:.2g}.\n\n",
        rel_mainnet.size() - traced, weight_power, max_mismatch);
    fmt::format_to(out, "## Fitted constants (preset `pevm-i9-12900k-memory`)\n\n");
    fmt::format_to(out, "| constant | value |\n|---|---|\n");
    for (int j = 0; j < kP; ++j)
      fmt::format_to(out, "| `{}` | {:.4g}{} |\n", kColumns[j], theta(j),
                     active[static_cast<std::size_t>(j)]
                         ? ""
                         : " (0: the non-negative optimum leaves it out)");
    fmt::format_to(out, "\n## Fit quality\n\n");
    // R² of the mainnet rows alone (the gigagas rows are fitted exactly and dominate the
    // variance of the times).
    double mn_res = 0, mn_tot = 0, mn_mean = 0;
    std::size_t mn = 0;
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (rows[i].workload == "mainnet") {
        mn_mean += rows[i].published_us;
        ++mn;
      }
    mn_mean /= static_cast<double>(std::max<std::size_t>(mn, 1));
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (rows[i].workload == "mainnet") {
        mn_res += (pred[i] - rows[i].published_us) * (pred[i] - rows[i].published_us);
        mn_tot += (rows[i].published_us - mn_mean) * (rows[i].published_us - mn_mean);
      }
    fmt::format_to(out,
                   "- R² (times, all rows): {:.3f}; R² (log times, all rows): {:.3f}; R² (times, "
                   "{} mainnet blocks only): {:.3f}\n",
                   r2, r2_log, mn, 1 - mn_res / mn_tot);
    fmt::format_to(out,
                   "- in sample, |relative error|, all {} rows: median {:.1f} %, p90 {:.1f} %\n",
                   rows.size(), 100 * quantile(abs_rel, 0.5), 100 * quantile(abs_rel, 0.9));
    fmt::format_to(out,
                   "- in sample, |relative error|, {} mainnet blocks: median {:.1f} %, p90 "
                   "{:.1f} %\n",
                   rel_mainnet.size(), 100 * quantile(rel_mainnet, 0.5),
                   100 * quantile(rel_mainnet, 0.9));
    fmt::format_to(out,
                   "- **out of sample** (leave-one-out: refit without the row, predict it), "
                   "|relative error|, {} rows: median {:.1f} %, p90 {:.1f} %; {} mainnet blocks: "
                   "median {:.1f} %, p90 {:.1f} % (rows that are the only one of their kind have "
                   "no out-of-sample prediction: n/a)\n\n",
                   loo_abs.size(), 100 * quantile(loo_abs, 0.5), 100 * quantile(loo_abs, 0.9),
                   loo_abs_mainnet.size(), 100 * quantile(loo_abs_mainnet, 0.5),
                   100 * quantile(loo_abs_mainnet, 0.9));
    fmt::format_to(out,
                   "| workload | block | txs | gas | published us | pipesim us | rel. error | "
                   "leave-one-out rel. error | ms/Mgas published |\n"
                   "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      fmt::format_to(
          out, "| {} | {} | {} | {} | {:.1f} | {:.1f} | {:+.1f} % | {} | {:.3f} |\n", r.workload,
          r.block, feats[i].n_txs, feats[i].gas_used, r.published_us, pred[i], 100 * rel[i],
          std::isnan(loo_rel[i]) ? std::string("n/a") : fmt::format("{:+.1f} %", 100 * loo_rel[i]),
          r.published_us * 1e-3 / (static_cast<double>(r.gas_used) * 1e-6));
    }
    fmt::format_to(
        out,
        "\nWhere pipesim disagrees: the published column spans {:.3f}-{:.3f} ms/Mgas; the "
        "opcode-class model explains part of that spread (the rows above), not all of it: "
        "pevm's times also depend on what the classes group together (a cheap ADD and an "
        "expensive EXP are one `op_ns`), on revm's state access costs per data structure, and "
        "on allocator effects, none of which a 35-row fit can separate. The gigagas rows are "
        "fitted exactly by their kind constants (one row each): their in-sample error says "
        "nothing about the model. Gas counts of the traced blocks are pipesim's (a trace "
        "charges its recorded gas).\n",
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
      // Hand-written sections after kReportKeepMarker in the existing report are kept.
      std::string existing;
      if (std::ifstream in(report); in) {
        std::stringstream ss;
        ss << in.rdbuf();
        existing = ss.str();
      }
      const std::string merged = merge_report(md, existing);
      const std::string tmp = report + ".tmp";
      {
        std::ofstream f(tmp);
        if (!f) throw std::runtime_error("cannot write " + tmp);
        f << merged;
        if (!f.flush()) throw std::runtime_error("cannot write " + tmp);
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
