"""The PennyLane device ``qdiff.qubit`` against Qiskit's reference states and lightning.qubit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp
from pennylane.exceptions import DeviceError, QuantumFunctionError, WireError

import qdiff
from qdiff.pennylane import QdiffQubit

REFERENCE = Path(__file__).resolve().parents[2] / "testdata" / "qasm-reference"
CASES = sorted(p.stem for p in REFERENCE.glob("*.qasm"))
ATOL = 1e-10


# --------------------------------------------------------------------------- QASM references

# qsim (qelib1.inc) gate name -> PennyLane operation, for the gates of the reference circuits.
_QML = {
    "id": lambda w, p: qml.Identity(w),
    "x": lambda w, p: qml.X(w),
    "y": lambda w, p: qml.Y(w),
    "z": lambda w, p: qml.Z(w),
    "h": lambda w, p: qml.Hadamard(w),
    "s": lambda w, p: qml.S(w),
    "sdg": lambda w, p: qml.adjoint(qml.S(w)),
    "t": lambda w, p: qml.T(w),
    "tdg": lambda w, p: qml.adjoint(qml.T(w)),
    "sx": lambda w, p: qml.SX(w),
    "rx": lambda w, p: qml.RX(*p, w),
    "ry": lambda w, p: qml.RY(*p, w),
    "rz": lambda w, p: qml.RZ(*p, w),
    "p": lambda w, p: qml.PhaseShift(*p, w),
    "u1": lambda w, p: qml.U1(*p, w),
    "u2": lambda w, p: qml.U2(*p, w),
    "u3": lambda w, p: qml.U3(*p, w),
    "cx": lambda w, p: qml.CNOT(w),
    "cy": lambda w, p: qml.CY(w),
    "cz": lambda w, p: qml.CZ(w),
    "ch": lambda w, p: qml.CH(w),
    "swap": lambda w, p: qml.SWAP(w),
    "crx": lambda w, p: qml.CRX(*p, w),
    "cry": lambda w, p: qml.CRY(*p, w),
    "crz": lambda w, p: qml.CRZ(*p, w),
    "cp": lambda w, p: qml.ControlledPhaseShift(*p, w),
    "cu1": lambda w, p: qml.ControlledPhaseShift(*p, w),
    # Qiskit's cu3 is the controlled u3 with no extra phase: PennyLane decomposes C(U3).
    "cu3": lambda w, p: qml.ctrl(qml.U3(*p, w[1]), w[0]),
    "rxx": lambda w, p: qml.IsingXX(*p, w),
    "rzz": lambda w, p: qml.IsingZZ(*p, w),
    "ccx": lambda w, p: qml.Toffoli(w),
    "cswap": lambda w, p: qml.CSWAP(w),
}


def _reference(case):
    """The case's operations (qsim's parse of the QASM file) and Qiskit's amplitudes."""
    circuit = qdiff.Circuit.from_qasm((REFERENCE / f"{case}.qasm").read_text())
    data = json.loads((REFERENCE / f"{case}.json").read_text())
    amplitudes = np.array([complex(re, im) for re, im in data["amplitudes"]])
    return circuit.operations(), data["num_qubits"], amplitudes


def _apply(operations):
    """Queues the reference operations as PennyLane operations on wires ``0..n-1`` (wire ``i``
    is Qiskit's qubit ``i``)."""
    for name, qubits, params in operations:
        assert all(isinstance(p, float) for p in params), "reference angles are numbers"
        _QML[name](qubits if len(qubits) > 1 else qubits[0], params)


def test_reference_cases_present():
    """The 40 reference circuits are there, so the parametrised test below cannot pass empty."""
    assert len(CASES) == 40


@pytest.mark.parametrize("case", CASES)
def test_qasm_reference_state(case):
    """``qml.state()`` on qdiff.qubit equals Qiskit's statevector (global phase included).

    With device wires ``[n-1, ..., 0]`` PennyLane's big-endian order is Qiskit's little-endian
    one, so the amplitudes compare directly; with ``wires=n`` they compare after reversing the
    qubit axes."""
    operations, n, expected = _reference(case)

    def circuit():
        _apply(operations)
        return qml.state()

    direct = qml.QNode(circuit, qml.device("qdiff.qubit", wires=list(range(n))[::-1]))()
    np.testing.assert_allclose(direct, expected, atol=ATOL, rtol=0)
    natural = qml.QNode(circuit, qml.device("qdiff.qubit", wires=n))()
    reordered = natural.reshape([2] * n).transpose(list(range(n))[::-1]).reshape(-1)
    np.testing.assert_allclose(reordered, expected, atol=ATOL, rtol=0)


# --------------------------------------------------------------------------- wire order


