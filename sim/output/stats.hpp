// Summary statistics of samples (latencies, intervals, sizes) for summary.json and sweep.csv,
// and a bucketed time series (e.g. transactions committed per second).
//
// Definitions (fixed, so numbers compare across runs and with analysis/ scripts):
//   - mean: arithmetic mean; stddev: POPULATION standard deviation sqrt(mean((x - mean)^2))
//     (numpy.std's default, ddof = 0), computed with Eigen;
//   - percentiles: linear interpolation between closest ranks, numpy.percentile's default
//     ("linear", Hyndman & Fan type 7): on the sorted samples x[0..n-1], the q-quantile is
//     x[floor(h)] + (h - floor(h)) * (x[floor(h)+1] - x[floor(h)]) with h = (n - 1) * q.
//     E.g. {1, 2, 3, 4}: p50 = 2.5, p90 = 3.7, p99 = 3.97.
//   - empty input: count 0 and every other field NaN (null in JSON).
// NaN samples are rejected (std::invalid_argument): a NaN latency is a bug upstream.
// No SimGrid include.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace pipesim::sim::output {

struct Summary {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t count = 0;
  double mean = kNaN;
  double stddev = kNaN;  // population (ddof = 0)
  double min = kNaN;
  double max = kNaN;
  double p50 = kNaN;
  double p90 = kNaN;
  double p99 = kNaN;
};

/// Summary of `samples` (any order; copied and sorted internally, O(n log n)).
/// Throws std::invalid_argument if a sample is NaN.
Summary summarize(std::span<const double> samples);

/// Same, sorting `samples` in place (no copy; for large sample vectors owned by the caller).
Summary summarize_in_place(std::vector<double>& samples);

/// The q-quantile (q in [0, 1]) of already SORTED samples by linear interpolation (see above).
/// Throws std::invalid_argument for an empty span or q outside [0, 1].
double quantile_sorted(std::span<const double> sorted, double q);

/// {"unit": unit, "count": n, "mean": .., "stddev": .., "min": .., "max": .., "p50": ..,
///  "p90": .., "p99": ..}; NaN fields (empty summary) become null. `unit` e.g. "s", "tx/s",
/// "bytes". (nlohmann::json objects print keys sorted, so the dump is deterministic.)
nlohmann::json to_json(const Summary& s, std::string_view unit);

/// Values accumulated in fixed-width time buckets [k * bucket_s, (k + 1) * bucket_s), k >= 0:
/// per bucket the sum and the number of add() calls. Memory grows with the latest bucket index
/// touched (one entry per bucket), not with the number of samples.
///
///   TimeSeries committed(1.0);              // 1 s buckets
///   committed.add(t_s, txs_in_block);       // at each commit
///   committed.rates();                      // tx/s per bucket
class TimeSeries {
 public:
  /// Guard against a unit mistake (ms given as s) allocating gigabytes: 100 M buckets.
  static constexpr std::size_t kMaxBuckets = 100'000'000;

  /// Throws std::invalid_argument unless bucket_s is finite and > 0.
  explicit TimeSeries(double bucket_s);

  /// Adds `value` to the bucket holding time_s. Throws std::invalid_argument for a negative or
  /// non-finite time or a NaN value, std::length_error past kMaxBuckets buckets.
  void add(double time_s, double value = 1.0);

  double bucket_s() const { return bucket_s_; }
  /// Number of buckets: one past the last bucket touched (0 if none). Call extend_to() to pad
  /// trailing empty buckets up to the end of the run.
  std::size_t size() const { return sums_.size(); }
  /// Makes the series cover [0, end_s) (adds empty buckets; never shrinks).
  void extend_to(double end_s);

  const std::vector<double>& sums() const { return sums_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  /// sums()[k] / bucket_s: e.g. transactions per second.
  std::vector<double> rates() const;
  /// Start time of bucket k in seconds (k * bucket_s).
  double bucket_start_s(std::size_t k) const { return static_cast<double>(k) * bucket_s_; }

  /// {"bucket_s": .., "unit": unit, "sum": [..], "count": [..]}.
  nlohmann::json to_json(std::string_view unit) const;

 private:
  std::size_t bucket_index(double time_s) const;
  double bucket_s_;
  std::vector<double> sums_;
  std::vector<std::uint64_t> counts_;
};

}  // namespace pipesim::sim::output
