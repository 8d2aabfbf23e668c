"""Paper style shared by every pipesim figure: the pipeline colour map, rcParams, saving.

Colours are the Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008, "Color Universal
Design"); one colour per pipeline kind, the same in every figure. Several variants of one
pipeline (e.g. D = 1 and D = 3) get lighter/darker shades of that colour and their own marker.

Output is deterministic: fixed rcParams (no user matplotlibrc is read: `apply_style` resets to
matplotlib's defaults first), DejaVu Sans (shipped with matplotlib), `svg.hashsalt` fixed, no
creation date in PDF/PNG/SVG metadata, and each file is written to a temporary name and renamed
(never half-written).
"""

import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

# pipeline.kind -> colour (Okabe-Ito), legend label and marker: read from the pipeline registry
# (models/pipelines/registry/pipeline_info.hpp), dumped by `pipesim pipelines --json` into
# pipelines.json next to this file (the test pipelines_json_current checks it is up to date).
PIPELINE_REGISTRY = json.load(open(os.path.join(os.path.dirname(__file__), "pipelines.json")))["pipelines"]
PIPELINE_COLOURS = {p["name"]: p["colour"] for p in PIPELINE_REGISTRY}
# Colours for kinds not listed above, in order of first appearance.
_SPARE_COLOURS = ["#E69F00", "#56B4E9", "#000000", "#F0E442"]

PIPELINE_LABELS = {p["name"]: p["label"] for p in PIPELINE_REGISTRY}

PIPELINE_MARKERS = {p["name"]: p["marker"] for p in PIPELINE_REGISTRY}
_VARIANT_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">"]

# Figure widths in inches: one column / full width of a two-column paper (IEEE, ACM).
SINGLE_COLUMN_IN = 3.5
DOUBLE_COLUMN_IN = 7.16

_spare = {}


def pipeline_colour(kind):
    """Colour of a pipeline kind (a hex string); unknown kinds get spare colours in order."""
    if kind in PIPELINE_COLOURS:
        return PIPELINE_COLOURS[kind]
    if kind not in _spare:
        _spare[kind] = _SPARE_COLOURS[len(_spare) % len(_SPARE_COLOURS)]
    return _spare[kind]


def pipeline_label(kind):
    return PIPELINE_LABELS.get(kind, str(kind))


def shade(colour, amount):
    """`colour` mixed with white (amount > 0) or black (amount < 0); amount in [-1, 1]."""
    r, g, b = mcolors.to_rgb(colour)
    if amount >= 0:
        r, g, b = (c + (1 - c) * amount for c in (r, g, b))
    else:
        r, g, b = (c * (1 + amount) for c in (r, g, b))
    return mcolors.to_hex((r, g, b))


def series_styles(series):
    """Styles for a list of (key, kind) series in display order.

    Returns {key: {"color", "marker"}}: the pipeline's colour for a kind's only series; with
    several series of one kind, shades from dark to light (first = darkest) and distinct markers.
    """
    by_kind = {}
    for key, kind in series:
        by_kind.setdefault(kind, []).append(key)
    styles = {}
    for kind, keys in by_kind.items():
        base = pipeline_colour(kind)
        n = len(keys)
        for i, key in enumerate(keys):
            if n == 1:
                colour, marker = base, PIPELINE_MARKERS.get(kind, "o")
            else:
                # -0.35 (darker) .. +0.5 (lighter)
                colour = shade(base, -0.35 + 0.85 * i / (n - 1))
                marker = _VARIANT_MARKERS[i % len(_VARIANT_MARKERS)]
            styles[key] = {"color": colour, "marker": marker}
    return styles


def apply_style():
    """Resets matplotlib to fixed, paper-sized defaults (call before creating figures)."""
    matplotlib.rcdefaults()
    matplotlib.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 8,
            "axes.titlesize": 8,
            "axes.labelsize": 8,
            "xtick.labelsize": 7,
            "ytick.labelsize": 7,
            "legend.fontsize": 7,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "grid.linewidth": 0.5,
            "lines.linewidth": 1.2,
            "lines.markersize": 4,
            "errorbar.capsize": 2,
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "savefig.bbox": "tight",
            "savefig.pad_inches": 0.02,
            "pdf.fonttype": 42,  # embed TrueType (editable text, accepted by publishers)
            "ps.fonttype": 42,
            "svg.fonttype": "none",
            "svg.hashsalt": "pipesim",
            "path.simplify": False,
        }
    )


_METADATA = {
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": "pipesim"},
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": "pipesim"},
}


def save(fig, outdir, name, formats):
    """Writes `fig` as outdir/name.<fmt> for each format; returns the written paths."""
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for fmt in formats:
        path = os.path.join(outdir, "%s.%s" % (name, fmt))
        tmp = "%s.tmp-%d.%s" % (path[: -len(fmt) - 1], os.getpid(), fmt)
        try:
            fig.savefig(tmp, format=fmt, metadata=_METADATA.get(fmt))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        paths.append(path)
    plt.close(fig)
    return paths
