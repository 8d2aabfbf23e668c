// Chrome Trace Event Format writer for a run's trace.json (opens in ui.perfetto.dev and
// chrome://tracing).
//
// Format: the JSON object form of Google's "Trace Event Format" document
//   {"traceEvents": [ event, ... ], "displayTimeUnit": "ms", "otherData": {...}}
// with one event per line. The mapping used by pipesim (DESIGN.md, Outputs):
//   - a *process* per validator (pid = node id + 1; pid 0 is reserved: Perfetto treats it as the
//     Linux idle process, see google/perfetto issue #394), named by a `process_name` metadata
//     event ("ph":"M", no timestamp);
//   - a *thread* (track) per stage inside it (tid >= 1, named by `thread_name` metadata and
//     ordered by `thread_sort_index`), e.g. consensus, execution, and one per execution worker;
//   - complete events ("ph":"X") for spans, instant events ("ph":"i"), counter events ("ph":"C",
//     one track per counter name per process), and flow arrows ("ph":"s" / "ph":"f") linking a
//     message send to its receipt.
// Times are simulated seconds in the API and microseconds in the file (the format's unit),
// printed with fixed 3 decimals (nanosecond resolution), so the output is byte-deterministic for
// a deterministic sequence of calls. Events are written in call order (viewers sort them).
//
// The writer streams to an AtomicFileWriter: memory use is bounded whatever the trace size, and
// trace.json appears only when commit() succeeds. No SimGrid include.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sim/output/atomic_file.hpp"

namespace pipesim::sim::output {

/// One key/value of an event's "args" object. Values: bool, signed/unsigned integers, doubles
/// (shortest round-trip form; NaN/inf written as null) or strings (JSON-escaped, copied).
struct TraceArg {
  using Value = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;

  template <class T>
  TraceArg(std::string_view k, T v) : key(k), value(convert(std::move(v))) {}

  std::string key;
  Value value;

 private:
  template <class T>
  static Value convert(T v) {
    if constexpr (std::is_same_v<T, bool>) {
      return Value(std::in_place_type<bool>, v);
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      return Value(std::in_place_type<std::int64_t>, static_cast<std::int64_t>(v));
    } else if constexpr (std::is_integral_v<T>) {
      return Value(std::in_place_type<std::uint64_t>, static_cast<std::uint64_t>(v));
    } else if constexpr (std::is_floating_point_v<T>) {
      return Value(std::in_place_type<double>, static_cast<double>(v));
    } else {
      static_assert(std::is_convertible_v<T, std::string_view>,
                    "TraceArg value must be bool, integer, floating point or string");
      return Value(std::in_place_type<std::string>, std::string(std::string_view(v)));
    }
  }
};

using TraceArgs = std::span<const TraceArg>;

/// Scope of an instant event: its thread track, its whole process, or global.
enum class InstantScope { kThread, kProcess, kGlobal };

/// Streaming writer of trace.json. Usage:
///
///   ChromeTraceWriter trace(run_dir / "trace.json");
///   trace.process_name(1, "validator 0");
///   trace.thread_name(1, 1, "consensus");
///   trace.complete(1, 1, "propose h=5", 0.25, 0.003, "consensus", {{"height", 5}});
///   trace.commit();   // writes the closing brackets and renames the file into place
///
/// Errors: std::invalid_argument for pid 0, a negative, NaN or infinite time or duration;
/// std::logic_error for an event after commit(); std::runtime_error (path + errno text) from
/// the file layer. Destroying the writer without commit() leaves no trace.json (the temporary is
/// removed). Not thread-safe.
class ChromeTraceWriter {
 public:
  /// Opens `<path>.tmp-<pid>` and writes the header. `display_time_unit` is "ms" or "ns" (what
  /// the viewer shows; the file's unit is always microseconds).
  explicit ChromeTraceWriter(const std::filesystem::path& path,
                             std::string_view display_time_unit = "ms");

