// `pipesim compare COMPARISON.json [--out DIR] [-j N]`: one scenario under several variants
// (e.g. the interleaved and async_execution pipelines on the same network and workload), each run
// in its own process (SimGrid allows one engine per process), then one side-by-side table.
#pragma once

namespace pipesim {

/// Entry point; argv[0] is "compare". `self_exe` is the pipesim binary that runs each variant.
/// Exit codes: 0 all variants ran; 1 a variant failed (the others' results are kept and
/// reported); 2 invalid comparison file or usage (nothing run).
int compare_main(int argc, char** argv, const char* self_exe);

}  // namespace pipesim