def test_wire_labels_and_order_need_no_permutation():
    """Amplitudes, probabilities and samples follow PennyLane's order with labelled wires."""
    wires = ["a", 7, "c"]
    dev = qml.device("qdiff.qubit", wires=wires)

    @qml.qnode(dev)
    def circuit():
        qml.X("a")  # first wire: the most significant bit
        qml.RY(0.8, wires="c")
        return qml.state(), qml.probs(wires=["c", "a"]), qml.probs(wires=[7])

    state, probs_ca, probs_7 = circuit()
    expected = np.zeros(8, dtype=complex)
    expected[0b100], expected[0b101] = np.cos(0.4), np.sin(0.4)
    np.testing.assert_allclose(state, expected, atol=ATOL)
    np.testing.assert_allclose(probs_ca, [0, np.cos(0.4) ** 2, 0, np.sin(0.4) ** 2], atol=ATOL)
    np.testing.assert_allclose(probs_7, [1, 0], atol=ATOL)


# --------------------------------------------------------------------------- every native gate

_U2 = np.linalg.qr(np.random.default_rng(8).normal(size=(4, 4)) + 1j * np.eye(4))[0]
_U3 = np.linalg.qr(np.random.default_rng(9).normal(size=(8, 8)) + 1j * np.eye(8))[0]

# One instance of every operation qdiff.qubit runs natively, on wires of a 5-wire device.
NATIVE_OPS = [
    qml.Identity(1),
    qml.X(0),
    qml.Y(1),
    qml.Z(2),
    qml.Hadamard(3),
    qml.S(4),
    qml.T(0),
    qml.SX(1),
    qml.adjoint(qml.S(2)),
    qml.adjoint(qml.T(3)),
    qml.adjoint(qml.SX(4)),
    qml.RX(0.3, 0),
    qml.RY(-1.2, 1),
    qml.RZ(2.1, 2),
    qml.PhaseShift(0.7, 3),
    qml.U1(-0.4, 4),
    qml.U2(0.5, -1.3, 0),
    qml.U3(0.9, 1.7, -0.6, 1),
    qml.Rot(0.2, -0.8, 1.4, 2),
    qml.CNOT([3, 1]),
    qml.CY([0, 4]),
    qml.CZ([2, 0]),
    qml.CH([4, 2]),
    qml.SWAP([1, 3]),
    qml.CRX(0.4, [2, 4]),
    qml.CRY(-0.9, [4, 0]),
    qml.CRZ(1.3, [0, 3]),
    qml.CRot(0.3, 1.1, -0.5, [3, 2]),
    qml.ControlledPhaseShift(0.8, [1, 4]),
    qml.IsingXX(0.6, [0, 2]),
    qml.IsingYY(-0.7, [3, 4]),
    qml.IsingZZ(1.9, [1, 0]),
    qml.MultiRZ(0.45, [2]),
    qml.MultiRZ(-0.45, [4, 1]),
    qml.Toffoli([4, 0, 2]),
    qml.CSWAP([2, 4, 1]),
    qml.MultiControlledX(wires=[3, 0]),
    qml.MultiControlledX(wires=[1, 4, 3]),
    qml.MultiControlledX(wires=[0, 2, 4, 1]),
    qml.MultiControlledX(wires=[4, 3, 1, 0, 2]),
    qml.QubitUnitary(_U2, wires=[3, 0]),
    qml.QubitUnitary(_U3, wires=[1, 4, 2]),
    qml.ControlledQubitUnitary(_U2, wires=[2, 4, 0]),
    qml.GlobalPhase(0.37),
]


@pytest.mark.parametrize("op", NATIVE_OPS, ids=lambda op: op.name)
def test_every_native_gate(op):
    """Each native operation (wire order, matrix and phase) on a random 5-wire state equals
    ``default.qubit``, and is not decomposed on the way."""
    from qdiff.pennylane._translate import supports_operation

    assert supports_operation(op)
    rng = np.random.default_rng(len(op.name))
    vector = rng.normal(size=32) + 1j * rng.normal(size=32)
    vector /= np.linalg.norm(vector)

    def circuit():
        qml.StatePrep(vector, wires=range(5))
        qml.apply(op)
        return qml.state()

    ours, theirs = _pair(circuit, wires=5)
    theirs = qml.QNode(circuit, qml.device("default.qubit", wires=5))
    np.testing.assert_allclose(ours(), theirs(), atol=ATOL)


_TRAINABLE = [
    (qml.RX, [0]),
    (qml.RY, [1]),
    (qml.RZ, [2]),
    (qml.PhaseShift, [0]),
    (qml.U1, [1]),
    (qml.U2, [2]),
    (qml.U3, [0]),
    (qml.Rot, [1]),
    (qml.CRX, [0, 2]),
    (qml.CRY, [2, 1]),
    (qml.CRZ, [1, 0]),
    (qml.CRot, [2, 0]),
    (qml.ControlledPhaseShift, [0, 1]),
    (qml.IsingXX, [1, 2]),
    (qml.IsingYY, [0, 2]),
    (qml.IsingZZ, [2, 1]),
    (qml.MultiRZ, [1]),
    (qml.MultiRZ, [0, 2]),
    (qml.GlobalPhase, [0]),
]