  // --- metadata (names and ordering of tracks) ---
  /// Names process `pid` (e.g. "validator 3").
  void process_name(std::uint32_t pid, std::string_view name);
  /// Orders processes in the viewer (lower first).
  void process_sort_index(std::uint32_t pid, std::int64_t index);
  /// Names thread track `tid` of process `pid` (e.g. "execution worker 2").
  void thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name);
  /// Orders thread tracks within a process (lower first).
  void thread_sort_index(std::uint32_t pid, std::uint32_t tid, std::int64_t index);

  // --- events (times in simulated seconds) ---
  /// A span [start_s, start_s + duration_s] on a thread track ("ph":"X"). Spans on one
  /// (pid, tid) must be disjoint or properly nested (Perfetto drops partially overlapping ones):
  /// give concurrent activities (execution workers) their own tids.
  void complete(std::uint32_t pid, std::uint32_t tid, std::string_view name, double start_s,
                double duration_s, std::string_view category = {}, TraceArgs args = {});
  void complete(std::uint32_t pid, std::uint32_t tid, std::string_view name, double start_s,
                double duration_s, std::string_view category,
                std::initializer_list<TraceArg> args) {
    complete(pid, tid, name, start_s, duration_s, category, TraceArgs(args.begin(), args.size()));
  }

  /// A point event ("ph":"i") at time_s, drawn on its thread, process or globally.
  void instant(std::uint32_t pid, std::uint32_t tid, std::string_view name, double time_s,
               InstantScope scope = InstantScope::kThread, std::string_view category = {},
               TraceArgs args = {});
  void instant(std::uint32_t pid, std::uint32_t tid, std::string_view name, double time_s,
               InstantScope scope, std::string_view category,
               std::initializer_list<TraceArg> args) {
    instant(pid, tid, name, time_s, scope, category, TraceArgs(args.begin(), args.size()));
  }

  /// Counter sample ("ph":"C"): track `name` of process `pid` takes `value` from time_s on.
  /// (Perfetto draws one counter track per name per process; a non-finite value is written as
  /// null.)
  void counter(std::uint32_t pid, std::string_view name, double time_s, double value);
  /// Several series in one counter event (drawn stacked by chrome://tracing, as separate tracks
  /// "name series" by Perfetto). Series keys are written in the given order.
  void counter(std::uint32_t pid, std::string_view name, double time_s,
               std::span<const std::pair<std::string_view, double>> series);

  /// Flow arrow start ("ph":"s") / end ("ph":"f", bound to the enclosing slice, "bp":"e").
  /// Pairs with the same `id` (and name and category) are joined. The viewer attaches the start
  /// to the slice enclosing time_s on (pid, tid), and the end likewise: emit a complete() span
  /// covering each end (e.g. a "send" span and a "receive" span) or the arrow is dropped.
  void flow_start(std::uint32_t pid, std::uint32_t tid, std::string_view name, std::uint64_t id,
                  double time_s, std::string_view category = "flow");
  void flow_end(std::uint32_t pid, std::uint32_t tid, std::string_view name, std::uint64_t id,
                double time_s, std::string_view category = "flow");

  /// Adds a string to the top-level "otherData" object (written at commit, in call order;
  /// e.g. scenario name, seed, code version). Perfetto ignores it; it documents the file.
  void other_data(std::string_view key, std::string_view value);

  /// Writes the closing of the array and the trailer, then renames the file into place.
  /// Throws std::runtime_error on an I/O failure, std::logic_error if called twice.
  void commit();

  /// Events written so far (metadata included).
  std::uint64_t event_count() const { return events_; }
  const std::filesystem::path& path() const { return out_.path(); }

 private:
  void begin_event();  // separator + "{"
  void check_time(double t, const char* what) const;
  void write_ts_us(double seconds);  // microseconds, "{:.3f}"
  void write_args(TraceArgs args);

  AtomicFileWriter out_;
  std::string display_time_unit_;
  std::vector<std::pair<std::string, std::string>> other_data_;
  std::uint64_t events_ = 0;
  std::string line_;  // the event being formatted (reused: no allocation per event)
  bool committed_ = false;
};

/// Appends `s` to `out` as a JSON string literal (quotes included): escapes `"`, `\` and control
/// characters (< 0x20, as \n, \t, ... or \u00XX); other bytes, including UTF-8, are copied.
void append_json_string(std::string& out, std::string_view s);

}  // namespace pipesim::sim::output
