// doctest's implementation and main(), compiled once and linked into every test executable
// (tests/CMakeLists.txt: pipesim_doctest_main) instead of once per executable.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
