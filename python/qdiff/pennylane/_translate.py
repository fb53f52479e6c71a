"""PennyLane operations and observables as qsim-core circuits and Pauli sums.

Wire order: the PennyLane wire at position ``k`` of the device's wires is qsim qubit
``n - 1 - k``. qsim puts qubit ``i`` at bit ``i`` of a basis index and PennyLane puts its first
wire at the most significant bit, so amplitude and probability arrays come out of the simulator
in PennyLane's order with no permutation.

Every operation is converted with one dictionary lookup on its name (:data:`GATES`); anything
that is not in the table is decomposed by PennyLane before it reaches the device.
"""

from __future__ import annotations

import math

import numpy as np
import pennylane as qml
from pennylane.exceptions import DeviceError

from qdiff._native import Circuit, PauliSum

# PennyLane name -> qsim (qelib1.inc) name, for gates whose parameters (if any) are qsim's
# angles in the same order and whose matrices agree exactly (global phase included).
_DIRECT = {
    "PauliX": "x",
    "PauliY": "y",
    "PauliZ": "z",
    "Hadamard": "h",
    "S": "s",
    "T": "t",
    "SX": "sx",
    "Adjoint(S)": "sdg",
    "Adjoint(T)": "tdg",
    "Adjoint(SX)": "sxdg",
    "RX": "rx",
    "RY": "ry",
    "RZ": "rz",
    "PhaseShift": "p",
    "U1": "u1",
    "U2": "u2",
    "U3": "u3",
    "CNOT": "cx",
    "CY": "cy",
    "CZ": "cz",
    "CH": "ch",
    "SWAP": "swap",
    "CRX": "crx",
    "CRY": "cry",
    "CRZ": "crz",
    "ControlledPhaseShift": "cp",
    "IsingXX": "rxx",
    "IsingYY": "ryy",
    "IsingZZ": "rzz",
    "Toffoli": "ccx",
    "CSWAP": "cswap",
}

# Gates written as a sequence of qsim gates: (qsim name, which wires, which parameter) for each.
# Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi), exactly (no phase), and CRot likewise.
_SEQUENCES = {
    "Rot": (("rz", None, 0), ("ry", None, 1), ("rz", None, 2)),
    "CRot": (("crz", None, 0), ("cry", None, 1), ("crz", None, 2)),
}

# MultiControlledX with all controls on |1>, by number of wires.
_MCX = {2: "cx", 3: "ccx", 4: "c3x", 5: "c4x"}

# Operations that do nothing to the state vector.
_SKIP = frozenset({"Identity", "Barrier", "Snapshot"})

# Operations whose every parameter is an angle the adjoint method differentiates directly.
DIFFERENTIABLE = frozenset(
    {
        "RX",
        "RY",
        "RZ",
        "PhaseShift",
        "U1",
        "U2",
        "U3",
        "CRX",
        "CRY",
        "CRZ",
        "ControlledPhaseShift",
        "IsingXX",
        "IsingYY",
        "IsingZZ",
        "Rot",
        "CRot",
        "MultiRZ",
        "GlobalPhase",
    }
)

# Every name the translation accepts (some only under conditions, see `supports_operation`).
NATIVE = frozenset(
    set(_DIRECT)
    | set(_SEQUENCES)
    | _SKIP
    | {"MultiControlledX", "MultiRZ", "QubitUnitary", "ControlledQubitUnitary", "GlobalPhase"}
)

# Operations whose qsim translation depends only on their name and wires, every parameter an
# angle (their circuits can be kept and rebound: see `_cache`).
CACHEABLE = frozenset(set(_DIRECT) | set(_SEQUENCES) | _SKIP | {"MultiControlledX", "MultiRZ"})

# Largest unitary (in qubits) passed to qsim as a dense matrix; bigger ones are decomposed.
MAX_UNITARY_QUBITS = 6

# Largest non-Pauli observable (in qubits) rewritten as a Pauli sum for the adjoint method.
MAX_PAULI_DECOMPOSE_QUBITS = 6


def supports_operation(op) -> bool:
    """True if ``op`` is executed natively (no PennyLane decomposition)."""
    name = op.name
    if name in _DIRECT or name in _SEQUENCES or name in _SKIP or name == "GlobalPhase":
        return True
    if name == "MultiControlledX":
        return len(op.wires) in _MCX and all(op.hyperparameters["control_values"])
    if name == "MultiRZ":
        return len(op.wires) <= 2
    if name == "QubitUnitary":
        return len(op.wires) <= MAX_UNITARY_QUBITS
    if name == "ControlledQubitUnitary":
        return len(op.wires) <= MAX_UNITARY_QUBITS and all(op.hyperparameters["control_values"])
    return False


def supports_adjoint_operation(op) -> bool:
    """True if ``op`` runs natively and the adjoint method can differentiate its trainable
    parameters (an operation with no trainable parameter only has to run natively)."""
    if not supports_operation(op):
        return False
    if op.name in DIFFERENTIABLE:
        return True
    return not any(qml.math.requires_grad(d) for d in op.data)


def qubit_map(wires) -> dict:
    """The qsim qubit of every wire label: position ``k`` of ``wires`` is qubit ``n - 1 - k``."""
    n = len(wires)
    return {w: n - 1 - k for k, w in enumerate(wires)}


def _matrix_targets(qubits):
    """qsim targets of a dense matrix on PennyLane wires (first wire = most significant)."""
    return qubits[::-1]


