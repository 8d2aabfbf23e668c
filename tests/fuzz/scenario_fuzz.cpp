// libFuzzer target for the scenario parser and `--set` overrides (sim/scenario.hpp).
//
// Input: the scenario text, then optionally a NUL byte and `--set` assignments separated by NUL
// bytes. A crash is any of: a signal (ASan/UBSan report, stack overflow), an exception other than
// sim::ScenarioError (a raw library error without a JSON path), an empty or unprintable error
// message, or an accepted scenario whose resolved form (summary.json's "scenario", the
// reproducibility bundle scenario.json) cannot be written or read back to the same scenario.
//
// Build and run (docs/scenario.md, "Fuzzing"):
//   cmake --preset fuzz && cmake --build --preset fuzz --target scenario_fuzz
//   build/fuzz/tests/fuzz/scenario_fuzz -dict=tests/fuzz/scenario.dict -runs=1000000 \
//       CORPUS_DIR scenarios tests/data/bad_scenarios
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario.hpp"

namespace {

[[noreturn]] void crash(const char* what, const std::string& detail) {
  std::fprintf(stderr, "scenario_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  std::vector<std::string> overrides;
  if (nul != std::string_view::npos) {
    std::string_view rest = input.substr(nul + 1);
    while (!rest.empty() && overrides.size() < 8) {
      const std::size_t end = rest.find('\0');
      overrides.emplace_back(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }
  pipesim::sim::Scenario scenario;
  try {
    scenario = pipesim::sim::parse_scenario_text(text, overrides, "fuzz.json", ".");
  } catch (const pipesim::sim::ScenarioError& e) {
    const std::string message = e.what();
    if (message.empty() || message.find('\0') != std::string::npos) {
      crash("error message empty or truncated by a NUL", message);
    }
    return 0;
  }
  // Accepted: the resolved scenario must serialise and read back to itself (what `pipesim run
  // DIR/scenario.json` relies on to reproduce a run).
  const std::string resolved = pipesim::sim::to_json(scenario).dump(2);
  pipesim::sim::Scenario again;
  try {
    again = pipesim::sim::parse_scenario_text(resolved, {}, "resolved.json", ".");
  } catch (const pipesim::sim::ScenarioError& e) {
    crash("the resolved scenario is rejected", e.what());
  }
  if (!(again == scenario)) crash("the resolved scenario reads back differently", resolved);
  return 0;
}
