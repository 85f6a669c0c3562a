#!/usr/bin/env bash
# Builds gnnx and runs its whole test suite against LibTorch 2.x on a machine without a GPU.
#
#   sudo scripts/check-libtorch2.sh [ctest arguments]
#
# Debian 13 (trixie) packages LibTorch 2.6 (CPU), with g++ 14, Catch2 v3, Boost 1.83 and oneTBB 2022:
# every dependency one major step past Debian 12's. This script bootstraps a minimal trixie into a
# folder (GNNX_CHROOT, default /var/tmp/gnnx-trixie), copies the working tree (tracked files and
# untracked ones git does not ignore) to its /src, and runs scripts/test.sh there, which installs
# the packages, builds into /src/build and runs CTest. The folder and the build are kept, so a
# second run only rebuilds what changed. Needs root (debootstrap, mount, chroot) and the network
# to reach deb.debian.org.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jail=${GNNX_CHROOT:-/var/tmp/gnnx-trixie}

[ "$(id -u)" -eq 0 ] || { echo "check-libtorch2: needs root (debootstrap, mount, chroot)" >&2; exit 1; }
if ! command -v debootstrap > /dev/null; then
  apt-get update -qq > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap > /dev/null
fi
if [ ! -x "$jail/usr/bin/apt-get" ]; then
  echo "check-libtorch2: bootstrapping Debian trixie into $jail" >&2
  debootstrap --variant=minbase trixie "$jail" http://deb.debian.org/debian > "$jail.debootstrap.log" 2>&1 ||
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
chroot "$jail" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  ONEDNN_MAX_CPU_ISA="${ONEDNN_MAX_CPU_ISA:-AVX}" GNNX_BUILD_DIR=/src/build bash -c 'cd /src && scripts/test.sh "$@"' check-libtorch2 "$@"
