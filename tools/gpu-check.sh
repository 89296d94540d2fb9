#!/usr/bin/env bash
# The project's one prepared GPU check, run on a lent GPU machine through the device tool:
#   build with CUDA, run the test suite (the CUDA conformance tests run there; here they skip),
#   compute-sanitizer over the CUDA tests, the benchmarks; everything is written under $OUT.
# Usage (device tool): bash tools/gpu-check.sh        (OUT defaults to ./gpu-check-out)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
log() { echo "== $*" | tee -a "$OUT/summary.txt"; }

log "$(date -u +%FT%TZ) gpu-check on $(hostname)"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv >"$OUT/nvidia-smi.csv" 2>&1
cat "$OUT/nvidia-smi.csv" | tee -a "$OUT/summary.txt"

log "build"
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DFEDSIM_WERROR=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 >"$OUT/cmake.log" 2>&1 && \
  cmake --build build-gpu -j"$(nproc)" >"$OUT/build.log" 2>&1
log "build exit $?"

log "tests"
(cd build-gpu && ctest --output-on-failure -j4) >"$OUT/ctest.log" 2>&1
log "tests exit $? ($(grep -E 'tests passed|tests failed' "$OUT/ctest.log"))"

if command -v compute-sanitizer >/dev/null || [ -x /usr/local/cuda/bin/compute-sanitizer ]; then
  CS=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  for t in build-gpu/tests/test_cuda*; do
    [ -x "$t" ] || continue
    log "compute-sanitizer $t"
    "$CS" --error-exitcode 9 "$t" >"$OUT/sanitizer-$(basename "$t").log" 2>&1
    log "sanitizer exit $?"
  done
fi

log "default scenario on each backend"
for be in cpu cuda; do
  /usr/bin/time -v build-gpu/fedsim run --backend "$be" --output "$OUT/default-$be.h5" --force \
    >"$OUT/run-$be.log" 2>&1
  log "run $be exit $? $(grep -E 'wall time|accuracy' "$OUT/run-$be.log" | tr '\n' ' ')"
done

log "benchmarks"
for b in build-gpu/bench/bench_*; do
  [ -x "$b" ] || continue
  "$b" --benchmark_min_time=0.2 --benchmark_format=console >"$OUT/$(basename "$b").txt" 2>&1
  log "$(basename "$b") exit $?"
done
log "done"
