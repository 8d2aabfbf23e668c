"""Figures of a `pipesim capacity` folder (capacity.csv + sweep.csv + gas_limit.csv + points/):

  capacity_latency_vs_throughput  latency p50 (line) with its p99 (band) against committed
                                  throughput, one panel per topology, one colour per pipeline;
                                  the capacity point is a star, the knee an open circle.
  capacity_bars                   capacity per topology (tx/s and Mgas/s), one bar per pipeline;
                                  a hatched bar is a lower bound (the series did not saturate).
  execution_budget_vs_gas_limit   the HotStuff pipelines at a saturating load against the block
                                  gas limit: committed Mgas/s and execution budget utilisation.
  capacity_timeline               one traced run per pipeline at a fraction of its capacity
                                  (timeline.py's figure, each panel its own window).
See docs/capacity.md.
"""

import csv
import os

import matplotlib.pyplot as plt

from . import style, timeline
from .loaders import Run, SkipFigure


def is_capacity_folder(path):
    return os.path.isdir(path) and os.path.exists(os.path.join(path, "capacity.csv"))


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _pipeline_order(names):
    order = list(style.PIPELINE_COLOURS)
    return sorted(set(names), key=lambda n: (order.index(n) if n in order else len(order), n))


def _topologies(rows):
    seen = []
    for r in rows:
        if r["topology"] not in seen:
            seen.append(r["topology"])
    return seen


def latency_vs_throughput(path, outdir, formats):
    caps = _read(os.path.join(path, "capacity.csv"))
    points = [r for r in _read(os.path.join(path, "sweep.csv"))
              if r.get("experiment") == "load" and r.get("status") == "ok"]
    if not points:
        raise SkipFigure("no finished load point in sweep.csv")
    topologies = _topologies(caps)
    fig, axes = plt.subplots(1, len(topologies), figsize=(4.2 * len(topologies), 3.4), squeeze=False)
    for ax, topo in zip(axes[0], topologies):
        for pipe in _pipeline_order(r["pipeline"] for r in points if r["topology"] == topo):
            rows = [r for r in points if r["topology"] == topo and r["pipeline"] == pipe]
            rows.sort(key=lambda r: _num(r["workload.tps"]))
            x = [_num(r["window_throughput_tx_per_s[tx/s]"]) for r in rows]
            p50 = [_num(r.get("latency_submit_to_committed_s.p50[s]")) for r in rows]
            p99 = [_num(r.get("latency_submit_to_committed_s.p99[s]")) for r in rows]
            keep = [i for i in range(len(rows)) if x[i] is not None and p50[i] is not None and p99[i] is not None]
            if not keep:
                continue
            colour = style.pipeline_colour(pipe)
            xs, y50, y99 = [x[i] for i in keep], [p50[i] for i in keep], [p99[i] for i in keep]
            ax.fill_between(xs, y50, y99, color=colour, alpha=0.18, linewidth=0)
            ax.plot(xs, y50, marker="o", ms=3.5, color=colour, label=style.pipeline_label(pipe))
            cap = next((c for c in caps if c["topology"] == topo and c["pipeline"] == pipe), None)
            if cap and _num(cap["capacity_offered_tx_per_s"]) is not None:
                target = _num(cap["capacity_offered_tx_per_s"])
                for r in rows:
                    if abs(_num(r["window_offered_load_tx_per_s[tx/s]"]) - target) < 1e-6 * max(1, target):
                        y = _num(r.get("latency_submit_to_committed_s.p50[s]"))
                        ax.plot([_num(r["window_throughput_tx_per_s[tx/s]"])], [y], marker="*", ms=11,
                                color=colour, markeredgecolor="black", markeredgewidth=0.6, zorder=5)
        ax.set_title(topo)
        ax.set_xlabel("committed throughput (tx/s)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("latency submit → committed (s)\np50 line, p99 band")
    axes[0][-1].legend(fontsize=7, loc="upper left")
    fig.suptitle("Latency vs committed throughput (star: capacity)", fontsize=10)
    fig.tight_layout()
    return style.save(fig, outdir, "capacity_latency_vs_throughput", formats)


def capacity_bars(path, outdir, formats):
    caps = _read(os.path.join(path, "capacity.csv"))
    topologies = _topologies(caps)
    pipes = _pipeline_order(r["pipeline"] for r in caps)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4))
    width = 0.8 / max(1, len(pipes))
    for ax, column, label in ((axes[0], "capacity_tx_per_s", "capacity (tx/s)"),
                              (axes[1], "capacity_mgas_per_s", "capacity (Mgas/s)")):
        for j, pipe in enumerate(pipes):
            for i, topo in enumerate(topologies):
                row = next((c for c in caps if c["topology"] == topo and c["pipeline"] == pipe), None)
                v = _num(row[column]) if row else None
                if v is None:
                    continue
                lower_bound = row["saturated"] != "true"
                ax.bar(i + (j - (len(pipes) - 1) / 2) * width, v, width, color=style.pipeline_colour(pipe),
                       hatch="//" if lower_bound else None, edgecolor="black", linewidth=0.4,
                       label=style.pipeline_label(pipe) if i == 0 else None)
        ax.set_xticks(range(len(topologies)))
        ax.set_xticklabels(topologies)
        ax.set_ylabel(label)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("Capacity per topology (hatched: lower bound, not saturated)", fontsize=10)
    fig.tight_layout()
    return style.save(fig, outdir, "capacity_bars", formats)


