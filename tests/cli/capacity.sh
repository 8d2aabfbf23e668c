#!/usr/bin/env bash
# pipesim capacity, reduced end to end: one topology, two pipelines, two load points each (a low
# one that follows and one far past the knee), a two-point gas-limit sweep and the traced
# timeline runs. Checks the folder (sweep.csv, capacity.csv, capacity.md, gas_limit.csv), the
# detected saturation, the measurement-window metrics, the four figures of `pipesim plot`, that a
# rerun runs nothing (resume) and that a bad section exits 2 with nothing written.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/c.json" <<JSON
{"name": "cap-tiny", "duration_s": 6, "measurement": {"warmup_s": 1.5, "cooldown_s": 1.5},
 "network": {"validators": 4},
 "consensus": {"block_time_ms": 300},
 "pipeline": {"executor": "sequential", "threads": 1, "block_gas_limit": 3000000},
 "workload": {"kind": "eth_mainnet", "replay_loop": true},
 "outputs": {"trace": false, "blocks_csv": false},
 "capacity": {
   "topologies": [{"name": "dc", "set": {"network.latency.model": "constant",
                                         "network.latency.constant_ms": 0.25}}],
   "pipelines": [{"name": "interleaved", "set": {"pipeline.kind": "interleaved"}},
                 {"name": "async_execution", "set": {"pipeline.kind": "async_execution",
                                                     "pipeline.d_lag": 2}}],
   "loads_tx_per_s": [10, 3000], "max_extensions": 0,
   "gas_limit": {"topology": "dc", "pipelines": ["interleaved", "async_execution"],
                 "block_gas_limit": [1000000, 4000000], "load_tx_per_s": 3000}}}
JSON
out=$tmp/out
"$pipesim" capacity "$tmp/c.json" --out "$out" -j 2 > "$tmp/stdout" 2> "$tmp/stderr" \
  || { cat "$tmp/stdout" "$tmp/stderr"; exit 1; }
for f in sweep.csv sweep.json capacity.csv capacity.md gas_limit.csv \
         points/timeline.dc.interleaved/trace.json points/timeline.dc.async_execution/blocks.csv; do
  [[ -s $out/$f ]] || { echo "missing $f"; ls -R "$out"; exit 1; }
done
/usr/bin/python3 - "$out" <<'PY'
import csv, json, sys
out = sys.argv[1]
rows = {(r["topology"], r["pipeline"]): r for r in csv.DictReader(open(out + "/capacity.csv"))}
assert set(rows) == {("dc", "interleaved"), ("dc", "async_execution")}, rows
for key, r in rows.items():
    # 10 tx/s follows, 3000 tx/s with a 3 Mgas block limit cannot: the knee is the second point.
    assert r["saturated"] == "true", r
    assert r["knee_offered_tx_per_s"] == "3000", r
    assert 8 <= float(r["capacity_tx_per_s"]) <= 11, r
    assert float(r["bytes_per_node_per_committed_tx"]) > 0, r
pts = list(csv.DictReader(open(out + "/sweep.csv")))
assert len(pts) == 4 + 4 + 2, [p["point"] for p in pts]
assert all(p["status"] == "ok" for p in pts)
load = [p for p in pts if p["experiment"] == "load"]
for p in load:
    offered = float(p["window_offered_load_tx_per_s[tx/s]"])
    assert abs(offered - float(p["workload.tps"])) <= 0.02 * float(p["workload.tps"]), p
    assert float(p["window_s[s]"]) == 3.0
# Far past the knee the backlog shows as uncommitted window transactions, not dropped ones.
high = [p for p in load if p["workload.tps"] == "3000"]
assert all(float(p["window_txs_not_committed[tx]"]) > 0 for p in high), high
gas = list(csv.DictReader(open(out + "/gas_limit.csv")))
assert len(gas) == 4
for name in ("interleaved", "async_execution"):
    g = sorted((int(r["block_gas_limit"]), float(r["committed_mgas_per_s"]))
               for r in gas if r["pipeline"] == name)
    assert g[1][1] > g[0][1], g  # a larger block gas limit carries more gas at saturation
