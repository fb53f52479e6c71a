"""Qiskit observables -> ``qdiff.PauliSum``, cached by content.

Qiskit writes Pauli labels with qubit 0 rightmost; ``PauliSum`` takes sparse strings
(``"X0 Z3"``), which sidesteps the order question entirely: each letter carries its qubit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from qiskit.quantum_info import Pauli, SparseObservable, SparsePauliOp

from qdiff._native import PauliSum, QdiffError

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 4096
# Jobs run in threads: the cache is shared.
_LOCK = threading.Lock()
# Tolerance on the imaginary part of a coefficient (as Qiskit's `np.real_if_close` allows).
_IMAG_TOL = 1e-10


def to_pauli_sum(observable) -> PauliSum:
    """Converts a Qiskit observable (``SparsePauliOp``, ``Pauli``, ``SparseObservable``, a
    label like ``"XIZ"`` or a ``{label: coeff}`` dict) into a ``qdiff.PauliSum``.

    Projector letters of a ``SparseObservable`` (``0 1 + - r l``) are expanded into Paulis.
    A coefficient with a nonzero imaginary part raises ``QdiffError`` (the observable is not
    Hermitian).
    """
    if isinstance(observable, SparseObservable):
        return _from_sparse_observable(observable)
    if isinstance(observable, SparsePauliOp):
        return _from_sparse_observable(SparseObservable.from_sparse_pauli_op(observable))
    if isinstance(observable, Pauli):
        return _from_sparse_observable(SparseObservable.from_pauli(observable))
    if isinstance(observable, str):
        return _from_sparse_observable(SparseObservable.from_label(observable))
    if isinstance(observable, dict):
        terms = [(label, coeff) for label, coeff in observable.items()]
        return _from_sparse_observable(SparseObservable.from_list(terms))
    raise QdiffError(f"cannot convert an observable of type {type(observable).__name__}")


def _key(obs: SparseObservable):
    return (
        obs.num_qubits,
        np.asarray(obs.coeffs).tobytes(),
        np.asarray(obs.bit_terms).tobytes(),
        np.asarray(obs.indices).tobytes(),
        np.asarray(obs.boundaries).tobytes(),
    )


def _from_sparse_observable(obs: SparseObservable) -> PauliSum:
    key = _key(obs)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    paulis = obs.as_paulis().simplify()
    terms = []
    for letters, qubits, coeff in paulis.to_sparse_list():
        coeff = complex(coeff)
        if abs(coeff.imag) > _IMAG_TOL:
            raise QdiffError(
                f"the observable has the coefficient {coeff} on `{letters}` {list(qubits)}: an "
                "imaginary part makes it non-Hermitian, which an expectation value cannot have"
            )
        label = " ".join(f"{l}{q}" for l, q in zip(letters, qubits))
        terms.append((coeff.real, label or "I"))
    result = PauliSum(terms)
    with _LOCK:
        _CACHE[key] = result
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result
