#!/usr/bin/env python3
"""A scaling model of qsim-mpi's distributed state vector on the 15-layer staircase.

What it models
--------------
n qubits on N = 2^g nodes, one MPI rank per node (g global qubits), the node's cores as threads.
Per layer of the staircase (RY and RZ on every qubit, then CNOTs 0->1, ..., (n-2)->(n-1)):

* compute: every node updates its slice of 2^(n-g) amplitudes with the layer's 3n-1 gates:
      t_comp = (3n - 1) * 2^(n-g) / (rate_per_core * cores_per_node)
* communication: the schedule (--schedule) makes S global<->local swaps in all:
  - fewest-exchanges: S = g (one swap per global qubit for the whole circuit; pinned for 30 and
    40 qubits and g = 1..8 by crates/qsim-mpi/src/plan.rs);
  - as-one-process: the swaps before the engine's cache-blocking stages, S from the table
    SWAPS_AS_ONE_PROCESS below (pinned for 24..40 qubits and g = 1..10 by the test
    `staircase_swaps_as_one_process` in crates/qsim-mpi/src/exact.rs);
  - in-order (the first planner, gates walked in order): S = 2 * g * L - 1 (29 at g = 1 and
    59 at g = 2 over 15 layers).
  In a swap every node sends half its slice, 2^(n-g-1) * 16 bytes, to one partner and receives
  as much, in messages of EXCHANGE_CHUNK = 2^20 amplitudes:
      t_swap = latency * messages + half_slice_bytes / bandwidth
  with `bandwidth` per node and per direction (send and receive overlap: full duplex).
* no overlap of compute and communication: total for L layers = L * t_comp + S * t_swap, and
  per layer (averaged) t_layer = t_comp + S * t_swap / L.
* memory: the slice and a second buffer as large (the engine's relayouts, as in one process)
  plus two exchange buffers.
* parallel efficiency in the main table: t_comp / t_layer (the share of time spent computing;
  1.0 if communication were free). Strong scaling: speedup over the smallest N that holds the
  state, divided by the node ratio. Weak scaling: t(first row) / t(row).

Inputs (command-line options; the defaults are stated assumptions, not measurements)
-------------------------------------------------------------------------------------
* the compute rate, derived from this machine's measurement (docs/results.md, MPI section):
  the 15-layer staircase at 26 qubits in 18.42 s wall (`run_qasm`, parsing included) on one
  process with 2 threads on 2 cores. Gate-amplitude updates: 15 layers * (3*26-1) gates *
  2^26 amplitudes = 7.75e10 in 18.42 s on 2 cores = 2.10e9 per second per core (or 2^26 * 15 /
  18.42 / 2 = 2.73e7 layer-amplitude updates, 437 MB of state per second per core).
  Options --ref-qubits, --ref-seconds, --ref-cores, --ref-layers.
* --cores (per node, default 64), --mem-gib (per node, default 256), --mem-usable (the
  fraction of memory the state slice may fill, default 0.9).
* --bandwidth GB/s per node and direction, repeatable (default: 12.5 = 100 Gb/s InfiniBand EDR
  and 25 = 200 Gb/s HDR) and --measured-bandwidth, added as a third scenario: what one swap
  reached on this machine (default 2.90 GB/s per rank and direction, through OpenMPI's shared
  memory: `swap_bandwidth 26 5` on 2 ranks at commit 93900af, 256 MiB per rank in 0.0926 s, the
  Hadamard on a global qubit less the same on the local position the swap fills).
* --latency (seconds per message, default 2e-6), --schedule (default as-one-process),
  --layers (default 15; only 15 has as-one-process counts).
* --qubits (default 36..40), --max-nodes (default 4096), --strong-qubits (default 36),
  --strong-factor (default 64: N from the minimum to 64 times it).

Run
---
    python3 scripts/mpi_scaling_model.py                 # the tables in docs/results.md (MPI section)
    python3 scripts/mpi_scaling_model.py --schedule fewest-exchanges --cores 48 --mem-gib 32

Markdown goes to stdout. Plain Python 3, standard library only.
"""

import argparse
import math

AMP_BYTES = 16  # one complex double
EXCHANGE_CHUNK = 1 << 20  # amplitudes per message (crates/qsim-mpi/src/exchange.rs)

