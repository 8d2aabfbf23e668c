// `pipesim calibrate`: fits the cost model's CPU constants by least squares (Eigen) to
// published sequential block execution times (data/calibration/pevm_sequential.csv: pevm on an
// i9-12900K, state in memory) and writes the calibration report (docs/calibration.md): the
// fitted constants, R², and per-block relative errors with their median and 90th percentile.
// Only sequential times are fitted; parallel speedups are the executors' prediction.
#pragma once

namespace pipesim {

/// argv[0] is "calibrate". Exit codes: 0 success; 1 runtime failure; 2 usage error.
int calibrate_main(int argc, char** argv);

}  // namespace pipesim
