#include "sim/output/stats.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

namespace pipesim::sim::output {
namespace {

nlohmann::json number_or_null(double v) {
  if (std::isfinite(v)) return v;
  return nullptr;
}

}  // namespace

double quantile_sorted(std::span<const double> sorted, double q) {
  if (sorted.empty()) throw std::invalid_argument("quantile of an empty sample");
  if (!(q >= 0.0 && q <= 1.0)) {
    throw std::invalid_argument(fmt::format("quantile q must be in [0, 1], got {}", q));
  }
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const std::size_t lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  const double frac = h - static_cast<double>(lo);
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

Summary summarize_in_place(std::vector<double>& samples) {
  Summary s;
  s.count = samples.size();
  if (samples.empty()) return s;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (std::isnan(samples[i])) {
      throw std::invalid_argument(fmt::format("summarize: sample {} is NaN", i));
    }
  }
  const Eigen::Map<const Eigen::ArrayXd> x(samples.data(),
                                           static_cast<Eigen::Index>(samples.size()));
  s.mean = x.mean();
  s.stddev = std::sqrt((x - s.mean).square().mean());
  std::sort(samples.begin(), samples.end());
  s.min = samples.front();
  s.max = samples.back();
  s.p50 = quantile_sorted(samples, 0.50);
  s.p90 = quantile_sorted(samples, 0.90);
  s.p99 = quantile_sorted(samples, 0.99);
  return s;
}

Summary summarize(std::span<const double> samples) {
  std::vector<double> copy(samples.begin(), samples.end());
  return summarize_in_place(copy);
}

nlohmann::json to_json(const Summary& s, std::string_view unit) {
  nlohmann::json j;
  j["unit"] = std::string(unit);
  j["count"] = s.count;
  j["mean"] = number_or_null(s.mean);
  j["stddev"] = number_or_null(s.stddev);
  j["min"] = number_or_null(s.min);
  j["max"] = number_or_null(s.max);
  j["p50"] = number_or_null(s.p50);
  j["p90"] = number_or_null(s.p90);
  j["p99"] = number_or_null(s.p99);
  return j;
}

TimeSeries::TimeSeries(double bucket_s) : bucket_s_(bucket_s) {
  if (!std::isfinite(bucket_s) || bucket_s <= 0.0) {
    throw std::invalid_argument(
        fmt::format("TimeSeries: bucket_s must be a finite number > 0, got {}", bucket_s));
  }
}

std::size_t TimeSeries::bucket_index(double time_s) const {
  if (!std::isfinite(time_s) || time_s < 0.0) {
    throw std::invalid_argument(
        fmt::format("TimeSeries: time must be a finite number of seconds >= 0, got {}", time_s));
  }
  const double k = std::floor(time_s / bucket_s_);
  if (k >= static_cast<double>(kMaxBuckets)) {
    throw std::length_error(
        fmt::format("TimeSeries: time {} s with {} s buckets needs more than {} buckets", time_s,
                    bucket_s_, kMaxBuckets));
  }
  return static_cast<std::size_t>(k);
}

void TimeSeries::add(double time_s, double value) {
  if (std::isnan(value)) throw std::invalid_argument("TimeSeries: value is NaN");
  const std::size_t k = bucket_index(time_s);
  if (k >= sums_.size()) {
    sums_.resize(k + 1, 0.0);
    counts_.resize(k + 1, 0);
  }
  sums_[k] += value;
  ++counts_[k];
}

void TimeSeries::extend_to(double end_s) {
  if (!std::isfinite(end_s)) {
    throw std::invalid_argument(
        fmt::format("TimeSeries: extend_to({}) needs a finite time", end_s));
  }
  if (end_s <= 0.0) return;
  const std::size_t n = static_cast<std::size_t>(std::ceil(end_s / bucket_s_));
  if (n > kMaxBuckets) bucket_index(end_s);  // throws the length error
  if (n > sums_.size()) {
    sums_.resize(n, 0.0);
    counts_.resize(n, 0);
  }
}

std::vector<double> TimeSeries::rates() const {
  std::vector<double> r(sums_.size());
  for (std::size_t k = 0; k < sums_.size(); ++k) r[k] = sums_[k] / bucket_s_;
  return r;
}

nlohmann::json TimeSeries::to_json(std::string_view unit) const {
  nlohmann::json j;
  j["bucket_s"] = bucket_s_;
  j["unit"] = std::string(unit);
  j["sum"] = sums_;
  j["count"] = counts_;
  return j;
}

}  // namespace pipesim::sim::output
