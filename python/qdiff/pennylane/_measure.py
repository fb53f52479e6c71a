"""Measurements of a qsim final state: exact values and finite-shot statistics.

Expectation values and variances of observables with a Pauli form, probabilities of wires and
the state itself are computed by qsim-core; every other measurement (density matrices,
entropies, observables given only as a matrix such as ``Hermitian``) by PennyLane's own
``process_state`` on the amplitudes, in NumPy. With finite shots, outcomes are drawn by
``qdiff.sample`` and handed to PennyLane's ``process_samples``, which computes every
sample-based statistic (``sample``, ``counts``, ``expval``, ``var``, ``probs``) from them.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.measurements import (
    DensityMatrixMP,
    ExpectationMP,
    ProbabilityMP,
    StateMP,
    VarianceMP,
)

from qdiff._native import probabilities, sample, simulate

from ._translate import build_circuit, pauli_sum, squared_sum, supports_operation


def measure_state(tape, state, qmap: dict, wire_order, num_qubits: int):
    """The analytic results of ``tape``'s measurements on the final ``state`` (PennyLane's
    return shape: one value, or a tuple with one entry per measurement)."""
    results = tuple(
        _analytic(mp, state, qmap, wire_order, num_qubits) for mp in tape.measurements
    )
    return results[0] if len(results) == 1 else results


def _analytic(mp, state, qmap, wire_order, num_qubits):
    """One measurement of ``state`` without shots."""
    kind = type(mp)
    if kind is ExpectationMP:
        obs = mp.obs
        if obs is not None and obs.pauli_rep is not None:
            return np.float64(pauli_sum(obs.pauli_rep, qmap).expectation(state))
        if isinstance(obs, qml.SparseHamiltonian):
            matrix = obs.sparse_matrix(wire_order=wire_order)
            return np.float64(np.vdot(state, matrix @ state).real)
    elif kind is VarianceMP:
        obs = mp.obs
        if obs is not None and obs.pauli_rep is not None:
            mean = pauli_sum(obs.pauli_rep, qmap).expectation(state)
            square = squared_sum(obs, qmap).expectation(state)
            return np.float64(max(square - mean * mean, 0.0))
    elif kind is ProbabilityMP:
        if mp.obs is None and mp.mv is None:
            if not mp.wires or list(mp.wires) == list(wire_order):
                return probabilities(state)
            return probabilities(state, [qmap[w] for w in reversed(mp.wires)])
    elif kind is StateMP:
        if not mp.wires or list(mp.wires) == list(wire_order):
            return state
    if mp.obs is not None and not isinstance(mp, (StateMP, DensityMatrixMP)):
        # PennyLane's `process_state` expects the observable's eigenbasis.
        gates = mp.obs.diagonalizing_gates()
        if gates:
            state = _rotate(state, gates, qmap, num_qubits)
    return mp.process_state(state, wire_order)


def measure_shots(tape, state, qmap: dict, wire_order, num_qubits: int, rng):
    """The finite-shot results of ``tape``'s measurements, drawn from the final ``state``.

    Measurements of observables that are diagonal in the computational basis (and wire-only
    measurements such as ``sample()``, ``counts(wires=...)``, ``probs``) share one set of
    outcomes; each measurement of a non-diagonal observable gets its own outcomes, drawn after
    rotating the state with the observable's diagonalising gates. Shot vectors are served from
    one draw, split into bins, as PennyLane's devices do.
    """
    shots = tape.shots
    total = shots.total_shots
    shared = None
    per_mp = []
    for mp in tape.measurements:
        gates = mp.obs.diagonalizing_gates() if mp.obs is not None else []
        wires = mp.wires if mp.wires else wire_order
        if gates:
            rotated = _rotate(state, gates, qmap, num_qubits)
            per_mp.append(_draw(rotated, total, qmap, wires, rng))
        else:
            if shared is None:
                shared = _draw(state, total, qmap, wire_order, rng)
            per_mp.append(shared)
    results = []
    for lower, upper in shots.bins():
        results.append(
            tuple(
                mp.process_samples(bits[lower:upper], order)
                for mp, (bits, order) in zip(tape.measurements, per_mp)
            )
        )
    if len(tape.measurements) == 1:
        results = [r[0] for r in results]
    if not shots.has_partitioned_shots:
        return results[0]
    return tuple(results)


def _draw(state, total: int, qmap: dict, wires, rng):
    """``total`` outcomes of measuring ``wires`` as a ``(total, len(wires))`` array of bits
    (column ``j`` is ``wires[j]``), with the wires as the order ``process_samples`` expects."""
    seed = int(rng.integers(0, 2**63))
    qubits = [qmap[w] for w in wires]
    outcomes = sample(state, total, seed, qubits)
    shifts = np.arange(len(qubits), dtype=np.uint64)
    bits = ((outcomes[:, None] >> shifts) & np.uint64(1)).astype(np.int64)
    return bits, qml.wires.Wires(wires)


def _rotate(state, gates, qmap: dict, num_qubits: int):
    """``state`` after the diagonalising ``gates`` (decomposed by PennyLane if needed)."""
    tape = qml.tape.QuantumScript(gates)
    if not all(supports_operation(op) for op in gates):
        [tape], _ = qml.devices.preprocess.decompose(
            tape, stopping_condition=supports_operation, name="qdiff.qubit"
        )
    circuit, _, phase = build_circuit(tape, qmap, num_qubits)
    return simulate(circuit, None, state)
