"""Speed of qdiff through the interfaces users call it from, against those interfaces' own
simulators, in one run: `cargo xtask bench-interfaces [--quick]`.

Workloads (the 15-layer staircase of the simulator benchmarks: per layer RY and RZ on every
qubit, then CNOT(0, 1), ..., CNOT(n-2, n-1); observable Z_0 Z_{n-1}; seeded angles):

- `qnode value`: a PennyLane QNode returning the expectation value, on `qdiff.qubit`,
  `lightning.qubit` and `default.qubit`;
- `qnode gradient`: `qml.grad` of that QNode with `diff_method="adjoint"` (forward pass
  included), on the same three devices;
- `estimator`: a Qiskit `EstimatorV2` run of the parameterised staircase with one binding, on
  `qdiff.qiskit.Estimator` and Qiskit Aer's `EstimatorV2` (exact expectation values);
- `qnode floor`: the value QNode on `qdiff.qubit` with `execute` replaced by one returning 0 at
  once: what PennyLane and the device's preprocessing cost per call, whatever the simulator;
- `call overhead`: the 4-qubit, one-layer staircase as a QNode (value and `qml.grad`) on each
  device, and on `qdiff.qubit` the same circuit run by the bare bindings `qdiff.expectations`
  and `qdiff.adjoint_jacobian`: the difference is what PennyLane and the device code add per
  call.

Timing rules (those of `cargo xtask bench-peers`): each side runs in a fresh process with
OMP_NUM_THREADS and RAYON_NUM_THREADS set to `--threads`; one untimed warm-up call, then
`repeats` timed calls with time.perf_counter, best kept (fewer repeats where a call takes
seconds); QNodes and circuits are built before the clock starts. Values and gradients of every
side are compared with qdiff's (1e-8) before any time is reported.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

import numpy as np

LAYERS = 15
SIZES = (10, 16, 20)
SEED = 20261207
PENNYLANE_DEVICES = ("qdiff.qubit", "lightning.qubit", "default.qubit")
ESTIMATORS = ("qdiff", "aer")
# Seconds of timed calls aimed at per case (at least one call, at most REPEATS).
BUDGET_SECONDS = 6.0
REPEATS = 7
TOLERANCE = 1e-8


def angles(n, layers=LAYERS):
    """The seeded angles of the staircase on n qubits."""
    return np.random.default_rng(SEED + n).uniform(-np.pi, np.pi, 2 * n * layers)


def best_of(work, repeats=REPEATS, budget=BUDGET_SECONDS):
    """(best seconds, all times, last result): one warm-up call, then timed calls."""
    start = time.perf_counter()
    out = work()
    warm = time.perf_counter() - start
    count = int(max(1, min(repeats, budget // max(warm, 1e-9))))
    times = []
    for _ in range(count):
        out = None
        start = time.perf_counter()
        out = work()
        times.append(time.perf_counter() - start)
    return min(times), times, out


def pennylane_side(device_name, sizes, quick):
    """The QNode workloads on one PennyLane device."""
    import pennylane as qml
    from pennylane import numpy as pnp

    results = []
    for n in sizes:
        dev = qml.device(device_name, wires=n)

        def staircase(theta, n=n, layers=LAYERS):
            for layer in range(layers):
                for q in range(n):
                    k = 2 * (layer * n + q)
                    qml.RY(theta[k], wires=q)
                    qml.RZ(theta[k + 1], wires=q)
                for q in range(1, n):
                    qml.CNOT(wires=[q - 1, q])
            return qml.expval(qml.PauliZ(0) @ qml.PauliZ(n - 1))

        value_qnode = qml.QNode(staircase, dev, diff_method=None)
        grad_qnode = qml.QNode(staircase, dev, diff_method="adjoint")
        theta = pnp.array(angles(n), requires_grad=True)
        best, times, value = best_of(lambda: value_qnode(theta))
        results.append(record("qnode value", n, best, times, value=float(value)))
        progress(device_name, f"value, {n} qubits: {best:.4f} s")
        if device_name == "qdiff.qubit":
            floor_qnode = qml.QNode(staircase, null_device(n), diff_method=None)
            best, times, _ = best_of(lambda: floor_qnode(theta))
            results.append(record("qnode floor", n, best, times))
            progress(device_name, f"floor, {n} qubits: {best:.4f} s")
        if quick and device_name == "default.qubit" and n > 16:
            continue
        gradient = qml.grad(grad_qnode)
        best, times, grad = best_of(lambda: gradient(theta))
        results.append(record("qnode gradient", n, best, times, gradient=list(map(float, grad))))
        progress(device_name, f"gradient, {n} qubits: {best:.4f} s")
    results += call_overhead(qml, pnp, device_name)
    return results


def null_device(n):
    """``qdiff.qubit`` with an ``execute`` that returns 0 at once: a QNode on it costs what
    PennyLane and the device's preprocessing cost, whatever the simulator (the floor of a QNode
    call)."""
    from qdiff.pennylane import QdiffQubit

    class NullQubit(QdiffQubit):
        def execute(self, circuits, execution_config=None):
            return tuple(0.0 for _ in circuits)

    return NullQubit(wires=n)


def call_overhead(qml, pnp, device_name):
    """The 4-qubit one-layer staircase as a QNode on the device; on qdiff.qubit also the same
    circuit through the bare binding."""
    n, layers = 4, 1
    theta = angles(n, layers)
    dev = qml.device(device_name, wires=n)

    @qml.qnode(dev, diff_method="adjoint")
    def qnode(t):
        for q in range(n):
            qml.RY(t[2 * q], wires=q)
            qml.RZ(t[2 * q + 1], wires=q)
        for q in range(1, n):
            qml.CNOT(wires=[q - 1, q])
        return qml.expval(qml.PauliZ(0) @ qml.PauliZ(n - 1))

    many = 200

    def repeated(call):
        def work():
            for _ in range(many):
                out = call()
            return out
        return work

    out = []
    best, times, value = best_of(repeated(lambda: qnode(theta)), budget=3.0)
    out.append(record("call overhead: QNode value", n, best / many, [t / many for t in times],
                      value=float(value)))
    t_grad = pnp.array(theta, requires_grad=True)
    best, times, _ = best_of(repeated(lambda: qml.grad(qnode)(t_grad)), budget=3.0)
    out.append(record("call overhead: QNode gradient", n, best / many,
                      [t / many for t in times]))
    if device_name != "qdiff.qubit":
        return out
    import qdiff

    circuit = qdiff.Circuit(n)
    for q in range(n):
        circuit.gate("ry", [q], [0.0], vars=[2 * q]).gate("rz", [q], [0.0], vars=[2 * q + 1])
    for q in range(1, n):
        circuit.gate("cx", [q - 1, q])
    zz = [qdiff.PauliSum([(1.0, f"Z0 Z{n - 1}")])]
    best, times, value = best_of(repeated(lambda: qdiff.expectations(circuit, zz, theta)),
                                 budget=3.0)
    out.append(record("call overhead: qdiff.expectations", n, best / many,
                      [t / many for t in times], value=float(value[0])))
    best, times, _ = best_of(repeated(lambda: qdiff.adjoint_jacobian(circuit, zz, theta)),
                             budget=3.0)
    out.append(record("call overhead: qdiff.adjoint_jacobian", n, best / many,
                      [t / many for t in times]))
    return out


def estimator_side(which, sizes):
    """The Estimator workload on qdiff's or Aer's EstimatorV2."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.quantum_info import SparsePauliOp

    if which == "qdiff":
        from qdiff.qiskit import Estimator
        estimator = Estimator()
    else:
        from qiskit_aer.primitives import EstimatorV2
        estimator = EstimatorV2()
    results = []
    for n in sizes:
        theta = ParameterVector("t", 2 * n * LAYERS)
        qc = QuantumCircuit(n)
        for layer in range(LAYERS):
            for q in range(n):
                k = 2 * (layer * n + q)
                qc.ry(theta[k], q)
                qc.rz(theta[k + 1], q)
            for q in range(1, n):
                qc.cx(q - 1, q)
        label = ["I"] * n
        label[0] = label[n - 1] = "Z"
        observable = SparsePauliOp("".join(reversed(label)))
        values = angles(n)
        run = lambda: float(estimator.run([(qc, observable, values)]).result()[0].data.evs)
        best, times, value = best_of(run)
        results.append(record("estimator", n, best, times, value=value))
        progress(which, f"estimator, {n} qubits: {best:.4f} s")
    return results


