#include "tools/sweep_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "sim/output/csv.hpp"

namespace pipesim::sweep {
namespace {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw SweepError(path + ": " + message);
}

std::string show(const ojson& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

/// Reads `sweep.<section>`: {"key.path": [values...], ...} in file order.
std::vector<Axis> read_axes(const ojson& obj, const std::string& section) {
  const std::string path = "sweep." + section;
  if (!obj.is_object()) {
    fail(path, fmt::format("value {} has the wrong type ({}), expected an object {{\"key.path\": "
                           "[values...]}}",
                           show(obj), obj.type_name()));
  }
  std::vector<Axis> axes;
  for (const auto& [key, values] : obj.items()) {
    const std::string kpath = path + "." + key;
    if (key.empty() || key.front() == '.' || key.back() == '.' ||
        key.find("..") != std::string::npos) {
      fail(kpath, "is not a dotted scenario key path, expected e.g. \"pipeline.d_lag\"");
    }
    if (key == "seed") {
      fail(kpath, "the seed is swept with sweep.seeds, expected another key path");
    }
    if (key == "sweep" || key.rfind("sweep.", 0) == 0) {
      fail(kpath, "the sweep section cannot be swept, expected a scenario key path");
    }
    if (!values.is_array() || values.empty()) {
      fail(kpath, fmt::format("value {} is not a non-empty array, expected the list of values "
                              "to sweep",
                              show(values)));
    }
    axes.push_back({key, std::vector<ojson>(values.begin(), values.end())});
  }
  return axes;
}

std::vector<std::uint64_t> read_seeds(const ojson& v) {
  const std::string path = "sweep.seeds";
  const auto is_uint = [](const ojson& x) {
    return x.is_number_unsigned() || (x.is_number_integer() && x.get<std::int64_t>() >= 0);
  };
  std::vector<std::uint64_t> seeds;
  if (v.is_number()) {
    if (!v.is_number_integer() || !is_uint(v) || v.get<std::uint64_t>() < 1 ||
        v.get<std::uint64_t>() > 100000) {
      fail(path, fmt::format("value {} is out of range, expected an integer in [1, 100000] "
                             "(seeds 1..N) or an array of seeds",
                             show(v)));
    }
    for (std::uint64_t s = 1; s <= v.get<std::uint64_t>(); ++s) seeds.push_back(s);
    return seeds;
  }
  if (!v.is_array() || v.empty()) {
    fail(path, fmt::format("value {} has the wrong type, expected an integer N (seeds 1..N) or "
                           "a non-empty array of integers >= 0",
                           show(v)));
  }
  std::set<std::uint64_t> seen;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string epath = fmt::format("{}[{}]", path, i);
    if (!is_uint(v[i])) fail(epath, fmt::format("value {} is not an integer >= 0", show(v[i])));
    const std::uint64_t s = v[i].get<std::uint64_t>();
    if (!seen.insert(s).second) {
      fail(epath, fmt::format("value {} is listed twice, expected distinct seeds", s));
    }
    seeds.push_back(s);
  }
  return seeds;
}

}  // namespace

std::vector<std::string> Point::assignments() const {
  std::vector<std::string> out;
  for (const auto& [path, value] : params.items()) out.push_back(path + "=" + value.dump());
  out.push_back("seed=" + std::to_string(seed));
  return out;
}

ojson Point::to_json() const {
  ojson j = ojson::object();
  j["point"] = id;
  j["index"] = index;
  j["params"] = params;
  j["seed"] = seed;
  if (!labels.empty()) j["labels"] = labels;
  return j;
}

SweepSpec parse_sweep(const ojson& section) {
  if (!section.is_object()) {
    fail("sweep", fmt::format("value {} has the wrong type ({}), expected an object with grid, "
                              "zip and/or seeds",
                              show(section), section.type_name()));
  }
  SweepSpec spec;
  for (const auto& [key, value] : section.items()) {
    if (key == "name") {
      if (!value.is_string() || value.get<std::string>().empty() ||
          value.get<std::string>().find('/') != std::string::npos) {
        fail("sweep.name",
             fmt::format("value {} is not a non-empty string without '/'", show(value)));
      }
      spec.name = value.get<std::string>();
    } else if (key == "description") {
      if (!value.is_string()) fail("sweep.description", "expected a string");
    } else if (key == "grid") {
      spec.grid = read_axes(value, "grid");
    } else if (key == "zip") {
      spec.zip = read_axes(value, "zip");
    } else if (key == "seeds") {
      spec.seeds = read_seeds(value);
    } else {
      fail("sweep." + key, "unknown key, allowed keys: name, description, grid, zip, seeds");
    }
  }
  for (const Axis& z : spec.zip) {
    if (z.values.size() != spec.zip.front().values.size()) {
      fail("sweep.zip." + z.path,
           fmt::format("has {} values but sweep.zip.{} has {}, expected zipped lists of equal "
                       "length",
                       z.values.size(), spec.zip.front().path, spec.zip.front().values.size()));
    }
    for (const Axis& g : spec.grid) {
      if (g.path == z.path) {
        fail("sweep.zip." + z.path, "is also in sweep.grid, expected each key path swept once");
      }
    }
  }
  std::size_t total = spec.seeds.empty() ? 1 : spec.seeds.size();
  for (const Axis& g : spec.grid) total *= g.values.size();
  if (!spec.zip.empty()) total *= spec.zip.front().values.size();
  if (total > 1'000'000) {
    fail("sweep", fmt::format("expands to {} points, expected at most 1000000", total));
  }
  return spec;
}

