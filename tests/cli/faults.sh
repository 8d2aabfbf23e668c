#!/usr/bin/env bash
# The fault schedule (docs/faults.md): each kind's effect on a small HotStuff run, the summary's
# faults / liveness sections, block sync after a recovery, loss of liveness beyond f, validation
# errors with the JSON path, and determinism of a lossy run.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run() {  # run NAME SCENARIO [--set ...]: runs into $tmp/NAME
  local name=$1 file=$2; shift 2
  "$pipesim" run "$file" --quiet --out "$tmp/$name" --set duration_s=20 --set outputs.trace_nodes=7 "$@"
}
for kind in crash-recover partition loss class-loss delay slow; do
  run "$kind" "scenarios/faults/$kind.json"
done
# f + 1 = 3 of 7 crashed for good: no quorum, the run must say it stopped making progress.
run beyond_f scenarios/faults/crash-recover.json \
  --set 'faults=[{"kind":"crash","nodes":[1,3,5],"at_s":4}]'
# propagation: a source down at time 0 and a short run are not safety violations (exit 0).
"$pipesim" run scenarios/minimal.json --quiet --out "$tmp/prop" --set pipeline.kind=propagation \
  --set pipeline.propagation_sources=2 --set 'faults=[{"kind":"crash","nodes":[0],"at_s":0}]' \
  --set duration_s=0.01
# Determinism: the lossy run again gives byte-identical outputs.
run loss_again scenarios/faults/loss.json
cmp "$tmp/loss/summary.json" "$tmp/loss_again/summary.json"
cmp "$tmp/loss/trace.json" "$tmp/loss_again/trace.json"
# Validation: a key of another kind, an inverted interval, a recover without crash (exit 2).
expect_error() {  # expect_error MESSAGE --set ...
  local msg=$1; shift
  set +e
  out=$("$pipesim" validate scenarios/minimal.json "$@" 2>&1); rc=$?
  set -e
  [[ $rc == 2 ]] || { echo "expected exit 2, got $rc: $out"; exit 1; }
  grep -qF "$msg" <<<"$out" || { echo "expected '$msg' in: $out"; exit 1; }
}
expect_error 'faults.events[0].extra_ms' --set 'faults=[{"kind":"loss","probability":0.1,"extra_ms":5}]'
expect_error 'faults.events[0].until_s' --set 'faults=[{"kind":"delay","extra_ms":5,"from_s":3,"until_s":2}]'
expect_error 'faults.events[0].nodes' --set 'faults=[{"kind":"recover","nodes":[1],"at_s":2}]'
expect_error 'faults.events[0].groups[1][0]' --set 'faults=[{"kind":"partition","groups":[[0,1],[1]]}]'

/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
def load(run, name):
    return json.load(open(f"{tmp}/{run}/summary.json"))
def trace_names(run, name):
    return {e.get("name") for e in json.load(open(f"{tmp}/{run}/trace.json"))["traceEvents"]
            if e.get("ph") == "i"}

for run, name in [("crash-recover", "faults-crash-recover"), ("partition", "faults-partition"),
                  ("loss", "faults-loss"), ("class-loss", "faults-class-loss"),
                  ("delay", "faults-delay"), ("slow", "faults-slow")]:
    s = load(run, name)
    assert s["invariants_hold"], (run, s["invariants"])
    assert s["liveness"]["commits"] > 0, (run, s["liveness"])
    assert not s["liveness"]["progress_stopped"], (run, s["liveness"])

s = load("crash-recover", "faults-crash-recover")
r = s["liveness"]["recoveries"][0]
assert r["node"] == 2 and r["caught_up"] and r["catch_up_s"] is not None, r
assert s["metrics"]["blocks_received_by_sync"]["value"] > 0, s["metrics"]
assert [e["kind"] for e in s["faults"]["events"]] == ["crash", "recover"], s["faults"]
assert {"crash", "recover"} <= trace_names("crash-recover", "faults-crash-recover")
print("crash-recover: catch-up", r["catch_up_s"], "s,",
      s["metrics"]["blocks_received_by_sync"]["value"], "blocks by sync")

s = load("partition", "faults-partition")
p = s["faults"]["events"][0]
assert p["messages_dropped"] > 0, p
h = s["liveness"]["partitions_healed"][0]
assert h["recovered"], h
# The 4 | 3 split leaves no side with a quorum of 5: no commit during the 7 s partition.
assert s["liveness"]["longest_gap_without_commits_s"] >= 6.5, s["liveness"]
assert {"partition starts", "partition ends"} <= trace_names("partition", "faults-partition")
print("partition: dropped", p["messages_dropped"], "recovery", h["recovery_s"], "s, gap",
      s["liveness"]["longest_gap_without_commits_s"], "s")

for run, name in [("loss", "faults-loss"), ("class-loss", "faults-class-loss")]:
    s = load(run, name)
    e = s["faults"]["events"][0]
    assert e["messages_dropped"] > 0, (run, e)
    print(run + ": dropped", e["messages_dropped"], "rounds via TC",
          s["metrics"]["rounds_entered_via_tc"]["value"])

s = load("delay", "faults-delay")
assert s["faults"]["events"][0]["messages_delayed"] > 0
assert s["metrics"]["rounds_entered_via_tc"]["value"] >= 1, "a 2 s delay must time rounds out"
s = load("slow", "faults-slow")
assert s["faults"]["events"][0]["messages_delayed"] > 0

s = load("beyond_f", "faults-crash-recover")
assert s["faults"]["crashed_exceed_f"], s["faults"]
assert s["liveness"]["progress_stopped"], s["liveness"]
assert s["invariants_hold"], s["invariants"]
print("beyond f: progress_stopped, last commit", s["liveness"]["last_commit_s"], "s")

s = json.load(open(f"{tmp}/prop/summary.json"))
assert s["invariants_hold"] and s["metrics"]["blocks_broadcast"]["value"] == 1, s["metrics"]
print("faults: ok")
PY
