#!/usr/bin/env bash
# pipesim plot (analysis/plot.py): figures from a real small comparison (+ an exec sweep CSV in
# its folder) and from the sweep fixture are written as non-empty PDF and PNG; figures without
# data are reported as skipped (not crashed); the output is byte-identical on a rerun; usage and
# missing-Python errors; plus the Python unit tests of analysis/pipesim_plots.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export PYTHONDONTWRITEBYTECODE=1  # keep the source tree free of __pycache__

PYTHONPATH=analysis /usr/bin/python3 -m unittest discover -s tests/analysis 2> "$tmp/unittest.log" \
  || { cat "$tmp/unittest.log"; exit 1; }

check_figure() {  # folder name: NAME.pdf starts with %PDF, NAME.png with the PNG signature
  local pdf="$1/$2.pdf" png="$1/$2.png"
  [[ -s "$pdf" && -s "$png" ]] || { echo "missing figure $2 in $1"; ls -la "$1"; exit 1; }
  [[ $(head -c 5 "$pdf") == "%PDF-" ]] || { echo "$pdf is not a PDF"; exit 1; }
  [[ $(head -c 8 "$png" | od -An -tx1 | tr -d ' \n') == "89504e470d0a1a0a" ]] \
    || { echo "$png is not a PNG"; exit 1; }
  (( $(stat -c %s "$png") > 5000 )) || { echo "$png is suspiciously small"; exit 1; }
}

# 1. A small comparison (interleaved, async D=1, async D=3; txs.csv on) + an exec sweep CSV.
"$pipesim" compare tests/data/plots/comparison.json --out "$tmp/cmp" > "$tmp/compare.log" 2>&1 \
  || { cat "$tmp/compare.log"; exit 1; }
"$pipesim" exec --sweep --sweep-threads 1,4,16 --sweep-accounts 10,1000 --txs 300 \
  --csv "$tmp/cmp/exec_sweep.csv" > /dev/null
head -1 "$tmp/cmp/exec_sweep.csv" | grep -q "^executor,threads,accounts,"
for ex in sequential block_stm batch_occ optimistic; do
  [[ $(grep -c "^$ex," "$tmp/cmp/exec_sweep.csv") -eq 6 ]] || { echo "exec CSV: expected 6 $ex rows"; exit 1; }
done
# Batch OCC's round columns: filled for batch_occ rows only.
/usr/bin/python3 - "$tmp/cmp/exec_sweep.csv" <<'PY'
import csv, sys
occ = ["occ_rounds", "occ_mean_batch_size", "occ_abort_fraction_mean", "occ_abort_fraction_max",
       "occ_abort_fraction_overall"]
for r in csv.DictReader(open(sys.argv[1])):
    if r["executor"] == "batch_occ":
        assert int(r["occ_rounds"]) >= 1 and float(r["occ_mean_batch_size"]) >= 1, r
        assert 0 <= float(r["occ_abort_fraction_mean"]) <= float(r["occ_abort_fraction_max"]) <= 1, r
        assert 0 <= float(r["occ_abort_fraction_overall"]) <= 1, r
    else:
        assert all(r[c] == "" for c in occ), r
PY
"$pipesim" plot "$tmp/cmp" --out "$tmp/figs" > "$tmp/plot.log" 2>&1 || { cat "$tmp/plot.log"; exit 1; }
for fig in latency_cdf verified_latency_vs_dlag timeline exec_speedup_vs_threads; do
  check_figure "$tmp/figs" "$fig"
done
# One block time and no async_backing variant: reported as skipped, with the reason.
grep -q "^skipped throughput_latency_vs_block_time: needs runs at >= 2 values of consensus.block_time_ms" \
  "$tmp/plot.log" || { cat "$tmp/plot.log"; exit 1; }
grep -q "^skipped polkadot_sync_vs_async: no async_backing run" "$tmp/plot.log" || { cat "$tmp/plot.log"; exit 1; }
[[ ! -e "$tmp/figs/throughput_latency_vs_block_time.pdf" ]]

