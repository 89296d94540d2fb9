#!/usr/bin/env bash
# End-to-end benchmarks of the `fedsim` binary: wall time and peak RSS (GNU time), written to
# bench/results/e2e-cpu.md. Run after tools/build.sh:   bench/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDSIM:-build/fedsim}  # FEDSIM=path/to/fedsim for another build directory
OUT=bench/results/e2e-cpu.md
mkdir -p bench/results
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

last_value() {  # dataset, file: the last element of a 1-D dataset
  h5dump -y -d "$1" "$2" | sed -n '/DATA {/,/}/p' | tr -s ' ,{}\n' '\n' | grep -E '^-?[0-9nN]' | tail -1
}

measure() {  # name, args...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$BIN" run "$@" --quiet --force --output "$TMP/$name.h5" >"$TMP/$name.log" 2>&1
  read -r wall rss_kb <"$TMP/time"
  local acc eps
  acc=$(last_value /eval/accuracy "$TMP/$name.h5")
  eps=$(last_value /rounds/epsilon "$TMP/$name.h5")
  printf '| %s | `%sfedsim run %s` | %.2f s | %.0f MiB | %s | %s |\n' "$name" "${OMP_NUM_THREADS:+OMP_NUM_THREADS=$OMP_NUM_THREADS }" "$*" "$wall" "$((rss_kb / 1024))" "$acc" "$eps"
}

{
  echo "# End-to-end benchmarks, CPU backend ($(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo
  echo "| run | command | wall time | peak RSS | final test accuracy | epsilon (delta 1e-6) |"
  echo "|---|---|---|---|---|---|"
  measure default --backend cpu
  OMP_NUM_THREADS=1 measure default-1-thread --backend cpu
  measure clients-100k bench/scenarios/clients-100k.toml --backend cpu
  measure default-dp-sample --backend cpu --set privacy.mode=sample --set privacy.target_epsilon=3
  measure default-dp-user --backend cpu --set privacy.mode=user --set server.sampling_rate=0.1 --set privacy.target_epsilon=3 --set privacy.adaptive_clip=true
} | tee "$OUT"
