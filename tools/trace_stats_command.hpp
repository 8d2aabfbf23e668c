// `pipesim trace-stats`: per-block statistics of a real-data access trace (transactions, gas,
// independent fraction, longest dependency chain / block size, conflict rate, exact vs derived
// key counts), from the mainnet replay (models/workload/eth_mainnet.hpp) or the EIP-7928 block
// access lists (models/workload/eth_bal.hpp).
#pragma once

namespace pipesim {

/// argv[0] is the subcommand name ("trace-stats"); options follow (see `--help`). Prints one
/// row per block and a summary to stdout. Returns 0 on success, 2 on a usage error, 1 on a data
/// error (message on stderr).
int trace_stats_main(int argc, char** argv);

}  // namespace pipesim
