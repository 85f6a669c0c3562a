#!/usr/bin/env bash
# Fuzzes gnnx's loaders with libFuzzer (tests/fuzz/, docs/reliability.md). Builds the fuzz preset
# (Clang, ASan + UBSan, coverage) into build-fuzz/, then runs each target named (default: all)
# for GNNX_FUZZ_SECONDS (default 600) or GNNX_FUZZ_RUNS executions, whichever comes first, one
# target at a time on one core. New inputs collect in build-fuzz/corpus/<target>/; a crash, leak
# or hang stops the target and leaves its input in build-fuzz/artifacts/<target>/, to be added
# to tests/fuzz/corpus/<target>/ (under libFuzzer's name, crash-<sha1>, leak-<sha1>, ...) with the fix. With GNNX_FUZZ_MERGE=1 the
# target's corpus in tests/fuzz/corpus/ is then replaced by the smallest set of inputs that
# reaches the same coverage (libFuzzer's -merge=1); the inputs that found something are kept.
#   scripts/fuzz.sh graph_csv graph_dot          GNNX_FUZZ_SECONDS=60 scripts/fuzz.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=build-fuzz
command -v clang++ >/dev/null || { echo "gnnx fuzz: needs clang++ (apt-get install clang)" >&2; exit 1; }
[ -f "$build/CMakeCache.txt" ] || cmake --preset fuzz >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(dataset_json dataset_pt graph_csv graph_dot graph_graphml graph_json graph_pt model_file tensor_file)
fi
cmake --build "$build" -j "${GNNX_JOBS:-$(nproc)}" --target gnnx_fuzz

# LibTorch is not instrumented: ASan cannot see its std::vector annotations, and a container
# overflow report from a vector that crosses into LibTorch would be false. Allocation stacks of 2
# frames let tests/fuzz/lsan.supp name the library that allocated a leaked block (a leak inside
# LibTorch's zip reader; docs/reliability.md).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_container_overflow=0:malloc_context_size=2}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/fuzz/lsan.supp}
export OMP_NUM_THREADS=1
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
  echo "== $t"
  GNNX_FUZZ_TARGET=$t "$build/tests/fuzz/gnnx_fuzz" -max_total_time="${GNNX_FUZZ_SECONDS:-600}" -runs="${GNNX_FUZZ_RUNS:--1}" \
    -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
    "$build/corpus/$t" "tests/fuzz/corpus/$t" 2>&1 | grep -E "^(#[0-9]+ +DONE|stat::|==[0-9]+==|SUMMARY|Done)" || true
  if [ "${GNNX_FUZZ_MERGE:-0}" = 1 ]; then
    merged=$(mktemp -d)
    seeds=$(mktemp -d)
    find "tests/fuzz/corpus/$t" -type f ! -name 'crash-*' ! -name 'leak-*' ! -name 'timeout-*' ! -name 'oom-*' \
      -exec cp {} "$seeds/" \;
    GNNX_FUZZ_TARGET=$t "$build/tests/fuzz/gnnx_fuzz" -merge=1 "$merged" "$seeds" "$build/corpus/$t" 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" || true
    find "tests/fuzz/corpus/$t" -type f ! -name 'crash-*' ! -name 'leak-*' ! -name 'timeout-*' ! -name 'oom-*' -delete
    cp "$merged"/* "tests/fuzz/corpus/$t/"
    rm -rf "$merged" "$seeds"
  fi
done
