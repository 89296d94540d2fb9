#!/usr/bin/env bash
# fedsim side by side with peers written the way researchers write them, on the same federation and
# machine: PyTorch + Opacus, a Python loop over the sampled clients (bench/peers/opacus_fedavg.py),
# and Flower's simulation of the same task (bench/peers/flower_fedavg.py). See docs/peers.md.
# Installs the peers' packages on first use (bench/peers/setup.sh, setup-flower.sh).
#
#   bench/run_peers.sh [--set key=value]...
#
# Environment: FEDSIM (binary, default build/fedsim), SCENARIO (default scenarios/dp-sample.toml),
# SEEDS (default "1"), PEER_THREADS (torch threads, 0 = torch's default), OUT (JSON path, default
# bench/results/peers-cpu-<date>.json), PEERS_LIST (comma-separated peers: opacus, flower; default
# opacus, plus flower when bench/peers/.venv-flower exists; naming flower installs it). The --set
# overrides apply to fedsim data, fedsim run and so to the peers, which read their hyperparameters
# back from fedsim's result file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FEDSIM=${FEDSIM:-$root/build/fedsim}
SCENARIO=${SCENARIO:-$root/scenarios/dp-sample.toml}
SEEDS=${SEEDS:-1}
PEER_THREADS=${PEER_THREADS:-0}
OUT=${OUT:-$root/bench/results/peers-cpu-$(date -u +%F).json}
[[ -x $FEDSIM ]] || { echo "run_peers: no fedsim binary at $FEDSIM (tools/build.sh, or set FEDSIM)" >&2; exit 2; }
py=$root/bench/peers/.venv/bin/python
if ! [[ -x $py && -x /usr/bin/time ]] || ! "$py" -c "import opacus, torch, h5py" 2>/dev/null; then
  "$root/bench/peers/setup.sh"
fi
flower_py=$root/bench/peers/.venv-flower/bin/python
if [[ -z ${PEERS_LIST:-} ]]; then
  PEERS_LIST=opacus
  [[ -x $flower_py ]] && PEERS_LIST=opacus,flower
fi
if [[ ,$PEERS_LIST, == *,flower,* ]] && ! { [[ -x $flower_py ]] && "$flower_py" -c "import flwr, ray, opacus" 2>/dev/null; }; then
  "$root/bench/peers/setup-flower.sh"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Opacus' make_private derives the record rate from the loader, q = 1 / len(loader), so it can only
# express q = 1/m. dp-sample.toml's automatic q is batch_size / mean client size = 32/100 = 0.32
# (4 steps per epoch); 0.25 keeps the 4 steps. Given first, so later --set options win.
sets=(--set privacy.sample_rate=0.25)
for a in "$@"; do
  case $a in --set) ;; --set=*) sets+=(--set "${a#--set=}") ;; *) sets+=(--set "$a") ;; esac
done
echo "run_peers: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "run_peers: $FEDSIM, $SCENARIO ${sets[*]}, seeds $SEEDS, peers $PEERS_LIST" >&2
exec "$py" "$root/bench/peers/compare.py" --fedsim "$FEDSIM" --scenario "$SCENARIO" --work "$work" \
  --out "$OUT" --seeds "$SEEDS" --peer-threads "$PEER_THREADS" --peers "$PEERS_LIST" \
  --flower-python "$flower_py" \
  $(for ((i = 1; i < ${#sets[@]}; i += 2)); do printf -- '--set=%s ' "${sets[i]}"; done)
