// `pipesim calibrate`: fits the cost model's CPU constants by least squares (Eigen) to
// published sequential block execution times (data/calibration/pevm_sequential.csv: pevm on an
// i9-12900K, state in memory) and writes the calibration report (docs/calibration.md): the
// fitted constants, R², and per-block relative errors with their median and 90th percentile.
// Only sequential times are fitted; parallel speedups are the executors' prediction.
//
// The report keeps hand-written sections: everything from kReportKeepMarker on (a line of its
// own) in the existing report file is appended unchanged after the regenerated part.
#pragma once

#include <string>
#include <string_view>

namespace pipesim {

/// The line after which `pipesim calibrate --report FILE` keeps FILE's contents.
inline constexpr std::string_view kReportKeepMarker =
    "<!-- pipesim calibrate --report keeps everything from this line on (hand-written "
    "sections). -->";

/// The report to write: `generated`, a blank line, then `existing` from its first line equal to
/// kReportKeepMarker on (or the marker line alone if `existing` has none). Idempotent:
/// merge_report(g, merge_report(g, e)) == merge_report(g, e).
std::string merge_report(std::string_view generated, std::string_view existing);

/// argv[0] is "calibrate". Exit codes: 0 success; 1 runtime failure; 2 usage error.
int calibrate_main(int argc, char** argv);

}  // namespace pipesim
