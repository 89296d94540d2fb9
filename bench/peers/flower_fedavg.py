#!/usr/bin/env python3
"""FedAvg with sample-level DP-SGD, written the way a Flower user writes it: Flower's simulation.

The second peer of fedsim's `privacy.mode = "sample"` (docs/peers.md), the same task as
opacus_fedavg.py, whose functions it imports (federation loading, model, the per-client Opacus
make_private + local steps with the expected_batch_size fix, evaluation, epsilon):

  * a `NumPyClient` per client: `fit` loads the global weights into the model, runs the client's
    local DP-SGD with Opacus (opacus_fedavg.train_client) and returns the new weights, the client's
    sample count and its train loss;
  * the server strategy `FedAvg` (weighted by the returned sample counts, i.e. server lr 1),
    `fraction_fit` so that exactly `clients_per_round` clients are sampled each round, no
    evaluation clients, centralised evaluation on the test split through `evaluate_fn`;
  * `flwr.simulation.start_simulation`: Ray runs the clients in worker processes ("actors"), one
    per CPU (`client_resources = {"num_cpus": 1}`); each round the weights travel to and from the
    workers as serialised NumPy arrays.

Memory: the clients run in Ray's worker processes and Ray adds its own (GCS server, raylet, ...),
so the peak RSS of this process alone says little. A thread samples the whole process tree every
0.5 s; `peak_rss_mib` is the largest sum of the tree's RSS (also reported: the sum of PSS, which
counts shared pages once, and the sum of each process's own high-water mark, an upper bound).

Same command line and the same one-line JSON on stdout as opacus_fedavg.py (progress on stderr).
"""
import os
import sys

# Before flwr and ray are imported: no usage reports (this machine reaches no such host anyway).
os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Ray starts its workers at nice 15; on a shared machine they would then lose the CPU to every other
# process, while fedsim and the Opacus peer run at nice 0. Same priority for all.
os.environ.setdefault("RAY_worker_niceness", "0")
HERE = os.path.dirname(os.path.abspath(__file__))
# Ray's workers unpickle the client code by module name (opacus_fedavg, flower_fedavg): they find
# this directory through PYTHONPATH, which they inherit from the Ray processes this one starts.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (HERE, os.environ.get("PYTHONPATH")) if p)

import functools
import json
import logging
import random
import resource
import threading
import time
import warnings

import numpy as np
import torch

try:
    import flwr
    import ray
    from flwr.client import NumPyClient
    from flwr.common import ndarrays_to_parameters
    from flwr.server import ServerConfig, SimpleClientManager
    from flwr.server.strategy import FedAvg
    from flwr.simulation import start_simulation
except ImportError as e:
    sys.exit(f"flower_fedavg: Flower's simulation is not installed for {sys.executable} ({e}). "
             "Run bench/peers/setup-flower.sh and use bench/peers/.venv-flower/bin/python.")

from opacus_fedavg import (epsilons, evaluate, load_federation, make_model, parse_args,
                           result_record, steps_per_round, train_client)

warnings.filterwarnings("ignore")  # Opacus warns once per client about secure_mode / RNG
# Opacus configures the root logger (basicConfig), so Flower's log lines, which also go to its own
# handler, would each print twice.
logging.getLogger("flwr").propagate = False


def get_weights(model):
    return [p.detach().cpu().numpy() for p in model.parameters()]


def set_weights(model, weights):
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))


@functools.lru_cache(maxsize=1)
def worker_federation(path):
    """The federation, loaded once per Ray worker process and kept across clients and rounds (a
    Flower user loading it in every fit would spend ~10 ms of h5py per client)."""
    return load_federation(path)


class DPClient(NumPyClient):
    """One client: its slice of the federation and Opacus DP-SGD, as opacus_fedavg.py runs it."""

    def __init__(self, partition, args, steps):
        self.partition, self.args, self.steps = partition, args, steps

    def fit(self, parameters, config):
        """The global weights in, the client's weights after its local DP-SGD steps out."""
        args, k = self.args, self.partition
        if args.threads > 0:
            torch.set_num_threads(args.threads)
        # A seed per (run seed, round, client): every worker process starts from torch's same
        # default seed, so without it two workers' clients would draw the same DP noise.
        torch.manual_seed(int(np.random.SeedSequence([args.seed, config["round"], k]).generate_state(1)[0]))
        fed = worker_federation(args.federation)
        lo, hi = int(fed["offsets"][k]), int(fed["offsets"][k + 1])
        hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
        model = make_model(fed["d"], hidden, fed["classes"], "torch")
        set_weights(model, parameters)
        delta, loss_sum, seen = train_client(model, fed["train_x"][lo:hi], fed["train_y"][lo:hi],
                                             args, self.steps)
        with torch.no_grad():
            new = [(p + dl).numpy() for p, dl in zip(model.parameters(), delta)]
        weight = hi - lo if args.weighting == "samples" else 1  # FedAvg weights by this count
        return new, weight, {"partition": k, "loss_sum": loss_sum, "seen": seen}


