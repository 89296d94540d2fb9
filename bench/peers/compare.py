#!/usr/bin/env python3
"""Driver of bench/run_peers.sh: fedsim and its peers on the same federation.

For each seed: `fedsim data` writes the federation; `fedsim run` trains on it (timed, its peak RSS
from GNU time; once with fedsim's default threads and once with OMP_NUM_THREADS=1); each peer of
--peers trains on the same file with the hyperparameters read back from fedsim's result file
(resolved scenario and /privacy: rounds, cohort, steps, q, lr, clip, the calibrated sigma, delta,
model). The peers: opacus (opacus_fedavg.py, the PyTorch + Opacus loop, run by this Python) and
flower (flower_fedavg.py, Flower's simulation, run by --flower-python). Prints a table and writes
JSON. See docs/peers.md.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# The peers: their key in the JSON runs (the Opacus peer keeps its original "peer"), script and label.
PEERS = {
    "opacus": {"key": "peer", "script": "opacus_fedavg.py", "label": "PyTorch + Opacus"},
    "flower": {"key": "flower", "script": "flower_fedavg.py", "label": "Flower + Opacus"},
}


def run_measured(cmd, env=None, stdout=subprocess.DEVNULL, tmp="/tmp"):
    """Runs cmd under GNU time; returns (wall seconds, peak RSS MiB of cmd, stdout text or None).

    GNU time (a small process) forks cmd and reports cmd's own peak RSS. Measuring with wait4 from
    this process would not do: Linux carries the forking process's peak RSS across exec, so a child
    of this Python process (NumPy, h5py, later torch) would report at least the parent's peak."""
    if not os.path.exists("/usr/bin/time"):  # e.g. a GPU machine's image: wall time, no RSS
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=env, stdout=stdout)
        if p.returncode != 0:
            sys.exit(f"compare: {' '.join(cmd)} exited {p.returncode}")
        return (time.perf_counter() - t0, float("nan"),
                p.stdout.decode() if stdout == subprocess.PIPE else None)
    fd, tfile = tempfile.mkstemp(dir=tmp)
    os.close(fd)
    p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tfile, *cmd], env=env,
                       stdout=stdout if stdout != subprocess.PIPE else subprocess.PIPE)
    if p.returncode != 0:
        sys.exit(f"compare: {' '.join(cmd)} exited {p.returncode}")
    wall, rss_kb = open(tfile).read().split()[-2:]
    os.unlink(tfile)
    return float(wall), int(rss_kb) / 1024.0, (p.stdout.decode() if stdout == subprocess.PIPE else None)


def fedsim_epsilon(fedsim, q, sigma, steps, delta):
    r = subprocess.run([fedsim, "privacy", "--sampling-rate", repr(q), "--noise-multiplier",
                        repr(sigma), "--steps", str(steps), "--delta", repr(delta), "--json"],
                       check=True, capture_output=True, text=True)
    return json.loads(r.stdout)["epsilon_rdp"]


def read_fedsim(path, fedsim):
    with h5py.File(path, "r") as f:
        sc = tomllib.loads(f["/scenario/resolved"][()].decode())
        pv = dict(f["/privacy"].attrs)
        res = {
            "status": f.attrs["status"].decode() if isinstance(f.attrs["status"], bytes) else str(f.attrs["status"]),
            "device": str(f.attrs["device"]),
            "git_commit": str(f.attrs["git_commit"]),
            "internal_wall_time_s": float(f.attrs["wall_time_s"]),
            "final_accuracy": float(f["/eval/accuracy"][-1]),
            "epsilon": float(f["/rounds/epsilon_rdp"][-1]),
            "epsilon_pld": float(f["/rounds/epsilon_pld"][-1]),
            "noise_multiplier": float(pv["noise_multiplier"]),
            "sample_rate": float(pv["sample_rate"]),
            "steps_per_round": int(pv["steps_per_round"]),
            "delta": float(pv["delta"]),
            "clip": float(pv["clip"]),
        }
    # The most-sampled client's step count is not in the file: the number of participations r
    # whose epsilon (same accountant, `fedsim privacy`) is the recorded one. Epsilon grows with r.
    lo, hi = 1, sc["run"]["rounds"]
    while lo < hi:
        mid = (lo + hi) // 2
        e = fedsim_epsilon(fedsim, res["sample_rate"], res["noise_multiplier"],
                           mid * res["steps_per_round"], res["delta"])
        if e < res["epsilon"] * (1 - 1e-9):
            lo = mid + 1
        else:
            hi = mid
    res["max_steps"] = lo * res["steps_per_round"]
    return sc, res


