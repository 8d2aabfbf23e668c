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
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
