#!/usr/bin/env bash
# The project's one prepared GPU check, for a lent GPU machine (H100 or H200): about 5 minutes,
# under 8 including the build. Steps, each with its own time limit and log; a failing step does
# not stop the later ones:
#   device       nvidia-smi (GPU, memory, driver, CUDA)
#   build        Release, CUDA architecture 90, all cores
#   conformance  tests/test_backend_conformance: every op on CUDA against the CPU twin, and
#                20-round simulations on both backends
#   ctest        the whole test suite
#   memcheck     compute-sanitizer --tool memcheck over the conformance op tests
#   racecheck    compute-sanitizer --tool racecheck over the kernels with shared memory / shuffles
#   synccheck    compute-sanitizer --tool synccheck, same subset
#   scenarios    the shipped scenarios on the CPU and on CUDA: wall time and final accuracy
#   bench_cuda   SGEMM peak, batched GEMMs, local-training GFLOP/s, DP-SGD overhead, target round
#   bench_training  the CPU benchmarks of the same machine (for the CPU/GPU comparison)
# Everything lands in $OUT: one log per step and summary.md (device, driver, every number, pass or
# fail per step).
# Usage: bash tools/gpu-check.sh [OUT]    (OUT: the first argument, else $OUT, else ./gpu-check-out)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-${OUT:-$PWD/gpu-check-out}}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUILD=${BUILD:-build-gpu}
JOBS=$(nproc)
STEPS="$OUT/steps.md"
: >"$STEPS"
T_START=$(date +%s)

# step NAME LIMIT_S COMMAND: runs COMMAND (a bash string) with a time limit, logs to $OUT/NAME.log,
# records PASS / FAIL (exit code) / TIMEOUT and the seconds it took.
step() {
  local name=$1 limit=$2 cmd=$3 t0 rc dt status
  t0=$(date +%s)
  echo "== $name (limit ${limit}s): $cmd"
  timeout --kill-after=15 "$limit" bash -c "$cmd" >"$OUT/$name.log" 2>&1
  rc=$?
  dt=$(($(date +%s) - t0))
  case $rc in
    0) status=PASS
       grep -q 'no CUDA device' "$OUT/$name.log" && status="PASS, GPU parts SKIPPED (no CUDA device)" ;;
    124 | 137) status="TIMEOUT (${limit} s)" ;;
    *) status="FAIL (exit $rc)" ;;
  esac
  echo "| $name | $status | $dt s | \`$name.log\` |" >>"$STEPS"
  echo "== $name: $status in ${dt}s"
}
skip() {  # skip NAME REASON
  echo "| $1 | SKIPPED: $2 | - | - |" >>"$STEPS"
  echo "== $1: skipped ($2)"
}

# ---- device -------------------------------------------------------------------------------------
step device 30 "nvidia-smi && nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap,clocks.max.sm --format=csv"
GPU=$(nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader 2>/dev/null | head -1)
CUDA_DRIVER=$(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -1)
NVCC=$( (command -v nvcc || echo /usr/local/cuda/bin/nvcc) | head -1)
NVCC_VERSION=$("$NVCC" --version 2>/dev/null | grep -o 'release [0-9.]*' | head -1)

# ---- build and tests ----------------------------------------------------------------------------
step build 360 "cmake -S . -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release -DFEDSIM_WERROR=OFF \
  -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build $BUILD -j$JOBS"
step conformance 180 "$BUILD/tests/test_backend_conformance --gtest_color=no"
step ctest 300 "ctest --test-dir $BUILD --output-on-failure -j$JOBS --timeout 240"

# ---- compute-sanitizer --------------------------------------------------------------------------
CS=$(command -v compute-sanitizer || true)
for c in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  [ -z "$CS" ] && [ -x "$c" ] && CS=$c
done
T=$BUILD/tests/test_backend_conformance
SYNC_FILTER='Conformance.SoftmaxXent*:Conformance.RowSqnorms*:Conformance.GhostSqnorm*'
if [ -n "$CS" ]; then
  # The op tests only (the 20-round simulations would take minutes under the sanitizer).
  step memcheck 240 "$CS --tool memcheck --error-exitcode 9 $T --gtest_color=no --gtest_filter='Conformance.*'"
  step racecheck 150 "$CS --tool racecheck --error-exitcode 9 $T --gtest_color=no --gtest_filter='$SYNC_FILTER'"
  step synccheck 90 "$CS --tool synccheck --error-exitcode 9 $T --gtest_color=no --gtest_filter='$SYNC_FILTER'"
