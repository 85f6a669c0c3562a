#!/usr/bin/env bash
# Builds gnnx and runs its whole test suite against LibTorch 2.x on a machine without a GPU.
#
#   sudo scripts/check-libtorch2.sh [ctest arguments]
#   sudo GNNX_TORCH=cuda scripts/check-libtorch2.sh [ctest arguments]
#
# Debian 13 (trixie) packages LibTorch 2.6 (CPU), with g++ 14, Catch2 v3, Boost 1.83 and oneTBB 2022:
# every dependency one major step past Debian 12's. This script bootstraps a minimal trixie into a
# folder (GNNX_CHROOT, default /var/tmp/gnnx-trixie), copies the working tree (tracked files and
# untracked ones git does not ignore) to its /src, and runs scripts/test.sh there, which installs
# the packages, builds into /src/build and runs CTest. The folder and the build are kept, so a
# second run only rebuilds what changed. Needs root (debootstrap, mount, chroot) and the network
# to reach deb.debian.org.
#
# GNNX_TORCH=cuda (folder /var/tmp/gnnx-trixie-cuda) uses instead the CUDA build of LibTorch 2.6
# from Debian's contrib (libtorch-cuda-dev) with CUDA 12.4's nvcc (nvidia-cuda-toolkit, non-free),
# so gnnx_device_tests and the benchmarks are built with CUDA enabled (CTest does not run the
# device tests; without a GPU they fail with parse_device's error). The test suite runs on the CPU,
# through a LibTorch that has CUDA compiled in: this checks configuring, compiling and linking
# against a CUDA LibTorch, not running on a GPU. cuDNN is not in Debian (its package is a script that downloads from NVIDIA, which is
# unreachable here): a placeholder package satisfies the dependency, and a stub libcudnn.so.9,
# whose functions all return an error, satisfies the linker. Nothing gnnx runs without a GPU
# reaches cuDNN.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
flavour=${GNNX_TORCH:-cpu}
case "$flavour" in
  cpu) jail=${GNNX_CHROOT:-/var/tmp/gnnx-trixie} components=main ;;
  cuda) jail=${GNNX_CHROOT:-/var/tmp/gnnx-trixie-cuda} components=main,contrib,non-free ;;
  *) echo "check-libtorch2: GNNX_TORCH must be cpu or cuda, not '$flavour'" >&2; exit 2 ;;
esac

[ "$(id -u)" -eq 0 ] || { echo "check-libtorch2: needs root (debootstrap, mount, chroot)" >&2; exit 1; }
if ! command -v debootstrap > /dev/null; then
  apt-get update -qq > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap > /dev/null
fi
if [ ! -x "$jail/usr/bin/apt-get" ]; then
  echo "check-libtorch2: bootstrapping Debian trixie into $jail" >&2
  debootstrap --variant=minbase --components="$components" trixie "$jail" http://deb.debian.org/debian \
    > "$jail.debootstrap.log" 2>&1 ||
    { tail -20 "$jail.debootstrap.log" >&2; exit 1; }
fi
cp /etc/resolv.conf "$jail/etc/resolv.conf"

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" || true; done
}
trap cleanup EXIT
if ! mountpoint -q "$jail/proc"; then mount -t proc proc "$jail/proc" && mounted+=("$jail/proc"); fi
if ! mountpoint -q "$jail/dev"; then mount --bind /dev "$jail/dev" && mounted+=("$jail/dev"); fi

in_jail() {
  chroot "$jail" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}
cmake_args=""
if [ "$flavour" = cuda ]; then
  cmake_args="-DCMAKE_CUDA_ARCHITECTURES=90"
  # g++ builds the stub below; scripts/setup.sh would install it only later.
  cuda_packages="libtorch-cuda-dev nvidia-cuda-toolkit g++"
  missing=0
  for p in $cuda_packages; do
    # shellcheck disable=SC2016
    [ "$(in_jail dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing=1
  done
  if [ "$missing" -eq 1 ]; then
    echo "check-libtorch2: installing $cuda_packages (about 6 GB)" >&2
    # shellcheck disable=SC2016
    in_jail cuda_packages="$cuda_packages" bash -euc '
      mkdir -p /tmp/nvidia-cudnn/DEBIAN
      printf "%s\n" "Package: nvidia-cudnn" "Version: 9.0.0.312~cuda12" "Architecture: amd64" \
        "Maintainer: gnnx <gnnx@localhost>" \
        "Description: placeholder for the cuDNN download script (NVIDIA is unreachable here)" \
        > /tmp/nvidia-cudnn/DEBIAN/control
      dpkg-deb -b /tmp/nvidia-cudnn /tmp/nvidia-cudnn.deb > /dev/null
      dpkg -i /tmp/nvidia-cudnn.deb > /dev/null
      apt-mark hold nvidia-cudnn > /dev/null
      apt-get update -qq > /dev/null
      apt-get install -y -qq --no-install-recommends $cuda_packages > /tmp/cuda-install.log 2>&1 ||
        { tail -20 /tmp/cuda-install.log; exit 1; }'
  fi
  lib=/usr/lib/x86_64-linux-gnu
  if [ ! -e "$jail$lib/libcudnn.so.9" ]; then
    # The stub: every cuDNN function LibTorch imports, under the library's symbol version.
    in_jail bash -euc "
      cd /tmp
      nm -D --undefined-only $lib/libtorch_cuda.so $lib/libtorch_cuda_linalg.so |
        awk '{print \$2}' | grep '@libcudnn.so.9\$' | sed 's/@.*//' | sort -u |
        awk '{print \"int \" \$1 \"(void) { return 1; }\"}' > cudnn_stub.c
      printf 'libcudnn.so.9 {\n  global: *;\n};\n' > cudnn_stub.map
      gcc -shared -fPIC -Wl,-soname,libcudnn.so.9 -Wl,--version-script=cudnn_stub.map \
        -o $lib/libcudnn.so.9 cudnn_stub.c"
  fi
fi

# Mirror the working tree into /src, keeping /src/build; tar keeps modification times, so the
# build stays incremental.
mkdir -p "$jail/src"
find "$jail/src" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) |
  tar -xf - -C "$jail/src"
# Debian 13's LibTorch 2.6 with its oneDNN (libdnnl 3.7.2) computes wrong conv2d input gradients
# with oneDNN's AVX2 and AVX-512 kernels (seen on an AMD EPYC; in Python too, `gnnx info --check`
# shows it). Capping oneDNN at AVX keeps the CNN tests about gnnx, not about that bug.
in_jail ONEDNN_MAX_CPU_ISA="${ONEDNN_MAX_CPU_ISA:-AVX}" GNNX_BUILD_DIR=/src/build GNNX_CMAKE_ARGS="$cmake_args" \
  bash -c 'cd /src && scripts/test.sh "$@"' check-libtorch2 "$@"
