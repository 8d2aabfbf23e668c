// Scenario JSON loading, validation, overrides and serialisation (see sim/scenario.hpp and the
// user reference docs/scenario.md).
//
// The field table is written once per section as a `visit(V&, Section&)` template. Three
// visitors walk it: KeyCollector (the allowed keys of an object, for the unknown-key check),
// Reader (type and range validation, JSON -> struct) and Writer (struct -> JSON). Cross-field
// checks and the region-latency resolution run after the table walk, before anything simulates.
#include "sim/scenario.hpp"

#include "models/common/data_dir.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pipesim::sim {
namespace {

using json = nlohmann::json;
using Choices = std::initializer_list<std::string_view>;

constexpr double kInf = std::numeric_limits<double>::infinity();
/// Largest integer a double holds exactly (2^53); integral floats above it are rejected.
constexpr double kMaxExactDouble = 9007199254740992.0;

/// Allowed range of a floating-point field.
struct NumRange {
  double min = 0.0;
  bool min_open = false;  // true: value > min; false: value >= min
  double max = kInf;      // closed upper bound (inf: none)

  bool contains(double v) const { return (min_open ? v > min : v >= min) && v <= max; }
  std::string describe() const {
    if (max == kInf) return fmt::format("a number {} {}", min_open ? ">" : ">=", min);
    return fmt::format("a number in {}{}, {}]", min_open ? "(" : "[", min, max);
  }
};
constexpr NumRange kNonNegative{0.0, false, kInf};
constexpr NumRange kPositive{0.0, true, kInf};
constexpr NumRange kFraction{0.0, false, 1.0};

/// `parent.key`, or `key` at the root.
std::string join(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t i) {
  return fmt::format("{}[{}]", parent, i);
}

/// A JSON value rendered for an error message (strings quoted, long values shortened).
std::string show(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw ScenarioError(path, message);
}

[[noreturn]] void wrong_type(const std::string& path, const json& v, const std::string& expected) {
  fail(path, fmt::format("value {} has the wrong type ({}), expected {}", show(v), v.type_name(),
                         expected));
}

[[noreturn]] void out_of_range(const std::string& path, const json& v,
                               const std::string& expected) {
  fail(path, fmt::format("value {} is out of range, expected {}", show(v), expected));
}

/// Levenshtein distance, for "did you mean" hints on unknown keys.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// Throws for the first key of `obj` (in sorted order) that is not in `allowed`.
void check_keys(const json& obj, const std::string& path, const std::vector<std::string>& allowed) {
  for (const auto& item : obj.items()) {
    const std::string& key = item.key();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string hint;
    std::size_t best = 3;  // suggest only close matches (distance <= 2)
    for (const auto& candidate : allowed) {
      const std::size_t d = edit_distance(key, candidate);
      if (d < best) {
        best = d;
        hint = fmt::format(" (did you mean \"{}\"?)", candidate);
      }
    }
    fail(join(path, key),
         fmt::format("unknown key{}, allowed keys: {}", hint, fmt::join(allowed, ", ")));
  }
}

/// Reads an unsigned integer in [min, max]. Integral floats (e.g. 3e7) are accepted; fractions,
/// negatives and non-numbers are not. `type_max` is the C++ field's limit: when `max` equals it,
/// the expectation is phrased as `>= min` unless the value is too large.
std::uint64_t read_uint(const json& v, const std::string& path, std::uint64_t min,
                        std::uint64_t max, std::uint64_t type_max) {
  const auto expected = [&](bool too_large) {
    if (max == type_max && !too_large) return fmt::format("an integer >= {}", min);
    return fmt::format("an integer in [{}, {}]", min, max);
  };
  if (!v.is_number()) wrong_type(path, v, expected(false));
  std::uint64_t value = 0;
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::floor(d) != d) {
      fail(path, fmt::format("value {} is not an integer, expected {}", show(v), expected(false)));
    }
    if (d < 0.0) out_of_range(path, v, expected(false));
    if (d > kMaxExactDouble) {
      fail(path, fmt::format("value {} is too large for an exact integer, expected {} written "
                             "without a fraction or exponent",
                             show(v), expected(true)));
    }
    value = static_cast<std::uint64_t>(d);
  } else if (v.is_number_unsigned()) {
    value = v.get<std::uint64_t>();
  } else {
    const std::int64_t i = v.get<std::int64_t>();
    if (i < 0) out_of_range(path, v, expected(false));
    value = static_cast<std::uint64_t>(i);
  }
  if (value < min) out_of_range(path, v, expected(false));
  if (value > max) out_of_range(path, v, expected(true));
  return value;
}

double read_number(const json& v, const std::string& path, const NumRange& range) {
  if (!v.is_number()) wrong_type(path, v, range.describe());
  const double d = v.get<double>();
  if (!std::isfinite(d) || !range.contains(d)) out_of_range(path, v, range.describe());
  return d;
}

std::string read_text(const json& v, const std::string& path) {
  if (!v.is_string()) wrong_type(path, v, "a non-empty string");
  std::string s = v.get<std::string>();
  if (s.empty()) out_of_range(path, v, "a non-empty string");
  return s;
}

const json& read_array(const json& v, const std::string& path, const char* of) {
  if (!v.is_array()) wrong_type(path, v, fmt::format("an array of {}", of));
  return v;
}

std::string quoted_list(Choices choices) {
  std::string out;
  for (std::string_view c : choices) out += fmt::format("{}\"{}\"", out.empty() ? "" : ", ", c);
  return out;
}

/// Collects the keys a section's table declares (the allowed keys of that JSON object).
struct KeyCollector {
  std::vector<std::string> keys;

  template <class T>
  void uint(std::string_view key, T&, std::uint64_t = 0, std::uint64_t = 0) {
    keys.emplace_back(key);
  }
  void number(std::string_view key, double&, const NumRange&) { keys.emplace_back(key); }
  void boolean(std::string_view key, bool&) { keys.emplace_back(key); }
  void text(std::string_view key, std::string&) { keys.emplace_back(key); }
  void choice(std::string_view key, std::string&, Choices) { keys.emplace_back(key); }
  void texts(std::string_view key, std::vector<std::string>&) { keys.emplace_back(key); }
  void numbers(std::string_view key, std::vector<double>&, const NumRange&) {
    keys.emplace_back(key);
  }
  void matrix(std::string_view key, std::vector<std::vector<double>>&, const NumRange&) {
    keys.emplace_back(key);
  }
  void uints(std::string_view key, std::vector<std::uint32_t>&) { keys.emplace_back(key); }
  void note(std::string_view key) { keys.emplace_back(key); }
  void section(std::string_view key) { keys.emplace_back(key); }
  void file(std::string_view key, std::string&) { keys.emplace_back(key); }
  template <class T, class F>
  void objects(std::string_view key, std::vector<T>&, F&&) {
    keys.emplace_back(key);
  }
  template <class F>
  void object(std::string_view key, F&&) {
    keys.emplace_back(key);
  }
};

