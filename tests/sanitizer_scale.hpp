// Case counts of the randomised executor property tests under the sanitizers.
// The ASan + UBSan build (preset asan, .ci/run stage 3) defines PIPESIM_SANITIZED_TESTS
// (tests/CMakeLists.txt): there these tests run the first quarter of their random cases (the same
// prefix of the same seeded sequence, every contention level, thread count and transaction kind
// still drawn), which is enough to reach every executor path with memory and UB checks on; the
// Release build (.ci/run stage 1) runs every case. Measured 2026-12-06: the three tests were 97%
// of execution_tests' 93.5 s under ASan (6.3 s in Release).
#pragma once

namespace pipesim::test {

#ifdef PIPESIM_SANITIZED_TESTS
inline constexpr int kRandomCaseDivisor = 4;
#else
inline constexpr int kRandomCaseDivisor = 1;
#endif

}  // namespace pipesim::test
