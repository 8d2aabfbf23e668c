#!/usr/bin/env bash
# Exact mainnet replay end to end (data/eth-traces): trace-stats shows 100 % exact keys on a
# covered block; `exec --mainnet` runs exact blocks and every executor agrees with Sequential;
# `exec --mainnet --root` adds the state-commitment columns and summary (once with --executor
# sequential; the modelled trie's line with the disk preset); bad --tier/--cost/
# --preset values exit 2 naming the flag and value; as-mined replay keeps the recorded block
# boundaries (one recorded block per simulated block, same transactions in the same order);
# workload.mainnet_mode is validated.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# trace-stats: block 46147 (Frontier, 1 tx) and 4370000 (Byzantium) are covered.
"$pipesim" trace-stats --blocks 2 > "$tmp/ts.txt"
grep -q "reads [0-9]* exact / 0 derived (100.0% exact), writes [0-9]* exact / 0 derived" "$tmp/ts.txt"
"$pipesim" exec --mainnet --blocks 46147,4370000,19934116 --executor block_stm --threads 4 \
  --csv "$tmp/exec.csv" > "$tmp/exec.txt"
grep -q "3 blocks (3 exact, 0 approximated)" "$tmp/exec.txt"
for ex in sequential batch_occ optimistic; do
  "$pipesim" exec --mainnet --blocks 4370000 --executor $ex --threads 4 > /dev/null
done
/usr/bin/python3 - "$tmp/exec.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["block"] for r in rows] == ["46147", "4370000", "19934116"], rows
gas = {"46147": 21000, "4370000": 6609719, "19934116": 3365857}   # header gasUsed
for r in rows:
    assert r["trace"] == "exact", r
    assert int(r["gas_used"]) == gas[r["block"]], r
    assert float(r["speedup"]) > 0 and float(r["incarnations_per_tx"]) >= 1, r
PY

# --root with the disk preset: the commitment columns (CSV and table) and the summary lines.
"$pipesim" exec --mainnet --blocks 4370000,19934116 --executor block_stm --threads 8 --root \
  --preset reth-nvme-disk --csv "$tmp/root.csv" > "$tmp/root.txt"
grep -q "state tier disk, state root" "$tmp/root.txt"
grep -Eq "inc/tx +commit_ms +seq_share +exec_share +nodes +leaves$" "$tmp/root.txt"
grep -Eq "^state commitment share of block processing over 2 blocks with transactions: sequential median [0-9.]+ % p90 [0-9.]+ %, block_stm median [0-9.]+ % p90 [0-9.]+ %; [0-9]+ trie nodes hashed for [0-9]+ updated leaves" "$tmp/root.txt"
grep -Eq "^sequential throughput: median over 2 blocks with transactions [0-9]+ tx/s, [0-9.]+ Mgas/s; aggregate" "$tmp/root.txt"
/usr/bin/python3 - "$tmp/root.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["block"] for r in rows] == ["4370000", "19934116"], rows
for r in rows:
    commit, seq, ex = float(r["commit_s"]), float(r["sequential_s"]), float(r["executor_s"])
    assert 0 < commit < seq, r
    assert abs(float(r["sequential_commit_share"]) - commit / seq) < 1e-9, r
    assert abs(float(r["executor_commit_share"]) - commit / ex) < 1e-9, r
    assert int(r["trie_nodes_hashed"]) > 0 and int(r["updated_leaves"]) > 0, r
PY
# --executor sequential: the commitment share is printed once (Sequential is the executor). A
# modelled mainnet-sized trie and parallel commitment show in the header, and the summary adds
# the modelled trie's loads; without them neither does.
"$pipesim" exec --mainnet --blocks 4370000 --executor sequential --threads 8 --root \
  --preset reth-nvme-disk --cost account_trie_leaves=293281024 --cost storage_trie_leaves=1e6 \
  --cost parallel_commitment=true > "$tmp/seq.txt"
