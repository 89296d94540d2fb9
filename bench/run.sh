#!/usr/bin/env bash
# The benchmark runner: one table of fedsim's performance on this machine, and the same as JSON in
# bench/results/run-<host>-<date>.json (bench/run_report.py). Run after tools/build.sh:
#   bench/run.sh [BUILD_DIR]          (default: build)
# Sections (each skipped with a note when its program is missing):
#   ops       bench_ops: every backend op at a cohort's shapes (CPU; CUDA too where a GPU exists)
#   limits    bench_training: the SGEMM peak and local-training GFLOP/s as a fraction of it
#   e2e       the CPU-size scenarios (default, DP-SGD, user-level DP): wall time, peak RSS,
#             accuracy, epsilon; the GPU-size target round (bench_cuda) where a GPU exists
#   scaling   time per round against clients per round (10 to 10,000) and against model size;
#             peak memory against total clients (1,000 to 100,000)
#   peers     with PEERS=1: bench/run_peers.sh (PyTorch + Opacus on the same federation)
# Plots: tools/plot.py --bench bench/results/run-....json --out PREFIX
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BIN=$BUILD/fedsim
[ -x "$BIN" ] || { echo "bench/run.sh: $BIN not found; run tools/build.sh first" >&2; exit 2; }
HOST=$(hostname -s 2>/dev/null || echo host)
OUTJSON=bench/results/run-$HOST-$(date -u +%F).json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p bench/results

# timed NAME ARGS...: `fedsim run ARGS` with GNU time; one JSON line per run into $TMP/runs.jsonl
timed() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$BIN" run "$@" --quiet --force --output "$TMP/$name.h5" \
    >"$TMP/$name.log" 2>&1 || { echo "bench/run.sh: $name failed (see below)" >&2; cat "$TMP/$name.log" >&2; return 1; }
  read -r wall rss_kb <"$TMP/time"
  /usr/bin/python3 bench/run_report.py run-line "$name" "$TMP/$name.h5" "$wall" "$rss_kb" "$*" >>"$TMP/runs.jsonl"
  echo "  $name: ${wall} s"
}

echo "== ops"
for be in cpu cuda; do
  if [ -x "$BUILD/bench/bench_ops" ]; then
    "$BUILD/bench/bench_ops" --backend=$be --benchmark_min_time=0.1 --benchmark_format=json \
      >"$TMP/ops-$be.json" 2>"$TMP/ops-$be.err" || true
  fi
done
echo "== limits"
[ -x "$BUILD/bench/bench_training" ] &&
  "$BUILD/bench/bench_training" --benchmark_filter='SgemmPeak|LocalTraining/100/|DpSgd' \
    --benchmark_min_time=0.2 --benchmark_format=json >"$TMP/training.json" 2>/dev/null || true
echo "== e2e"
: >"$TMP/runs.jsonl"
timed e2e-default --backend cpu
timed e2e-dp-sample scenarios/dp-sample.toml --backend cpu
timed e2e-dp-user scenarios/dp-user.toml --backend cpu
[ -x "$BUILD/bench/bench_cuda" ] && "$BUILD/bench/bench_cuda" >"$TMP/cuda.txt" 2>&1 || true
echo "== scaling"
SCALE="--set data.shops=10000 --set data.samples=200000 --set run.rounds=3 --set run.eval_every=3"
for k in 10 100 1000 10000; do
  timed "clients-$k" --backend cpu $SCALE --set server.clients_per_round=$k
done
for h in "[32]" "[128]" "[512]" "[512,512]"; do
  tag=$(echo "$h" | tr -d '[]' | tr ',' 'x')
  timed "model-$tag" --backend cpu $SCALE --set server.clients_per_round=100 --set "model.hidden=$h"
done
for n in 1000 10000 100000; do
  timed "population-$n" --backend cpu --set data.shops=$n --set data.samples=$((n * 20)) \
    --set run.rounds=3 --set server.clients_per_round=100
done
if [ "${PEERS:-0}" = 1 ]; then
  echo "== peers"
  FEDSIM=$BIN bench/run_peers.sh >"$TMP/peers.txt" 2>&1 || true
fi
/usr/bin/python3 bench/run_report.py report "$TMP" "$OUTJSON" "$BUILD"