def record(workload, n, best, times, **check):
    """One measurement."""
    return {"workload": workload, "num_qubits": n, "best_seconds": best, "times": times,
            "check": check}


def progress(side, message):
    """A progress line on stderr."""
    print(f"{side}: {message}", file=sys.stderr, flush=True)


def versions():
    """Versions of the packages involved."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("qdiff", "numpy", "pennylane", "pennylane-lightning", "qiskit", "qiskit-aer"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "-"
    return out


def run_side(args):
    """Child process: one side's measurements as JSON on the given path."""
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.side.startswith("estimator:"):
        results = estimator_side(args.side.split(":", 1)[1], sizes)
    else:
        results = pennylane_side(args.side, sizes, args.quick)
    with open(args.json, "w") as f:
        json.dump({"side": args.side, "threads": args.threads, "results": results}, f)


def compare(reports):
    """Problems where a side's value or gradient differs from qdiff.qubit's."""
    reference = {(r["workload"], r["num_qubits"]): r["check"]
                 for r in reports["qdiff.qubit"]["results"]}
    problems = []
    for side, report in reports.items():
        for r in report["results"]:
            # The Estimator computes the QNode's value through Qiskit.
            workload = "qnode value" if r["workload"] == "estimator" else r["workload"]
            ours = reference.get((workload, r["num_qubits"]), {})
            for key in ("value", "gradient"):
                if key in r["check"] and key in ours:
                    diff = np.max(np.abs(np.asarray(r["check"][key]) - np.asarray(ours[key])))
                    if diff > TOLERANCE:
                        problems.append(f"{side} {r['workload']} {r['num_qubits']}q: {key} "
                                        f"differs from qdiff.qubit's by {diff:.2e}")
    return problems


