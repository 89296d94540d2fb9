#!/usr/bin/env bash
# Builds the libFuzzer targets of the data loaders (clang, -fsanitize=fuzzer,address,undefined) in
# build-fuzz/ and runs each for SECONDS (default 60), one process each, at low priority.
#
#   tools/fuzz.sh [SECONDS] [fuzz_idx|fuzz_csv]...
#
# Seeds: small valid files (tests/data/shops.csv, generated IDX pairs, plain and gzipped) and every
# saved crash in tests/data/fuzz-regressions/. The growing corpus is kept in build-fuzz/corpus/,
# crashing inputs land in build-fuzz/artifacts/ (minimise one with
# `build-fuzz/fuzz/fuzz_idx -minimize_crash=1 -runs=10000 FILE`, then copy it to
# tests/data/fuzz-regressions/idx/ or csv/ and fix the loader). Logs: build-fuzz/fuzz_*.log.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(fuzz_idx fuzz_csv)
B=build-fuzz

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DFEDSIM_BUILD_FUZZERS=ON -DFEDSIM_BUILD_TESTS=OFF \
  -DFEDSIM_BUILD_BENCH=OFF -DFEDSIM_ENABLE_CUDA=OFF >/dev/null
nice cmake --build "$B" --target "${TARGETS[@]}"

# One IDX fuzz input (fuzz/fuzz_input.h): FLAGS, labels length (2 bytes LE), labels, images.
idx_seed() {  # idx_seed OUT FLAGS LABELS_FILE IMAGES_FILE
  local len
  len=$(stat -c %s "$3")
  { printf "\\x$(printf %02x "$2")\\x$(printf %02x $((len & 255)))\\x$(printf %02x $((len >> 8)))"
    cat "$3" "$4"; } >"$1"
}
S="$B/seeds"
rm -rf "$S" && mkdir -p "$S/idx" "$S/csv" "$B/corpus/idx" "$B/corpus/csv" "$B/artifacts/idx" \
  "$B/artifacts/csv"
# 4 images of 2x3 with labels 0..3, and the same gzipped.
printf '\x00\x00\x08\x01\x00\x00\x00\x04\x00\x01\x02\x03' >"$S/labels"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x04\x00\x00\x00\x02\x00\x00\x00\x03'
  for i in $(seq 0 23); do printf "\\x$(printf %02x $((i * 11 % 256)))"; done; } >"$S/images"
gzip -9nc "$S/labels" >"$S/labels.gz"
gzip -9nc "$S/images" >"$S/images.gz"
idx_seed "$S/idx/plain" 0 "$S/labels" "$S/images"
idx_seed "$S/idx/gzip-in-input" 0 "$S/labels.gz" "$S/images.gz"
idx_seed "$S/idx/gzip-by-harness" 3 "$S/labels" "$S/images"
idx_seed "$S/idx/mixed" 2 "$S/labels.gz" "$S/images"
# CSV: every column configuration (mode byte) over the test fixture.
for mode in 0 1 2 3 4 7; do
  { printf "\\x$(printf %02x $mode)"; cat tests/data/shops.csv; } >"$S/csv/shops-mode$mode"
done
{ printf '\x00'; cat tests/data/scenarios/tiny.csv; } >"$S/csv/tiny"

R=tests/data/fuzz-regressions
# The harness writes every input to a scratch file: keep those in memory where possible.
[ -w /dev/shm ] && export TMPDIR=/dev/shm
for t in "${TARGETS[@]}"; do
  kind="${t#fuzz_}"
  extra=()
  [ -d "$R/$kind" ] && extra+=("$R/$kind")
  echo "fuzz: $t for ${SECONDS_EACH}s (log $B/$t.log)"
  # -rss_limit_mb: an input that makes the loader allocate more than 2 GB is a bug (absurd sizes).
  nice -n 10 "$B/fuzz/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -dict="fuzz/$kind.dict" -artifact_prefix="$B/artifacts/$kind/" \
    -print_final_stats=1 "$B/corpus/$kind" "$S/$kind" "${extra[@]}" >"$B/$t.log" 2>&1 || {
    echo "fuzz: $t found a problem, see $B/$t.log and $B/artifacts/$kind/" >&2
    tail -40 "$B/$t.log" >&2
    exit 1
  }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$B/$t.log" | sed "s/^/fuzz: $t /"
done
