#!/usr/bin/env python3
"""FedAvg with sample-level DP-SGD, written the way a researcher writes it with PyTorch + Opacus.

The peer of fedsim's `privacy.mode = "sample"` (see docs/peers.md). It reads a federation written by
`fedsim data SCENARIO -o fed.h5` (docs/results-format.md, "Federation files") and, every round:

  * samples `clients_per_round` clients without replacement (NumPy, its own seed);
  * for each sampled client, in a Python loop: a deep copy of the global model, a fresh SGD
    optimizer, a fresh Opacus PrivacyEngine and `make_private(poisson_sampling=True)` over that
    client's DataLoader (noise multiplier sigma, max_grad_norm C), `steps` local DP-SGD steps, then
    the client's delta (local - global parameters);
  * averages the deltas, weighted by client sample counts (`--weighting samples`, fedsim's default)
    or uniformly, and applies them with the server learning rate (plain FedAvg).

Alignment with fedsim (each is a deliberate choice, explained in docs/peers.md):
  * Opacus' make_private derives the Poisson rate from the loader, q = 1 / len(loader). Each
    client's loader is Opacus' own DPDataLoader at the scenario's rate q, whose length is int(1/q),
    so q must be 1/m for an integer m (the script refuses other rates).
  * Opacus normalises the noisy sum by expected_batch_size = int(n_k * q); fedsim by q * n_k. The
    truncation is 0 for a client with fewer than 1/q records (a division by zero), so the optimizer's
    expected_batch_size is set to the float q * n_k after make_private, as fedsim does.
  * epsilon: the per-record epsilon of the client that ran the most local steps (a record's client
    runs `steps` Poisson-subsampled Gaussian steps per participation; no amplification by client
    sampling), composed by Opacus' RDP accountant at `--delta`.

Prints one JSON object on stdout (progress on stderr).
"""
import argparse
import copy
import json
import math
import os
import resource
import sys
import time
import warnings

import h5py
import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from opacus import PrivacyEngine
from opacus.accountants import RDPAccountant
from opacus.data_loader import DPDataLoader