else
  for s in memcheck racecheck synccheck; do skip $s "compute-sanitizer not found"; done
fi

# ---- scenarios on both backends -----------------------------------------------------------------
step scenarios 180 "rc=0; for f in scenarios/*.toml; do for be in cpu cuda; do
  echo \"### \$f \$be\"
  $BUILD/fedsim run \$f --backend \$be --force --output $OUT/\$(basename \$f .toml)-\$be.h5 ||
    { echo \"EXIT \$?\"; rc=1; }
done; done; exit \$rc"

# ---- benchmarks ---------------------------------------------------------------------------------
step bench_cuda 240 "$BUILD/bench/bench_cuda"
step bench_training 150 "$BUILD/bench/bench_training --benchmark_min_time=0.2 --benchmark_color=false"

# ---- summary ------------------------------------------------------------------------------------
{
  echo "# gpu-check, $(date -u +%FT%TZ)"
  echo
  echo "- commit: $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "- host: $(hostname), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "- GPU (name, memory, driver, compute capability): ${GPU:-none found}"
  echo "- ${CUDA_DRIVER:-CUDA version: unknown} (driver); nvcc ${NVCC_VERSION:-unknown}"
  echo "- total time: $(($(date +%s) - T_START)) s"
  echo
  echo "## Steps"
  echo
  echo "| step | result | time | log |"
  echo "|---|---|---|---|"
  cat "$STEPS"
  echo
  echo "## Conformance (CUDA vs CPU)"
  echo
  echo '```'
  grep -m1 'no CUDA device' "$OUT/conformance.log" 2>/dev/null
  grep -E '^device under test|^note:|^scenario [0-9]|^\[  (PASSED|FAILED) |^\[  SKIPPED \] [0-9]+ test|tests? from .* ran' \
    "$OUT/conformance.log" 2>/dev/null | head -40
  grep -E -A8 'Failure$' "$OUT/conformance.log" 2>/dev/null | head -80
  echo '```'
  echo
  echo "## ctest"
  echo
  echo '```'
  grep -E 'tests passed|tests failed|\(Failed\)|Total Test time' "$OUT/ctest.log" 2>/dev/null | head -30
  echo '```'
  for s in memcheck racecheck synccheck; do
    [ -f "$OUT/$s.log" ] || continue
    echo
    echo "## $s"
    echo
    echo '```'
    grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|hazard|Invalid|PASSED|FAILED' "$OUT/$s.log" | head -15
    echo '```'
  done
  echo
  echo "## Shipped scenarios, CPU and CUDA"
  echo
  echo '```'
  grep -E '^###|wall time|^test +accuracy|EXIT|rror' "$OUT/scenarios.log" 2>/dev/null | head -40
  echo '```'
  echo
  echo "## bench_cuda"
  echo
  echo "| figure | value | unit |"
  echo "|---|---|---|"
  grep -E '^RESULT ' "$OUT/bench_cuda.log" 2>/dev/null | awk '{u=$4; for (i=5;i<=NF;i++) u=u" "$i; printf "| %s | %s | %s |\n", $2, $3, u}'
  echo
  echo '```'
  grep -vE '^RESULT ' "$OUT/bench_cuda.log" 2>/dev/null | head -20
  echo '```'
  echo
  echo "## bench_training (CPU backend, this machine)"
  echo
  echo '```'
  grep -E '^BM_|^Run on|^CPU Caches|FAILED|ERROR' "$OUT/bench_training.log" 2>/dev/null | head -30
  echo '```'
} >"$OUT/summary.md"
echo "== done in $(($(date +%s) - T_START)) s: $OUT/summary.md"
cat "$STEPS"
