"""(5) Polkadot asynchronous backing, sync vs async: parablock interval and blockspace.

Input: async_backing runs (a comparison of variants, or sweep points) with the summary metrics
`parablock_interval_s`, `blockspace_gas_per_relay_block`, `blockspace_bytes_per_relay_block`
(and, when present, `latency_candidate_authored_to_included_s`; `relay_block_interval_s` is the
dashed reference line). The mode of each run is its scenario's `backing_mode` ("sync"/"async",
wherever it sits in the scenario), else guessed from the variant name. Each bar is the p50 of the
run's distribution, the whisker reaches its p90 and the open marker is its p99; runs of one
variant with several seeds are averaged field by field.
"""

import matplotlib.pyplot as plt
import numpy as np

from . import style
from .loaders import SkipFigure, backing_mode, format_value, short_key

PANELS = [
    ("parablock_interval_s", "parablock interval (s)", 1.0),
    ("blockspace_gas_per_relay_block", "gas per relay block (Mgas)", 1e-6),
    ("blockspace_bytes_per_relay_block", "bytes per relay block (kB)", 1e-3),
    ("latency_candidate_authored_to_included_s", "candidate authored → included (s)", 1.0),
]


def _groups(table, rows):
    groups = {}
    for r in rows:
        if table.source == "sweep":
            key = tuple(sorted((k, str(v)) for k, v in r.params.items()))
            label_parts = [
                "%s=%s" % (short_key(k), format_value(r.params[k]))
                for k in sorted(r.params)
                if not k.endswith("backing_mode")
            ]
            mode = backing_mode(r)
            label = (mode or "?") + (" (%s)" % ", ".join(label_parts) if label_parts else "")
        else:
            key = (r.label,)
            mode = backing_mode(r)
            label = r.label if mode is None or mode in r.label else "%s (%s)" % (r.label, mode)
        groups.setdefault(key, {"label": label, "mode": mode, "rows": []})["rows"].append(r)
    # sync before async, then by label
    order = {"sync": 0, "async": 1}
    return sorted(groups.values(), key=lambda g: (order.get(g["mode"], 2), g["label"]))


def polkadot_sync_vs_async(table, outdir, formats):
    rows = [r for r in table.ok_rows() if r.kind == "async_backing"]
    if not rows:
        raise SkipFigure("no async_backing run")
    panels = [p for p in PANELS if any(r.get(p[0], "p50") is not None for r in rows)]
    if not panels or panels[0][0] != "parablock_interval_s":
        raise SkipFigure("async_backing runs lack the parablock_interval_s metric")
    groups = _groups(table, rows)
    base = style.pipeline_colour("async_backing")
    fig, axes = plt.subplots(
        1, len(panels), figsize=(min(style.DOUBLE_COLUMN_IN, 1.9 * len(panels) + 0.6), 2.4), squeeze=False
    )
    axes = axes[0]
    xs = np.arange(len(groups))
    for ax, (metric, ylabel, scale) in zip(axes, panels):
        for i, g in enumerate(groups):
            vals = {}
            for field in ("p50", "p90", "p99"):
                v = [r.get(metric, field) for r in g["rows"] if r.get(metric, field) is not None]
                vals[field] = float(np.mean(v)) * scale if v else None
            if vals["p50"] is None:
                continue
            sync = g["mode"] == "sync"
            colour = style.shade(base, 0.45) if sync else base
            ax.bar(i, vals["p50"], width=0.6, color=colour, edgecolor=base, hatch="///" if sync else None,
                   linewidth=0.8)
            if vals["p90"] is not None:
                ax.errorbar(i, vals["p50"], yerr=[[0], [max(vals["p90"] - vals["p50"], 0)]], color="0.2",
                            capsize=3, linewidth=0.8)
            if vals["p99"] is not None:
                ax.plot(i, vals["p99"], marker="o", markerfacecolor="white", color="0.2", markersize=3.5)
        if metric == "parablock_interval_s":
            relay = [r.get("relay_block_interval_s", "p50") for r in rows if r.get("relay_block_interval_s", "p50")]
            if relay:
                ax.axhline(float(np.mean(relay)), color="0.4", linestyle="--", linewidth=0.8,
                           label="relay block interval p50")
                ax.legend(loc="upper right", fontsize=6)
        ax.set_xticks(xs)
        ax.set_xticklabels([g["label"] for g in groups], rotation=20 if len(groups) > 2 else 0, ha="right"
                           if len(groups) > 2 else "center")
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.grid(axis="x", visible=False)
    fig.suptitle("Async backing (Polkadot): bar p50, whisker p90, circle p99", y=1.02)
    fig.tight_layout()
    return style.save(fig, outdir, "polkadot_sync_vs_async", formats)
