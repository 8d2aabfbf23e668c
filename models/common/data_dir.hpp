// Where the data shipped with the repository lives (latency presets, mainnet blocks, platforms).
#pragma once

#include <string>

namespace pipesim {

/// The data/ folder: $PIPESIM_DATA_DIR if set and non-empty, else the build-time default (the
/// repository's data/ folder, compile definition PIPESIM_DATA_DIR on models_common), else
/// "data" relative to the working directory.
std::string data_dir();

}  // namespace pipesim
