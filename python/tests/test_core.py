"""The simulator bindings: Qiskit's reference states, adjoint gradients against finite
differences and the VJP identity, sampling statistics, shots, errors."""

import threading

import numpy as np
import pytest

import qdiff
from conftest import qasm_cases

REFERENCES = qasm_cases("qasm-reference", "case*.qasm") + qasm_cases("qasm-dumps", "dump*.qasm")


@pytest.mark.parametrize("name,text,n,reference", REFERENCES, ids=[c[0] for c in REFERENCES])
def test_qasm_references_match_qiskit(name, text, n, reference):
    circuit = qdiff.Circuit.from_qasm(text)
    assert circuit.num_qubits == n
    state = qdiff.simulate(circuit)
    assert state.dtype == np.complex128 and state.shape == (2**n,)
    np.testing.assert_allclose(state, reference, atol=1e-10)


def layered(n, layers, rng):
    """A parameterised circuit with several gate kinds; parameters are theta[0..]."""
    c = qdiff.Circuit(n)
    k = 0
    for _ in range(layers):
        for q in range(n):
            for gate in ("rx", "ry", "rz"):
                c.gate(gate, [q], [0.0], vars=[k])
                k += 1
        for q in range(n - 1):
            c.gate("cx", [q, q + 1])
        c.gate("rzz", [0, n - 1], [0.0], vars=[k])
        c.gate("crx", [n - 1, 0], [0.0], vars=[k + 1])
        c.gate("u3", [1], [0.0, 0.3, 0.0], vars=[k + 2, -1, k + 3])
        k += 4
    theta = rng.uniform(-np.pi, np.pi, k)
    return c, theta


OBSERVABLES = [
    qdiff.PauliSum([(1.0, "Z0 Z3")]),
    qdiff.PauliSum([(0.5, "X1"), (-0.25, "Y2 Z0"), (2.0, "I")]),
    qdiff.PauliSum([(1.0, "XYZI")]),
]


def test_adjoint_jacobian_matches_central_differences():
    rng = np.random.default_rng(3)
    circuit, theta = layered(4, 2, rng)
    values, jac = qdiff.adjoint_jacobian(circuit, OBSERVABLES, theta)
    assert jac.shape == (len(OBSERVABLES), len(theta))
    np.testing.assert_allclose(values, qdiff.expectations(circuit, OBSERVABLES, theta), atol=1e-12)
    h = 1e-6
    for j in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        fd = (
            qdiff.expectations(circuit, OBSERVABLES, up)
            - qdiff.expectations(circuit, OBSERVABLES, down)
        ) / (2 * h)
        np.testing.assert_allclose(jac[:, j], fd, atol=1e-7)


def test_vjp_is_the_weighted_sum_of_jacobian_rows():
    rng = np.random.default_rng(4)
    circuit, theta = layered(5, 2, rng)
    initial = rng.normal(size=32) + 1j * rng.normal(size=32)
    initial /= np.linalg.norm(initial)
    dy = np.array([0.7, -1.3, 0.2])
    values, jac = qdiff.adjoint_jacobian(circuit, OBSERVABLES, theta, initial)
    values2, grad = qdiff.adjoint_vjp(circuit, OBSERVABLES, dy, theta, initial)
    np.testing.assert_allclose(values, values2, atol=1e-13)
    np.testing.assert_allclose(grad, dy @ jac, atol=1e-12)


def test_expectation_from_the_state_agrees_with_numpy():
    rng = np.random.default_rng(5)
    circuit, theta = layered(3, 1, rng)
    state = qdiff.simulate(circuit, theta)
    z = np.diag([1.0, -1.0])
    x = np.array([[0.0, 1.0], [1.0, 0.0]])
    # Qubit 0 is the least significant bit: the rightmost factor of the Kronecker product.
    z0x2 = np.kron(x, np.kron(np.eye(2), z))
    expected = np.vdot(state, z0x2 @ state).real
    assert abs(qdiff.PauliSum([(1.0, "Z0 X2")]).expectation(state) - expected) < 1e-13
    assert abs(qdiff.PauliSum([(1.0, "XIZ")]).expectation(state) - expected) < 1e-13