md = open(out + "/capacity.md").read()
assert "| dc | interleaved |" in md and "knee" in md
PY
# pipesim plot draws the four capacity figures (PDF + PNG) from the folder.
export PYTHONDONTWRITEBYTECODE=1
"$pipesim" plot "$out" > "$tmp/plot.log" 2>&1 || { cat "$tmp/plot.log"; exit 1; }
for fig in capacity_latency_vs_throughput capacity_bars execution_budget_vs_gas_limit \
           capacity_timeline; do
  [[ -s $out/figures/$fig.pdf && -s $out/figures/$fig.png ]] \
    || { echo "missing figure $fig"; cat "$tmp/plot.log"; exit 1; }
done
# Resume: a rerun finds every point finished and runs none.
"$pipesim" capacity "$tmp/c.json" --out "$out" -j 2 > "$tmp/stdout2" 2> "$tmp/stderr2"
grep -q "0 to run" "$tmp/stderr2" || { cat "$tmp/stderr2"; exit 1; }
# Bad section: exit 2, the JSON path named, nothing written.
sed 's/"loads_tx_per_s": \[10, 3000\]/"loads_tx_per_s": [10, 5]/' "$tmp/c.json" > "$tmp/bad.json"
set +e
"$pipesim" capacity "$tmp/bad.json" --out "$tmp/bad" 2> "$tmp/err"
code=$?
set -e
[[ $code == 2 ]] || { echo "exit $code"; cat "$tmp/err"; exit 1; }
grep -q "capacity.loads_tx_per_s\[1\]" "$tmp/err" || { cat "$tmp/err"; exit 1; }
[[ ! -e $tmp/bad ]] || { echo "bad section wrote $tmp/bad"; exit 1; }
# A series still following its load at its last point (one load of 10 tx/s, no extension) is a
# lower bound: exit 0 and marked in the table; --require-saturation makes it exit 1 (the resumed
# rerun runs nothing).
sed -e 's/"loads_tx_per_s": \[10, 3000\]/"loads_tx_per_s": [10]/' "$tmp/c.json" > "$tmp/low.json"
python3 - "$tmp/low.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["capacity"].pop("gas_limit", None)
doc["capacity"]["pipelines"] = doc["capacity"]["pipelines"][:1]
json.dump(doc, open(sys.argv[1], "w"))
PY
"$pipesim" capacity "$tmp/low.json" --out "$tmp/low" -j 2 > "$tmp/lowout" 2> "$tmp/lowerr" ||
  { echo "unsaturated series: expected exit 0"; cat "$tmp/lowout" "$tmp/lowerr"; exit 1; }
grep -q "not saturated" "$tmp/low/capacity.md" || { cat "$tmp/low/capacity.md"; exit 1; }
set +e
"$pipesim" capacity "$tmp/low.json" --out "$tmp/low" --require-saturation > /dev/null 2> "$tmp/lowerr2"
code=$?
set -e
[[ $code -eq 1 ]] || { echo "--require-saturation: expected exit 1, got $code"; cat "$tmp/lowerr2"; exit 1; }
# SIGINT while a point runs (the first one, made 100,000 s long, its replay not looped so that it
# starts at once): capacity stops with 130 (the points resume later) and starts no further round
# (no timeline runs after the interrupted sweep).
sed -e 's/"name": "interleaved", "set": {/"name": "interleaved", "set": {"duration_s": 100000, "workload.replay_loop": false, /' \
    "$tmp/c.json" > "$tmp/int.json"
grep -q '"duration_s": 100000' "$tmp/int.json" || { echo "int.json not derived"; exit 1; }
"$pipesim" capacity "$tmp/int.json" --out "$tmp/int" -j 1 > /dev/null 2> "$tmp/interr" &
cap_pid=$!
for _ in $(seq 600); do
  compgen -G "$tmp/int/points/*interleaved*/INCOMPLETE" > /dev/null && break
  sleep 0.05
done
compgen -G "$tmp/int/points/*interleaved*/INCOMPLETE" > /dev/null ||
  { echo "interrupt: the long point never started"; cat "$tmp/interr"; kill "$cap_pid"; exit 1; }
kill -INT "$cap_pid"
set +e; wait "$cap_pid"; code=$?; set -e
[[ $code -eq 130 ]] || { echo "interrupt: expected exit 130, got $code"; cat "$tmp/interr"; exit 1; }
if compgen -G "$tmp/int/points/timeline.*" > /dev/null; then
  echo "interrupt: timeline runs started after the interrupted sweep"; cat "$tmp/interr"; exit 1
fi
echo "cli_capacity: ok"
