"""Times PennyLane Lightning (lightning.qubit) on one workload of `cargo xtask bench-peers`.

See common.py for the rules. Two rows per workload:
- "QNode": the way PennyLane is used, a QNode called with the angles; each call builds its tape
  in Python, which is part of PennyLane's cost;
- "device.execute": tapes built before the clock starts and handed to the device directly, the
  same split between construction and simulation as for the other simulators.
Single gates go through the C++ kernel binding `StateVectorC128`, one call per gate.

PennyLane orders wires big-endian (wire 0 is the most significant bit of a state index); qubit q
of the workload is wire n - 1 - q, so state indices match qsim-core's little-endian ones.
"""

from importlib.metadata import version

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp
from pennylane.devices import ExecutionConfig
from pennylane_lightning.lightning_qubit_ops import StateVectorC128

import common

SIMULATOR = "PennyLane Lightning"
LIGHTNING = version("pennylane-lightning")
PENNYLANE = version("pennylane")
LABEL = f"PennyLane Lightning {LIGHTNING}"


def wire(num_qubits, qubit):
    """The PennyLane wire of a workload qubit."""
    return num_qubits - 1 - qubit


def staircase_gates(num_qubits, layers, theta):
    """The staircase as PennyLane operations (inside a QNode, they are queued on its tape)."""
    gates = []
    for kind, a, b in common.staircase_ops(num_qubits, layers, theta):
        if kind == "ry":
            gates.append(qml.RY(b, wires=wire(num_qubits, a)))
        elif kind == "rz":
            gates.append(qml.RZ(b, wires=wire(num_qubits, a)))
        else:
            gates.append(qml.CNOT(wires=[wire(num_qubits, a), wire(num_qubits, b)]))
    return gates


def zz(num_qubits):
    return qml.expval(qml.Z(wire(num_qubits, 0)) @ qml.Z(wire(num_qubits, num_qubits - 1)))


def staircase(spec, layers):
    results = []
    for case in spec["cases"]:
        n, theta = case["num_qubits"], np.asarray(case["theta"])
        dev = qml.device("lightning.qubit", wires=n)

        @qml.qnode(dev)
        def state_qnode(angles):
            staircase_gates(n, layers, angles)
            return qml.state()

        common.progress(SIMULATOR, f"staircase (QNode), {n} qubits")
        best, times, state = common.best_of(case["repeats"], lambda: state_qnode(theta))
        results.append(common.measurement(
            "staircase", n, f"{LABEL} (QNode, qml.state())", best, times,
            check=common.state_check(state, n)))
        del state

        common.progress(SIMULATOR, f"staircase (device.execute), {n} qubits")
        tape = qml.tape.QuantumScript(staircase_gates(n, layers, theta), [qml.state()])
        best, times, state = common.best_of(case["repeats"], lambda: dev.execute(tape))
        results.append(common.measurement(
            "staircase", n, f"{LABEL} (device.execute, pre-built tape)", best, times,
            check=common.state_check(state, n)))
        del state
    return results


def adjoint(spec, layers):
    n = spec["num_qubits"]
    dev = qml.device("lightning.qubit", wires=n)
    results = []

    @qml.qnode(dev, diff_method="adjoint")
    def expval_qnode(angles):
        staircase_gates(n, layers, angles)
        return zz(n)

    common.progress(SIMULATOR, f"adjoint gradient (QNode), {n} qubits")
    theta = pnp.array(spec["theta"], requires_grad=True)
    gradient = qml.grad(expval_qnode)
    best, times, grad = common.best_of(spec["repeats"], lambda: gradient(theta))
    check = {"value": float(expval_qnode(theta)), "gradient": [float(g) for g in grad]}
    results.append(common.measurement(
        "adjoint", n, f"{LABEL} (QNode, diff_method=adjoint, qml.grad)", best, times,
        note="qml.grad runs the forward pass too", check=check))

    common.progress(SIMULATOR, f"adjoint gradient (device), {n} qubits")
    tape = qml.tape.QuantumScript(staircase_gates(n, layers, np.asarray(spec["theta"])), [zz(n)])
    config = dev.setup_execution_config(ExecutionConfig(gradient_method="adjoint"))
    best, times, (value, jac) = common.best_of(
        spec["repeats"], lambda: dev.execute_and_compute_derivatives(tape, config))
    check = {"value": float(value), "gradient": [float(g) for g in jac]}
    results.append(common.measurement(
        "adjoint", n, f"{LABEL} (device.execute_and_compute_derivatives)", best, times,
        check=check))
    return results


def gates(spec):
    results = []
    angle = [spec["angle"]]
    for case in spec["cases"]:
        n, k = case["num_qubits"], case["applications"]
        target, control = [wire(n, n // 2)], [wire(n, n // 2 - 1), wire(n, n // 2)]
        for workload in ("gate_1q", "gate_2q"):
            common.progress(SIMULATOR, f"{workload}, {n} qubits")
            state = StateVectorC128(n)
            if workload == "gate_1q":
                def loop():
                    for _ in range(k):
                        state.RX(target, False, angle)
            else:
                def loop():
                    for _ in range(k):
                        state.CNOT(control, False, [])
            best, times, _ = common.best_of(case["repeats"], loop, per=k)
            results.append(common.measurement(
                workload, n, f"{LABEL} (StateVectorC128 kernel binding)", best, times,
                note="one Python call per application"))
    return results


def batch(spec, layers):
    n = spec["num_qubits"]
    thetas = [np.asarray(t) for t in spec["thetas"]]
    dev = qml.device("lightning.qubit", wires=n)
    results = []

    @qml.qnode(dev)
    def state_qnode(angles):
        staircase_gates(n, layers, angles)
        return qml.state()

    common.progress(SIMULATOR, f"batch of {len(thetas)} circuits (QNode loop), {n} qubits")
    best, times, states = common.best_of(
        spec["repeats"], lambda: [state_qnode(t) for t in thetas])
    zz_sum = sum(common.zz_expectation(s, n) for s in states)
    results.append(common.measurement(
        "batch", n, f"{LABEL} (Python loop of QNode calls)", best, times,
        check={"zz_sum": zz_sum, "count": len(states)}))

    common.progress(SIMULATOR, f"batch of {len(thetas)} circuits (device.execute), {n} qubits")
    tapes = [qml.tape.QuantumScript(staircase_gates(n, layers, t), [qml.state()]) for t in thetas]
    best, times, states = common.best_of(spec["repeats"], lambda: dev.execute(tapes))
    zz_sum = sum(common.zz_expectation(s, n) for s in states)
    results.append(common.measurement(
        "batch", n, f"{LABEL} (one device.execute of pre-built tapes)", best, times,
        check={"zz_sum": zz_sum, "count": len(states)}))
    return results


def main():
    args = common.parse_args(__doc__)
    spec, layers = common.load_workload(args.workload, args.only)
    if args.only == "staircase":
        results = staircase(spec, layers)
    elif args.only == "adjoint":
        results = adjoint(spec, layers)
    elif args.only == "gates":
        results = gates(spec)
    else:
        results = batch(spec, layers)
    common.write_report(args.output, SIMULATOR,
                        {"pennylane-lightning": LIGHTNING, "pennylane": PENNYLANE},
                        args.threads, results)


if __name__ == "__main__":
    main()
