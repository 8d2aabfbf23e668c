#!/usr/bin/env bash
# pipesim compare: variants run in their own processes (-j N at a time: same outputs); the
# side-by-side table is written; a bad variant is rejected (exit 2, the JSON path named) before
# anything runs.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/cmp.json" <<JSON
{"name": "t", "base": "$PWD/scenarios/minimal.json",
 "variants": [{"name": "interleaved", "set": {"duration_s": 5}},
              {"name": "async", "set": {"duration_s": 5, "pipeline.kind": "async_execution",
                                        "pipeline.d_lag": 2}},
              {"name": "stm", "set": {"duration_s": 5, "pipeline.executor": "block_stm",
                                      "pipeline.threads": 8, "workload.accounts": 2}}]}
JSON
"$pipesim" compare "$tmp/cmp.json" --out "$tmp/out" > "$tmp/stdout"
grep -q "async" "$tmp/stdout"
head -1 "$tmp/out/comparison.csv" | grep -q "metric,unit,interleaved,async,stm"
[[ -s "$tmp/out/comparison.md" && -s "$tmp/out/interleaved/summary.json" && -s "$tmp/out/async/summary.json" ]]
# Each variant folder is a reproducibility bundle (scenario.json = the resolved variant).
[[ -s "$tmp/out/async/scenario.json" ]]
grep -q '"d_lag": 2' "$tmp/out/async/scenario.json"
/usr/bin/python3 - "$tmp/out/comparison.csv" <<'PY'
import csv, sys
rows = {r["metric"] + " " + r["unit"]: r for r in csv.DictReader(open(sys.argv[1]))}
assert float(rows["throughput tx/s"]["interleaved"]) > 0 and float(rows["throughput tx/s"]["async"]) > 0
assert rows["latency proposed to verified p50 s"]["interleaved"] == "–"
assert float(rows["latency proposed to verified p50 s"]["async"]) > 0
# Sequential never re-executes. Block-STM on 8 threads over 2 accounts (two same-sender nonce
# chains): a transaction waits for its sender's previous one (nonce ESTIMATE) and recipients are
# credited lazily, so it executes every transaction once, as the published Block-STM does.
assert float(rows["re-executions per tx ratio"]["interleaved"]) == 0
assert float(rows["re-executions per tx ratio"]["stm"]) == 0, rows["re-executions per tx ratio"]
PY
# -j 2 runs two variants at a time: the same variant outputs and table.
"$pipesim" compare "$tmp/cmp.json" --out "$tmp/out2" -j 2 > /dev/null
for f in comparison.csv comparison.md interleaved/summary.json async/summary.json stm/summary.json; do
  cmp "$tmp/out/$f" "$tmp/out2/$f" || { echo "compare -j 2 differs in $f"; exit 1; }
done
set +e
"$pipesim" compare "$tmp/cmp.json" --out "$tmp/out3" -j 0 2> "$tmp/errj"
code=$?
set -e
[[ $code -eq 2 ]] && grep -q "expected an integer from 1 to 256" "$tmp/errj" \
  || { echo "compare -j 0: exit $code"; cat "$tmp/errj"; exit 1; }
cat > "$tmp/bad.json" <<JSON
{"base": "$PWD/scenarios/minimal.json",
 "variants": [{"name": "a", "set": {}}, {"name": "b", "set": {"pipeline.d_lag": 99}}]}
JSON
set +e
"$pipesim" compare "$tmp/bad.json" --out "$tmp/bad" 2> "$tmp/err"
code=$?
set -e
[[ $code -eq 2 ]] || { echo "expected exit 2, got $code"; exit 1; }
grep -q "pipeline.d_lag" "$tmp/err" || { cat "$tmp/err"; exit 1; }
[[ ! -e "$tmp/bad" ]] || { echo "output written for an invalid comparison"; exit 1; }
# A scenario with a "compare" section is its own base; `run` ignores the section.
cat > "$tmp/self.json" <<JSON
{"name": "self", "duration_s": 3,
 "network": {"validators": 4, "latency": {"model": "constant", "constant_ms": 50}},
 "compare": {"variants": [{"name": "a", "set": {}},
                          {"name": "b", "set": {"pipeline.kind": "async_execution"}}]}}
JSON
"$pipesim" compare "$tmp/self.json" --out "$tmp/self" > /dev/null
head -1 "$tmp/self/comparison.csv" | grep -q "metric,unit,a,b"
grep -q '"kind": "async_execution"' "$tmp/self/b/scenario.json"
"$pipesim" run "$tmp/self.json" --out "$tmp/self_run" --quiet
cat > "$tmp/self_bad.json" <<JSON
{"network": {"validators": 4}, "compare": {"variants": [{"name": "only"}]}}
JSON
set +e
"$pipesim" compare "$tmp/self_bad.json" --out "$tmp/self_bad" 2> "$tmp/err3"
code=$?
set -e
[[ $code -eq 2 ]] || { echo "expected exit 2 for one variant, got $code"; exit 1; }
grep -q "compare.variants" "$tmp/err3" || { cat "$tmp/err3"; exit 1; }
echo "compare: ok"