def parse_args(description=__doc__.split("\n")[0]):
    """The command line, shared with flower_fedavg.py (the same arguments for both peers)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("federation", help="HDF5 file written by `fedsim data`")
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--clients-per-round", type=int, required=True)
    p.add_argument("--local-epochs", type=int, default=1)
    p.add_argument("--local-steps", type=int, default=0,
                   help="> 0: exactly this many steps per client and round (as client.local_steps)")
    p.add_argument("--sample-rate", type=float, required=True, help="Poisson rate q per local step")
    p.add_argument("--lr", type=float, required=True, help="client SGD learning rate")
    p.add_argument("--clip", type=float, required=True, help="per-sample clip C (max_grad_norm)")
    p.add_argument("--noise-multiplier", type=float, required=True, help="sigma")
    p.add_argument("--delta", type=float, required=True)
    p.add_argument("--hidden", default="128,128", help="hidden widths, comma-separated; '' = logreg")
    p.add_argument("--weighting", choices=["samples", "uniform"], default="samples")
    p.add_argument("--server-lr", type=float, default=1.0)
    p.add_argument("--eval-every", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0,
                   help="torch intra-op threads; 0: torch's default (1 for Debian's python3-torch)")
    p.add_argument("--device", default="cpu",
                   help="torch device: cpu (default) or cuda (the peer on the same GPU as fedsim)")
    p.add_argument("--init", choices=["fedsim", "torch"], default="fedsim",
                   help="fedsim: He-uniform weights (sqrt(6/fan_in), sqrt(3/fan_in) for the output "
                        "layer) and zero biases, as sim/model/model_layout.cpp; torch: nn.Linear's own")
    return p.parse_args()


def make_model(d, hidden, classes, init):
    """fedsim's MLP: dense layers with ReLU between them, softmax cross-entropy on top (the softmax
    is inside nn.CrossEntropyLoss). No hidden layer = logistic regression."""
    layers, width = [], d
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, classes))
    if init == "fedsim":  # same distribution as fedsim's init (not the same draws)
        dense = [l for l in layers if isinstance(l, nn.Linear)]
        with torch.no_grad():
            for i, l in enumerate(dense):
                a = math.sqrt((6.0 if i + 1 < len(dense) else 3.0) / l.in_features)
                l.weight.uniform_(-a, a)
                l.bias.zero_()
    return nn.Sequential(*layers)


@torch.no_grad()
def evaluate(model, x, y):
    model.eval()
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y).item()
    acc = (logits.argmax(1) == y).double().mean().item()
    return acc, loss


def steps_per_round(args):
    """Local DP-SGD steps per client and round; exits unless q = 1/m (see the module docstring)."""
    m = round(1.0 / args.sample_rate)
    if abs(m * args.sample_rate - 1.0) > 1e-9:
        sys.exit(f"--sample-rate {args.sample_rate}: Opacus' make_private takes q = 1/len(loader), "
                 "so q must be 1/m for an integer m")
    return args.local_steps if args.local_steps > 0 else args.local_epochs * math.ceil(1 / args.sample_rate)


def load_federation(path, device="cpu"):
    """The federation written by `fedsim data`: a dict with classes, d, train_x, train_y, offsets
    (client k owns train rows offsets[k]:offsets[k+1]), test_x and test_y; tensors on `device`."""
    with h5py.File(path, "r") as f:
        if f.attrs["kind"] != "federation":
            sys.exit(f"{path}: not a federation file")
        fed = {
            "classes": int(f.attrs["classes"]), "d": int(f.attrs["d"]),
            "train_x": torch.from_numpy(f["/train/x"][...]),
            "train_y": torch.from_numpy(f["/train/y"][...].astype(np.int64)),
            "offsets": f["/train/client_offsets"][...],
            "test_x": torch.from_numpy(f["/test/x"][...]),
            "test_y": torch.from_numpy(f["/test/y"][...].astype(np.int64)),
        }
    dev = torch.device(device)  # the data resident on the device, as fedsim keeps it
    for k in ("train_x", "train_y", "test_x", "test_y"):
        fed[k] = fed[k].to(dev)
    return fed


def epsilons(args, max_steps, rounds, steps):
    """Per-record epsilon by Opacus' RDP accountant: (the client that ran max_steps steps, a client
    sampled in every round, which is what fedsim calibrates sigma for)."""
    acct = RDPAccountant()
    acct.history = [(args.noise_multiplier, args.sample_rate, max_steps)]
    acct_all = RDPAccountant()
    acct_all.history = [(args.noise_multiplier, args.sample_rate, rounds * steps)]
    return acct.get_epsilon(delta=args.delta), acct_all.get_epsilon(delta=args.delta)


def train_client(global_model, x, y, args, steps):
    """One client's local DP-SGD, the textbook Opacus way. Returns (delta, mean loss)."""
    n = len(y)
    model = copy.deepcopy(global_model)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loader = DPDataLoader(TensorDataset(x, y), sample_rate=args.sample_rate)
    engine = PrivacyEngine(accountant="rdp")
    model, optimizer, loader = engine.make_private(
        module=model, optimizer=optimizer, data_loader=loader,
        noise_multiplier=args.noise_multiplier, max_grad_norm=args.clip, poisson_sampling=True)
    assert abs(1.0 / len(loader) - args.sample_rate) < 1e-12  # the rate Opacus derived
    optimizer.expected_batch_size = args.sample_rate * n  # fedsim's q n_k (Opacus: int(q n_k))
    criterion = nn.CrossEntropyLoss()
    done, loss_sum, seen = 0, 0.0, 0
    while done < steps:
        for xb, yb in loader:
            optimizer.zero_grad()
            out = model(xb)
            loss = criterion(out, yb)
            loss.backward()
            optimizer.step()
            if len(yb):
                loss_sum += loss.item() * len(yb)
                seen += len(yb)
            done += 1
            if done == steps:
                break
    with torch.no_grad():
        delta = [pl.detach() - pg for pl, pg in zip(model._module.parameters(),
                                                     global_model.parameters())]
    return delta, loss_sum, seen


