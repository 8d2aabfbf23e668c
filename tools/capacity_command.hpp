// `pipesim capacity FILE.json [--out DIR] [-j N] [--full] [--set key=value]... [--timeout-s S]
// [--quiet]`: the capacity experiment of a scenario's `capacity` section (tools/capacity_plan.hpp):
// a load sweep per (topology, pipeline) extended until each saturates, an optional block gas
// limit sweep and one traced timeline run per pipeline at a fraction of its capacity; every point
// runs in its own `pipesim run` process through the sweep runner (resumable). Writes
// DIR/sweep.csv (every point), DIR/capacity.csv, DIR/capacity.md and DIR/gas_limit.csv.
// User reference: docs/capacity.md.
#pragma once

namespace pipesim {

/// Entry point; argv[0] is "capacity". Exit codes: 0 done, every series saturated inside its
/// range; 1 a point failed, or a series did not saturate within its extensions (the tables are
/// written and say so); 2 invalid file, section or usage (nothing written); 3 an invariant
/// was violated in a point.
int capacity_main(int argc, char** argv, const char* self_exe);

}  // namespace pipesim
