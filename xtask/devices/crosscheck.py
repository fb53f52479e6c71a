"""Reference outcome distributions from Qiskit Aer for the shipped IBM device files, read by
crates/qhw-mitigation/tests/device_crosscheck.rs.

For each device, about ten circuits on physical qubits (a path of five qubits that avoids
faulty qubits and dropped couplers), written as OpenQASM 2 in the basis cx/sx/x/id/rz plus
reset and measure, and for each circuit:

* `aer`: the exact probabilities of the measured bits under NoiseModel.from_backend(fake
  backend) (density matrix, temperature 0) with the snapshot's asymmetric readout flips
  (prob_meas1_prep0, prob_meas0_prep1) applied analytically per bit. Aer applies readout error
  only when sampling, so save_probabilities (before the final measurements) gives the
  probabilities of the true bits, and the confusion is applied here.
* `aer_symmetric_readout`: the same with the readout from_backend itself uses on these
  BackendV2 fakes (the measure instruction's symmetric `error` for both flips).
* `aer_file_model`: Aer with a noise model rebuilt from our device file (depolarizing p then
  thermal relaxation per gate, couplers merged over directions, asymmetric readout): checks
  that both simulators run the same model to rounding.
* `aer_counts`: 20,000 shots sampled by Aer with the from_backend model and the asymmetric
  readout installed as Aer readout errors (seed fixed).

Usage: python crosscheck.py CALIBRATION_DIR OUT_DIR
"""

import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
from qiskit import QuantumCircuit, qasm2
from qiskit_aer import AerSimulator
from qiskit_aer.noise import (
    NoiseModel,
    ReadoutError,
    depolarizing_error,
    thermal_relaxation_error,
)
from qiskit_ibm_runtime import fake_provider

DEVICES = [("FakeKolkataV2", "ibm_kolkata_27q"), ("FakeWashingtonV2", "ibm_washington_127q")]
SHOTS = 20_000
SEED = 2024


def find_path(device, length):
    """A path of `length` qubits along couplers, avoiding faulty qubits (first found by a
    depth-first search from the lowest qubit index)."""
    faulty = set(device.get("faulty_qubits", []))
    adj = {}
    for c in device["couplers"]:
        a, b = c["qubits"]
        if a in faulty or b in faulty:
            continue
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)

    def extend(path):
        if len(path) == length:
            return path
        for nxt in sorted(adj.get(path[-1], [])):
            if nxt not in path:
                found = extend(path + [nxt])
                if found:
                    return found
        return None

    for start in sorted(adj):
        found = extend([start])
        if found:
            return found
    raise SystemExit("no path")


def h(qc, q):
    """A Hadamard in the basis: rz(pi/2) sx rz(pi/2)."""
    qc.rz(np.pi / 2, q)
    qc.sx(q)
    qc.rz(np.pi / 2, q)


def cases(n, path):
    """(name, circuit) pairs on physical qubits of an n-qubit device."""
    out = []
    a, b = path[0], path[1]

    qc = QuantumCircuit(n, 2)
    h(qc, a)
    qc.cx(a, b)
    qc.measure([a, b], [0, 1])
    out.append(("bell", qc))

    qc = QuantumCircuit(n, 2)
    h(qc, b)
    qc.cx(b, a)
    qc.measure([a, b], [0, 1])
    out.append(("bell_reversed", qc))

    qc = QuantumCircuit(n, 5)
    h(qc, path[2])
    for i, j in [(2, 1), (1, 0), (2, 3), (3, 4)]:
        qc.cx(path[i], path[j])
    qc.measure(path, range(5))
    out.append(("ghz5", qc))

    qc = QuantumCircuit(n, 4)
    h(qc, path[0])
    for i in range(3):
        qc.cx(path[i], path[i + 1])
    for i in reversed(range(3)):
        qc.cx(path[i], path[i + 1])
    qc.measure(path[:4], range(4))
    out.append(("ghz4_mirror", qc))

    rng = np.random.default_rng(7)
    for k, (width, layers) in enumerate([(4, 4), (5, 3), (5, 5)]):
        qubits = path[:width]
        qc = QuantumCircuit(n, width)
        for layer in range(layers):
            for q in qubits:
                kind = rng.integers(3)
                if kind == 0:
                    qc.sx(q)
                elif kind == 1:
                    qc.x(q)
                qc.rz(float(rng.uniform(-np.pi, np.pi)), q)
                qc.sx(q)
            for i in range(layer % 2, width - 1, 2):
                c, t = qubits[i], qubits[i + 1]
                if rng.integers(2):
                    c, t = t, c
                qc.cx(c, t)
        qc.measure(qubits, range(width))
        out.append((f"random_{k}", qc))

    qc = QuantumCircuit(n, 3)
    h(qc, path[1])
    qc.cx(path[1], path[0])
    qc.cx(path[1], path[2])
    qc.reset(path[1])
    qc.sx(path[1])
    qc.cx(path[1], path[2])
    qc.measure(path[:3], range(3))
    out.append(("mid_circuit_reset", qc))

    qc = QuantumCircuit(n, 2)
    qc.x(path[0])
    h(qc, path[1])
    for _ in range(60):
        qc.id(path[0])
        qc.id(path[1])
    h(qc, path[1])
    qc.measure(path[:2], range(2))
    out.append(("idle_id", qc))

    qc = QuantumCircuit(n, 1)
    qc.sx(path[3])
    for _ in range(40):
        qc.rz(0.3, path[3])
    qc.sx(path[3])
    qc.measure(path[3], 0)
    out.append(("virtual_z", qc))
    return out


