#!/usr/bin/env bash
# pipesim sweep: a 4-point sweep (grid x zip x seeds) writes sweep.csv with the expected rows and
# columns; --collect rebuilds it byte for byte; resume reruns only unfinished points (a deleted
# summary, a point killed by SIGKILL through the test hook) and keeps the others; --emit-jobs
# lines run by sh reproduce the points; bad sweeps exit 2 with nothing written.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/s.json" <<JSON
{"name": "tiny", "duration_s": 3,
 "network": {"validators": 4, "latency": {"model": "constant", "constant_ms": 50}},
 "pipeline": {"kind": "async_execution"},
 "sweep": {"grid": {"consensus.block_time_ms": [200, 500]},
           "zip": {"pipeline.d_lag": [2], "workload.tps": [300]},
           "seeds": 2}}
JSON
out=$tmp/out
"$pipesim" sweep "$tmp/s.json" --out "$out" -j 2 > "$tmp/stdout" 2> "$tmp/stderr" \
  || { cat "$tmp/stderr"; exit 1; }
grep -q "4 points (ok 4)" "$tmp/stdout" || { cat "$tmp/stdout"; exit 1; }
head -1 "$out/sweep.csv" | grep -q \
  "^point,status,seed,consensus.block_time_ms,pipeline.d_lag,workload.tps,pipeline.kind,config_hash,code_version," \
  || { head -1 "$out/sweep.csv"; exit 1; }
/usr/bin/python3 - "$out" <<'PY'
import csv, json, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/sweep.csv")))
assert [r["point"] for r in rows] == ["p0000", "p0001", "p0002", "p0003"], rows
assert [r["seed"] for r in rows] == ["1", "2", "1", "2"]
assert [r["consensus.block_time_ms"] for r in rows] == ["200", "200", "500", "500"]
assert all(r["status"] == "ok" and r["pipeline.kind"] == "async_execution" for r in rows)
assert all(r["pipeline.d_lag"] == "2" and r["workload.tps"] == "300" for r in rows)
cols = rows[0].keys()
for c in ["throughput_tx_per_s[tx/s]", "latency_submit_to_committed_s.p50[s]",
          "latency_submit_to_committed_s.count[count]", "latency_proposed_to_verified_s.p99[s]"]:
    assert c in cols, c
metrics = [c for c in cols if "[" in c]
assert metrics == sorted(metrics), "metric columns not sorted"
for r in rows:
    assert float(r["throughput_tx_per_s[tx/s]"]) > 0
    s = json.load(open(f"{out}/points/{r['point']}/summary.json"))
    assert r["config_hash"] == s["config_hash"] and r["code_version"] == s["code_version"]
    assert s["scenario"]["consensus"]["block_time_ms"] == float(r["consensus.block_time_ms"])
    assert s["seed"] == int(r["seed"])
# Seeds change the outcome, block time changes the block interval.
assert rows[0]["config_hash"] != rows[1]["config_hash"]
assert float(rows[0]["block_interval_s.p50[s]"]) < float(rows[2]["block_interval_s.p50[s]"])
sweep = json.load(open(out + "/sweep.json"))
assert len(sweep["points"]) == 4 and sweep["points"][3]["params"]["consensus.block_time_ms"] == 500
assert sweep["base_scenario"]["duration_s"] == 3 and len(sweep["config_hash"]) == 16
assert sweep["code_version"] == rows[0]["code_version"]
PY
# The figures of a real sweep (block time x seeds): the plot scripts run on pipesim sweep's output.
"$pipesim" plot "$out" --out "$tmp/fig" > "$tmp/plot.log" || { cat "$tmp/plot.log"; exit 1; }
for f in throughput_latency_vs_block_time.pdf throughput_latency_vs_block_time.png; do
  [[ -s "$tmp/fig/$f" ]] || { echo "missing figure $f"; cat "$tmp/plot.log"; exit 1; }
done
head -c 8 "$tmp/fig/throughput_latency_vs_block_time.png" | od -An -c | grep -q "P   N   G" \
  || { echo "not a PNG"; exit 1; }
cp "$out/sweep.csv" "$tmp/orig.csv"

# --collect rebuilds the same bytes.
rm "$out/sweep.csv"
"$pipesim" sweep --collect "$out" > /dev/null
cmp "$out/sweep.csv" "$tmp/orig.csv"