def table(reports, threads):
    """The markdown tables: seconds per side and the ratio qdiff / peer."""
    def best(side, workload, n):
        for r in reports.get(side, {}).get("results", []):
            if r["workload"] == workload and r["num_qubits"] == n:
                return r["best_seconds"]
        return None

    fmt = lambda t: "-" if t is None else (f"{t:.4f}" if t >= 1e-3 else f"{t * 1e6:.1f} us")
    ratio = lambda a, b: "-" if a is None or b is None else f"{a / b:.2f}"
    lines = [f"Threads: {threads}. Seconds, best of the timed calls; ratio = qdiff / peer.", ""]
    sizes = sorted({r["num_qubits"] for rep in reports.values() for r in rep["results"]
                    if not r["workload"].startswith("call")})
    for workload in ("qnode value", "qnode gradient"):
        floor_head = " QNode floor |" if workload == "qnode value" else ""
        lines += [f"### {workload} (15-layer staircase, <Z0 Z(n-1)>)", "",
                  "| qubits | qdiff.qubit | lightning.qubit | default.qubit | "
                  f"qdiff/lightning | qdiff/default |{floor_head}",
                  "|---|---|---|---|---|---|" + ("---|" if floor_head else "")]
        for n in sizes:
            q, l, d = (best(s, workload, n) for s in PENNYLANE_DEVICES)
            floor = f" {fmt(best('qdiff.qubit', 'qnode floor', n))} |" if floor_head else ""
            lines.append(f"| {n} | {fmt(q)} | {fmt(l)} | {fmt(d)} | {ratio(q, l)} | "
                         f"{ratio(q, d)} |{floor}")
        lines.append("")
    lines += ["QNode floor: the same QNode on qdiff.qubit with a device whose execute returns 0 "
              "at once (what PennyLane and the device's preprocessing cost per call).", ""]
    lines += ["### estimator (one PUB, one binding)", "",
              "| qubits | qdiff Estimator | Aer EstimatorV2 | qdiff/Aer |", "|---|---|---|---|"]
    for n in sizes:
        q, a = best("estimator:qdiff", "estimator", n), best("estimator:aer", "estimator", n)
        lines.append(f"| {n} | {fmt(q)} | {fmt(a)} | {ratio(q, a)} |")
    lines += ["", "### per-call cost, 4 qubits, one layer (seconds per call)", "",
              "| call | qdiff.qubit | lightning.qubit | default.qubit |", "|---|---|---|---|"]
    for call in ("QNode value", "QNode gradient"):
        cells = [fmt(best(s, f"call overhead: {call}", 4)) for s in PENNYLANE_DEVICES]
        lines.append(f"| {call} | " + " | ".join(cells) + " |")
    for call in ("qdiff.expectations", "qdiff.adjoint_jacobian"):
        lines.append(f"| {call} (the bare binding) | "
                     f"{fmt(best('qdiff.qubit', f'call overhead: {call}', 4))} | - | - |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", required=True, help="folder for the JSON and markdown")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--quick", action="store_true",
                        help="sizes 10,16 and default.qubit's 20-qubit gradient left out")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        return run_side(args)
    if args.quick and args.sizes == ",".join(map(str, SIZES)):
        args.sizes = "10,16"
    out = pathlib.Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               RAYON_NUM_THREADS=str(args.threads))
    reports = {}
    for side in PENNYLANE_DEVICES + tuple(f"estimator:{e}" for e in ESTIMATORS):
        path = out / f"{side.replace(':', '-')}.json"
        command = [sys.executable, __file__, "--output", str(out), "--threads",
                   str(args.threads), "--sizes", args.sizes, "--side", side, "--json", str(path)]
        if args.quick:
            command.append("--quick")
        progress("bench-interfaces", f"running {side}")
        subprocess.run(command, env=env, check=True)
        with open(path) as f:
            reports[side] = json.load(f)
    problems = compare(reports)
    text = f"Versions: {json.dumps(versions())}\n\n" + table(reports, args.threads)
    (out / "bench-interfaces.md").write_text(text)
    print(text)
    if problems:
        sys.exit("results differ:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main()
