#!/usr/bin/env bash
# CI smoke of the scenario fuzzer: builds scenario_fuzz with clang 14 (preset "fuzz") and runs
# 10,000 inputs from the shipped scenarios and the bad-scenario corpus (seeded: reproducible).
# A crash fails CI; libFuzzer writes the input as crash-* in the working folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --preset fuzz > /dev/null
cmake --build --preset fuzz --target scenario_fuzz
corpus=$(mktemp -d); trap 'rm -rf "$corpus"' EXIT
build/fuzz/tests/fuzz/scenario_fuzz -seed=1 -runs=10000 -max_len=65536 \
  -dict=tests/fuzz/scenario.dict "$corpus" scenarios tests/data/bad_scenarios 2>&1 | tail -3