/// Validates one JSON object against a section's table and fills the struct. Absent keys keep
/// the struct's default.
class Reader {
 public:
  Reader(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  template <class T>
  void uint(std::string_view key, T& out, std::uint64_t min = 0,
            std::uint64_t max = std::numeric_limits<T>::max()) {
    if (const json* v = find(key)) {
      out =
          static_cast<T>(read_uint(*v, join(path_, key), min, max, std::numeric_limits<T>::max()));
    }
  }
  void number(std::string_view key, double& out, const NumRange& range) {
    if (const json* v = find(key)) out = read_number(*v, join(path_, key), range);
  }
  void boolean(std::string_view key, bool& out) {
    if (const json* v = find(key)) {
      if (!v->is_boolean()) wrong_type(join(path_, key), *v, "a boolean (true or false)");
      out = v->get<bool>();
    }
  }
  void text(std::string_view key, std::string& out) {
    if (const json* v = find(key)) out = read_text(*v, join(path_, key));
  }
  void choice(std::string_view key, std::string& out, Choices choices) {
    const json* v = find(key);
    if (v == nullptr) return;
    const std::string path = join(path_, key);
    const std::string expected = "one of " + quoted_list(choices);
    if (!v->is_string()) wrong_type(path, *v, expected);
    const std::string s = v->get<std::string>();
    if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
      fail(path, fmt::format("value {} is not an allowed value, expected {}", show(*v), expected));
    }
    out = s;
  }
  void texts(std::string_view key, std::vector<std::string>& out) {
    const json* v = find(key);
    if (v == nullptr) return;
    const std::string path = join(path_, key);
    out.clear();
    for (const auto& e : read_array(*v, path, "strings")) {
      out.push_back(read_text(e, index_path(path, out.size())));
    }
  }
  void numbers(std::string_view key, std::vector<double>& out, const NumRange& range) {
    const json* v = find(key);
    if (v == nullptr) return;
    const std::string path = join(path_, key);
    out.clear();
    for (const auto& e : read_array(*v, path, "numbers")) {
      out.push_back(read_number(e, index_path(path, out.size()), range));
    }
  }
  void matrix(std::string_view key, std::vector<std::vector<double>>& out, const NumRange& range) {
    const json* v = find(key);
    if (v == nullptr) return;
    const std::string path = join(path_, key);
    out.clear();
    for (const auto& row : read_array(*v, path, "arrays of numbers (one row per region)")) {
      const std::string row_path = index_path(path, out.size());
      std::vector<double> values;
      for (const auto& e : read_array(row, row_path, "numbers")) {
        values.push_back(read_number(e, index_path(row_path, values.size()), range));
      }
      out.push_back(std::move(values));
    }
  }
  void uints(std::string_view key, std::vector<std::uint32_t>& out) {
    const json* v = find(key);
    if (v == nullptr) return;
    const std::string path = join(path_, key);
    out.clear();
    for (const auto& e : read_array(*v, path, "integers")) {
      out.push_back(static_cast<std::uint32_t>(
          read_uint(e, index_path(path, out.size()), 0, std::numeric_limits<std::uint32_t>::max(),
                    std::numeric_limits<std::uint32_t>::max())));
    }
  }
  /// A file path: any string, "" = none (resolved against the scenario's folder later).
  void file(std::string_view key, std::string& out) {
    if (const json* v = find(key)) {
      if (!v->is_string()) wrong_type(join(path_, key), *v, "a string (a file path, or \"\")");
      out = v->get<std::string>();
    }
  }
  /// An array of objects, each read with `fields(visitor, element)` (absent: keeps `out`).
  template <class T, class F>
  void objects(std::string_view key, std::vector<T>& out, F&& fields) {
    const json* v = find(key);
    if (v == nullptr) return;
    const std::string path = join(path_, key);
    out.clear();
    for (const auto& e : read_array(*v, path, "objects")) {
      const std::string epath = index_path(path, out.size());
      if (!e.is_object()) wrong_type(epath, e, "an object");
      T item{};
      read_object(e, epath, [&](auto& r) { fields(r, item); });
      out.push_back(std::move(item));
    }
  }
  /// A documentation-only key (`$schema`, `description`): any string, not stored.
  void note(std::string_view key) {
    if (const json* v = find(key); v != nullptr && !v->is_string()) {
      wrong_type(join(path_, key), *v, "a string");
    }
  }
  /// A section read by another command (`sweep`): any object, not stored. Its content is
  /// validated by that command (tools/sweep_plan.hpp), not here.
  void section(std::string_view key) {
    if (const json* v = find(key); v != nullptr && !v->is_object()) {
      wrong_type(join(path_, key), *v, "an object");
    }
  }
  template <class F>
  void object(std::string_view key, F&& fields) {
    static const json kEmpty = json::object();
    const std::string path = join(path_, key);
    const json* v = find(key);
    if (v != nullptr && !v->is_object()) wrong_type(path, *v, "an object");
    read_object(v != nullptr ? *v : kEmpty, path, fields);
  }

  /// Checks `obj`'s keys against the table `fields`, then reads them.
  template <class F>
  static void read_object(const json& obj, const std::string& path, F&& fields) {
    KeyCollector allowed;
    fields(allowed);
    check_keys(obj, path, allowed.keys);
    Reader reader(obj, path);
    fields(reader);
  }

 private:
  const json* find(std::string_view key) const {
    const auto it = obj_.find(std::string(key));
    return it == obj_.end() ? nullptr : &*it;
  }

  const json& obj_;
  std::string path_;
};

/// Writes a section's fields into a JSON object (every key, defaults included).
class Writer {
 public:
  explicit Writer(json& out) : out_(out) {}