@pytest.mark.parametrize("gate, wires", _TRAINABLE, ids=lambda g: getattr(g, "__name__", ""))
def test_adjoint_gradient_of_every_parametrised_gate(gate, wires):
    """The adjoint Jacobian of each natively differentiated gate (all its angles trainable,
    after a fixed random state) equals lightning's."""
    rng = np.random.default_rng(gate.num_params * 10 + len(wires))
    vector = rng.normal(size=8) + 1j * rng.normal(size=8)
    vector /= np.linalg.norm(vector)
    x = pnp.array(rng.uniform(-2, 2, gate.num_params), requires_grad=True)

    def circuit(x):
        qml.StatePrep(vector, wires=range(3))
        gate(*x, wires=wires)
        qml.CNOT(wires=[0, 1])
        qml.RX(0.4, wires=1)
        return qml.expval(qml.X(0) @ qml.Y(1) + 0.4 * qml.Z(2)), qml.expval(qml.Y(2))

    ours, theirs = _pair(circuit, wires=3, diff_method="adjoint")
    jac = qml.jacobian(lambda v: qml.math.stack(ours(v)))(x)
    ref = qml.jacobian(lambda v: qml.math.stack(theirs(v)))(x)
    assert jac.shape == (2, gate.num_params)
    np.testing.assert_allclose(jac, ref, atol=ATOL)
    if gate is not qml.GlobalPhase:
        assert np.abs(jac).max() > 1e-3  # a real test, not zeros against zeros


DECOMPOSED_OPS = [
    qml.IsingXY(0.7, [0, 3]),
    qml.ISWAP([2, 4]),
    qml.SISWAP([1, 0]),
    qml.ECR([3, 1]),
    qml.CCZ([4, 1, 2]),
    qml.PSWAP(0.4, [0, 2]),
    qml.MultiControlledX(wires=[0, 1, 2], control_values=[0, 1]),
    qml.ctrl(qml.RX(0.8, 3), control=[0, 4], control_values=[1, 0]),
    qml.PauliRot(0.9, "XYZ", wires=[1, 3, 4]),
    qml.MultiRZ(-0.3, wires=[0, 1, 2, 3]),
    qml.SingleExcitation(0.5, [1, 2]),
    qml.DoubleExcitation(0.6, [0, 1, 3, 4]),
    qml.DiagonalQubitUnitary(np.exp(1j * np.arange(4.0)), wires=[4, 0]),
    qml.adjoint(qml.RX(0.3, 2)),
    qml.adjoint(qml.U3(0.1, 0.2, 0.3, 1)),
    qml.pow(qml.T(0), 3),
    qml.QFT(wires=[4, 2, 0]),
    qml.GroverOperator(wires=[0, 1, 3]),
]


@pytest.mark.parametrize("op", DECOMPOSED_OPS, ids=lambda op: op.name)
def test_decomposed_operations(op):
    """Operations qdiff.qubit does not run natively are decomposed by PennyLane, exactly."""
    from qdiff.pennylane._translate import supports_operation

    assert not supports_operation(op)
    rng = np.random.default_rng(3)
    vector = rng.normal(size=32) + 1j * rng.normal(size=32)
    vector /= np.linalg.norm(vector)

    def circuit():
        qml.StatePrep(vector, wires=range(5))
        qml.apply(op)
        return qml.state()

    ours = qml.QNode(circuit, qml.device("qdiff.qubit", wires=5))
    theirs = qml.QNode(circuit, qml.device("default.qubit", wires=5))
    np.testing.assert_allclose(ours(), theirs(), atol=ATOL)


def test_basis_state_input():
    """A leading ``BasisState`` on some wires is the initial state (the others stay |0>)."""

    def circuit(x):
        qml.BasisState(np.array([1, 0, 1]), wires=[3, 1, 0])
        qml.RY(x, wires=2)
        qml.CNOT(wires=[3, 2])
        return qml.state()

    ours = qml.QNode(circuit, qml.device("qdiff.qubit", wires=4))
    theirs = qml.QNode(circuit, qml.device("default.qubit", wires=4))
    np.testing.assert_allclose(ours(0.4), theirs(0.4), atol=ATOL)


# --------------------------------------------------------------------------- against lightning


