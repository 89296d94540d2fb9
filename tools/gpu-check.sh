#!/usr/bin/env bash
# The project's one prepared GPU check, for a lent GPU machine (H100 or H200). Steps, each with
# its own time limit and log, all inside one overall budget (GPU_CHECK_BUDGET_S, default 540 s);
# a failing step does not stop the later ones:
#   device       nvidia-smi (GPU, memory, driver, CUDA)
#   build        Release, CUDA architecture 90, all cores; or, with a gpu-bundle/ carried from a
#                machine that has fedsim's libraries (tools/gpu-bundle.sh), a check that the
#                bundled binaries start (the GPU machine has no HDF5/OpenBLAS/toml++ to build with)
#   conformance  tests/test_backend_conformance: every op on CUDA against the CPU twin, and
#                20-round simulations on both backends
#   scenarios    the shipped scenarios on the CPU and on CUDA: wall time and final accuracy
#                (those whose data files are not on the machine are skipped, and say so)
#   bench_cuda   SGEMM peak, batched GEMMs, local-training GFLOP/s, DP-SGD overhead, target round
#                on CUDA and on this machine's CPU backend (the speed-up)
#   conformance_experimental, bench_cuda_experimental, profile_experimental, memcheck_experimental,
#   racecheck_experimental, synccheck_experimental
#                the same with FEDSIM_CUDA_EXPERIMENTAL=1 (the paths not yet verified on a GPU,
#                cuda/experimental.h: pinned upload slots, one GEMM over the shared first-step
#                weights, ragged plans with device-built pointer arrays, the weight-gradient kernel,
#                DP-SGD's noisy step fused into it;
#                off by default until this shows them correct and faster)
#   profile_each the profile's best rounds with one experimental path at a time
#   profile      bench_cuda --profile: the per-op GPU time tables of a non-private and a DP round
#   memcheck     compute-sanitizer --tool memcheck over the conformance op tests
#   racecheck    compute-sanitizer --tool racecheck over the kernels with shared memory / shuffles
#   synccheck    compute-sanitizer --tool synccheck, same subset
#   ctest        the whole test suite (source builds only: a bundle carries the CUDA binaries)
#   bench_training  the CPU benchmarks of the same machine (for the CPU/GPU comparison)
#   peers        with .whl/opacus-*.whl carried: PyTorch + Opacus on the same GPU, same federation
#                (bench/peers/compare.py --peer-device cuda; peers-gpu.json in $OUT)
# Everything lands in $OUT: logs.tar.gz (one log per step) and summary.md (device, driver, every number, pass or
# fail per step).
# Usage: bash tools/gpu-check.sh [OUT]    (OUT: the first argument, else $OUT, else ./gpu-check-out)
#   GPU_CHECK_BUDGET_S (default 540): the overall time budget; GPU_CHECK_SCENARIOS=0 skips the
#   scenarios step (a shorter run, e.g. to profile).
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
BUDGET=${GPU_CHECK_BUDGET_S:-540}
BUNDLE=""
[ -x gpu-bundle/run ] && BUNDLE=$PWD/gpu-bundle

# step NAME LIMIT_S COMMAND: runs COMMAND (a bash string) with a time limit (cut to what is left of
# the overall budget), logs to $OUT/NAME.log, records PASS / FAIL (exit code) / TIMEOUT and the
# seconds it took.
step() {
  local name=$1 limit=$2 cmd=$3 t0 rc dt status left
  left=$((BUDGET - ($(date +%s) - T_START) - 20))
  if [ "$left" -lt 15 ]; then
    skip "$name" "out of the overall budget (${BUDGET} s)"
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  t0=$(date +%s)
  echo "== $name (limit ${limit}s): $cmd"
  timeout --kill-after=10 "$limit" bash -c "$cmd" >"$OUT/$name.log" 2>&1
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

# ---- build (or the carried bundle) --------------------------------------------------------------
if [ -n "$BUNDLE" ]; then
  # The bundled binaries use this machine's glibc when it is new enough, else the bundled loader.
  step build 60 "cat $BUNDLE/commit; rm -f $BUNDLE/use-loader
    if $BUNDLE/run fedsim --version; then echo 'glibc: native'
    else touch $BUNDLE/use-loader; echo 'glibc: the bundled loader'; $BUNDLE/run fedsim --version; fi
    echo cuBLAS: \$(find /usr/local/cuda/lib64/ /usr/local/cuda/lib/ /usr/local/cuda*/targets/ /usr/lib/x86_64-linux-gnu/ /opt/ -name 'libcublas.so.13' 2>/dev/null | head -3)"
  BIN() { echo "$BUNDLE/run $1"; }
else
  step build 360 "cmake -S . -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release -DFEDSIM_WERROR=OFF \
    -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build $BUILD -j$JOBS"
  BIN() { case $1 in fedsim) echo "$BUILD/fedsim" ;; test_*) echo "$BUILD/tests/$1" ;; *) echo "$BUILD/bench/$1" ;; esac; }
fi
FEDSIM=$(BIN fedsim)
T=$(BIN test_backend_conformance)

