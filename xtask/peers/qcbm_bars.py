"""PennyLane's QCBM tutorial on 3x3 bars and stripes: the anchor of `born_machine_bars`.

The setup of the PennyLane demo "Quantum Circuit Born Machines" (demonstrations/tutorial_qcbm.py
in PennyLaneAI/qml), ported from its JAX/Optax code to PennyLane's autograd interface:
- 9 qubits, `qml.StronglyEntanglingLayers` with 6 layers and `ranges=[1] * 6` (Rot on every wire,
  then a ring of CNOTs 0-1, 1-2, ..., 8-0), weights drawn as `np.random.random` (uniform on [0, 1))
  after `np.random.seed(seed)` (the demo uses seed 42); `default.qubit`, exact `qml.probs()`,
  backpropagation through autograd;
- loss: squared MMD `(p - q)^T K (p - q)` with `K = mean over sigma of exp(-(x - y)^2 / (2 sigma^2))`,
  sigma in [0.25, 0.5, 1], where x and y are the *integers* that index the bitstrings (the demo's
  `space = arange(2**9)`), not Hamming distances;
- Adam with step size 0.1 for 100 steps. The demo uses `optax.adam(0.1)` (beta2 = 0.999);
  `qml.AdamOptimizer`'s own default beta2 is 0.99, so this script passes 0.999 (`--beta2`).

Metrics are those of crates/qansatz-mps/src/born.rs, computed exactly from the model's
probabilities before training and after every step:
- `kl` = KL(data || model) = sum over the 14 patterns of q log(q / max(p, 1e-12));
- `valid_fraction` = the model's probability mass on the 14 patterns;
- `first_step_meeting_target`: the first step (0 = before training) with kl <= 0.1 and
  valid_fraction >= 0.9, or null.
`seconds` is the wall time of the training loop (first forward pass to last), without Python's
imports. `--kernel hamming` swaps in our kernel instead (`exp(-d / (2 sigma))` with `d` the
Hamming distance, as `MixtureKernel` in born.rs) to separate the kernel's effect from the
ansatz's; pass our bandwidths with `--bandwidths 0.25,4`.

Usage (one JSON line on stdout):
    .venv-peers/bin/python xtask/peers/qcbm_bars.py --seed 42
"""

import argparse
import json
import time
from importlib.metadata import version

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

NUM_QUBITS = 9
TARGET_KL = 0.1
TARGET_VALID = 0.9


def bars_and_stripes(n):
    """The demo's `get_bars_and_stripes`: 2^n stripes and 2^n bars, the empty and full grids
    counted once, as rows of n * n pixels."""
    bitstrings = np.array([list(np.binary_repr(i, n))[::-1] for i in range(2**n)], dtype=int)
    stripes = np.repeat(bitstrings, n, 0).reshape(2**n, n * n)
    bars = np.repeat(bitstrings.reshape(2**n * n, 1), n, 1).reshape(2**n, n * n)
    return np.vstack((stripes[: stripes.shape[0] - 1], bars[1:]))


def kernel_matrix(kind, bandwidths):
    space = np.arange(2**NUM_QUBITS)
    if kind == "integer":
        sq = np.abs(space[:, None] - space[None, :]).astype(float) ** 2
        terms = [np.exp(-sq / (2.0 * s**2)) for s in bandwidths]
    else:
        xor = space[:, None] ^ space[None, :]
        d = np.array([bin(v).count("1") for v in range(2**NUM_QUBITS)], dtype=float)[xor]
        terms = [np.exp(-d / (2.0 * s)) for s in bandwidths]
    return sum(terms) / len(bandwidths)


def metrics(p, q, support):
    p = np.asarray(p, dtype=float)
    kl = float(np.sum(q[support] * np.log(q[support] / np.maximum(p[support], 1e-12))))
    return kl, float(np.sum(p[support]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42, help="numpy seed of the initial weights")
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--beta2", type=float, default=0.999)
    parser.add_argument("--kernel", choices=("integer", "hamming"), default="integer")
    parser.add_argument("--bandwidths", default="0.25,0.5,1")
    args = parser.parse_args()
    bandwidths = [float(s) for s in args.bandwidths.split(",")]

    data = bars_and_stripes(3)
    # As the demo: pattern bits read as a big-endian integer, pixel i on wire i (PennyLane's
    # probs() is big-endian too, so index k of probs() is pattern k).
    nums = [int("".join(str(int(b)) for b in row), 2) for row in data]
    q = np.zeros(2**NUM_QUBITS)
    q[nums] = 1.0 / len(data)
    support = q > 0
    kernel = kernel_matrix(args.kernel, bandwidths)

    np.random.seed(args.seed)
    shape = qml.StronglyEntanglingLayers.shape(n_layers=args.layers, n_wires=NUM_QUBITS)
    weights = pnp.array(np.random.random(size=shape), requires_grad=True)

    dev = qml.device("default.qubit", wires=NUM_QUBITS)

    @qml.qnode(dev, interface="autograd", diff_method="backprop")
    def circuit(w):
        qml.StronglyEntanglingLayers(weights=w, ranges=[1] * args.layers, wires=range(NUM_QUBITS))
        return qml.probs()

    stash = {}

    def cost(w):
        p = circuit(w)
        stash["p"] = getattr(p, "_value", p)  # the probabilities, unwrapped from autograd
        d = p - q
        return d @ kernel @ d

    opt = qml.AdamOptimizer(stepsize=args.learning_rate, beta1=0.9, beta2=args.beta2, eps=1e-8)
    history = []
    start = time.perf_counter()
    for _ in range(args.steps):
        weights = opt.step(cost, weights)
        # stash["p"] is the model before this step: record it as the previous step's state.
        history.append(metrics(stash["p"], q, support))
    p_final = np.asarray(circuit(weights))
    history.append(metrics(p_final, q, support))
    seconds = time.perf_counter() - start

    d = p_final - q
    reached = next(
        (t for t, (kl, valid) in enumerate(history) if kl <= TARGET_KL and valid >= TARGET_VALID),
        None,
    )
    kl, valid = history[-1]
    print(
        json.dumps(
            {
                "peer": f"PennyLane {version('pennylane')} default.qubit (autograd, backprop)",
                "kl": kl,
                "valid_fraction": valid,
                "mmd2": float(d @ kernel @ d),
                "layers": args.layers,
                "steps": args.steps,
                "seconds": seconds,
                "first_step_meeting_target": reached,
                "num_params": int(np.prod(shape)),
                "kernel": args.kernel,
                "bandwidths": bandwidths,
                "learning_rate": args.learning_rate,
                "beta2": args.beta2,
                "seed": args.seed,
            }
        )
    )


if __name__ == "__main__":
    main()