def _layered(weights, wires):
    """A random-looking layered ansatz touching many gate kinds (native and decomposed)."""
    n = len(wires)
    for layer, w in enumerate(weights):
        for i in range(n):
            a, b = wires[i], wires[(i + 1) % n]
            kind = (layer + i) % 6
            if kind == 0:
                qml.Rot(w[i, 0], w[i, 1], w[i, 2], wires=a)
                qml.CRX(w[i, 3], wires=[a, b])
            elif kind == 1:
                qml.U3(w[i, 0], w[i, 1], w[i, 2], wires=a)
                qml.IsingXY(w[i, 3], wires=[a, b])
            elif kind == 2:
                qml.RX(w[i, 0], wires=a)
                qml.CRot(w[i, 1], w[i, 2], w[i, 3], wires=[a, b])
            elif kind == 3:
                qml.U2(w[i, 0], w[i, 1], wires=a)
                qml.IsingXX(w[i, 2], wires=[a, b])
                qml.PhaseShift(w[i, 3], wires=b)
            elif kind == 4:
                qml.RY(w[i, 0], wires=a)
                qml.IsingYY(w[i, 1], wires=[a, b])
                qml.ControlledPhaseShift(w[i, 2], wires=[b, a])
                qml.MultiRZ(w[i, 3], wires=[a, b])
            else:
                qml.RZ(w[i, 0], wires=a)
                qml.IsingZZ(w[i, 1], wires=[a, b])
                qml.CRY(w[i, 2], wires=[a, b])
                qml.CRZ(w[i, 3], wires=[b, a])
        qml.CNOT(wires=wires[:2])
        qml.CY(wires=wires[1:3])
        qml.CZ(wires=[wires[2], wires[0]])
        qml.CH(wires=wires[2:4])
        qml.Toffoli(wires=wires[:3])
        qml.CSWAP(wires=wires[1:4])
        qml.MultiControlledX(wires=wires[:4])
        qml.SWAP(wires=[wires[0], wires[3]])
        qml.S(wires[0]), qml.T(wires[1]), qml.SX(wires[2]), qml.Hadamard(wires[3])
        qml.adjoint(qml.S(wires[1])), qml.adjoint(qml.T(wires[2])), qml.adjoint(qml.SX(wires[0]))
        qml.PauliRot(0.37, "XYZ", wires=wires[:3])
        qml.ISWAP(wires=wires[2:4])


HAMILTONIAN = qml.Hamiltonian(
    [0.5, -1.2, 0.8, 0.3],
    [qml.Z(0) @ qml.Z(1), qml.X(2), qml.Y(1) @ qml.X(3), qml.Identity(0)],
)


def _weights(layers=3, n=4, seed=7):
    """Trainable weights of :func:`_layered`."""
    rng = np.random.default_rng(seed)
    return pnp.array(rng.uniform(-np.pi, np.pi, (layers, n, 4)), requires_grad=True)


def _pair(fn, wires=4, **kwargs):
    """The same QNode on qdiff.qubit and lightning.qubit."""
    ours = qml.QNode(fn, qml.device("qdiff.qubit", wires=wires), **kwargs)
    theirs = qml.QNode(fn, qml.device("lightning.qubit", wires=wires), **kwargs)
    return ours, theirs


def _hamiltonian_circuit(w):
    """The layered ansatz measured on :data:`HAMILTONIAN`."""
    _layered(w, [0, 1, 2, 3])
    return qml.expval(HAMILTONIAN)


def _multi_circuit(w):
    """The layered ansatz with three expectation values."""
    _layered(w, [0, 1, 2, 3])
    return qml.expval(qml.Z(0)), qml.expval(qml.X(1) @ qml.Y(2)), qml.expval(qml.Hadamard(3))


def test_hamiltonian_value_and_adjoint_gradient():
    """Expectation of a Hamiltonian and its adjoint gradient agree with lightning."""
    w = _weights()
    ours, theirs = _pair(_hamiltonian_circuit, diff_method="adjoint")
    np.testing.assert_allclose(ours(w), theirs(w), atol=ATOL)
    np.testing.assert_allclose(qml.grad(ours)(w), qml.grad(theirs)(w), atol=ATOL)


def test_multi_output_jacobian():
    """Jacobian of a QNode with several expectation values agrees with lightning."""
    w = _weights(layers=2, seed=3)
    ours, theirs = _pair(_multi_circuit, diff_method="adjoint")
    for a, b in zip(ours(w), theirs(w)):
        np.testing.assert_allclose(a, b, atol=ATOL)
    jac = qml.jacobian(lambda x: qml.math.stack(ours(x)))(w)
    ref = qml.jacobian(lambda x: qml.math.stack(theirs(x)))(w)
    assert jac.shape == (3, 2, 4, 4)
    np.testing.assert_allclose(jac, ref, atol=ATOL)


def test_device_vjp_matches_jacobian():
    """``device_vjp=True`` gives lightning's gradient for a scalar cost of several outputs."""
    w = _weights(layers=2, seed=11)
    ours, theirs = _pair(_multi_circuit, diff_method="adjoint", device_vjp=True)

    def cost(qnode):
        return lambda x: qnode(x)[0] - 2.0 * qnode(x)[1] + 0.5 * qnode(x)[2]

    dev = ours.device
    with dev.tracker:
        grad = qml.grad(cost(ours))(w)
    assert dev.tracker.totals.get("vjp_batches", 0) + dev.tracker.totals.get(
        "execute_and_vjp_batches", 0
    ) > 0
    np.testing.assert_allclose(grad, qml.grad(cost(theirs))(w), atol=ATOL)
    jac = qml.jacobian(lambda x: qml.math.stack(ours(x)))(w)
    ref = qml.jacobian(lambda x: qml.math.stack(theirs(x)))(w)
    np.testing.assert_allclose(jac, ref, atol=ATOL)


