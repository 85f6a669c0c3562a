#!/usr/bin/env bash
# Configures and builds gnnx (Release) into ${GNNX_BUILD_DIR:-build}, after installing what is missing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
build=${GNNX_BUILD_DIR:-$root/build}
jobs=${GNNX_JOBS:-$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)}  # cores, whatever OMP_NUM_THREADS says
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${GNNX_CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$build" -j "$jobs"