std::string point_id(std::size_t i, std::size_t total) {
  const std::size_t last = total == 0 ? 0 : total - 1;
  const std::size_t width = std::max<std::size_t>(4, std::to_string(last).size());
  return fmt::format("p{:0{}}", i, width);
}

std::vector<Point> expand(const SweepSpec& spec, std::uint64_t scenario_seed) {
  const std::vector<std::uint64_t> seeds =
      spec.seeds.empty() ? std::vector<std::uint64_t>{scenario_seed} : spec.seeds;
  const std::size_t zip_len = spec.zip.empty() ? 1 : spec.zip.front().values.size();
  std::size_t grid_size = 1;
  for (const Axis& g : spec.grid) grid_size *= g.values.size();
  const std::size_t total = grid_size * zip_len * seeds.size();
  std::vector<Point> points;
  points.reserve(total);
  for (std::size_t g = 0; g < grid_size; ++g) {
    // Mixed-radix digits of g, the last axis fastest.
    std::vector<std::size_t> digit(spec.grid.size());
    std::size_t rest = g;
    for (std::size_t a = spec.grid.size(); a-- > 0;) {
      digit[a] = rest % spec.grid[a].values.size();
      rest /= spec.grid[a].values.size();
    }
    for (std::size_t z = 0; z < zip_len; ++z) {
      for (std::uint64_t seed : seeds) {
        Point p;
        p.index = points.size();
        p.id = point_id(p.index, total);
        for (std::size_t a = 0; a < spec.grid.size(); ++a) {
          p.params[spec.grid[a].path] = spec.grid[a].values[digit[a]];
        }
        for (const Axis& axis : spec.zip) p.params[axis.path] = axis.values[z];
        p.seed = seed;
        points.push_back(std::move(p));
      }
    }
  }
  return points;
}

std::vector<sim::Scenario> resolve_points(const json& base_doc, const std::string& base_dir,
                                          const std::vector<Point>& points) {
  json base = base_doc;
  if (base.is_object()) base.erase("sweep");
  std::vector<sim::Scenario> out;
  out.reserve(points.size());
  for (const Point& p : points) {
    json doc = base;
    try {
      for (const auto& a : p.assignments()) sim::apply_override(doc, a);
      out.push_back(sim::parse_scenario(doc, base_dir));
    } catch (const sim::ScenarioError& e) {
      std::vector<std::string> shown;
      for (const auto& [path, value] : p.params.items()) {
        shown.push_back(path + "=" + show(value));
      }
      shown.push_back(fmt::format("seed={}", p.seed));
      throw SweepError(fmt::format("point {} ({}): {}", p.id, fmt::join(shown, ", "), e.what()));
    }
  }
  return out;
}

std::map<std::string, std::string> metric_cells(const json& metrics) {
  std::map<std::string, std::string> cells;
  if (!metrics.is_object()) return cells;
  const auto text = [](const json& v) -> std::string {
    if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
    if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
    if (v.is_number_float()) return sim::output::format_double(v.get<double>());
    return "";  // null: no value
  };
  const auto numeric = [](const json& o, const char* key) {
    return o.contains(key) && (o[key].is_number() || o[key].is_null());
  };
  for (const auto& [name, m] : metrics.items()) {
    if (!m.is_object()) continue;
    const std::string unit =
        m.contains("unit") && m["unit"].is_string() ? m["unit"].get<std::string>() : "";
    if (m.contains("value") && m["value"].is_number()) {
      cells[fmt::format("{}[{}]", name, unit)] = text(m["value"]);
    } else if (numeric(m, "count") && numeric(m, "mean") && numeric(m, "p50") &&
               numeric(m, "p90") && numeric(m, "p99")) {
      cells[name + ".count[count]"] = text(m["count"]);
      for (const char* field : {"mean", "p50", "p90", "p99"}) {
        cells[fmt::format("{}.{}[{}]", name, field, unit)] = text(m[field]);
      }
    }
  }
  return cells;
}

std::string param_cell(const ojson& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

}  // namespace pipesim::sweep
