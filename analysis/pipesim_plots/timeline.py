"""(6) Timeline of a few blocks per pipeline from trace.json + blocks.csv: the classic
interleaved-vs-pipelined picture.

One panel per run (variant), lanes per validator (default validator 0):
  consensus  one bar per block from its arrival at the validator (stage `proposed` or `received`
             in blocks.csv) to the arrival of the next block: the round the validator spends on
             it; the tick inside marks the validator's vote (trace instant `vote r<round>`);
             a triangle marks when the block was committed/finalized at the validator;
  execution  the execution spans of the trace's `execution` track, coloured by the block they
             executed (matched to blocks.csv's `executed` time); a diamond marks `verified`;
  other      every other named track with spans (e.g. a new pipeline's lanes), in grey.
A block has the same colour in every lane. The window starts at the arrival of a block about a
third into the run (past the warm-up; the same height in every panel when it exists) and spans
`blocks` rounds; all panels share the time scale.
"""

import re

import matplotlib.patches as mpatches
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from . import style
from .loaders import SkipFigure, format_value, lookup

BLOCK_COLOURS = ["#a6cee3", "#b2df8a", "#fdbf6f", "#cab2d6", "#fb9a99", "#ffff99", "#8dd3c7", "#fccde5"]
MAX_PANELS = 8
_SKIP_TRACKS = re.compile(r"^(consensus|network|execution|worker \d+)$")
_VOTE = re.compile(r"^vote r(\d+)$")


def _block_colour(h):
    return BLOCK_COLOURS[h % len(BLOCK_COLOURS)]


class _NodeTimeline:
    """Per-validator block stages and trace spans of one run."""

    def __init__(self, run, node, blocks, trace):
        self.node = node
        self.arrival = {}
        self.round = {}
        self.stage = {}  # (height, stage) -> time
        for b in blocks:
            if b["node"] != node:
                continue
            h, st, t = b["height"], b["stage"], b["time_s"]
            if st in ("proposed", "received"):
                if h not in self.arrival or t < self.arrival[h]:
                    self.arrival[h] = t
                    self.round[h] = b["round"]
            key = (h, st)
            if key not in self.stage or t < self.stage[key]:
                self.stage[key] = t
        self.pid = trace.pid_of_node(node) if trace else None
        self.tracks = {}
        self.votes = {}
        if trace is None or self.pid is None:
            return
        names = {tid: name for (pid, tid), name in trace.thread_names.items() if pid == self.pid}
        for pid, tid, name, start, dur in trace.spans:
            if pid == self.pid:
                self.tracks.setdefault(names.get(tid, "track %d" % tid), []).append((start, dur, name))
        for pid, tid, name, t in trace.instants:
            m = _VOTE.match(name) if pid == self.pid else None
            if m:
                self.votes.setdefault(int(m.group(1)), t)

    def arrivals(self):
        return sorted((t, h) for h, t in self.arrival.items())

    def executed_height(self, end_s):
        """Height of the block an execution span ending at `end_s` executed: the block whose
        `executed` stage is at that time, else (a leader building its proposal, which records
        only `proposed`) the next block this validator proposed; None if neither."""
        best = None
        for (h, st), t in self.stage.items():
            if st == "executed" and abs(t - end_s) <= 2e-6:
                best = h if best is None else min(best, h)
        if best is None:
            later = [(t, h) for (h, st), t in self.stage.items() if st == "proposed" and t >= end_s - 2e-6]
            if later:
                best = min(later)[1]
        return best