def check_supported(sc, res):
    problems = []
    if sc["privacy"]["mode"] != "sample":
        problems.append("privacy.mode must be \"sample\"")
    if sc["server"]["optimizer"] != "fedavg" or sc["server"]["sampling_rate"] != 0:
        problems.append("server.optimizer = \"fedavg\" with clients_per_round (no Poisson client sampling)")
    c = sc["client"]
    if c["momentum"] != 0 or c["weight_decay"] != 0 or c["prox_mu"] != 0:
        problems.append("client.momentum, weight_decay and prox_mu must be 0 (plain SGD)")
    if sc["secagg"]["mode"] != "off":
        problems.append("secagg.mode must be \"off\"")
    m = round(1 / res["sample_rate"])
    if abs(m * res["sample_rate"] - 1) > 1e-9:
        problems.append(f"the record rate q = {res['sample_rate']} must be 1/m for an integer m "
                        "(Opacus' make_private takes q = 1/len(loader)): set privacy.sample_rate")
    if problems:
        sys.exit("compare: the peer does not implement this scenario: " + "; ".join(problems))


def peer_memory(p):
    """A peer's peak memory for the table: GNU time's peak RSS of its process, or, for a peer that
    runs its clients in other processes (Flower's Ray workers), its own sum over the process tree."""
    return p.get("process_tree_peak_rss_mib", p["process_peak_rss_mib"])


