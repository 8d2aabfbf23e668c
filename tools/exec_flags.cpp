#include "tools/exec_flags.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace pipesim::exec_flags {

namespace ex = execution;

bool FlagWalker::next() {
  if (++i_ >= argc_) return false;
  flag_ = argv_[i_];
  has_inline_value_ = false;
  inline_value_.clear();
  if (const auto eq = flag_.find('='); flag_.rfind("--", 0) == 0 && eq != std::string::npos) {
    inline_value_ = flag_.substr(eq + 1);
    flag_.resize(eq);
    has_inline_value_ = true;
  }
  return true;
}

std::string FlagWalker::value() {
  if (has_inline_value_) return inline_value_;
  if (i_ + 1 >= argc_) throw std::invalid_argument(flag_ + ": missing value");
  return argv_[++i_];
}

bool apply_executor_flag(ExecutorFlags& flags, FlagWalker& args) {
  const std::string& arg = args.flag();
  if (arg == "--executor") {
    flags.executor = args.value();
  } else if (arg == "--threads") {
    flags.threads = static_cast<std::uint32_t>(parse_uint(arg, args.value(), 1));
  } else if (arg == "--batch") {
    flags.batch = static_cast<std::uint32_t>(parse_uint(arg, args.value(), 1));
  } else if (arg == "--formation") {
    flags.formation = ex::require_occ_formation("--formation", args.value());
  } else if (arg == "--eager") {
    args.no_value();
    flags.eager = true;
  } else if (arg == "--root") {
    args.no_value();
    flags.root = true;
  } else if (arg == "--csv") {
    flags.csv = args.value();
  } else if (is_cost_flag(arg)) {
    apply_cost_flag(flags.cost, arg, args.value());
  } else {
    return false;
  }
  return true;
}

void FlagWalker::no_value() const {
  if (has_inline_value_)
    throw std::invalid_argument(flag_ + ": takes no value (got '" + inline_value_ + "')");
}

std::uint64_t parse_uint(const std::string& flag, const std::string& v, std::uint64_t min) {
  std::size_t used = 0;
  unsigned long long x = 0;
  try {
    x = std::stoull(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty() || v[0] == '-' || x < min)
    throw std::invalid_argument(flag + ": '" + v + "' is not an integer >= " + std::to_string(min));
  return x;
}

double parse_double(const std::string& flag, const std::string& v) {
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty() || !(x >= 0) || !std::isfinite(x))
    throw std::invalid_argument(flag + ": '" + v + "' is not a number >= 0");
  return x;
}

bool is_cost_flag(std::string_view flag) {
  return flag == "--preset" || flag == "--tier" || flag == "--cost";
}

namespace {

ex::StorageTier require_tier(const std::string& flag, const std::string& v) {
  if (auto t = ex::parse_storage_tier(v)) return *t;
  throw std::invalid_argument(flag + ": '" + v + "' is not memory, page_cache or disk");
}

/// --cost KEY=VALUE: sets one field of the cost model.
void set_cost_key(ex::CostModel& c, const std::string& kv) {
  const auto eq = kv.find('=');
  if (eq == std::string::npos)
    throw std::invalid_argument("--cost: expected KEY=VALUE, got '" + kv + "'");
  const std::string key = kv.substr(0, eq);
  const std::string val = kv.substr(eq + 1);
  if (key == "async_io") {
    if (val != "true" && val != "false")
      throw std::invalid_argument("--cost async_io: '" + val + "' is not true or false");
    c.async_io = val == "true";
    return;
  }
  if (key == "parallel_commitment") {
    if (val != "true" && val != "false")
      throw std::invalid_argument("--cost parallel_commitment: '" + val + "' is not true or false");
    c.parallel_commitment = val == "true";
    return;
  }
  if (key == "state_tier") {
    c.state_tier = require_tier("--cost state_tier", val);
    return;
  }
  if (key == "memory_cache_bytes") {
    // A number (1e9 accepted), truncated to whole bytes.
    c.memory_cache_bytes = static_cast<std::uint64_t>(parse_double("--cost " + key, val));
    return;
  }
  for (const ex::CostKey& k : ex::cost_model_numeric_keys()) {
    if (key == k.name) {
      c.*k.field = parse_double("--cost " + key, val);
      return;
    }
  }
  throw std::invalid_argument("--cost: unknown key '" + key +
                              "' (keys: docs/scenario.md, pipeline.cost_model)");
}

}  // namespace

void apply_cost_flag(ex::CostModel& cost, std::string_view flag, const std::string& value) {
  if (flag == "--preset") {
    auto p = ex::cost_model_preset(value);
    if (!p) {
      std::string names;
      for (const std::string& n : ex::cost_model_preset_names())
        names += (names.empty() ? "" : ", ") + n;
      throw std::invalid_argument("--preset: unknown preset '" + value + "' (presets: " + names +
                                  ")");
    }
    const bool async = cost.async_io;
    cost = *p;
    cost.async_io = cost.async_io || async;
  } else if (flag == "--tier") {
    cost.state_tier = require_tier("--tier", value);
  } else if (flag == "--cost") {
    set_cost_key(cost, value);
  } else {
    throw std::invalid_argument("unknown cost-model flag '" + std::string(flag) + "'");
  }
}

}  // namespace pipesim::exec_flags
