#!/usr/bin/env bash
# Every shipped scenario validates (opens each referenced data file, bounds resources). Release
# only (label `long`): under the sanitizers this loop was most of the smoke set's time (13 s of
# cli_bad_input), and the loaders it exercises are unit-tested there (tests/workload).
set -euo pipefail
pipesim=$1
for s in scenarios/*.json scenarios/propagation/*.json; do
  "$pipesim" validate "$s" >/dev/null || { echo "validate failed: $s"; exit 1; }
done
echo "validate shipped scenarios: ok"
