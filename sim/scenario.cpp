// Scenario JSON loading, validation, overrides and serialisation (see sim/scenario.hpp and the
// user reference docs/scenario.md).
//
// The field table is written once per section as a `visit(V&, Section&)` template. Three
// visitors walk it: KeyCollector (the allowed keys of an object, for the unknown-key check),
// Reader (type and range validation, JSON -> struct) and Writer (struct -> JSON). Cross-field
// checks and the region-latency resolution run after the table walk, before anything simulates.
#include "sim/scenario.hpp"

#include "models/common/data_dir.hpp"
#include "models/pipelines/registry/pipeline_info.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

namespace pipesim::sim {
namespace {

using json = nlohmann::json;
/// Allowed values of a choice key (a braced list, or a list built from a registry).
using Choices = std::vector<std::string_view>;

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
// Upper bounds that keep every value the simulator derives finite and every allocation bounded
// (docs/scenario.md, "Limits"). They are far above any real system: a validator set of 10^6
// (Ethereum has about 10^6 validator keys but far fewer nodes), 4096 cores per host, a CPU cost
// of 1 s per operation or 1 ms per gas (mainnet clients spend 1-100 ns per gas), 10^7 simulated
// seconds (116 days).
constexpr std::uint64_t kMaxValidators = 1'000'000;
constexpr std::uint64_t kMaxCores = 4096;
constexpr NumRange kCpuCostUs{0.0, false, 1e6};
constexpr NumRange kCpuCostNsPerGas{0.0, false, 1e6};
// Modelled trie sizes: up to 10^18 leaves (16^15; Ethereum's account trie has ~3 x 10^8) and
// the 64 nibble levels of a 32-byte key.
constexpr NumRange kTrieLeaves{0.0, false, 1e18};
constexpr NumRange kTrieLevels{0.0, false, 64.0};
constexpr NumRange kDuration{0.0, true, 1e7};
/// Protocol rounds (blocks, relay slots, timeouts) and generated transactions per run.
constexpr double kMaxRounds = 1e7;
constexpr double kMaxTransactions = 1e8;
/// Memory estimate terms (bytes; measured, see check_resources and docs/scenario.md "Limits").
constexpr double kBytesBase = 160.0 * 1024 * 1024;
constexpr double kBytesPerValidator = 64.0 * 1024;
constexpr double kBytesPerTransaction = 768.0;
/// Pipelines not built on HotStuffPipeline (async_backing, speculate_order_replay): per
/// transaction and validator, from the fit before issue 16's scale work (not re-measured).
constexpr double kBytesPerTransactionPerValidator = 25.0;
/// HotStuffPipeline pipelines (interleaved, async_execution): per validator and round.
constexpr double kBytesPerValidatorRound = 512.0;
constexpr double kBytesPerMessage = 128.0;
constexpr NumRange kAtLeastOne{1.0, false, kInf};

/// `parent.key`, or `key` at the root.
std::string join(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t i) {
  return fmt::format("{}[{}]", parent, i);
}

/// A JSON value rendered for an error message (strings quoted, long values shortened; invalid
/// UTF-8 replaced by U+FFFD instead of throwing).
std::string show(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

/// A key as it may appear in a JSON path of an error message: JSON-escaped (control characters,
/// e.g. a NUL that would truncate the message when printed as a C string, become \uXXXX; invalid
/// UTF-8 becomes U+FFFD), without the quotes.
std::string printable_key(std::string_view key) {
  const std::string quoted =
      json(std::string(key)).dump(-1, ' ', false, json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
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
    fail(join(path, printable_key(key)),
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

std::string quoted_list(const Choices& choices) {
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
  void choice(std::string_view key, std::string&, const Choices&) { keys.emplace_back(key); }
  void texts(std::string_view key, std::vector<std::string>&) { keys.emplace_back(key); }
  void numbers(std::string_view key, std::vector<double>&, const NumRange&) {
    keys.emplace_back(key);
  }
  void matrix(std::string_view key, std::vector<std::vector<double>>&, const NumRange&) {
    keys.emplace_back(key);
  }
  void uints(std::string_view key, std::vector<std::uint32_t>&) { keys.emplace_back(key); }
  void uint_groups(std::string_view key, std::vector<std::vector<std::uint32_t>>&) {
    keys.emplace_back(key);
  }
  template <class T, class F>
  void optional_objects(std::string_view key, std::vector<T>&, F&&) {
    keys.emplace_back(key);
  }
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
  void choice(std::string_view key, std::string& out, const Choices& choices) {
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
  /// An array of arrays of validator indices (e.g. partition groups).
  void uint_groups(std::string_view key, std::vector<std::vector<std::uint32_t>>& out) {
    const json* v = find(key);
    if (v == nullptr) return;
    const std::string path = join(path_, key);
    out.clear();
    for (const auto& row : read_array(*v, path, "arrays of integers (validator indices)")) {
      const std::string row_path = index_path(path, out.size());
      std::vector<std::uint32_t> values;
      for (const auto& e : read_array(row, row_path, "integers")) {
        values.push_back(static_cast<std::uint32_t>(read_uint(
            e, index_path(row_path, values.size()), 0, std::numeric_limits<std::uint32_t>::max(),
            std::numeric_limits<std::uint32_t>::max())));
      }
      out.push_back(std::move(values));
    }
  }
  /// Like objects(); the Writer leaves the key out while the list is empty.
  template <class T, class F>
  void optional_objects(std::string_view key, std::vector<T>& out, F&& fields) {
    objects(key, out, std::forward<F>(fields));
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
  void choice(std::string_view key, std::string& v, const Choices&) { at(key) = v; }
  void texts(std::string_view key, std::vector<std::string>& v) { at(key) = v; }
  void numbers(std::string_view key, std::vector<double>& v, const NumRange&) { at(key) = v; }
  void matrix(std::string_view key, std::vector<std::vector<double>>& v, const NumRange&) {
    at(key) = v;
  }
  void uints(std::string_view key, std::vector<std::uint32_t>& v) { at(key) = v; }
  void uint_groups(std::string_view key, std::vector<std::vector<std::uint32_t>>& v) {
    at(key) = v;
  }
  /// Written only when non-empty (a scenario without fault events resolves as before).
  template <class T, class F>
  void optional_objects(std::string_view key, std::vector<T>& items, F&& fields) {
    if (!items.empty()) objects(key, items, std::forward<F>(fields));
  }
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
  v.uint("validators", c.validators, 4, kMaxValidators);
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
              "star", "ring", "file", "outbound_cdf"});
    s.uint("degree", c.topology.degree, 1);
    s.choice("degree_distribution", c.topology.degree_distribution,
             {"bitcoin_2015", "litecoin", "dogecoin"});
    s.number("p", c.topology.p, kFraction);
    s.file("file", c.topology.file);
  });
  v.object("dissemination", [&](auto& s) {
    s.choice("mode", c.dissemination.mode,
             {"direct", "flood", "push", "push_pull", "inv_getdata", "compact", "header_first"});
    s.uint("fanout", c.dissemination.fanout, 0);
    s.number("processing_delay_ms", c.dissemination.processing_delay_ms, kNonNegative);
    s.uint("announce_bytes", c.dissemination.announce_bytes, 1);
    s.boolean("shared_links", c.dissemination.shared_links);
    s.boolean("hold_uplink_until_arrival", c.dissemination.hold_uplink_until_arrival);
    s.number("control_extra_latency_ms", c.dissemination.control_extra_latency_ms, kNonNegative);
    s.object("compact", [&](auto& k) {
      CompactRelayConfig& cr = c.dissemination.compact;
      k.uint("sketch_bytes", cr.sketch_bytes, 1);
      k.uint("high_bandwidth_peers", cr.high_bandwidth_peers, 0, 3);
      k.number("usage_fraction", cr.usage_fraction, kFraction);
      k.number("churn_fraction", cr.churn_fraction, kFraction);
      k.number("miss_rate", cr.miss_rate, kFraction);
      k.number("churn_miss_rate", cr.churn_miss_rate, kFraction);
      k.choice("missing_fraction_table", cr.missing_fraction_table, {"simblock", "constant"});
      k.number("missing_fraction", cr.missing_fraction, kFraction);
    });
  });
  v.file("platform_xml", c.platform_xml);
  v.choice("bulk_transfer_model", c.bulk_transfer_model, {"fcfs", "flow"});
  v.uint("bulk_min_bytes", c.bulk_min_bytes, 1);
}

template <class V>
void visit(V& v, NodesConfig& c) {
  v.uint("cores", c.cores, 1, kMaxCores);
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
  v.number("signature_verify_us", c.signature_verify_us, kCpuCostUs);
  v.number("signature_sign_us", c.signature_sign_us, kCpuCostUs);
  v.number("qc_verify_us", c.qc_verify_us, kCpuCostUs);
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
  v.number("tx_fixed_us", c.tx_fixed_us, kCpuCostUs);
  v.number("cpu_ns_per_gas", c.cpu_ns_per_gas, kCpuCostNsPerGas);
  v.number("op_ns", c.op_ns, kCpuCostNsPerGas);
  v.number("keccak_word_ns", c.keccak_word_ns, kCpuCostNsPerGas);
  v.number("storage_op_ns", c.storage_op_ns, kCpuCostNsPerGas);
  v.number("call_us", c.call_us, kCpuCostUs);
  v.number("log_us", c.log_us, kCpuCostUs);
  v.number("precompile_us", c.precompile_us, kCpuCostUs);
  v.number("native_transfer_us", c.native_transfer_us, kCpuCostUs);
  v.number("erc20_call_us", c.erc20_call_us, kCpuCostUs);
  v.number("amm_swap_us", c.amm_swap_us, kCpuCostUs);
  v.number("write_us", c.write_us, kCpuCostUs);
  v.number("warm_read_us", c.warm_read_us, kCpuCostUs);
  v.number("sig_recover_us", c.sig_recover_us, kCpuCostUs);
  v.choice("state_tier", c.state_tier, {"memory", "page_cache", "disk"});
  v.number("memory_read_us", c.memory_read_us, kCpuCostUs);
  v.number("page_cache_read_us", c.page_cache_read_us, kCpuCostUs);
  v.number("cold_read_us", c.cold_read_us, kCpuCostUs);
  v.number("disk_iops", c.disk_iops, kPositive);
  v.uint("memory_cache_bytes", c.memory_cache_bytes);
  v.boolean("async_io", c.async_io);
  v.number("task_overhead_us", c.task_overhead_us, kCpuCostUs);
  v.number("mv_read_us", c.mv_read_us, kCpuCostUs);
  v.number("validate_read_us", c.validate_read_us, kCpuCostUs);
  v.number("trie_node_hash_us", c.trie_node_hash_us, kCpuCostUs);
  v.number("trie_node_miss_fraction", c.trie_node_miss_fraction, kFraction);
  v.number("account_trie_leaves", c.account_trie_leaves, kTrieLeaves);
  v.number("storage_trie_leaves", c.storage_trie_leaves, kTrieLeaves);
  v.number("trie_cached_levels", c.trie_cached_levels, kTrieLevels);
  v.boolean("parallel_commitment", c.parallel_commitment);
}

}  // namespace

execution::CostModel CostModelConfig::model() const {
  execution::CostModel m;
  m.tx_fixed_us = tx_fixed_us;
  m.cpu_ns_per_gas = cpu_ns_per_gas;
  m.op_ns = op_ns;
  m.keccak_word_ns = keccak_word_ns;
  m.storage_op_ns = storage_op_ns;
  m.call_us = call_us;
  m.log_us = log_us;
  m.precompile_us = precompile_us;
  m.native_transfer_us = native_transfer_us;
  m.erc20_call_us = erc20_call_us;
  m.amm_swap_us = amm_swap_us;
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
  m.account_trie_leaves = account_trie_leaves;
  m.storage_trie_leaves = storage_trie_leaves;
  m.trie_cached_levels = trie_cached_levels;
  m.parallel_commitment = parallel_commitment;
  return m;
}

void CostModelConfig::assign(const execution::CostModel& m) {
  tx_fixed_us = m.tx_fixed_us;
  cpu_ns_per_gas = m.cpu_ns_per_gas;
  op_ns = m.op_ns;
  keccak_word_ns = m.keccak_word_ns;
  storage_op_ns = m.storage_op_ns;
  call_us = m.call_us;
  log_us = m.log_us;
  precompile_us = m.precompile_us;
  native_transfer_us = m.native_transfer_us;
  erc20_call_us = m.erc20_call_us;
  amm_swap_us = m.amm_swap_us;
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
  account_trie_leaves = m.account_trie_leaves;
  storage_trie_leaves = m.storage_trie_leaves;
  trie_cached_levels = m.trie_cached_levels;
  parallel_commitment = m.parallel_commitment;
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
  // The pipeline registry's kinds (models/pipelines/registry/pipeline_info.hpp).
  static const Choices kinds = [] {
    Choices k;
    for (const auto& p : pipelines::kPipelineInfos) k.push_back(p.name);
    return k;
  }();
  v.choice("kind", c.kind, kinds);
  v.choice("executor", c.executor, {"sequential", "block_stm", "batch_occ", "optimistic"});
  v.uint("threads", c.threads, 1);
  v.boolean("lazy_beneficiary", c.lazy_beneficiary);
  v.uint("occ_batch_size", c.occ_batch_size, 0, 1'000'000);
  v.choice("occ_formation", c.occ_formation, {"index_window", "declared_conflicts"});
  v.choice("commitment", c.commitment, {"mpt", "flat_hash"});
  v.uint("block_gas_limit", c.block_gas_limit, 1);
  v.uint("max_block_txs", c.max_block_txs, 1);
  v.uint("d_lag", c.d_lag, 0, 16);  // <= ChainState::kKeepFinalAncestors
  v.choice("speculative_execution", c.speculative_execution, {"none", "on_proposal", "on_vote"});
  v.uint("block_size_bytes", c.block_size_bytes, 1);
  v.uint("propagation_sources", c.propagation_sources, 1);
  v.number("propagation_interval_ms", c.propagation_interval_ms, kNonNegative);
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
  v.choice("mainnet_mode", c.mainnet_mode, {"arrival_stream", "as_mined"});
  v.boolean("replay_loop", c.replay_loop);
  v.uint("initial_balance_wei", c.initial_balance_wei, 0);
  v.uint("transfer_value_wei", c.transfer_value_wei, 0);
  v.uint("tx_gas_limit", c.tx_gas_limit, 21000);
  v.uint("max_fee_per_gas_wei", c.max_fee_per_gas_wei, 0);
}

template <class V>
void visit(V& v, MeasurementConfig& c) {
  v.number("warmup_s", c.warmup_s, kNonNegative);
  v.number("cooldown_s", c.cooldown_s, kNonNegative);
}

template <class V>
void visit(V& v, FaultsConfig& c) {
  v.uints("crashed", c.crashed);
  v.number("crash_at_s", c.crash_at_s, kNonNegative);
  v.uints("divergent", c.divergent);
  v.uint("diverge_at_height", c.diverge_at_height, 1);
  v.optional_objects("events", c.events, [](auto& e, FaultEvent& x) {
    e.choice("kind", x.kind,
             {"crash", "recover", "partition", "loss", "delay", "slow", "byzantine"});
    e.uints("nodes", x.nodes);
    e.number("at_s", x.at_s, kNonNegative);
    e.number("from_s", x.from_s, kNonNegative);
    e.number("until_s", x.until_s, kNonNegative);
    e.uint_groups("groups", x.groups);
    e.choice("mode", x.mode, {"drop", "delay"});
    e.number("probability", x.probability, kFraction);
    e.choice("link_class", x.link_class, {"", "reliable", "home", "laggy", "constrained", "bad"});
    e.boolean("class_loss_rates", x.class_loss_rates);
    e.number("extra_ms", x.extra_ms, kNonNegative);
    e.number("cpu_factor", x.cpu_factor, kAtLeastOne);
    e.number("link_factor", x.link_factor, kAtLeastOne);
    e.choice("behaviour", x.behaviour,
             {"", "equivocate", "withhold", "invalid_execution_vote", "dag_equivocate",
              "invalid_candidate"});
    e.uints("withhold_from", x.withhold_from);
    e.number("delay_ms", x.delay_ms, kNonNegative);
  });
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
  v.number("duration_s", s.duration_s, kDuration);
  v.object("network", [&](auto& x) { visit(x, s.network); });
  v.object("nodes", [&](auto& x) { visit(x, s.nodes); });
  v.object("consensus", [&](auto& x) { visit(x, s.consensus); });
  v.object("pipeline", [&](auto& x) { visit(x, s.pipeline); });
  v.object("workload", [&](auto& x) { visit(x, s.workload); });
  v.object("faults", [&](auto& x) { visit(x, s.faults); });
  v.object("measurement", [&](auto& x) { visit(x, s.measurement); });
  v.object("outputs", [&](auto& x) { visit(x, s.outputs); });
  v.object("polkadot", [&](auto& x) { visit(x, s.polkadot); });
  // `pipesim sweep`'s section (docs/sweeps.md): accepted and ignored by run/validate, not
  // written back by to_json (a sweep point's resolved scenario is a plain scenario).
  v.section("sweep");
  // `pipesim compare`'s section (docs/scenario.md#compare): the variants to run this scenario
  // under; accepted and ignored by run/validate like `sweep`.
  v.section("compare");
  // `pipesim capacity`'s section (docs/capacity.md): accepted and ignored like `sweep`.
  v.section("capacity");
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

/// Loads a preset's round-trip table `{"data": {FROM: {TO: ms}}}` (read once per process and
/// file: sweeps and the fuzzer validate thousands of scenarios).
json load_preset_table(const std::string& preset, const std::string& path) {
  const std::string file = data_dir() + "/latency/aws/" + preset.substr(preset.find('_') + 1) +
                           ".json";  // aws_p50 -> p50.json
  static std::mutex mutex;
  static std::map<std::string, json> cache;
  const std::lock_guard<std::mutex> lock(mutex);
  if (const auto it = cache.find(file); it != cache.end()) return it->second;
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
  return cache[file] = table["data"];
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
                     "validator), expected network.dissemination.mode \"flood\", \"push\", "
                     "\"push_pull\", \"inv_getdata\", \"compact\" or \"header_first\"",
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
  if (net.bulk_transfer_model == "flow") {
    if (dis.hold_uplink_until_arrival) {
      fail("network.dissemination.hold_uplink_until_arrival",
           "value true is a rule of the \"fcfs\" link model, expected false with "
           "network.bulk_transfer_model \"flow\"");
    }
    if (!dis.shared_links) {
      fail("network.dissemination.shared_links",
           "value false is an option of the \"fcfs\" link model (the \"flow\" model always "
           "shares links), expected true with network.bulk_transfer_model \"flow\"");
    }
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

/// Bytes of the machine's physical memory, or PIPESIM_MEMORY_LIMIT_MB when set (tests, shared
/// machines).
double memory_limit_bytes() {
  if (const char* env = std::getenv("PIPESIM_MEMORY_LIMIT_MB"); env != nullptr) {
    char* end = nullptr;
    const double mb = std::strtod(env, &end);
    if (end != env && mb > 0) return mb * 1024.0 * 1024.0;
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 8e9;
}

/// Resource bounds, checked before anything is allocated (docs/scenario.md, "Limits"): the
/// number of protocol rounds the duration implies, the number of generated transactions, and an
/// estimate of the peak memory against the machine's memory.
void check_resources(const Scenario& s) {
  const auto rounds = [&](const char* path, double period_ms, const char* what) {
    const double count = s.duration_s * 1000.0 / period_ms;
    if (count > kMaxRounds) {
      fail(path, fmt::format("value {} gives {:.3g} {} in duration_s ({} s), expected at most "
                             "{:.0e} (a number >= {:.3g} ms, or a shorter duration_s)",
                             period_ms, count, what, s.duration_s, kMaxRounds,
                             s.duration_s * 1000.0 / kMaxRounds));
    }
  };
  if (s.consensus.protocol == "hotstuff" && s.pipeline.kind != "async_backing") {
    rounds("consensus.block_time_ms", s.consensus.block_time_ms, "rounds");
    rounds("consensus.round_timeout_ms", s.consensus.round_timeout_ms, "timeouts");
  }
  if (s.consensus.protocol == "dag_bft" && s.consensus.dag.round_time_ms > 0) {
    rounds("consensus.dag.round_time_ms", s.consensus.dag.round_time_ms, "rounds");
  }
  if (s.pipeline.kind == "async_backing") {
    rounds("polkadot.relay_slot_ms", s.polkadot.relay_slot_ms, "relay slots");
    rounds("polkadot.grandpa_round_ms", s.polkadot.grandpa_round_ms, "GRANDPA rounds");
  }
  const double txs = s.workload.kind == "transfers" ? s.workload.tps * s.duration_s : 0.0;
  if (txs > kMaxTransactions) {
    fail("workload.tps",
         fmt::format("value {} gives {:.3g} transactions in duration_s ({} s), expected at most "
                     "{:.0e} transactions (a rate <= {:.3g} tx/s, or a shorter duration_s)",
                     s.workload.tps, txs, s.duration_s, kMaxTransactions,
                     kMaxTransactions / s.duration_s));
  }
  // Peak memory estimate (bytes), docs/scenario.md "Limits": an upper bound of the peak RSS
  // (/usr/bin/time -v, Release) with margin. Measured 2026-12-06 (commit 2f176ad, transfers),
  // peak RSS -> estimate, MiB, at two durations:
  //   minimal.json, 5000 tx/s, n = 4, 20 s / 100 s (1.0e5 / 5.0e5 txs)   174 / 358 -> 234 / 527
  //   minimal.json, 5000 tx/s, n = 16, 20 s / 60 s (1.0e5 / 3.0e5 txs)   174 / 304 -> 234 / 381
  //   bench/scenarios/hotstuff-1000x1000-blockstm.json (500 ms blocks, 1,000 tx/s):
  //     n = 100, 110 s / 440 s (1.1e5 / 4.4e5 txs)                       193 / 318 -> 259 / 533
  //     n = 300, 110 s / 330 s (1.1e5 / 3.3e5 txs)                       207 / 322 -> 303 / 528
  //     n = 1,000, 110 s / 1,100 s (1.1e5 / 1.1e6 txs, 113 / 1,202 blocks) 269 / 985 -> 533 / 2224
  // (`PIPESIM_MEMORY_LIMIT_MB=100000 /usr/bin/time -v pipesim run SCENARIO --set
  // network.validators=N --set duration_s=D [--set workload.tps=5000]`). Slopes: 470 B per
  // transaction at n = 4 (5,000-tx blocks), 390-520 B at n = 100-300; at n = 1,000 the growth
  // beyond that is ~250-380 B per validator and committed block (commit records, execution-job
  // samples, committed chains). Start-up (SimGrid, genesis) is ~130-170 MiB. Terms, rounded up:
  // 160 MiB + 64 KiB per validator + 768 B per transaction + 512 B per validator and round
  // (HotStuffPipeline pipelines; rounds = duration / block time, an upper bound of the blocks) +
  // 128 B per message in flight: an event of the dispatcher's heap (56 B) with the heap's
  // doubling (not measured). Direct broadcast has up to n^2 messages in flight at once (every
  // validator's timeout to every other). The estimate is 1.25-2.3x the measured peaks above.
  const double n = s.network.validators;
  const bool direct = s.network.dissemination.mode == "direct";
  const double in_flight = direct ? n * n : n * std::max<double>(s.network.topology.degree, 8.0);
  const double pairs = s.network.platform_xml.empty() ? 0.0 : n * n;  // route matrix
  const bool hotstuff_pipeline =
      s.pipeline.kind == "interleaved" || s.pipeline.kind == "async_execution";
  // Propagation broadcasts blocks only: its workload generates no transaction.
  const double tx_bytes =
      s.pipeline.kind == "propagation"
          ? 0.0
          : kBytesPerTransaction + (hotstuff_pipeline ? 0.0 : kBytesPerTransactionPerValidator * n);
  const double node_rounds =
      hotstuff_pipeline ? n * s.duration_s * 1000.0 / s.consensus.block_time_ms : 0.0;
  // Both grow with duration_s: an excess is reported against workload.tps / duration_s.
  const double txs_term = txs * tx_bytes + node_rounds * kBytesPerValidatorRound;
  const double msg_term = in_flight * kBytesPerMessage + pairs * sizeof(double);
  const double estimate = kBytesBase + n * kBytesPerValidator + txs_term + msg_term;
  const double limit = memory_limit_bytes();
  if (estimate > limit) {
    const bool by_txs = txs_term > msg_term;
    fail(
        by_txs ? "workload.tps" : "network.validators",
        fmt::format("value {} needs an estimated {:.1f} GiB of memory ({:.3g} transactions, {:.3g} "
                    "messages in flight with {} dissemination), expected at most the {:.1f} GiB "
                    "of this machine: lower {}{}",
                    by_txs ? s.workload.tps : n, estimate / 1073741824.0, txs, in_flight,
                    s.network.dissemination.mode, limit / 1073741824.0,
                    by_txs ? "workload.tps or duration_s" : "network.validators",
                    by_txs || !direct ? "" : " or use gossip (network.dissemination.mode)"));
  }
}

/// `name` names the run's folder under outputs.dir: one plain path component, so that no name
/// (`..`, `/tmp/x`, `a/../../b`) writes outside outputs.dir.
void check_name(const std::string& name) {
  bool plain = name != "." && name != ".." && name.size() <= 200 &&
               name.find_first_of("/\\") == std::string::npos;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) plain = false;
  }
  if (!plain) {
    fail("name", fmt::format("value {} is not a plain folder name, expected at most 200 bytes "
                             "without '/', '\\' or control characters, and not \".\" or "
                             "\"..\" (the run's folder is outputs.dir/<name>)",
                             show(json(name))));
  }
}

/// faults.events[i] of kind "byzantine": a behaviour the scenario's pipeline models, on
/// consensus members; withhold's own keys.
void check_byzantine(const Scenario& s, const FaultEvent& e, const std::string& path) {
  const std::string bpath = join(path, "behaviour");
  if (e.behaviour.empty()) {
    fail(bpath,
         "is missing, expected one of \"equivocate\", \"withhold\", "
         "\"invalid_execution_vote\", \"dag_equivocate\", \"invalid_candidate\"");
  }
  if (e.nodes.empty()) {
    fail(join(path, "nodes"),
         "is empty, expected at least one validator index for kind \"byzantine\"");
  }
  const std::string& kind = s.pipeline.kind;
  const bool hotstuff = kind == "interleaved" || kind == "async_execution";
  const char* expected = nullptr;
  if (e.behaviour == "equivocate" || e.behaviour == "withhold" ||
      e.behaviour == "invalid_execution_vote") {
    if (!hotstuff) expected = "\"interleaved\" or \"async_execution\" (HotStuff pipelines)";
  } else if (e.behaviour == "dag_equivocate") {
    if (kind != "speculate_order_replay") expected = "\"speculate_order_replay\" (DAG BFT)";
  } else if (e.behaviour == "invalid_candidate") {
    if (kind != "async_backing") expected = "\"async_backing\" (Polkadot backing)";
  }
  if (expected != nullptr) {
    fail(bpath, fmt::format("value \"{}\" is not modelled for pipeline.kind \"{}\", expected "
                            "pipeline.kind {}",
                            e.behaviour, kind, expected));
  }
  // HotStuff and DAG behaviours act through the consensus protocol: only its members.
  const std::uint32_t members = consensus_validators(s);
  if (e.behaviour != "invalid_candidate") {
    for (std::size_t k = 0; k < e.nodes.size(); ++k) {
      if (e.nodes[k] >= members) {
        fail(index_path(join(path, "nodes"), k),
             fmt::format("value {} is not a consensus member, expected an index < {}", e.nodes[k],
                         members));
      }
    }
  }
  if (e.behaviour == "withhold") {
    const std::uint32_t n = s.network.validators;
    std::set<std::uint32_t> seen;
    for (std::size_t k = 0; k < e.withhold_from.size(); ++k) {
      const std::uint32_t v = e.withhold_from[k];
      const std::string p = index_path(join(path, "withhold_from"), k);
      if (v >= n) {
        fail(p, fmt::format("value {} is out of range, expected a validator index < "
                            "network.validators ({})",
                            v, n));
      }
      if (!seen.insert(v).second) {
        fail(p, fmt::format("value {} is listed twice, expected distinct validator indices", v));
      }
    }
    if (e.withhold_from.empty() && e.delay_ms == 0.0) {
      fail(join(path, "delay_ms"),
           "is 0 and withhold_from is empty, expected a delay > 0 or validators to withhold "
           "the proposal from");
    }
  }
}

/// faults.events: per-kind fields, node indices, intervals, and a crash/recover order that
/// makes sense per node. Resolves until_s = 0 to duration_s.
void check_fault_events(Scenario& s) {
  const std::uint32_t n = s.network.validators;
  const FaultEvent defaults{};
  // Per node: (time, +1 crash / -1 recover, event index) for the order check below.
  std::vector<std::vector<std::tuple<double, int, std::size_t>>> transitions(n);
  for (std::uint32_t c : s.faults.crashed) {
    if (c < n) transitions[c].emplace_back(s.faults.crash_at_s, 1, SIZE_MAX);
  }
  for (std::size_t i = 0; i < s.faults.events.size(); ++i) {
    FaultEvent& e = s.faults.events[i];
    const std::string path = index_path("faults.events", i);
    const auto unused = [&](bool is_default, const char* key) {
      if (!is_default) {
        fail(join(path, key), fmt::format("is set but has no effect for kind \"{}\", expected it "
                                          "left out (docs/faults.md lists each kind's keys)",
                                          e.kind));
      }
    };
    const auto check_nodes = [&](const std::vector<std::uint32_t>& nodes, const std::string& p) {
      std::set<std::uint32_t> seen;
      for (std::size_t k = 0; k < nodes.size(); ++k) {
        if (nodes[k] >= n) {
          fail(index_path(p, k), fmt::format("value {} is out of range, expected a validator "
                                             "index < network.validators ({})",
                                             nodes[k], n));
        }
        if (!seen.insert(nodes[k]).second) {
          fail(index_path(p, k),
               fmt::format("value {} is listed twice, expected distinct validator indices",
                           nodes[k]));
        }
      }
    };
    const auto need_nodes = [&]() {
      if (e.nodes.empty()) {
        fail(
            join(path, "nodes"),
            fmt::format("is empty, expected at least one validator index for kind \"{}\"", e.kind));
      }
    };
    check_nodes(e.nodes, join(path, "nodes"));
    const bool instant = e.kind == "crash" || e.kind == "recover";
    if (instant) {
      need_nodes();
      if (e.at_s >= s.duration_s) {
        fail(join(path, "at_s"), fmt::format("value {} is out of range, expected a number < "
                                             "duration_s ({})",
                                             e.at_s, s.duration_s));
      }
      unused(e.from_s == defaults.from_s, "from_s");
      unused(e.until_s == defaults.until_s, "until_s");
      for (std::uint32_t v : e.nodes) {
        transitions[v].emplace_back(e.at_s, e.kind == "crash" ? 1 : -1, i);
      }
    } else {
      unused(e.at_s == defaults.at_s, "at_s");
      if (e.until_s == 0.0) e.until_s = s.duration_s;
      if (e.from_s >= s.duration_s) {
        fail(join(path, "from_s"), fmt::format("value {} is out of range, expected a number < "
                                               "duration_s ({})",
                                               e.from_s, s.duration_s));
      }
      if (e.until_s <= e.from_s) {
        fail(join(path, "until_s"), fmt::format("value {} is out of range, expected a number > "
                                                "from_s ({}) (or 0: until the end of the run)",
                                                e.until_s, e.from_s));
      }
    }
    if (e.kind != "partition") {
      unused(e.groups.empty(), "groups");
      unused(e.mode == defaults.mode, "mode");
    }
    if (e.kind != "loss") {
      unused(e.probability == defaults.probability, "probability");
      unused(e.link_class == defaults.link_class, "link_class");
      unused(e.class_loss_rates == defaults.class_loss_rates, "class_loss_rates");
    }
    if (e.kind != "delay") unused(e.extra_ms == defaults.extra_ms, "extra_ms");
    if (e.kind != "slow") {
      unused(e.cpu_factor == defaults.cpu_factor, "cpu_factor");
      unused(e.link_factor == defaults.link_factor, "link_factor");
    }
    if (e.kind == "partition") {
      unused(e.nodes.empty(), "nodes");
      const std::string gpath = join(path, "groups");
      if (e.groups.empty()) {
        fail(gpath,
             "is empty, expected at least one group of validator indices (the validators "
             "in no group form one more group)");
      }
      std::set<std::uint32_t> seen;
      for (std::size_t g = 0; g < e.groups.size(); ++g) {
        const std::string p = index_path(gpath, g);
        if (e.groups[g].empty()) fail(p, "is empty, expected at least one validator index");
        check_nodes(e.groups[g], p);
        for (std::size_t k = 0; k < e.groups[g].size(); ++k) {
          if (!seen.insert(e.groups[g][k]).second) {
            fail(index_path(p, k), fmt::format("value {} is in two groups, expected each "
                                               "validator in at most one group",
                                               e.groups[g][k]));
          }
        }
      }
      if (e.groups.size() == 1 && seen.size() == n) {
        fail(gpath, "puts every validator in one group, expected at least two sides");
      }
    } else if (e.kind == "loss") {
      if (e.probability == 0.0 && !e.class_loss_rates) {
        fail(join(path, "probability"),
             "value 0 drops nothing, expected a number in (0, 1] or class_loss_rates: true");
      }
      if (!e.link_class.empty()) {
        unused(e.nodes.empty(), "nodes");
        const bool present =
            std::any_of(s.network.classes.begin(), s.network.classes.end(),
                        [&](const NodeClassShare& c) { return c.name == e.link_class; });
        if (!present) {
          fail(join(path, "link_class"),
               fmt::format("value \"{}\" is not a class of network.classes, expected one of "
                           "the classes the validators are drawn from",
                           e.link_class));
        }
      }
      if (e.class_loss_rates && s.network.classes.empty()) {
        fail(join(path, "class_loss_rates"),
             "is true but network.classes is empty, expected node classes to take loss rates from");
      }
    } else if (e.kind == "delay") {
      if (e.extra_ms <= 0.0) {
        fail(join(path, "extra_ms"),
             fmt::format("value {} is out of range, expected a number > 0", e.extra_ms));
      }
    } else if (e.kind == "slow") {
      need_nodes();
      if (e.cpu_factor == 1.0 && e.link_factor == 1.0) {
        fail(join(path, "cpu_factor"),
             "and link_factor are both 1, expected at least one factor > 1 (the slowdown)");
      }
    }
    if (e.kind != "byzantine") {
      unused(e.behaviour.empty(), "behaviour");
    } else {
      check_byzantine(s, e, path);
    }
    if (e.behaviour != "withhold") {
      unused(e.withhold_from.empty(), "withhold_from");
      unused(e.delay_ms == defaults.delay_ms, "delay_ms");
    }
  }
  for (std::uint32_t v = 0; v < n; ++v) {
    auto& t = transitions[v];
    std::stable_sort(t.begin(), t.end(),
                     [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    bool down = false;
    for (const auto& [time, dir, idx] : t) {
      if ((dir > 0) == down) {
        const std::string where =
            idx == SIZE_MAX ? std::string("faults.crashed") : index_path("faults.events", idx);
        fail(join(where, "nodes"),
             fmt::format("validator {} {} at {} s, but it is already {} then, expected crash and "
                         "recover to alternate per validator",
                         v, dir > 0 ? "crashes" : "recovers", time, down ? "crashed" : "running"));
      }
      down = dir > 0;
    }
  }
}

/// Checks that involve more than one field (after every field passed its own check).
void check_cross_fields(Scenario& s, const std::string& base_dir) {
  check_name(s.name);
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
  // The BFT bound counts the consensus members only: async_backing's collators are not.
  const std::uint32_t members = consensus_validators(s);
  const std::uint32_t f = (members - 1) / 3;
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
  const auto member_count = [&](const std::vector<std::uint32_t>& nodes) {
    return static_cast<std::size_t>(
        std::count_if(nodes.begin(), nodes.end(), [&](std::uint32_t v) { return v < members; }));
  };
  if (member_count(s.faults.crashed) > f) {
    fail("faults.crashed",
         members == n
             ? fmt::format("{} crashed validators exceed the fault tolerance, expected at most "
                           "f = (n-1)/3 = {} for n = {} validators",
                           s.faults.crashed.size(), f, n)
             : fmt::format("{} crashed relay validators exceed the fault tolerance, expected at "
                           "most f = (n-1)/3 = {} for n = {} relay validators (validators "
                           "0..{}; the collators are not counted)",
                           member_count(s.faults.crashed), f, members, members - 1));
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
  if (member_count(s.faults.crashed) + s.faults.divergent.size() > f) {
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
  if (s.measurement.warmup_s + s.measurement.cooldown_s >= s.duration_s) {
    fail("measurement.cooldown_s",
         fmt::format("value {} is out of range, expected warmup_s ({}) + cooldown_s < "
                     "duration_s ({})",
                     s.measurement.cooldown_s, s.measurement.warmup_s, s.duration_s));
  }
  if (!s.faults.crashed.empty() && s.faults.crash_at_s >= s.duration_s) {
    fail("faults.crash_at_s",
         fmt::format("value {} is out of range, expected a number < duration_s ({})",
                     s.faults.crash_at_s, s.duration_s));
  }
  check_fault_events(s);
  check_polkadot(s);
  // Each pipeline runs on the consensus protocol its registry row names (speculate_order_replay
  // on the DAG BFT and only there).
  const pipelines::PipelineInfo& info = *pipelines::find_pipeline_info(s.pipeline.kind);
  if (s.consensus.protocol != info.consensus) {
    fail("consensus.protocol",
         fmt::format("value \"{}\" does not fit pipeline.kind \"{}\", expected \"{}\"",
                     s.consensus.protocol, s.pipeline.kind, info.consensus));
  }
  // A pipeline-specific section (a registry row's own_sections) set for another pipeline would
  // be silently ignored.
  const auto section_is_default = [&](std::string_view section) {
    if (section == "pipeline.sor") return s.pipeline.sor == SorConfig{};
    if (section == "consensus.dag") return s.consensus.dag == DagConsensusConfig{};
    if (section == "polkadot") return s.polkadot == PolkadotConfig{};
    throw std::logic_error(fmt::format("pipeline registry: unknown section {}", section));
  };
  for (const auto& owner : pipelines::kPipelineInfos) {
    for (std::string_view section : owner.own_sections) {
      if (section.empty() || owner.name == s.pipeline.kind || section_is_default(section)) continue;
      fail(std::string(section),
           fmt::format("is set but has no effect with pipeline.kind \"{}\", expected it "
                       "only with pipeline.kind \"{}\" (or left out)",
                       s.pipeline.kind, owner.name));
    }
  }
  if (s.workload.mainnet_mode == "as_mined") {
    if (s.workload.kind != "eth_mainnet")
      fail("workload.mainnet_mode",
           fmt::format("value \"as_mined\" replays recorded mainnet blocks, expected "
                       "workload.kind \"eth_mainnet\", got \"{}\"",
                       s.workload.kind));
    if (s.pipeline.kind != "interleaved" && s.pipeline.kind != "async_execution")
      fail("workload.mainnet_mode",
           fmt::format("value \"as_mined\" is modelled by the interleaved and async_execution "
                       "pipelines, expected one of them, got pipeline.kind \"{}\"",
                       s.pipeline.kind));
  }
  if (s.workload.kind != "transfers" && s.workload.tps == 0.0) {
    fail("workload.tps", fmt::format("value 0 is out of range for workload.kind \"{}\" (a replay "
                                     "needs an arrival rate), expected a number > 0; 0 is "
                                     "allowed with kind \"transfers\" (no transactions)",
                                     s.workload.kind));
  }
  check_resources(s);
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
  // The nesting bound of scenario files holds for override values too (checked on the text, so a
  // deep value is never built, dumped or destroyed recursively).
  std::size_t depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '[' || c == '{') max_depth = std::max(max_depth, ++depth);
    if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  if (max_depth + parts.size() > kMaxScenarioDepth) {
    fail(printable_key(key), fmt::format("the --set value is nested {} levels deep, expected a "
                                         "scenario nested at most {} levels deep",
                                         max_depth, kMaxScenarioDepth));
  }
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;  // not JSON: a bare string such as aws_p90
  try {
    (void)value.dump();  // throws for a string that is not valid UTF-8
    (void)json(key).dump();
  } catch (const json::type_error&) {
    fail("--set", fmt::format("{} is not valid UTF-8, expected key.path=value in UTF-8",
                              show(json(assignment))));
  }
  (*node)[parts.back()] = std::move(value);
}

Scenario parse_scenario(const nlohmann::json& doc, const std::string& base_dir) {
  if (!doc.is_object()) {
    fail("", fmt::format("scenario: value {} has the wrong type ({}), expected an object",
                         show(doc), doc.type_name()));
  }
  Scenario s;
  if (const auto it = doc.find("faults"); it != doc.end() && it->is_array()) {
    // `faults` as a list of timed events is the short form of {"events": [...]}.
    json copy = doc;
    copy["faults"] = json{{"events", *it}};
    Reader::read_object(copy, "", [&](auto& v) { visit(v, s); });
  } else {
    Reader::read_object(doc, "", [&](auto& v) { visit(v, s); });
  }
  check_cross_fields(s, base_dir);
  return s;
}

namespace {

/// Where the parser is, for error messages: one frame per open object (its current key) or array
/// (the index of the element being read), and the keys seen in each open object.
struct ParsePath {
  struct Frame {
    bool array = false;
    std::size_t index = 0;
    std::string key;  // printable form
    std::set<std::string> keys;
  };
  std::vector<Frame> frames;

  std::string str() const {
    std::string out;
    for (const Frame& f : frames) {
      if (f.array) {
        out = index_path(out, f.index);
      } else if (!f.key.empty()) {
        out = join(out, f.key);
      }
    }
    return out;
  }
  /// An element of the innermost array is complete.
  void element_done() {
    if (!frames.empty() && frames.back().array) ++frames.back().index;
  }
};

/// `detail` of a library exception without its "[json.exception.xxx.nnn] " prefix.
std::string library_detail(const char* what) {
  std::string detail = what;
  if (const auto pos = detail.find("] ");
      detail.rfind("[json.exception", 0) == 0 && pos != std::string::npos) {
    detail = detail.substr(pos + 2);
  }
  return detail;
}

}  // namespace

json parse_scenario_json(std::string_view text, const std::string& source) {
  if (text.size() > kMaxScenarioBytes) {
    fail("", fmt::format("{}: the scenario is larger than {} bytes, expected a scenario file of "
                         "at most {} MiB",
                         source, kMaxScenarioBytes, kMaxScenarioBytes >> 20));
  }
  ParsePath where;
  const json::parser_callback_t callback = [&where](int depth, json::parse_event_t event,
                                                    json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        // The depth is checked before the container opens: no deep recursion (dump, destroy,
        // the visitors) ever sees a document deeper than kMaxScenarioDepth.
        if (depth >= static_cast<int>(kMaxScenarioDepth)) {
          fail(where.str(), fmt::format("nesting is deeper than {} levels, expected a scenario "
                                        "nested at most {} levels deep",
                                        kMaxScenarioDepth, kMaxScenarioDepth));
        }
        where.frames.push_back({event == json::parse_event_t::array_start, 0, {}, {}});
        break;
      case json::parse_event_t::key: {
        ParsePath::Frame& f = where.frames.back();
        const std::string& raw = parsed.get_ref<const std::string&>();
        f.key = printable_key(raw);
        if (!f.keys.insert(raw).second) {
          fail(where.str(),
               "is listed twice in one object, expected each key at most once "
               "(JSON readers disagree on which duplicate wins)");
        }
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        where.frames.pop_back();
        where.element_done();
        break;
      case json::parse_event_t::value:
        where.element_done();
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), callback);
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line L, column C: ...".
    const std::string path = where.str();
    fail("", fmt::format("{}: JSON syntax error at byte {}{}: {}", source, e.byte,
                         path.empty() ? "" : " (in " + path + ")", library_detail(e.what())));
  } catch (const json::out_of_range& e) {
    // 406: a number that overflows a double (e.g. 1e400), before any callback sees it.
    std::string token = library_detail(e.what());
    if (const auto a = token.find('\''), b = token.rfind('\''); a != std::string::npos && b > a) {
      token = token.substr(a + 1, b - a - 1);
    }
    fail(where.str(), fmt::format("value {} is out of range, expected a finite number (magnitude "
                                  "at most 1.8e308)",
                                  token));
  }
}

Scenario parse_scenario_text(std::string_view text, const std::vector<std::string>& overrides,
                             const std::string& source, const std::string& base_dir) {
  json doc = parse_scenario_json(text, source);
  for (const auto& assignment : overrides) apply_override(doc, assignment);
  return parse_scenario(doc, base_dir);
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
  // Bounded read: a device such as /dev/zero or a huge file stops at the limit.
  std::string text;
  std::array<char, 65536> chunk{};
  while (in && text.size() <= kMaxScenarioBytes) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) {
    fail("", fmt::format("cannot read scenario file \"{}\": {}", file, std::strerror(errno)));
  }
  const fs::path parent = fs::path(file).parent_path();
  return parse_scenario_text(text, overrides, file,
                             parent.empty() ? std::string(".") : parent.string());
}

std::uint32_t consensus_validators(const Scenario& s) {
  const std::uint32_t n = s.network.validators;
  if (s.pipeline.kind != "async_backing") return n;
  const std::uint64_t collators =
      static_cast<std::uint64_t>(s.polkadot.parachains) * s.polkadot.collators_per_parachain;
  return collators < n ? static_cast<std::uint32_t>(n - collators) : n;
}

std::vector<bool> ever_crashed(const Scenario& s) {
  std::vector<bool> out(s.network.validators, false);
  for (std::uint32_t c : s.faults.crashed) out.at(c) = true;
  for (const FaultEvent& e : s.faults.events) {
    if (e.kind != "crash") continue;
    for (std::uint32_t v : e.nodes) out.at(v) = true;
  }
  return out;
}

std::vector<std::uint32_t> never_crashed(const Scenario& s) {
  const std::vector<bool> crashed = ever_crashed(s);
  std::vector<std::uint32_t> out;
  for (std::uint32_t v = 0; v < crashed.size(); ++v) {
    if (!crashed[v]) out.push_back(v);
  }
  if (out.empty()) {
    for (std::uint32_t v = 0; v < crashed.size(); ++v) out.push_back(v);
  }
  return out;
}

std::vector<bool> ever_byzantine(const Scenario& s) {
  std::vector<bool> out(s.network.validators, false);
  for (const FaultEvent& e : s.faults.events) {
    if (e.kind != "byzantine") continue;
    for (std::uint32_t v : e.nodes) out.at(v) = true;
  }
  return out;
}

std::vector<const FaultEvent*> byzantine_events(const Scenario& s, std::uint32_t node,
                                                std::string_view behaviour) {
  std::vector<const FaultEvent*> out;
  for (const FaultEvent& e : s.faults.events) {
    if (e.kind != "byzantine" || e.behaviour != behaviour) continue;
    if (std::find(e.nodes.begin(), e.nodes.end(), node) != e.nodes.end()) out.push_back(&e);
  }
  return out;
}

const FaultEvent* byzantine_behaviour(const Scenario& s, std::uint32_t node,
                                      std::string_view behaviour, double t_s) {
  for (const FaultEvent* e : byzantine_events(s, node, behaviour)) {
    if (t_s >= e->from_s && t_s < e->until_s) return e;
  }
  return nullptr;
}

nlohmann::json to_json(const Scenario& scenario) {
  Scenario copy = scenario;  // the visitor table takes mutable references
  json out = json::object();
  Writer writer(out);
  visit(writer, copy);
  return out;
}

}  // namespace pipesim::sim
