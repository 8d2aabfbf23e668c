// `pipesim sweep SCENARIO.json [--out DIR] [-j N] [--set key=value]... [--quiet] [--emit-jobs]
//  [--timeout-s S]` and `pipesim sweep --collect DIR`: runs every point of a scenario's `sweep`
// section (tools/sweep_plan.hpp) in its own `pipesim run` process, resumable, and tabulates the
// points' summary.json metrics in DIR/sweep.csv. User reference: docs/sweeps.md.
#pragma once

namespace pipesim {

/// Entry point; argv[0] is "sweep". `self_exe` is the pipesim binary that runs each point.
/// Exit codes: 0 every point finished with its invariants holding; 1 a point failed, crashed,
/// timed out or (--collect) is missing — the others are kept and tabulated; 2 invalid scenario,
/// sweep section or usage, or DIR holds points of a different sweep (nothing written); 3 every
/// point finished but an invariant failed in at least one.
int sweep_main(int argc, char** argv, const char* self_exe);

}  // namespace pipesim
