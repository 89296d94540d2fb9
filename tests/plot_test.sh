#!/usr/bin/env bash
# CTest `plot_run_file`: tools/plot.py on run files written by the real binary (one without
# privacy, NaN epsilons; one with DP-SGD) and on a small hand-made sweep-shaped file (h5py) with a
# failed run, and on a real tiny sweep (`fedsim sweep scenarios/noise-sweep.toml`); checks that every PDF and PNG exists, is non-empty and has the right magic bytes.
# Fails (never skips) when python3-h5py or python3-matplotlib is missing.
#
# Usage: plot_test.sh FEDSIM_BIN SOURCE_DIR WORK_DIR
set -euo pipefail

fedsim="$1"
src="$2"
work="$3"
python=/usr/bin/python3  # Debian's python3-h5py and python3-matplotlib are installed for this one

fail() {
  echo "plot_test: FAIL: $*" >&2
  exit 1
}

[ -x "$python" ] || fail "$python not found; install python3 with tools/setup.sh"
"$python" -c "import h5py, matplotlib" 2>/dev/null ||
  fail "tools/plot.py needs python3-h5py and python3-matplotlib; install them with tools/setup.sh"

rm -rf "$work"
mkdir -p "$work"
export MPLBACKEND=Agg MPLCONFIGDIR="$work/mplconfig"

# Checks that PREFIX.pdf and PREFIX.png exist, are non-empty and are a PDF and a PNG.
check_figures() {
  local prefix="$1"
  [ -s "$prefix.pdf" ] || fail "$prefix.pdf missing or empty"
  [ -s "$prefix.png" ] || fail "$prefix.png missing or empty"
  [ "$(head -c 5 "$prefix.pdf")" = "%PDF-" ] || fail "$prefix.pdf is not a PDF"
  [ "$(head -c 4 "$prefix.png" | tail -c 3)" = "PNG" ] || fail "$prefix.png is not a PNG"
}

tiny="$src/tests/data/scenarios/tiny.toml"
"$fedsim" run "$tiny" --quiet --backend cpu --output "$work/plain.h5"
"$fedsim" run "$tiny" --quiet --backend cpu --output "$work/dp.h5" \
  --set privacy.mode=sample --set privacy.noise_multiplier=1.0 --set privacy.delta=1e-5

# A run without privacy alone (one panel), then two runs overlaid (with the epsilon panel).
"$python" "$src/tools/plot.py" "$work/plain.h5" --out "$work/plain" | tee "$work/plain.log"
check_figures "$work/plain"
grep -q "no privacy" "$work/plain.log" || fail "no note about the run without privacy"
"$python" "$src/tools/plot.py" "$work/plain.h5" "$work/dp.h5" --out "$work/fig/runs"
check_figures "$work/fig/runs"

# A sweep-shaped file (layout in docs/results-format.md): 2 noise multipliers x 2 seeds, one run
# failed (NaN metrics), one non-private baseline; /runs holds one of the real run files.
"$python" - "$work/sweep.h5" "$work/dp.h5" <<'EOF'
import sys
import h5py
import numpy as np

out, run_file = sys.argv[1], sys.argv[2]
s = h5py.string_dtype()
nan = float("nan")
with h5py.File(out, "w") as f:
    f.attrs["format_version"] = np.int32(1)
    f.attrs["kind"] = "sweep"
    g = f.create_group("summary")
    ids = ["z0-s1", "z0.5-s1", "z0.5-s2", "z1-s1", "z1-s2"]
    g["run_id"] = np.array(ids, dtype=object).astype(s)
    g["status"] = np.array(["complete", "complete", "complete", "complete", "failed"], dtype=s)
    g["final_accuracy"] = np.array([0.74, 0.61, 0.63, 0.70, nan])
    g["final_auc"] = np.array([0.80, 0.66, 0.67, 0.75, nan])
    g["epsilon"] = np.array([nan, 8.5, 8.7, 2.25, nan])
    g["wall_time_s"] = np.array([1.0, 1.5, 1.25, 1.0, 0.1])
    g["rounds_done"] = np.array([10, 10, 10, 10, 3], dtype=np.int32)
    v = g.create_group("values")
    v["privacy.noise_multiplier"] = np.array([0.0, 0.5, 0.5, 1.0, 1.0])
    v["run.seed"] = np.array([1.0, 1.0, 2.0, 1.0, 2.0])
    fr = f.create_group("frontier")
    fr["epsilon_mean"] = np.array([8.6, 2.25])
    fr["accuracy_mean"] = np.array([0.62, 0.70])
    fr["accuracy_std"] = np.array([0.014, 0.0])
    fr["accuracy_min"] = np.array([0.61, 0.70])
    fr["accuracy_max"] = np.array([0.63, 0.70])
    fr["count"] = np.array([2, 1], dtype=np.int32)
    fr.create_group("values")["privacy.noise_multiplier"] = np.array([0.5, 1.0])
    with h5py.File(run_file, "r") as r:
        r.copy(r["/"], f.require_group("runs"), name="z0.5-s1")
