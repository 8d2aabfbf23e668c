#!/usr/bin/env bash
# Robustness of pipesim itself (issue 15), one check per class of failure:
#  1. errors inside the simulation exit 1 with a message (full disk while writing the trace),
#     staging and temporary files removed, INCOMPLETE marker left;
#  2. validate does everything but simulate: platform files (core="0", missing routes), the
#     memory estimate, zipf_exponent 1000 terminates, tps 0 runs;
#  3. parser edge cases: 100,000-level nesting, /dev/zero, invalid UTF-8 in --set;
#  4. output folder: name escaping outputs.dir, unwritable --out, two runs into one --out,
#     SIGINT / SIGTERM / SIGKILL during a run, rerun after a kill.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [[ -f $tmp/err ]] && cat "$tmp/err"; exit 1; }
# expect CODE CMD...: runs CMD (stderr to $tmp/err), checks the exit code.
expect() {
  local want=$1; shift
  set +e; "$@" > "$tmp/out" 2> "$tmp/err"; local got=$?; set -e
  [[ $got -eq $want ]] || fail "expected exit $want, got $got: $*"
}
has() { grep -qF -- "$1" "$tmp/err" || fail "stderr lacks: $1"; }
minimal=scenarios/minimal.json
# A run long enough to be killed mid-simulation (about 10 s of wall time unloaded).
long=(run "$minimal" --set duration_s=2000 --set workload.tps=2000 --quiet)

# ---- 1. an error inside the simulation: the trace hits the file size limit (a full disk).
out=$tmp/full
set +e
( ulimit -f 64; trap '' XFSZ; exec "$pipesim" run "$minimal" --set duration_s=200 --out "$out" \
    --quiet ) > /dev/null 2> "$tmp/err"
code=$?
set -e
[[ $code -eq 1 ]] || fail "full disk: expected exit 1, got $code"
has "pipesim: error:"
[[ -f $out/INCOMPLETE ]] || fail "full disk: no INCOMPLETE marker"
[[ ! -e $out/summary.json ]] || fail "full disk: summary.json written"
[[ -z $(find "$out" -name '.run-*' -o -name '*.tmp-*') ]] || fail "full disk: temporary files left"

# ---- 2. validate = everything but simulating.
expect 2 "$pipesim" validate scenarios/platform-small.json \
  --set network.platform_xml="$PWD/tests/data/platforms/core-zero.xml"
has "network.platform_xml"; has "core"
expect 2 "$pipesim" validate scenarios/platform-small.json \
  --set network.platform_xml="$PWD/tests/data/platforms/missing-routes.xml"
has "network.platform_xml"; has "no route"
expect 2 "$pipesim" validate scenarios/platform-small.json \
  --set network.platform_xml="$PWD/tests/data/platforms/missing-routes.xml" \
  --set network.dissemination.mode=flood
has "no route from host"
# The shipped Vivaldi platform with flood gossip (routes asked before the platform was sealed
# failed with unordered_map::at).
expect 0 "$pipesim" run "$minimal" --set network.platform_xml=platforms/vivaldi.xml \
  --set network.dissemination.mode=flood --set duration_s=3 --out "$tmp/vivaldi" --quiet
# 20,000 validators with direct broadcast: n^2 messages in flight exceed a 16 GiB machine.
PIPESIM_MEMORY_LIMIT_MB=16384 expect 2 "$pipesim" validate "$minimal" \
  --set network.validators=20000
has "network.validators: value 20000 needs an estimated"
expect 0 timeout 60 "$pipesim" run "$minimal" --set workload.zipf_exponent=1000 \
  --set duration_s=3 --out "$tmp/zipf" --quiet
expect 0 "$pipesim" run "$minimal" --set workload.tps=0 --set duration_s=3 --out "$tmp/tps0" \
  --quiet

# ---- 3. parser edge cases.
/usr/bin/python3 -c 'import sys; sys.stdout.write("[" * 100000 + "]" * 100000)' > "$tmp/deep.json"
expect 2 "$pipesim" validate "$tmp/deep.json"
has "nesting is deeper than 64 levels"
expect 2 timeout 20 "$pipesim" validate /dev/zero
has "larger than"
expect 2 "$pipesim" validate "$minimal" --set "name=$(printf 'caf\xe9')"
has "is not valid UTF-8"
expect 2 "$pipesim" validate "$minimal" --set "description=$(/usr/bin/python3 -c 'print("["*100000)')"
has "nested"

# ---- 4. output folder integrity.
expect 2 "$pipesim" run "$minimal" --set name=.. --quiet
has "name: value \"..\" is not a plain folder name"
touch "$tmp/a-file"
expect 1 "$pipesim" run "$minimal" --out "$tmp/a-file/out" --quiet
has "cannot create the output folder"
# A finished run, then a run killed by each signal into the same folder.
out=$tmp/run
expect 0 "$pipesim" run "$minimal" --out "$out" --quiet
[[ -f $out/summary.json && ! -e $out/INCOMPLETE ]] || fail "finished run: bad folder"
wait_started() {  # run $2 has taken the lock of $1 and begun simulating (its INCOMPLETE marker)
  for _ in $(seq 400); do
    grep -qs "(pid $2) started" "$1/INCOMPLETE" && return 0
    sleep 0.05
  done
  fail "run $2 into $1 did not start"
}
for sig in INT TERM KILL; do
  "$pipesim" "${long[@]}" --out "$out" 2> "$tmp/err" &
  pid=$!
  wait_started "$out" "$pid"
  if [[ $sig == INT ]]; then  # a second run into the busy folder is refused
    expect 1 "$pipesim" run "$minimal" --out "$out" --quiet
    has "is in use by another pipesim run (pid $pid)"
  fi
  kill -s "$sig" "$pid"
  set +e; wait "$pid"; code=$?; set -e
  case $sig in
    INT) want=130 ;; TERM) want=143 ;; KILL) want=137 ;;
  esac
  [[ $code -eq $want ]] || fail "SIG$sig: expected exit $want, got $code"
  [[ ! -e $out/summary.json ]] || fail "SIG$sig: summary.json of another run left in place"
  [[ -f $out/INCOMPLETE ]] || fail "SIG$sig: no INCOMPLETE marker"
  if [[ $sig != KILL ]]; then
    grep -q "interrupted by SIG$sig" "$out/INCOMPLETE" || fail "SIG$sig: marker lacks the reason"
    [[ -z $(find "$out" -name '.run-*') ]] || fail "SIG$sig: staging folder left"
  fi
done
# After the SIGKILL: the next run cleans up and finishes.
expect 0 "$pipesim" run "$minimal" --out "$out" --quiet
[[ -f $out/summary.json && ! -e $out/INCOMPLETE ]] || fail "rerun after kill: bad folder"
[[ -z $(find "$out" -name '.run-*' -o -name '*.tmp-*') ]] || fail "rerun: leftovers"
echo "robustness: ok"
