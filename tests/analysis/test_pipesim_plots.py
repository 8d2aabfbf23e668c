"""Unit tests of analysis/pipesim_plots: parsers, loaders, grouping and the figures that the CLI
test (tests/cli/plots.sh) cannot reach with real runs yet (Polkadot sync vs async).

Run: PYTHONPATH=analysis /usr/bin/python3 -m unittest discover -s tests/analysis
"""

import csv
import json
import os
import shutil
import tempfile
import unittest

from pipesim_plots import driver, loaders, polkadot, speedup, style

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "data", "sweep_fixture")


def write_run(folder, scenario, metrics, seed=1):
    """A minimal run folder (summary.json only) for loader tests. The numbers are test inputs
    for the plotting code, not simulation results."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump({"scenario": scenario, "seed": seed, "code_version": "test", "config_hash": "0",
                   "metrics": metrics, "invariants": {}, "invariants_hold": True}, f)


def dist(p50, p90, p99, unit):
    return {"count": 10, "mean": p50, "p50": p50, "p90": p90, "p99": p99, "min": 0, "max": p99,
            "stddev": 0.1, "unit": unit}


class ParserTest(unittest.TestCase):
    def test_metric_columns(self):
        self.assertEqual(loaders.parse_metric_column("throughput_tx_per_s[tx/s]"),
                         ("throughput_tx_per_s", "value", "tx/s"))
        self.assertEqual(loaders.parse_metric_column("latency_submit_to_committed_s.p50[s]"),
                         ("latency_submit_to_committed_s", "p50", "s"))
        self.assertEqual(loaders.parse_metric_column("block_interval_s.count[count]"),
                         ("block_interval_s", "count", "count"))
        self.assertEqual(loaders.parse_metric_column("x.y_s[s]"), ("x.y_s", "value", "s"))
        self.assertIsNone(loaders.parse_metric_column("consensus.block_time_ms"))
        self.assertIsNone(loaders.parse_metric_column("point"))

    def test_cells(self):
        self.assertIsNone(loaders.parse_cell(""))
        self.assertEqual(loaders.parse_cell("400"), 400)
        self.assertEqual(loaders.parse_cell("0.25"), 0.25)
        self.assertEqual(loaders.parse_cell("async_execution"), "async_execution")

    def test_lookup_and_find(self):
        s = {"pipeline": {"kind": "async_backing", "polkadot": {"backing_mode": "async"}}}
        self.assertEqual(loaders.lookup(s, "pipeline.kind"), "async_backing")
        self.assertIsNone(loaders.lookup(s, "pipeline.d_lag"))
        self.assertEqual(loaders.find_key(s, "backing_mode"), "async")

    def test_relevance(self):
        self.assertFalse(loaders.relevant("pipeline.d_lag", "interleaved"))
        self.assertTrue(loaders.relevant("pipeline.d_lag", "async_execution"))
        self.assertFalse(loaders.relevant("pipeline.polkadot.backing_mode", "interleaved"))
        self.assertTrue(loaders.relevant("consensus.block_time_ms", "interleaved"))


class SweepFixtureTest(unittest.TestCase):
    def setUp(self):
        self.table = loaders.load_sweep(FIXTURE)

    def test_rows_and_columns(self):
        with open(os.path.join(FIXTURE, "sweep.csv"), newline="") as f:
            records = list(csv.DictReader(f))
        self.assertEqual(len(self.table.rows), len(records))
        self.assertEqual(self.table.params, ["consensus.block_time_ms", "pipeline.d_lag"])
        self.assertEqual(len(self.table.ok_rows()), len(records) - 1)  # one row is 'failed'
        first, rec = self.table.rows[0], records[0]
        self.assertEqual(first.point, rec["point"])
        self.assertEqual(first.kind, rec["pipeline.kind"])
        self.assertAlmostEqual(first.get("throughput_tx_per_s"), float(rec["throughput_tx_per_s[tx/s]"]))
        self.assertAlmostEqual(first.get("latency_submit_to_committed_s", "p99"),
                               float(rec["latency_submit_to_committed_s.p99[s]"]))
        self.assertEqual(first.units["throughput_tx_per_s"], "tx/s")
        failed = [r for r in self.table.rows if r.status == "failed"]
        self.assertEqual(len(failed), 1)
        self.assertEqual(failed[0].values, {})

    def test_point_folders_attached(self):
        with_run = [r.point for r in self.table.rows if r.run is not None]
        self.assertEqual(sorted(with_run), sorted(os.listdir(os.path.join(FIXTURE, "points"))))

    def test_series_ignore_irrelevant_parameters(self):
        series = loaders.series_of(self.table.ok_rows(), "consensus.block_time_ms")
        kinds = sorted(kind for _, kind, _, _ in series)
        # interleaved ignores pipeline.d_lag (one series); async_execution: one per D.
        self.assertEqual(kinds, ["async_execution", "async_execution", "interleaved"])
        labels = sorted(label for _, _, label, _ in series)
        self.assertTrue(any("d_lag=1" in lb for lb in labels) and any("d_lag=3" in lb for lb in labels))
        inter = [rows for _, kind, _, rows in series if kind == "interleaved"][0]
        # duplicates (same block time and seed, different ignored d_lag) are dropped
        keys = [(r.param("consensus.block_time_ms"), r.seed) for r in inter]
        self.assertEqual(len(keys), len(set(keys)))

    def test_aggregate_mean_over_seeds(self):
        rows = [r for r in self.table.ok_rows() if r.kind == "interleaved" and r.param("pipeline.d_lag") == 1]
        xs, mean, std, n = loaders.aggregate(rows, "consensus.block_time_ms", lambda r: r.get("throughput_tx_per_s"))
        self.assertEqual(list(xs), [200.0, 400.0, 800.0])
        at200 = [r.get("throughput_tx_per_s") for r in rows if r.param("consensus.block_time_ms") == 200]
        self.assertAlmostEqual(mean[0], sum(at200) / len(at200))
        self.assertEqual(int(n[0]), len(at200))

    def test_detect(self):
        self.assertEqual(loaders.detect(FIXTURE), "sweep")
        self.assertEqual(loaders.detect(os.path.join(FIXTURE, "points", sorted(os.listdir(
            os.path.join(FIXTURE, "points")))[0])), "run")
        self.assertEqual(loaders.detect(os.path.join(FIXTURE, "points")), "runs")
        self.assertIsNone(loaders.detect(os.path.join(ROOT, "docs")))


class CommandLineTest(unittest.TestCase):
    """analysis/plot.py's argument checks (exit 2 before any figure is drawn)."""

    def setUp(self):
        import importlib.util
        import io

        spec = importlib.util.spec_from_file_location("plot_cli", os.path.join(ROOT, "analysis", "plot.py"))
        self.cli = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.cli)
        self.err = io.StringIO()

    def run_cli(self, args):
        import contextlib

        with contextlib.redirect_stderr(self.err), contextlib.redirect_stdout(io_sink()):
            return self.cli.main(args)

    def test_usage_errors(self):
        self.assertEqual(self.run_cli([FIXTURE, "--only", "nosuchfigure"]), 2)
        self.assertIn("unknown figure", self.err.getvalue())
        self.assertEqual(self.run_cli([FIXTURE, "--formats", "jpg"]), 2)
        self.assertEqual(self.run_cli([FIXTURE, "--nodes", "a"]), 2)
        self.assertEqual(self.run_cli([FIXTURE, "--blocks", "0"]), 2)
        self.assertEqual(self.run_cli([os.path.join(FIXTURE, "nonexistent")]), 2)
        self.assertEqual(self.run_cli([os.path.join(ROOT, "docs")]), 2)
        self.assertIn("not a pipesim output", self.err.getvalue())
        self.assertEqual(self.run_cli([]), 2)