EOF
"$python" "$src/tools/plot.py" "$work/sweep.h5" --out "$work/sweep" | tee "$work/sweep.log"
check_figures "$work/sweep"
grep -q "skipped 1 run(s).*z1-s2 (failed)" "$work/sweep.log" ||
  fail "the failed run was not reported"
"$python" "$src/tools/plot.py" "$work/sweep.h5" --error std --out "$work/sweep-std" >/dev/null
check_figures "$work/sweep-std"

# Both kinds at once: PREFIX-runs.* and PREFIX-frontier.*
"$python" "$src/tools/plot.py" "$work/dp.h5" "$work/sweep.h5" --out "$work/both" >/dev/null
check_figures "$work/both-runs"
check_figures "$work/both-frontier"

# A real sweep from the binary: the catalogue's noise sweep (4 noise multipliers x 3 seeds, user-level
# DP) at a tiny size, then its frontier and a CSV export of it.
"$fedsim" sweep "$src/scenarios/noise-sweep.toml" --quiet --backend cpu --output "$work/real-sweep.h5" \
  --set run.rounds=3 --set data.samples=6000 --set data.shops=60 >"$work/real-sweep.log" ||
  fail "fedsim sweep failed: $(cat "$work/real-sweep.log")"
"$python" "$src/tools/plot.py" "$work/real-sweep.h5" --out "$work/real-sweep" >/dev/null
check_figures "$work/real-sweep"
"$fedsim" export "$work/real-sweep.h5" --csv "$work/real-sweep-csv" >/dev/null
[ "$(wc -l <"$work/real-sweep-csv/frontier.csv")" = 5 ] ||
  fail "the real sweep's frontier.csv should hold a header and 4 rows"

# bench/run.sh's report: the scaling figure (three log-log panels).
cat >"$work/bench.json" <<'JSON'
{"machine": {"cpu": "test", "cores": 2, "commit": "abc"}, "runs": [
 {"name": "clients-10", "clients_per_round": 10, "round_s_median": 0.001, "parameters": 100, "peak_rss_mib": 50},
 {"name": "clients-100", "clients_per_round": 100, "round_s_median": 0.01, "parameters": 100, "peak_rss_mib": 50},
 {"name": "model-32", "clients_per_round": 100, "round_s_median": 0.001, "parameters": 800, "peak_rss_mib": 50},
 {"name": "model-512", "clients_per_round": 100, "round_s_median": 0.005, "parameters": 14000, "peak_rss_mib": 60},
 {"name": "population-1000", "clients_per_round": 100, "round_s_median": 0.005, "parameters": 100, "peak_rss_mib": 54},
 {"name": "population-10000", "clients_per_round": 100, "round_s_median": 0.005, "parameters": 100, "peak_rss_mib": 93}]}
JSON
"$python" "$src/tools/plot.py" --bench "$work/bench.json" --out "$work/scaling" >/dev/null
check_figures "$work/scaling"

# Bad input names the file and exits non-zero.
echo "not hdf5" >"$work/bad.h5"
if "$python" "$src/tools/plot.py" "$work/bad.h5" --out "$work/bad" 2>"$work/bad.log"; then
  fail "a non-HDF5 file was accepted"
fi
grep -q "bad.h5" "$work/bad.log" || fail "the error does not name the file: $(cat "$work/bad.log")"

echo "plot_test: OK"