def test_mixed_measurements_and_parameter_shift():
    """Values of expval, var, probs and state together; parameter-shift gradients through the
    device equal its adjoint gradients."""
    w = _weights(layers=2, seed=5)

    def circuit(x):
        _layered(x, [0, 1, 2, 3])
        return (
            qml.expval(qml.Y(0) @ qml.Z(2)),
            qml.var(qml.X(1) + 0.5 * qml.Z(3)),
            qml.probs(wires=[3, 1]),
            qml.var(qml.Hermitian(np.array([[2.0, 1 - 1j], [1 + 1j, -1.0]]), wires=2)),
            qml.expval(qml.Projector([1, 0], wires=[0, 2])),
            qml.state(),
        )

    ours, theirs = _pair(circuit, diff_method=None)
    for a, b in zip(ours(w), theirs(w)):
        np.testing.assert_allclose(a, b, atol=ATOL)

    def energy(x):
        _layered(x, [0, 1, 2, 3])
        return qml.expval(qml.Y(0) @ qml.Z(2) - 0.3 * qml.X(1))

    dev = qml.device("qdiff.qubit", wires=4)
    w = _weights(layers=1, seed=9)
    shift = qml.grad(qml.QNode(energy, dev, diff_method="parameter-shift"))(w)
    adjoint = qml.grad(qml.QNode(energy, dev, diff_method="adjoint"))(w)
    np.testing.assert_allclose(shift, adjoint, atol=1e-9)


def test_state_prep_input_and_hermitian_gradient():
    """A ``StatePrep`` input (not trainable) and a Hermitian observable under the adjoint
    method."""
    rng = np.random.default_rng(2)
    vector = rng.normal(size=8) + 1j * rng.normal(size=8)
    vector /= np.linalg.norm(vector)
    matrix = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    matrix = matrix + matrix.conj().T

    def circuit(x):
        qml.StatePrep(vector, wires=[0, 1, 2])
        qml.RX(x[0], wires=0)
        qml.CRY(x[1], wires=[0, 2])
        qml.IsingXY(x[2], wires=[1, 2])
        return qml.expval(qml.Hermitian(matrix, wires=[2, 0])), qml.expval(qml.X(1))

    x = pnp.array([0.3, -1.1, 0.7], requires_grad=True)
    ours, theirs = _pair(circuit, wires=3, diff_method="adjoint")
    for a, b in zip(ours(x), theirs(x)):
        np.testing.assert_allclose(a, b, atol=ATOL)
    jac = qml.jacobian(lambda v: qml.math.stack(ours(v)))(x)
    ref = qml.jacobian(lambda v: qml.math.stack(theirs(v)))(x)
    np.testing.assert_allclose(jac, ref, atol=ATOL)


@pytest.mark.parametrize("template", ["strongly", "basic", "qft"])
def test_templates(template):
    """Templates decomposed by PennyLane: values and adjoint gradients match lightning."""

    def circuit(x):
        if template == "strongly":
            qml.StronglyEntanglingLayers(x, wires=range(4))
        elif template == "basic":
            qml.BasicEntanglerLayers(x, wires=range(4), rotation=qml.RY)
        else:
            qml.AngleEmbedding(x[0], wires=range(4))
            qml.QFT(wires=range(4))
            qml.BasicEntanglerLayers(x[1:], wires=range(4))
        return qml.expval(HAMILTONIAN)

    shape = (2, 4, 3) if template == "strongly" else (3, 4)
    x = pnp.array(np.random.default_rng(4).uniform(-2, 2, shape), requires_grad=True)
    ours, theirs = _pair(circuit, diff_method="adjoint")
    np.testing.assert_allclose(ours(x), theirs(x), atol=ATOL)
    np.testing.assert_allclose(qml.grad(ours)(x), qml.grad(theirs)(x), atol=ATOL)