  template <class T>
  void uint(std::string_view key, T& v, std::uint64_t = 0, std::uint64_t = 0) {
    at(key) = v;
  }
  void number(std::string_view key, double& v, const NumRange&) { at(key) = v; }
  void boolean(std::string_view key, bool& v) { at(key) = v; }
  void text(std::string_view key, std::string& v) { at(key) = v; }
  void choice(std::string_view key, std::string& v, Choices) { at(key) = v; }
  void texts(std::string_view key, std::vector<std::string>& v) { at(key) = v; }
  void numbers(std::string_view key, std::vector<double>& v, const NumRange&) { at(key) = v; }
  void matrix(std::string_view key, std::vector<std::vector<double>>& v, const NumRange&) {
    at(key) = v;
  }
  void uints(std::string_view key, std::vector<std::uint32_t>& v) { at(key) = v; }
  void note(std::string_view) {}
  void section(std::string_view) {}
  void file(std::string_view key, std::string& v) { at(key) = v; }
  template <class T, class F>
  void objects(std::string_view key, std::vector<T>& items, F&& fields) {
    json arr = json::array();
    for (T& item : items) {
      json obj = json::object();
      Writer writer(obj);
      fields(writer, item);
      arr.push_back(std::move(obj));
    }
    at(key) = std::move(arr);
  }
  template <class F>
  void object(std::string_view key, F&& fields) {
    json& sub = at(key);
    sub = json::object();
    Writer writer(sub);
    fields(writer);
  }

 private:
  json& at(std::string_view key) { return out_[std::string(key)]; }
  json& out_;
};

// ---- The field table: one visit() per section, in header order. ----------------------------

template <class V>
void visit(V& v, LatencyConfig& c) {
  v.choice("model", c.model,
           {"constant", "uniform", "normal", "lognormal", "region_matrix", "vivaldi"});
  v.number("constant_ms", c.constant_ms, kNonNegative);
  v.number("min_ms", c.min_ms, kNonNegative);
  v.number("max_ms", c.max_ms, kNonNegative);
  v.number("mean_ms", c.mean_ms, kNonNegative);
  v.number("stddev_ms", c.stddev_ms, kNonNegative);
  v.number("median_ms", c.median_ms, kPositive);
  v.number("sigma", c.sigma, kNonNegative);
  v.number("floor_ms", c.floor_ms, kNonNegative);
  v.choice("preset", c.preset, {"", "aws_p50", "aws_p90", "simblock_2015", "simblock_2019"});
  v.object("regions", [&](auto& r) {
    r.texts("names", c.region_names);
    r.matrix("one_way_ms", c.one_way_ms, kNonNegative);
    r.numbers("weights", c.region_weights, kNonNegative);
    r.choice("distribution", c.region_distribution,
             {"", "bitcoin_2015", "bitcoin_2019", "litecoin", "dogecoin"});
  });
  v.number("jitter_ms", c.jitter_ms, kNonNegative);
  v.choice("jitter_kind", c.jitter_kind, {"uniform", "normal", "pareto", "from_p90"});
  v.choice("vivaldi_dataset", c.vivaldi_dataset, {"harvard", "p2psim", "meridian"});
  v.choice("vivaldi_selection", c.vivaldi_selection, {"first", "sample", "wrap"});
}

template <class V>
void visit(V& v, NetworkConfig& c) {
  v.uint("validators", c.validators, 4);
  v.object("latency", [&](auto& s) { visit(s, c.latency); });
  v.object("bandwidth", [&](auto& s) {
    s.number("upload_mbps", c.bandwidth.upload_mbps, kPositive);
    s.number("download_mbps", c.bandwidth.download_mbps, kPositive);
  });
  v.objects("classes", c.classes, [](auto& s, NodeClassShare& share) {
    s.choice("name", share.name, {"reliable", "home", "laggy", "constrained", "bad"});
    s.number("fraction", share.fraction, kNonNegative);
  });
  v.object("topology", [&](auto& s) {
    s.choice("kind", c.topology.kind,
             {"complete", "random_regular", "erdos_renyi", "watts_strogatz", "barabasi_albert",
              "star", "ring", "file"});
    s.uint("degree", c.topology.degree, 1);
    s.number("p", c.topology.p, kFraction);
    s.file("file", c.topology.file);
  });
  v.object("dissemination", [&](auto& s) {
    s.choice("mode", c.dissemination.mode, {"direct", "flood", "push", "push_pull"});
    s.uint("fanout", c.dissemination.fanout, 0);
    s.number("processing_delay_ms", c.dissemination.processing_delay_ms, kNonNegative);
  });
  v.file("platform_xml", c.platform_xml);
}

template <class V>
void visit(V& v, NodesConfig& c) {
  v.uint("cores", c.cores, 1);
  v.number("speed_factor", c.speed_factor, kPositive);
}

template <class V>
void visit(V& v, DagConsensusConfig& c) {
  v.uint("wave_length_rounds", c.wave_length_rounds, 2, 64);
  v.number("round_time_ms", c.round_time_ms, kNonNegative);
}

template <class V>
void visit(V& v, ConsensusConfig& c) {
  v.choice("protocol", c.protocol, {"hotstuff", "dag_bft"});
  v.number("block_time_ms", c.block_time_ms, kPositive);
  v.number("round_timeout_ms", c.round_timeout_ms, kPositive);
  v.number("signature_verify_us", c.signature_verify_us, kNonNegative);
  v.number("signature_sign_us", c.signature_sign_us, kNonNegative);
  v.number("qc_verify_us", c.qc_verify_us, kNonNegative);
  v.object("dag", [&](auto& s) { visit(s, c.dag); });
}

