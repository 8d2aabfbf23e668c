#!/usr/bin/env bash
# Byzantine behaviours (docs/faults.md, faults.events kind "byzantine") on HotStuff: with f
# Byzantine validators safety holds (each invariant) and the behaviour's protocol response is
# visible (TCs, block sync, refused votes); beyond f the run says so (the violated quorum-
# intersection invariant, exit 3; loss of liveness with f + 1 crashed). Validation errors name
# the JSON path.
set -euo pipefail
pipesim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run() {  # run NAME [--set ...]: runs scenarios/faults/NAME.json into $tmp/NAME, prints the exit code
  local name=$1; shift
  set +e
  "$pipesim" run "scenarios/faults/$name.json" --quiet --out "$tmp/$name" --set duration_s=20 "$@" \
    >"$tmp/$name.log" 2>&1
  echo $?
  set -e
}
for name in byzantine-equivocate byzantine-withhold byzantine-invalid-execution-vote \
            byzantine-invalid-candidate crash-f-plus-1; do
  rc=$(run "$name")
  [[ $rc == 0 ]] || { echo "$name: exit $rc"; cat "$tmp/$name.log"; exit 1; }
done
rc=$(run byzantine-equivocate-f-plus-1)
[[ $rc == 3 ]] || { echo "f + 1 equivocators: expected exit 3, got $rc"; exit 1; }
grep -q "one_certified_block_per_round" "$tmp/byzantine-equivocate-f-plus-1.log" ||
  { echo "exit 3 without naming the invariant:"; cat "$tmp/byzantine-equivocate-f-plus-1.log"; exit 1; }
# The equivocation without fellow equivocators: the same run with f = 2 Byzantine stays safe.
"$pipesim" run scenarios/faults/byzantine-equivocate-f-plus-1.json --quiet --out "$tmp/eq-f" \
  --set 'faults=[{"kind":"byzantine","behaviour":"equivocate","nodes":[0,1],"from_s":2}]' \
  --set duration_s=20
# Determinism.
"$pipesim" run scenarios/faults/byzantine-equivocate.json --quiet --out "$tmp/again" --set duration_s=20
cmp "$tmp/byzantine-equivocate/summary.json" "$tmp/again/summary.json"

expect_error() {  # expect_error MESSAGE --set ...
  local msg=$1; shift
  set +e
  out=$("$pipesim" validate scenarios/minimal.json "$@" 2>&1); rc=$?
  set -e
  [[ $rc == 2 ]] || { echo "expected exit 2, got $rc: $out"; exit 1; }
  grep -qF "$msg" <<<"$out" || { echo "expected '$msg' in: $out"; exit 1; }
}
expect_error 'faults.events[0].behaviour' --set 'faults=[{"kind":"byzantine","nodes":[0]}]'
expect_error 'faults.events[0].behaviour' \
  --set 'faults=[{"kind":"byzantine","behaviour":"lie","nodes":[0]}]'
expect_error 'faults.events[0].behaviour' --set pipeline.kind=async_backing \
  --set 'faults=[{"kind":"byzantine","behaviour":"equivocate","nodes":[0]}]'
expect_error 'faults.events[0].behaviour' \
  --set 'faults=[{"kind":"byzantine","behaviour":"dag_equivocate","nodes":[0]}]'
expect_error 'faults.events[0].nodes' --set 'faults=[{"kind":"byzantine","behaviour":"equivocate"}]'
expect_error 'faults.events[0].behaviour' \
  --set 'faults=[{"kind":"byzantine","behaviour":"invalid_candidate","nodes":[0]}]'
expect_error 'faults.events[0].delay_ms' \
  --set 'faults=[{"kind":"byzantine","behaviour":"withhold","nodes":[0]}]'
expect_error 'faults.events[0].withhold_from[1]' \
  --set 'faults=[{"kind":"byzantine","behaviour":"withhold","nodes":[0],"withhold_from":[1,1]}]'
expect_error 'faults.events[0].withhold_from' \
  --set 'faults=[{"kind":"byzantine","behaviour":"equivocate","nodes":[0],"withhold_from":[1]}]'
