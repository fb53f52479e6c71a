"""Shared pieces of the peer benchmark scripts run by `cargo xtask bench-peers`.

Each peer script times one workload of the workload file that xtask writes, in a fresh process
whose thread count xtask fixes through the environment (OMP_NUM_THREADS, QULACS_NUM_THREADS),
and writes a JSON report in the schema of `xtask/src/bench_peers.rs`:

    {"simulator": str, "versions": {package: version}, "threads": int,
     "results": [{"workload": str, "num_qubits": int, "label": str, "reference_only": bool,
                  "best_seconds": float, "times": [float], "note": str, "check": dict | None}]}

Timing rules, the same for every simulator (ours included, see examples/bench_workloads.rs): one
untimed warm-up run, then `repeats` timed runs with time.perf_counter, best kept; circuits are
built (and transpiled) before the clock starts; allocating the |0...0> state is inside the timed
region except for single gates, which act on a state allocated beforehand.

The staircase circuit is defined here once for the three peers, with the parameter order of
crates/qsim-core/benches/workloads.rs; the checksums xtask compares prove the two agree.
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

# Leading amplitudes reported as a checksum of a statevector (as our side does).
CHECK_AMPLITUDES = 8

WORKLOADS = ("staircase", "adjoint", "gates", "batch")


def parse_args(description):
    """The command line every peer script takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--workload", required=True, help="workload file written by xtask")
    parser.add_argument("--only", required=True, choices=WORKLOADS, help="workload to time")
    parser.add_argument("--threads", required=True, type=int, help="thread count xtask set")
    parser.add_argument("--output", required=True, help="where to write the JSON report")
    args = parser.parse_args()
    omp = os.environ.get("OMP_NUM_THREADS")
    if omp != str(args.threads):
        sys.exit(f"OMP_NUM_THREADS is {omp!r} but --threads is {args.threads}")
    return args


def load_workload(path, name):
    """The section `name` of the workload file, plus the layer count."""
    with open(path) as f:
        workload = json.load(f)
    if workload.get(name) is None:
        sys.exit(f"{path} has no {name!r} section")
    return workload[name], workload["layers"]


def staircase_ops(num_qubits, layers, theta):
    """The staircase as ("ry" | "rz", qubit, angle) and ("cx", control, target) tuples.

    Per layer l: for each qubit q, RY(theta[2 (l n + q)]) then RZ(theta[2 (l n + q) + 1]);
    then CX(0, 1), CX(1, 2), ..., CX(n - 2, n - 1).
    """
    if len(theta) != 2 * num_qubits * layers:
        sys.exit(f"staircase on {num_qubits} qubits needs {2 * num_qubits * layers} angles")
    ops = []
    for layer in range(layers):
        for q in range(num_qubits):
            index = 2 * (layer * num_qubits + q)
            ops.append(("ry", q, theta[index]))
            ops.append(("rz", q, theta[index + 1]))
        for q in range(1, num_qubits):
            ops.append(("cx", q - 1, q))
    return ops


def best_of(repeats, work, per=1):
    """Runs `work` once untimed, then `repeats` times timed.

    Returns (best, times, last output), times in seconds divided by `per`. The previous output is
    released before the clock starts.
    """
    last = work()
    times = []
    for _ in range(repeats):
        last = None
        start = time.perf_counter()
        out = work()
        times.append((time.perf_counter() - start) / per)
        last = out
    return min(times), times, last


def zz_expectation(amplitudes, num_qubits):
    """<Z_0 Z_{n-1}> of a little-endian statevector (bit i of the index is qubit i)."""
    probs = np.abs(np.asarray(amplitudes)) ** 2
    index = np.arange(len(probs))
    parity = ((index >> 0) ^ (index >> (num_qubits - 1))) & 1
    return float(np.sum(probs * (1 - 2 * parity)))


def state_check(amplitudes, num_qubits):
    """The statevector checksum: <Z_0 Z_{n-1}> and the leading amplitudes."""
    amplitudes = np.asarray(amplitudes)
    lead = [[float(a.real), float(a.imag)] for a in amplitudes[:CHECK_AMPLITUDES]]
    return {"zz": zz_expectation(amplitudes, num_qubits), "amplitudes": lead}


def measurement(workload, num_qubits, label, best, times, note="", check=None,
                reference_only=False):
    """One result entry of the report."""
    return {
        "workload": workload,
        "num_qubits": num_qubits,
        "label": label,
        "reference_only": reference_only,
        "best_seconds": best,
        "times": times,
        "note": note,
        "check": check,
    }


def write_report(path, simulator, versions, threads, results):
    """Writes the JSON report xtask reads."""
    versions = dict(versions)
    versions["python"] = platform.python_version()
    versions["numpy"] = np.__version__
    report = {"simulator": simulator, "versions": versions, "threads": threads,
              "results": results}
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
    print(f"{simulator}: wrote {path}", file=sys.stderr)


def progress(simulator, message):
    """A progress line on stderr (xtask passes it through)."""
    print(f"{simulator}: {message}", file=sys.stderr, flush=True)
