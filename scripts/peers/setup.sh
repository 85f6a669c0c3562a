#!/usr/bin/env bash
# Makes the Python environment of gnnx's peer libraries (PyTorch Geometric, Captum, Zennit,
# pytorch-grad-cam, DIG) on Debian 12, pinned by scripts/peers/requirements.txt:
#
#   scripts/peers/setup.sh            # venv at ${GNNX_PEERS_VENV:-<repo>/build/peers-venv}
#   build/peers-venv/bin/python scripts/peers/pyg_ba_shapes.py
#
# torch comes from Debian (python3-torch 1.13.1, the build of the libtorch1.13 gnnx links), the
# rest from PyPI: no CUDA wheels, about 120 MB to download. Needs root (or sudo) only when a
# Debian package is missing. Idempotent: silent when the venv already matches requirements.txt;
# on failure, one line on stderr (the full log is kept beside the venv).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=${GNNX_PEERS_VENV:-$repo/build/peers-venv}
req=$here/requirements.txt
req_nodeps=$here/requirements-nodeps.txt
log=$venv.setup.log
stamp=$venv/.gnnx-peers-stamp
python=/usr/bin/python3     # Debian's: python3-torch is installed for it, not for a pyenv python

fail() { echo "gnnx peers setup: $*" >&2; exit 1; }
last_error() { grep -E '^(E:|ERROR|error)' "$log" 2>/dev/null | tail -1 | cut -c1-200 || true; }

apt_packages=(python3-venv python3-torch python3-torchvision)
want=$(cat "$req" "$req_nodeps" | sha256sum | cut -d' ' -f1)

missing=()
for p in "${apt_packages[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ] && [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

mkdir -p "$(dirname "$venv")"
: >"$log"
rm -f "$stamp"   # a run that fails part-way leaves no stamp, so the next run does the work again

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "need root or sudo to apt-get install ${missing[*]}"
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1 ||
    fail "apt-get install ${missing[*]} failed: $(last_error) (log: $log)"
fi

# A venv of another interpreter, or without Debian's site-packages, cannot see python3-torch.
if [ -e "$venv" ] && ! grep -qx 'include-system-site-packages = true' "$venv/pyvenv.cfg" 2>/dev/null; then
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ] || [ "$(readlink -f "$venv/bin/python")" != "$(readlink -f $python)" ]; then
  rm -rf "$venv"
  $python -m venv --system-site-packages "$venv" >>"$log" 2>&1 ||
    fail "$python -m venv failed: $(last_error) (log: $log)"
fi

# Binary wheels only, except grad-cam, which PyPI has as a pure-Python sdist alone.
PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
  "$venv/bin/python" -m pip install -q --only-binary=:all: --no-binary=grad-cam -r "$req" >>"$log" 2>&1 ||
  fail "pip install -r $req failed: $(last_error) (log: $log)"
PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
  "$venv/bin/python" -m pip install -q --only-binary=:all: --no-deps -r "$req_nodeps" >>"$log" 2>&1 ||
  fail "pip install --no-deps -r $req_nodeps failed: $(last_error) (log: $log)"

"$venv/bin/python" -W ignore -c 'import torch, torch_geometric, captum, zennit, pytorch_grad_cam' >>"$log" 2>&1 ||
  fail "the peers do not import in $venv: $(tail -1 "$log" | cut -c1-200) (log: $log)"

echo "$want" >"$stamp"
echo "gnnx peers setup: $venv ready (torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)'))" >&2
