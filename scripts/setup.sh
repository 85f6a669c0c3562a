#!/usr/bin/env bash
# Installs the Debian 12 packages gnnx needs, when some are missing. Idempotent and quiet when
# everything is there. Needs root (or sudo) only when something has to be installed.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libtorch-dev            # LibTorch 1.13 (CPU)
  libopenblas0-pthread    # switches libblas.so.3 away from the slow reference BLAS LibTorch calls
  libboost-graph-dev libtbb-dev catch2
  nlohmann-json3-dev libcli11-dev libfmt-dev libstb-dev
  zlib1g-dev              # checks torch.save archives' entries before LibTorch reads them
  libeigen3-dev           # dense linear algebra of prototype alignment (explain/alignment)
  graphviz                # `dot` renders the SVG pictures of explanations
  chromium                # headless, the test cli.evaluate_html_in_browser loads `evaluate --html`'s page in it
  libopenmpi-dev openmpi-bin  # optional MPI: `mpirun gnnx explain --chunk-size` shares targets over ranks
)

# A CUDA build of LibTorch from Debian 13's contrib (libtorch-cuda-dev, which conflicts with
# libtorch-dev) stands in for the CPU one when it is installed; see scripts/check-libtorch2.sh.
if [ "$(dpkg-query -W -f='${db:Status-Status}' libtorch-cuda-dev 2>/dev/null || true)" = installed ]; then
  packages=("${packages[@]/#libtorch-dev/libtorch-cuda-dev}")
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "gnnx setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "gnnx setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# An update is needed on a fresh machine (empty lists); a stale list shows as a failed install.
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
