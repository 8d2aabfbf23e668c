#!/usr/bin/env bash
# async_backing pipeline end to end: the shipped sync/async scenarios (shortened) run, hold their
# invariants, and show one parablock per 12 s (sync) vs 6 s (async). Determinism of
# polkadot-async is checked in determinism.sh.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
short=(--quiet --set duration_s=30)
"$pipesim" run scenarios/polkadot-async.json "${short[@]}" --out "$tmp/a"
"$pipesim" run scenarios/polkadot-sync.json "${short[@]}" --out "$tmp/s"
/usr/bin/python3 - "$tmp/a/summary.json" "$tmp/s/summary.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
for name, run in (("async", a), ("sync", s)):
    bad = [k for k, v in run["invariants"].items() if not v["holds"]]
    assert not bad, f"{name}: violated invariants {bad}"
    for key in ("parablock_interval_s", "relay_block_interval_s", "finality_lag_s",
                "blockspace_gas_per_relay_block", "blockspace_bytes_per_relay_block",
                "latency_candidate_authored_to_included_s", "unincluded_segment_length",
                "candidates_dropped", "candidates_backed", "candidates_included",
                "throughput_tx_per_s", "block_interval_s"):
        assert key in run["metrics"], f"{name}: no metric {key}"
assert a["metrics"]["parablock_interval_s"]["p50"] == 6.0, a["metrics"]["parablock_interval_s"]
assert s["metrics"]["parablock_interval_s"]["p50"] == 12.0, s["metrics"]["parablock_interval_s"]
assert "sync_builds_on_included_head" in s["invariants"]
PY
echo "polkadot: ok"
