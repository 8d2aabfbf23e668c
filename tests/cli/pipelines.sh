#!/usr/bin/env bash
# The pipeline registry through the CLI: `pipesim pipelines` lists every kind the scenario accepts,
# and the checked-in analysis/pipesim_plots/pipelines.json (what analysis/ reads for colours,
# labels and markers) equals `pipesim pipelines --json` (regenerate it with that command).
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$pipesim" pipelines >"$tmp/list.txt"
kinds=$(awk '{print $1}' "$tmp/list.txt")
[[ $(echo "$kinds" | wc -l) -ge 5 ]] || { echo "pipelines: fewer than 5 kinds"; exit 1; }
for k in $kinds; do
  # Every listed kind is accepted by the scenario validator (with its own consensus protocol).
  consensus=$(awk -v k="$k" '$1 == k {print $2}' "$tmp/list.txt")
  "$pipesim" validate scenarios/minimal.json --set "pipeline.kind=\"$k\"" \
    --set "consensus.protocol=\"$consensus\"" --set network.validators=20 >/dev/null ||
    { echo "pipelines: kind $k is listed but rejected by the scenario"; exit 1; }
done
# An unlisted kind is rejected with the registry's list in the message.
if "$pipesim" validate scenarios/minimal.json --set 'pipeline.kind="fifth"' 2>"$tmp/err.txt"; then
  echo "pipelines: unknown kind accepted"; exit 1
fi
grep -q '"speculate_order_replay"' "$tmp/err.txt" || { cat "$tmp/err.txt"; exit 1; }
"$pipesim" pipelines --json >"$tmp/pipelines.json"
if ! diff -u analysis/pipesim_plots/pipelines.json "$tmp/pipelines.json"; then
  echo "pipelines: analysis/pipesim_plots/pipelines.json is stale; regenerate it with"
  echo "  pipesim pipelines --json > analysis/pipesim_plots/pipelines.json"
  exit 1
fi
echo "pipelines: registry listing, scenario choices and pipelines.json agree"
