#!/usr/bin/env bash
# The whole test suite: install what is missing, configure, build, run every test with CTest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
build=${GNNX_BUILD_DIR:-$root/build}
cd "$build"
ctest --output-on-failure -j "${GNNX_JOBS:-$(nproc)}" --timeout 900 "$@"
