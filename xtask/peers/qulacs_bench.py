"""Times Qulacs on one workload of `cargo xtask bench-peers` (see common.py for the rules).

Qulacs' RX/RY/RZ gates rotate by exp(+i angle P / 2), the opposite sign of Qiskit, PennyLane and
qsim-core; the fixed-angle circuits use RotX/RotY/RotZ (the usual exp(-i angle P / 2)) and the
parametric circuit of the gradient gets negated angles, its gradient negated back.
"""

from importlib.metadata import version

import numpy as np
import qulacs
from qulacs import Observable, ParametricQuantumCircuit, QuantumCircuit, QuantumState

import common

SIMULATOR = "Qulacs"
QULACS = version("qulacs")


def staircase_circuit(num_qubits, layers, theta):
    """The staircase as a fixed-angle QuantumCircuit."""
    circuit = QuantumCircuit(num_qubits)
    for kind, a, b in common.staircase_ops(num_qubits, layers, theta):
        if kind == "ry":
            circuit.add_RotY_gate(a, b)
        elif kind == "rz":
            circuit.add_RotZ_gate(a, b)
        else:
            circuit.add_CNOT_gate(a, b)
    return circuit


def run_circuit(circuit, num_qubits):
    """A fresh |0...0> with `circuit` applied."""
    state = QuantumState(num_qubits)
    circuit.update_quantum_state(state)
    return state


def staircase(spec, layers):
    results = []
    for case in spec["cases"]:
        n = case["num_qubits"]
        common.progress(SIMULATOR, f"staircase, {n} qubits")
        circuit = staircase_circuit(n, layers, case["theta"])
        best, times, state = common.best_of(case["repeats"], lambda: run_circuit(circuit, n))
        results.append(common.measurement(
            "staircase", n, f"Qulacs {QULACS} (QuantumCircuit.update_quantum_state)", best, times,
            check=common.state_check(state.get_vector(), n)))
    return results


def adjoint(spec, layers):
    n = spec["num_qubits"]
    common.progress(SIMULATOR, f"gradient by backprop, {n} qubits")
    circuit = ParametricQuantumCircuit(n)
    for kind, a, b in common.staircase_ops(n, layers, spec["theta"]):
        if kind == "ry":
            circuit.add_parametric_RY_gate(a, -b)
        elif kind == "rz":
            circuit.add_parametric_RZ_gate(a, -b)
        else:
            circuit.add_CNOT_gate(a, b)
    observable = Observable(n)
    observable.add_operator(1.0, f"Z 0 Z {n - 1}")
    best, times, grad = common.best_of(spec["repeats"], lambda: circuit.backprop(observable))
    state = run_circuit(circuit, n)
    value = observable.get_expectation_value(state)
    check = {"value": float(value), "gradient": [-float(g) for g in grad]}
    return [common.measurement(
        "adjoint", n, f"Qulacs {QULACS} (ParametricQuantumCircuit.backprop)", best, times,
        note="reverse-mode sweep, includes its forward pass", check=check)]


def gates(spec):
    results = []
    angle = spec["angle"]
    for case in spec["cases"]:
        n, k = case["num_qubits"], case["applications"]
        kinds = [("gate_1q", qulacs.gate.RotX(n // 2, angle)),
                 ("gate_2q", qulacs.gate.CNOT(n // 2 - 1, n // 2))]
        for workload, gate in kinds:
            common.progress(SIMULATOR, f"{workload}, {n} qubits")
            state = QuantumState(n)

            def loop():
                for _ in range(k):
                    gate.update_quantum_state(state)

            best, times, _ = common.best_of(case["repeats"], loop, per=k)
            results.append(common.measurement(
                workload, n, f"Qulacs {QULACS} (gate.update_quantum_state)", best, times,
                note="one Python call per application"))
    return results


def batch(spec, layers):
    n = spec["num_qubits"]
    thetas = spec["thetas"]
    common.progress(SIMULATOR, f"batch of {len(thetas)} circuits, {n} qubits")
    circuits = [staircase_circuit(n, layers, theta) for theta in thetas]
    best, times, states = common.best_of(
        spec["repeats"], lambda: [run_circuit(c, n) for c in circuits])
    zz_sum = sum(common.zz_expectation(s.get_vector(), n) for s in states)
    return [common.measurement(
        "batch", n, f"Qulacs {QULACS} (Python loop of update_quantum_state)", best, times,
        note="pre-built fixed-angle circuits", check={"zz_sum": zz_sum, "count": len(states)})]


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
    common.write_report(args.output, SIMULATOR, {"qulacs": QULACS}, args.threads, results)


if __name__ == "__main__":
    main()
