#!/usr/bin/env bash
# Configures and builds fedsim in build/ (Release). Extra arguments go to cmake.
# FEDSIM_WERROR=ON (the default here, as in CI) turns warnings into errors.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFEDSIM_WERROR="${FEDSIM_WERROR:-ON}" "$@" >/dev/null
cmake --build build
