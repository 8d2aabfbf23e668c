#!/usr/bin/env bash
# `pipesim calibrate --report FILE` end to end (one fit, ~25 CPU s): regenerating a copy of
# docs/calibration.md with an extra hand-written section after the keep-marker line reproduces
# the shipped report byte for byte (it is current) and keeps that section in place. The merge
# itself (no marker, marker quoted inside a line) is unit-tested in tests/tools.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

marker='<!-- pipesim calibrate --report keeps everything from this line on (hand-written sections). -->'
[[ $(grep -cxF "$marker" docs/calibration.md) == 1 ]]
cp docs/calibration.md "$tmp/expected.md"
printf '\n## Hand-written\n\nkept %s\n' "$$" >> "$tmp/expected.md"
cp "$tmp/expected.md" "$tmp/cal.md"
# Stale generated part: must be replaced.
sed -i '1s/.*/# stale title/' "$tmp/cal.md"
"$pipesim" calibrate --report "$tmp/cal.md" > "$tmp/out.txt"
cmp "$tmp/expected.md" "$tmp/cal.md" || { diff "$tmp/expected.md" "$tmp/cal.md" | head -40; exit 1; }
echo "calibrate: ok"
