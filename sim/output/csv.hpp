// Minimal CSV writer for run outputs (blocks.csv, txs.csv, sweep.csv).
//
// Dialect (RFC 4180 except line ends): comma separator, "\n" line ends, a header row first;
// a field is quoted with '"' when it contains a comma, a quote, CR or LF, or begins or ends with
// a space, and quotes inside are doubled. Readers: Python's csv module, pandas.read_csv.
//
// Numbers are formatted deterministically (fmt, independent of locale and C library):
//   - format_double(v): up to 9 significant digits, shortest form ("0.1", "1234567.89",
//     "1.5e-07"), -0 written as "0", NaN as "nan", infinities as "inf" / "-inf" (pandas reads
//     all three);
//   - format_fixed(v, decimals): fixed decimals, for timestamps in seconds (6 = microseconds).
// Output streams to an AtomicFileWriter: bounded memory, and the file appears only on commit().
// No SimGrid include.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sim/output/atomic_file.hpp"

namespace pipesim::sim::output {

/// Up to `significant_digits` (1..17) significant digits, trailing zeros removed ("%g"-like,
/// but locale-free): 0.1 -> "0.1", 1e21 -> "1e+21", 1.0/3 -> "0.333333333".
std::string format_double(double v, int significant_digits = 9);

/// Fixed notation with `decimals` (0..17) digits after the point: (1.5, 6) -> "1.500000".
/// -0 is written as "0.000..."; NaN/inf as in format_double.
std::string format_fixed(double v, int decimals = 6);

/// `field` as it must appear in a CSV line (quoted and escaped only when needed, see above).
std::string csv_escape(std::string_view field);

/// Streaming CSV file with a fixed header. Build each row with the add() calls, then end_row():
///
///   CsvWriter csv(run_dir / "blocks.csv", {"height", "stage", "time_s"});
///   csv.add(std::uint64_t{5}).add("committed").add_fixed(1.25).end_row();
///   csv.commit();
///
/// Errors: std::invalid_argument for an empty header; std::logic_error when a row's field count
/// differs from the header's (at end_row(), or at the add() of one field too many) or after
/// commit(); std::runtime_error (path + errno text) from the file layer. Without commit() the
/// file is not created.
class CsvWriter {
 public:
  CsvWriter(const std::filesystem::path& path, std::vector<std::string> header);

  CsvWriter& add(std::string_view text);
  CsvWriter& add(const char* text) { return add(std::string_view(text)); }
  CsvWriter& add(const std::string& text) { return add(std::string_view(text)); }
  CsvWriter& add(std::int64_t v);
  CsvWriter& add(std::uint64_t v);
  CsvWriter& add(int v) { return add(static_cast<std::int64_t>(v)); }
  CsvWriter& add(unsigned v) { return add(static_cast<std::uint64_t>(v)); }
  /// Booleans as 1 / 0.
  CsvWriter& add(bool v) { return add(static_cast<std::int64_t>(v ? 1 : 0)); }
  /// format_double(v) (9 significant digits).
  CsvWriter& add(double v);
  /// format_fixed(v, decimals): e.g. times in seconds with 6 decimals.
  CsvWriter& add_fixed(double v, int decimals = 6);
  /// An empty field (missing value).
  CsvWriter& add_empty();

  /// Ends the current row. Throws std::logic_error if it has fewer fields than the header.
  void end_row();

  /// Renames the file into place. Throws std::logic_error if a row is unfinished.
  void commit();

  std::size_t columns() const { return columns_; }
  /// Data rows ended so far (the header not counted).
  std::uint64_t rows() const { return rows_; }

 private:
  void separator();
  AtomicFileWriter out_;
  std::size_t columns_ = 0;
  std::size_t fields_in_row_ = 0;
  std::uint64_t rows_ = 0;
  std::string line_;
};

}  // namespace pipesim::sim::output
