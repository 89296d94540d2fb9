#!/usr/bin/env bash
# End-to-end benchmarks of the `fedsim` binary: wall time and peak RSS (GNU time), written to
# bench/results/e2e-<host>.md. Run after tools/build.sh:   bench/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/fedsim
OUT=bench/results/e2e-cpu.md
mkdir -p bench/results
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

measure() {  # name, args...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$BIN" run "$@" --quiet --force --output "$TMP/$name.h5" >"$TMP/$name.log" 2>&1
  read -r wall rss_kb <"$TMP/time"
  local acc
  acc=$(h5dump -d /eval/accuracy "$TMP/$name.h5" | grep -oE '[0-9]\.[0-9]+' | tail -1)
  printf '| %s | `%sfedsim run %s` | %.2f s | %.0f MiB | %s |\n' "$name" "${OMP_NUM_THREADS:+OMP_NUM_THREADS=$OMP_NUM_THREADS }" "$*" "$wall" "$((rss_kb / 1024))" "$acc"
}

{
  echo "# End-to-end benchmarks, CPU backend ($(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo
  echo "| run | command | wall time | peak RSS | final test accuracy |"
  echo "|---|---|---|---|---|"
  measure default --backend cpu
  OMP_NUM_THREADS=1 measure default-1-thread --backend cpu
  measure clients-100k bench/scenarios/clients-100k.toml --backend cpu
} | tee "$OUT"
