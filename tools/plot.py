#!/usr/bin/python3
# Paper-ready figures from fedsim result files (layout: docs/results-format.md), as PDF and PNG.
#
#   tools/plot.py FILE... --out PREFIX [--error minmax|std] [--title TEXT]
#
# Run files: test accuracy against round, one line per file; when any run had privacy, a second
# panel shows its cumulative epsilon against round (runs without privacy have NaN epsilons and are
# left out of that panel). Sweep files (root attribute kind = "sweep"): the accuracy-against-epsilon
# frontier, from /summary: completed runs grouped by their swept values other than run.seed, mean
# accuracy with min-max (or std) error bars, log epsilon axis, each point labelled by its values;
# failed, diverged or interrupted runs are skipped and listed. Runs without privacy in a sweep
# (NaN epsilon) are drawn as a dashed horizontal line.
#
# Writes PREFIX.pdf and PREFIX.png (PREFIX-runs.* and PREFIX-frontier.* when given both kinds).
# Needs Debian's python3-h5py and python3-matplotlib (tools/setup.sh installs them), hence
# /usr/bin/python3 rather than whatever python3 comes first on PATH. No display needed (Agg).
import argparse
import math
import os
import sys

try:
    import h5py
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator
except ImportError as e:  # the test relies on this message naming tools/setup.sh
    sys.exit(f"plot.py: {e}: install python3-h5py and python3-matplotlib (Debian packages) "
             "with tools/setup.sh")

SEED_KEY = "run.seed"

# Readable at a single column width (about 3.3 in) and at double width.
plt.rcParams.update({
    "font.size": 9,
    "axes.labelsize": 10,
    "axes.titlesize": 10,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "lines.linewidth": 1.5,
    "lines.markersize": 4,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "pdf.fonttype": 42,  # TrueType in the PDF: venues reject Type 3 fonts
    "ps.fonttype": 42,
    "savefig.bbox": "tight",
})


class InputError(Exception):
    """Bad input file: the message names the file and the problem."""


