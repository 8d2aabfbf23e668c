#!/usr/bin/python3
"""Scaling figure of issue 16: wall time and peak memory of `pipesim run` against the number of
validators, one series per pipeline, log-log.

usage: /usr/bin/python3 bench/scaling.py [--pipesim PATH] [--sizes 16,64,256,1000]
                                         [--duration-s 10] [--csv docs/figures/scaling.csv]
                                         [--figdir docs/figures] [--plot-only] [--timeout-s 1200]

Each point is one process: `pipesim run scenarios/compare-pipelines.json` with the variant's
--set overrides of that file (the main job's four pipelines on the same workload and latencies),
network.validators = N, duration_s = --duration-s, no trace or blocks.csv, under
/usr/bin/time -v (wall clock, user + system CPU, maximum resident set size). The start-up and
simulation wall times come from pipesim's own run-log line. Rows go to the CSV (one per
pipeline x N, rewritten as points finish); --plot-only redraws the figure from the CSV.
Writes FIGDIR/scaling.png and FIGDIR/scaling.pdf (needs Debian's python3-matplotlib).
Wall times depend on the machine's load: the CSV records the 1-minute load average of each run.
"""

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIELDS = ["pipeline", "validators", "duration_s", "wall_s", "cpu_s", "peak_rss_mib", "startup_s",
          "simulation_s", "blocks_committed", "load_avg_1min", "status"]


def variants():
    with open(os.path.join(ROOT, "scenarios/compare-pipelines.json")) as f:
        return json.load(f)["compare"]["variants"]


def run_point(pipesim, variant, n, duration_s, timeout_s):
    sets = dict(variant["set"])
    sets["network.validators"] = n
    sets["duration_s"] = duration_s
    sets["outputs.trace"] = False
    sets["outputs.blocks_csv"] = False
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        cmd = ["/usr/bin/time", "-v", pipesim, "run",
               os.path.join(ROOT, "scenarios/compare-pipelines.json"), "--out", out, "--quiet"]
        for k, v in sets.items():
            cmd += ["--set", "%s=%s" % (k, json.dumps(v) if not isinstance(v, str) else v)]
        load = os.getloadavg()[0]
        row = {"pipeline": variant["set"]["pipeline.kind"], "validators": n,
               "duration_s": duration_s, "load_avg_1min": "%.2f" % load}
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            row["status"] = "timeout>%ds" % timeout_s
            return row
        err = p.stderr

        def field(name):
            m = re.search(re.escape(name) + r": (.*)", err)
            return m.group(1).strip() if m else None

        if p.returncode != 0 or field("Maximum resident set size (kbytes)") is None:
            row["status"] = "exit %d" % p.returncode
            return row
        wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
        row["wall_s"] = "%.3f" % sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
        row["cpu_s"] = "%.3f" % (float(field("User time (seconds)")) +
                                 float(field("System time (seconds)")))
        row["peak_rss_mib"] = "%.1f" % (int(field("Maximum resident set size (kbytes)")) / 1024)
        m = re.search(r"start-up ([0-9.]+) s, simulation ([0-9.]+) s", err + p.stdout)
        if m:
            row["startup_s"], row["simulation_s"] = m.group(1), m.group(2)
        with open(os.path.join(out, "summary.json")) as f:
            metrics = json.load(f)["metrics"]
        row["blocks_committed"] = metrics.get("blocks_committed", {}).get("value", "")
        row["status"] = "ok"
        return row


def write_csv(path, rows):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in FIELDS})
    os.replace(tmp, path)


def plot(csv_path, figdir):
    sys.path.insert(0, os.path.join(ROOT, "analysis"))
    from pipesim_plots import style  # noqa: E402

    style.apply_style()
    import matplotlib.pyplot as plt  # noqa: E402

    with open(csv_path) as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "ok"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for kind in sorted({r["pipeline"] for r in rows}):
        pts = sorted((int(r["validators"]), float(r["wall_s"]), float(r["peak_rss_mib"]))
                     for r in rows if r["pipeline"] == kind)
        xs = [p[0] for p in pts]
        kw = dict(color=style.pipeline_colour(kind), label=style.pipeline_label(kind), marker="o")
        axes[0].plot(xs, [p[1] for p in pts], **kw)
        axes[1].plot(xs, [p[2] for p in pts], **kw)
    dur = sorted({r["duration_s"] for r in rows})
    for ax, ylabel in zip(axes, ["wall time per run (s)", "peak memory (MiB)"]):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("validators")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_title("%s s simulated, whole process" % "/".join(dur), fontsize=9)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    style.save(fig, figdir, "scaling", ["png", "pdf"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pipesim", default=os.path.join(ROOT, "build/release/tools/pipesim"))
    ap.add_argument("--sizes", default="16,64,256,1000")
    ap.add_argument("--duration-s", type=float, default=10)
    ap.add_argument("--csv", default=os.path.join(ROOT, "docs/figures/scaling.csv"))
    ap.add_argument("--figdir", default=os.path.join(ROOT, "docs/figures"))
    ap.add_argument("--timeout-s", type=float, default=1200)
    ap.add_argument("--pipelines", default="", help="comma-separated pipeline kinds (default all)")
    ap.add_argument("--plot-only", action="store_true")
    a = ap.parse_args()
    if not a.plot_only:
        keep = set(filter(None, a.pipelines.split(",")))
        rows = []
        for n in [int(x) for x in a.sizes.split(",")]:
            for v in variants():
                if keep and v["set"]["pipeline.kind"] not in keep:
                    continue
                row = run_point(a.pipesim, v, n, a.duration_s, a.timeout_s)
                print(",".join(str(row.get(k, "")) for k in FIELDS), flush=True)
                rows.append(row)
                write_csv(a.csv, rows)
    plot(a.csv, a.figdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
