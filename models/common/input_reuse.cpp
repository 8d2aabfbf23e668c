#include "models/common/input_reuse.hpp"

namespace pipesim {
namespace {
bool g_input_reuse = false;
}  // namespace

void enable_input_reuse() noexcept {
  g_input_reuse = true;
}

bool input_reuse_enabled() noexcept {
  return g_input_reuse;
}

}  // namespace pipesim
