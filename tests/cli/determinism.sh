#!/usr/bin/env bash
# Same scenario + seed => byte-identical outputs; another seed => different outputs.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
args=(scenarios/minimal.json --quiet --set outputs.txs_csv=true --set outputs.tx_sample_rate=0.5)
"$pipesim" run "${args[@]}" --out "$tmp/a"
"$pipesim" run "${args[@]}" --out "$tmp/b"
"$pipesim" run "${args[@]}" --out "$tmp/c" --seed 7
for f in summary.json blocks.csv txs.csv trace.json; do
  [[ -s "$tmp/a/$f" ]] || { echo "missing or empty output $f"; exit 1; }
  cmp "$tmp/a/$f" "$tmp/b/$f" || { echo "$f differs between two identical runs"; exit 1; }
done
if cmp -s "$tmp/a/txs.csv" "$tmp/c/txs.csv"; then echo "seed 7 gave the same txs.csv"; exit 1; fi
# No temporary files are left behind.
if ls "$tmp"/a/*.tmp-* >/dev/null 2>&1; then echo "temporary file left"; exit 1; fi
/usr/bin/python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/a/trace.json"
echo "determinism: ok"
