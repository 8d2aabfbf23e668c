// `pipesim exec --mainnet`: runs an executor over each recorded mainnet block alone (no
// network) and prints, per block, transactions, gas, trace kind (exact or approximated),
// Sequential's and the executor's virtual time, speedup and incarnations per transaction, then
// the mean and median speedup and sum(sequential) / sum(executor). Columns: docs/plots.md.
#pragma once

namespace pipesim {

/// argv[0] is the subcommand name ("exec"); "--mainnet" and the options of `pipesim exec
/// --mainnet --help` follow. Returns 0 on success, 1 if an executor disagrees with Sequential
/// or a file cannot be written, 2 on a usage error (message on stderr).
int exec_mainnet_main(int argc, char** argv);

}  // namespace pipesim
