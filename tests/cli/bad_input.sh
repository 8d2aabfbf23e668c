#!/usr/bin/env bash
# A bad scenario exits 2 before simulating, names the JSON path, and writes nothing.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
set +e
"$pipesim" run tests/data/bad_scenarios/03-validators-too-few.json --out "$tmp/out" 2>"$tmp/err"
code=$?
set -e
[[ $code -eq 2 ]] || { echo "expected exit code 2, got $code"; exit 1; }
grep -q "network.validators" "$tmp/err" || { echo "error does not name the path:"; cat "$tmp/err"; exit 1; }
[[ ! -e "$tmp/out" ]] || { echo "output folder was created for an invalid scenario"; exit 1; }
set +e
"$pipesim" run scenarios/minimal.json --set network.latency.constant_ms=-1 --out "$tmp/out2" 2>"$tmp/err2"
code=$?
set -e
[[ $code -eq 2 ]] || { echo "--set with a bad value: expected 2, got $code"; exit 1; }
grep -q "network.latency.constant_ms" "$tmp/err2" || { cat "$tmp/err2"; exit 1; }
[[ ! -e "$tmp/out2" ]] || { echo "output folder created"; exit 1; }
echo "bad input: ok"