def confusion_apply(probs, flips):
    """Applies per-bit readout flips [(P(1|0), P(0|1)), ...] (bit i = clbit i)."""
    k = len(flips)
    p = np.asarray(probs, dtype=float).reshape([2] * k)  # axis 0 is the highest bit
    for i, (p10, p01) in enumerate(flips):
        m = np.array([[1 - p10, p01], [p10, 1 - p01]])
        axis = k - 1 - i
        p = np.moveaxis(np.tensordot(m, p, axes=([1], [axis])), 0, axis)
    return p.reshape(-1)


def file_noise_model(device, basis):
    """An Aer noise model holding exactly the model of our device file."""
    nm = NoiseModel(basis_gates=basis)
    t1q_default = device["gate_time_1q_ns"]
    over = {tuple(o["qubits"]): o["time_ns"] for o in device.get("gate_time_overrides", [])}

    def relax(q, t_ns):
        r = device["qubits"][q]["relaxation"]
        return thermal_relaxation_error(r["t1_us"] * 1e3, r["t2_us"] * 1e3, t_ns)

    for q, cal in enumerate(device["qubits"]):
        t = over.get((q,), t1q_default)
        err = relax(q, t)
        if cal["gate_error_1q"] > 0:
            err = depolarizing_error(cal["gate_error_1q"], 1).compose(err)
        nm.add_quantum_error(err, ["sx", "x", "id"], [q])
        nm.add_readout_error(
            ReadoutError(
                [
                    [1 - cal["readout_p1_given_0"], cal["readout_p1_given_0"]],
                    [cal["readout_p0_given_1"], 1 - cal["readout_p0_given_1"]],
                ]
            ),
            [q],
        )
    for c in device["couplers"]:
        a, b = c["qubits"]
        t = over.get((a, b), over.get((b, a), device["gate_time_2q_ns"]))
        for x, y in [(a, b), (b, a)]:
            err = relax(x, t).expand(relax(y, t))
            if c["gate_error_2q"] > 0:
                err = depolarizing_error(c["gate_error_2q"], 2).compose(err)
            nm.add_quantum_error(err, "cx", [x, y])
    return nm


def exact(sim, qc):
    """Probabilities of the true measured bits (clbit order) before readout error."""
    measured = {}
    body = qc.copy_empty_like()
    for inst in qc.data:
        if inst.operation.name == "measure":
            measured[qc.find_bit(inst.clbits[0]).index] = qc.find_bit(inst.qubits[0]).index
        else:
            body.append(inst)
    qubits = [measured[i] for i in range(len(measured))]
    body.save_probabilities(qubits)
    return sim.run(body).result().data()["probabilities"], qubits


def main():
    calib, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for class_name, stem in DEVICES:
        backend = getattr(fake_provider, class_name)()
        props = backend.properties()
        device = json.loads((calib / f"{stem}.json").read_text())
        n = len(device["qubits"])
        basis = ["cx", "id", "rz", "sx", "x", "reset", "measure"]
        asym = [
            (props.qubit_property(q, "prob_meas1_prep0")[0], props.qubit_property(q, "prob_meas0_prep1")[0])
            for q in range(n)
        ]
        sym = [(backend.target["measure"][(q,)].error,) * 2 for q in range(n)]
        aer_model = NoiseModel.from_backend(backend)
        sampled_model = NoiseModel.from_backend(backend)
        for q, (p10, p01) in enumerate(asym):
            sampled_model.add_readout_error(
                ReadoutError([[1 - p10, p10], [p01, 1 - p01]]), [q], warnings=False
            )
        file_model = file_noise_model(device, basis)
        sim = AerSimulator(method="density_matrix", noise_model=aer_model)
        sim_file = AerSimulator(method="density_matrix", noise_model=file_model)
        sim_sampled = AerSimulator(method="density_matrix", noise_model=sampled_model)
        path = find_path(device, 5)
        records = []
        for name, qc in cases(n, path):
            probs, qubits = exact(sim, qc)
            file_probs, _ = exact(sim_file, qc)
            counts = sim_sampled.run(qc, shots=SHOTS, seed_simulator=SEED).result().get_counts()
            k = len(qubits)
            records.append(
                {
                    "name": name,
                    "qasm": qasm2.dumps(qc),
                    "measured_qubits": qubits,
                    "aer": confusion_apply(probs, [asym[q] for q in qubits]).tolist(),
                    "aer_symmetric_readout": confusion_apply(probs, [sym[q] for q in qubits]).tolist(),
                    "aer_file_model": confusion_apply(file_probs, [asym[q] for q in qubits]).tolist(),
                    "aer_counts": {str(int(key, 2)): v for key, v in counts.items()},
                    "shots": SHOTS,
                    "num_bits": k,
                }
            )
        doc = {
            "device": f"{stem}.json",
            "backend": class_name,
            "versions": {
                p: version(p) for p in ["qiskit", "qiskit-aer", "qiskit-ibm-runtime", "numpy"]
            },
            "seed": SEED,
            "path": path,
            "cases": records,
        }
        target = out / f"{stem}.json"
        target.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {target}: {len(records)} cases on qubits {path}")


if __name__ == "__main__":
    main()
