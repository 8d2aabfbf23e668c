#!/usr/bin/python3
"""Regenerates this sweep fixture (tests/data/sweep_fixture) from real pipesim runs.

usage: /usr/bin/python3 tests/data/sweep_fixture/make_fixture.py build/rel/tools/pipesim

Runs the grid below on scenarios/minimal.json (4 validators, 6 simulated seconds each, about
10 s in all) and writes, in the format `pipesim sweep` writes (docs/plots.md, "Sweep folder"):
  sweep.csv    point,status,seed,<swept keys>,pipeline.kind,config_hash,code_version,<metrics>
  sweep.json   the definition and the expanded point list
  points/p0000, points/p0012   the run folders of the first point of each pipeline kind (for
               the timeline; without txs.csv, so that the latency-CDF figure is skipped), with
               point.json as pipesim sweep writes it
The last point is reported as `failed` with empty metric cells (what sweep.csv holds for a
crashed point), so that the plot tests check such a row is left out. Written before
`pipesim sweep` existed on this branch, to test analysis/ against the fixed format.
"""

import csv
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
GRID = {
    "pipeline.kind": ["interleaved", "async_execution"],
    "consensus.block_time_ms": [200, 400, 800],
    "pipeline.d_lag": [1, 3],
}
SEEDS = [1, 2]
FIXED = {"duration_s": 6, "workload.tps": 400, "outputs.trace_nodes": 2}
FIELDS = ("mean", "p50", "p90", "p99")


def metric_columns(metrics):
    cols = {}
    for name, m in metrics.items():
        if not isinstance(m, dict):
            continue
        unit = m.get("unit", "")
        if isinstance(m.get("value"), (int, float)) and not isinstance(m.get("value"), bool):
            cols["%s[%s]" % (name, unit)] = m["value"]
        elif "p50" in m:
            for f in FIELDS:
                if isinstance(m.get(f), (int, float)):
                    cols["%s.%s[%s]" % (name, f, unit)] = m[f]
            if isinstance(m.get("count"), (int, float)):
                cols["%s.count[count]" % name] = m["count"]
    return cols


def fmt(v):
    if isinstance(v, float):
        return "%.9g" % v
    return str(v)


def main():
    pipesim = os.path.abspath(sys.argv[1])
    keys = list(GRID)
    points = []
    for values in itertools.product(*GRID.values()):
        for seed in SEEDS:
            points.append((dict(zip(keys, values)), seed))
    tmp = tempfile.mkdtemp()
    rows = []
    all_cols = set()
    kept = {}
    try:
        for i, (params, seed) in enumerate(points):
            pid = "p%04d" % i
            out = os.path.join(tmp, pid)
            cmd = [pipesim, "run", os.path.join(ROOT, "scenarios", "minimal.json"), "--quiet", "--out", out,
                   "--seed", str(seed)]
            for k, v in list(FIXED.items()) + list(params.items()):
                cmd += ["--set", "%s=%s" % (k, json.dumps(v))]
            subprocess.run(cmd, check=True)
            with open(os.path.join(out, "summary.json")) as f:
                s = json.load(f)
            cols = metric_columns(s["metrics"])
            all_cols.update(cols)
            failed = i == len(points) - 1
            rows.append((pid, "failed" if failed else "ok", seed, params, s, {} if failed else cols))
            if params["pipeline.kind"] not in kept:
                kept[params["pipeline.kind"]] = pid
                dst = os.path.join(HERE, "points", pid)
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(out, dst)
                with open(os.path.join(dst, "point.json"), "w") as f:
                    json.dump({"point": pid, "index": i, "params": params, "seed": seed}, f)
                    f.write("\n")
        # As pipesim sweep writes it: swept keys in sweep order, pipeline.kind once (among them
        # when it is swept).
        swept = list(keys)
        fixed = ([] if "pipeline.kind" in swept else ["pipeline.kind"]) + ["config_hash", "code_version"]
        header = ["point", "status", "seed"] + swept + fixed
        header += sorted(all_cols)
        with open(os.path.join(HERE, "sweep.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for pid, status, seed, params, s, cols in rows:
                w.writerow([pid, status, seed] + [fmt(params[k]) for k in swept]
                           + ([] if "pipeline.kind" in swept else [params["pipeline.kind"]])
                           + [s["config_hash"], s["code_version"]]
                           + [fmt(cols[c]) if c in cols else "" for c in sorted(all_cols)])
        with open(os.path.join(HERE, "sweep.json"), "w") as f:
            json.dump({"base": "scenarios/minimal.json", "set": FIXED,
                       "sweep": {"grid": GRID, "seeds": SEEDS},
                       "points": [{"point": r[0], "seed": r[2], "set": r[3]} for r in rows],
                       "code_version": rows[0][4]["code_version"]}, f, indent=1)
            f.write("\n")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