def test_sparse_hamiltonian_broadcasting_and_free_wires():
    """A ``SparseHamiltonian`` (value and adjoint gradient), broadcast parameters, and a device
    without fixed wires (wires taken in order of appearance)."""
    hamiltonian = qml.Hamiltonian([0.4, -0.2, 0.7], [qml.Z(0) @ qml.X(1), qml.Y(1), qml.X(2)])
    sparse = qml.SparseHamiltonian(hamiltonian.sparse_matrix(wire_order=[0, 1, 2]), [0, 1, 2])

    def circuit(x):
        qml.RX(x, wires=0)
        qml.RY(2 * x, wires=1)
        qml.CNOT(wires=[0, 1])
        qml.CRX(-x, wires=[1, 2])
        return qml.expval(sparse)

    x = pnp.array(0.3, requires_grad=True)
    ours, theirs = _pair(circuit, wires=3, diff_method="adjoint")
    np.testing.assert_allclose(ours(x), theirs(x), atol=ATOL)
    np.testing.assert_allclose(qml.grad(ours)(x), qml.grad(theirs)(x), atol=ATOL)

    def broadcast(x):
        qml.RX(x, wires=0)
        qml.CNOT(wires=[0, 1])
        return qml.expval(qml.Z(1))

    xs = pnp.array([0.1, 0.2, 0.3], requires_grad=True)
    ours, _ = _pair(broadcast, wires=2, diff_method="adjoint")
    np.testing.assert_allclose(ours(xs), np.cos(xs), atol=ATOL)
    np.testing.assert_allclose(qml.jacobian(ours)(xs), np.diag(-np.sin(xs)), atol=ATOL)

    @qml.qnode(qml.device("qdiff.qubit"))
    def free():
        qml.RX(0.3, wires="b")
        qml.CNOT(wires=["b", "a"])
        return qml.state()

    np.testing.assert_allclose(free(), [np.cos(0.15), 0, 0, -1j * np.sin(0.15)], atol=ATOL)


def test_density_matrix_on_subset():
    """``density_matrix`` of two of three wires equals lightning's."""

    def circuit():
        qml.Hadamard(0)
        qml.CRY(0.4, wires=[0, 2])
        qml.IsingXY(0.9, wires=[1, 2])
        qml.RX(0.3, wires=1)
        return qml.density_matrix(wires=[2, 0])

    ours, theirs = _pair(circuit, wires=3)
    np.testing.assert_allclose(ours(), theirs(), atol=ATOL)


def test_training_matches_lightning_step_by_step():
    """Five steps of gradient descent give the same weights and costs on both devices."""
    w0 = _weights(layers=2, seed=21)
    ours, theirs = _pair(_hamiltonian_circuit, diff_method="adjoint")
    opt_a, opt_b = qml.GradientDescentOptimizer(0.2), qml.GradientDescentOptimizer(0.2)
    wa, wb = w0.copy(), w0.copy()
    for _ in range(5):
        wa, ca = opt_a.step_and_cost(ours, wa)
        wb, cb = opt_b.step_and_cost(theirs, wb)
        np.testing.assert_allclose(ca, cb, atol=ATOL)
        np.testing.assert_allclose(wa, wb, atol=ATOL)
    assert ours(wa) < ours(w0) - 0.1  # it trained


def test_best_picks_adjoint():
    """``diff_method="best"`` resolves to the device's adjoint method without shots and to
    parameter-shift with shots."""
    dev = qml.device("qdiff.qubit", wires=2)

    def circuit(x):
        qml.RX(x, wires=0)
        return qml.expval(qml.Z(0))

    x = pnp.array(0.5, requires_grad=True)
    qnode = qml.QNode(circuit, dev, diff_method="best")
    assert qml.workflow.construct_execution_config(qnode)(x).gradient_method == "adjoint"
    with dev.tracker:
        grad = qml.grad(qnode)(x)
    assert dev.tracker.totals.get("execute_and_derivative_batches", 0) == 1
    np.testing.assert_allclose(grad, -np.sin(0.5), atol=ATOL)
    sampled = qml.set_shots(qml.QNode(circuit, dev, diff_method="best"), shots=100)
    config = qml.workflow.construct_execution_config(sampled)(x)
    assert config.gradient_method is qml.gradients.param_shift


def test_mid_circuit_measurement_deferred():
    """A mid-circuit measurement is deferred onto a spare wire."""

    def circuit(x):
        qml.RY(x, wires=0)
        m = qml.measure(0)
        qml.cond(m, qml.X)(wires=1)
        return qml.expval(qml.Z(1)), qml.probs(wires=[0, 1])

    ours = qml.QNode(circuit, qml.device("qdiff.qubit", wires=3))
    theirs = qml.QNode(circuit, qml.device("default.qubit", wires=3))
    for a, b in zip(ours(0.7), theirs(0.7)):
        np.testing.assert_allclose(a, b, atol=ATOL)


