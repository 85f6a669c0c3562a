#!/usr/bin/env bash
# The main job: install what is missing, build, then run `gnnx demo` (extra arguments go to it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh" >/dev/null
build=${GNNX_BUILD_DIR:-$root/build}
exec "$build/src/cli/gnnx" demo "$@"
