// The metric catalogue (models/pipelines/kernel/metrics.hpp) against the documentation and the
// pinned golden summaries: every catalogued metric has a row in docs/metrics.md, and every
// metric of every golden summary is catalogued, for its pipeline, with the same unit.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "models/pipelines/kernel/metrics.hpp"
#include "sim/scenario.hpp"

namespace fs = std::filesystem;
using pipesim::pipelines::find_metric;
using pipesim::pipelines::metric_catalogue;
using pipesim::pipelines::reported_by;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in.good(), "cannot read " << p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("metric catalogue: names are unique and match themselves") {
  std::set<std::string> names;
  for (const auto& m : metric_catalogue()) {
    CHECK_MESSAGE(names.insert(std::string(m.name)).second, "duplicate " << m.name);
    CHECK(!m.pipelines.empty());
  }
  CHECK(find_metric("parablock_interval_s_para12") != nullptr);
  CHECK(find_metric("parablock_interval_s_para") == nullptr);
  CHECK(find_metric("parablock_interval_s_parax") == nullptr);
  CHECK(find_metric("no_such_metric") == nullptr);
  const auto* m = find_metric("final_round");
  REQUIRE(m != nullptr);
  CHECK(reported_by(*m, "interleaved"));
  CHECK(!reported_by(*m, "async_backing"));
}

TEST_CASE("metric catalogue: every metric has a row in docs/metrics.md") {
  const std::string doc = slurp("docs/metrics.md");
  // The names written in backquotes in the doc's tables.
  std::set<std::string> documented;
  const std::regex code("`([a-z0-9_<>]+)`");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), code); it != std::sregex_iterator();
       ++it) {
    documented.insert((*it)[1].str());
  }
  for (const auto& m : metric_catalogue()) {
    CHECK_MESSAGE(documented.count(std::string(m.name)) == 1,
                  "metric " << m.name << " is not documented in docs/metrics.md");
  }
}

TEST_CASE("metric catalogue: every golden summary metric is catalogued with its unit") {
  std::size_t checked = 0;
  for (const auto& entry : fs::directory_iterator("tests/golden/scenarios")) {
    if (entry.path().extension() != ".json") continue;
    const auto scenario = pipesim::sim::load_scenario(entry.path().string());
    const std::string kind = scenario.pipeline.kind;
    const fs::path expected =
        fs::path("tests/golden/expected") / (entry.path().stem().string() + ".txt");
    std::istringstream lines(slurp(expected));
    const std::regex unit_line(R"re(^metrics\.([a-z0-9_]+)\.unit = "(.*)"$)re");
    const std::regex any_line(R"(^metrics\.([a-z0-9_]+)[ .])");
    std::string line;
    while (std::getline(lines, line)) {
      std::smatch m;
      if (!std::regex_search(line, m, any_line)) continue;
      const std::string name = m[1];
      const auto* info = find_metric(name);
      CHECK_MESSAGE(info != nullptr, name << " (" << expected << ") is not in the catalogue");
      if (info == nullptr) continue;
      CHECK_MESSAGE(reported_by(*info, kind), name << " is not catalogued for " << kind);
      if (std::regex_match(line, m, unit_line)) {
        CHECK_MESSAGE(info->unit == m[2].str(),
                      name << ": unit " << m[2] << " vs catalogue " << info->unit);
        ++checked;
      }
    }
  }
  CHECK(checked > 100);
}
