#!/usr/bin/env bash
# Reproducibility bundle: every run folder holds scenario.json (the resolved scenario);
# `pipesim run DIR/scenario.json --out OTHER`, even from another working directory, reproduces
# summary.json, blocks.csv, txs.csv and trace.json byte for byte. Covers a preset with p90
# jitter and a scenario that names a file relative to the data folder.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$pipesim" run scenarios/minimal.json --quiet --seed 5 --set outputs.txs_csv=true \
  --set outputs.tx_sample_rate=0.5 --out "$tmp/a"
(cd "$tmp" && "$pipesim" run a/scenario.json --quiet --out b)
for f in scenario.json summary.json blocks.csv txs.csv trace.json; do
  [[ -s "$tmp/a/$f" ]] || { echo "missing or empty output $f"; exit 1; }
  cmp "$tmp/a/$f" "$tmp/b/$f" || { echo "$f differs when rerun from the bundle"; exit 1; }
done
/usr/bin/python3 - "$tmp/a" <<'PY'
import json, sys
d = sys.argv[1]
scenario, summary = json.load(open(d + "/scenario.json")), json.load(open(d + "/summary.json"))
assert scenario == summary["scenario"], "scenario.json differs from summary.json's scenario"
assert summary["seed"] == 5 and scenario["seed"] == 5
assert summary["code_version"] and len(summary["config_hash"]) == 16
PY
for s in aws-p90-jitter topology-file; do
  "$pipesim" run "scenarios/$s.json" --quiet --set duration_s=2 --out "$tmp/$s-a"
  (cd / && "$pipesim" run "$tmp/$s-a/scenario.json" --quiet --out "$tmp/$s-b")
  for f in "$tmp/$s-a"/*; do
    cmp "$f" "$tmp/$s-b/$(basename "$f")" || { echo "$s: $(basename "$f") differs"; exit 1; }
  done
done
grep -q '"file": "/' "$tmp/topology-file-a/scenario.json"  # resolved to an absolute path
echo "bundle: ok"
