"""Figures over a swept parameter (a sweep.csv, or runs that differ in that parameter).

(1) throughput and commit latency vs block time, one series per pipeline (and per other varied
    parameter relevant to it);
(2) latency from proposal to Verified vs D-lag (async_execution).

Each point is the mean over the rows (seeds) of one series at one x; error bars are +-1 sample
standard deviation over seeds, drawn only where a point has more than one seed.
"""

import matplotlib.pyplot as plt
import numpy as np

from . import style
from .loaders import SkipFigure, aggregate, is_number, series_of

BLOCK_TIME = "consensus.block_time_ms"
D_LAG = "pipeline.d_lag"


def _distinct_x(rows, key):
    return sorted({float(r.param(key)) for r in rows if is_number(r.param(key))})


def _errorbar(ax, xs, mean, std, n, st, label, linestyle="-", fill=True):
    has_err = bool(np.any(n > 1))
    ax.errorbar(
        xs,
        mean,
        yerr=std if has_err else None,
        color=st["color"],
        marker=st["marker"],
        linestyle=linestyle,
        markerfacecolor=st["color"] if fill else "white",
        label=label,
    )


def _seeds_note(rows):
    seeds = {r.seed for r in rows}
    return "mean of %d seeds, bars: ±1 s.d." % len(seeds) if len(seeds) > 1 else "one seed"


def _key(table, default):
    """`default`, or else the one varied parameter ending like it (e.g. a sweep over
    pipeline.block_time_ms): lenient about where a key lives."""
    if default in table.params:
        return default
    tail = default.rsplit(".", 1)[-1]
    alternatives = [p for p in table.params if p.rsplit(".", 1)[-1] == tail]
    return alternatives[0] if len(alternatives) == 1 else default


def throughput_latency_vs_block_time(table, outdir, formats):
    bt_key = _key(table, BLOCK_TIME)
    rows = [r for r in table.ok_rows()]
    xs = _distinct_x(rows, bt_key)
    if len(xs) < 2:
        raise SkipFigure(
            "needs runs at >= 2 values of %s (found %d)" % (bt_key, len(xs))
        )
    need = [("throughput_tx_per_s", "value"), ("latency_submit_to_committed_s", "p50")]
    rows = [r for r in rows if all(r.get(*m) is not None for m in need)]
    if not rows:
        raise SkipFigure("no row has throughput_tx_per_s and latency_submit_to_committed_s p50")
    series = series_of(rows, bt_key)
    styles = style.series_styles([(key, kind) for key, kind, _, _ in series])
    fig, (ax_t, ax_l) = plt.subplots(1, 2, figsize=(style.DOUBLE_COLUMN_IN, 2.5))
    for key, kind, label, srows in series:
        st = styles[key]
        x, m, s, n = aggregate(srows, bt_key, lambda r: r.get("throughput_tx_per_s"))
        _errorbar(ax_t, x, m, s, n, st, label)
        x, m, s, n = aggregate(srows, bt_key, lambda r: r.get("latency_submit_to_committed_s", "p50"))
        _errorbar(ax_l, x, m, s, n, st, label + " p50")
        x, m, s, n = aggregate(srows, bt_key, lambda r: r.get("latency_submit_to_committed_s", "p99"))
        if len(x):
            _errorbar(ax_l, x, m, s, n, st, label + " p99", linestyle="--", fill=False)
    ax_t.set_xlabel("block time (ms)")
    ax_t.set_ylabel("throughput (tx/s)")
    ax_t.set_title("(a) committed throughput")
    ax_l.set_xlabel("block time (ms)")
    ax_l.set_ylabel("latency submit → committed (s)")
    ax_l.set_title("(b) commit latency: p50 (filled), p99 (open, dashed)")
    for ax in (ax_t, ax_l):
        ax.set_xticks(xs)
        ax.set_ylim(bottom=0)
    handles, labels = ax_t.get_legend_handles_labels()
    if len(labels) <= 6:
        fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), bbox_to_anchor=(0.5, 0.98))
    else:  # many series: below the panels, two columns
        fig.legend(handles, labels, loc="upper center", ncol=2, bbox_to_anchor=(0.5, -0.06))
    fig.text(0.99, -0.02, _seeds_note(rows), ha="right", va="top", fontsize=6, color="0.4")
    return style.save(fig, outdir, "throughput_latency_vs_block_time", formats)


def verified_latency_vs_dlag(table, outdir, formats):
    d_key = _key(table, D_LAG)
    rows = [r for r in table.ok_rows() if r.kind == "async_execution"]
    if not rows:
        raise SkipFigure("no async_execution run")
    xs = _distinct_x(rows, d_key)
    if len(xs) < 2:
        raise SkipFigure("needs async_execution runs at >= 2 values of %s (found %d)" % (d_key, len(xs)))
    metric = "latency_proposed_to_verified_s"
    rows = [r for r in rows if r.get(metric, "p50") is not None]
    if not rows:
        raise SkipFigure("no async_execution row has %s p50" % metric)
    series = series_of(rows, d_key)
    styles = style.series_styles([(key, kind) for key, kind, _, _ in series])
    fig, ax = plt.subplots(figsize=(style.SINGLE_COLUMN_IN, 2.5))
    for key, kind, label, srows in series:
        st = styles[key]
        x, p50, s50, n = aggregate(srows, d_key, lambda r: r.get(metric, "p50"))
        x90, p90, _, _ = aggregate(srows, d_key, lambda r: r.get(metric, "p90"))
        x99, p99, _, _ = aggregate(srows, d_key, lambda r: r.get(metric, "p99"))
        if len(x90) == len(x) and np.array_equal(x90, x):
            ax.fill_between(x, p50, p90, color=st["color"], alpha=0.18, linewidth=0)
        if len(x99):
            ax.plot(x99, p99, color=st["color"], linestyle=":", marker=st["marker"], markerfacecolor="white")
        _errorbar(ax, x, p50, s50, n, st, label)
        fin_x, fin, _, _ = aggregate(srows, d_key, lambda r: r.get("latency_proposed_to_finalized_s", "p50"))
        if len(series) == 1 and len(fin_x):
            ax.plot(fin_x, fin, color="0.5", linestyle="--", linewidth=0.9, label="proposed → finalized p50")
    ax.set_xticks(xs)
    ax.set_xticklabels([str(int(x)) if float(x).is_integer() else str(x) for x in xs])
    ax.set_xlabel("D-lag (blocks)")
    ax.set_ylabel("latency proposed → verified (s)")
    ax.set_ylim(bottom=0)
    ax.set_title("p50 (line), p50–p90 (band), p99 (dotted)")
    ax.legend(loc="upper left")
    fig.text(0.99, -0.02, _seeds_note(rows), ha="right", va="top", fontsize=6, color="0.4")
    return style.save(fig, outdir, "verified_latency_vs_dlag", formats)
