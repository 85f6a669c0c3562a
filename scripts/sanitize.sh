#!/usr/bin/env bash
# The sanitizer runs (docs/reliability.md): the unit tests, the fuzz corpora (with a mutation run)
# and the threads tests under AddressSanitizer + UndefinedBehaviorSanitizer (preset asan,
# build-asan/), then the threads tests under ThreadSanitizer (preset tsan, build-tsan/), against a
# oneTBB built from Debian's sources with ThreadSanitizer too, so that TSan sees TBB's
# synchronisation. Each build compiles gnnx once more with its instrumentation; CI runs a part of
# the asan run only (the add_subdirectory consumer, tests/packaging).
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
      # Debian's libtbb is not instrumented: TSan would not see the hand-off of a task from the
      # thread that spawns it to the one that runs it, and would report TBB's own bookkeeping
      # (its partitioner's fields) as races. The same oneTBB release, built from Debian's source
      # with -fsanitize=thread, replaces it at run time (same ABI, so nothing is recompiled).
      tbb_version=${GNNX_TBB_VERSION:-$(dpkg-query -W -f='${Version}' libtbb-dev | sed 's/-.*//')}
      tbb_prefix=$root/build-tsan/onetbb-$tbb_version
      if [ ! -f "$tbb_prefix/lib/libtbb.so.12" ]; then
        case "$tbb_version" in
          2021.8.0) tbb_sha256=7e9111b8bb59c8800bf6d0b06afe7b0891937443d2dae1ee1101c8e2ede6a7ef ;;
          *) tbb_sha256=${GNNX_TBB_SHA256:?"gnnx sanitize: no checksum known for oneTBB $tbb_version; set GNNX_TBB_SHA256"} ;;
        esac
        command -v curl >/dev/null && command -v xz >/dev/null ||
          { echo "gnnx sanitize: tsan needs curl and xz (apt-get install curl xz-utils)" >&2; exit 1; }
        src=$root/build-tsan/onetbb-src
        rm -rf "$src" && mkdir -p "$src"
        curl -fsSL -o "$src/onetbb.tar.xz" \
          "http://deb.debian.org/debian/pool/main/o/onetbb/onetbb_${tbb_version}.orig.tar.xz"
        echo "$tbb_sha256  $src/onetbb.tar.xz" | sha256sum -c --quiet
        tar -xJf "$src/onetbb.tar.xz" -C "$src" --strip-components=1
        cmake -S "$src" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_STRICT=OFF \
          -DTBBMALLOC_BUILD=OFF -DCMAKE_INSTALL_PREFIX="$tbb_prefix" >/dev/null
        cmake --build "$src/build" -j "$jobs" >/dev/null
        cmake --install "$src/build" >/dev/null
      fi
      LD_LIBRARY_PATH="$tbb_prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        ctest --test-dir build-tsan --output-on-failure -j 1 -R '^threads\.'
      ;;
    *) echo "gnnx sanitize: expected asan or tsan, got $run" >&2; exit 2 ;;
  esac
done