grep -q "state tier disk, state root, modelled trie depth, parallel commitment;" "$tmp/seq.txt"
grep -Eq "^state commitment share of block processing over 1 blocks with transactions: sequential median [0-9.]+ % p90 [0-9.]+ %; [0-9]+ trie nodes hashed" "$tmp/seq.txt"
! grep -q "sequential median .*sequential median" "$tmp/seq.txt"
grep -Eq "^modelled trie: account trie 293281024 leaves, storage tries 1000000 leaves \(0 = as built\), 6 cached levels; [0-9]+ nodes loaded from the tier" "$tmp/seq.txt"
"$pipesim" exec --mainnet --blocks 4370000 --executor sequential --threads 8 --root \
  --preset reth-nvme-disk --cost account_trie_leaves=0 --cost storage_trie_leaves=0 \
  --cost parallel_commitment=false > "$tmp/built.txt"
grep -q "state tier disk, state root;" "$tmp/built.txt"
! grep -q "^modelled trie:" "$tmp/built.txt"
# Without --root the CSV keeps its ten columns.
head -1 "$tmp/exec.csv" | grep -qx "block,txs,gas_used,trace,executor,threads,sequential_s,executor_s,speedup,incarnations_per_tx"

# Bad cost-model flags: exit 2 and a message naming the flag and the value (before any block
# is loaded).
for bad in "--tier ssd|--tier: 'ssd' is not memory, page_cache or disk" \
           "--cost cold_read_us=fast|--cost cold_read_us: 'fast' is not a number >= 0" \
           "--cost warp=1|--cost: unknown key 'warp'" \
           "--preset geth|--preset: unknown preset 'geth'"; do
  args=${bad%%|*}; msg=${bad#*|}
  set +e
  # shellcheck disable=SC2086
  "$pipesim" exec --mainnet --blocks 46147 --root $args > /dev/null 2> "$tmp/err"
  rc=$?
  set -e
  [[ $rc == 2 ]] || { echo "exec --mainnet $args: exit $rc, expected 2"; exit 1; }
  grep -qF "pipesim exec --mainnet: $msg" "$tmp/err" || { cat "$tmp/err"; exit 1; }
done

# As-mined: one recorded block per simulated block.
"$pipesim" run scenarios/mainnet-as-mined.json --quiet --set duration_s=20 \
  --set outputs.txs_csv=true --set outputs.tx_sample_rate=1 --out "$tmp/mined"
/usr/bin/python3 - "$tmp/mined" <<'PY'
import csv, gzip, json, os, sys
run = sys.argv[1]
s = json.load(open(os.path.join(run, "summary.json")))
m = s["metrics"]
assert s["invariants_hold"], s["invariants"]
scen = json.load(open(os.path.join(run, "scenario.json")))
blocks = scen["workload"]["eth_blocks"]
assert m["exact_blocks"]["value"] == len(blocks), m["exact_blocks"]
assert m["approximated_blocks"]["value"] == 0, m["approximated_blocks"]
sizes = [len(json.load(gzip.open(f"data/eth-blocks/{b}/block.json.gz"))["transactions"]) for b in blocks]
bounds, start = [], 0
for n in sizes:
    bounds.append((start, start + n)); start += n
rows = [r for r in csv.DictReader(open(os.path.join(run, "txs.csv"))) if r["included_s"] != ""]
by_time = {}
for r in rows:
    by_time.setdefault(float(r["included_s"]), []).append(int(r["tx"]))
groups = [sorted(v) for _, v in sorted(by_time.items())]
assert len(groups) >= 3, groups
for k, g in enumerate(groups):
    lo, hi = bounds[k]
    assert g == list(range(lo, hi)), (k, g[:5], lo, hi)
print(f"as_mined: {len(groups)} simulated blocks, each one recorded block")
PY

# Validation: as_mined needs eth_mainnet and an interleaved/async_execution pipeline.
set +e
"$pipesim" validate scenarios/minimal.json --set workload.mainnet_mode=as_mined 2> "$tmp/err1"
rc1=$?
"$pipesim" validate scenarios/mainnet-as-mined.json --set workload.mainnet_mode=mined 2> "$tmp/err2"
rc2=$?
set -e
[[ $rc1 == 2 && $rc2 == 2 ]]
grep -q "workload.mainnet_mode" "$tmp/err1"
grep -q "workload.mainnet_mode" "$tmp/err2"
echo "mainnet_exact: ok"