# ---- conformance, scenarios, benchmark ----------------------------------------------------------
step conformance 150 "$T --gtest_color=no"
# The paths not yet verified on a GPU (FEDSIM_CUDA_EXPERIMENTAL=1): the conformance suite again.
step conformance_experimental 120 "FEDSIM_CUDA_EXPERIMENTAL=1 $T --gtest_color=no"

# ---- compute-sanitizer (early: the correctness checks before the long benchmarks) -------------
CS=$(command -v compute-sanitizer || true)
for c in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  [ -z "$CS" ] && [ -x "$c" ] && CS=$c
done
SYNC_FILTER='Conformance.SoftmaxXent*:Conformance.RowSqnorms*:Conformance.GhostSqnorm*'
if [ -n "$CS" ]; then
  # The op tests only (the 20-round simulations would take minutes under the sanitizer).
  step memcheck 120 "$CS --tool memcheck --error-exitcode 9 $T --gtest_color=no --gtest_filter='Conformance.*'"
  step memcheck_experimental 120 "FEDSIM_CUDA_EXPERIMENTAL=1 $CS --tool memcheck --error-exitcode 9 $T --gtest_color=no --gtest_filter='Conformance.*'"
  step racecheck 60 "$CS --tool racecheck --error-exitcode 9 $T --gtest_color=no --gtest_filter='$SYNC_FILTER'"
  step synccheck 40 "$CS --tool synccheck --error-exitcode 9 $T --gtest_color=no --gtest_filter='$SYNC_FILTER'"
  # The experimental kernels with shared memory and barriers (kernels_weight_grad.cu).
  XSYNC_FILTER='Conformance.GemmWeightGradientShapes:Conformance.NoisyLayerStep'
  step racecheck_experimental 60 "FEDSIM_CUDA_EXPERIMENTAL=1 $CS --tool racecheck --error-exitcode 9 $T --gtest_color=no --gtest_filter='$XSYNC_FILTER'"
  step synccheck_experimental 40 "FEDSIM_CUDA_EXPERIMENTAL=1 $CS --tool synccheck --error-exitcode 9 $T --gtest_color=no --gtest_filter='$XSYNC_FILTER'"
else
  for s in memcheck memcheck_experimental racecheck synccheck racecheck_experimental synccheck_experimental; do
    skip $s "compute-sanitizer not found"
  done
fi

