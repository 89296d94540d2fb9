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
  zlib1g-dev                 # gzip-compressed IDX files
  dataset-fashion-mnist      # data.source = "fashion_mnist" (/usr/share/datasets/fashion-mnist)
  libgtest-dev libgmock-dev  # tests
  libbenchmark-dev           # benchmarks
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
