// Flag parsing shared by `pipesim exec` (tools/exec_command.cpp) and `pipesim exec --mainnet`
// (tools/exec_mainnet.cpp): integers, non-negative numbers and the cost-model flags
// (--preset NAME, --tier T, --cost KEY=V). One implementation, so both subcommands accept the
// same values and print the same errors. Unit-tested in tests/tools/exec_flags_test.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "models/execution/cost_model.hpp"

namespace pipesim::exec_flags {

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