def _window(tl, target_height, blocks):
    arr = tl.arrivals()
    if len(arr) < 2:
        return None
    idx = None
    if target_height is not None:
        for i, (_, h) in enumerate(arr):
            if h == target_height:
                idx = i
                break
    if idx is None:
        idx = max(0, min(len(arr) // 3, len(arr) - blocks - 1))
    end_idx = min(idx + blocks, len(arr) - 1)
    return arr[idx][1], arr[idx][0], arr[end_idx][0]


def _trace_window(run, tl, blocks):
    """Fallback for runs whose blocks.csv has no `proposed`/`received` stage at the validator
    (e.g. another pipeline's stage names): `blocks` block intervals (summary p50, else 1 s) from
    a third into the validator's traced spans. Returns (None, t0, t1) or None."""
    spans = [(st, d) for track in tl.tracks.values() for st, d, _ in track]
    if not spans:
        return None
    lo = min(st for st, _ in spans)
    hi = max(st + d for st, d in spans)
    interval = run.metric("block_interval_s", "p50") or 1.0
    t0 = lo + (hi - lo) / 3
    return None, t0, min(hi, t0 + blocks * interval) if hi > t0 else t0 + blocks * interval


def timeline(runs, outdir, formats, nodes=(0,), blocks=5, name="timeline"):
    panels = []
    skipped = []
    target = None
    if len(runs) > MAX_PANELS:
        skipped.append("%d more run(s) (at most %d panels)" % (len(runs) - MAX_PANELS, MAX_PANELS))
        runs = runs[:MAX_PANELS]
    for run in runs:
        trace = run.trace()
        rows = run.blocks()
        if trace is None:
            skipped.append("%s (no trace.json)" % run.label)
            continue
        tls = [_NodeTimeline(run, n, rows, trace) for n in nodes]
        w = _window(tls[0], target, blocks)
        if w is None:
            w = _trace_window(run, tls[0], blocks)
            if w is None:
                skipped.append("%s (no block arrivals and no trace spans at validator %d)" % (run.label, nodes[0]))
                continue
        elif target is None:
            target = w[0]
        panels.append((run, tls, w))
    if not panels:
        raise SkipFigure("no run with a trace.json to draw: " + "; ".join(skipped))
    span_s = max(w[2] - w[1] for _, _, w in panels)
    lane_sets = []
    for run, tls, _ in panels:
        lanes = []
        for tl in tls:
            if tl.arrival:
                lanes.append(("consensus", tl))
            elif "consensus" in tl.tracks:  # no block stages: the consensus track's own spans
                lanes.append(("consensus track", tl))
            if "execution" in tl.tracks or any(st in ("executed", "verified") for _, st in tl.stage):
                lanes.append(("execution", tl))
            for track in sorted(tl.tracks):
                if not _SKIP_TRACKS.match(track):
                    lanes.append((track, tl))
        lane_sets.append(lanes)
    heights = [0.45 + 0.32 * len(l) for l in lane_sets]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(style.DOUBLE_COLUMN_IN, sum(heights) + 0.6),
        gridspec_kw={"height_ratios": heights}, squeeze=False, sharex=True,
    )
    axes = axes[:, 0]
    for ax, (run, tls, (h0, t0, t1)), lanes in zip(axes, panels, lane_sets):
        t_end = t0 + span_s
        ylabels = []
        for lane_idx, (lane, tl) in enumerate(lanes):
            y = len(lanes) - 1 - lane_idx
            prefix = "v%d " % tl.node if len(nodes) > 1 else ""
            ylabels.append((y, prefix + lane))
            if lane == "consensus":
                _draw_consensus(ax, tl, y, t0, t_end, span_s)
            elif lane == "execution":
                _draw_execution(ax, tl, y, t0, t_end, span_s)
            else:
                for start, dur, nm in tl.tracks.get(lane.replace(" track", ""), []):
                    if start + dur >= t0 and start <= t_end:
                        ax.broken_barh([(start - t0, max(dur, span_s * 0.002))], (y - 0.3, 0.6),
                                       facecolors="0.75", edgecolors="0.4", linewidth=0.4)
        ax.set_yticks([y for y, _ in ylabels])
        ax.set_yticklabels([lb for _, lb in ylabels])
        ax.set_ylim(-0.6, len(lanes) - 0.4)
        ax.set_xlim(0, span_s)
        ax.grid(axis="y", visible=False)
        title = "%s — %s" % (style.pipeline_label(run.kind), run.label)
        d = lookup(run.scenario, "pipeline.d_lag")
        if run.kind == "async_execution" and d is not None and "d_lag=" not in run.label:
            title += " (D = %s)" % format_value(d)
        bt = lookup(run.scenario, "consensus.block_time_ms")
        # Only the HotStuff pipelines are paced by consensus.block_time_ms (async_backing has 6 s
        # relay slots, speculate_order_replay the DAG's rounds).
        paced = run.kind in ("interleaved", "async_execution")
        if paced and bt is not None and "block_time_ms=" not in run.label:
            title += ", block time %s ms" % format_value(bt)
        if h0 is not None:
            title += "; blocks from height %d" % h0
        ax.set_title(title, loc="left", color=style.pipeline_colour(run.kind), fontweight="bold")
        for side in ("left",):
            ax.spines[side].set_color(style.pipeline_colour(run.kind))
            ax.spines[side].set_linewidth(2)
        ax.tick_params(axis="x", labelbottom=True)
    if all(w[0] is not None for _, _, w in panels):
        axes[-1].set_xlabel("time since the first block shown arrived at validator %d (s)" % nodes[0])
    else:
        axes[-1].set_xlabel("time from the start of the window (s)")
    handles = [
        mpatches.Patch(facecolor=BLOCK_COLOURS[0], edgecolor="0.3", label="consensus round of block h / its execution"),
        Line2D([], [], color="0.1", marker="|", linestyle="none", markersize=7, label="vote sent"),
        Line2D([], [], color="0.1", marker="v", linestyle="none", markerfacecolor="white", label="block h committed / finalized"),
        Line2D([], [], color="0.1", marker="D", linestyle="none", markerfacecolor="white", markersize=3.5, label="block h verified"),
    ]
    fig.legend(handles=handles, loc="upper center", ncol=4, bbox_to_anchor=(0.5, 1.0 + 0.25 / (sum(heights) + 0.6)))
    if skipped:
        fig.text(0.99, -0.01, "not shown: " + "; ".join(skipped), ha="right", va="top", fontsize=6, color="0.4")
    fig.tight_layout()
    return style.save(fig, outdir, name, formats)


def _label(ax, x, w, y, text, span_s, above_if_narrow=False):
    """Block number inside its bar, or (narrow bars, `above_if_narrow`) just above it."""
    if w > span_s * 0.022:
        ax.text(x + w / 2, y, text, ha="center", va="center", fontsize=6, clip_on=True)
    elif above_if_narrow and -0.01 * span_s <= x <= span_s:
        ax.text(x + w / 2, y + 0.32, text, ha="center", va="bottom", fontsize=5.5, clip_on=True)


def _draw_consensus(ax, tl, y, t0, t_end, span_s):
    arr = tl.arrivals()
    for i, (t, h) in enumerate(arr):
        nxt = arr[i + 1][0] if i + 1 < len(arr) else t_end
        if nxt < t0 or t > t_end:
            continue
        x, w = t - t0, max(nxt - t, span_s * 0.002)
        ax.broken_barh([(x, w)], (y - 0.3, 0.6), facecolors=_block_colour(h), edgecolors="0.3", linewidth=0.5)
        _label(ax, x, w, y, str(h), span_s)
        v = tl.votes.get(tl.round.get(h))
        if v is not None and t <= v <= nxt:
            ax.plot([v - t0, v - t0], [y - 0.3, y + 0.3], color="0.1", linewidth=1.0)
    for (h, st), t in tl.stage.items():
        if st in ("committed", "finalized") and t0 <= t <= t_end:
            ax.plot(t - t0, y + 0.42, marker="v", color="0.1", markerfacecolor=_block_colour(h), markersize=5,
                    clip_on=False)


def _draw_execution(ax, tl, y, t0, t_end, span_s):
    for start, dur, name in tl.tracks.get("execution", []):
        if start + dur < t0 or start > t_end:
            continue
        h = tl.executed_height(start + dur)
        colour = _block_colour(h) if h is not None else "0.8"
        x, w = start - t0, max(dur, span_s * 0.002)
        ax.broken_barh([(x, w)], (y - 0.3, 0.6), facecolors=colour, edgecolors="0.3", linewidth=0.5)
        if h is not None:
            _label(ax, x, w, y, str(h), span_s, above_if_narrow=True)
    for (h, st), t in tl.stage.items():
        if st == "verified" and t0 <= t <= t_end:
            ax.plot(t - t0, y - 0.42, marker="D", color="0.1", markerfacecolor=_block_colour(h), markersize=3.5,
                    clip_on=False)
