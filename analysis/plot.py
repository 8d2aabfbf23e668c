#!/usr/bin/python3
"""Paper-style figures from pipesim outputs.

usage: /usr/bin/python3 analysis/plot.py DIR [--out FIGDIR] [--formats pdf,png] [--only NAMES]
                                         [--nodes 0] [--blocks 5]

DIR is a sweep folder (sweep.csv), a comparison folder (comparison.csv), a run folder
(summary.json), a folder of run folders, or an exec CSV (`pipesim exec --sweep --csv FILE`); exec
CSVs found directly inside DIR are plotted too. Every figure the data supports is written to
FIGDIR (default DIR/figures) as NAME.pdf and NAME.png; each figure the data does not support is
reported as skipped with the reason. Figures and their inputs: docs/plots.md.

Exit codes: 0 all figures written or skipped; 1 a figure failed (bug or malformed input; the
others are still made); 2 usage error or DIR is not a pipesim output; 3 matplotlib is missing.
Needs Python 3 with matplotlib and numpy (Debian 12: apt-get install python3-matplotlib).
"""

import argparse
import importlib
import os
import sys


def main(argv=None):
    try:
        for module in ("matplotlib", "numpy"):
            importlib.import_module(module)
    except ImportError as e:
        print(
            "plot.py: %s — install Debian's python3-matplotlib (apt-get install python3-matplotlib, "
            "or bash tools/install-deps.sh) and run with /usr/bin/python3" % e,
            file=sys.stderr,
        )
        return 3
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from pipesim_plots import driver

    p = argparse.ArgumentParser(
        prog="plot.py", description="Paper-style figures from a pipesim sweep, comparison, run or exec CSV."
    )
    p.add_argument("dir", help="sweep / comparison / run folder, or an exec CSV")
    p.add_argument("--out", help="figure folder (default DIR/figures)")
    p.add_argument("--formats", default="pdf,png", help="comma-separated: pdf,png,svg (default pdf,png)")
    p.add_argument("--only", help="comma-separated figure names (default: all): " + ", ".join(driver.FIGURES))
    p.add_argument("--nodes", default="0", help="timeline: validators whose lanes are drawn (default 0)")
    p.add_argument("--blocks", type=int, default=5, help="timeline: rounds in the window (default 5)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("pdf", "png", "svg")]
    if not formats or bad:
        print("plot.py: --formats: expected pdf, png and/or svg, got %s" % args.formats, file=sys.stderr)
        return 2
    only = None
    if args.only:
        only = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in only if n not in driver.FIGURES]
        if unknown:
            print("plot.py: --only: unknown figure(s) %s; expected %s" % (", ".join(unknown), ", ".join(driver.FIGURES)),
                  file=sys.stderr)
            return 2
    try:
        nodes = tuple(int(n) for n in args.nodes.split(","))
    except ValueError:
        print("plot.py: --nodes: expected comma-separated validator indices, got %s" % args.nodes, file=sys.stderr)
        return 2
    if args.blocks < 1:
        print("plot.py: --blocks: expected an integer >= 1", file=sys.stderr)
        return 2
    if not os.path.exists(args.dir):
        print("plot.py: %s: no such file or folder" % args.dir, file=sys.stderr)
        return 2
    try:
        written, skipped, failed = driver.run(args.dir, args.out, formats, only, nodes, args.blocks)
    except ValueError as e:
        print("plot.py: %s" % e, file=sys.stderr)
        return 2
    print("plot.py: %d file(s) written, %d figure(s) skipped, %d failed" % (len(written), len(skipped), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