def budget_vs_gas_limit(path, outdir, formats):
    p = os.path.join(path, "gas_limit.csv")
    if not os.path.exists(p):
        raise SkipFigure("no gas_limit.csv (the capacity section has no gas_limit sweep)")
    rows = _read(p)
    if not rows:
        raise SkipFigure("gas_limit.csv has no finished point")
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4))
    for pipe in _pipeline_order(r["pipeline"] for r in rows):
        rs = sorted((r for r in rows if r["pipeline"] == pipe), key=lambda r: _num(r["block_gas_limit"]))
        x = [_num(r["block_gas_limit"]) / 1e6 for r in rs]
        colour = style.pipeline_colour(pipe)
        axes[0].plot(x, [_num(r["committed_mgas_per_s"]) for r in rs], marker="o", color=colour,
                     label=style.pipeline_label(pipe))
        b50 = [_num(r["execution_budget_utilisation_p50"]) for r in rs]
        b90 = [_num(r["execution_budget_utilisation_p90"]) for r in rs]
        keep = [i for i in range(len(rs)) if b50[i] is not None]
        axes[1].plot([x[i] for i in keep], [100 * b50[i] for i in keep], marker="o", color=colour,
                     label=style.pipeline_label(pipe) + " p50")
        keep = [i for i in range(len(rs)) if b90[i] is not None]
        axes[1].plot([x[i] for i in keep], [100 * b90[i] for i in keep], marker="^", ls=":", color=colour,
                     label=style.pipeline_label(pipe) + " p90")
    axes[1].axhline(100, color="grey", lw=0.8, ls="--")
    for ax in axes:
        ax.set_xlabel("block gas limit (Mgas)")
        ax.set_xscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("committed gas (Mgas/s)")
    axes[1].set_ylabel("execution time / block time (%)")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    fig.suptitle("Saturating load: throughput and execution budget vs block gas limit", fontsize=10)
    fig.tight_layout()
    return style.save(fig, outdir, "execution_budget_vs_gas_limit", formats)


def capacity_timeline(path, outdir, formats, nodes=(0,), blocks=5):
    points = os.path.join(path, "points")
    runs = []
    if os.path.isdir(points):
        for name in sorted(os.listdir(points)):
            d = os.path.join(points, name)
            if name.startswith("timeline.") and os.path.exists(os.path.join(d, "summary.json")):
                run = Run(d)
                tps = run.scenario.get("workload", {}).get("tps")
                bt = run.scenario.get("consensus", {}).get("block_time_ms")
                run.label = "%s at %s tx/s (block time %s ms)" % (
                    style.pipeline_label(run.kind), tps, bt)
                runs.append(run)
    if not runs:
        raise SkipFigure("no timeline point (points/timeline.*/summary.json)")
    order = list(style.PIPELINE_COLOURS)
    runs.sort(key=lambda r: order.index(r.kind) if r.kind in order else len(order))
    return timeline.timeline(runs, outdir, formats, nodes=nodes, blocks=blocks, name="capacity_timeline")


FIGURES = ["capacity_latency_vs_throughput", "capacity_bars", "execution_budget_vs_gas_limit",
           "capacity_timeline"]


def jobs(path, nodes=(0,), blocks=5):
    return [
        ("capacity_latency_vs_throughput", lambda o, f: latency_vs_throughput(path, o, f)),
        ("capacity_bars", lambda o, f: capacity_bars(path, o, f)),
        ("execution_budget_vs_gas_limit", lambda o, f: budget_vs_gas_limit(path, o, f)),
        ("capacity_timeline", lambda o, f: capacity_timeline(path, o, f, nodes=nodes, blocks=blocks)),
    ]