def print_table(runs, seeds_text):
    """The summary table (means over seeds; rounds/s = all rounds / all wall time). Returns rows.

    With the Opacus peer alone, the table is the original one (columns "peer", "ratio (...)");
    with several peers, each has its column and its ratios ("ratio (...) / Flower + Opacus")."""
    def mean(xs):
        return statistics.fmean(xs)

    cols = {v: [r["fedsim"][v] for r in runs] for v in runs[0]["fedsim"]}
    names = [n for n, d in PEERS.items() if d["key"] in runs[0]]
    peers = {n: [r[PEERS[n]["key"]] for r in runs] for n in names}
    single = len(names) == 1
    table = []

    def add(name, f_get, p_get, fmt, ratio):
        vals = {v: f_get(xs) for v, xs in cols.items()}
        pvs = {n: p_get(ps) for n, ps in peers.items()}
        row, rat = {"metric": name, **{f"fedsim ({v})": x for v, x in vals.items()}}, []
        cells = [fmt.format(x) for x in vals.values()] + [fmt.format(pv) for pv in pvs.values()]
        row.update({PEERS[n]["key"]: pv for n, pv in pvs.items()})
        for n, pv in pvs.items():
            if ratio:
                row.update({f"ratio fedsim ({v}) / {PEERS[n]['key']}": x / pv for v, x in vals.items()})
            rat += [f"{x / pv:.3g}" if ratio else "" for x in vals.values()]
        table.append(row)
        print(f"| {name} | " + " | ".join(cells + rat) + " |")

    def field(k):
        return lambda xs: mean([x[k] for x in xs])

    rounds = sum(p["rounds"] for p in peers[names[0]])
    print(f"\n{len(runs)} seed(s): {seeds_text}; means over seeds (rounds / s: all rounds over all "
          "wall time); ratios: fedsim / peer\n")
    print("| metric | " + " | ".join(f"fedsim ({v})" for v in cols) + " | "
          + " | ".join(f"peer ({PEERS[n]['label']})" for n in names) + " | "
          + " | ".join(f"ratio ({v})" + ("" if single else f" / {PEERS[n]['label']}")
                       for n in names for v in cols) + " |")
    print("|---|" + "---|" * (len(cols) * (len(names) + 1) + len(names)))
    add("wall time (s)", field("wall_time_s"), field("process_wall_time_s"), "{:.2f}", True)
    add("rounds / s", lambda xs: rounds / sum(x["wall_time_s"] for x in xs),
        lambda ps: rounds / sum(p["process_wall_time_s"] for p in ps), "{:.3f}", True)
    add("peak RSS (MiB)", field("peak_rss_mib"), lambda ps: mean([peer_memory(p) for p in ps]),
        "{:.0f}", True)
    add("final test accuracy", field("final_accuracy"), field("final_accuracy"), "{:.4f}", True)
    add("epsilon (RDP, own most-sampled client)", field("epsilon"), field("epsilon"), "{:.4f}", True)
    add("steps of the most-sampled client", field("max_steps"), field("max_steps"), "{:.1f}", False)
    print()
    for r in runs:
        f0 = r["fedsim"]["default threads"]
        for n in names:
            p, who = r[PEERS[n]["key"]], ("peer" if n == "opacus" else f"{n} peer")
            print(f"seed {r['seed']}: wall fedsim {f0['wall_time_s']:.2f} / "
                  f"{r['fedsim']['OMP_NUM_THREADS=1']['wall_time_s']:.2f} s, {who} "
                  f"{p['process_wall_time_s']:.1f} s; accuracy fedsim {f0['final_accuracy']:.4f}, {who} "
                  f"{p['final_accuracy']:.4f}; epsilon fedsim {f0['epsilon']:.4f} ({f0['max_steps']} steps; "
                  f"Opacus on those steps {p['epsilon_opacus_at_fedsim_max_steps']:.4f}), {who} "
                  f"{p['epsilon']:.4f} ({p['max_steps']} steps; fedsim on those steps "
                  f"{p['epsilon_fedsim_rdp_at_peer_max_steps']:.4f})")
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fedsim")
    ap.add_argument("--scenario")
    ap.add_argument("--work")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--peer-threads", type=int, default=0)
    ap.add_argument("--peer-device", default="cpu", help="the peer's torch device (cuda on a GPU)")
    ap.add_argument("--peers", default="opacus",
                    help="comma-separated peers to run: " + ", ".join(PEERS) + " (default: opacus)")
    ap.add_argument("--flower-python", default=os.path.join(HERE, ".venv-flower", "bin", "python"),
                    help="the Python with Flower's simulation (bench/peers/setup-flower.sh)")
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument("--table-only", action="store_true",
                    help="reprint the table of the JSON file --out (and rewrite its table)")
    a = ap.parse_args()
    if a.table_only:
        with open(a.out) as f:
            result = json.load(f)
        result["table"] = print_table(result["runs"], " ".join(map(str, result["seeds"])))
        with open(a.out, "w") as f:
            json.dump(result, f, indent=1)
        return
    names = [n.strip() for n in a.peers.split(",") if n.strip()]
    if not names or any(n not in PEERS for n in names):
        sys.exit(f"compare: --peers {a.peers!r}: choose from {', '.join(PEERS)}")
    names = [n for n in PEERS if n in names]  # the table's order
    python = {"opacus": sys.executable, "flower": a.flower_python}
    if "flower" in names and not os.access(a.flower_python, os.X_OK):
        sys.exit(f"compare: --peers flower: no Flower Python at {a.flower_python} "
                 "(run bench/peers/setup-flower.sh, or set --flower-python)")
    sets = [x for s in a.sets for x in ("--set", s)]
    seeds = [int(s) for s in a.seeds.split()]
    load_before = os.getloadavg()
    runs = []
    for seed in seeds:
        seed_set = sets + ["--set", f"run.seed={seed}"]
        fed = os.path.join(a.work, f"fed-{seed}.h5")
        subprocess.run([a.fedsim, "data", a.scenario, *seed_set, "-o", fed, "--force"],
                       check=True, stdout=subprocess.DEVNULL)
        row = {"seed": seed, "fedsim": {}}
        for variant, env_add in (("default threads", {}), ("OMP_NUM_THREADS=1", {"OMP_NUM_THREADS": "1"})):
            out = os.path.join(a.work, f"run-{seed}-{len(row['fedsim'])}.h5")
            wall, rss, _ = run_measured([a.fedsim, "run", a.scenario, *seed_set, "--output", out,
                                         "--force", "--quiet"], env={**os.environ, **env_add},
                                        tmp=a.work)
            sc, res = read_fedsim(out, a.fedsim)
            check_supported(sc, res)
            res.update(wall_time_s=wall, peak_rss_mib=rss, rounds_per_s=sc["run"]["rounds"] / wall,
                       threads=variant)
            row["fedsim"][variant] = res
            print(f"seed {seed}  fedsim ({variant}): {wall:.2f} s, accuracy {res['final_accuracy']:.4f}, "
                  f"epsilon {res['epsilon']:.4f}", file=sys.stderr, flush=True)
        with h5py.File(fed, "r") as f:  # the federation is the one fedsim trained on
            sizes = np.diff(f["/train/client_offsets"][...])
        with h5py.File(out, "r") as f:
            assert np.array_equal(sizes, f["/clients/num_samples"][...]), "federation mismatch"
        c, s, m = sc["client"], sc["server"], sc["model"]
        hidden = ",".join(str(h) for h in m["hidden"]) if m["kind"] == "mlp" else ""
        peer_args = [
            fed, "--rounds", str(sc["run"]["rounds"]), "--clients-per-round", str(s["clients_per_round"]),
            "--local-epochs", str(c["local_epochs"]), "--local-steps", str(c["local_steps"]),
            "--sample-rate", repr(res["sample_rate"]), "--lr", repr(c["lr"]),
            "--clip", repr(res["clip"]), "--noise-multiplier", repr(res["noise_multiplier"]),
            "--delta", repr(res["delta"]), "--hidden", hidden, "--weighting", s["weighting"],
            "--server-lr", repr(s["lr"]), "--eval-every", str(sc["run"]["eval_every"]),
            "--seed", str(seed), "--threads", str(a.peer_threads), "--device", a.peer_device]
        for name in names:
            cmd = [python[name], os.path.join(HERE, PEERS[name]["script"]), *peer_args]
            wall, rss, text = run_measured(cmd, stdout=subprocess.PIPE, tmp=a.work)
            peer = json.loads(text.strip().splitlines()[-1])  # its one JSON line comes last
            if peer["steps_per_round"] != res["steps_per_round"]:
                sys.exit(f"compare: {name} peer and fedsim disagree on steps per round")
            peer.update(process_wall_time_s=wall, process_peak_rss_mib=rss,
                        process_rounds_per_s=sc["run"]["rounds"] / wall,
                        command=" ".join(cmd[1:]))
            if name == "flower":  # clients in Ray's worker processes: the whole tree's memory
                peer["process_tree_peak_rss_mib"] = peer["peak_rss_mib"]
            # Both accountants on both step counts (each side's most-sampled client differs).
            peer["epsilon_fedsim_rdp_at_peer_max_steps"] = fedsim_epsilon(
                a.fedsim, res["sample_rate"], res["noise_multiplier"], peer["max_steps"], res["delta"])
            from opacus.accountants import RDPAccountant
            acct = RDPAccountant()
            acct.history = [(res["noise_multiplier"], res["sample_rate"], row["fedsim"]["default threads"]["max_steps"])]
            peer["epsilon_opacus_at_fedsim_max_steps"] = acct.get_epsilon(delta=res["delta"])
            row[PEERS[name]["key"]] = peer
            who = "peer" if name == "opacus" else f"{name} peer"
            print(f"seed {seed}  {who}: {wall:.1f} s, accuracy {peer['final_accuracy']:.4f}, "
                  f"epsilon {peer['epsilon']:.4f}", file=sys.stderr, flush=True)
        runs.append(row)

    table = print_table(runs, a.seeds)

    result = {
        "kind": "peers-" + a.peer_device,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": {"cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                              if l.startswith("model name")), platform.processor()),
                 "cores": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "scenario": a.scenario, "overrides": a.sets, "seeds": seeds, "peers": names,
        "fedsim_binary": a.fedsim, "table": table, "runs": runs,
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
