"""(3) Latency CDFs per run/variant from txs.csv: submit -> committed and submit -> executed.

txs.csv holds a seeded sample of transactions (outputs.txs_csv, outputs.tx_sample_rate). Each
curve is the empirical CDF over the sampled transactions that reached the stage; the legend
gives how many of the sampled transactions that is (transactions submitted near the end of a
run are not committed before it stops).
"""

import matplotlib.pyplot as plt
import numpy as np

from . import style
from .loaders import SkipFigure

STAGES = [("committed_s", "(a) submit → committed"), ("executed_s", "(b) submit → executed")]


def _ecdf(values):
    v = np.sort(values)
    return v, np.arange(1, len(v) + 1) / len(v)


def latency_cdf(runs, outdir, formats, name="latency_cdf"):
    """runs: list of Run (labels are the legend entries)."""
    data = []
    missing = []
    for run in runs:
        txs = run.txs()
        if txs is None or "submitted_s" not in txs or len(txs["submitted_s"]) == 0:
            missing.append(run.label)
            continue
        data.append((run, txs))
    if not data:
        raise SkipFigure(
            "no txs.csv with transactions in %s (run with outputs.txs_csv=true)" % ", ".join(r.label for r in runs)
        )
    styles = style.series_styles([(run.label, run.kind) for run, _ in data])
    fig, axes = plt.subplots(1, 2, figsize=(style.DOUBLE_COLUMN_IN, 2.4), sharey=True, sharex=True)
    drawn = 0
    for ax, (col, title) in zip(axes, STAGES):
        for run, txs in data:
            if col not in txs:
                continue
            lat = txs[col] - txs["submitted_s"]
            lat = lat[np.isfinite(lat)]
            if len(lat) == 0:
                continue
            x, y = _ecdf(lat)
            st = styles[run.label]
            ax.step(
                x,
                y,
                where="post",
                color=st["color"],
                label="%s (%d/%d)" % (run.label, len(lat), len(txs["submitted_s"])),
            )
            drawn += 1
        ax.set_title(title)
        ax.set_xlabel("latency (s)")
        ax.set_xlim(left=0)
        ax.set_ylim(0, 1.0)
    axes[0].set_ylabel("fraction of sampled transactions")
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(handles, labels, loc="upper left", fontsize=6, title="run (n reached / sampled)",
                      title_fontsize=6)
    if drawn == 0:
        plt.close(fig)
        raise SkipFigure("txs.csv has no committed or executed transaction")
    if missing:
        fig.text(0.99, -0.02, "no txs.csv: " + ", ".join(missing), ha="right", va="top", fontsize=6, color="0.4")
    return style.save(fig, outdir, name, formats)
