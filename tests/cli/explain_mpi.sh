#!/usr/bin/env bash
# `mpirun -np 2 gnnx explain --chunk-size N --out DIR` gives the chunk files of one process, byte
# for byte: the ranks share the chunks (chunk c on rank c mod 2) and rank 0 writes the manifest.
#
#   explain_mpi.sh MPIEXEC GNNX DATA
set -uo pipefail
MPIEXEC=$1 GNNX=$2 DATA=$3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Open MPI refuses root unless told, and a 2-core machine needs --oversubscribe for 2 ranks when
# it counts fewer slots.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# mpirun binds each rank to a core, where LibTorch runs one thread; the one process runs one too,
# as LibTorch's sums round differently with another thread count (logits differ in the 7th digit).
export OMP_NUM_THREADS=1
cmd=(explain --model "$DATA/pyg_ba_shapes_gcn.pt" --graph "$DATA/pyg_ba_shapes_graph.pt" --nodes "$WORK/nodes.txt"
  --method gnnexplainer --option epochs=10 --option chunk_size=16 --chunk-size 40 --batch-size 20 --json)
seq 400 639 >"$WORK/nodes.txt"

"$GNNX" "${cmd[@]}" --out "$WORK/one" >"$WORK/one.json" || fail "one process failed"
"$MPIEXEC" -np 2 --oversubscribe "$GNNX" "${cmd[@]}" --out "$WORK/two" >"$WORK/two.json" 2>"$WORK/two.err" ||
  fail "mpirun -np 2 failed: $(cat "$WORK/two.err")"
[ "$(wc -l <"$WORK/two.json")" -eq 1 ] || fail "expected one summary line (rank 0's), got: $(cat "$WORK/two.json")"
grep -q '"explained":240,.*"ranks":2,' "$WORK/two.json" || fail "mpirun: $(cat "$WORK/two.json")"
for f in "$WORK"/one/chunk-*.pt "$WORK"/one/manifest.json; do
  cmp -s "$f" "$WORK/two/$(basename "$f")" || fail "$(basename "$f") differs between 1 process and 2 ranks"
done
[ "$(ls "$WORK/two" | wc -l)" -eq 7 ] || fail "expected 6 chunks and a manifest, got: $(ls "$WORK/two")"
echo "PASS: 2 ranks wrote the chunk files of one process"
