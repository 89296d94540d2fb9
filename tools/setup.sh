#!/usr/bin/env bash
# Installs the Debian packages fedsim needs, only those that are missing. Nothing from anywhere else.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libopenblas-dev            # CPU backend (SGEMM)
  libhdf5-dev hdf5-tools     # result files, h5dump
  libtomlplusplus-dev        # scenario files
  libcli11-dev               # command line
  librandom123-dev           # counter-based RNG (host and device)
  libssl-dev                 # HMAC-SHA256 pseudonymisation
  libsodium-dev              # secure aggregation (X25519, ChaCha20, BLAKE2b)
  zlib1g-dev                 # gzip-compressed IDX files
  dataset-fashion-mnist      # data.source = "fashion_mnist" (/usr/share/datasets/fashion-mnist)
  r-cran-modeldata           # Lending Club and credit_data, converted to CSV by the build
                             # (tools/prepare-datasets.sh; pulls in r-base-core for Rscript)
  libgtest-dev libgmock-dev  # tests
  libbenchmark-dev           # benchmarks
  python3-h5py python3-matplotlib  # tools/plot.py (figures) and its test, the h5py docs snippet
  libimgui-dev libglfw3-dev libgl-dev libopengl-dev  # the dashboard (ui/): Dear ImGui 1.86 with its
                             # GLFW + OpenGL3 backends; skipped by the build when missing
  libstb-dev                 # PNG export of charts (stbi_write_png, in libstb.so)
  xvfb xauth libgl1-mesa-dri # the dashboard without a display (xvfb-run, Mesa llvmpipe)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- scikit-learn's bundled tables (test fixtures) -----------------------------------------------
# breast_cancer, wine, iris and digits from the .deb of python3-sklearn (not installed: only its
# data files are unpacked) into build/datasets/sklearn; quick once done. Without them the tests
# that use them fail, naming this command.
tools_dir="$(dirname "$0")"
"$tools_dir/prepare-sklearn-data.sh" ||
  echo "setup: warning: tools/prepare-sklearn-data.sh failed; the sklearn fixture tests fail" >&2
