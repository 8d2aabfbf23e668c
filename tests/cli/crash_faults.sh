#!/usr/bin/env bash
# f = 2 of 7 validators crashed at 2 s (both lead rounds regularly): progress continues through
# timeout certificates, and the invariants hold.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$pipesim" run scenarios/minimal.json --quiet --out "$tmp/run" --set network.validators=7 \
  --set 'faults.crashed=[1,4]' --set faults.crash_at_s=2 --set duration_s=30 \
  --set consensus.round_timeout_ms=1500
/usr/bin/python3 - "$tmp/run/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
m = s["metrics"]
assert s["invariants_hold"], s["invariants"]
assert m["blocks_committed"]["value"] >= 5, m["blocks_committed"]
assert m["rounds_entered_via_tc"]["value"] >= 1, "crashed leaders must cause timeouts"
print("crash faults: ok,", m["blocks_committed"]["value"], "blocks,",
      m["rounds_entered_via_tc"]["value"], "rounds via TC")
PY
