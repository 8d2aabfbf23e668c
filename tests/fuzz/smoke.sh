#!/usr/bin/env bash
# CI smoke of the scenario fuzzer: 10,000 inputs from the shipped scenarios and the bad-scenario
# corpus (seeded: reproducible). A crash fails CI; libFuzzer writes the input as crash-* in the
# working folder.
#   bash tests/fuzz/smoke.sh             builds scenario_fuzz with preset "fuzz" (clang 14), runs it
#   bash tests/fuzz/smoke.sh build/asan  runs the one the clang sanitizer build made (.ci/run)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-}
if [[ -z $build ]]; then
  cmake --preset fuzz > /dev/null
  cmake --build --preset fuzz --target scenario_fuzz
  build=build/fuzz
fi
fuzzer=$build/tests/fuzz/scenario_fuzz
if [[ ! -x $fuzzer ]]; then
  echo "smoke.sh: $fuzzer not found (configure that build with clang: cmake --preset asan)" >&2
  exit 2
fi
corpus=$(mktemp -d); trap 'rm -rf "$corpus"' EXIT
"$fuzzer" -seed=1 -runs=10000 -max_len=65536 \
  -dict=tests/fuzz/scenario.dict "$corpus" scenarios tests/data/bad_scenarios 2>&1 | tail -3
