#!/usr/bin/env bash
# Installs Flower's simulation for the second peer (bench/peers/flower_fedavg.py) and nothing else:
# a virtual environment bench/peers/.venv-flower, separate from the Opacus peer's .venv, that sees
# Debian's torch, NumPy, SciPy and h5py (--system-site-packages) and gets flwr 1.12.0, ray 2.10.0,
# Opacus and their dependencies from PyPI, every version pinned in requirements-flower.txt
# (--no-deps: nothing is resolved, so Debian's NumPy 1.24 stays). Run by setup.sh --flower and by
# bench/run_peers.sh when PEERS_LIST names flower. fedsim's own build and tests never need it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py=/usr/bin/python3  # Debian's interpreter, for which python3-torch is built
"$here/setup.sh"     # the Debian packages (and the Opacus peer's venv, which compare.py runs in)
if [[ ! -x "$here/.venv-flower/bin/python" ]]; then
  "$py" -m venv --system-site-packages "$here/.venv-flower"
fi
"$here/.venv-flower/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
  -r "$here/requirements-flower.txt"
"$here/.venv-flower/bin/python" - <<'PY'
import numpy, torch, flwr, ray, opacus
from flwr.simulation import start_simulation  # noqa: F401 (the simulation extra is complete)
if not numpy.__version__.startswith("1.") or not numpy.__file__.startswith("/usr/lib/python3/"):
    raise SystemExit(f"setup-flower: expected Debian's NumPy 1.x, got {numpy.__version__} at {numpy.__file__}")
print("setup-flower: flwr", flwr.__version__, "ray", ray.__version__, "opacus", opacus.__version__,
      "torch", torch.__version__, "numpy", numpy.__version__, "(Debian)")
PY
