#!/usr/bin/env bash
# Network inputs end to end: a propagation-only run over a small gossip topology, and a
# 7-validator interleaved HotStuff run with the SimBlock 2019 preset, flood dissemination and
# node classes; summary.json carries topology stats, propagation percentiles and bytes.
# Bad network input (too few platform hosts) exits 2 and writes nothing.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$pipesim" run scenarios/topology-ring.json --quiet --set network.validators=20 \
  --set network.latency.model=constant --set network.latency.constant_ms=50 \
  --set network.bandwidth.upload_mbps=8 --set pipeline.block_size_bytes=1000 \
  --out "$tmp/prop"
"$pipesim" run scenarios/minimal.json --quiet --set network.validators=7 --set duration_s=20 \
  --set network.latency.model=region_matrix --set network.latency.preset=simblock_2019 \
  --set network.latency.jitter_kind=pareto \
  --set 'network.topology={"kind": "random_regular", "degree": 4}' \
  --set network.dissemination.mode=flood --set network.dissemination.processing_delay_ms=1 \
  --set 'network.classes=[{"name": "reliable", "fraction": 5}, {"name": "home", "fraction": 2}]' \
  --set consensus.round_timeout_ms=8000 --set workload.tps=100 --out "$tmp/hs"
# Same inputs, same outputs.
"$pipesim" run scenarios/topology-ring.json --quiet --set network.validators=20 \
  --set network.latency.model=constant --set network.latency.constant_ms=50 \
  --set network.bandwidth.upload_mbps=8 --set pipeline.block_size_bytes=1000 \
  --out "$tmp/prop2"
cmp "$tmp/prop/summary.json" "$tmp/prop2/summary.json"
set +e
"$pipesim" run scenarios/platform-small.json --quiet --set network.validators=40 \
  --out "$tmp/bad" 2>"$tmp/bad.err"
code=$?
set -e
[[ $code -eq 2 ]] || { echo "platform with too few hosts: exit $code, expected 2"; exit 1; }
grep -q "network.platform_xml: platform" "$tmp/bad.err"
[[ ! -e "$tmp/bad" ]] || { echo "an invalid scenario left $tmp/bad behind"; exit 1; }
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys, os
tmp = sys.argv[1]
s = json.load(open(os.path.join(tmp, "prop", "summary.json")))
m = s["metrics"]
# Ring of 20, 50 ms per hop, 1000 bytes at 1 MB/s (1 ms per copy), no processing delay:
# node k hops away (k <= 10) gets the block at k * 51 ms (+1 ms on the second side).
topo = m["topology"]
assert topo["nodes"] == 20 and topo["degree_min"] == 2 and topo["degree_max"] == 2, topo
assert topo["diameter_hops"] == 10, topo
assert m["blocks_fully_propagated"]["value"] == 1, m["blocks_fully_propagated"]
t100 = m["block_propagation_t100_s"]["max"]
assert abs(t100 - 10 * 0.051) < 1e-9, t100            # node 10: 10 hops from node 0's side 1
assert abs(m["propagation_t100_s"]["max"] - t100) < 1e-9  # runtime and pipeline agree
assert abs(m["block_propagation_t50_s"]["max"] - 5 * 0.051) < 1e-9, m["block_propagation_t50_s"]
# Every node forwards one copy except the source (2) and the two meeting nodes... flood: each
# node sends to its neighbour other than the one it heard from.
sent = m["bytes_sent_per_node"]
assert sent["max"] == 2000 and sent["min"] == 1000, sent
assert s["invariants_hold"], s["invariants"]
print(f"propagation: ring of 20, t50 {m['block_propagation_t50_s']['max']:.3f} s, "
      f"t100 {t100:.3f} s")

s = json.load(open(os.path.join(tmp, "hs", "summary.json")))
m = s["metrics"]
sc = s["scenario"]["network"]
assert sc["latency"]["preset"] == "simblock_2019" and sc["latency"]["regions"]["distribution"] == "bitcoin_2019"
assert [c["name"] for c in sc["classes"]] == ["reliable", "home"]
assert m["topology"]["nodes"] == 7 and m["topology"]["degree_min"] == 4 and m["topology"]["degree_max"] == 4
assert m["broadcasts_gossiped"]["value"] > 10, m["broadcasts_gossiped"]
p50 = m["propagation_t50_s"]; p100 = m["propagation_t100_s"]
assert p50["count"] == m["broadcasts_gossiped"]["value"], (p50, m["broadcasts_gossiped"])
assert 0 < p50["p50"] <= p100["p50"] and p100["p90"] < 2.0, (p50, p100)
assert m["blocks_committed"]["value"] >= 5, m["blocks_committed"]
assert m["bytes_sent_per_node"]["min"] > 0
assert s["invariants_hold"], s["invariants"]
print(f"hotstuff over simblock_2019 + flood + classes: {m['blocks_committed']['value']} blocks, "
      f"propagation t100 p50 {p100['p50']:.3f} s")
PY
echo "network_presets: ok"