def make_client_fn(args, steps):
    """Flower's client factory, `client_fn(context)` (called in a Ray worker for each sampled client):
    the client of the virtual node's partition, i.e. fedsim's client of that index."""
    def client_fn(context):
        return DPClient(int(context.node_config["partition-id"]), args, steps).to_client()
    return client_fn


def mean_train_loss(metrics):
    """fit_metrics_aggregation_fn: the round's mean train loss over the cohort's sampled records."""
    seen = sum(m["seen"] for _, m in metrics)
    return {"train_loss": sum(m["loss_sum"] for _, m in metrics) / max(seen, 1)}


class RecordingFedAvg(FedAvg):
    """Flower's FedAvg that also counts each client's participations, keeps the round's train loss,
    times the rounds (sampling to aggregation), aggregates in client order, and stops the run on
    any failed client (FedAvg would otherwise aggregate the others silently)."""

    def __init__(self, num_clients, **kw):
        super().__init__(fit_metrics_aggregation_fn=mean_train_loss, **kw)
        self.participations = np.zeros(num_clients, dtype=np.int64)
        self.round_times, self.train_loss, self._t0 = [], float("nan"), 0.0

    def configure_fit(self, server_round, parameters, client_manager):
        self._t0 = time.perf_counter()
        return super().configure_fit(server_round, parameters, client_manager)

    def aggregate_fit(self, server_round, results, failures):
        if failures:
            raise RuntimeError(f"round {server_round}: {len(failures)} client(s) failed: {failures[0]!r}")
        for _, res in results:
            self.participations[res.metrics["partition"]] += 1
        # Results come in the order the workers finished; sorted, the float sums (and so the run)
        # are reproducible.
        results = sorted(results, key=lambda r: r[1].metrics["partition"])
        parameters, metrics = super().aggregate_fit(server_round, results, failures)
        self.train_loss = metrics["train_loss"]
        self.round_times.append(time.perf_counter() - self._t0)
        return parameters, metrics


class SeededClientManager(SimpleClientManager):
    """Flower's client manager, sampling each round's cohort with its own seeded RNG. Flower's own
    draws from Python's global `random`, which other code in this process draws from too: seeding
    that, the cohorts still changed from run to run."""

    def __init__(self, seed):
        super().__init__()
        self.rng = random.Random(seed)

    def sample(self, num_clients, min_num_clients=None, criterion=None):
        self.wait_for(num_clients if min_num_clients is None else min_num_clients)
        cids = [c for c in self.clients if criterion is None or criterion.select(self.clients[c])]
        if num_clients > len(cids):
            raise RuntimeError(f"cannot sample {num_clients} of {len(cids)} clients")
        return [self.clients[c] for c in self.rng.sample(cids, num_clients)]


