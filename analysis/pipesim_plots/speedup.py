"""(4) Parallel-execution speedup over Sequential vs worker threads, per contention level.

Input: `pipesim exec --sweep --csv FILE` (one row per executor x threads x accounts). One panel
per parallel executor; one line per contention level (number of accounts; fewer accounts = more
conflicts; the legend adds the block's conflict rate — the fraction of transaction pairs that
conflict, from Sequential's read/write sets — when the CSV has it). Speedup = Sequential makespan
/ executor makespan in virtual time on the same workers; the dotted line is linear speedup.
Rows repeated with different seeds are averaged (error bars: +-1 s.d.).
"""

import matplotlib.pyplot as plt
import numpy as np

from . import style
from .loaders import SkipFigure, is_number

EXECUTOR_LABELS = {
    "block_stm": "Block-STM",
    "batch_occ": "Batch OCC",
    "optimistic": "Optimistic (Monad)",
    "sequential": "Sequential",
}


def speedup_vs_threads(rows, outdir, formats, name="exec_speedup_vs_threads"):
    rows = [r for r in rows if is_number(r.get("threads")) and is_number(r.get("speedup"))]
    executors = []
    for r in rows:
        if r["executor"] != "sequential" and r["executor"] not in executors:
            executors.append(r["executor"])
    if not executors:
        raise SkipFigure("the exec CSV has no parallel executor row")
    level_key = "accounts" if any(is_number(r.get("accounts")) for r in rows) else None
    levels = sorted({r.get(level_key) for r in rows}) if level_key else [None]
    cmap = plt.get_cmap("viridis")
    colours = {lv: cmap(0.05 + 0.85 * i / max(len(levels) - 1, 1)) for i, lv in enumerate(levels)}
    conflict = {}
    for r in rows:
        if is_number(r.get("conflict_rate")):
            conflict.setdefault(r.get(level_key), []).append(r["conflict_rate"])
    threads = sorted({r["threads"] for r in rows})
    fig, axes = plt.subplots(
        1, len(executors), figsize=(min(style.DOUBLE_COLUMN_IN, 2.45 * len(executors) + 0.3), 2.4), sharey=True,
        squeeze=False,
    )
    axes = axes[0]
    ymax = max(threads)
    for ax, ex in zip(axes, executors):
        ax.plot(threads, threads, color="0.6", linestyle=":", linewidth=0.9, label="linear")
        ax.axhline(1.0, color="0.6", linewidth=0.6)
        for lv in levels:
            sel = [r for r in rows if r["executor"] == ex and (level_key is None or r.get(level_key) == lv)]
            groups = {}
            for r in sel:
                groups.setdefault(r["threads"], []).append(r["speedup"])
            if not groups:
                continue
            xs = sorted(groups)
            mean = np.array([np.mean(groups[t]) for t in xs])
            std = np.array([np.std(groups[t], ddof=1) if len(groups[t]) > 1 else 0.0 for t in xs])
            label = "%s" % lv if level_key else ex
            if lv in conflict:
                label += " (%.3g)" % float(np.mean(conflict[lv]))
            ax.errorbar(
                xs, mean, yerr=std if np.any(std > 0) else None, color=colours[lv], marker="o", label=label
            )
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xticks(threads)
        ax.set_xticklabels([str(t) for t in threads])
        ax.set_title(EXECUTOR_LABELS.get(ex, ex))
        ax.set_xlabel("worker threads")
    ticks = [t for t in [0.5, 1, 2, 4, 8, 16, 32, 64, 128] if t <= 2 * ymax]
    axes[0].set_yticks(ticks)
    axes[0].set_yticklabels(["%g" % t for t in ticks])
    axes[0].set_ylabel("speedup over sequential (×)")
    handles, labels = axes[0].get_legend_handles_labels()
    title = "accounts (conflict rate)" if conflict else "accounts"
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.8, 0.5), title=title, title_fontsize=7)
    meta = rows[0]
    note = "%s txs/block, mix %s, seed(s) %s" % (
        meta.get("txs", "?"),
        meta.get("mix", "?"),
        ",".join(str(s) for s in sorted({r.get("seed") for r in rows}, key=str)),
    )
    fig.text(0.99, 0.01, note, ha="right", va="bottom", fontsize=6, color="0.4")
    return style.save(fig, outdir, name, formats)


THREADS_KEY = "pipeline.threads"
EXEC_TIME = "execution_time_per_block_s"


def speedup_vs_threads_sweep(table, outdir, formats, name="exec_speedup_vs_threads_sweep"):
    """The same question inside the full pipeline: a sweep (or runs) over `pipeline.threads`.

    Speedup at N threads = mean execution time per block (`execution_time_per_block_s` mean,
    over every node and executed block) at 1 thread / at N threads, for the same series (pipeline
    + other varied parameters, e.g. a contention knob such as workload.zipf_exponent) and seed;
    then averaged over seeds (error bars +-1 s.d.). Blocks differ slightly between thread counts
    (execution time feeds back into block timing), which this ratio of means absorbs.
    """
    from .loaders import aggregate, series_of

    rows = [r for r in table.ok_rows() if r.get(EXEC_TIME, "mean") is not None]
    threads = sorted({float(r.param(THREADS_KEY)) for r in rows if is_number(r.param(THREADS_KEY))})
    if len(threads) < 2 or threads[0] != 1:
        raise SkipFigure("needs runs at pipeline.threads = 1 and at least one other thread count, with %s" % EXEC_TIME)
    series = series_of(rows, THREADS_KEY)
    levels = [s for s in series if any(r.param(THREADS_KEY) == 1 for r in s[3])]
    if not levels:
        raise SkipFigure("no series has a pipeline.threads = 1 baseline")
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(style.SINGLE_COLUMN_IN + 1.2, 2.5))
    ax.plot(threads, threads, color="0.6", linestyle=":", linewidth=0.9, label="linear")
    ax.axhline(1.0, color="0.6", linewidth=0.6)
    for i, (key, kind, label, srows) in enumerate(levels):
        base = {r.seed: r.get(EXEC_TIME, "mean") for r in srows if r.param(THREADS_KEY) == 1}

        def ratio(r, base=base):
            b = base.get(r.seed)
            t = r.get(EXEC_TIME, "mean")
            return b / t if b and t else None

        xs, mean, std, n = aggregate(srows, THREADS_KEY, ratio)
        colour = cmap(0.05 + 0.85 * i / max(len(levels) - 1, 1)) if len(levels) > 1 else style.pipeline_colour(kind)
        ax.errorbar(xs, mean, yerr=std if np.any(n > 1) else None, color=colour, marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xticks(threads)
    ax.set_xticklabels(["%g" % t for t in threads])
    ticks = [t for t in [0.5, 1, 2, 4, 8, 16, 32, 64] if t <= 2 * max(threads)]
    ax.set_yticks(ticks)
    ax.set_yticklabels(["%g" % t for t in ticks])
    ax.set_xlabel("executor threads (pipeline.threads)")
    ax.set_ylabel("execution speedup over 1 thread (×)")
    ax.set_title("mean execution time per block, 1 thread / N threads")
    ax.legend(loc="upper left", fontsize=6)
    seeds = {r.seed for r in rows}
    fig.text(0.99, -0.02, "mean of %d seeds, bars: ±1 s.d." % len(seeds) if len(seeds) > 1 else "one seed",
             ha="right", va="top", fontsize=6, color="0.4")
    return style.save(fig, outdir, name, formats)
