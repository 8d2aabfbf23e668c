"""Readers of pipesim's output folders (Python stdlib + numpy only).

Formats read (see docs/plots.md):
  run folder (`pipesim run`): summary.json, blocks.csv, txs.csv, trace.json;
  comparison folder (`pipesim compare`): comparison.csv and one run folder per variant
    (the variant names are comparison.csv's columns after "metric,unit");
  sweep folder (`pipesim sweep`): sweep.csv, one row per point:
    point,status,seed,<swept key paths...>,pipeline.kind,config_hash,code_version,<metrics...>
    a scalar metric is a column "<metric>[<unit>]", a distribution field "<metric>.<field>[<unit>]"
    (fields mean, p50, p90, p99, count); an empty cell is a missing value; the point's run
    folder, if present, is points/<point>/;
  exec CSV (`pipesim exec --sweep --csv FILE`): executor,threads,accounts,...,speedup,...

Runs and sweeps are both turned into a `Table` of `Row`s (parameters + metric values), so every
figure drawn from a sweep can be drawn from a comparison that varies the same parameter.
"""

import csv
import json
import math
import os
import re

import numpy as np

from . import style


class SkipFigure(Exception):
    """Raised by a figure function when the data does not support the figure (the message says
    what is missing); plot.py reports it and continues."""


DIST_FIELDS = ("mean", "p50", "p90", "p99", "count", "min", "max", "stddev")
_METRIC_COLUMN = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<unit>[^\[\]]*)\]$")
SWEEP_FIXED_COLUMNS = ("point", "status", "seed", "pipeline.kind", "config_hash", "code_version")
# Scenario paths that never count as a varied parameter of a set of runs.
_NOT_PARAMS = re.compile(r"^(name|description|seed|outputs(\..*)?|sweep(\..*)?)$")


def parse_cell(text):
    """CSV cell -> None (empty), int, float or the string itself."""
    if text is None:
        return None
    text = text.strip()
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_metric_column(column):
    """'latency_submit_to_committed_s.p50[s]' -> ('latency_submit_to_committed_s', 'p50', 's');
    'throughput_tx_per_s[tx/s]' -> ('throughput_tx_per_s', 'value', 'tx/s'); else None."""
    m = _METRIC_COLUMN.match(column)
    if not m:
        return None
    name, unit = m.group("name"), m.group("unit")
    head, dot, field = name.rpartition(".")
    if dot and field in DIST_FIELDS and head:
        return head, field, unit
    return name, "value", unit


