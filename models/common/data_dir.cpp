#include "models/common/data_dir.hpp"

#include <cstdlib>

namespace pipesim {

std::string data_dir() {
  if (const char* env = std::getenv("PIPESIM_DATA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef PIPESIM_DATA_DIR
  return PIPESIM_DATA_DIR;
#else
  return "data";
#endif
}

}  // namespace pipesim
