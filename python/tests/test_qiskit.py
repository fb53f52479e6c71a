"""qdiff.qiskit: the V2 primitives against Qiskit's reference primitives and Aer, the circuit
conversion against Qiskit's statevectors, and readout mitigation against mthree's answers.

Statistical tests use fixed seeds (so they are deterministic) and a two-sided significance of
1e-4: with fresh seeds a correct implementation would fail each of them 1 time in 10,000.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm2
from qiskit.circuit import Gate, Parameter, ParameterVector
from qiskit.circuit.library import C3SXGate, C4XGate, RC3XGate, UnitaryGate, XXPlusYYGate
from qiskit.primitives import StatevectorEstimator, StatevectorSampler
from qiskit.quantum_info import SparsePauliOp, Statevector, random_statevector, random_unitary
from scipy import stats

import qdiff
from qdiff.qiskit import (
    Estimator,
    ReadoutMitigation,
    Sampler,
    calibration_circuits,
    calibration_strings,
    convert,
    statevector,
    to_pauli_sum,
)

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"
SIGNIFICANCE = 1e-4
QASM_CASES = sorted((TESTDATA / "qasm-reference").glob("*.qasm")) + sorted(
    (TESTDATA / "qasm-dumps").glob("*.qasm")
)
REM_CASES = sorted((TESTDATA / "rem-reference").glob("*.json"))


def load_case(path: Path) -> tuple[QuantumCircuit, np.ndarray]:
    circuit = qasm2.loads(path.read_text(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    ref = json.loads(path.with_suffix(".json").read_text())
    amps = np.array([complex(re, im) for re, im in ref["amplitudes"]])
    assert ref["num_qubits"] == circuit.num_qubits
    return circuit, amps


def test_reference_sets_are_complete():
    assert len(QASM_CASES) == 80
    assert len(REM_CASES) == 20


# --- circuit conversion and the Estimator on the 80 reference circuits -------------------------


@pytest.mark.parametrize("path", QASM_CASES, ids=lambda p: p.stem)
def test_direct_conversion_matches_qiskit_statevector(path):
    circuit, amps = load_case(path)
    state = statevector(circuit)
    assert state.shape == amps.shape
    assert np.max(np.abs(state - amps)) < 1e-10


def random_observables(num_qubits: int, rng: np.random.Generator) -> list[SparsePauliOp]:
    labels = ["".join(rng.choice(list("IXYZ"), num_qubits)) for _ in range(6)]
    return [
        SparsePauliOp("Z" * num_qubits),
        SparsePauliOp(labels[:3], rng.normal(size=3)),
        SparsePauliOp(labels[3:], rng.normal(size=3)),
    ]


def test_estimator_matches_statevector_estimator_on_reference_circuits():
    rng = np.random.default_rng(2026)
    pubs = []
    for path in QASM_CASES:
        circuit, _ = load_case(path)
        pubs.append((circuit, random_observables(circuit.num_qubits, rng)))
    ours = Estimator().run(pubs).result()
    theirs = StatevectorEstimator().run(pubs).result()
    assert len(ours) == len(theirs) == 80
    for a, b in zip(ours, theirs):
        assert a.data.evs.shape == b.data.evs.shape == (3,)
        assert np.max(np.abs(a.data.evs - b.data.evs)) < 1e-10
        assert np.all(a.data.stds == 0)
        assert a.metadata == b.metadata


# --- Estimator: parameters, broadcasting, precision --------------------------------------------


def parameterised_circuit() -> QuantumCircuit:
    a, b = Parameter("a"), Parameter("b")
    v = ParameterVector("v", 2)
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(a, 0)
    qc.rz(2 * b + 0.3, 1)  # affine expression: vectorised
    qc.rx(a * b, 2)  # nonlinear expression: evaluated per binding
    qc.crx(v[0], 2, 0)
    qc.rzz(v[1] - a, 0, 2)
    qc.u(v[0], b, 0.2, 1)
    qc.global_phase = a  # invisible to expectation values, checked by statevector()
    return qc


def test_estimator_broadcasting_matches_statevector_estimator():
    qc = parameterised_circuit()
    rng = np.random.default_rng(7)
    obs = [
        [SparsePauliOp(["XXI", "IYZ"], [0.5, -0.25])],
        [SparsePauliOp("ZZZ")],
        [SparsePauliOp.from_list([("III", 1.0), ("XIX", 2.0)])],
    ]
    for values in (
        rng.uniform(-3, 3, size=(4, 4)),  # (3, 1) x (4,) -> (3, 4)
        rng.uniform(-3, 3, size=(2, 1, 1, 4)),  # (3, 1) x (2, 1, 1) -> (2, 3, 1)
        rng.uniform(-3, 3, size=4),  # (3, 1) x () -> (3, 1)
    ):
        pub = (qc, obs, values)
        ours = Estimator().run([pub]).result()[0]
        theirs = StatevectorEstimator().run([pub]).result()[0]
        assert ours.data.evs.shape == theirs.data.evs.shape
        assert ours.data.stds.shape == theirs.data.stds.shape
        assert np.max(np.abs(ours.data.evs - theirs.data.evs)) < 1e-10


def test_estimator_parameter_dict_and_several_pubs():
    qc = parameterised_circuit()
    # Parameter values as a dict {parameter: values}, and as an array; two PUBs in one run.
    values = {p: np.linspace(-1, 1, 5) * (i + 1) for i, p in enumerate(qc.parameters)}
    array = np.array([values[p][:2] for p in qc.parameters]).T
    pubs = [(qc, "ZIX", values), (qc, [["IIZ"], ["XYZ"]], array)]
    ours = Estimator().run(pubs).result()
    theirs = StatevectorEstimator().run(pubs).result()
    for a, b in zip(ours, theirs):
        assert a.data.evs.shape == b.data.evs.shape
        assert np.max(np.abs(a.data.evs - b.data.evs)) < 1e-10
    assert ours[0].data.evs.shape == (5,) and ours[1].data.evs.shape == (2, 2)


def test_parameterised_circuit_is_converted_once_with_symbolic_angles():
    conv = convert(parameterised_circuit())
    # a, b, v[0], v[1], then one entry per expression: 2*b + 0.3, a*b, v[1] - a.
    assert [p.name for p in conv.parameters] == ["a", "b", "v[0]", "v[1]"]
    assert len(conv.expressions) == 3 and conv.circuit.num_params == 7
    values = np.array([[0.5, -1.0, 0.1, 0.2], [1.0, 2.0, 0.0, 0.0]])
    theta = conv.thetas(values)
    assert theta.shape == (2, 7)
    assert np.allclose(theta[:, 4:], [[-1.7, -0.5, -0.3], [4.3, 2.0, -1.0]])


def test_global_phase_and_parameters_in_statevector():
    qc = parameterised_circuit()
    values = [0.3, -1.1, 0.7, 2.0]  # circuit.parameters order: a, b, v[0], v[1]
    expected = Statevector(qc.assign_parameters(values)).data
    assert np.max(np.abs(statevector(qc, values) - expected)) < 1e-12


def test_estimator_precision_adds_the_noise_statevector_estimator_adds():
    qc = parameterised_circuit()
    pub = (qc, [["ZZZ"], ["XIX"]], np.random.default_rng(3).uniform(-2, 2, size=(6, 4)))
    ours = Estimator(seed=11).run([pub], precision=0.05).result()[0]
    theirs = StatevectorEstimator(seed=11).run([pub], precision=0.05).result()[0]
    exact = Estimator().run([pub]).result()[0]
    assert ours.metadata["target_precision"] == 0.05
    assert np.max(np.abs(ours.data.evs - theirs.data.evs)) < 1e-10
    assert np.all(ours.data.stds == 0.05)
    assert np.any(np.abs(ours.data.evs - exact.data.evs) > 1e-3)
    again = Estimator(seed=11).run([pub], precision=0.05).result()[0]
    assert np.array_equal(again.data.evs, ours.data.evs)


# --- Sampler -----------------------------------------------------------------------------------


def two_sample_p_value(a: dict, b: dict) -> float:
    """Chi-squared test that two samples come from the same distribution."""
    keys = sorted(set(a) | set(b))
    table = np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]])
    if len(keys) == 1:
        return 1.0
    return stats.chi2_contingency(table)[1]


def joint_counts(data, names, index=None) -> dict:
    """Counts of the concatenated registers (first name leftmost) of binding ``index``."""
    columns = [getattr(data, n).get_bitstrings(index) for n in names]
    out: dict = {}
    for parts in zip(*columns):
        key = " ".join(parts)
        out[key] = out.get(key, 0) + 1
    return out


def registers_circuit():
    a = Parameter("a")
    qr = QuantumRegister(4)
    alpha = ClassicalRegister(2, "alpha")
    beta = ClassicalRegister(1, "beta")
    gamma = ClassicalRegister(3, "gamma")
    qc = QuantumCircuit(qr, alpha, beta, gamma)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(a, 2)
    qc.cry(0.9, 2, 3)
    qc.measure([1, 0], alpha)  # alpha[0] <- q1
    qc.measure(2, beta[0])
    qc.measure([3, 0, 2], [gamma[0], gamma[2], gamma[1]])
    return qc


def test_sampler_matches_statevector_sampler_statistically():
    qc = registers_circuit()
    values = [[0.4], [2.2]]
    shots = 4000
    ours = Sampler(seed=123).run([(qc, values)], shots=shots).result()[0]
    theirs = StatevectorSampler(seed=123).run([(qc, values)], shots=shots).result()[0]
    assert ours.metadata == theirs.metadata == {"shots": shots, "circuit_metadata": {}}
    names = ["alpha", "beta", "gamma"]
    for name in names:
        a, b = getattr(ours.data, name), getattr(theirs.data, name)
        assert (a.shape, a.num_bits, a.num_shots) == (b.shape, b.num_bits, b.num_shots)
        assert a.array.dtype == np.uint8 and a.array.shape == b.array.shape
    for i, theta in enumerate([0.4, 2.2]):
        counts = joint_counts(ours.data, names, i)
        assert sum(counts.values()) == shots
        assert two_sample_p_value(counts, joint_counts(theirs.data, names, i)) > SIGNIFICANCE
        # One-sample test against the exact distribution of the four measured qubits.
        unitary_part = qc.remove_final_measurements(inplace=False).assign_parameters([theta])
        probs = Statevector(unitary_part).probabilities_dict()
        exact: dict = {}
        for bits, p in probs.items():
            q = bits[::-1]  # q[i] = value of qubit i
            # Bitstrings put a register's last bit left: alpha = q0 q1, beta = q2, gamma = q0 q2 q3.
            key = f"{q[0]}{q[1]} {q[2]} {q[0]}{q[2]}{q[3]}"
            exact[key] = exact.get(key, 0.0) + p
        keys = [k for k in exact if exact[k] > 1e-12]
        assert set(counts) <= set(keys)
        observed = np.array([counts.get(k, 0) for k in keys])
        expected = np.array([exact[k] for k in keys]) * shots
        expected *= observed.sum() / expected.sum()
        assert stats.chisquare(observed, expected).pvalue > SIGNIFICANCE


def test_sampler_seeds_are_reproducible_and_measure_all_works():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.rx(1.1, 2)
    qc.measure_all()
    first = Sampler(seed=5, default_shots=500).run([qc]).result()[0]
    second = Sampler(seed=5, default_shots=500).run([qc]).result()[0]
    other = Sampler(seed=6, default_shots=500).run([qc]).result()[0]
    assert np.array_equal(first.data.meas.array, second.data.meas.array)
    assert not np.array_equal(first.data.meas.array, other.data.meas.array)
    # Two PUBs of one call draw different shots.
    twice = Sampler(seed=5).run([qc, qc], shots=500).result()
    assert not np.array_equal(twice[0].data.meas.array, twice[1].data.meas.array)
    counts = first.data.meas.get_counts()
    assert sum(counts.values()) == 500 and first.data.meas.num_bits == 3
    assert all(k[1] == k[2] for k in counts)  # qubits 0 and 1 agree (Bell pair)
    theirs = StatevectorSampler(seed=5).run([qc], shots=500).result()[0].data.meas.get_counts()
    assert two_sample_p_value(counts, theirs) > SIGNIFICANCE


def test_mid_circuit_measurement_and_reset_match_aer():
    from qiskit_aer.primitives import SamplerV2 as AerSampler

    qr = QuantumRegister(3)
    mid, fin = ClassicalRegister(2, "mid"), ClassicalRegister(3, "fin")
    qc = QuantumCircuit(qr, mid, fin)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, mid[0])
    qc.reset(0)
    qc.ry(0.7, 0)
    qc.cx(1, 2)
    qc.measure(1, mid[1])
    qc.h(1)
    qc.cx(0, 1)
    qc.reset(2)
    qc.rx(1.9, 2)
    qc.measure([0, 1, 2], fin)
    shots = 4000
    ours = Sampler(seed=99).run([qc], shots=shots).result()[0]
    aer = AerSampler(seed=99).run([qc], shots=shots).result()[0]
    a, b = joint_counts(ours.data, ["mid", "fin"]), joint_counts(aer.data, ["mid", "fin"])
    assert sum(a.values()) == shots
    # mid[0] and mid[1] are the two halves of a Bell pair: always equal.
    assert all(k[0] == k[1] for k in a)
    assert two_sample_p_value(a, b) > SIGNIFICANCE
    # P(fin[2] = 1) = sin^2(1.9 / 2) after the reset of qubit 2, whatever came before.
    ones = sum(v for k, v in a.items() if k[3] == "1")
    p = np.sin(0.95) ** 2
    assert abs(ones / shots - p) < 4 * np.sqrt(p * (1 - p) / shots)


def test_unsupported_instructions_and_bad_observables_raise():
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    with pytest.raises(qdiff.QdiffError, match="if_else"):
        Sampler().run([qc]).result()
    opaque = QuantumCircuit(2)
    opaque.append(Gate("mystery", 2, []), [0, 1])
    with pytest.raises(qdiff.QdiffError, match="mystery"):
        Estimator().run([(opaque, "ZZ")]).result()
    with pytest.raises(qdiff.QdiffError, match="imaginary|non-Hermitian"):
        to_pauli_sum(SparsePauliOp(["XY", "ZZ"], [1.0, 0.5j]))
    # Qiskit's own PUB coercion already rejects them in the primitives.
    with pytest.raises(ValueError, match="Hermitian"):
        Estimator().run([(QuantumCircuit(2), SparsePauliOp("XY", 1j))])
    measured = QuantumCircuit(1, 1)
    measured.measure(0, 0)
    with pytest.raises(qdiff.QdiffError, match="unitary"):
        Estimator().run([(measured, "Z")]).result()


def test_gates_outside_qsim_run_by_matrix_or_definition():
    a = Parameter("a")
    # A user gate with a parameter expression and a global phase in its definition.
    sub = QuantumCircuit(2, global_phase=a / 2)
    sub.rx(3 * a, 0)
    sub.cp(a**2, 0, 1)
    qc = QuantumCircuit(5)
    qc.h([0, 1, 2, 3, 4])
    qc.append(sub.to_gate(label="mine"), [4, 1])
    qc.append(C4XGate(), [4, 0, 1, 2, 3])  # mcx, 4 controls: qsim's c4x
    qc.append(C3SXGate(), [1, 3, 0, 4])  # qsim's c3sqrtx
    qc.append(RC3XGate(), [2, 4, 3, 1])  # qsim's rc3x
    qc.append(UnitaryGate(random_unitary(4, seed=1)), [2, 0])
    qc.iswap(0, 3)
    qc.ecr(1, 2)
    qc.r(0.3, 1.2, 3)
    qc.append(XXPlusYYGate(a, 0.4), [0, 1])  # parameterised, not in qsim: by its definition
    qc.cx(2, 3, ctrl_state=0)
    qc.mcx([0, 1, 2], 3)
    qc.mcp(0.8, [0, 1, 2], 3)
    expected = Statevector(qc.assign_parameters([0.9])).data
    assert np.max(np.abs(statevector(qc, [0.9]) - expected)) < 1e-10


def test_initialize_on_fresh_qubits_keeps_the_estimator_exact():
    qc = QuantumCircuit(3)
    qc.initialize(random_statevector(4, seed=5).data, [2, 0])  # its resets act on |0>: dropped
    qc.h(1)
    qc.cx(0, 1)
    pub = (qc, [["XYZ"], ["ZIZ"]])
    ours = Estimator().run([pub]).result()[0].data.evs
    theirs = StatevectorEstimator().run([pub]).result()[0].data.evs
    assert np.max(np.abs(ours - theirs)) < 1e-10
    qc.reset(0)  # after a gate: a real reset, which the Estimator refuses
    with pytest.raises(qdiff.QdiffError, match="unitary"):
        Estimator().run([pub]).result()


def test_observable_conversion_orders_qubits_like_qiskit():
    terms = to_pauli_sum(SparsePauliOp(["XIZ", "IYI"], [0.5, -2.0])).terms()
    assert sorted(terms) == sorted([(0.5, "Z0 X2"), (-2.0, "Y1")])
    state = Statevector(np.ascontiguousarray(random_unitary(8, seed=3).data[:, 0]))
    op = SparsePauliOp(["XIZ", "YYI", "III"], [0.5, -2.0, 0.25])
    assert abs(to_pauli_sum(op).expectation(state.data) - state.expectation_value(op).real) < 1e-12


# --- readout mitigation ------------------------------------------------------------------------


def rem_case(path):
    case = json.loads(path.read_text())
    n = case["num_qubits"]
    mit = ReadoutMitigation().cals_from_matrices(case["confusion"])
    return case, n, mit


def test_m3_matches_mthree_on_the_reference_cases():
    worst = 0.0
    for path in REM_CASES:
        case, n, mit = rem_case(path)
        for method in ("direct", "iterative"):
            quasi = mit.apply_correction(case["counts"], list(range(n)), method=method)
            assert set(quasi) == set(case["m3_distance_n"]), path.name
            for key, expected in case["m3_distance_n"].items():
                worst = max(worst, abs(quasi[key] - expected))
            assert quasi.shots == case["shots"]
            assert abs(sum(quasi.values()) - 1) < 1e-9
    # mthree solves in single precision (the Rust test allows 1e-5; the worst case is 1.6e-7).
    assert worst < 1e-6, worst


def test_tensored_inverse_matches_the_reference_cases():
    for path in REM_CASES:
        case, n, mit = rem_case(path)
        quasi = mit.apply_correction(case["counts"], list(range(n)), method="tensored")
        assert len(quasi) == 2**n
        for key, expected in case["tensored_inverse"].items():
            assert abs(quasi[key] - expected) < 1e-12, (path.name, key)


def test_quasi_distribution_helpers():
    case, n, mit = rem_case(REM_CASES[0])
    quasi = mit.apply_correction(case["counts"], list(range(n)))
    probs = quasi.nearest_probability_distribution()
    assert all(v > 0 for v in probs.values()) and abs(sum(probs.values()) - 1) < 1e-12
    assert set(probs) <= set(quasi)
    # expval: "" is Z on every bit; projectors and identities too.
    z_all = sum(v * (-1) ** k.count("1") for k, v in quasi.items())
    assert abs(quasi.expval() - z_all) < 1e-12
    op = "Z" + "I" * (n - 2) + "1"
    manual = sum(v * (-1) ** int(k[0]) for k, v in quasi.items() if k[-1] == "1")
    assert abs(quasi.expval(op) - manual) < 1e-12
    assert np.allclose(quasi.expval(["", op]), [z_all, manual])
    assert abs(quasi.expval({"": 2.0, op: -1.0}) - (2 * z_all - manual)) < 1e-12
    # The Rust shortcut for parities equals the tensored inverse's parity.
    model = mit.model(list(range(n)))
    tensored = mit.apply_correction(case["counts"], list(range(n)), method="tensored")
    assert abs(model.mitigated_parity(case["counts"], list(range(n))) - tensored.expval()) < 1e-12
    with pytest.raises(qdiff.QdiffError, match="letters"):
        quasi.expval("ZZ")


def test_subset_of_qubits_uses_their_matrices():
    mats = [[[0.9, 0.2], [0.1, 0.8]], [[0.97, 0.05], [0.03, 0.95]], [[0.8, 0.1], [0.2, 0.9]]]
    mit = ReadoutMitigation().cals_from_matrices(mats)
    counts = {"00": 50, "01": 400, "10": 100, "11": 450}
    on_20 = mit.apply_correction(counts, [2, 0], method="tensored")
    direct = ReadoutMitigation().cals_from_matrices([mats[2], mats[0]]).apply_correction(
        counts, [0, 1], method="tensored"
    )
    assert on_20 == pytest.approx(direct, abs=1e-14)
    assert mit.readout_fidelity([0, 2]) == pytest.approx([0.85, 0.85])


def apply_readout_noise(bitstrings, confusions, rng):
    """Flips bit l (counted from the right) of each shot with the confusion of qubit l."""
    bits = np.array([[int(c) for c in s[::-1]] for s in bitstrings])
    flipped = bits.copy()
    for l, m in enumerate(confusions):
        p_flip = np.where(bits[:, l] == 0, m[1][0], m[0][1])
        flipped[:, l] ^= rng.random(len(bits)) < p_flip
    out: dict = {}
    for row in flipped:
        key = "".join(str(b) for b in row[::-1])
        out[key] = out.get(key, 0) + 1
    return out


@pytest.mark.parametrize("method", ["balanced", "independent", "marginal"])
def test_calibration_from_counts_recovers_known_confusions(method):
    qubits = [3, 0, 4, 1, 2]
    truth = [[[1 - e0, e1], [e0, 1 - e1]] for e0, e1 in
             [(0.02, 0.07), (0.05, 0.03), (0.01, 0.12), (0.08, 0.08), (0.0, 0.04)]]
    shots = 4000
    circuits = calibration_circuits(qubits, method)
    assert len(circuits) == len(calibration_strings(len(qubits), method))
    result = Sampler(seed=17).run(circuits, shots=shots).result()
    rng = np.random.default_rng(17)
    counts = []
    for pub in result:
        counts.append(apply_readout_noise(pub.data.c.get_bitstrings(), truth, rng))
    mit = ReadoutMitigation().cals_from_counts(counts, qubits, method)
    per_state = shots * len(circuits) // 2 if method != "independent" else shots
    for l, q in enumerate(qubits):
        got = mit.single_qubit_cals[q]
        for col in range(2):
            p = truth[l][1 - col][col]  # the flip probability of prepared bit `col`
            sigma = max(np.sqrt(p * (1 - p) / per_state), 1 / per_state)
            assert abs(got[1 - col][col] - p) < 5 * sigma, (method, q, col, got)


def test_calibration_on_aer_with_readout_errors():
    from qiskit_aer.noise import NoiseModel, ReadoutError
    from qiskit_aer.primitives import SamplerV2 as AerSampler

    flips = {0: (0.03, 0.08), 2: (0.06, 0.02)}
    noise = NoiseModel()
    for q, (p10, p01) in flips.items():
        noise.add_readout_error(ReadoutError([[1 - p10, p10], [p01, 1 - p01]]), [q])
    aer = AerSampler(seed=4, options={"backend_options": {"noise_model": noise}})
    mit = ReadoutMitigation(aer).cals_from_system([0, 2], shots=20_000)
    for q, (p10, p01) in flips.items():
        m = mit.single_qubit_cals[q]
        assert abs(m[1][0] - p10) < 5 * np.sqrt(p10 / 40_000)
        assert abs(m[0][1] - p01) < 5 * np.sqrt(p01 / 40_000)
    # Mitigating a noisy Bell pair on qubits 0 and 2 brings <Z0 Z2> back near 1.
    bell = QuantumCircuit(3, 2)
    bell.h(0)
    bell.cx(0, 2)
    bell.measure([0, 2], [0, 1])
    counts = aer.run([bell], shots=20_000).result()[0].data.c.get_counts()
    raw = sum(v * (-1) ** k.count("1") for k, v in counts.items()) / 20_000
    quasi = mit.apply_correction(counts, [0, 2])
    assert raw < 0.9 and abs(quasi.expval() - 1) < 0.02


def test_mitigation_errors_are_clear():
    mit = ReadoutMitigation().cals_from_matrices([[[0.9, 0.1], [0.1, 0.9]]] * 2)
    with pytest.raises(qdiff.QdiffError, match="expected 2 bits"):
        mit.apply_correction({"001": 10}, [0, 1])
    with pytest.raises(qdiff.QdiffError, match="empty"):
        mit.apply_correction({}, [0, 1])
    with pytest.raises(qdiff.QdiffError, match="not calibrated"):
        mit.apply_correction({"01": 3}, [0, 5])
    with pytest.raises(qdiff.QdiffError, match="sum"):
        ReadoutMitigation().cals_from_matrices([[[0.9, 0.2], [0.2, 0.9]]])
    with pytest.raises(qdiff.QdiffError, match="2x2"):
        ReadoutMitigation().cals_from_matrices([np.eye(3)])
    with pytest.raises(qdiff.QdiffError, match="whole"):
        mit.apply_correction({"01": 2.5}, [0, 1])
    with pytest.raises(qdiff.QdiffError, match="circuits"):
        ReadoutMitigation().cals_from_counts([{"0": 5}], [0], "balanced")
    with pytest.raises(qdiff.QdiffError, match="prepared bit 0 in \\|1>"):
        qdiff._native.ReadoutModel.from_calibration(1, [("0", {"0": 10})])
    with pytest.raises(qdiff.QdiffError, match="method"):
        mit.apply_correction({"01": 3}, [0, 1], method="magic")
