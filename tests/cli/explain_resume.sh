#!/usr/bin/env bash
# `gnnx explain --chunk-size N --out DIR`, killed with SIGKILL part-way and started again with the
# same command, ends with the chunk files of an uninterrupted run, byte for byte: nothing lost,
# nothing explained twice. A run with other inputs (another --keep-top among them) refuses to
# resume the directory.
#
#   explain_resume.sh GNNX DATA     GNNX: the gnnx tool; DATA: tests/data
set -uo pipefail
GNNX=$1 DATA=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# 280 nodes in 7 chunks; GNNExplainer with few epochs keeps each chunk well under a second.
seq 400 679 >"$WORK/nodes.txt"
cmd=(explain --model "$DATA/pyg_ba_shapes_gcn.pt" --graph "$DATA/pyg_ba_shapes_graph.pt" --nodes "$WORK/nodes.txt"
  --method gnnexplainer --option epochs=10 --option chunk_size=16 --chunk-size 40 --batch-size 20 --json)

"$GNNX" "${cmd[@]}" --out "$WORK/whole" >"$WORK/whole.json" || fail "the uninterrupted run failed"
grep -q '"explained":280,' "$WORK/whole.json" || fail "uninterrupted: $(cat "$WORK/whole.json")"
ls "$WORK"/whole/chunk-*.pt | wc -l | grep -qx 7 || fail "expected 7 chunk files"

# Killed once at least two chunks are written.
"$GNNX" "${cmd[@]}" --out "$WORK/resumed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1200); do
  n=$(ls "$WORK"/resumed/chunk-*.pt 2>/dev/null | wc -l)
  [ "$n" -ge 2 ] && break
  sleep 0.05
done
kill -KILL "$pid" 2>/dev/null
{ wait "$pid"; } 2>/dev/null
status=$?
[ "$status" -eq 137 ] || fail "the run was not killed part-way (status $status)"
done_before=$(ls "$WORK"/resumed/chunk-*.pt | wc -l)
[ "$done_before" -ge 2 ] && [ "$done_before" -lt 7 ] || fail "$done_before chunks before the restart"
grep -q '"complete": false' "$WORK/resumed/manifest.json" || fail "a killed run's manifest says complete"

"$GNNX" "${cmd[@]}" --out "$WORK/resumed" >"$WORK/resumed.json" || fail "the restarted run failed"
resumed=$((done_before * 40))
grep -q "\"explained\":$((280 - resumed)),.*\"resumed\":$resumed," "$WORK/resumed.json" ||
  fail "restart: expected $resumed targets resumed, got $(cat "$WORK/resumed.json")"
for f in "$WORK"/whole/chunk-*.pt "$WORK"/whole/manifest.json; do
  cmp -s "$f" "$WORK/resumed/$(basename "$f")" || fail "$(basename "$f") differs from the uninterrupted run's"
done
[ "$(ls "$WORK/resumed" | wc -l)" -eq 8 ] || fail "stray files: $(ls "$WORK/resumed")"

# Other inputs (here the seed) are refused with one error line, and the directory is left alone.
"$GNNX" "${cmd[@]}" --seed 1 --out "$WORK/resumed" >"$WORK/out" 2>"$WORK/err"
status=$?
[ "$status" -eq 1 ] || fail "other inputs: status $status"
grep -q '^gnnx: error: .*holds the explanations of other inputs.*inputs.options' "$WORK/err" ||
  fail "other inputs: $(cat "$WORK/err")"
[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "other inputs: more than one line on stderr"
cmp -s "$WORK/whole/manifest.json" "$WORK/resumed/manifest.json" || fail "the refused run changed the manifest"

# --keep-top K: each explanation keeps its K best edges and nodes; another K does not resume.
"$GNNX" "${cmd[@]}" --keep-top 3 --out "$WORK/top" >/dev/null || fail "the --keep-top run failed"
grep -q '"keep_top": 3' "$WORK/top/manifest.json" || fail "--keep-top: not in the manifest"
[ "$(du -sb "$WORK/top" | cut -f1)" -lt "$(du -sb "$WORK/whole" | cut -f1)" ] || fail "--keep-top: files not smaller"
"$GNNX" "${cmd[@]}" --keep-top 4 --out "$WORK/top" >/dev/null 2>"$WORK/err" && fail "--keep-top 4 resumed --keep-top 3"
grep -q 'keep_top (this run: 4, the directory.s: 3)' "$WORK/err" || fail "--keep-top: $(cat "$WORK/err")"
echo "PASS: killed after $done_before of 7 chunks, resumed to the uninterrupted result"
