#!/usr/bin/env bash
# The dashboard without a display, under Xvfb (fails, never skips, without xvfb-run:
# tools/setup.sh installs it). Three sessions of fedsim-ui:
#  1. tests/data/scenarios/tiny.toml run to the end: exit code 0, "run finished: PATH" and the file
#     exists, the whole window written to PNG at its size, and the accuracy chart exported to PNG
#     through the real OpenGL path (--export-chart), neither image of one colour;
#  2. tests/data/scenarios/tiny-sweep.toml with --sweep (3 noise levels x 2 seeds): all 6 runs
#     finish, the trade-off chart is exported to PNG and holds the runs' colours (points with
#     error bars over seeds), and the window screenshot is written;
#  3. with the fedsim CLI (4th argument): `fedsim sweep` writes a sweep file, fedsim-ui opens it and
#     a run file of session 1 with --open-results (7 runs loaded) and exports the trade-off chart;
#     the SecAgg tab is in front (a loaded run without secure aggregation: its note).
# usage: ui_headless_test.sh FEDSIM_UI SOURCE_DIR WORK_DIR [FEDSIM]
set -euo pipefail
ui="$(realpath "$1")" src="$(realpath "$2")" work="$3"
cli="${4:+$(realpath "$4")}"
if ! command -v xvfb-run >/dev/null; then
  echo "FAIL: xvfb-run not found; run tools/setup.sh (Debian packages xvfb xauth libgl1-mesa-dri)" >&2
  exit 1
fi
if ! command -v python3 >/dev/null; then
  echo "FAIL: python3 not found (tools/setup.sh)" >&2
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
cp "$src/tests/data/scenarios/tiny.toml" "$src/tests/data/scenarios/tiny-sweep.toml" "$work/"
cd "$work"  # results/ and the export directory land here

# Runs fedsim-ui under Xvfb with the given arguments (stdout to out-TAG.txt); fails on exit != 0.
ui_run() {
  local tag="$1"
  shift
  set +e
  HOME="$work" xvfb-run -a -s "-screen 0 1280x800x24" "$ui" "$@" --size 1280x800 \
    >"out-$tag.txt" 2>"err-$tag.txt"
  local rc=$?
  set -e
  cat "out-$tag.txt"
  cat "err-$tag.txt" >&2
  [ "$rc" -eq 0 ] || { echo "FAIL ($tag): fedsim-ui exited with $rc" >&2; exit 1; }
}

# check_png FILE MIN_W MIN_H MAX_W MAX_H [R,G,B]: a PNG within those sizes, its pixels not all
# alike (more than 20 colours sampled) and, when given, holding colour R,G,B (within 8 per channel).
check_png() { python3 "$src/tests/check_png.py" "$@"; }

# Okabe-Ito orange and sky blue: palette(0) and palette(1), the first runs' colours.
orange=230,159,0 sky=86,180,233

# 1. One run, the window and the accuracy chart.
ui_run run --scenario tiny.toml --run --frames 3000 --screenshot shot.png \
  --export-chart accuracy charts/accuracy.png
path=$(sed -n 's/^run finished: //p' out-run.txt | head -1)
[ -n "$path" ] || { echo "FAIL: no 'run finished: PATH' line" >&2; exit 1; }
[ -f "$path" ] || { echo "FAIL: result file $path missing" >&2; exit 1; }
grep -q '^chart: charts/accuracy.png$' out-run.txt || { echo "FAIL: no chart line" >&2; exit 1; }
check_png shot.png 1280 800 1280 800
check_png charts/accuracy.png 320 240 1280 800 "$orange"

# 2. A sweep of 6 runs: the trade-off chart (3 points with error bars over 2 seeds each).
ui_run sweep --scenario tiny-sweep.toml --sweep --frames 5000 --screenshot sweep.png \
  --export-chart tradeoff charts/tradeoff.png
n=$(grep -c '^run finished: ' out-sweep.txt || true)
[ "$n" -eq 6 ] || { echo "FAIL: $n of 6 sweep runs finished" >&2; exit 1; }
grep -q '^chart: charts/tradeoff.png$' out-sweep.txt || { echo "FAIL: no chart line" >&2; exit 1; }
check_png charts/tradeoff.png 320 240 1280 800 "$orange"
check_png sweep.png 1280 800 1280 800

# 3. A sweep file and a run file opened as finished runs.
if [ -n "$cli" ]; then
  OMP_NUM_THREADS=2 "$cli" sweep tiny-sweep.toml --output sweep.h5 >out-cli.txt
  ui_run open --open-results sweep.h5 --open-results "$path" --frames 30 --tab SecAgg \
    --export-chart tradeoff charts/opened.png --screenshot opened.png
  grep -q '^opened sweep.h5: 6 run(s)$' out-open.txt || { echo "FAIL: sweep file not opened" >&2; exit 1; }
  grep -q "^opened $path: 1 run(s)\$" out-open.txt || { echo "FAIL: run file not opened" >&2; exit 1; }
  check_png charts/opened.png 320 240 1280 800 "$orange"
  check_png opened.png 1280 800 1280 800 "$sky"
fi
echo "ok: fedsim-ui headless"