expect_error 'faults.events[0].behaviour' \
  --set 'faults=[{"kind":"loss","probability":0.1,"behaviour":"equivocate"}]'

/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
def load(run):
    return json.load(open(f"{tmp}/{run}/summary.json"))
def metric(s, key):
    return s["metrics"][key]["value"]

s = load("byzantine-equivocate")
assert s["invariants_hold"], s["invariants"]
assert metric(s, "byzantine_equivocations") >= 4, s["metrics"]
assert metric(s, "byzantine_double_votes") >= 4, s["metrics"]
# Neither of the two blocks gets 2f + 1 = 5 votes (3 honest + the leader each): a TC per
# equivocating round.
assert metric(s, "rounds_entered_via_tc") >= metric(s, "byzantine_equivocations"), s["metrics"]
assert not s["liveness"]["progress_stopped"], s["liveness"]
assert s["faults"]["max_byzantine_at_once"] == 1 and not s["faults"]["faulty_exceed_f"], s["faults"]
assert s["faults"]["events"][0]["behaviour"] == "equivocate", s["faults"]
print("equivocate: equivocations", metric(s, "byzantine_equivocations"), "TCs",
      metric(s, "rounds_entered_via_tc"), "commits", s["liveness"]["commits"])

names = {e.get("name") for e in json.load(open(f"{tmp}/byzantine-withhold/trace.json"))["traceEvents"]
         if e.get("ph") == "i"}
assert "byzantine withhold starts" in names, sorted(n for n in names if "byz" in n)

s = load("byzantine-withhold")
assert s["invariants_hold"], s["invariants"]
assert metric(s, "byzantine_withheld_proposals") > 0, s["metrics"]
# Validators 5 and 6 never get node 3's proposals: they fetch them by block sync.
assert metric(s, "blocks_received_by_sync") > 0, s["metrics"]
assert not s["liveness"]["progress_stopped"], s["liveness"]
print("withhold: withheld", metric(s, "byzantine_withheld_proposals"), "blocks by sync",
      metric(s, "blocks_received_by_sync"))

s = load("byzantine-invalid-execution-vote")
assert s["invariants_hold"], s["invariants"]
assert s["invariants"]["honest_state_roots_agree"]["holds"], s["invariants"]
assert metric(s, "votes_refused_root_mismatch") > 0, s["metrics"]
# Validators 1 and 2 attest each other's corrupted roots: votes for refused blocks.
assert metric(s, "byzantine_invalid_votes") > 0, s["metrics"]
assert s["liveness"]["commits"] > 10, s["liveness"]
print("invalid_execution_vote: votes refused (root of N checked at N + D)",
      metric(s, "votes_refused_root_mismatch"), "TCs", metric(s, "rounds_entered_via_tc"))

s = load("byzantine-equivocate-f-plus-1")
assert not s["invariants_hold"], s["invariants"]
inv = s["invariants"]["one_certified_block_per_round"]
assert not inv["holds"] and inv["detail"].startswith("round "), inv
assert s["faults"]["max_byzantine_at_once"] == 3 and s["faults"]["faulty_exceed_f"], s["faults"]
print("f + 1 equivocators:", inv["detail"])

s = load("eq-f")
assert s["invariants_hold"], s["invariants"]

s = load("byzantine-invalid-candidate")  # async_backing: honest backers refuse invalid PoVs
assert s["invariants"]["no_invalid_candidate_backed"]["holds"], s["invariants"]
assert metric(s, "candidates_invalid_authored") >= 1, s["metrics"]
assert metric(s, "statements_refused_invalid") >= metric(s, "candidates_invalid_authored")
s = load("crash-f-plus-1")
assert s["invariants_hold"], s["invariants"]
assert s["liveness"]["progress_stopped"], s["liveness"]
assert s["liveness"]["last_commit_s"] < 6.0, s["liveness"]
assert s["faults"]["crashed_exceed_f"], s["faults"]
print("f + 1 crashed: last commit", s["liveness"]["last_commit_s"], "s, progress_stopped")
PY
