"""Which figures an input supports, and running them with per-figure skip/failure reporting."""

import os
import sys
import traceback

from . import (arrival_cdf, capacity, latency_cdf, loaders, polkadot, speedup, style,
               sweep_figures, timeline)

FIGURES = [
    "throughput_latency_vs_block_time",
    "verified_latency_vs_dlag",
    "latency_cdf",
    "arrival_cdf_by_region",
    "exec_speedup_vs_threads",
    "exec_speedup_vs_threads_sweep",
    "polkadot_sync_vs_async",
    "timeline",
] + capacity.FIGURES


def _representatives(table):
    """One run folder per pipeline kind (first ok point in point order), for the per-run
    figures of a sweep; labels say which point it is."""
    reps = {}
    for row in table.ok_rows():
        if row.run is not None and row.kind not in reps:
            params = ", ".join(
                "%s=%s" % (loaders.short_key(k), loaders.format_value(v))
                for k, v in sorted(row.params.items())
                if loaders.relevant(k, row.kind)
            )
            row.run.label = "point %s%s" % (row.point, (" (%s)" % params) if params else "")
            reps[row.kind] = row.run
    order = list(style.PIPELINE_COLOURS)
    return [reps[k] for k in sorted(reps, key=lambda k: (order.index(k) if k in order else len(order), str(k)))]


def plan(path, nodes=(0,), blocks=5):
    """[(figure name, callable(outdir, formats) -> paths)] for the input at `path`, plus notes.
    Raises ValueError if `path` is not a pipesim output."""
    if capacity.is_capacity_folder(path):
        # A `pipesim capacity` folder: its own figures (docs/capacity.md).
        return capacity.jobs(path, nodes=nodes, blocks=blocks), ["input: %s (capacity)" % path]
    kind = loaders.detect(path)
    if kind is None:
        raise ValueError(
            "%s: not a pipesim output (expected sweep.csv, comparison.csv, summary.json, run folders "
            "or an exec CSV from `pipesim exec --sweep --csv`)" % path
        )
    notes = ["input: %s (%s)" % (path, kind)]
    table = None
    runs = []
    exec_files = loaders.exec_csvs_in(path)
    if kind == "sweep":
        table = loaders.load_sweep(path)
        n_bad = table.not_ok_count()
        notes.append("sweep: %d points, %d ok%s" % (len(table.rows), len(table.ok_rows()),
                                                    ", %d not ok (left out)" % n_bad if n_bad else ""))
        runs = _representatives(table)
        if not runs:
            notes.append("sweep: no point folder (points/<point>/summary.json): per-run figures skipped")
    elif kind == "comparison":
        runs, missing = loaders.load_comparison(path)
        if missing:
            notes.append("comparison: no run folder for variant(s) %s (failed?)" % ", ".join(missing))
        table = loaders.table_from_runs(runs)
    elif kind == "run":
        runs = [loaders.Run(path)]
        table = loaders.table_from_runs(runs)
    elif kind == "runs":
        runs = loaders.load_run_folders(path)
        table = loaders.table_from_runs(runs)

    def no_table(_o, _f):
        raise loaders.SkipFigure("needs a sweep or several runs (input is %s)" % kind)

    def no_runs(_o, _f):
        raise loaders.SkipFigure("needs run folders (input is %s)" % kind)

    jobs = []
    if table is not None:
        jobs.append(("throughput_latency_vs_block_time",
                     lambda o, f: sweep_figures.throughput_latency_vs_block_time(table, o, f)))
        jobs.append(("verified_latency_vs_dlag", lambda o, f: sweep_figures.verified_latency_vs_dlag(table, o, f)))
    else:
        jobs += [("throughput_latency_vs_block_time", no_table), ("verified_latency_vs_dlag", no_table)]
    jobs.append(("latency_cdf", (lambda o, f: latency_cdf.latency_cdf(runs, o, f)) if runs else no_runs))
    jobs.append(("arrival_cdf_by_region",
                 (lambda o, f: arrival_cdf.arrival_cdf_by_region(runs, o, f)) if runs else no_runs))

    def exec_job(o, f):
        if not exec_files:
            raise loaders.SkipFigure("no exec CSV (make one with `pipesim exec --sweep --csv FILE`)")
        rows = []
        for p in exec_files:
            rows += loaders.load_exec_csv(p)
        return speedup.speedup_vs_threads(rows, o, f)

    jobs.append(("exec_speedup_vs_threads", exec_job))
    jobs.append(("exec_speedup_vs_threads_sweep",
                 (lambda o, f: speedup.speedup_vs_threads_sweep(table, o, f)) if table is not None else no_table))
    jobs.append(("polkadot_sync_vs_async",
                 (lambda o, f: polkadot.polkadot_sync_vs_async(table, o, f)) if table is not None else no_table))
    jobs.append(("timeline",
                 (lambda o, f: timeline.timeline(runs, o, f, nodes=nodes, blocks=blocks)) if runs else no_runs))
    return jobs, notes


def default_outdir(path):
    base = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    return os.path.join(base, "figures")


def run(path, outdir=None, formats=("pdf", "png"), only=None, nodes=(0,), blocks=5, out=sys.stdout):
    """Makes every figure the input supports. Returns (written paths, skipped {name: reason},
    failed {name: message})."""
    style.apply_style()
    jobs, notes = plan(path, nodes=nodes, blocks=blocks)
    outdir = outdir or default_outdir(path)
    for n in notes:
        print(n, file=out)
    written, skipped, failed = [], {}, {}
    for name, job in jobs:
        if only and name not in only:
            continue
        try:
            paths = job(outdir, list(formats))
        except loaders.SkipFigure as e:
            skipped[name] = str(e)
            print("skipped %s: %s" % (name, e), file=out)
            continue
        except Exception as e:  # a bug or malformed input: report, keep going with the others
            failed[name] = "%s: %s" % (type(e).__name__, e)
            print("FAILED %s: %s" % (name, failed[name]), file=out)
            traceback.print_exc(file=sys.stderr)
            continue
        finally:
            import matplotlib.pyplot as plt

            plt.close("all")
        for p in paths:
            print("wrote %s" % p, file=out)
        written += paths
    return written, skipped, failed
