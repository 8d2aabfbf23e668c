#!/usr/bin/env bash
# Per-host speed (issue 17): on scenarios/platform-small.json the validators run on SimGrid hosts of
# different speeds (Boivin 98.095, Bourassa 48.492, Fafard 76.296 Mflop/s x nodes.speed_factor 10).
# What the pipeline reports as a block's execution time (trace span, execution_time_per_block_s)
# must be the simulated time the execution lane took on that host (received -> executed in
# blocks.csv), not the job divided by the global nodes.speed_factor; and the same block takes
# longer on a slower host, in the ratio of the host speeds.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$pipesim" run scenarios/platform-small.json --quiet --out "$tmp/run" --set duration_s=6 \
  --set outputs.trace_nodes=4
/usr/bin/python3 - "$tmp/run" <<'PY'
import csv, json, sys
run = sys.argv[1]
# Host speeds of data/platforms/small_platform.xml, validators in host-name order (Mflop/s).
speed = {0: 98.095, 1: 48.492, 2: 76.296, 3: 48.492}
stages = {}
proposer = {}
for r in csv.DictReader(open(f"{run}/blocks.csv")):
    stages[(int(r["node"]), r["block_id"], r["stage"])] = float(r["time_s"])
    proposer[r["block_id"]] = int(r["proposer"])
trace = json.load(open(f"{run}/trace.json"))["traceEvents"]
spans = [(e["pid"] - 1, e["ts"] / 1e6, (e["ts"] + e["dur"]) / 1e6) for e in trace
         if e.get("cat") == "execution" and e.get("ph") == "X"]
tol = 3e-6  # blocks.csv prints 6 decimals, the trace microseconds with 3 decimals
checked = 0
took = {}  # block -> {node: received -> executed (s)}
for (node, block, stage), executed in stages.items():
    if stage != "executed" or (node, block, "received") not in stages:
        continue
    received = stages[(node, block, "received")]
    match = [s for s in spans if s[0] == node and abs(s[2] - executed) <= tol]
    assert match, f"node {node} block {block}: no execution span ending at {executed}"
    start, end = match[0][1], match[0][2]
    assert abs((end - start) - (executed - received)) <= tol, (
        f"node {node} block {block}: span {end - start:.6f} s, but received -> executed took "
        f"{executed - received:.6f} s")
    took.setdefault(block, {})[node] = executed - received
    checked += 1
assert checked >= 8, f"only {checked} received/executed pairs"
summary = json.load(open(f"{run}/summary.json"))["metrics"]["execution_time_per_block_s"]
longest = max(t for per in took.values() for t in per.values())
assert summary["max"] >= longest - tol, (summary, longest)
# The same block on two validators of different host speed: durations in the speed ratio.
ratios = 0
for block, per in took.items():
    for a in per:
        for b in per:
            if speed[a] > speed[b] and per[a] > 1e-3:
                want = speed[a] / speed[b]
                got = per[b] / per[a]
                assert abs(got / want - 1) < 0.01, (block, a, b, per, want)
                ratios += 1
assert ratios >= 4, f"only {ratios} cross-speed comparisons"
print(f"per-host speed: ok, {checked} executions match blocks.csv, {ratios} speed ratios,"
      f" longest {longest * 1000:.2f} ms")
PY
