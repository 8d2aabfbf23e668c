#!/usr/bin/env bash
# Golden scenario tests: runs the small scenarios in tests/golden/scenarios/ and compares every
# field of their summary.json (all metrics, invariants and the seed; not code_version,
# config_hash or the resolved scenario, which hold paths) exactly with the pinned values in
# tests/golden/expected/<name>.txt, one `key = value` line per metric statistic.
#
#   tools/golden.sh [--update] [--pipesim PATH] [NAME...]
#
#   --update   rewrite the expected files from this build instead of comparing (after a change
#              that is meant to move a metric; commit the diff with the reason)
#   --pipesim  the binary to run (default: build/release/tools/pipesim)
#   NAME       only these scenarios (file names without .json; default: all)
#
# Exit status: 0 all equal (or updated), 1 a metric differs or a run failed (a unified diff of
# the expected vs actual lines is printed), 2 bad usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pipesim="$root/build/release/tools/pipesim"
update=0
names=()
while (($#)); do
  case $1 in
    --update) update=1 ;;
    --pipesim) pipesim=$2; shift ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "golden.sh: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1") ;;
  esac
  shift
done
[[ -x $pipesim ]] || { echo "golden.sh: no pipesim binary at $pipesim (build it or pass --pipesim)" >&2; exit 2; }
if ((${#names[@]} == 0)); then
  for f in "$root"/tests/golden/scenarios/*.json; do names+=("$(basename "$f" .json)"); done
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$root/tests/golden/expected"
status=0
for name in "${names[@]}"; do
  scenario="$root/tests/golden/scenarios/$name.json"
  expected="$root/tests/golden/expected/$name.txt"
  [[ -f $scenario ]] || { echo "golden.sh: no scenario $scenario" >&2; exit 2; }
  if ! "$pipesim" run "$scenario" --quiet --out "$tmp/$name" >"$tmp/$name.log" 2>&1; then
    echo "golden $name: pipesim run failed:" >&2; cat "$tmp/$name.log" >&2; status=1; continue
  fi
  # One line per leaf; floats as Python's repr (the shortest text that reads back to the same
  # double), so the comparison is exact and a diff shows which statistic moved.
  /usr/bin/python3 - "$tmp/$name/summary.json" >"$tmp/$name.txt" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
for key in ("code_version", "config_hash", "scenario"):
    summary.pop(key, None)
def leaves(prefix, v):
    if isinstance(v, dict):
        for k in sorted(v):
            yield from leaves(f"{prefix}.{k}" if prefix else k, v[k])
    else:
        yield prefix, v
for k, v in leaves("", summary):
    print(f"{k} = {repr(v) if isinstance(v, float) else json.dumps(v)}")
PY
  if ((update)); then
    cp "$tmp/$name.txt" "$expected"
    echo "golden $name: wrote ${expected#"$root"/}"
  elif [[ ! -f $expected ]]; then
    echo "golden $name: no expected file ${expected#"$root"/} (run tools/golden.sh --update)" >&2
    status=1
  elif ! diff -u --label "expected/$name.txt" --label "actual/$name.txt" "$expected" "$tmp/$name.txt"; then
    echo "golden $name: summary.json differs from ${expected#"$root"/}; if the change is" \
         "intended, run tools/golden.sh --update and say why in the commit" >&2
    status=1
  else
    echo "golden $name: $(wc -l <"$expected") values equal"
  fi
done
exit $status
