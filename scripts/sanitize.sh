#!/usr/bin/env bash
# The sanitizer runs (docs/reliability.md): the unit tests, the fuzz corpora and the threads
# tests under AddressSanitizer + UndefinedBehaviorSanitizer (preset asan, build-asan/), then the
# threads tests under ThreadSanitizer (preset tsan, build-tsan/). Each build compiles gnnx once
# more with its instrumentation, which is why CI's scripts/test.sh does not run this: the
# sanitized library and tests alone take longer than CI's budget for it.
#   scripts/sanitize.sh            # both
#   scripts/sanitize.sh asan       # or: tsan
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
jobs=${GNNX_JOBS:-$(nproc)}
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(asan tsan)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
for run in "${runs[@]}"; do
  case "$run" in
    asan)
      [ -f build-asan/CMakeCache.txt ] || cmake --preset asan ${GNNX_CMAKE_ARGS:-} >/dev/null
      cmake --build build-asan -j "$jobs" --target gnnx_tests gnnx_thread_tests gnnx_fuzz_replay
      # LibTorch is not instrumented: its inline std::vector code and ours disagree on the
      # container annotations, so a container-overflow report would be false. tests/fuzz/lsan.supp
      # names the one leak inside LibTorch (its zip reader on a corrupt file), matched on
      # allocation stacks cut to 2 frames (docs/reliability.md).
      ASAN_OPTIONS=detect_container_overflow=0:malloc_context_size=2 UBSAN_OPTIONS=print_stacktrace=1 \
        LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp \
        ctest --test-dir build-asan --output-on-failure -j "$jobs" -R '^(unit|threads|fuzz)\.'
      ;;
    tsan)
      [ -f build-tsan/CMakeCache.txt ] || cmake --preset tsan ${GNNX_CMAKE_ARGS:-} >/dev/null
      cmake --build build-tsan -j "$jobs" --target gnnx_thread_tests
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        ctest --test-dir build-tsan --output-on-failure -j 1 -R '^threads\.'
      ;;
    *) echo "gnnx sanitize: expected asan or tsan, got $run" >&2; exit 2 ;;
  esac
done
