// Standalone `pipesim-trace-stats` (same as `pipesim trace-stats`).
#include "tools/trace_stats_command.hpp"

int main(int argc, char** argv) {
  return pipesim::trace_stats_main(argc, argv);
}