def result_record(args, peer, num_clients, num_params, K, steps, wall_s, train_s, round_times,
                  evals, participations, eps, eps_all):
    """The one-line JSON both peers print (flower_fedavg.py adds its own keys)."""
    return {
        "peer": peer,
        "torch": torch.__version__,
        "opacus": __import__("opacus").__version__,
        "threads": torch.get_num_threads(),
        "init": args.init,
        "seed": args.seed,
        "clients": num_clients,
        "model_params": num_params,
        "rounds": args.rounds,
        "clients_per_round": K,
        "steps_per_round": steps,
        "sample_rate": args.sample_rate,
        "noise_multiplier": args.noise_multiplier,
        "clip": args.clip,
        "delta": args.delta,
        "wall_time_s": wall_s,
        "train_time_s": train_s,
        "rounds_per_s": args.rounds / wall_s,
        "train_rounds_per_s": args.rounds / train_s,
        "median_round_s": float(np.median(round_times)),
        "final_accuracy": evals[-1]["accuracy"],
        "final_loss": evals[-1]["loss"],
        "epsilon": eps,
        "epsilon_accountant": "opacus rdp (DEFAULT_ALPHAS)",
        "max_participations": int(participations.max()),
        "max_steps": int(participations.max()) * steps,
        "epsilon_every_round": eps_all,
        "eval": evals,
    }


def main():
    args = parse_args()
    t_start = time.perf_counter()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    warnings.filterwarnings("ignore")  # Opacus warns once per client about secure_mode / RNG
    steps = steps_per_round(args)

    fed = load_federation(args.federation, args.device)
    classes, d, offsets = fed["classes"], fed["d"], fed["offsets"]
    train_x, train_y, test_x, test_y = (fed[k] for k in ("train_x", "train_y", "test_x", "test_y"))
    dev = torch.device(args.device)
    num_clients = len(offsets) - 1
    sizes = np.diff(offsets)
    hidden = [int(h) for h in args.hidden.split(",") if h.strip()]

    global_model = make_model(d, hidden, classes, args.init).to(dev)
    num_params = sum(p.numel() for p in global_model.parameters())
    participations = np.zeros(num_clients, dtype=np.int64)
    evals, round_times = [], []
    K = min(args.clients_per_round, num_clients)
    t_train = time.perf_counter()
    for r in range(1, args.rounds + 1):
        t0 = time.perf_counter()
        cohort = rng.choice(num_clients, size=K, replace=False)
        total = sizes[cohort].sum() if args.weighting == "samples" else K
        agg = [torch.zeros_like(p) for p in global_model.parameters()]
        loss_sum, seen = 0.0, 0
        for c in cohort:
            lo, hi = int(offsets[c]), int(offsets[c + 1])
            delta, ls, s = train_client(global_model, train_x[lo:hi], train_y[lo:hi], args, steps)
            w = (sizes[c] if args.weighting == "samples" else 1.0) / total
            for a, dl in zip(agg, delta):
                a.add_(dl, alpha=float(w))
            loss_sum, seen = loss_sum + ls, seen + s
            participations[c] += 1
        with torch.no_grad():
            for p, a in zip(global_model.parameters(), agg):
                p.add_(a, alpha=args.server_lr)
        round_times.append(time.perf_counter() - t0)
        if r % args.eval_every == 0 or r == args.rounds:
            acc, loss = evaluate(global_model, test_x, test_y)
            evals.append({"round": r, "accuracy": acc, "loss": loss})
            print(f"round {r}/{args.rounds}  train loss {loss_sum / max(seen, 1):.4f}  "
                  f"test accuracy {acc:.4f}  ({time.perf_counter() - t_train:.1f} s)",
                  file=sys.stderr, flush=True)
    train_s = time.perf_counter() - t_train

    # Per-record epsilon, Opacus' RDP accountant: the client that ran the most steps.
    max_steps = int(participations.max()) * steps
    eps, eps_all = epsilons(args, max_steps, args.rounds, steps)

    wall_s = time.perf_counter() - t_start
    out = result_record(args, "pytorch+opacus per-client loop", num_clients, num_params, K, steps,
                        wall_s, train_s, round_times, evals, participations, eps, eps_all)
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
