// Stand-alone `pipesim-exec` for testing the exec subcommand without the simulator.
#include "tools/exec_command.hpp"

int main(int argc, char** argv) {
  return pipesim::exec_main(argc, argv);
}