def build_circuit(tape, qmap: dict, num_qubits: int, trainable: dict | None = None):
    """The qsim circuit of ``tape``'s operations.

    Args:
        tape: a PennyLane tape whose operations all pass :func:`supports_operation`, except
            possibly a leading state preparation.
        qmap: wire label -> qsim qubit (:func:`qubit_map`).
        num_qubits: the number of qubits of the circuit.
        trainable: tape parameter index -> entry of ``theta`` for the parameters the circuit
            should keep symbolic (for the adjoint method); None keeps every angle a number.

    Returns:
        ``(circuit, initial_state, global_phase)``: the qdiff ``Circuit``, the amplitudes of a
        leading ``StatePrep``/``BasisState`` (None if there is none), and the total angle of the
        ``GlobalPhase`` operations (the final state must be multiplied by ``exp(-1j * phase)``).
    """
    circuit = Circuit(num_qubits)
    gate = circuit.gate
    ops = tape.operations
    initial = None
    phase = 0.0
    p = 0  # index of the operation's first parameter among the tape's parameters
    start = 0
    if ops and isinstance(ops[0], qml.operation.StatePrepBase):
        wire_order = sorted(qmap, key=qmap.__getitem__, reverse=True)
        initial = np.asarray(ops[0].state_vector(wire_order=wire_order), dtype=np.complex128)
        initial = initial.reshape(-1)
        p = len(ops[0].data)
        start = 1
    for op in ops[start:]:
        name = op.name
        data = op.data
        qubits = [qmap[w] for w in op.wires]
        qsim = _DIRECT.get(name)
        if qsim is not None:
            if data:
                params = [float(d) for d in data]
                if trainable:
                    gate(qsim, qubits, params, [trainable.get(p + i, -1) for i in range(len(data))])
                else:
                    gate(qsim, qubits, params)
            else:
                gate(qsim, qubits)
        elif name in _SEQUENCES:
            for qname, _, i in _SEQUENCES[name]:
                var = None if not trainable else [trainable.get(p + i, -1)]
                gate(qname, qubits, [float(data[i])], var)
        elif name in _SKIP:
            pass
        elif name == "GlobalPhase":
            phase += float(data[0])
        elif name == "MultiControlledX":
            gate(_MCX[len(qubits)], qubits)
        elif name == "MultiRZ":
            var = None if not trainable else [trainable.get(p, -1)]
            gate("rz" if len(qubits) == 1 else "rzz", qubits, [float(data[0])], var)
        elif name == "QubitUnitary":
            _check_fixed(op, p, trainable)
            matrix = np.asarray(data[0], dtype=np.complex128)
            circuit.unitary(_matrix_targets(qubits), matrix)
        elif name == "ControlledQubitUnitary":
            _check_fixed(op, p, trainable)
            matrix = np.asarray(op.base.matrix(), dtype=np.complex128)
            ncontrols = len(op.control_wires)
            circuit.unitary(_matrix_targets(qubits[ncontrols:]), matrix, qubits[:ncontrols])
        else:
            raise DeviceError(
                f"Operator {name} is not supported on qdiff.qubit (it should have been "
                "decomposed: run circuits through a QNode or the device's preprocess_transforms)"
            )
        p += len(data)
    return circuit, initial, phase


def _check_fixed(op, p, trainable):
    """Raises if an operation the adjoint method cannot differentiate has a trainable
    parameter."""
    if trainable and any(p + i in trainable for i in range(len(op.data))):
        raise DeviceError(
            f"qdiff.qubit cannot differentiate {op.name} with the adjoint method; decompose it"
        )


def pauli_sentence(obs):
    """The Pauli decomposition of an observable (a PennyLane ``PauliSentence``), or None if it
    has none (too many wires or no matrix)."""
    ps = obs.pauli_rep
    if ps is not None:
        return ps
    if obs.has_matrix and len(obs.wires) <= MAX_PAULI_DECOMPOSE_QUBITS:
        return qml.pauli_decompose(obs.matrix(), wire_order=obs.wires, pauli=True)
    return None


def pauli_sum(sentence, qmap: dict) -> PauliSum:
    """A PennyLane ``PauliSentence`` as a qdiff ``PauliSum`` on the qubits of ``qmap``."""
    terms = []
    for word, coeff in sentence.items():
        c = complex(coeff)
        if abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
            raise DeviceError(
                f"the observable has the non-real coefficient {c} on {word}: only Hermitian "
                "observables can be measured"
            )
        text = " ".join(f"{letter}{qmap[w]}" for w, letter in word.items()) or "I"
        terms.append((c.real, text))
    return PauliSum(terms)


def observable_sum(obs, qmap: dict) -> PauliSum:
    """The observable ``obs`` as a qdiff ``PauliSum`` (raises ``DeviceError`` if it has no Pauli
    decomposition qdiff.qubit can compute)."""
    sentence = pauli_sentence(obs)
    if sentence is None:
        raise DeviceError(
            f"Observable {obs} is not supported by the adjoint method on qdiff.qubit: it needs a "
            f"Pauli decomposition (Pauli words, sums, products, or a matrix on at most "
            f"{MAX_PAULI_DECOMPOSE_QUBITS} wires)"
        )
    return pauli_sum(sentence, qmap)


def squared_sum(obs, qmap: dict) -> PauliSum | None:
    """``obs @ obs`` as a ``PauliSum`` (for variances), or None without a Pauli form."""
    sentence = obs.pauli_rep
    if sentence is None:
        return None
    square = sentence @ sentence
    square.simplify()
    return pauli_sum(square, qmap)


def global_phase_factor(phase: float) -> complex:
    """``exp(-1j * phase)``, the factor ``GlobalPhase(phase)`` multiplies a state by."""
    return complex(math.cos(phase), -math.sin(phase))
