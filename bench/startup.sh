#!/usr/bin/env bash
# Start-up of a mainnet-replay sweep point, whole process (issue 16), run by hand (not in CI:
# times depend on the machine's load).
#
#   bench/startup.sh [PIPESIM] [REPS]
#
# PIPESIM defaults to build/release/tools/pipesim, REPS to 7. For each scenario below, runs
# `pipesim run SCENARIO --set duration_s=0.01` REPS times (a sweep point with nothing to
# simulate) with the replay cache off (PIPESIM_CACHE_DIR=off: JSON parsing, as before the cache)
# and on (a fresh cache folder, written by one warm-up run first), then cached with
# GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (transparent huge pages for malloc, as `pipesim sweep`,
# `capacity` and `compare` start their children: tools/child_process.hpp), and `pipesim
# pipelines` (the process floor: loading pipesim's ~50 shared libraries, SimGrid and ns-3 among
# them). Every run's environment has GLIBC_TUNABLES=glibc.malloc.hugetlb=0 unless stated. Prints
# the medians of wall time, CPU time (user + system, /usr/bin/time) and of the start-up that
# pipesim logs (scenario, platform, workload and pipeline construction; after dynamic loading).
# Then `pipesim sweep` points of the same scenario ($REPS seeds, -j 1), forked from the sweep
# (the default: inputs loaded once) and exec'd (PIPESIM_CHILDREN=exec), medians of the points'
# run.log figures (for a forked point, wall and start-up count from its fork).
# The phases inside the start-up: build/release/bench/startup_bench.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
bin="${1:-$root/build/release/tools/pipesim}"
reps="${2:-7}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# measure LABEL CMD...: prints "LABEL wall cpu start-up" (medians over $reps runs)
measure() {
  local label="$1"
  shift
  : > "$tmp/samples"
  for _ in $(seq "$reps"); do
    /usr/bin/time -f "TIME %e %U %S" "$@" > /dev/null 2> "$tmp/err" ||
      { cat "$tmp/err" >&2; return 1; }
    local t s
    t=$(grep '^TIME' "$tmp/err" | tail -1)
    s=$(sed -n 's/.*(start-up \([0-9.]*\) s.*/\1/p' "$tmp/err")
    echo "$t ${s:-nan}" >> "$tmp/samples"
  done
  python3 - "$label" "$tmp/samples" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[2]) if l.strip()]
wall = statistics.median(float(r[1]) for r in rows)
cpu = statistics.median(float(r[2]) + float(r[3]) for r in rows)
st = [float(r[4]) for r in rows if r[4] != "nan"]
s = f"{statistics.median(st):7.3f} s" if st else "      –"
print(f"{sys.argv[1]:<58} wall {wall:6.3f} s  cpu {cpu:6.3f} s  start-up {s}")
PY
}

export GLIBC_TUNABLES=glibc.malloc.hugetlb=0
echo "medians of $reps runs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
measure "process floor (pipesim pipelines)" "$bin" pipelines
for scenario in scenarios/compare-pipelines.json scenarios/capacity/main.json; do
  args=(run "$root/$scenario" --out "$tmp/out" --quiet --set duration_s=0.01
        --set measurement.warmup_s=0 --set measurement.cooldown_s=0)
  PIPESIM_CACHE_DIR=off measure "$scenario, JSON (cache off)" "$bin" "${args[@]}"
  GLIBC_TUNABLES=glibc.malloc.hugetlb=1 PIPESIM_CACHE_DIR=off \
    measure "$scenario, JSON (cache off), huge pages" "$bin" "${args[@]}"
  PIPESIM_CACHE_DIR="$tmp/cache" "$bin" "${args[@]}" 2> /dev/null  # writes the cache
  PIPESIM_CACHE_DIR="$tmp/cache" measure "$scenario, cached" "$bin" "${args[@]}"
  GLIBC_TUNABLES=glibc.malloc.hugetlb=1 PIPESIM_CACHE_DIR="$tmp/cache" \
    measure "$scenario, cached, huge pages" "$bin" "${args[@]}"
  # Forked sweep points (docs/sweeps.md): a copy of the scenario with a `sweep` section of $reps
  # seeds, beside the original (relative paths keep working); medians over the points' run.log.
  copy="$(dirname "$root/$scenario")/.startup-bench-$$.json"
  python3 - "$root/$scenario" "$copy" "$reps" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s.pop("compare", None)
s["duration_s"] = 0.01
s.setdefault("measurement", {}).update({"warmup_s": 0, "cooldown_s": 0})
s["sweep"] = {"name": "startup-bench", "seeds": int(sys.argv[3])}
json.dump(s, open(sys.argv[2], "w"))
PY
  for children in fork exec; do
    rm -rf "$tmp/sweep"
    env $([[ $children == exec ]] && echo PIPESIM_CHILDREN=exec) \
      PIPESIM_CACHE_DIR="$tmp/cache" "$bin" sweep "$copy" --out "$tmp/sweep" -j 1 --quiet \
      > /dev/null 2> "$tmp/err" || { cat "$tmp/err" >&2; rm -f "$copy"; exit 1; }
    cat "$tmp"/sweep/points/*/run.log | python3 -c '
import re, statistics, sys
rows = [re.search(r"wall ([0-9.]+) s \(start-up ([0-9.]+) s.*cpu ([0-9.]+) s", l) for l in sys.stdin]
rows = [r for r in rows if r]
med = lambda i: statistics.median(float(r.group(i)) for r in rows)
print(f"{sys.argv[1]:<58} wall {med(1):6.3f} s  cpu {med(3):6.3f} s  start-up {med(2):7.3f} s")
' "$scenario, sweep point ($children, -j 1)"
  done
  rm -f "$copy"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