template <class V>
void visit(V& v, CostModelConfig& c) {
  // The names of execution::cost_model_preset_names() (tests/sim checks they agree).
  v.choice("preset", c.preset, {"", "pevm-i9-12900k-memory", "reth-nvme-disk"});
  // A preset sets every field first; the keys below, when given, override it.
  if constexpr (std::is_same_v<V, Reader>) {
    if (!c.preset.empty()) c.assign(*execution::cost_model_preset(c.preset));
  }
  v.number("tx_fixed_us", c.tx_fixed_us, kNonNegative);
  v.number("cpu_ns_per_gas", c.cpu_ns_per_gas, kNonNegative);
  v.number("write_us", c.write_us, kNonNegative);
  v.number("warm_read_us", c.warm_read_us, kNonNegative);
  v.number("sig_recover_us", c.sig_recover_us, kNonNegative);
  v.choice("state_tier", c.state_tier, {"memory", "page_cache", "disk"});
  v.number("memory_read_us", c.memory_read_us, kNonNegative);
  v.number("page_cache_read_us", c.page_cache_read_us, kNonNegative);
  v.number("cold_read_us", c.cold_read_us, kNonNegative);
  v.number("disk_iops", c.disk_iops, kPositive);
  v.uint("memory_cache_bytes", c.memory_cache_bytes);
  v.boolean("async_io", c.async_io);
  v.number("task_overhead_us", c.task_overhead_us, kNonNegative);
  v.number("mv_read_us", c.mv_read_us, kNonNegative);
  v.number("validate_read_us", c.validate_read_us, kNonNegative);
  v.number("trie_node_hash_us", c.trie_node_hash_us, kNonNegative);
  v.number("trie_node_miss_fraction", c.trie_node_miss_fraction, kFraction);
}

}  // namespace

execution::CostModel CostModelConfig::model() const {
  execution::CostModel m;
  m.tx_fixed_us = tx_fixed_us;
  m.cpu_ns_per_gas = cpu_ns_per_gas;
  m.write_us = write_us;
  m.warm_read_us = warm_read_us;
  m.sig_recover_us = sig_recover_us;
  m.state_tier =
      execution::parse_storage_tier(state_tier).value_or(execution::StorageTier::kMemory);
  m.memory_read_us = memory_read_us;
  m.page_cache_read_us = page_cache_read_us;
  m.cold_read_us = cold_read_us;
  m.disk_iops = disk_iops;
  m.memory_cache_bytes = memory_cache_bytes;
  m.async_io = async_io;
  m.task_overhead_us = task_overhead_us;
  m.mv_read_us = mv_read_us;
  m.validate_read_us = validate_read_us;
  m.trie_node_hash_us = trie_node_hash_us;
  m.trie_node_miss_fraction = trie_node_miss_fraction;
  return m;
}

void CostModelConfig::assign(const execution::CostModel& m) {
  tx_fixed_us = m.tx_fixed_us;
  cpu_ns_per_gas = m.cpu_ns_per_gas;
  write_us = m.write_us;
  warm_read_us = m.warm_read_us;
  sig_recover_us = m.sig_recover_us;
  state_tier = execution::to_string(m.state_tier);
  memory_read_us = m.memory_read_us;
  page_cache_read_us = m.page_cache_read_us;
  cold_read_us = m.cold_read_us;
  disk_iops = m.disk_iops;
  memory_cache_bytes = m.memory_cache_bytes;
  async_io = m.async_io;
  task_overhead_us = m.task_overhead_us;
  mv_read_us = m.mv_read_us;
  validate_read_us = m.validate_read_us;
  trie_node_hash_us = m.trie_node_hash_us;
  trie_node_miss_fraction = m.trie_node_miss_fraction;
}