# Shipped scenarios on both backends; a scenario whose data files are not on this machine is
# skipped (Fashion-MNIST comes from a Debian package, Lending Club from the build's datasets).
if [ "${GPU_CHECK_SCENARIOS:-1}" = 0 ]; then skip scenarios "GPU_CHECK_SCENARIOS=0"; else
step scenarios 150 "rc=0; for f in scenarios/*.toml; do
  grep -q '^\\[sweep' \$f && { echo \"### \$f: a sweep (fedsim sweep), skipped\"; continue; }
  if grep -q 'fashion_mnist' \$f && [ ! -d /usr/share/datasets/fashion-mnist ]; then echo \"### \$f SKIPPED: no /usr/share/datasets/fashion-mnist here\"; continue; fi
  if grep -q 'lending_club.csv' \$f && [ ! -f build/datasets/lending_club.csv ]; then echo \"### \$f SKIPPED: no build/datasets/lending_club.csv here\"; continue; fi
  for be in cuda cpu; do
    echo \"### \$f \$be\"
    timeout 60 $FEDSIM run \$f --backend \$be --force --output $OUT/tmp-\$(basename \$f .toml)-\$be.h5 ||
      { echo \"EXIT \$?\"; rc=1; }
  done; done; rm -f $OUT/tmp-*.h5; exit \$rc"
fi

step bench_cuda 180 "$(BIN bench_cuda)"
# The same benchmark with the experimental paths, to compare with the default path above.
step bench_cuda_experimental 150 "FEDSIM_CUDA_EXPERIMENTAL=1 $(BIN bench_cuda) --no-cpu"
# Per-op GPU time of a non-private and a DP-SGD round of 10,000 clients (FEDSIM_CUDA_OP_TIMING).
step profile 90 "$(BIN bench_cuda) --profile"
step profile_experimental 90 "FEDSIM_CUDA_EXPERIMENTAL=1 $(BIN bench_cuda) --profile"
# Each experimental path alone: the best non-private and DP-SGD round of the profile (which path
# helps, which does not).
step profile_each 120 "for x in pinned shared_weights ragged_plans weight_grad fused_noise row_bounds weight_grad,fused_noise,shared_weights; do
  echo \"### FEDSIM_CUDA_EXPERIMENTAL=\$x\"; FEDSIM_CUDA_EXPERIMENTAL=\$x $(BIN bench_cuda) --profile 2>&1 |
  grep -E 'best round|FAILED|rror'; done"

# ---- the rest -----------------------------------------------------------------------------------
if [ -n "$BUNDLE" ]; then
  skip ctest "a bundle carries the CUDA binaries only; the whole suite runs in CI"
else
  step ctest 300 "ctest --test-dir $BUILD --output-on-failure -j$JOBS --timeout 240"
fi
step bench_training 90 "$(BIN bench_training) --benchmark_min_time=0.2 --benchmark_color=false"
# The PyTorch + Opacus peer on the same GPU (issue 9), when its wheel was carried (.whl/: opacus;
# the image has torch, numpy, scipy, h5py and opt-einsum): dp-sample, one seed, both on CUDA.
if ls .whl/opacus-*.whl >/dev/null 2>&1 && [ -n "$BUNDLE" ]; then
  step peers 240 "python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --target /tmp/site .whl/*.whl && mkdir -p /tmp/peers && PYTHONPATH=/tmp/site python3 \
    bench/peers/compare.py --fedsim $BUNDLE/fedsim --scenario scenarios/dp-sample.toml \
    --work /tmp/peers --out $OUT/peers-gpu.json --seeds 1 --peer-device cuda \
    --set privacy.sample_rate=0.25 --set run.rounds=10"
else
  skip peers "no .whl/opacus-*.whl carried (python3 -m pip download --no-deps opacus==1.5.4 -d .whl)"
fi

# ---- summary ------------------------------------------------------------------------------------
{
  echo "# gpu-check, $(date -u +%FT%TZ)"
  echo
  if [ -n "$BUNDLE" ]; then
    echo "- binaries: gpu-bundle built at commit $(tr '\n' ' ' <"$BUNDLE/commit")"
  else
    echo "- commit: $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  fi
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
  for s in memcheck memcheck_experimental racecheck synccheck racecheck_experimental synccheck_experimental; do
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
  grep -E '^###|wall time|^test +accuracy|EXIT|rror' "$OUT/scenarios.log" 2>/dev/null | head -80
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
  echo "## Default against FEDSIM_CUDA_EXPERIMENTAL=1 (bench_cuda, same machine, same run)"
  echo
  echo "| figure | default | experimental | experimental / default |"
  echo "|---|---|---|---|"
  awk '$1 == "RESULT" { if (FILENAME ~ /experimental/) x[$2] = $3; else d[$2] = $3 }
       END { for (k in d) if (k in x) printf "| %s | %s | %s | %.3f |\n", k, d[k], x[k], (d[k] != 0 ? x[k] / d[k] : 0) }' \
    "$OUT/bench_cuda.log" "$OUT/bench_cuda_experimental.log" 2>/dev/null | sort
  awk '$1 == "RESULT" && $2 == "target_cpu_round_s" { cpu = $3 }
       $1 == "RESULT" && $2 == "target_dp_sgd_round_s" && FILENAME ~ /experimental/ { gpu = $3 }
       END { if (cpu > 0 && gpu > 0) printf "\nTarget round, experimental: %.1fx the CPU backend of this machine (its round from the default run)\n", cpu / gpu }' \
    "$OUT/bench_cuda.log" "$OUT/bench_cuda_experimental.log" 2>/dev/null
  echo
  echo "## With FEDSIM_CUDA_EXPERIMENTAL=1 (conformance, bench_cuda)"
  echo
  echo '```'
  grep -E '^scenario [0-9]|^\[  (PASSED|FAILED) ' "$OUT/conformance_experimental.log" 2>/dev/null
  grep -E -A8 'Failure$' "$OUT/conformance_experimental.log" 2>/dev/null | head -60
  grep -E '^RESULT |^target' "$OUT/bench_cuda_experimental.log" 2>/dev/null | head -40
  echo '```'
  echo
  echo "## profile (bench_cuda --profile: per-op GPU time)"
  echo
  echo '```'
  grep -vE '^RESULT ' "$OUT/profile.log" 2>/dev/null | head -70
  echo '```'
  echo
  echo "## profile with FEDSIM_CUDA_EXPERIMENTAL=1"
  echo
  echo '```'
  grep -vE '^RESULT ' "$OUT/profile_experimental.log" 2>/dev/null | head -70
  echo '```'
  echo
  echo "## profile, one experimental path at a time"
  echo
  echo '```'
  cat "$OUT/profile_each.log" 2>/dev/null | head -30
  echo '```'
  echo
  if [ -f "$OUT/peers-gpu.json" ]; then
    echo "## peers (PyTorch + Opacus on the same GPU, bench/peers/compare.py)"
    echo
    echo '```'
    python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['table'])" "$OUT/peers-gpu.json" 2>&1
    echo '```'
    echo
  fi
  echo "## bench_training (CPU backend, this machine)"
  echo
  echo '```'
  grep -E '^BM_|^Run on|^CPU Caches|FAILED|ERROR' "$OUT/bench_training.log" 2>/dev/null | head -30
  echo '```'
} >"$OUT/summary.md"
echo "== done in $(($(date +%s) - T_START)) s: $OUT/summary.md"
cat "$STEPS"
rm -f "$OUT"/tmp-*.h5
# The device tool brings back at most 8 files: the logs travel as one archive beside summary.md.
(cd "$OUT" && tar czf logs.tar.gz ./*.log steps.md && rm -f ./*.log steps.md)
