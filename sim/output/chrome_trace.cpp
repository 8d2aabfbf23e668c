#include "sim/output/chrome_trace.hpp"

#include <cmath>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

namespace pipesim::sim::output {
namespace {

void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";  // JSON has no NaN / Infinity
    return;
  }
  if (v == 0.0) v = 0.0;                             // normalise -0
  fmt::format_to(std::back_inserter(out), "{}", v);  // shortest round-trip form
}

void check_pid(std::uint32_t pid) {
  if (pid == 0) {
    throw std::invalid_argument(
        "ChromeTraceWriter: pid 0 is reserved (Perfetto treats it as the idle process); use node "
        "id + 1");
  }
}

const char* scope_letter(InstantScope scope) {
  switch (scope) {
    case InstantScope::kThread:
      return "t";
    case InstantScope::kProcess:
      return "p";
    case InstantScope::kGlobal:
      return "g";
  }
  return "t";
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

ChromeTraceWriter::ChromeTraceWriter(const std::filesystem::path& path,
                                     std::string_view display_time_unit)
    : out_(path), display_time_unit_(display_time_unit) {
  if (display_time_unit_ != "ms" && display_time_unit_ != "ns") {
    throw std::invalid_argument(
        "ChromeTraceWriter: displayTimeUnit must be \"ms\" or \"ns\", got \"" + display_time_unit_ +
        "\"");
  }
  line_.reserve(512);
  out_.write("{\"traceEvents\":[");
}

void ChromeTraceWriter::begin_event() {
  if (committed_) {
    throw std::logic_error("ChromeTraceWriter: event after commit of '" + out_.path().string() +
                           "'");
  }
  line_.clear();
  line_ += events_ == 0 ? "\n{" : ",\n{";
  ++events_;
}

void ChromeTraceWriter::check_time(double t, const char* what) const {
  if (!std::isfinite(t) || t < 0.0) {
    throw std::invalid_argument(fmt::format(
        "ChromeTraceWriter: {} must be a finite number of seconds >= 0, got {}", what, t));
  }
}

void ChromeTraceWriter::write_ts_us(double seconds) {
  double us = seconds * 1e6;
  if (us == 0.0) us = 0.0;
  fmt::format_to(std::back_inserter(line_), "{:.3f}", us);
}

void ChromeTraceWriter::write_args(TraceArgs args) {
  line_ += "\"args\":{";
  bool first = true;
  for (const TraceArg& a : args) {
    if (!first) line_ += ',';
    first = false;
    append_json_string(line_, a.key);
    line_ += ':';
    std::visit(
        [this](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, bool>) {
            line_ += v ? "true" : "false";
          } else if constexpr (std::is_same_v<V, double>) {
            append_double(line_, v);
          } else if constexpr (std::is_same_v<V, std::string>) {
            append_json_string(line_, v);
          } else {
            fmt::format_to(std::back_inserter(line_), "{}", v);
          }
        },
        a.value);
  }
  line_ += '}';
}

void ChromeTraceWriter::process_name(std::uint32_t pid, std::string_view name) {
  check_pid(pid);
  begin_event();
  fmt::format_to(
      std::back_inserter(line_),
      "\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{},\"tid\":0,\"args\":{{\"name\":", pid);
  append_json_string(line_, name);
  line_ += "}}";
  out_.write(line_);
}

void ChromeTraceWriter::process_sort_index(std::uint32_t pid, std::int64_t index) {
  check_pid(pid);
  begin_event();
  fmt::format_to(std::back_inserter(line_),
                 "\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":{},\"tid\":0,"
                 "\"args\":{{\"sort_index\":{}}}}}",
                 pid, index);
  out_.write(line_);
}