namespace {

template <class V>
void visit(V& v, SorConfig& c) {
  v.choice("replay_mode", c.replay_mode, {"improved", "basic"});
  v.choice("speculation", c.speculation, {"leaderless", "leader"});
  v.boolean("reorder", c.reorder);
  v.boolean("speculate_on_pending", c.speculate_on_pending);
}

template <class V>
void visit(V& v, PipelineConfig& c) {
  v.choice(
      "kind", c.kind,
      {"interleaved", "async_execution", "propagation", "async_backing", "speculate_order_replay"});
  v.choice("executor", c.executor, {"sequential", "block_stm", "batch_occ", "optimistic"});
  v.uint("threads", c.threads, 1);
  v.boolean("lazy_beneficiary", c.lazy_beneficiary);
  v.choice("commitment", c.commitment, {"mpt", "flat_hash"});
  v.uint("block_gas_limit", c.block_gas_limit, 1);
  v.uint("max_block_txs", c.max_block_txs, 1);
  v.uint("d_lag", c.d_lag, 0, 16);  // <= ChainState::kKeepFinalAncestors
  v.choice("speculative_execution", c.speculative_execution, {"none", "on_proposal", "on_vote"});
  v.uint("block_size_bytes", c.block_size_bytes, 1);
  v.uint("propagation_sources", c.propagation_sources, 1);
  v.object("cost_model", [&](auto& s) { visit(s, c.cost_model); });
  v.object("sor", [&](auto& s) { visit(s, c.sor); });
}

template <class V>
void visit(V& v, WorkloadConfig& c) {
  v.choice("kind", c.kind, {"transfers", "eth_mainnet", "eth_bal"});
  v.number("tps", c.tps, kNonNegative);
  v.uint("accounts", c.accounts, 2);
  v.number("zipf_exponent", c.zipf_exponent, kNonNegative);
  v.boolean("gossip", c.gossip);
  v.uints("eth_blocks", c.eth_blocks);
  v.boolean("poisson_arrivals", c.poisson_arrivals);
  v.uint("initial_balance_wei", c.initial_balance_wei, 0);
  v.uint("transfer_value_wei", c.transfer_value_wei, 0);
  v.uint("tx_gas_limit", c.tx_gas_limit, 21000);
  v.uint("max_fee_per_gas_wei", c.max_fee_per_gas_wei, 0);
}

template <class V>
void visit(V& v, FaultsConfig& c) {
  v.uints("crashed", c.crashed);
  v.number("crash_at_s", c.crash_at_s, kNonNegative);
  v.uints("divergent", c.divergent);
  v.uint("diverge_at_height", c.diverge_at_height, 1);
}

template <class V>
void visit(V& v, OutputsConfig& c) {
  v.text("dir", c.dir);
  v.boolean("trace", c.trace);
  v.boolean("blocks_csv", c.blocks_csv);
  v.boolean("txs_csv", c.txs_csv);
  v.number("tx_sample_rate", c.tx_sample_rate, kFraction);
  v.uint("trace_nodes", c.trace_nodes, 0);
}

template <class V>
void visit(V& v, PolkadotConfig& c) {
  v.choice("backing_mode", c.backing_mode, {"sync", "async"});
  v.number("relay_slot_ms", c.relay_slot_ms, kPositive);
  v.uint("parachains", c.parachains, 1);
  v.uint("collators_per_parachain", c.collators_per_parachain, 1);
  v.uint("backing_group_size", c.backing_group_size, 1);
  v.uint("group_rotation_relay_blocks", c.group_rotation_relay_blocks, 1);
  v.number("authoring_time_ms", c.authoring_time_ms, kNonNegative);
  v.uint("pov_size_limit_bytes", c.pov_size_limit_bytes, 1);
  v.uint("max_candidate_depth", c.max_candidate_depth, 0);
  v.uint("allowed_ancestry_len", c.allowed_ancestry_len, 0);
  v.uint("unincluded_segment_capacity", c.unincluded_segment_capacity, 1);
  v.uint("block_processing_velocity", c.block_processing_velocity, 1);
  v.uint("minimum_backing_votes", c.minimum_backing_votes, 1);
  v.uint("availability_timeout_relay_blocks", c.availability_timeout_relay_blocks, 1);
  v.number("bitfield_delay_ms", c.bitfield_delay_ms, kNonNegative);
  v.number("grandpa_round_ms", c.grandpa_round_ms, kPositive);
  v.uint("grandpa_vote_behind_blocks", c.grandpa_vote_behind_blocks, 0);
  v.number("stall_from_s", c.stall_from_s, kNonNegative);
  v.number("stall_duration_s", c.stall_duration_s, kNonNegative);
}

template <class V>
void visit(V& v, Scenario& s) {
  v.note("$schema");
  v.note("description");
  v.text("name", s.name);
  v.uint("seed", s.seed, 0);
  v.number("duration_s", s.duration_s, kPositive);
  v.object("network", [&](auto& x) { visit(x, s.network); });
  v.object("nodes", [&](auto& x) { visit(x, s.nodes); });
  v.object("consensus", [&](auto& x) { visit(x, s.consensus); });
  v.object("pipeline", [&](auto& x) { visit(x, s.pipeline); });
  v.object("workload", [&](auto& x) { visit(x, s.workload); });
  v.object("faults", [&](auto& x) { visit(x, s.faults); });
  v.object("outputs", [&](auto& x) { visit(x, s.outputs); });
  v.object("polkadot", [&](auto& x) { visit(x, s.polkadot); });
  // `pipesim sweep`'s section (docs/sweeps.md): accepted and ignored by run/validate, not
  // written back by to_json (a sweep point's resolved scenario is a plain scenario).
  v.section("sweep");
  // `pipesim compare`'s section (docs/scenario.md#compare): the variants to run this scenario
  // under; accepted and ignored by run/validate like `sweep`.
  v.section("compare");
}

// ---- Region latency resolution. -------------------------------------------------------------

/// Regions used with a preset when `regions.names` is not given: one or two per continent.
const std::vector<std::string>& default_regions() {
  static const std::vector<std::string> kRegions = {
      "us-east-1",      "us-west-2",      "eu-west-1", "eu-central-1",
      "ap-northeast-1", "ap-southeast-1", "sa-east-1"};
  return kRegions;
}

/// Replay workloads: every listed block must be shipped in data/ (checked before simulating).
void check_replay_blocks(const WorkloadConfig& w) {
  namespace fs = std::filesystem;
  if (w.kind == "transfers") return;
  for (std::size_t i = 0; i < w.eth_blocks.size(); ++i) {
    const std::string n = std::to_string(w.eth_blocks[i]);
    const fs::path base = fs::path(data_dir());
    const bool found = w.kind == "eth_mainnet"
                           ? fs::exists(base / "eth-blocks" / n / "block.json") ||
                                 fs::exists(base / "eth-blocks" / n / "block.json.gz")
                           : fs::exists(base / "eth-bal" / "rlp" / (n + "_with_reads.rlp"));
    if (!found) {
      fail(
          index_path("workload.eth_blocks", i),
          fmt::format("block {} is not shipped in {} for workload.kind \"{}\", expected a block "
                      "listed by `pipesim trace-stats --source {}`",
                      n, (base / (w.kind == "eth_mainnet" ? "eth-blocks" : "eth-bal/rlp")).string(),
                      w.kind, w.kind == "eth_mainnet" ? "eth-blocks" : "eth-bal"));
    }
  }
}

/// Loads a preset's round-trip table `{"data": {FROM: {TO: ms}}}`.
json load_preset_table(const std::string& preset, const std::string& path) {
  const std::string file = data_dir() + "/latency/aws/" + preset.substr(preset.find('_') + 1) +
                           ".json";  // aws_p50 -> p50.json
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fail(path, fmt::format("cannot read the file of preset \"{}\" ({}: {}); set PIPESIM_DATA_DIR "
                           "to the repository's data/ folder",
                           preset, file, std::strerror(errno)));
  }
  json table = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (table.is_discarded() || !table.contains("data") || !table["data"].is_object()) {
    fail(path,
         fmt::format("preset file {} is not a {{\"data\": {{FROM: {{TO: ms}}}}}} table", file));
  }
  return table["data"];
}

