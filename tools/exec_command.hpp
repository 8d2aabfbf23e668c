// `pipesim exec`: runs one executor over a generated block (no network) and prints its speedup
// over Sequential, incarnations per transaction, aborts and makespan; `--sweep` prints tables
// over threads x accounts for every parallel executor (every name of
// execution::executor_names()); `--csv FILE` writes the results machine-readably (read by
// analysis/plot.py for the speedup figure).
#pragma once

namespace pipesim {

/// argv[0] is the subcommand name ("exec"); options follow (see `pipesim exec --help`).
/// Returns 0 on success, 2 on a usage error (message on stderr).
int exec_main(int argc, char** argv);

}  // namespace pipesim