void ChromeTraceWriter::thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name) {
  check_pid(pid);
  begin_event();
  fmt::format_to(
      std::back_inserter(line_),
      "\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":", pid, tid);
  append_json_string(line_, name);
  line_ += "}}";
  out_.write(line_);
}

void ChromeTraceWriter::thread_sort_index(std::uint32_t pid, std::uint32_t tid,
                                          std::int64_t index) {
  check_pid(pid);
  begin_event();
  fmt::format_to(std::back_inserter(line_),
                 "\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":{},\"tid\":{},"
                 "\"args\":{{\"sort_index\":{}}}}}",
                 pid, tid, index);
  out_.write(line_);
}

void ChromeTraceWriter::complete(std::uint32_t pid, std::uint32_t tid, std::string_view name,
                                 double start_s, double duration_s, std::string_view category,
                                 TraceArgs args) {
  check_pid(pid);
  check_time(start_s, "start");
  check_time(duration_s, "duration");
  begin_event();
  line_ += "\"name\":";
  append_json_string(line_, name);
  if (!category.empty()) {
    line_ += ",\"cat\":";
    append_json_string(line_, category);
  }
  fmt::format_to(std::back_inserter(line_), ",\"ph\":\"X\",\"pid\":{},\"tid\":{},\"ts\":", pid,
                 tid);
  write_ts_us(start_s);
  line_ += ",\"dur\":";
  write_ts_us(duration_s);
  if (!args.empty()) {
    line_ += ',';
    write_args(args);
  }
  line_ += '}';
  out_.write(line_);
}

void ChromeTraceWriter::instant(std::uint32_t pid, std::uint32_t tid, std::string_view name,
                                double time_s, InstantScope scope, std::string_view category,
                                TraceArgs args) {
  check_pid(pid);
  check_time(time_s, "time");
  begin_event();
  line_ += "\"name\":";
  append_json_string(line_, name);
  if (!category.empty()) {
    line_ += ",\"cat\":";
    append_json_string(line_, category);
  }
  fmt::format_to(std::back_inserter(line_),
                 ",\"ph\":\"i\",\"s\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":", scope_letter(scope),
                 pid, tid);
  write_ts_us(time_s);
  if (!args.empty()) {
    line_ += ',';
    write_args(args);
  }
  line_ += '}';
  out_.write(line_);
}

void ChromeTraceWriter::counter(std::uint32_t pid, std::string_view name, double time_s,
                                double value) {
  const std::pair<std::string_view, double> one{"value", value};
  counter(pid, name, time_s, std::span<const std::pair<std::string_view, double>>(&one, 1));
}

void ChromeTraceWriter::counter(std::uint32_t pid, std::string_view name, double time_s,
                                std::span<const std::pair<std::string_view, double>> series) {
  check_pid(pid);
  check_time(time_s, "time");
  begin_event();
  line_ += "\"name\":";
  append_json_string(line_, name);
  fmt::format_to(std::back_inserter(line_), ",\"ph\":\"C\",\"pid\":{},\"tid\":0,\"ts\":", pid);
  write_ts_us(time_s);
  line_ += ",\"args\":{";
  bool first = true;
  for (const auto& [key, v] : series) {
    if (!first) line_ += ',';
    first = false;
    append_json_string(line_, key);
    line_ += ':';
    append_double(line_, v);
  }
  line_ += "}}";
  out_.write(line_);
}

void ChromeTraceWriter::flow_start(std::uint32_t pid, std::uint32_t tid, std::string_view name,
                                   std::uint64_t id, double time_s, std::string_view category) {
  check_pid(pid);
  check_time(time_s, "time");
  begin_event();
  line_ += "\"name\":";
  append_json_string(line_, name);
  line_ += ",\"cat\":";
  append_json_string(line_, category);
  fmt::format_to(std::back_inserter(line_),
                 ",\"ph\":\"s\",\"id\":{},\"pid\":{},\"tid\":{},\"ts\":", id, pid, tid);
  write_ts_us(time_s);
  line_ += '}';
  out_.write(line_);
}

void ChromeTraceWriter::flow_end(std::uint32_t pid, std::uint32_t tid, std::string_view name,
                                 std::uint64_t id, double time_s, std::string_view category) {
  check_pid(pid);
  check_time(time_s, "time");
  begin_event();
  line_ += "\"name\":";
  append_json_string(line_, name);
  line_ += ",\"cat\":";
  append_json_string(line_, category);
  fmt::format_to(std::back_inserter(line_),
                 ",\"ph\":\"f\",\"bp\":\"e\",\"id\":{},\"pid\":{},\"tid\":{},\"ts\":", id, pid,
                 tid);
  write_ts_us(time_s);
  line_ += '}';
  out_.write(line_);
}

void ChromeTraceWriter::other_data(std::string_view key, std::string_view value) {
  if (committed_) throw std::logic_error("ChromeTraceWriter: other_data after commit");
  other_data_.emplace_back(std::string(key), std::string(value));
}

void ChromeTraceWriter::commit() {
  if (committed_) {
    throw std::logic_error("ChromeTraceWriter: '" + out_.path().string() + "' committed twice");
  }
  line_.clear();
  line_ += "\n],\"displayTimeUnit\":";
  append_json_string(line_, display_time_unit_);
  if (!other_data_.empty()) {
    line_ += ",\"otherData\":{";
    for (std::size_t i = 0; i < other_data_.size(); ++i) {
      if (i > 0) line_ += ',';
      append_json_string(line_, other_data_[i].first);
      line_ += ':';
      append_json_string(line_, other_data_[i].second);
    }
    line_ += '}';
  }
  line_ += "}\n";
  out_.write(line_);
  committed_ = true;
  out_.commit();
}

}  // namespace pipesim::sim::output