def test_marginal_probabilities_follow_the_qubit_order():
    c = qdiff.Circuit(3).gate("x", [2]).gate("h", [0])
    state = qdiff.simulate(c)
    np.testing.assert_allclose(qdiff.probabilities(state), np.abs(state) ** 2)
    # Marginal of (qubit 2, qubit 1): bit 0 is qubit 2, always 1; bit 1 is qubit 1, always 0.
    np.testing.assert_allclose(qdiff.probabilities(state, [2, 1]), [0, 1, 0, 0], atol=1e-15)


def test_samples_are_reproducible_and_follow_the_born_rule():
    c = qdiff.Circuit(2).gate("ry", [0], [2 * np.arcsin(np.sqrt(0.3))]).gate("cx", [0, 1])
    state = qdiff.simulate(c)
    a = qdiff.sample(state, 20_000, seed=11)
    b = qdiff.sample(state, 20_000, seed=11)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, qdiff.sample(state, 20_000, seed=12))
    assert set(np.unique(a)) <= {0, 3}
    # 0.3 +- 5 standard deviations of a binomial frequency over 20,000 shots.
    assert abs(np.mean(a == 3) - 0.3) < 5 * np.sqrt(0.3 * 0.7 / 20_000)


def test_shots_with_mid_circuit_measurement_and_reset():
    # Measure a |+> qubit into bit 0, reset it, flip it: bit 1 is always 1, bit 0 fair.
    c = qdiff.Circuit(1, 2).gate("h", [0]).measure(0, 0).reset(0).gate("x", [0]).measure(0, 1)
    shots = qdiff.run_shots(c, 4000, seed=2)
    assert np.all(shots & 2)
    assert abs(np.mean(shots & 1) - 0.5) < 5 * np.sqrt(0.25 / 4000)
    # Final measurements only: one simulation, bits land in the named classical bits.
    bell = qdiff.Circuit(2, 3).gate("h", [0]).gate("cx", [0, 1]).measure(0, 2).measure(1, 0)
    outcomes = qdiff.run_shots(bell, 4000, seed=2)
    assert set(np.unique(outcomes)) == {0, 5}


def test_lists_and_arrays_are_both_accepted():
    c = qdiff.Circuit(1).gate("ry", [0], [0.0], vars=[0])
    a = qdiff.simulate(c, [0.4])
    b = qdiff.simulate(c, np.array([0.4]))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(qdiff.simulate(c, [0.4], [0, 1]), [-np.sin(0.2), np.cos(0.2)])


def test_circuit_round_trips_through_qasm_and_inverse():
    rng = np.random.default_rng(6)
    circuit, theta = layered(3, 1, rng)
    bound = circuit.bind(theta)
    again = qdiff.Circuit.from_qasm(bound.to_qasm())
    np.testing.assert_allclose(qdiff.simulate(again), qdiff.simulate(circuit, theta), atol=1e-12)
    undone = qdiff.Circuit(3).append(bound).append(bound.inverse())
    np.testing.assert_allclose(np.abs(qdiff.simulate(undone)[0]), 1.0, atol=1e-12)
    name, qubits, angles = circuit.operations()[0]
    assert (name, qubits, angles) == ("rx", [0], [(0, 1.0)])


def test_unitary_and_controlled_unitary():
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    c = qdiff.Circuit(2).unitary([0], h).unitary([1], h, controls=[0])
    expected = qdiff.simulate(qdiff.Circuit(2).gate("h", [0]).gate("ch", [0, 1]))
    np.testing.assert_allclose(qdiff.simulate(c), expected, atol=1e-14)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: qdiff.Circuit(2).gate("nope", [0]), "unknown gate"),
        (lambda: qdiff.Circuit(2).gate("cx", [0, 0]), "more than once"),
        (lambda: qdiff.Circuit(2).gate("h", [5]), "out of range"),
        (lambda: qdiff.Circuit(2).gate("rx", [0], [1.0, 2.0]), "parameter"),
        (lambda: qdiff.Circuit(1).gate("rx", [0], [0.0], vars=[-3]), "vars"),
        (lambda: qdiff.Circuit(1).unitary([0], np.eye(3)), "power-of-two"),
        (lambda: qdiff.Circuit.from_qasm("OPENQASM 2.0; qreg q[1]; foo q[0];"), "line 1.*foo"),
        (lambda: qdiff.PauliSum([(1.0, "Q0")]), "Pauli"),
        (lambda: qdiff.simulate(qdiff.Circuit(1), None, [1.0, 1.0]), "norm"),
        (lambda: qdiff.simulate(qdiff.Circuit(1).gate("rx", [0], [0.0], vars=[2])), "parameter"),
        (lambda: qdiff.adjoint_vjp(qdiff.Circuit(1), OBSERVABLES[:1], [1.0, 2.0], []), "dy"),
        (lambda: qdiff.simulate(qdiff.Circuit(1, 1).measure(0, 0)), "measure"),
    ],
)
def test_bad_input_raises_qdiff_error(make, message):
    with pytest.raises(qdiff.QdiffError, match=message):
        make()
    assert issubclass(qdiff.QdiffError, ValueError)


