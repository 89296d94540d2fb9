#!/usr/bin/env bash
# README command 2: install what is missing, build (warnings are errors), run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