def text(v):
    """An h5py string attribute or element as str (variable-length reads as str, fixed as bytes)."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.shape == ():
        return text(v[()])
    return str(v)


def strings(ds):
    """A 1-D string dataset as a list of str (variable- or fixed-length)."""
    return [text(v) for v in ds[()]]


def kind_of(f):
    return text(f.attrs["kind"]) if "kind" in f.attrs else "run"


def short(key):
    """privacy.noise_multiplier -> noise_multiplier (for point labels and legends)."""
    return key.rsplit(".", 1)[-1]


def fmt(v):
    if isinstance(v, str):
        return v
    return f"{v:g}"


def save(fig, prefix):
    """Writes PREFIX.pdf and PREFIX.png; returns their paths."""
    paths = [prefix + ".pdf", prefix + ".png"]
    parent = os.path.dirname(prefix)
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(paths[0])
    fig.savefig(paths[1], dpi=300)
    plt.close(fig)
    return paths


# ---------------------------------------------------------------------------------------------
# Run files


def read_run(path):
    """What the run figure needs from one run file (or a /runs/<id> group)."""
    try:
        with h5py.File(path, "r") as f:
            for g in ("eval", "rounds"):
                if g not in f:
                    raise InputError(f"{path}: no /{g} group; not a fedsim run file")
            priv = f["privacy"].attrs if "privacy" in f else {}
            return {
                "label": os.path.splitext(os.path.basename(path))[0],
                "status": text(f.attrs.get("status", "unknown")),
                "eval_round": f["eval/round"][()],
                "accuracy": f["eval/accuracy"][()],
                "round": f["rounds/round"][()],
                "epsilon": f["rounds/epsilon"][()].astype(float),
                "mode": text(priv.get("mode", "none")),
                "delta": float(priv.get("delta", float("nan"))),
            }
    except (OSError, KeyError) as e:
        raise InputError(f"{path}: {e}") from e


def plot_runs(runs, prefix, title):
    private = [r for r in runs if np.isfinite(r["epsilon"]).any()]
    ncols = 2 if private else 1
    fig, axes = plt.subplots(1, ncols, figsize=(3.4 * ncols, 2.6), constrained_layout=True,
                             squeeze=False)
    ax = axes[0][0]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, r in enumerate(runs):
        label = r["label"] + ("" if r["status"] == "complete" else f" ({r['status']})")
        ax.plot(r["eval_round"], 100 * r["accuracy"], marker="o", color=colors[i % len(colors)],
                label=label)
    ax.set_xlabel("Round")
    ax.set_ylabel("Test accuracy (%)")
    ax.set_title("(a) test accuracy" if private else (title or "Test accuracy"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="best")
    if private:
        ax = axes[0][1]
        for i, r in enumerate(runs):
            if not np.isfinite(r["epsilon"]).any():
                continue
            ax.plot(r["round"], r["epsilon"], color=colors[i % len(colors)],
                    label=f"{r['label']} ({r['mode']}, δ = {r['delta']:g})")
        ax.set_xlabel("Round")
        ax.set_ylabel("Privacy loss ε (cumulative)")
        ax.set_title("(b) privacy spent")
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="best")
    if title and private:
        fig.suptitle(title)
    for r in runs:
        if not np.isfinite(r["epsilon"]).any():
            print(f"plot.py: {r['label']}: no privacy (NaN epsilons), accuracy only")
    return save(fig, prefix)


# ---------------------------------------------------------------------------------------------
# Sweep files


def read_sweep(path):
    """Completed runs of a sweep grouped by their non-seed swept values, and what was skipped."""
    try:
        with h5py.File(path, "r") as f:
            if "summary" not in f:
                raise InputError(f"{path}: no /summary group; not a fedsim sweep file")
            s = f["summary"]
            run_id = strings(s["run_id"])
            status = strings(s["status"])
            acc = s["final_accuracy"][()].astype(float)
            eps = s["epsilon"][()].astype(float)
            values = {}
            if "values" in s:
                for key, ds in s["values"].items():
                    col = ds[()]
                    values[key] = ([text(v) for v in col] if col.dtype.kind in "OSU"
                                   else [float(v) for v in col])
            delta = float("nan")
            for rid in run_id:  # the delta every epsilon is at, from the first run that has it
                g = f.get(f"runs/{rid}/privacy")
                if g is not None and "delta" in g.attrs and text(g.attrs["mode"]) != "none":
                    delta = float(g.attrs["delta"])
                    break
    except (OSError, KeyError) as e:
        raise InputError(f"{path}: {e}") from e

    n = len(run_id)
    for key, col in values.items():
        if len(col) != n:
            raise InputError(f"{path}: /summary/values/{key} has {len(col)} rows, not {n}")
    keys = sorted(k for k in values if k != SEED_KEY)
    groups, baseline, skipped = {}, {}, []
    for i in range(n):
        if status[i] != "complete" or not np.isfinite(acc[i]):
            skipped.append(f"{run_id[i]} ({status[i]})")
            continue
        group = tuple(values[k][i] for k in keys)
        if not np.isfinite(eps[i]) or eps[i] <= 0:  # no privacy: a reference line, not a point
            baseline.setdefault(group, []).append(acc[i])
            continue
        g = groups.setdefault(group, {"eps": [], "acc": []})
        g["eps"].append(eps[i])
        g["acc"].append(acc[i])
    return {"label": os.path.splitext(os.path.basename(path))[0], "keys": keys, "groups": groups,
            "baseline": baseline, "skipped": skipped, "delta": delta}


def plot_sweeps(sweeps, prefix, title, error):
    fig, ax = plt.subplots(figsize=(4.2, 3.0), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    markers = "osD^v<>ph"
    deltas = set()
    any_point = False
    for i, sw in enumerate(sweeps):
        color, marker = colors[i % len(colors)], markers[i % len(markers)]
        if sw["skipped"]:
            print(f"plot.py: {sw['label']}: skipped {len(sw['skipped'])} run(s) that did not "
                  f"complete: {', '.join(sw['skipped'])}")
        if not math.isnan(sw["delta"]):
            deltas.add(sw["delta"])
        pts = []
        for group, g in sw["groups"].items():
            a = 100 * np.array(g["acc"])
            mean = a.mean()
            if error == "std":
                lo = hi = a.std(ddof=1) if len(a) > 1 else 0.0
            else:
                lo, hi = mean - a.min(), a.max() - mean
            pts.append((float(np.mean(g["eps"])), mean, lo, hi, group, len(a)))
        pts.sort(key=lambda p: p[0])
        if pts:
            any_point = True
            x = [p[0] for p in pts]
            y = [p[1] for p in pts]
            yerr = [[p[2] for p in pts], [p[3] for p in pts]]
            ax.errorbar(x, y, yerr=yerr, color=color, marker=marker, capsize=2.5,
                        label=sw["label"] if len(sweeps) > 1 else None)
            for j, p in enumerate(pts):
                label = ", ".join(f"{short(k)}={fmt(v)}" for k, v in zip(sw["keys"], p[4]))
                if label:  # right of each point, left of the last one (stays inside the axes)
                    last = j == len(pts) - 1 and len(pts) > 1
                    ax.annotate(label, (p[0], p[1]), textcoords="offset points",
                                xytext=(-6, -11) if last else (5, 5),
                                ha="right" if last else "left", fontsize=7, color=color)
        for group, accs in sw["baseline"].items():
            what = ", ".join(f"{short(k)}={fmt(v)}" for k, v in zip(sw["keys"], group))
            ax.axhline(100 * float(np.mean(accs)), color=color, linestyle="--", linewidth=1,
                       label=f"no privacy ({what})" if what else "no privacy")
    if not any_point:
        raise InputError("no completed private runs to plot in " +
                         ", ".join(sw["label"] for sw in sweeps))
    ax.set_xscale("log")
    ax.margins(x=0.1, y=0.1)
    plain = FuncFormatter(lambda v, _: f"{v:g}")  # 2, 5, 10 rather than 2x10^0
    ax.xaxis.set_major_formatter(plain)
    # minor ticks labelled only at 2 and 5 per decade, so the labels never collide
    ax.xaxis.set_minor_formatter(FuncFormatter(
        lambda v, _: f"{v:g}" if f"{v:.1e}"[0] in "25" else ""))
    delta = f" at δ = {deltas.pop():g}" if len(deltas) == 1 else ""
    ax.set_xlabel(f"Privacy loss ε{delta} (log scale)")
    ax.set_ylabel("Final test accuracy (%)")
    bars = "std" if error == "std" else "min-max"
    ax.set_title(title or f"Accuracy vs. privacy (mean, {bars} over seeds)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    return save(fig, prefix)


def plot_bench(path, prefix, title):
    """bench/run.sh's JSON: time per round against clients per round and against parameters, and
    peak memory against the population (log-log), one figure of three panels."""
    import json
    try:
        with open(path) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: not a bench/run.sh report ({e})") from e
    runs = rep.get("runs", [])
    pick = lambda prefix_: [r for r in runs if r["name"].startswith(prefix_)]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    panels = [
        (pick("clients-"), "clients_per_round", "round_s_median", "clients per round",
         "seconds per round"),
        (pick("model-"), "parameters", "round_s_median", "model parameters", "seconds per round"),
        (pick("population-"), None, "peak_rss_mib", "clients in the population", "peak RSS (MiB)"),
    ]
    for ax, (rs, xkey, ykey, xlabel, ylabel) in zip(axes, panels):
        if xkey is None:
            xs = [int(r["name"].split("-")[1]) for r in rs]
        else:
            xs = [r[xkey] for r in rs]
        ys = [r[ykey] for r in rs]
        ax.plot(xs, ys, marker="o")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    m = rep.get("machine", {})
    fig.suptitle(title or f"fedsim on {m.get('cpu', '?')}, {m.get('cores', '?')} cores "
                 f"(commit {m.get('commit', '?')})")
    fig.tight_layout()
    return save(fig, prefix)


# ---------------------------------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(
        description="Paper-ready figures (PDF and PNG) from fedsim run and sweep files.")
    p.add_argument("files", nargs="*", metavar="FILE", help="fedsim result files (runs or sweeps)")
    p.add_argument("--bench", metavar="JSON",
                   help="a bench/run.sh report: the scaling figure (round time against clients "
                        "per round and parameters, memory against the population)")
    p.add_argument("--out", required=True, metavar="PREFIX",
                   help="write PREFIX.pdf and PREFIX.png")
    p.add_argument("--error", choices=["minmax", "std"], default="minmax",
                   help="sweep error bars over seeds: min-max (default) or standard deviation")
    p.add_argument("--title", default="", help="figure title")
    a = p.parse_args()
    if a.bench:
        try:
            for w in plot_bench(a.bench, a.out, a.title):
                print(f"plot.py: wrote {w}")
        except InputError as e:
            sys.exit(f"plot.py: error: {e}")
        return
    if not a.files:
        p.error("give result files, or --bench JSON")
    try:
        runs, sweeps = [], []
        for path in a.files:
            if not os.path.isfile(path):
                raise InputError(f"{path}: no such file")
            try:
                with h5py.File(path, "r") as f:
                    kind = kind_of(f)
            except OSError as e:
                raise InputError(f"{path}: not an HDF5 file ({e})") from e
            if kind == "sweep":
                sweeps.append(read_sweep(path))
            elif kind == "run":
                runs.append(read_run(path))
            else:
                raise InputError(f"{path}: a '{kind}' file, not a run or a sweep")
        both = runs and sweeps
        written = []
        if runs:
            written += plot_runs(runs, a.out + ("-runs" if both else ""), a.title)
        if sweeps:
            written += plot_sweeps(sweeps, a.out + ("-frontier" if both else ""), a.title, a.error)
    except InputError as e:
        sys.exit(f"plot.py: error: {e}")
    for w in written:
        print(f"plot.py: wrote {w}")


if __name__ == "__main__":
    main()