/// Fills region names, the one-way matrix and weights from a preset or validates the inline
/// matrix, and checks the weights. `path` is "network.latency".
void resolve_regions(LatencyConfig& lat, const std::string& path) {
  const std::string rpath = path + ".regions";
  const std::string names_path = rpath + ".names";
  if (lat.preset.empty() && lat.model == "region_matrix" && lat.one_way_ms.empty()) {
    if (!lat.region_names.empty()) {
      fail(rpath + ".one_way_ms",
           "missing, expected a square matrix with one row per region name (or set "
           "network.latency.preset to use measured latencies)");
    }
    lat.preset = "aws_p50";  // the documented default
  }
  const std::string dpath = rpath + ".distribution";
  if (lat.preset.rfind("simblock_", 0) == 0) {
    // SimBlock's 6 regions and matrices are resolved by the runtime (models/network/presets).
    const auto unused = [&](const std::string& key) {
      fail(rpath + "." + key,
           fmt::format("not used with preset \"{}\" (SimBlock's 6 regions with the node "
                       "distribution regions.distribution), expected no {}",
                       lat.preset, key));
    };
    if (!lat.region_names.empty()) unused("names");
    if (!lat.one_way_ms.empty()) unused("one_way_ms");
    if (!lat.region_weights.empty()) unused("weights");
    if (lat.region_distribution.empty()) {
      lat.region_distribution = lat.preset == "simblock_2015" ? "bitcoin_2015" : "bitcoin_2019";
    }
    return;
  }
  if (!lat.region_distribution.empty()) {
    fail(dpath, fmt::format("value \"{}\" is used by the simblock presets only, expected \"\" "
                            "with preset \"{}\"",
                            lat.region_distribution, lat.preset));
  }
  // Names: unique.
  std::set<std::string> seen;
  for (std::size_t i = 0; i < lat.region_names.size(); ++i) {
    if (!seen.insert(lat.region_names[i]).second) {
      fail(index_path(names_path, i), fmt::format("value \"{}\" is listed twice, expected "
                                                  "distinct region names",
                                                  lat.region_names[i]));
    }
  }
  if (!lat.preset.empty()) {
    const json table = load_preset_table(lat.preset, path + ".preset");
    if (lat.region_names.empty()) lat.region_names = default_regions();
    std::vector<std::vector<double>> matrix;
    for (std::size_t i = 0; i < lat.region_names.size(); ++i) {
      if (!table.contains(lat.region_names[i])) {
        std::vector<std::string> known;
        for (const auto& item : table.items()) known.push_back(item.key());
        fail(index_path(names_path, i),
             fmt::format("value \"{}\" is not a region of preset \"{}\", expected one of {}",
                         lat.region_names[i], lat.preset, fmt::join(known, ", ")));
      }
    }
    for (const auto& from : lat.region_names) {
      std::vector<double> row;
      for (const auto& to : lat.region_names) {
        const json& rtt = table[from].contains(to) ? table[from][to] : json();
        if (!rtt.is_number() || rtt.get<double>() < 0.0) {
          fail(path + ".preset", fmt::format("preset \"{}\" has no valid latency from {} to {}",
                                             lat.preset, from, to));
        }
        row.push_back(rtt.get<double>() / 2.0);  // round-trip ping -> one-way
      }
      matrix.push_back(std::move(row));
    }
    if (!lat.one_way_ms.empty() && lat.one_way_ms != matrix) {
      fail(rpath + ".one_way_ms",
           fmt::format("conflicts with preset \"{}\", expected either a preset or an inline "
                       "matrix (an inline matrix next to a preset must equal the preset's)",
                       lat.preset));
    }
    lat.one_way_ms = std::move(matrix);
  } else if (!lat.region_names.empty() || !lat.one_way_ms.empty()) {
    const std::size_t n = lat.region_names.size();
    if (lat.one_way_ms.size() != n) {
      fail(rpath + ".one_way_ms",
           fmt::format("has {} rows but regions.names has {} entries, expected a square {}x{} "
                       "matrix (row = from, column = to)",
                       lat.one_way_ms.size(), n, n, n));
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (lat.one_way_ms[i].size() != n) {
        fail(index_path(rpath + ".one_way_ms", i),
             fmt::format("has {} columns, expected {} (one per region name)",
                         lat.one_way_ms[i].size(), n));
      }
    }
  }
  // Weights: default equal; otherwise one per region, >= 0, positive sum.
  const std::string wpath = rpath + ".weights";
  if (lat.region_weights.empty()) {
    lat.region_weights.assign(lat.region_names.size(), 1.0);
  } else if (lat.region_weights.size() != lat.region_names.size()) {
    fail(wpath, fmt::format("has {} entries, expected {} (one per region name)",
                            lat.region_weights.size(), lat.region_names.size()));
  }
  if (!lat.region_names.empty()) {
    double sum = 0.0;
    for (double w : lat.region_weights) sum += w;
    if (!(sum > 0.0)) fail(wpath, "weights sum to 0, expected a positive sum");
  }
}

/// A file named in the scenario: absolute as is; relative first against the scenario file's
/// folder, then against the data folder. Returns the absolute, normalised path.
std::string resolve_file(const std::string& value, const std::string& base_dir,
                         const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path given(value);
  std::vector<fs::path> candidates;
  if (given.is_absolute()) {
    candidates.push_back(given);
  } else {
    candidates.push_back(fs::path(base_dir) / given);
    candidates.push_back(fs::path(data_dir()) / given);
  }
  std::vector<std::string> tried;
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return fs::absolute(c, ec).lexically_normal().string();
    tried.push_back(c.string());
  }
  fail(path, fmt::format("file \"{}\" not found (looked for {}), expected a readable file "
                         "relative to the scenario's folder or to the data folder",
                         value, fmt::join(tried, " and ")));
}

/// Peers in a syscoord file (non-empty lines that are not `#` comments).
std::size_t syscoord_peer_count(const std::string& file, const std::string& path) {
  std::ifstream in(file);
  if (!in) {
    fail(path, fmt::format("cannot read {} ({}); set PIPESIM_DATA_DIR to the repository's data/ "
                           "folder",
                           file, std::strerror(errno)));
  }
  std::size_t count = 0;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') ++count;
  }
  return count;
}

