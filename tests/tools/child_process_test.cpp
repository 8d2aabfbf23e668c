// tools/child_process.hpp: the environment a child simulation gets (glibc malloc tunables).
#include <doctest/doctest.h>

#include <string>

#include "tools/child_process.hpp"

using pipesim::tools::child_glibc_tunables;
using pipesim::tools::kChildMallocTunable;

TEST_CASE("child_glibc_tunables: adds transparent huge pages unless the parent chose") {
  CHECK(child_glibc_tunables(nullptr) == kChildMallocTunable);
  CHECK(child_glibc_tunables("") == kChildMallocTunable);
  CHECK(child_glibc_tunables("glibc.malloc.arena_max=2") ==
        std::string("glibc.malloc.arena_max=2:") + kChildMallocTunable);
  // An explicit choice, on or off, is kept.
  CHECK(child_glibc_tunables("glibc.malloc.hugetlb=0") == "glibc.malloc.hugetlb=0");
  CHECK(child_glibc_tunables("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2") ==
        "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2");
}