def lookup(obj, key_path):
    """Value at a dotted key path in nested dicts ('pipeline.d_lag'), or None."""
    cur = obj
    for part in key_path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def find_key(obj, key):
    """First value of `key` anywhere in nested dicts (keys visited in sorted order), or None."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for k in sorted(obj):
            found = find_key(obj[k], key)
            if found is not None:
                return found
    return None


def flatten(obj, prefix=""):
    """Nested dicts -> {dotted path: leaf}; lists are leaves."""
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, prefix + k + "."))
    else:
        out[prefix[:-1]] = obj
    return out


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---------------------------------------------------------------------------------------------
# Run folders


class Trace:
    """trace.json (Chrome trace event format) reduced to what the figures use; times in s."""

    def __init__(self, path):
        with open(path) as f:
            doc = json.load(f)
        events = doc["traceEvents"] if isinstance(doc, dict) else doc
        self.process_names = {}
        self.thread_names = {}
        self.spans = []  # (pid, tid, name, start_s, dur_s)
        self.instants = []  # (pid, tid, name, time_s)
        for e in events:
            ph = e.get("ph")
            if ph == "M":
                if e.get("name") == "process_name":
                    self.process_names[e["pid"]] = e.get("args", {}).get("name", "")
                elif e.get("name") == "thread_name":
                    self.thread_names[(e["pid"], e["tid"])] = e.get("args", {}).get("name", "")
            elif ph == "X":
                self.spans.append(
                    (e["pid"], e.get("tid", 0), e.get("name", ""), e["ts"] * 1e-6, e.get("dur", 0) * 1e-6)
                )
            elif ph in ("i", "I"):
                self.instants.append((e["pid"], e.get("tid", 0), e.get("name", ""), e["ts"] * 1e-6))

    def pid_of_node(self, node):
        """pid of the process named 'validator <node>' (pipesim: pid = node + 1), or None."""
        want = "validator %d" % node
        for pid, name in self.process_names.items():
            if name == want:
                return pid
        return None


class Run:
    """One run folder. summary.json is read on construction; the CSVs and the trace on demand."""

    def __init__(self, path, label=None):
        self.path = path
        with open(os.path.join(path, "summary.json")) as f:
            self.summary = json.load(f)
        self.label = label or os.path.basename(os.path.normpath(path))
        self.scenario = self.summary.get("scenario", {}) or {}
        self.kind = lookup(self.scenario, "pipeline.kind") or "unknown"
        self.seed = self.summary.get("seed", self.scenario.get("seed"))
        self._trace = None

    def metric(self, name, field="value"):
        m = self.summary.get("metrics", {}).get(name)
        if not isinstance(m, dict):
            return None
        v = m.get(field)
        return float(v) if is_number(v) else None

    def unit(self, name):
        m = self.summary.get("metrics", {}).get(name)
        return m.get("unit") if isinstance(m, dict) else None

    def has(self, filename):
        p = os.path.join(self.path, filename)
        return os.path.isfile(p) and os.path.getsize(p) > 0

    def txs(self):
        """txs.csv as {column: float array} (NaN where a stage was not reached); None if absent."""
        if not self.has("txs.csv"):
            return None
        cols = {}
        with open(os.path.join(self.path, "txs.csv"), newline="") as f:
            reader = csv.DictReader(f)
            names = reader.fieldnames or []
            data = {n: [] for n in names}
            for row in reader:
                for n in names:
                    v = row.get(n, "")
                    data[n].append(float(v) if v not in ("", None) else math.nan)
        for n, values in data.items():
            cols[n] = np.asarray(values, dtype=float)
        return cols

    def blocks(self):
        """blocks.csv rows as dicts with typed height/round/node/time_s; [] if absent."""
        if not self.has("blocks.csv"):
            return []
        rows = []
        with open(os.path.join(self.path, "blocks.csv"), newline="") as f:
            for r in csv.DictReader(f):
                rows.append(
                    {
                        "height": int(r["height"]),
                        "block_id": r.get("block_id", ""),
                        "round": int(r["round"]) if r.get("round") not in (None, "") else None,
                        "proposer": int(r["proposer"]) if r.get("proposer") not in (None, "") else None,
                        "node": int(r["node"]),
                        "stage": r["stage"],
                        "time_s": float(r["time_s"]),
                    }
                )
        return rows

    def trace(self):
        if self._trace is None and self.has("trace.json"):
            self._trace = Trace(os.path.join(self.path, "trace.json"))
        return self._trace


def backing_mode(run_or_row):
    """"sync" / "async" for an async_backing run (scenario key `backing_mode` anywhere, e.g.
    pipeline.polkadot.backing_mode), else from the label ('...async...' / '...sync...'), else
    None."""
    run = run_or_row if isinstance(run_or_row, Run) else run_or_row.run
    params = {} if isinstance(run_or_row, Run) else run_or_row.params
    for k, v in params.items():
        if k.endswith("backing_mode") and isinstance(v, str):
            return v
    if run is not None:
        v = find_key(run.scenario, "backing_mode")
        if isinstance(v, str):
            return v
    label = (run_or_row.label or "").lower()
    if "async" in label:
        return "async"
    if "sync" in label:
        return "sync"
    return None


# ---------------------------------------------------------------------------------------------
# Tables (sweeps and sets of runs)


class Row:
    """One sweep point or one run: parameters, metric values, and its run folder if present."""

    def __init__(self, point, status, seed, kind, label, params, values, units, run=None):
        self.point = point
        self.status = status
        self.seed = seed
        self.kind = kind
        self.label = label
        self.params = params  # {key path: value}
        self.values = values  # {(metric, field): float}
        self.units = units  # {metric: unit}
        self.run = run  # Run or None

    def get(self, metric, field="value"):
        return self.values.get((metric, field))

    def param(self, key):
        if key in self.params:
            return self.params[key]
        if key == "pipeline.kind":
            return self.kind
        if self.run is not None:
            return lookup(self.run.scenario, key)
        return None


class Table:
    def __init__(self, rows, params, source):
        self.rows = rows
        self.params = params  # the key paths that vary (sweep: the swept columns)
        self.source = source  # "sweep" or "runs"

    def ok_rows(self):
        return [r for r in self.rows if r.status == "ok"]

    def not_ok_count(self):
        return sum(1 for r in self.rows if r.status != "ok")


def load_sweep(path):
    """sweep.csv of a sweep folder -> Table. Point folders (points/<point>/summary.json) are
    attached to rows when present."""
    csv_path = os.path.join(path, "sweep.csv") if os.path.isdir(path) else path
    folder = os.path.dirname(csv_path)
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        records = list(reader)
    for col in ("point", "status"):
        if col not in header:
            raise ValueError("%s: no '%s' column (not a pipesim sweep.csv)" % (csv_path, col))
    metric_cols = {}
    param_cols = []
    for i, col in enumerate(header):
        if col in SWEEP_FIXED_COLUMNS:
            continue
        parsed = parse_metric_column(col)
        if parsed:
            metric_cols[i] = parsed
        else:
            param_cols.append((i, col))
    idx = {c: i for i, c in enumerate(header)}
    rows = []
    for rec in records:
        if not rec:
            continue
        cell = lambda c: rec[idx[c]] if c in idx and idx[c] < len(rec) else ""  # noqa: E731
        params = {col: parse_cell(rec[i]) for i, col in param_cols if i < len(rec)}
        values, units = {}, {}
        for i, (name, field, unit) in metric_cols.items():
            v = parse_cell(rec[i]) if i < len(rec) else None
            if is_number(v):
                values[(name, field)] = float(v)
            if field != "count":
                units.setdefault(name, unit)
        point = cell("point")
        run = None
        point_dir = os.path.join(folder, "points", point)
        if point and os.path.isfile(os.path.join(point_dir, "summary.json")):
            try:
                run = Run(point_dir, label=point)
            except (OSError, ValueError):
                run = None
        kind = parse_cell(cell("pipeline.kind")) or (run.kind if run else None) or params.get("pipeline.kind")
        rows.append(
            Row(point, cell("status") or "ok", parse_cell(cell("seed")), kind, point, params, values, units, run)
        )
    return Table(rows, [c for _, c in param_cols], "sweep")


def row_from_run(run, status="ok"):
    values, units = {}, {}
    for name, m in (run.summary.get("metrics") or {}).items():
        if not isinstance(m, dict):
            continue
        if "unit" in m:
            units[name] = m["unit"]
        if is_number(m.get("value")):
            values[(name, "value")] = float(m["value"])
        for field in DIST_FIELDS:
            if is_number(m.get(field)):
                values[(name, field)] = float(m[field])
    if run.summary.get("invariants_hold") is False:
        status = "invariant_violation"
    return Row(run.label, status, run.seed, run.kind, run.label, {}, values, units, run)


def table_from_runs(runs):
    """Runs -> Table; the parameters are the scenario key paths whose values differ."""
    rows = [row_from_run(r) for r in runs]
    flat = [flatten(r.scenario) for r in runs]
    keys = sorted(set().union(*flat)) if flat else []
    params = []
    for k in keys:
        if _NOT_PARAMS.match(k):
            continue
        vals = {json.dumps(f.get(k), sort_keys=True) for f in flat}
        if len(vals) > 1:
            params.append(k)
    for row, f in zip(rows, flat):
        row.params = {k: f.get(k) for k in params}
    return Table(rows, params, "runs")


def load_comparison(path):
    """A comparison folder -> (list of Run in comparison.csv's column order, missing names)."""
    with open(os.path.join(path, "comparison.csv"), newline="") as f:
        header = next(csv.reader(f))
    names = header[2:] if header[:2] == ["metric", "unit"] else header[1:]
    runs, missing = [], []
    for name in names:
        d = os.path.join(path, name)
        if os.path.isfile(os.path.join(d, "summary.json")):
            runs.append(Run(d, label=name))
        else:
            missing.append(name)
    return runs, missing


def load_run_folders(path):
    """Sub-folders of `path` holding a summary.json, sorted by name, as Runs."""
    runs = []
    for name in sorted(os.listdir(path)):
        d = os.path.join(path, name)
        if os.path.isfile(os.path.join(d, "summary.json")):
            runs.append(Run(d, label=name))
    return runs


# ---------------------------------------------------------------------------------------------
# Exec CSV


EXEC_COLUMNS = ("executor", "threads", "speedup")


def is_exec_csv(path):
    if not (os.path.isfile(path) and path.endswith(".csv")):
        return False
    with open(path, newline="") as f:
        header = next(csv.reader(f), [])
    return all(c in header for c in EXEC_COLUMNS)


def load_exec_csv(path):
    """`pipesim exec --csv` output -> list of dicts (numbers parsed)."""
    with open(path, newline="") as f:
        return [{k: parse_cell(v) for k, v in r.items()} for r in csv.DictReader(f)]


# ---------------------------------------------------------------------------------------------
# Folder kinds


def detect(path):
    """Kind of input: 'sweep', 'comparison', 'run', 'runs' (a folder of run folders), 'exec'
    (an exec CSV file, or a folder holding only exec CSVs); None if unrecognised."""
    if os.path.isfile(path):
        if os.path.basename(path) == "sweep.csv":
            return "sweep"
        if is_exec_csv(path):
            return "exec"
        return None
    if not os.path.isdir(path):
        return None
    if os.path.isfile(os.path.join(path, "sweep.csv")):
        return "sweep"
    if os.path.isfile(os.path.join(path, "comparison.csv")):
        return "comparison"
    if os.path.isfile(os.path.join(path, "summary.json")):
        return "run"
    if load_run_folders(path):
        return "runs"
    if exec_csvs_in(path):
        return "exec"
    return None


def exec_csvs_in(path):
    """Exec CSV files directly inside folder `path`, sorted."""
    if not os.path.isdir(path):
        return [path] if is_exec_csv(path) else []
    return [os.path.join(path, n) for n in sorted(os.listdir(path)) if is_exec_csv(os.path.join(path, n))]


# ---------------------------------------------------------------------------------------------
# Grouping helpers


# Parameters that only matter to some pipeline kinds: a row of another kind ignores them when
# series are formed (e.g. an interleaved point of a kind x d_lag grid).
_KIND_SPECIFIC = [
    (re.compile(r"^pipeline\.(d_lag|speculative_execution)$"), {"async_execution"}),
    (re.compile(r"backing_mode$"), {"async_backing"}),
] + [
    # The scenario sections only one pipeline reads (the registry's own_sections).
    (re.compile(r"(^|\.)" + re.escape(section) + r"\."), {p["name"]})
    for p in style.PIPELINE_REGISTRY
    for section in p["own_sections"]
]


def relevant(key, kind):
    for pattern, kinds in _KIND_SPECIFIC:
        if pattern.search(key):
            return kind in kinds
    return True


def short_key(key):
    return key.rsplit(".", 1)[-1]


def format_value(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return "%g" % v
    return str(v)


def _clip(text, n=16):
    return text if len(text) <= n else text[: n - 1] + "…"


def series_of(rows, x_key, exclude=()):
    """Splits rows into series for a plot against `x_key`.

    A series = a pipeline kind + the values of the other varied parameters relevant to that
    kind (excluding `x_key`, pipeline.kind and `exclude`). Returns an ordered list of
    (series_key, kind, label, rows); rows lacking x are dropped; duplicates with the same
    series, x and seed keep the first (an irrelevant parameter that differs).
    """
    params = set()
    for r in rows:
        params.update(r.params)
    params.discard(x_key)
    params.discard("pipeline.kind")
    params.difference_update(exclude)
    varying = {}
    for kind in sorted({r.kind for r in rows}, key=str):
        kind_rows = [r for r in rows if r.kind == kind]
        keep = []
        for p in sorted(params):
            if not relevant(p, kind):
                continue
            vals = {json.dumps(r.param(p), sort_keys=True) for r in kind_rows}
            if len(vals) > 1:
                keep.append(p)
        varying[kind] = keep
    series = {}
    seen = set()
    for r in rows:
        x = r.param(x_key)
        if not is_number(x):
            continue
        key = (r.kind,) + tuple((p, json.dumps(r.param(p), sort_keys=True)) for p in varying[r.kind])
        dup = (key, x, r.seed)
        if dup in seen:
            continue
        seen.add(dup)
        if key not in series:
            parts = ["%s=%s" % (short_key(p), _clip(format_value(r.param(p)))) for p in varying[r.kind]]
            extra = ", ".join(parts[:3]) + (", …" if len(parts) > 3 else "")
            label = style.pipeline_label(r.kind) + (" (%s)" % extra if extra else "")
            series[key] = (key, r.kind, label, [])
        series[key][3].append(r)
    return list(series.values())


def aggregate(rows, x_key, y_fn):
    """Groups rows by x; returns (x, mean, std, n) arrays over the rows (seeds) with a value.
    std is the sample standard deviation (0 when n = 1)."""
    groups = {}
    for r in rows:
        x = r.param(x_key)
        y = y_fn(r)
        if is_number(x) and is_number(y):
            groups.setdefault(float(x), []).append(float(y))
    xs = sorted(groups)
    mean = np.array([np.mean(groups[x]) for x in xs])
    std = np.array([np.std(groups[x], ddof=1) if len(groups[x]) > 1 else 0.0 for x in xs])
    n = np.array([len(groups[x]) for x in xs])
    return np.array(xs), mean, std, n
