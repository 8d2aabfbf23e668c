#!/usr/bin/env python3
"""Markdown table of the per-block checks, read from the shipped trace files (data/eth-traces).

Usage: provenance_table.py DIR [TIMES.tsv]  (TIMES.tsv: the tool's stdout, for the seconds column)
"""
import gzip, json, os, sys

d = sys.argv[1]
secs = {}
if len(sys.argv) > 2:
    for line in open(sys.argv[2]):
        f = line.rstrip("\n").split("\t")
        if f[0].isdigit():
            secs[int(f[0])] = f[-1]
rows = []
for name in os.listdir(d):
    if name.endswith(".json.gz"):
        j = json.load(gzip.open(os.path.join(d, name)))
        rows.append((j["block"], j, os.path.getsize(os.path.join(d, name))))
print("| block | hardfork | txs | gas used = header | receipts root | logs bloom | exact | file bytes | seconds |")
print("|---:|---|---:|---:|---|---|---|---:|---:|")
for n, j, size in sorted(rows):
    c = j["checks"]
    rr = {True: "equal", False: "DIFFERS", None: "n/a (pre-Byzantium)"}[c["receipts_root_ok"]]
    print(f"| {n} | {j['hardfork']} | {len(j['txs'])} | {c['gas_used']:,} {'=' if c['gas_ok'] else '!='} "
          f"{c['header_gas_used']:,} | {rr} | {'equal' if c['logs_bloom_ok'] else 'DIFFERS'} | "
          f"{'yes' if c['exact'] else 'NO'} | {size:,} | {secs.get(n, '')} |")
