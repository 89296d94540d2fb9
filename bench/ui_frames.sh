#!/usr/bin/env bash
# Frame times of the dashboard while it trains: fedsim-ui runs SCENARIO (default: the default
# scenario, 50 rounds) headless under Xvfb with --run --frame-stats and prints, for the frames
# during which the run was training, the median, 95th percentile and max of (a) building the
# frame (ImGui::NewFrame..Render: panels, charts, snapshots; wall and thread CPU time) and (b) the
# whole frame with OpenGL drawing and the swap (on Xvfb: Mesa's software renderer, which shares
# the CPU cores with training). Not a test: numbers to read, e.g. against 16.7 ms (60 fps).
# usage: bench/ui_frames.sh [BUILD_DIR (build)] [FRAMES (100000)] [SCENARIO (scenarios/default.toml)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath "${1:-$root/build}")" frames="${2:-100000}"
scenario="$(realpath "${3:-$root/scenarios/default.toml}")"
command -v xvfb-run >/dev/null || { echo "xvfb-run not found (tools/setup.sh)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"  # the run's results/ lands here and goes
echo "fedsim-ui --scenario $scenario --run --frame-stats --frames $frames ($(nproc) cores)"
HOME="$work" xvfb-run -a -s "-screen 0 1280x800x24" "$build/fedsim-ui" --scenario "$scenario" \
  --run --frame-stats --frames "$frames" --size 1280x800 | grep -E '^(frame-stats|run )'