def test_the_gil_is_released_during_simulation():
    """Two Python threads simulate at once; each gets the single-threaded answer."""
    rng = np.random.default_rng(7)
    circuit, theta = layered(12, 3, rng)
    expected = qdiff.simulate(circuit, theta)
    results = [None, None]

    def work(i):
        results[i] = qdiff.simulate(circuit, theta)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, expected)


def test_identity_terms_round_trip():
    obs = qdiff.PauliSum([(2.0, ""), (1.0, "I"), (0.5, "Z1")])
    assert obs.terms() == [(2.0, "I"), (1.0, "I"), (0.5, "Z1")]
    again = qdiff.PauliSum(obs.terms())
    state = qdiff.simulate(qdiff.Circuit(2).gate("x", [1]))
    assert abs(again.expectation(state) - 2.5) < 1e-15


def test_strided_arrays_are_read_correctly():
    """A non-contiguous view (a matrix column, every other entry) is copied, not misread."""
    rng = np.random.default_rng(8)
    matrix = rng.normal(size=(8, 3)) + 1j * rng.normal(size=(8, 3))
    matrix[:, 1] /= np.linalg.norm(matrix[:, 1])
    column = matrix[:, 1]
    assert not column.flags.c_contiguous
    obs = qdiff.PauliSum([(1.0, "Z0 X2")])
    assert abs(obs.expectation(column) - obs.expectation(column.copy())) < 1e-15
    np.testing.assert_array_equal(qdiff.probabilities(column), qdiff.probabilities(column.copy()))
    c = qdiff.Circuit(3).gate("ry", [1], [0.0], vars=[0])
    theta = np.array([0.1, 9.0, 0.2, 9.0])[::2]
    np.testing.assert_array_equal(qdiff.simulate(c, theta[:1], column),
                                  qdiff.simulate(c, [0.1], column.copy()))


def test_type_stubs_cover_the_native_module():
    """Every public name of `qdiff._native`, and every public method of its classes, has a
    stub in the installed `_native.pyi`, and the stubs name nothing the module lacks."""
    import ast
    import inspect
    import pathlib

    import qdiff._native as native

    stub_file = pathlib.Path(qdiff.__file__).parent / "_native.pyi"
    stubs = {}
    for node in ast.parse(stub_file.read_text()).body:
        if isinstance(node, ast.ClassDef):
            stubs[node.name] = {b.name for b in node.body if isinstance(b, ast.FunctionDef)}
        elif isinstance(node, ast.FunctionDef):
            stubs[node.name] = None
        elif isinstance(node, ast.AnnAssign):
            stubs[node.target.id] = None
        elif isinstance(node, ast.Assign):
            stubs[node.targets[0].id] = None
    public = {name for name in dir(native) if not name.startswith("_")}
    assert public <= set(stubs), f"no stub for {sorted(public - set(stubs))}"
    helpers = {name for name in stubs if name.startswith("_") or name == "Angle"}
    assert set(stubs) - helpers <= public, f"stubs without a binding: {set(stubs) - helpers - public}"
    for name in public:
        cls = getattr(native, name)
        if inspect.isclass(cls) and not issubclass(cls, Exception):
            methods = {m for m in vars(cls) if not m.startswith("_")}
            assert methods <= stubs[name], f"{name}: no stub for {sorted(methods - stubs[name])}"
