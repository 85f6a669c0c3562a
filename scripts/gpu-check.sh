#!/usr/bin/env bash
# The GPU checks in one call, on a machine with an NVIDIA GPU (see docs/building.md).
#
#   on the development machine, once:   ../shared/gpu/pack.sh        # the .debs, into .gpu/
#   through the device tool:            bash scripts/gpu-check.sh    # with carry [".gpu"]
#
# Unpacks the dependencies, builds the library, gnnx_device_tests, bench_gnnexplainer and
# bench_large_graph against the machine's LibTorch 2.x with CUDA, runs the device comparisons
# (CUDA against CPU), the GNNExplainer benchmark and the large-graph benchmark (10^4 to 10^7
# edges, saliency and GNNExplainer, streamed) on CUDA. Logs and results go to $OUT (the device
# tool's output folder), else ./gpu-out. Stages: GNNX_GPU_STAGES="build tests bench large"
# (default: all four).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
out=${OUT:-$root/gpu-out}
mkdir -p "$out"
stages=${GNNX_GPU_STAGES:-build tests bench large}
build=${GNNX_BUILD_DIR:-$root/build-gpu}
t0=$(date +%s)
stamp() { echo "[gpu-check $(( $(date +%s) - t0 )) s] $*" | tee -a "$out/summary.txt"; }
fail() { stamp "FAILED: $*"; exit 1; }

[ -f .gpu/on-device.sh ] || fail "no .gpu/on-device.sh: run ../shared/gpu/pack.sh on the development machine and carry .gpu"
bash .gpu/on-device.sh > "$out/setup.log" 2>&1 || { tail -20 "$out/setup.log"; fail "unpacking the dependencies"; }
# shellcheck disable=SC1091
. /opt/gnnx-deps/env.sh
stamp "$(tail -1 "$out/setup.log")"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >> "$out/summary.txt" 2>&1 || true

if [[ " $stages " == *" build "* ]]; then
  # LibTorch >= 2.5's Caffe2 cuda.cmake looks for the header-only NVTX3 in its own source tree only
  # (a consumer's PROJECT_SOURCE_DIR), then falls back to libnvToolsExt, which newer CUDA toolkits
  # no longer ship (pytorch/pytorch#116242, #133293). Point it at the toolkit's or the
  # nvidia-nvtx wheel's copy when there is one; older LibTorch ignores the variable.
  nvtx3_args=()
  nvcc_include=$(dirname "$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")")/include
  wheel_include=$(python3 -c 'import nvidia.nvtx, os; print(os.path.join(list(nvidia.nvtx.__path__)[0], "include"))' 2>/dev/null || true)
  for d in "$nvcc_include" /usr/local/cuda/include ${wheel_include:+"$wheel_include"}; do
    if [ -d "$d/nvtx3" ]; then nvtx3_args=(-Dnvtx3_dir="$d"); break; fi
  done
  stamp "nvtx3: ${nvtx3_args[*]:-not found}"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$GNNX_PREFIX_PATH" \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DGNNX_BUILD_EXAMPLES=OFF -DGNNX_BUILD_CLI=OFF "${nvtx3_args[@]}" \
    > "$out/configure.log" 2>&1 ||
    { tail -40 "$out/configure.log"; fail "configure"; }
  grep -E "gnnx: LibTorch|CUDA" "$out/configure.log" | head -5 | tee -a "$out/summary.txt"
  cmake --build "$build" -j "$(nproc)" --target gnnx_device_tests bench_gnnexplainer bench_large_graph \
    > "$out/build.log" 2>&1 ||
    { grep -m 30 -B 2 -A 8 "error" "$out/build.log" | head -120; fail "build"; }
  stamp "built"
fi

status=0
if [[ " $stages " == *" tests "* ]]; then
  if "$build/tests/gnnx_device_tests" -r console -d yes > "$out/device_tests.log" 2>&1; then
    stamp "device tests passed: $(tail -2 "$out/device_tests.log" | tr '\n' ' ')"
  else
    status=1
    tail -60 "$out/device_tests.log"
    stamp "device tests FAILED (see device_tests.log)"
  fi
fi

if [[ " $stages " == *" bench "* ]]; then
  # All 700 BA-Shapes nodes in one batch; then the 400 motif nodes, as on CPU.
  # One by one is slow on any device, so only its first 20 nodes are timed.
  # Last, all 700 nodes for one epoch: the work done once per call (subgraphs, union, results)
  # plus one epoch, to tell the fixed cost from the epochs'.
  for which in all motif all-1-epoch; do
    log="$out/bench_gnnexplainer_cuda_$which.txt"
    args=(--nodes "$which" --limit 20)
    [[ $which == all-1-epoch ]] && args=(--nodes all --epochs 1 --limit 1)
    if "$build/bench/bench_gnnexplainer" --device cuda "${args[@]}" > "$log" 2>&1; then
      cat "$log"
      stamp "bench --nodes $which: $(tail -1 "$log")"
    else
      status=1
      tail -30 "$log"
      stamp "bench --nodes $which FAILED"
    fi
  done
fi
if [[ " $stages " == *" large "* ]]; then
  # Throughput and host memory as the graph grows, as docs/benchmarks.md#large-graphs measures
  # them on the CPU; 32 evenly spaced targets per size and method.
  log="$out/bench_large_graph_cuda.txt"
  if "$build/bench/bench_large_graph" --device cuda --edges 1e4,1e5,1e6,1e7 --methods saliency,gnnexplainer \
    --targets 32 --one-call-up-to 0 > "$log" 2>&1; then
    cat "$log"
    stamp "bench_large_graph: $(tail -1 "$log")"
  else
    status=1
    tail -30 "$log"
    stamp "bench_large_graph FAILED"
  fi
fi
cat "$out/summary.txt"
exit $status