/// network.* checks beyond single fields: jitter kinds, vivaldi peers, classes, topology,
/// dissemination, file paths (resolved to absolute paths).
void check_network(Scenario& s, const std::string& base_dir) {
  NetworkConfig& net = s.network;
  LatencyConfig& lat = net.latency;
  const std::uint32_t n = net.validators;
  const bool aws = lat.preset == "aws_p50" || lat.preset == "aws_p90";
  if (lat.jitter_kind == "from_p90" && !(aws && lat.model == "region_matrix")) {
    fail("network.latency.jitter_kind",
         fmt::format("value \"from_p90\" needs the AWS p50/p90 tables, expected model "
                     "\"region_matrix\" with preset \"aws_p50\" or \"aws_p90\" (got model "
                     "\"{}\", preset \"{}\")",
                     lat.model, lat.preset));
  }
  if ((lat.jitter_kind == "pareto" || lat.jitter_kind == "from_p90") && lat.jitter_ms != 0.0) {
    fail("network.latency.jitter_ms",
         fmt::format("value {} is not used by jitter_kind \"{}\" (its spread comes from the "
                     "latency data), expected 0",
                     lat.jitter_ms, lat.jitter_kind));
  }
  if (lat.model == "vivaldi" && lat.vivaldi_selection != "wrap") {
    const std::string file = data_dir() + "/platforms/median_" + lat.vivaldi_dataset + ".syscoord";
    const std::size_t peers = syscoord_peer_count(file, "network.latency.vivaldi_dataset");
    if (n > peers) {
      fail("network.latency.vivaldi_selection",
           fmt::format("value \"{}\" places each validator on its own peer, but {} validators "
                       "exceed the {} peers of dataset \"{}\", expected \"wrap\" or at most {} "
                       "validators",
                       lat.vivaldi_selection, n, peers, lat.vivaldi_dataset, peers));
    }
  }
  std::set<std::string> class_names;
  double class_sum = 0.0;
  for (std::size_t i = 0; i < net.classes.size(); ++i) {
    if (!class_names.insert(net.classes[i].name).second) {
      fail(index_path("network.classes", i) + ".name",
           fmt::format("value \"{}\" is listed twice, expected distinct class names",
                       net.classes[i].name));
    }
    class_sum += net.classes[i].fraction;
  }
  if (!net.classes.empty() && !(class_sum > 0.0)) {
    fail("network.classes", "fractions sum to 0, expected a positive sum");
  }
  const TopologyConfig& topo = net.topology;
  const DisseminationConfig& dis = net.dissemination;
  const std::string tpath = "network.topology";
  if (topo.kind != "complete" && dis.mode == "direct") {
    fail(tpath + ".kind",
         fmt::format("value \"{}\" needs gossip dissemination (direct broadcast sends to every "
                     "validator), expected network.dissemination.mode \"flood\", \"push\" or "
                     "\"push_pull\"",
                     topo.kind));
  }
  const auto bad_degree = [&](const std::string& expected) {
    fail(tpath + ".degree", fmt::format("value {} is out of range for kind \"{}\" with {} "
                                        "validators, expected {}",
                                        topo.degree, topo.kind, n, expected));
  };
  if (topo.kind == "random_regular") {
    if (topo.degree >= n) bad_degree("an integer < network.validators");
    if ((static_cast<std::uint64_t>(n) * topo.degree) % 2 != 0) {
      bad_degree("an even degree when the number of validators is odd");
    }
  } else if (topo.kind == "watts_strogatz") {
    if (topo.degree < 2 || topo.degree % 2 != 0 || topo.degree >= n) {
      bad_degree("an even integer in [2, network.validators)");
    }
  } else if (topo.kind == "barabasi_albert") {
    if (topo.degree >= n) bad_degree("an integer < network.validators");
  } else if (topo.kind == "erdos_renyi") {
    if (!(topo.p > 0.0 && topo.p < 1.0)) {
      fail(tpath + ".p", fmt::format("value {} is out of range for kind \"erdos_renyi\", expected "
                                     "a number in (0, 1)",
                                     topo.p));
    }
  }
  if (topo.kind == "file") {
    if (topo.file.empty()) {
      fail(tpath + ".file", "missing, expected an edge list or GraphML file for kind \"file\"");
    }
    net.topology.file = resolve_file(topo.file, base_dir, tpath + ".file");
  } else if (!topo.file.empty()) {
    fail(tpath + ".file", fmt::format("value \"{}\" is used by kind \"file\" only, expected \"\" "
                                      "for kind \"{}\"",
                                      topo.file, topo.kind));
  }
  if (dis.mode == "push" && dis.fanout == 0) {
    fail("network.dissemination.fanout",
         "value 0 is out of range for mode \"push\", expected an integer >= 1");
  }
  if (!net.platform_xml.empty()) {
    net.platform_xml = resolve_file(net.platform_xml, base_dir, "network.platform_xml");
    if (lat.jitter_kind == "from_p90") {
      fail("network.latency.jitter_kind",
           "value \"from_p90\" is not available with network.platform_xml (pair latencies "
           "come from the platform's routes, not the AWS tables), expected \"uniform\", "
           "\"normal\" or \"pareto\"");
    }
  }
}

/// polkadot.* checks across fields (the async_backing pipeline's node layout and bounds).
void check_polkadot(const Scenario& s) {
  const PolkadotConfig& p = s.polkadot;
  if (s.pipeline.kind != "async_backing") return;
  const std::uint64_t collators =
      static_cast<std::uint64_t>(p.parachains) * p.collators_per_parachain;
  const std::uint64_t n = s.network.validators;
  const std::uint64_t min_relay = std::max<std::uint64_t>(4, p.backing_group_size);
  if (collators + min_relay > n) {
    fail("polkadot.parachains",
         fmt::format("{} parachains x {} collators leave {} of network.validators ({}) as relay "
                     "validators, expected at least {} (4 and polkadot.backing_group_size)",
                     p.parachains, p.collators_per_parachain, n > collators ? n - collators : 0, n,
                     min_relay));
  }
  if (p.minimum_backing_votes > p.backing_group_size) {
    fail("polkadot.minimum_backing_votes",
         fmt::format("value {} is out of range, expected an integer <= "
                     "polkadot.backing_group_size ({})",
                     p.minimum_backing_votes, p.backing_group_size));
  }
  if (p.backing_mode == "async" && p.unincluded_segment_capacity > p.max_candidate_depth + 1) {
    fail("polkadot.unincluded_segment_capacity",
         fmt::format("value {} is out of range, expected an integer <= "
                     "polkadot.max_candidate_depth + 1 ({}): the relay chain would reject the "
                     "deeper candidates",
                     p.unincluded_segment_capacity, p.max_candidate_depth + 1));
  }
  if (p.authoring_time_ms > p.relay_slot_ms) {
    fail("polkadot.authoring_time_ms",
         fmt::format("value {} is out of range, expected a number <= polkadot.relay_slot_ms ({})",
                     p.authoring_time_ms, p.relay_slot_ms));
  }
}