# Swaps of the as-one-process schedule on the 15-layer staircase, by qubits, for g = 1..10
# (copied from the test `staircase_swaps_as_one_process` in crates/qsim-mpi/src/exact.rs,
# which pins them).
SWAPS_AS_ONE_PROCESS = {
    24: [3, 8, 15, 23, 33, 44, 57, 71, 86, 102],
    26: [3, 8, 16, 26, 38, 52, 68, 85, 104, 124],
    28: [3, 9, 18, 30, 43, 58, 75, 93, 113, 134],
    36: [3, 7, 13, 20, 28, 37, 47, 59, 72, 86],
    37: [3, 7, 13, 20, 28, 38, 49, 61, 74, 88],
    38: [3, 8, 14, 22, 32, 43, 55, 69, 84, 100],
    39: [3, 7, 13, 21, 31, 42, 54, 68, 83, 99],
    40: [3, 7, 14, 22, 32, 44, 57, 71, 86, 103],
}


def total_swaps(n, g, args):
    """Swaps of the whole circuit under args.schedule."""
    if g == 0:
        return 0
    if args.schedule == "fewest-exchanges":
        return g
    if args.schedule == "in-order":
        return 2 * g * args.layers - 1
    if args.layers != 15 or n not in SWAPS_AS_ONE_PROCESS or g > 10:
        raise ValueError(f"no as-one-process swap count for {n} qubits, g = {g}")
    return SWAPS_AS_ONE_PROCESS[n][g - 1]


def gates_per_layer(n):
    """RY and RZ on every qubit, then n-1 CNOTs."""
    return 3 * n - 1


def compute_rate(args):
    """Gate-amplitude updates per second per core, from the reference run."""
    n = args.ref_qubits
    updates = args.ref_layers * gates_per_layer(n) * 2**n
    return updates / args.ref_seconds / args.ref_cores


def slice_bytes(n, g):
    return 2 ** (n - g) * AMP_BYTES


def min_global(n, args):
    """Smallest g whose slice, its relayout buffer and two exchange buffers fit in the usable
    memory."""
    usable = args.mem_gib * 2**30 * args.mem_usable
    for g in range(0, n):
        need = 2 * slice_bytes(n, g) + 2 * EXCHANGE_CHUNK * AMP_BYTES
        if need <= usable:
            return g
    raise ValueError("state does not fit")


def model(n, g, bandwidth, args, rate):
    """One configuration: a dict of per-layer and total figures."""
    amps = 2 ** (n - g)
    t_comp = gates_per_layer(n) * amps / (rate * args.cores)
    swaps_total = total_swaps(n, g, args)
    swaps_layer = swaps_total / args.layers
    half = amps // 2 * AMP_BYTES if g > 0 else 0
    messages = math.ceil(amps / 2 / EXCHANGE_CHUNK) if g > 0 else 0
    t_swap = (args.latency * messages + half / bandwidth) if g > 0 else 0.0
    t_comm = swaps_layer * t_swap
    total = args.layers * t_comp + swaps_total * t_swap
    return {
        "n": n,
        "g": g,
        "nodes": 2**g,
        "mem": slice_bytes(n, g),
        "t_comp": t_comp,
        "swaps_layer": swaps_layer,
        "bytes_layer": swaps_layer * half,  # sent per node per layer
        "t_comm": t_comm,
        "swaps_total": swaps_total,
        "total": total,
        "eff": t_comp / (t_comp + t_comm),
    }


def fmt_bytes(b):
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if b >= size:
            return f"{b / size:.0f} {unit}" if b / size >= 10 else f"{b / size:.1f} {unit}"
    return f"{b} B"


def fmt_s(t):
    if t >= 100:
        return f"{t:,.0f} s"
    if t >= 10:
        return f"{t:.1f} s"
    return f"{t:.2f} s"


