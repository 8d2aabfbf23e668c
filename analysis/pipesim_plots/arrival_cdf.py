"""Block arrival-time CDF per region (propagation runs over a region_matrix latency model).

Reads summary.json's `block_arrival_quantiles_by_region` (written by the propagation pipeline,
models/pipelines/propagation.hpp): per region, the 0, 1, ..., 100 % quantiles of the arrival
times (seconds since each block's broadcast) pooled over the run's blocks. One panel per run,
one curve per region; the legend gives each region's node count and its mean t90 over blocks
(`block_propagation_by_region`).
"""

import matplotlib.pyplot as plt

from . import style
from .loaders import SkipFigure


def arrival_cdf_by_region(runs, outdir, formats, name="arrival_cdf_by_region"):
    data = []
    for run in runs:
        m = run.summary.get("metrics", {}).get("block_arrival_quantiles_by_region")
        if isinstance(m, dict) and isinstance(m.get("value"), dict) and m["value"]:
            data.append((run, m))
    if not data:
        raise SkipFigure("no block_arrival_quantiles_by_region in summary.json (a propagation run "
                         "over a region_matrix latency model writes it)")
    fig, axes = plt.subplots(1, len(data), figsize=(style.DOUBLE_COLUMN_IN, 2.6), sharey=True, squeeze=False)
    for ax, (run, m) in zip(axes[0], data):
        qs = m.get("quantiles") or [i / 100.0 for i in range(101)]
        regions = run.summary.get("metrics", {}).get("block_propagation_by_region", {}).get("value", {})
        for i, (region, times) in enumerate(sorted(m["value"].items())):
            pts = [(t, q) for t, q in zip(times, qs) if t is not None]
            if not pts:
                continue
            info = regions.get(region, {})
            t90 = info.get("t90_s_mean")
            label = "%s (n=%s%s)" % (region.replace("_", " ").title(), info.get("nodes", "?"),
                                     ", t90 %.2f s" % t90 if isinstance(t90, (int, float)) else "")
            ax.step([p[0] for p in pts], [p[1] for p in pts], where="post",
                    color=plt.get_cmap("tab10")(i % 10), label=label)
        ax.set_title(run.label)
        ax.set_xlabel("arrival since broadcast (s)")
        ax.set_xlim(left=0)
        ax.set_ylim(0, 1.0)
        ax.legend(loc="lower right", fontsize=6)
    axes[0][0].set_ylabel("fraction of the region's nodes")
    return style.save(fig, outdir, name, formats)
