#!/usr/bin/env bash
# README command 1: install what is missing, build, run the default scenario (no file, no download).
# Writes results/default-1.h5 (pass --force to replace an existing one; other `fedsim run` options too).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
exec build/fedsim run "$@"