def io_sink():
    import io

    return io.StringIO()


class FiguresTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        style.apply_style()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def _polkadot_runs(self):
        base = {"pipeline": {"kind": "async_backing"}}
        sync = json.loads(json.dumps(base))
        sync["pipeline"]["polkadot"] = {"backing_mode": "sync"}
        asyn = json.loads(json.dumps(base))
        asyn["pipeline"]["polkadot"] = {"backing_mode": "async"}
        for name, sc, interval in (("polkadot_sync", sync, 12.0), ("polkadot_async", asyn, 6.0)):
            write_run(os.path.join(self.tmp, "cmp", name), sc, {
                "parablock_interval_s": dist(interval, interval * 1.5, interval * 2, "s"),
                "relay_block_interval_s": dist(6.0, 6.0, 6.1, "s"),
                "blockspace_gas_per_relay_block": dist(1e6 * interval, 2e6 * interval, 3e6 * interval, "gas"),
                "blockspace_bytes_per_relay_block": dist(5e4, 6e4, 7e4, "bytes"),
                "throughput_tx_per_s": {"value": 10.0, "unit": "tx/s"},
            })
        with open(os.path.join(self.tmp, "cmp", "comparison.csv"), "w") as f:
            f.write("metric,unit,polkadot_sync,polkadot_async\nthroughput,tx/s,10,10\n")
        return os.path.join(self.tmp, "cmp")

    def test_table_from_runs_params_and_mode(self):
        runs, missing = loaders.load_comparison(self._polkadot_runs())
        self.assertEqual([r.label for r in runs], ["polkadot_sync", "polkadot_async"])
        self.assertEqual(missing, [])
        table = loaders.table_from_runs(runs)
        self.assertEqual(table.params, ["pipeline.polkadot.backing_mode"])
        self.assertEqual([loaders.backing_mode(r) for r in table.rows], ["sync", "async"])

    def test_polkadot_figure(self):
        runs, _ = loaders.load_comparison(self._polkadot_runs())
        paths = polkadot.polkadot_sync_vs_async(loaders.table_from_runs(runs), self.tmp, ["pdf", "png"])
        self.assertEqual(len(paths), 2)
        for p in paths:
            self.assertGreater(os.path.getsize(p), 1000)

    def test_polkadot_skips_without_async_backing(self):
        write_run(os.path.join(self.tmp, "r"), {"pipeline": {"kind": "interleaved"}}, {})
        table = loaders.table_from_runs([loaders.Run(os.path.join(self.tmp, "r"))])
        with self.assertRaises(loaders.SkipFigure):
            polkadot.polkadot_sync_vs_async(table, self.tmp, ["png"])

    def test_driver_reports_skips(self):
        cmp_dir = self._polkadot_runs()
        import io

        out = io.StringIO()
        written, skipped, failed = driver.run(cmp_dir, os.path.join(self.tmp, "figs"), ["png"], out=out)
        self.assertEqual(failed, {})
        self.assertIn("polkadot_sync_vs_async", [os.path.basename(p)[:-4] for p in written])
        for name in ("throughput_latency_vs_block_time", "latency_cdf", "timeline", "exec_speedup_vs_threads"):
            self.assertIn(name, skipped)
            self.assertIn("skipped %s:" % name, out.getvalue())

    def test_exec_csv(self):
        path = os.path.join(self.tmp, "exec.csv")
        with open(path, "w") as f:
            f.write("executor,threads,accounts,txs,mix,seed,speedup,conflict_rate\n")
            for ex, s in (("sequential", 1.0), ("block_stm", 3.0)):
                for t in (1, 4):
                    f.write('%s,%d,100,50,"transfer=1,erc20=0",1,%g,0.01\n' % (ex, t, s if t > 1 else 1.0))
        self.assertTrue(loaders.is_exec_csv(path))
        rows = loaders.load_exec_csv(path)
        self.assertEqual(rows[0]["mix"], "transfer=1,erc20=0")
        paths = speedup.speedup_vs_threads(rows, self.tmp, ["png"])
        self.assertTrue(os.path.getsize(paths[0]) > 1000)
        with self.assertRaises(loaders.SkipFigure):
            speedup.speedup_vs_threads([r for r in rows if r["executor"] == "sequential"], self.tmp, ["png"])

    def test_series_styles_shades_one_kind(self):
        st = style.series_styles([("a", "async_execution"), ("b", "async_execution"), ("c", "interleaved")])
        self.assertEqual(st["c"]["color"], style.PIPELINE_COLOURS["interleaved"])
        self.assertNotEqual(st["a"]["color"], st["b"]["color"])
        self.assertNotEqual(st["a"]["marker"], st["b"]["marker"])


if __name__ == "__main__":
    unittest.main()