def ef(x):
    return f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def scenarios(args):
    out = [(f"{bw:g} GB/s per node", bw * 1e9) for bw in args.bandwidth]
    if args.measured_bandwidth:
        out.append((f"{args.measured_bandwidth:g} GB/s (as measured here, shared memory)",
                    args.measured_bandwidth * 1e9))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ref-qubits", type=int, default=26)
    p.add_argument("--ref-seconds", type=float, default=18.42)
    p.add_argument("--ref-cores", type=int, default=2)
    p.add_argument("--ref-layers", type=int, default=15)
    p.add_argument("--cores", type=int, default=64, help="cores per node")
    p.add_argument("--mem-gib", type=float, default=256.0, help="memory per node, GiB")
    p.add_argument("--mem-usable", type=float, default=0.9)
    p.add_argument("--bandwidth", type=float, action="append",
                   help="GB/s per node and direction (repeatable; default 12.5 and 25)")
    p.add_argument("--measured-bandwidth", type=float, default=2.90,
                   help="extra scenario, GB/s (0 to leave out)")
    p.add_argument("--latency", type=float, default=2e-6, help="seconds per message")
    p.add_argument("--schedule", default="as-one-process",
                   choices=["as-one-process", "fewest-exchanges", "in-order"])
    p.add_argument("--layers", type=int, default=15)
    p.add_argument("--qubits", type=int, nargs="+", default=[36, 37, 38, 39, 40])
    p.add_argument("--max-nodes", type=int, default=4096)
    p.add_argument("--strong-qubits", type=int, default=36)
    p.add_argument("--strong-factor", type=int, default=64)
    args = p.parse_args()
    if not args.bandwidth:
        args.bandwidth = [12.5, 25.0]

    rate = compute_rate(args)
    max_g = int(math.log2(args.max_nodes))
    print("## Scaling model: the 15-layer staircase on N nodes\n")
    print(f"- Compute rate: {rate:.3g} gate-amplitude updates per second per core "
          f"({args.ref_layers} layers x {gates_per_layer(args.ref_qubits)} gates x "
          f"2^{args.ref_qubits} amplitudes in {args.ref_seconds} s on {args.ref_cores} cores); "
          f"{rate / gates_per_layer(args.ref_qubits):.3g} layer-amplitudes per second per core.")
    print(f"- Node: {args.cores} cores, {args.mem_gib:g} GiB ({args.mem_usable:g} usable for "
          f"the slice), one rank per node; latency {args.latency:g} s per message of "
          f"{EXCHANGE_CHUNK} amplitudes; schedule {args.schedule}; {args.layers} layers; no "
          f"overlap of compute and communication.")
    print()

    for name, bw in scenarios(args):
        print(f"### Bandwidth {name}\n")
        print("At the minimum node count whose memory holds the state:\n")
        print("| qubits | nodes | slice per node | compute / layer | swaps / layer | "
              "bytes sent per node / layer | comm / layer | total (15 layers) | efficiency |")
        print("|---|---|---|---|---|---|---|---|---|")
        for n in args.qubits:
            g = min_global(n, args)
            if g > max_g:
                print(f"| {n} | > {args.max_nodes} | - | - | - | - | - | - | - |")
                continue
            r = model(n, g, bw, args, rate)
            print(f"| {n} | {r['nodes']} | {fmt_bytes(r['mem'])} | {fmt_s(r['t_comp'])} | "
                  f"{r['swaps_layer']:.2g} | {fmt_bytes(r['bytes_layer'])} | "
                  f"{fmt_s(r['t_comm'])} | {fmt_s(r['total'])} | {ef(r['eff'])} |")

        n = args.strong_qubits
        g0 = min_global(n, args)
        print(f"\nStrong scaling at {n} qubits (speedup and efficiency against "
              f"{2**g0} nodes):\n")
        print("| nodes | compute / layer | comm / layer | total | speedup | efficiency | "
              "compute share |")
        print("|---|---|---|---|---|---|---|")
        base = model(n, g0, bw, args, rate)
        for g in range(g0, min(max_g, g0 + int(math.log2(args.strong_factor))) + 1):
            r = model(n, g, bw, args, rate)
            speedup = base["total"] / r["total"]
            print(f"| {r['nodes']} | {fmt_s(r['t_comp'])} | {fmt_s(r['t_comm'])} | "
                  f"{fmt_s(r['total'])} | {speedup:.2f} | "
                  f"{speedup / 2 ** (g - g0):.2f} | {ef(r['eff'])} |")

        print("\nWeak scaling (one qubit more per doubling of the nodes; efficiency = "
              "time of the first row / time):\n")
        print("| qubits | nodes | slice per node | total | efficiency |")
        print("|---|---|---|---|---|")
        n0 = min(args.qubits)
        g0 = min_global(n0, args)
        first = None
        for k, n in enumerate(sorted(args.qubits)):
            g = g0 + (n - n0)
            if g > max_g:
                break
            r = model(n, g, bw, args, rate)
            first = first or r["total"]
            print(f"| {n} | {r['nodes']} | {fmt_bytes(r['mem'])} | {fmt_s(r['total'])} | "
                  f"{first / r['total']:.2f} |")
        print()


if __name__ == "__main__":
    main()