def test_device_api_shapes_match_default_qubit():
    """``compute_derivatives``, ``execute_and_compute_derivatives``, ``compute_vjp`` (plain and
    batched cotangents) and ``execute_and_compute_vjp`` called directly return what
    ``default.qubit``'s adjoint method returns, shapes included."""
    from pennylane.devices import ExecutionConfig

    config = ExecutionConfig(gradient_method="adjoint")
    ours, ref = QdiffQubit(wires=3), qml.device("default.qubit", wires=3)
    ops = [qml.RX(0.3, 0), qml.CRY(0.8, [0, 1]), qml.RZ(-0.4, 2), qml.IsingZZ(1.1, [1, 2])]
    one = qml.tape.QuantumScript(ops, [qml.expval(qml.Y(1) @ qml.X(2))], trainable_params=[0, 3])
    two = qml.tape.QuantumScript(ops, [qml.expval(qml.Z(0)), qml.expval(qml.X(1))])
    single = qml.tape.QuantumScript(ops, [qml.expval(qml.X(1))], trainable_params=[1])
    tapes = (one, two, single)
    cotangents = (0.7, (1.0, -2.0), np.array([1.0, 0.5, -1.0]))

    def check(a, b):
        assert type(a) is type(b) or (np.ndim(a) == 0 and np.ndim(b) == 0)
        if isinstance(b, tuple):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                check(x, y)
        else:
            np.testing.assert_allclose(a, b, atol=ATOL)

    check(ours.compute_derivatives(tapes, config), ref.compute_derivatives(tapes, config))
    check(
        ours.execute_and_compute_derivatives(tapes, config),
        ref.execute_and_compute_derivatives(tapes, config),
    )
    check(ours.compute_vjp(tapes, cotangents, config), ref.compute_vjp(tapes, cotangents, config))
    check(
        ours.execute_and_compute_vjp(tapes, cotangents, config),
        ref.execute_and_compute_vjp(tapes, cotangents, config),
    )


# --------------------------------------------------------------------------- shots


def _bell_rx(x):
    """A Bell pair on wires 0, 1 and RX(x) on wire 2, measured as counts, samples of X0 X1 and
    the expectation of Z2."""
    qml.Hadamard(0)
    qml.CNOT(wires=[0, 1])
    qml.RX(x, wires=2)
    return qml.counts(wires=[0, 1, 2]), qml.sample(qml.X(0) @ qml.X(1)), qml.expval(qml.Z(2))


def test_counts_statistics():
    """Counts follow the exact distribution (chi-squared, 7 degrees of freedom, far tail),
    samples of X0 X1 on a Bell state are all +1, and the sampled expval is within 5 sigma."""
    shots, x = 20000, 1.1
    dev = qml.device("qdiff.qubit", wires=3, seed=1234)
    counts, xx, z = qml.set_shots(qml.QNode(_bell_rx, dev), shots=shots)(x)
    p2 = np.sin(x / 2) ** 2
    exact = {"000": 0.5 * (1 - p2), "001": 0.5 * p2, "110": 0.5 * (1 - p2), "111": 0.5 * p2}
    assert set(counts) <= set(exact)
    chi2 = sum((counts.get(k, 0) - shots * p) ** 2 / (shots * p) for k, p in exact.items())
    assert chi2 < 25.0  # P(chi2_3 > 25) ~ 1.5e-5
    assert sum(counts.values()) == shots
    assert xx.shape == (shots,) and np.all(xx == 1)
    sigma = np.sqrt((1 - np.cos(x) ** 2) / shots)
    assert abs(z - np.cos(x)) < 5 * sigma


def test_shots_reproducible_with_seed_and_shot_vectors():
    """The same seed gives the same samples; different seeds differ; shot vectors split one
    draw into bins."""

    def run(seed, shots):
        dev = qml.device("qdiff.qubit", wires=3, seed=seed)
        return qml.set_shots(qml.QNode(_bell_rx, dev), shots=shots)(0.4)

    a, b, c = run(5, 500), run(5, 500), run(6, 500)
    assert a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert a[0] != c[0] or not np.array_equal(a[1], c[1])
    vector = run(5, [100, 200, 200])
    assert len(vector) == 3
    assert [sum(r[0].values()) for r in vector] == [100, 200, 200]
    assert [r[1].shape for r in vector] == [(100,), (200,), (200,)]


def test_sampled_hamiltonian_and_probs():
    """A sampled Hamiltonian (split into commuting groups) and sampled probabilities agree with
    the exact values within generous bounds."""

    def circuit(x):
        qml.RY(x, wires=0)
        qml.CNOT(wires=[0, 1])
        qml.RX(0.3, wires=1)
        return qml.expval(qml.X(0) + 0.5 * qml.Z(0) @ qml.Z(1)), qml.probs(wires=[1, 0])

    dev = qml.device("qdiff.qubit", wires=2, seed=99)
    exact = qml.QNode(circuit, dev)(0.9)
    sampled = qml.set_shots(qml.QNode(circuit, dev), shots=40000)(0.9)
    assert abs(sampled[0] - exact[0]) < 0.05
    np.testing.assert_allclose(sampled[1], exact[1], atol=0.02)


# --------------------------------------------------------------------------- errors


def test_wires_out_of_range():
    """A gate on a wire the device does not have is a WireError naming the wire."""
    dev = qml.device("qdiff.qubit", wires=2)

    @qml.qnode(dev)
    def circuit():
        qml.X(2)
        return qml.expval(qml.Z(0))

    with pytest.raises(WireError, match=r"wires not found on the device: \{2\}"):
        circuit()


