#!/usr/bin/env bash
# The whole test suite: install what is missing, configure, build, run every test with CTest,
# the comparisons with the peer libraries included.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
# The peer libraries (PyG, Captum, Zennit, pytorch-grad-cam), pinned, for the tests that compare
# gnnx with them: a venv under build/.
"$root/scripts/peers/setup.sh"
build=${GNNX_BUILD_DIR:-$root/build}
cd "$build"
# ctest runs tests side by side, one per core (nproc would count OMP_NUM_THREADS instead: unset
# it there); one BLAS/OpenMP thread each keeps them from oversubscribing the cores.
jobs=${GNNX_JOBS:-$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
ctest --output-on-failure -j "$jobs" --timeout 900 "$@"
