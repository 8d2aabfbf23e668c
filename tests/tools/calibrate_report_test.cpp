// Tests for merge_report (tools/calibrate_command.hpp): regenerating docs/calibration.md keeps
// everything from the keep-marker line on and replaces everything before it.
#include <doctest/doctest.h>

#include <string>

#include "tools/calibrate_command.hpp"

using pipesim::kReportKeepMarker;
using pipesim::merge_report;

TEST_CASE("calibrate --report: the hand-written part after the marker is kept") {
  const std::string marker(kReportKeepMarker);
  const std::string kept = marker + "\n\n## State commitment share\n\nmeasured by hand\n";
  const std::string old_report = "# old generated part\n\nold numbers\n\n" + kept;
  const std::string merged = merge_report("# new generated part\n", old_report);
  CHECK(merged == "# new generated part\n\n" + kept);
  // Idempotent: regenerating again changes nothing.
  CHECK(merge_report("# new generated part\n", merged) == merged);
}

TEST_CASE("calibrate --report: a report without the marker gets one; the marker must be a line") {
  const std::string marker(kReportKeepMarker);
  CHECK(merge_report("# gen\n", "") == "# gen\n\n" + marker + "\n");
  CHECK(merge_report("# gen", "# old, no marker\n") == "# gen\n\n" + marker + "\n");
  // Quoted inside a line, the marker does not count.
  const std::string quoted = "see `" + marker + "`\n" + marker + "\nkept\n";
  CHECK(merge_report("# gen\n", quoted) == "# gen\n\n" + marker + "\nkept\n");
}