# Resume: only the point without summary.json runs again, and reproduces its row.
stamp() { stat -c %y "$out"/points/p000{0,2,3}/summary.json; }
before=$(stamp)
rm "$out/points/p0001/summary.json"
"$pipesim" sweep "$tmp/s.json" --out "$out" > "$tmp/stdout" 2> "$tmp/stderr"
grep -q "3 already finished, 1 to run" "$tmp/stderr" || { cat "$tmp/stderr"; exit 1; }
[[ "$(stamp)" == "$before" ]] || { echo "a finished point ran again"; exit 1; }
cmp "$out/sweep.csv" "$tmp/orig.csv"

# A point killed by SIGKILL is reported; the finished points are kept; a rerun completes it.
rm "$out/points/p0001/summary.json" "$out/points/p0003/summary.json"
set +e
PIPESIM_SWEEP_TEST_KILL=p0003 "$pipesim" sweep "$tmp/s.json" --out "$out" -j 2 \
  > "$tmp/stdout" 2> "$tmp/stderr"
code=$?
set -e
[[ $code -eq 1 ]] || { echo "expected exit 1 after a killed point, got $code"; exit 1; }
grep -q "p0003 crashed" "$tmp/stderr" || { cat "$tmp/stderr"; exit 1; }
head -2 "$out/points/p0003/error.txt" | grep -q "signal 9"
grep -q "^status: crashed" "$out/points/p0003/error.txt"
[[ -s "$out/points/p0001/summary.json" && ! -e "$out/points/p0003/summary.json" ]]
grep -q "^p0003,crashed,2,500," "$out/sweep.csv" || { cat "$out/sweep.csv" | cut -c1-80; exit 1; }
[[ $(grep -c ",ok," "$out/sweep.csv") -eq 3 ]]
"$pipesim" sweep "$tmp/s.json" --out "$out" --quiet
[[ ! -e "$out/points/p0003/error.txt" ]]
cmp "$out/sweep.csv" "$tmp/orig.csv"

# --emit-jobs: one self-contained command line per unfinished point; run by sh (from another
# folder) then collected, they reproduce the table.
cp -r "$out" "$tmp/emit"
rm "$tmp/emit/sweep.csv" "$tmp/emit"/points/p000{1,2}/summary.json
"$pipesim" sweep "$tmp/s.json" --out "$tmp/emit" --emit-jobs > "$tmp/jobs.sh"
[[ $(wc -l < "$tmp/jobs.sh") -eq 2 ]] || { cat "$tmp/jobs.sh"; exit 1; }
grep -q "^/.* run /.*/emit/points/p0001/scenario.json --out /.*/emit/points/p0001 --quiet$" "$tmp/jobs.sh"
[[ ! -e "$tmp/emit/points/p0001/summary.json" ]]  # nothing run
set +e
"$pipesim" sweep --collect "$tmp/emit" > /dev/null 2>&1
code=$?
set -e
[[ $code -eq 1 ]] || { echo "expected exit 1 from --collect with missing points, got $code"; exit 1; }
grep -q "^p0002,missing,1,500," "$tmp/emit/sweep.csv"
(cd / && sh "$tmp/jobs.sh" > "$tmp/jobs.log" 2>&1) || { cat "$tmp/jobs.log"; exit 1; }
"$pipesim" sweep --collect "$tmp/emit" > /dev/null
cmp "$tmp/emit/sweep.csv" "$tmp/orig.csv"
[[ $("$pipesim" sweep "$tmp/s.json" --out "$tmp/emit" --emit-jobs | wc -l) -eq 0 ]]

# --timeout-s: a point that cannot finish (10^6 simulated seconds) is killed and reported.
cat > "$tmp/long.json" <<JSON
{"name": "long", "duration_s": 1000000, "workload": {"tps": 1},
 "network": {"validators": 4, "latency": {"model": "constant", "constant_ms": 50}},
 "outputs": {"trace": false}, "sweep": {"seeds": 1}}
JSON
set +e
"$pipesim" sweep "$tmp/long.json" --out "$tmp/long" --timeout-s 0.5 --quiet 2> "$tmp/err"
code=$?
set -e
[[ $code -eq 1 ]] || { echo "expected exit 1 after a timeout, got $code"; exit 1; }
grep -q "^status: timeout" "$tmp/long/points/p0000/error.txt"
grep -q "^p0000,timeout,1," "$tmp/long/sweep.csv"

# `pipesim run` / `validate` ignore the sweep section (same parser).
"$pipesim" validate "$tmp/s.json" > /dev/null