class TreeMemory(threading.Thread):
    """Samples the memory of this process and all its descendants (Ray's processes and workers)
    from /proc every `period` seconds, until stop()."""

    def __init__(self, period=0.5):
        super().__init__(daemon=True)
        self.period, self._stop_event = period, threading.Event()
        self.peak_rss_kb = self.peak_pss_kb = self.max_procs = 0
        self.hwm_kb = {}  # pid -> its own peak RSS (VmHWM), last seen

    @staticmethod
    def _tree(root):
        children = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(name))
        tree, todo = [], [root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += children.get(pid, [])
        return tree

    @staticmethod
    def _fields(path, keys):
        out = {}
        try:
            with open(path) as f:
                for line in f:
                    k = line.split(":", 1)[0]
                    if k in keys:
                        out[k] = int(line.split()[1])  # kB
        except OSError:
            pass
        return out

    def sample(self):
        rss = pss = 0
        tree = self._tree(os.getpid())
        for pid in tree:
            st = self._fields(f"/proc/{pid}/status", ("VmRSS", "VmHWM"))
            rss += st.get("VmRSS", 0)
            if "VmHWM" in st:
                self.hwm_kb[pid] = st["VmHWM"]
            pss += self._fields(f"/proc/{pid}/smaps_rollup", ("Pss",)).get("Pss", 0)
        self.peak_rss_kb, self.peak_pss_kb = max(self.peak_rss_kb, rss), max(self.peak_pss_kb, pss)
        self.max_procs = max(self.max_procs, len(tree))

    def run(self):
        while not self._stop_event.wait(self.period):
            self.sample()

    def stop(self):
        self._stop_event.set()
        self.join()
        self.sample()


def main():
    args = parse_args(__doc__.split("\n")[0])
    t_start = time.perf_counter()
    memory = TreeMemory()
    memory.start()
    if not args.device.startswith("cpu"):
        sys.exit("flower_fedavg: --device: only cpu is implemented for the Flower peer")
    if args.server_lr != 1.0:
        sys.exit("flower_fedavg: --server-lr: Flower's FedAvg applies the average as is (server lr 1)")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    steps = steps_per_round(args)
    fed = load_federation(args.federation)  # the driver evaluates on the test split
    num_clients = len(fed["offsets"]) - 1
    hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    global_model = make_model(fed["d"], hidden, fed["classes"], args.init)
    num_params = sum(p.numel() for p in global_model.parameters())
    K = min(args.clients_per_round, num_clients)

    evals, t_train = [], None

    def evaluate_fn(server_round, weights, config):
        """Centralised evaluation of the global model every eval_every rounds and at the end."""
        if server_round == 0 or (server_round % args.eval_every and server_round != args.rounds):
            return None
        set_weights(global_model, weights)
        acc, loss = evaluate(global_model, fed["test_x"], fed["test_y"])
        evals.append({"round": server_round, "accuracy": acc, "loss": loss})
        print(f"round {server_round}/{args.rounds}  train loss {strategy.train_loss:.4f}  "
              f"test accuracy {acc:.4f}  ({time.perf_counter() - t_train:.1f} s)",
              file=sys.stderr, flush=True)
        return loss, {"accuracy": acc}

    strategy = RecordingFedAvg(
        num_clients,
        fraction_fit=K / num_clients, min_fit_clients=K,  # max(int(N K/N), K) = K per round
        min_available_clients=num_clients,
        fraction_evaluate=0.0, min_evaluate_clients=0,  # no federated evaluation
        initial_parameters=ndarrays_to_parameters(get_weights(global_model)),
        on_fit_config_fn=lambda server_round: {"round": server_round},
        evaluate_fn=evaluate_fn,
    )
    t_train = time.perf_counter()
    start_simulation(
        client_fn=make_client_fn(args, steps),
        num_clients=num_clients,
        config=ServerConfig(num_rounds=args.rounds),
        strategy=strategy,
        client_manager=SeededClientManager(args.seed),
        client_resources={"num_cpus": 1, "num_gpus": 0.0},
        # Flower's defaults, plus Ray's node on the loopback address (it takes the host's own IP
        # otherwise): all of Ray's traffic stays on 127.0.0.1.
        ray_init_args={"ignore_reinit_error": True, "include_dashboard": False,
                       "_node_ip_address": "127.0.0.1"},
    )
    train_s = time.perf_counter() - t_train
    actors = int(ray.cluster_resources().get("CPU", 0))  # one actor per CPU (num_cpus = 1 each)
    if len(strategy.round_times) != args.rounds or not evals or evals[-1]["round"] != args.rounds:
        sys.exit(f"flower_fedavg: the simulation ran {len(strategy.round_times)} of {args.rounds} rounds")
    ray.shutdown()
    memory.stop()

    max_steps = int(strategy.participations.max()) * steps
    eps, eps_all = epsilons(args, max_steps, args.rounds, steps)
    wall_s = time.perf_counter() - t_start
    mib = 1.0 / 1024.0
    out = result_record(args, "flower simulation (ray) + opacus", num_clients, num_params, K, steps,
                        wall_s, train_s, strategy.round_times, evals, strategy.participations, eps,
                        eps_all)
    out.update({
        "flwr": flwr.__version__,
        "ray": ray.__version__,
        "ray_actors": actors,
        "peak_rss_mib": memory.peak_rss_kb * mib,
        "peak_rss_how": "largest sum of VmRSS over this process and its descendants (Ray's "
                        "processes and workers), sampled every 0.5 s",
        "peak_pss_mib": memory.peak_pss_kb * mib,
        "sum_own_peak_rss_mib": sum(memory.hwm_kb.values()) * mib,
        "driver_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "max_processes": memory.max_procs,
    })
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    # Run as the module `flower_fedavg`, not `__main__`, so that Ray pickles the client code by
    # reference and each worker imports this file once (its federation cache then lasts).
    sys.path.insert(0, HERE)
    import flower_fedavg
    flower_fedavg.main()
