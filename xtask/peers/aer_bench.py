"""Times Qiskit Aer on one workload of `cargo xtask bench-peers` (see common.py for the rules).

Circuits are built and transpiled (optimization_level=0, so the gates stay as written) before the
clock starts; the timed region is `simulator.run(circuits).result()`. The batch is timed both
as a list of bound circuits and as one parameterised circuit with `parameter_binds` (Aer's own
sweep, several times faster). Aer also reports its own
time per experiment (`result.results[i].time_taken`, C++ only, without Qiskit's Python layers):
shown as a reference row. Aer has no adjoint gradient, so it sits out that workload.

Aer cannot keep a state between calls, so single gates are timed as circuits of k copies of the
gate with fusion disabled, minus the same circuit without the gates, divided by k, all from
Aer's own reported time (the Python-side conversion of k instructions is not gate work).
"""

from importlib.metadata import version

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import ParameterVector
from qiskit_aer import AerSimulator

import common

SIMULATOR = "Qiskit Aer"
AER = version("qiskit-aer")
QISKIT = version("qiskit")


def staircase_circuit(num_qubits, layers, theta):
    """The staircase with a final save_statevector."""
    circuit = QuantumCircuit(num_qubits)
    for kind, a, b in common.staircase_ops(num_qubits, layers, theta):
        if kind == "ry":
            circuit.ry(b, a)
        elif kind == "rz":
            circuit.rz(b, a)
        else:
            circuit.cx(a, b)
    circuit.save_statevector()
    return circuit


def prepare(circuit, simulator):
    """Transpiles without optimisation and checks the gates are unchanged."""
    compiled = transpile(circuit, simulator, optimization_level=0)
    if dict(compiled.count_ops()) != dict(circuit.count_ops()):
        raise SystemExit(f"transpile changed the circuit: {circuit.count_ops()} -> "
                         f"{compiled.count_ops()}")
    return compiled


def statevector_simulator(threads, **options):
    return AerSimulator(method="statevector", precision="double",
                        max_parallel_threads=threads, **options)


def run(simulator, circuits):
    """The timed call: run and wait for the result."""
    return simulator.run(circuits).result()


def reported(results, index=0):
    """Aer's own time for experiment `index` of a result."""
    return float(results.results[index].time_taken)


def staircase(spec, layers, threads):
    simulator = statevector_simulator(threads)
    results = []
    for case in spec["cases"]:
        n = case["num_qubits"]
        common.progress(SIMULATOR, f"staircase, {n} qubits")
        circuit = prepare(staircase_circuit(n, layers, case["theta"]), simulator)
        reports = []

        def work():
            result = run(simulator, circuit)
            reports.append(reported(result))
            return result

        best, times, result = common.best_of(case["repeats"], work)
        check = common.state_check(np.asarray(result.get_statevector()), n)
        own = reports[1:]  # the warm-up run is excluded here too
        results.append(common.measurement(
            "staircase", n, f"Qiskit Aer {AER} (run().result())", best, times, check=check))
        results.append(common.measurement(
            "staircase", n, f"Qiskit Aer {AER} (own time_taken)", min(own), own,
            note="Aer's C++ time, without Qiskit's Python layers", reference_only=True))
    return results


def gates(spec, threads):
    simulator = statevector_simulator(threads, fusion_enable=False)
    angle = spec["angle"]
    results = []
    for case in spec["cases"]:
        n, k, repeats = case["num_qubits"], case["applications"], case["repeats"]
        baseline = QuantumCircuit(n)
        baseline.save_statevector()
        base = min(own_times(simulator, baseline, repeats))
        for workload in ("gate_1q", "gate_2q"):
            common.progress(SIMULATOR, f"{workload}, {n} qubits")
            circuit = QuantumCircuit(n)
            for _ in range(k):
                if workload == "gate_1q":
                    circuit.rx(angle, n // 2)
                else:
                    circuit.cx(n // 2 - 1, n // 2)
            circuit.save_statevector()
            circuit = prepare(circuit, simulator)
            per_gate = [(t - base) / k for t in own_times(simulator, circuit, repeats)]
            results.append(common.measurement(
                workload, n, f"Qiskit Aer {AER} (own time_taken, fusion off)", min(per_gate),
                per_gate, note="(Aer time of a circuit of k gates - of the empty circuit) / k"))
    return results


def own_times(simulator, circuit, repeats):
    """Aer's own times of `repeats` runs of `circuit` after one untimed warm-up run."""
    run(simulator, circuit)
    return [reported(run(simulator, circuit)) for _ in range(repeats)]


def batch(spec, layers, threads):
    # max_parallel_experiments=0: spread the experiments over the allowed threads.
    simulator = statevector_simulator(threads, max_parallel_experiments=0)
    n = spec["num_qubits"]
    thetas = spec["thetas"]
    results = []

    common.progress(SIMULATOR, f"batch of {len(thetas)} bound circuits, {n} qubits")
    circuits = [prepare(staircase_circuit(n, layers, theta), simulator) for theta in thetas]
    best, times, result = common.best_of(spec["repeats"], lambda: run(simulator, circuits))
    results.append(common.measurement(
        "batch", n, f"Qiskit Aer {AER} (one run() of {len(circuits)} bound circuits)", best,
        times, note="max_parallel_experiments=0", check=batch_check(result, len(circuits), n)))
    del circuits, result

    # Aer's own sweep: one parameterised circuit, the angles bound inside Aer.
    common.progress(SIMULATOR, f"batch of {len(thetas)} parameter bindings, {n} qubits")
    parameters = ParameterVector("theta", 2 * n * layers)
    circuit = prepare(staircase_circuit(n, layers, list(parameters)), simulator)
    binds = [{p: [theta[i] for theta in thetas] for i, p in enumerate(parameters)}]
    best, times, result = common.best_of(
        spec["repeats"], lambda: simulator.run([circuit], parameter_binds=binds).result())
    results.append(common.measurement(
        "batch", n, f"Qiskit Aer {AER} (one run() with parameter_binds)", best, times,
        note="max_parallel_experiments=0", check=batch_check(result, len(thetas), n)))
    return results


def batch_check(result, count, num_qubits):
    """Sum of <Z_0 Z_{n-1}> over the batch's statevectors."""
    zz_sum = sum(common.zz_expectation(np.asarray(result.get_statevector(i)), num_qubits)
                 for i in range(count))
    return {"zz_sum": zz_sum, "count": count}


def main():
    args = common.parse_args(__doc__)
    spec, layers = common.load_workload(args.workload, args.only)
    if args.only == "staircase":
        results = staircase(spec, layers, args.threads)
    elif args.only == "gates":
        results = gates(spec, args.threads)
    elif args.only == "batch":
        results = batch(spec, layers, args.threads)
    else:
        results = []
        common.progress(SIMULATOR, "no adjoint gradient in Aer; skipped")
    common.write_report(args.output, SIMULATOR, {"qiskit-aer": AER, "qiskit": QISKIT},
                        args.threads, results)


if __name__ == "__main__":
    main()
