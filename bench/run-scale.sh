#!/usr/bin/env bash
# Scale benchmarks of issue 16, run by hand (not in CI: wall times depend on the machine's load).
#
#   bench/run-scale.sh [PIPESIM] [NAME ...]
#
# PIPESIM defaults to build/release/tools/pipesim. NAME selects scenarios of bench/scenarios/
# (without .json; default: every one except sor-dag, which is swept over n by `sor` below).
# Each run goes through /usr/bin/time -v; prints one line per run: wall s, CPU s (user + sys),
# peak RSS MiB, and the run's simulated blocks. `sor` runs bench/scenarios/sor-dag.json at
# n = 16, 64, 128, 256 (and 1000 if SOR_MAX=1000) and prints CPU per DAG round.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
bin="${1:-$root/build/release/tools/pipesim}"
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(hotstuff-64x100-consensus hotstuff-1000x1000-blockstm hotstuff-10000-gossip)
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# run LABEL SCENARIO [--set ...]: prints "LABEL wall_s cpu_s peak_mib blocks"
run() {
  local label="$1" scenario="$2"
  shift 2
  /usr/bin/time -v "$bin" run "$scenario" --out "$out/$label" --quiet "$@" \
    2> "$out/$label.time" || { cat "$out/$label.time" >&2; return 1; }
  python3 - "$out/$label.time" "$out/$label/summary.json" "$label" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
def field(name):
    return re.search(re.escape(name) + r": (.*)", t).group(1).strip()
w = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
rss = int(field("Maximum resident set size (kbytes)")) / 1024
m = json.load(open(sys.argv[2]))["metrics"]
blocks = m.get("blocks_committed", {}).get("value", 0)
print(f"{sys.argv[3]:<34} wall {wall:8.3f} s  cpu {cpu:8.3f} s  peak {rss:8.1f} MiB  blocks {blocks}")
PY
}

for name in "${names[@]}"; do
  if [ "$name" = sor ]; then
    for n in 16 64 128 256 ${SOR_MAX:+$SOR_MAX}; do
      run "sor-dag-n$n" "$here/scenarios/sor-dag.json" --set "network.validators=$n"
    done
  else
    run "$name" "$here/scenarios/$name.json"
  fi
done
