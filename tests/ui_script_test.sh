#!/usr/bin/env bash
# The dashboard driven by mouse and keyboard input only (fedsim-ui --script, ui/test_script.h),
# under Xvfb; fails, never skips, when xvfb-run, python3 or the fedsim CLI is missing.
#  1. tests/data/ui/noise-levels.script on tests/data/scenarios/tiny.toml: the privacy mode chosen
#     in its combo, three runs started at noise multipliers typed into the noise slider (0.5, 1.0,
#     2.0), each exported to HDF5 with the Export tab's button after setting its directory field,
#     the trade-off chart exported with the PNG button. Checked: the three runs finished with the
#     typed noise multipliers (print-runs), epsilons distinct and falling as the noise rises, the
#     three HDF5 files read back by `fedsim export` with the same noise multipliers, the PNGs valid
#     and not of one colour;
#  2. a script with an unknown command and one with an unknown widget: exit code != 0 and a
#     message naming the script's line;
#  3. the Queries tab: a ledger started by `fedsim query` (budget 2, 0.001 spent); the tab's Ask
#     button answers the default query (a private histogram per product category, epsilon 1),
#     then is refused twice (nothing spent): the ledger lists exactly two queries.
# usage: ui_script_test.sh FEDSIM_UI SOURCE_DIR WORK_DIR FEDSIM
set -euo pipefail
ui="$(realpath "$1")" src="$(realpath "$2")" work="$3" cli="$(realpath "$4")"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v xvfb-run >/dev/null || fail "xvfb-run not found; run tools/setup.sh (xvfb xauth libgl1-mesa-dri)"
command -v python3 >/dev/null || fail "python3 not found (tools/setup.sh)"
[ -x "$cli" ] || fail "fedsim CLI $cli not found"
rm -rf "$work"
mkdir -p "$work"
cp "$src/tests/data/scenarios/tiny.toml" "$src/tests/data/ui/noise-levels.script" "$work/"
cd "$work"  # results/ and the export directory land here

# ui TAG ARGS...: fedsim-ui under Xvfb (stdout to out-TAG.txt, stderr to err-TAG.txt); sets $rc.
ui() {
  local tag="$1"
  shift
  set +e
  HOME="$work" OMP_NUM_THREADS=2 xvfb-run -a -s "-screen 0 1280x800x24" "$ui" "$@" \
    --size 1280x800 >"out-$tag.txt" 2>"err-$tag.txt"
  rc=$?
  set -e
  cat "out-$tag.txt"
  cat "err-$tag.txt" >&2
}

# 1. The flow.
ui flow --scenario tiny.toml --script noise-levels.script
[ "$rc" -eq 0 ] || fail "fedsim-ui --script exited with $rc"
python3 - out-flow.txt <<'PY'
import math, sys
runs = {}
for line in open(sys.argv[1]):
    if line.startswith("script-run "):
        f = line.split()
        kv = dict(x.split("=", 1) for x in f[2:])
        runs[f[1]] = {k: (v if k == "status" else float(v)) for k, v in kv.items()}
assert sorted(runs) == ["tiny", "tiny-2", "tiny-3"], f"runs printed: {sorted(runs)}"
for name, r in runs.items():
    assert r["status"] == "complete", f"{name}: status {r['status']}"
    assert math.isfinite(r["epsilon"]) and r["epsilon"] > 0, f"{name}: epsilon {r['epsilon']}"
    assert 0 <= r["accuracy"] <= 1, f"{name}: accuracy {r['accuracy']}"
noise = [runs[n]["noise"] for n in ("tiny", "tiny-2", "tiny-3")]
assert noise == [0.5, 1.0, 2.0], f"noise multipliers {noise}, typed 0.5 1.0 2.0"
eps = [runs[n]["epsilon"] for n in ("tiny", "tiny-2", "tiny-3")]
assert eps[0] > eps[1] > eps[2], f"epsilons {eps} do not fall as the noise rises"
print(f"ok: 3 runs, noise {noise}, epsilon {eps}")
PY
for name in tiny tiny-2 tiny-3; do
  h5="h5out/$name.h5"
  [ -f "$h5" ] || fail "$h5 not exported"
  [ "$(head -c 8 "$h5" | od -An -tx1 | tr -d ' \n')" = "894844460d0a1a0a" ] || fail "$h5: no HDF5 signature"
  "$cli" export "$h5" --csv "csv-$name" >/dev/null || fail "fedsim export cannot read $h5"
  grep "^/privacy,noise_multiplier," "csv-$name/attributes.csv" | cut -d, -f3 >>noise-h5.txt
done
[ "$(tr '\n' ' ' <noise-h5.txt)" = "0.5 1 2 " ] || fail "HDF5 noise multipliers: $(cat noise-h5.txt)"
echo "ok: h5out/tiny.h5 tiny-2.h5 tiny-3.h5 read back, noise multipliers 0.5 1 2"
grep -q '^chart: h5out/tradeoff.png$' out-flow.txt || fail "no 'chart: h5out/tradeoff.png' line"
python3 "$src/tests/check_png.py" h5out/tradeoff.png 320 240 1280 800 230,159,0  # palette(0)
python3 "$src/tests/check_png.py" script.png 1280 800 1280 800

# 2. Errors name the script's line.
printf 'wait 1\n# a comment\nclick-twice run.start\n' >bad-command.script
ui bad-command --script bad-command.script
[ "$rc" -ne 0 ] || fail "an unknown command: exit code 0"
grep -q 'bad-command.script:3: unknown command' err-bad-command.txt || fail "no line number for an unknown command"
printf 'wait 2\nclick run.no-such-button\nquit\n' >bad-widget.script
ui bad-widget --scenario tiny.toml --script bad-widget.script
[ "$rc" -ne 0 ] || fail "an unknown widget: exit code 0"
grep -q "bad-widget.script:2: no widget 'run.no-such-button'" err-bad-widget.txt ||
  fail "no line number for an unknown widget"
# 3. The Queries tab by its button: two answers, then a refusal that spends nothing.
mkdir -p results
rm -f results/tiny.budget.toml
"$cli" query tiny.toml --stat count --epsilon 0.001 --budget-epsilon 2 --budget-file results/tiny.budget.toml >/dev/null ||
  fail "fedsim query could not start the ledger"
printf 'wait 3\nclick tab.Queries\nwait 3\nclick query.ask\nwait 3\nclick query.ask\nwait 3\nclick query.ask\nwait 3\nscreenshot queries.png\nquit\n' >queries.script
ui queries --scenario tiny.toml --script queries.script
[ "$rc" -eq 0 ] || fail "the Queries script failed"
[ "$(grep -c '^\[\[query\]\]' results/tiny.budget.toml)" -eq 2 ] ||
  fail "the ledger should list 2 queries (the CLI's and one from the tab; the next two refused): $(grep -c '^\[\[query\]\]' results/tiny.budget.toml)"
python3 "$src/tests/check_png.py" queries.png 1280 800 1280 800
echo "ok: the Queries tab answered within the budget and was refused past it"
echo "ok: fedsim-ui --script"