# Deterministic: a second run writes the same bytes.
"$pipesim" plot "$tmp/cmp" --out "$tmp/figs2" --only latency_cdf,timeline > /dev/null
for f in latency_cdf.pdf latency_cdf.png timeline.pdf timeline.png; do
  cmp -s "$tmp/figs/$f" "$tmp/figs2/$f" || { echo "$f differs between two runs"; exit 1; }
done

# 2. The sweep fixture (block time x D x pipeline, 2 seeds, one failed point; no txs.csv).
"$pipesim" plot tests/data/sweep_fixture --out "$tmp/sweep_figs" > "$tmp/sweep.log" 2>&1 \
  || { cat "$tmp/sweep.log"; exit 1; }
for fig in throughput_latency_vs_block_time verified_latency_vs_dlag timeline; do
  check_figure "$tmp/sweep_figs" "$fig"
done
grep -q "1 not ok (left out)" "$tmp/sweep.log" || { cat "$tmp/sweep.log"; exit 1; }
grep -q "^skipped latency_cdf: no txs.csv" "$tmp/sweep.log" || { cat "$tmp/sweep.log"; exit 1; }
grep -q "^skipped exec_speedup_vs_threads:" "$tmp/sweep.log" || { cat "$tmp/sweep.log"; exit 1; }
[[ ! -e tests/data/sweep_fixture/figures ]]

# 2b. A propagation run over SimBlock's regions (small): the per-region arrival-time CDF.
"$pipesim" run scenarios/propagation/simblock-2019-default.json --quiet --out "$tmp/prop" \
  --set network.validators=80 --set pipeline.propagation_sources=2 > /dev/null
"$pipesim" plot "$tmp/prop" --out "$tmp/prop_figs" --only arrival_cdf_by_region > /dev/null
check_figure "$tmp/prop_figs" arrival_cdf_by_region

# 3. A folder of runs over pipeline.threads x workload contention (the sweep-style speedup).
for t in 1 4; do
  for z in 0 1.2; do
    "$pipesim" run scenarios/minimal.json --quiet --out "$tmp/threads/t${t}_z$z" --set duration_s=3 \
      --set 'pipeline.executor="block_stm"' --set pipeline.threads=$t --set nodes.cores=4 \
      --set workload.zipf_exponent=$z --set workload.tps=1000 --set consensus.block_time_ms=500 \
      --set outputs.trace=false
  done
done
"$pipesim" plot "$tmp/threads" --out "$tmp/threads_figs" --only exec_speedup_vs_threads_sweep,timeline \
  > "$tmp/threads.log" 2>&1 || { cat "$tmp/threads.log"; exit 1; }
check_figure "$tmp/threads_figs" exec_speedup_vs_threads_sweep
grep -q "^skipped timeline: no run with a trace.json" "$tmp/threads.log" || { cat "$tmp/threads.log"; exit 1; }

# 4. Errors: not a pipesim output (2; plot.py's other usage errors are unit-tested), no Python
# or no matplotlib (3, the message names the Debian package).
mkdir "$tmp/empty"
set +e
"$pipesim" plot "$tmp/empty" > /dev/null 2> "$tmp/err"; code=$?
[[ $code -eq 2 ]] || { echo "empty folder: expected exit 2, got $code"; exit 1; }
grep -q "not a pipesim output" "$tmp/err" || { cat "$tmp/err"; exit 1; }
PIPESIM_PYTHON=/nonexistent/python3 "$pipesim" plot "$tmp/cmp" > /dev/null 2> "$tmp/err"; code=$?
[[ $code -eq 3 ]] || { echo "missing python: expected exit 3, got $code"; exit 1; }
grep -q "python3-matplotlib" "$tmp/err" || { cat "$tmp/err"; exit 1; }
# A Python without site packages stands for one without matplotlib.
printf '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n' > "$tmp/python-no-site"; chmod +x "$tmp/python-no-site"
PIPESIM_PYTHON="$tmp/python-no-site" "$pipesim" plot "$tmp/cmp" > /dev/null 2> "$tmp/err"; code=$?
[[ $code -eq 3 ]] || { echo "no matplotlib: expected exit 3, got $code"; cat "$tmp/err"; exit 1; }
grep -q "python3-matplotlib" "$tmp/err" || { cat "$tmp/err"; exit 1; }
set -e
echo "plots: ok"