# Bad sweeps: exit 2, the point and path named, nothing written.
expect_bad() {  # expect_bad SWEEP_JSON MESSAGE
  sed "s|\"sweep\": {.*|\"sweep\": $1}|" > "$tmp/bad.json" <<JSON
{"name": "bad", "duration_s": 3, "network": {"latency": {"model": "constant"}},
 "sweep": {}}
JSON
  set +e
  "$pipesim" sweep "$tmp/bad.json" --out "$tmp/bad" 2> "$tmp/err"
  local c=$?
  set -e
  [[ $c -eq 2 ]] || { echo "expected exit 2, got $c for $1"; cat "$tmp/err"; exit 1; }
  grep -qF "$2" "$tmp/err" || { echo "expected '$2' in:"; cat "$tmp/err"; exit 1; }
  [[ ! -e "$tmp/bad" ]] || { echo "output written for an invalid sweep"; exit 1; }
}
expect_bad '{"grid": {"pipeline.d_lag": [1, 99]}}' "point p0001 (pipeline.d_lag=99, seed=1): pipeline.d_lag: value 99"
expect_bad '{"grid": {"pipeline.block_time_ms": [200]}}' "pipeline.block_time_ms: unknown key"
expect_bad '{"zip": {"workload.tps": [1, 2], "pipeline.threads": [1]}}' "sweep.zip.pipeline.threads: has 1 values but sweep.zip.workload.tps has 2"
# Another sweep into the folder of this one is refused.
set +e
"$pipesim" sweep "$tmp/s.json" --out "$out" --set duration_s=4 2> "$tmp/err"
code=$?
set -e
[[ $code -eq 2 ]] || { echo "expected exit 2 for a different sweep in the folder, got $code"; exit 1; }
grep -q "of a different sweep" "$tmp/err"
# Points are forks of the sweep process, which loads the replay stream and builds the genesis trie
# once (models/common/input_reuse.hpp); PIPESIM_CHILDREN=exec runs each as a new process. Both
# give byte-identical point outputs, for every pipeline that executes and for a looped replay
# (its own genesis) after an unlooped one.
cat > "$tmp/m.json" <<JSON
{"name": "forks", "duration_s": 4,
 "network": {"validators": 7, "latency": {"model": "constant", "constant_ms": 50}},
 "workload": {"kind": "eth_mainnet", "tps": 400},
 "sweep": {"zip": {"pipeline.kind": ["interleaved", "async_execution", "speculate_order_replay",
                                      "async_backing", "interleaved"],
                   "consensus.protocol": ["hotstuff", "hotstuff", "dag_bft", "hotstuff", "hotstuff"],
                   "workload.replay_loop": [false, false, false, false, true],
                   "polkadot.parachains": [4, 4, 4, 1, 4],
                   "polkadot.collators_per_parachain": [2, 2, 2, 1, 2],
                   "polkadot.backing_group_size": [5, 5, 5, 3, 5]}}}
JSON
for mode in fork exec; do
  env $([[ $mode == exec ]] && echo PIPESIM_CHILDREN=exec) "$pipesim" sweep "$tmp/m.json" \
    --out "$tmp/m-$mode" -j 2 > "$tmp/m-$mode.out" 2> "$tmp/m-$mode.err" \
    || { cat "$tmp/m-$mode.err"; exit 1; }
  grep -q "5 points (ok 5)" "$tmp/m-$mode.out" || { cat "$tmp/m-$mode.out"; exit 1; }
done
grep -q "to run (-j 2, forked)" "$tmp/m-fork.err" || { cat "$tmp/m-fork.err"; exit 1; }
grep -q "to run (-j 2, exec)" "$tmp/m-exec.err" || { cat "$tmp/m-exec.err"; exit 1; }
set +e
PIPESIM_CHILDREN=spawn "$pipesim" sweep "$tmp/m.json" --out "$tmp/m-bad" 2> "$tmp/m-bad.err"
code=$?
set -e
[[ $code -eq 2 ]] && grep -q 'PIPESIM_CHILDREN=spawn: expected "fork"' "$tmp/m-bad.err" \
  || { echo "PIPESIM_CHILDREN=spawn: exit $code"; cat "$tmp/m-bad.err"; exit 1; }
for p in p0000 p0001 p0002 p0003 p0004; do
  for f in summary.json blocks.csv; do
    cmp "$tmp/m-fork/points/$p/$f" "$tmp/m-exec/points/$p/$f" \
      || { echo "forked and exec'd point $p differ in $f"; exit 1; }
  done
done
echo "sweep: ok"
