#!/usr/bin/env bash
# Fails if a file below sim/ (models/consensus, execution, workload, network, common) includes a
# SimGrid header, or if a public header of sim/ does (pipelines must not see SimGrid).
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -rlE '#include\s*[<"](simgrid|xbt)/' models/consensus models/execution models/workload \
        models/network models/common models/pipelines sim/*.hpp sim/output 2>/dev/null || true)
if [[ -n "$bad" ]]; then
  echo "layering violation: SimGrid included in:"; echo "$bad"; exit 1
fi
echo "layering: no SimGrid include outside sim/*.cpp"
