// Flag parsing shared by `pipesim exec` (tools/exec_command.cpp) and `pipesim exec --mainnet`
// (tools/exec_mainnet.cpp): the walk over the arguments, integers, non-negative numbers and the
// cost-model flags
// (--preset NAME, --tier T, --cost KEY=V). One implementation, so both subcommands accept the
// same values and print the same errors. Unit-tested in tests/tools/exec_flags_test.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "models/execution/cost_model.hpp"
#include "models/execution/executor.hpp"

namespace pipesim::exec_flags {

/// Walks a subcommand's arguments argv[1..argc) one flag at a time. "--flag=value" and
/// "--flag value" are the same flag and value.
class FlagWalker {
 public:
  FlagWalker(int argc, char** argv) : argc_(argc), argv_(argv) {}
  /// Moves to the next argument; false when there is none.
  bool next();
  /// The current argument, without its "=value" part.
  const std::string& flag() const { return flag_; }
  /// The current flag's value: its "=value" part, else the next argument (consumed). Throws
  /// std::invalid_argument "<flag>: missing value" when there is neither.
  std::string value();
  /// For a switch (a flag without a value): throws std::invalid_argument "<flag>: takes no
  /// value (got '<value>')" when it was given as "--flag=value".
  void no_value() const;

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
  std::string flag_;
  std::string inline_value_;
  bool has_inline_value_ = false;
};

/// The flags both subcommands take, with their defaults.
struct ExecutorFlags {
  std::string executor = "block_stm";  // --executor NAME (validated by make_executor)
  std::uint32_t threads = 8;           // --threads N >= 1
  std::uint32_t batch = 0;             // --batch N: Batch OCC transactions per round (0 = threads)
  execution::OccFormation formation = execution::OccFormation::kIndexWindow;  // --formation
  bool eager = false;         // --eager: beneficiary credited in every transaction
  bool root = false;          // --root: compute the state root
  std::string csv;            // --csv FILE (empty: no CSV)
  execution::CostModel cost;  // --preset, --tier, --cost
};

/// Applies `args`' current flag to `flags` if it is one of ExecutorFlags' (consuming its value);
/// false otherwise. Throws std::invalid_argument as parse_uint, FlagWalker::value/no_value,
/// require_occ_formation and apply_cost_flag do.
bool apply_executor_flag(ExecutorFlags& flags, FlagWalker& args);

/// `v` as an integer >= min; throws std::invalid_argument "<flag>: '<v>' is not an integer >=
/// <min>" otherwise.
std::uint64_t parse_uint(const std::string& flag, const std::string& v, std::uint64_t min);

/// `v` as a finite number >= 0; throws std::invalid_argument "<flag>: '<v>' is not a number >=
/// 0" otherwise.
double parse_double(const std::string& flag, const std::string& v);

/// True for the cost-model flags: "--preset", "--tier", "--cost".
bool is_cost_flag(std::string_view flag);

/// Applies one cost-model flag to `cost` (flags apply in command-line order):
///   --preset NAME  replaces `cost` by the named preset (cost_model_preset_names()), keeping
///                  async_io if it was already set;
///   --tier T       state_tier = memory | page_cache | disk;
///   --cost KEY=V   one key: a numeric key of cost_model_numeric_keys(), memory_cache_bytes,
///                  state_tier (as --tier), async_io or parallel_commitment (true | false).
/// Throws std::invalid_argument naming the flag and the bad value, e.g. "--tier: 'ssd' is not
/// memory, page_cache or disk", "--cost: unknown key 'foo'". Precondition: is_cost_flag(flag).
void apply_cost_flag(execution::CostModel& cost, std::string_view flag, const std::string& value);

}  // namespace pipesim::exec_flags
