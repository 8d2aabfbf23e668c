// `pipesim plot DIR [--out FIGDIR] [plot.py options]`: paper-style figures from a sweep,
// comparison, run folder or exec CSV, drawn by analysis/plot.py (Python 3 + matplotlib).
#pragma once

#include <string>

namespace pipesim {

/// The analysis/ folder holding plot.py: $PIPESIM_ANALYSIS_DIR if set and non-empty, else the
/// build-time default (the repository's analysis/ folder, compile definition
/// PIPESIM_ANALYSIS_DIR), else "analysis" relative to the working directory.
std::string analysis_dir();

/// The Python interpreter: $PIPESIM_PYTHON if set and non-empty, else /usr/bin/python3 (Debian's,
/// which sees python3-matplotlib).
std::string python_interpreter();

/// argv[0] is the subcommand name ("plot"); the other arguments are forwarded to plot.py.
/// Returns plot.py's exit code (0 figures written or skipped, 1 a figure failed, 2 usage error or
/// DIR not a pipesim output, 3 Python or matplotlib missing), 128 + signal if it was killed.
int plot_main(int argc, char** argv);

}  // namespace pipesim
