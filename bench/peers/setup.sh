#!/usr/bin/env bash
# Installs what the peer benchmarks need (bench/peers/, bench/run_peers.sh) and nothing else:
# Debian's PyTorch, NumPy, SciPy, h5py and GNU time (apt-get, only the missing ones), then a virtual
# environment bench/peers/.venv that sees them (--system-site-packages) with Opacus from PyPI
# (requirements.txt, pinned). fedsim's own build and tests (tools/setup.sh, CI) never need this.
# `setup.sh --flower` also installs the second peer, Flower's simulation (setup-flower.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ ${1:-} == --flower ]]; then
  exec "$here/setup-flower.sh"  # which runs this script (without --flower) first
fi
debs=(python3 python3-venv python3-pip python3-torch python3-numpy python3-scipy python3-h5py time)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
# Debian's interpreter explicitly: python3-torch is built for it (a pyenv or other python3 first on
# PATH would not see it).
py=/usr/bin/python3
if [[ ! -x "$here/.venv/bin/python" ]]; then
  "$py" -m venv --system-site-packages "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
  -r "$here/requirements.txt"
"$here/.venv/bin/python" -c "import torch, opacus, h5py; print('setup: torch', torch.__version__, '(Debian) opacus', opacus.__version__, 'h5py', h5py.__version__)"
