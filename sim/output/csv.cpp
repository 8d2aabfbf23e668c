#include "sim/output/csv.hpp"

#include <cmath>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

namespace pipesim::sim::output {
namespace {

// NaN / infinities in a form pandas and Python's float() read back; "" if v is finite.
const char* non_finite(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return "";
}

void check_digits(int digits, int lo, const char* what) {
  if (digits < lo || digits > 17) {
    throw std::invalid_argument(fmt::format("{} must be in [{}, 17], got {}", what, lo, digits));
  }
}

}  // namespace

std::string format_double(double v, int significant_digits) {
  check_digits(significant_digits, 1, "format_double: significant_digits");
  if (!std::isfinite(v)) return non_finite(v);
  if (v == 0.0) return "0";
  return fmt::format("{:.{}g}", v, significant_digits);
}

std::string format_fixed(double v, int decimals) {
  check_digits(decimals, 0, "format_fixed: decimals");
  if (!std::isfinite(v)) return non_finite(v);
  std::string s = fmt::format("{:.{}f}", v, decimals);
  // A negative value that rounds to zero ("-0.000000") is written without the sign.
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::string csv_escape(std::string_view field) {
  const bool needs_quotes = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                            (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!needs_quotes) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out += '"';
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

CsvWriter::CsvWriter(const std::filesystem::path& path, std::vector<std::string> header)
    : out_(path), columns_(header.size()) {
  if (header.empty()) {
    throw std::invalid_argument("CsvWriter: '" + path.string() + "' needs at least one column");
  }
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (i > 0) line_ += ',';
    line_ += csv_escape(header[i]);
  }
  line_ += '\n';
  out_.write(line_);
  line_.clear();
}

void CsvWriter::separator() {
  if (out_.committed()) throw std::logic_error("CsvWriter: write after commit");
  if (fields_in_row_ == columns_) {
    throw std::logic_error(fmt::format("CsvWriter: '{}' row {} has more than {} fields",
                                       out_.path().string(), rows_ + 1, columns_));
  }
  if (fields_in_row_ > 0) line_ += ',';
  ++fields_in_row_;
}

CsvWriter& CsvWriter::add(std::string_view text) {
  separator();
  // Most fields need no quoting: appended as they are, without csv_escape's copy (blocks.csv
  // has millions of rows at 1,000 validators).
  const bool plain = text.find_first_of(",\"\r\n") == std::string_view::npos &&
                     (text.empty() || (text.front() != ' ' && text.back() != ' '));
  if (plain) {
    line_ += text;
  } else {
    line_ += csv_escape(text);
  }
  return *this;
}

CsvWriter& CsvWriter::add(std::int64_t v) {
  separator();
  fmt::format_to(std::back_inserter(line_), "{}", v);
  return *this;
}

CsvWriter& CsvWriter::add(std::uint64_t v) {
  separator();
  fmt::format_to(std::back_inserter(line_), "{}", v);
  return *this;
}

CsvWriter& CsvWriter::add(double v) {
  separator();
  line_ += format_double(v);
  return *this;
}

CsvWriter& CsvWriter::add_fixed(double v, int decimals) {
  separator();
  if (!std::isfinite(v) || decimals < 0 || decimals > 17) {
    line_ += format_fixed(v, decimals);
    return *this;
  }
  // format_fixed without its string: formatted in place at the end of the row.
  const std::size_t start = line_.size();
  fmt::format_to(std::back_inserter(line_), "{:.{}f}", v, decimals);
  if (line_[start] == '-' &&
      line_.find_first_not_of("-0.", start) == std::string::npos) {  // "-0.000000" -> "0.000000"
    line_.erase(start, 1);
  }
  return *this;
}

CsvWriter& CsvWriter::add_empty() {
  separator();
  return *this;
}

void CsvWriter::end_row() {
  if (fields_in_row_ != columns_) {
    throw std::logic_error(fmt::format("CsvWriter: '{}' row {} has {} fields, the header has {}",
                                       out_.path().string(), rows_ + 1, fields_in_row_, columns_));
  }
  line_ += '\n';
  out_.write(line_);
  line_.clear();
  fields_in_row_ = 0;
  ++rows_;
}

void CsvWriter::commit() {
  if (fields_in_row_ != 0) {
    throw std::logic_error(
        fmt::format("CsvWriter: '{}' committed with an unfinished row", out_.path().string()));
  }
  out_.commit();
}

}  // namespace pipesim::sim::output
