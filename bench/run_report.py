#!/usr/bin/python3
# bench/run.sh's helper: reads what the runner measured and writes the JSON report and a table.
#   run_report.py run-line NAME FILE.h5 WALL_S RSS_KB ARGS   -> one JSON line for a `fedsim run`
#   run_report.py report TMPDIR OUT.json BUILD                -> the report (JSON) and a table
# Needs Debian's python3-h5py (tools/setup.sh installs it).
import datetime
import glob
import json
import os
import platform
import re
import subprocess
import sys

import h5py
import numpy as np


def run_line(name, path, wall, rss_kb, args):
    with h5py.File(path, "r") as f:
        rounds = f["rounds"]
        times = np.asarray(rounds["wall_time_s"][()], dtype=float)
        eps = np.asarray(rounds["epsilon"][()], dtype=float) if "epsilon" in rounds else []
        acc = np.asarray(f["eval"]["accuracy"][()], dtype=float) if "eval" in f else []
        params = int(f["model"].attrs.get("num_params", 0)) if "model" in f else 0
        if not params and "model" in f and "weights" in f["model"]:
            params = int(f["model"]["weights"].shape[0])
        k = np.asarray(rounds["clients_sampled"][()], dtype=float)
    later = times[1:] if len(times) > 1 else times  # round 1 includes the warm-up
    print(json.dumps({
        "name": name, "args": args, "wall_s": float(wall), "peak_rss_mib": int(rss_kb) / 1024,
        "rounds": int(len(times)), "round_s_median": float(np.median(later)) if len(later) else None,
        "clients_per_round": float(np.mean(k)) if len(k) else None, "parameters": params,
        "final_accuracy": float(acc[-1]) if len(acc) else None,
        "final_epsilon": float(eps[-1]) if len(eps) and np.isfinite(eps[-1]) else None,
    }))


def bench_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def machine(build):
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo") as f:
        mem = f.readline().split(":", 1)[1].strip()
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "commit": commit, "build": build,
            "load_average": os.getloadavg()[0]}


def report(tmp, out, build):
    rep = {"machine": machine(build), "ops": {}, "limits": {}, "runs": [], "cuda": {}}
    for kind in ("cpu", "cuda"):
        j = bench_json(os.path.join(tmp, f"ops-{kind}.json"))
        if j and j.get("benchmarks"):
            rep["ops"][kind] = [{k: b[k] for k in b if k not in ("run_name", "run_type", "repetitions",
                                                                   "repetition_index", "threads",
                                                                   "family_index",
                                                                   "per_family_instance_index")}
                                for b in j["benchmarks"]]
    j = bench_json(os.path.join(tmp, "training.json"))
    if j:
        rep["limits"] = {b["name"]: {k: v for k, v in b.items() if isinstance(v, (int, float))}
                         for b in j.get("benchmarks", [])}
    with open(os.path.join(tmp, "runs.jsonl")) as f:
        rep["runs"] = [json.loads(line) for line in f if line.strip()]
    try:
        with open(os.path.join(tmp, "cuda.txt")) as f:
            for line in f:
                m = re.match(r"RESULT (\S+) (\S+)", line)
                if m:
                    rep["cuda"][m.group(1)] = float(m.group(2))
    except OSError:
        pass
    try:
        with open(os.path.join(tmp, "peers.txt")) as f:
            rep["peers"] = f.read()
    except OSError:
        pass
    with open(out, "w") as f:
        json.dump(rep, f, indent=1)

    m = rep["machine"]
    print(f"\nfedsim benchmarks: {m['cpu']}, {m['cores']} cores, {m['memory']}, load {m['load_average']:.1f}, "
          f"commit {m['commit']}, {m['date']}")
    peak = max((v.get("GFLOPs", 0) for k, v in rep["limits"].items() if "SgemmPeak" in k), default=0)
    if peak:
        print(f"  SGEMM peak {peak:.0f} GFLOP/s")
        for k, v in rep["limits"].items():
            if "LocalTraining/" in k and "frac_of_sgemm_peak" in v:
                print(f"  {k}: {v['GFLOPs']:.0f} GFLOP/s = {v['frac_of_sgemm_peak']:.2f} of the peak")
            if "DpSgd" in k and "ratio_vs_nonprivate" in v:
                print(f"  {k}: DP-SGD / non-private {v['ratio_vs_nonprivate']:.2f}x")
    print(f"\n  {'run':<18} {'wall s':>8} {'round s':>9} {'clients':>8} {'params':>8} {'RSS MiB':>8} "
          f"{'accuracy':>9} {'epsilon':>8}")
    for r in rep["runs"]:
        def f(v, fmt):
            return format(v, fmt) if isinstance(v, (int, float)) else "-"
        print(f"  {r['name']:<18} {f(r['wall_s'], '8.2f')} {f(r['round_s_median'], '9.4f')} "
              f"{f(r['clients_per_round'], '8.0f')} {f(r['parameters'], '8d')} "
              f"{f(r['peak_rss_mib'], '8.0f')} {f(r['final_accuracy'], '9.4f')} "
              f"{f(r['final_epsilon'], '8.3g')}")
    for kind, ops in rep["ops"].items():
        print(f"\n  ops on {kind}: {len(ops)} benchmarks (bench_ops), e.g.")
        for b in ops[:6]:
            extra = ", ".join(f"{k} {b[k]:.3g}" for k in b if k.endswith("_per_second"))
            print(f"    {b['name']:<48} {b['real_time']:.3g} {b['time_unit']}  {extra}")
    if rep["cuda"]:
        print("\n  GPU: " + ", ".join(f"{k} {v:.4g}" for k, v in rep["cuda"].items()
                                      if k.startswith(("target", "train_10000", "sgemm_8192"))))
    print(f"\n  written: {out}")


if __name__ == "__main__":
    if sys.argv[1] == "run-line":
        run_line(*sys.argv[2:7])
    elif sys.argv[1] == "report":
        report(*sys.argv[2:5])
    else:
        sys.exit("usage: run_report.py run-line ... | report ...")