def test_too_many_qubits():
    """More wires than qsim-core simulates is a DeviceError at construction."""
    with pytest.raises(DeviceError, match="at most"):
        QdiffQubit(wires=qdiff.MAX_QUBITS + 1)


def test_unsupported_measurements_and_methods():
    """Clear errors: counts without shots, adjoint derivatives of probabilities, backprop, an
    observable with no matrix, a state with shots."""
    dev = qml.device("qdiff.qubit", wires=2)

    def counts():
        qml.Hadamard(0)
        return qml.counts()

    with pytest.raises(DeviceError, match="not accepted for analytic simulation on qdiff.qubit"):
        qml.QNode(counts, dev)()

    def probs(x):
        qml.RX(x, wires=0)
        return qml.probs(wires=0)

    x = pnp.array(0.1, requires_grad=True)
    with pytest.raises(QuantumFunctionError, match="does not support adjoint"):
        qml.grad(qml.QNode(probs, dev, diff_method="adjoint"))(x)
    with pytest.raises(QuantumFunctionError, match="does not support backprop"):
        qml.QNode(probs, dev, diff_method="backprop")(x)

    class Opaque(qml.operation.Operator):
        """An observable with no matrix, no Pauli form and no diagonalising gates."""

        num_wires = 1

    def energy():
        return qml.expval(Opaque(wires=0))

    with pytest.raises(DeviceError, match=r"Observable Opaque\(wires=\[0\]\) not supported"):
        qml.QNode(energy, dev)()

    def shots_state():
        return qml.state()

    with pytest.raises(DeviceError, match="not accepted with finite shots on qdiff.qubit"):
        qml.set_shots(qml.QNode(shots_state, dev), shots=10)()


def test_no_spare_wire_for_mid_circuit_measurement():
    """Deferring a mid-circuit measurement needs a spare wire; without one it is an error, not a
    wrong answer."""
    dev = qml.device("qdiff.qubit", wires=1)

    @qml.qnode(dev)
    def circuit():
        qml.Hadamard(0)
        m = qml.measure(0)
        qml.cond(m, qml.X)(wires=0)
        return qml.expval(qml.Z(0))

    with pytest.raises(WireError, match="wires not found on the device"):
        circuit()


def test_circuits_are_reused_per_structure_and_rebound_to_new_angles():
    """Calls of two QNodes of different structure, alternating, with new angles each time,
    match default.qubit; the device keeps one qsim circuit per structure."""
    dev = qml.device("qdiff.qubit", wires=3)
    ref = qml.device("default.qubit", wires=3)

    def first(x, y):
        qml.RX(x, wires=0)
        qml.CNOT(wires=[0, 1])
        qml.Rot(y, x, 0.3, wires=2)
        return qml.expval(qml.Z(1) @ qml.Y(2)), qml.probs(wires=[2, 0])

    def second(x, y):
        qml.RX(x, wires=1)
        qml.CNOT(wires=[1, 0])
        qml.Rot(y, x, 0.3, wires=2)
        return qml.expval(qml.Z(1) @ qml.Y(2)), qml.probs(wires=[2, 0])

    rng = np.random.default_rng(31)
    for _ in range(3):
        for fn in (first, second):
            x, y = rng.uniform(-3, 3, 2)
            ours = qml.QNode(fn, dev)(x, y)
            theirs = qml.QNode(fn, ref)(x, y)
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b, atol=ATOL)
    assert len(dev._circuits) == 2


def test_reused_circuits_differentiate_only_the_trainable_angles():
    """Adjoint gradients through a reused circuit with a non-trainable angle and a trainable
    observable coefficient match lightning.qubit, call after call."""

    def circuit(x, y, c):
        qml.RY(x, wires=0)
        qml.RX(y, wires=1)
        qml.IsingZZ(x, wires=[0, 1])
        qml.CRY(y, wires=[1, 0])
        return qml.expval(c * qml.X(0) @ qml.Z(1) + qml.Y(1))

    ours = qml.QNode(circuit, qml.device("qdiff.qubit", wires=2), diff_method="adjoint")
    theirs = qml.QNode(circuit, qml.device("lightning.qubit", wires=2), diff_method="adjoint")
    for x0, y0 in [(0.3, -0.7), (1.1, 0.4), (-2.0, 2.5)]:
        x = pnp.array(x0, requires_grad=True)
        y = pnp.array(y0, requires_grad=False)
        c = pnp.array(0.8, requires_grad=False)
        np.testing.assert_allclose(
            qml.grad(ours, argnums=0)(x, y, c), qml.grad(theirs, argnums=0)(x, y, c), atol=ATOL
        )
        both = [pnp.array(x0, requires_grad=True), pnp.array(y0, requires_grad=True), c]
        np.testing.assert_allclose(
            qml.jacobian(ours, argnums=[0, 1])(*both),
            qml.jacobian(theirs, argnums=[0, 1])(*both),
            atol=ATOL,
        )