/// Checks that involve more than one field (after every field passed its own check).
void check_cross_fields(Scenario& s, const std::string& base_dir) {
  if (s.pipeline.threads > s.nodes.cores) {
    fail("pipeline.threads", fmt::format("value {} is out of range, expected an integer <= "
                                         "nodes.cores ({})",
                                         s.pipeline.threads, s.nodes.cores));
  }
  const LatencyConfig& lat = s.network.latency;
  if (lat.min_ms > lat.max_ms) {
    fail("network.latency.min_ms",
         fmt::format("value {} is out of range, expected a number <= network.latency.max_ms ({})",
                     lat.min_ms, lat.max_ms));
  }
  const std::uint32_t n = s.network.validators;
  const std::uint32_t f = (n - 1) / 3;
  std::set<std::uint32_t> seen;
  for (std::size_t i = 0; i < s.faults.crashed.size(); ++i) {
    const std::uint32_t v = s.faults.crashed[i];
    const std::string path = index_path("faults.crashed", i);
    if (v >= n) {
      fail(path, fmt::format("value {} is out of range, expected a validator index < "
                             "network.validators ({})",
                             v, n));
    }
    if (!seen.insert(v).second) {
      fail(path, fmt::format("value {} is listed twice, expected distinct validator indices", v));
    }
  }
  if (s.faults.crashed.size() > f) {
    fail("faults.crashed",
         fmt::format("{} crashed validators exceed the fault tolerance, expected at most "
                     "f = (n-1)/3 = {} for n = {} validators",
                     s.faults.crashed.size(), f, n));
  }
  for (std::size_t i = 0; i < s.faults.divergent.size(); ++i) {
    const std::uint32_t v = s.faults.divergent[i];
    const std::string path = index_path("faults.divergent", i);
    if (v >= n) {
      fail(path, fmt::format("value {} is out of range, expected a validator index < "
                             "network.validators ({})",
                             v, n));
    }
    if (!seen.insert(v).second) {
      fail(path, fmt::format("value {} is also listed in faults.crashed or twice, expected "
                             "distinct validator indices",
                             v));
    }
  }
  if (s.faults.crashed.size() + s.faults.divergent.size() > f) {
    fail("faults.divergent",
         fmt::format("{} faulty validators (crashed + divergent) exceed the fault tolerance, "
                     "expected at most f = (n-1)/3 = {} for n = {} validators",
                     s.faults.crashed.size() + s.faults.divergent.size(), f, n));
  }
  if (!s.faults.divergent.empty() && s.pipeline.kind != "async_execution") {
    fail("faults.divergent",
         fmt::format("divergent execution faults are modelled by the async_execution pipeline "
                     "only, expected an empty list for pipeline.kind \"{}\"",
                     s.pipeline.kind));
  }
  if (!s.faults.crashed.empty() && s.faults.crash_at_s >= s.duration_s) {
    fail("faults.crash_at_s",
         fmt::format("value {} is out of range, expected a number < duration_s ({})",
                     s.faults.crash_at_s, s.duration_s));
  }
  check_polkadot(s);
  // speculate_order_replay runs on the DAG BFT and only there.
  const bool sor = s.pipeline.kind == "speculate_order_replay";
  if (sor != (s.consensus.protocol == "dag_bft")) {
    fail("consensus.protocol",
         fmt::format("value \"{}\" does not fit pipeline.kind \"{}\", expected \"{}\"",
                     s.consensus.protocol, s.pipeline.kind, sor ? "dag_bft" : "hotstuff"));
  }
  // A pipeline-specific section set for another pipeline would be silently ignored.
  const auto only_for = [&](bool applies, bool is_default, const char* path, const char* kind) {
    if (!applies && !is_default) {
      fail(path, fmt::format("is set but has no effect with pipeline.kind \"{}\", expected it "
                             "only with pipeline.kind \"{}\" (or left out)",
                             s.pipeline.kind, kind));
    }
  };
  only_for(sor, s.pipeline.sor == SorConfig{}, "pipeline.sor", "speculate_order_replay");
  only_for(sor, s.consensus.dag == DagConsensusConfig{}, "consensus.dag", "speculate_order_replay");
  only_for(s.pipeline.kind == "async_backing", s.polkadot == PolkadotConfig{}, "polkadot",
           "async_backing");
  resolve_regions(s.network.latency, "network.latency");
  check_replay_blocks(s.workload);
  check_network(s, base_dir);
}

}  // namespace

void apply_override(nlohmann::json& doc, const std::string& assignment) {
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos) {
    fail("--set", fmt::format("\"{}\" is not an assignment, expected key.path=value", assignment));
  }
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& part : parts) {
    if (part.empty()) {
      fail("--set", fmt::format("\"{}\" has an empty key segment, expected key.path=value "
                                "(e.g. network.validators=16)",
                                assignment));
    }
  }
  if (doc.is_null()) doc = json::object();
  json* node = &doc;
  std::string path;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!node->is_object()) {
      fail(path, fmt::format("cannot set \"{}\": value {} is not an object", key, show(*node)));
    }
    path = join(path, parts[i]);
    node = &(*node)[parts[i]];
    if (node->is_null()) *node = json::object();
  }
  if (!node->is_object()) {
    fail(path.empty() ? "--set" : path,
         fmt::format("cannot set \"{}\": value {} is not an object", key, show(*node)));
  }
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;  // not JSON: a bare string such as aws_p90
  (*node)[parts.back()] = std::move(value);
}

Scenario parse_scenario(const nlohmann::json& doc, const std::string& base_dir) {
  if (!doc.is_object()) {
    fail("", fmt::format("scenario: value {} has the wrong type ({}), expected an object",
                         show(doc), doc.type_name()));
  }
  Scenario s;
  Reader::read_object(doc, "", [&](auto& v) { visit(v, s); });
  check_cross_fields(s, base_dir);
  return s;
}

Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    fail("", fmt::format("cannot read scenario file \"{}\": it is a directory", file));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fail("", fmt::format("cannot read scenario file \"{}\": {}", file, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  json doc;
  try {
    doc = json::parse(text.str());
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line L, column C: ...".
    std::string detail = e.what();
    if (const auto pos = detail.find("] ");
        detail.rfind("[json.exception", 0) == 0 && pos != std::string::npos) {
      detail = detail.substr(pos + 2);
    }
    fail("", fmt::format("{}: JSON syntax error at byte {}: {}", file, e.byte, detail));
  }
  for (const auto& assignment : overrides) apply_override(doc, assignment);
  const fs::path parent = fs::path(file).parent_path();
  return parse_scenario(doc, parent.empty() ? std::string(".") : parent.string());
}

nlohmann::json to_json(const Scenario& scenario) {
  Scenario copy = scenario;  // the visitor table takes mutable references
  json out = json::object();
  Writer writer(out);
  visit(writer, copy);
  return out;
}

}  // namespace pipesim::sim
