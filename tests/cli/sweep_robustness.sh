#!/usr/bin/env bash
# pipesim sweep under damage and signals (issue 15):
#  - a corrupt point summary.json is not a finished point: the sweep names the file and runs the
#    point again; --collect names the file and reports the point "corrupt_summary";
#  - SIGINT to the sweep: running points are recorded "interrupted" (not "failed"), the sweep
#    exits 130, and the next sweep finishes them;
#  - SIGKILL to the sweep: its children die with it (no orphan simulation keeps running).
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/stderr" 2> /dev/null || true; exit 1; }
cat > "$tmp/s.json" <<JSON
{"name": "tiny", "duration_s": 3,
 "network": {"validators": 4, "latency": {"model": "constant", "constant_ms": 50}},
 "sweep": {"grid": {"consensus.block_time_ms": [200, 500]}}}
JSON
out=$tmp/out
"$pipesim" sweep "$tmp/s.json" --out "$out" --quiet 2> "$tmp/stderr" || fail "first sweep"

# Corrupt summary: collect names it, a rerun runs the point again.
echo '{"metrics": {' > "$out/points/p0001/summary.json"
set +e
"$pipesim" sweep --collect "$out" > /dev/null 2> "$tmp/stderr"
code=$?
set -e
[[ $code -eq 1 ]] || fail "--collect with a corrupt summary: expected exit 1, got $code"
grep -qF "$out/points/p0001/summary.json is not valid JSON" "$tmp/stderr" || fail "file not named"
grep -q "^p0001,corrupt_summary," "$out/sweep.csv" || fail "status not corrupt_summary"
"$pipesim" sweep "$tmp/s.json" --out "$out" 2> "$tmp/stderr" > /dev/null || fail "rerun"
grep -q "p0001/summary.json is not valid JSON.*; point p0001 runs again" "$tmp/stderr" \
  || fail "rerun did not name the corrupt file"
grep -q "1 already finished, 1 to run" "$tmp/stderr" || fail "rerun did not rerun p0001"
[[ $(grep -c ",ok," "$out/sweep.csv") -eq 2 ]] || fail "rerun: not every point ok"

# SIGINT: points interrupted, not failed; the next sweep completes them.
cat > "$tmp/long.json" <<JSON
{"name": "long", "duration_s": 100000, "workload": {"tps": 10},
 "network": {"validators": 4, "latency": {"model": "constant", "constant_ms": 50}},
 "outputs": {"trace": false}, "sweep": {"seeds": 2}}
JSON
"$pipesim" sweep "$tmp/long.json" --out "$tmp/long" -j 2 --quiet 2> "$tmp/stderr" &
sweep_pid=$!
for _ in $(seq 200); do
  [[ -f $tmp/long/points/p0000/INCOMPLETE && -f $tmp/long/points/p0001/INCOMPLETE ]] && break
  sleep 0.05
done
kill -INT "$sweep_pid"
set +e; wait "$sweep_pid"; code=$?; set -e
[[ $code -eq 130 ]] || fail "SIGINT: expected exit 130, got $code"
for p in p0000 p0001; do
  grep -q "^status: interrupted" "$tmp/long/points/$p/error.txt" || fail "$p not interrupted"
  [[ ! -e $tmp/long/points/$p/summary.json ]] || fail "$p has a summary"
done
grep -q "^p0000,interrupted," "$tmp/long/sweep.csv" || fail "sweep.csv: not interrupted"

# SIGKILL to the sweep: no orphan.
"$pipesim" sweep "$tmp/long.json" --out "$tmp/long" -j 2 --quiet 2> /dev/null &
sweep_pid=$!
children=""
for _ in $(seq 200); do
  children=$(pgrep -P "$sweep_pid" || true)
  [[ $(echo "$children" | wc -w) -eq 2 ]] && break
  sleep 0.05
done
[[ -n $children ]] || fail "the sweep started no child"
kill -KILL "$sweep_pid"
wait "$sweep_pid" 2> /dev/null || true
for _ in $(seq 100); do
  alive=""
  for c in $children; do kill -0 "$c" 2> /dev/null && alive="$alive $c"; done
  [[ -z $alive ]] && break
  sleep 0.05
done
[[ -z $alive ]] || { kill -KILL $alive; fail "orphan children still running:$alive"; }
echo "sweep robustness: ok"
