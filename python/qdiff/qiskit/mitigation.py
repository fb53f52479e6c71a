"""Readout-error mitigation with an mthree-like API, computed by the Rust crate
``qhw-mitigation`` (M3 in the subspace of observed bitstrings, or the exact tensored inverse).

Calibrate once per set of physical qubits (from a sampler, from counts of the calibration
circuits run anywhere, or from known confusion matrices), then correct counts:

>>> mit = ReadoutMitigation(sampler)
>>> mit.cals_from_system([0, 1, 2])
>>> quasi = mit.apply_correction(counts, [0, 1, 2])
>>> quasi.expval("ZZI"), quasi.nearest_probability_distribution()
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

from qdiff._native import QdiffError, ReadoutModel, diagonal_expectation
from qdiff._native import nearest_probability_distribution as _nearest

_METHODS = ("balanced", "independent", "marginal")


def calibration_strings(num_qubits: int, method: str = "balanced") -> list[str]:
    """The prepared states of the calibration circuits of ``num_qubits`` qubits, as bitstrings
    with the ``l``-th calibrated qubit at position ``l`` from the right; ``-`` marks a qubit a
    circuit does not calibrate (it stays in ``|0>``).

    - ``"balanced"`` (mthree's default): every qubit prepared in 0 and in 1 equally often, in
      ``2 + 2 ceil(log2 n)`` circuits (all zeros, all ones, and for each bit ``b`` of the qubit
      index the string with qubit ``l`` set to bit ``b`` of ``l``, and its complement), so
      neighbours are prepared in every combination;
    - ``"independent"``: ``2n`` circuits, each qubit prepared in 0 and in 1 on its own;
    - ``"marginal"``: two circuits, all zeros and all ones.
    """
    if num_qubits < 1:
        raise QdiffError("calibration needs at least one qubit")
    if method == "marginal":
        return ["0" * num_qubits, "1" * num_qubits]
    if method == "independent":
        out = []
        for l in range(num_qubits):
            for b in "01":
                s = ["-"] * num_qubits
                s[num_qubits - 1 - l] = b
                out.append("".join(s))
        return out
    if method == "balanced":
        out = ["0" * num_qubits, "1" * num_qubits]
        for b in range(math.ceil(math.log2(num_qubits)) if num_qubits > 1 else 0):
            s = "".join(str((l >> b) & 1) for l in reversed(range(num_qubits)))
            out += [s, s.translate(str.maketrans("01", "10"))]
        return out
    raise QdiffError(f"unknown calibration method `{method}`: use one of {', '.join(_METHODS)}")


def calibration_circuits(
    qubits: Sequence[int], method: str = "balanced", num_qubits: int | None = None
) -> list[QuantumCircuit]:
    """Qiskit circuits that calibrate the readout of the physical ``qubits``, for any backend
    or sampler: circuit ``i`` prepares ``calibration_strings(len(qubits), method)[i]`` with
    ``X`` gates and measures ``qubits[l]`` into bit ``l`` of its register ``c`` (every
    calibrated qubit, also those a circuit does not calibrate). The circuits have
    ``num_qubits`` qubits (default ``max(qubits) + 1``)."""
    qubits = list(qubits)
    if len(set(qubits)) != len(qubits) or any(q < 0 for q in qubits):
        raise QdiffError(f"the qubits {qubits} must be distinct and non-negative")
    width = max(qubits) + 1 if num_qubits is None else num_qubits
    if width <= max(qubits):
        raise QdiffError(f"qubit {max(qubits)} does not fit in {width} qubits")
    circuits = []
    for s in calibration_strings(len(qubits), method):
        qc = QuantumCircuit(QuantumRegister(width, "q"), ClassicalRegister(len(qubits), "c"))
        qc.name = f"cal_{s}"
        for l, q in enumerate(qubits):
            if s[len(qubits) - 1 - l] == "1":
                qc.x(q)
        qc.barrier()
        qc.measure(qubits, range(len(qubits)))
        circuits.append(qc)
    return circuits


class QuasiDistribution(dict):
    """Quasi-probabilities keyed by bitstring (bit 0 rightmost), possibly negative, as
    :meth:`ReadoutMitigation.apply_correction` returns them (a ``dict`` subclass like mthree's).

    Attributes:
        shots: The shots of the corrected counts.
        method: The correction (``"direct"``, ``"iterative"`` or ``"tensored"``).
        distance: The Hamming distance of the M3 correction (None for all pairs).
        iterations: The solver's Krylov steps (0 for direct solves).
        relative_residual: ``||A x - p|| / ||p||`` of the M3 solve (0 for the tensored inverse).
    """

    def __init__(self, data=(), *, shots=None, method=None, distance=None, iterations=0,
                 relative_residual=0.0):
        super().__init__(data)
        self.shots = shots
        self.method = method
        self.distance = distance
        self.iterations = iterations
        self.relative_residual = relative_residual

    def nearest_probability_distribution(self) -> ProbabilityDistribution:
        """The closest probability distribution in Euclidean distance (Smolin, Gambetta and
        Smith 2012): negative weights dropped, the rest shifted down by a common amount."""
        return ProbabilityDistribution(_nearest(dict(self)), shots=self.shots)

    def expval(self, exp_ops: str | Sequence[str] | Mapping[str, float] = ""):
        """The expectation value of a diagonal operator, as mthree's ``expval``: a string of
        ``I``, ``Z``, ``0``, ``1`` (bit 0 rightmost; ``0``/``1`` are projectors; ``""`` is ``Z``
        on every bit), a list of such strings (an array of values), or a dict
        ``{string: coefficient}`` (their weighted sum)."""
        return _expval(self, exp_ops)


class ProbabilityDistribution(dict):
    """Probabilities keyed by bitstring (bit 0 rightmost), with ``shots`` and ``expval``."""

    def __init__(self, data=(), *, shots=None):
        super().__init__(data)
        self.shots = shots

    def expval(self, exp_ops: str | Sequence[str] | Mapping[str, float] = ""):
        """The expectation value of a diagonal operator (see :meth:`QuasiDistribution.expval`)."""
        return _expval(self, exp_ops)


def _expval(dist: dict, exp_ops):
    data = dict(dist)
    if isinstance(exp_ops, str):
        return diagonal_expectation(data, exp_ops)
    if isinstance(exp_ops, Mapping):
        return sum(c * diagonal_expectation(data, op) for op, c in exp_ops.items())
    return np.array([diagonal_expectation(data, op) for op in exp_ops])


class ReadoutMitigation:
    """Readout-error mitigation with mthree's calls (``cals_from_system``,
    ``apply_correction``, ...), backed by the Rust crate ``qhw-mitigation``.

    Per-qubit 2x2 confusion matrices ``[[P(0|0), P(0|1)], [P(1|0), P(1|1)]]`` are kept by
    physical qubit in ``single_qubit_cals`` (None for a qubit not calibrated).

    Args:
        system: A Qiskit V2 sampler (``qdiff.qiskit.Sampler``, Aer's ``SamplerV2``, a runtime
            sampler, ...) that ``cals_from_system`` runs the calibration circuits on.
    """

    def __init__(self, system=None):
        self.system = system
        self.single_qubit_cals: list[np.ndarray | None] = []

    # --- calibration -------------------------------------------------------------------------

    def cals_from_system(
        self, qubits: Sequence[int], shots: int = 10_000, method: str = "balanced",
        num_qubits: int | None = None,
    ) -> ReadoutMitigation:
        """Runs the calibration circuits of ``qubits`` on ``system`` (``shots`` each) and
        estimates their confusion matrices."""
        if self.system is None:
            raise QdiffError("no system to calibrate on: pass a sampler to ReadoutMitigation")
        circuits = calibration_circuits(qubits, method, num_qubits)
        result = self.system.run(circuits, shots=shots).result()
        counts = [pub.data.c.get_counts() for pub in result]
        return self.cals_from_counts(counts, qubits, method)

    def cals_from_counts(
        self, counts: Sequence[Mapping[str, int]], qubits: Sequence[int], method: str = "balanced"
    ) -> ReadoutMitigation:
        """Estimates the confusion matrices of ``qubits`` from the counts of the circuits of
        :func:`calibration_circuits` (same ``qubits`` and ``method``, same order), run on any
        backend."""
        qubits = list(qubits)
        strings = calibration_strings(len(qubits), method)
        if len(counts) != len(strings):
            raise QdiffError(
                f"method `{method}` on {len(qubits)} qubits has {len(strings)} calibration "
                f"circuits, got {len(counts)} counts"
            )
        model = ReadoutModel.from_calibration(
            len(qubits), [(s, dict(c)) for s, c in zip(strings, counts)]
        )
        return self._store(qubits, model.confusions())

    def cals_from_matrices(
        self, matrices: Sequence, qubits: Sequence[int] | None = None
    ) -> ReadoutMitigation:
        """Sets the confusion matrices directly: ``matrices[l]`` is the 2x2 matrix of
        ``qubits[l]`` (default ``range(len(matrices))``); a None entry is skipped."""
        qubits = list(range(len(matrices))) if qubits is None else list(qubits)
        if len(qubits) != len(matrices):
            raise QdiffError(f"{len(matrices)} matrices for {len(qubits)} qubits")
        pairs = [(q, m) for q, m in zip(qubits, matrices) if m is not None]
        mats = [np.asarray(m, dtype=float) for _, m in pairs]
        for m in mats:
            if m.shape != (2, 2):
                raise QdiffError(f"a confusion matrix is 2x2, got shape {m.shape}")
        ReadoutModel([m.tolist() for m in mats])  # validates: probabilities, columns sum to 1
        return self._store([q for q, _ in pairs], [m.tolist() for m in mats])

    def cals_to_file(self, path: str) -> None:
        """Writes the calibration to a JSON file (``cals_from_file`` reads it back)."""
        cals = [None if m is None else np.asarray(m).tolist() for m in self.single_qubit_cals]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"single_qubit_cals": cals}, f)

    def cals_from_file(self, path: str) -> ReadoutMitigation:
        """Reads a calibration written by ``cals_to_file``."""
        with open(path, encoding="utf-8") as f:
            cals = json.load(f)["single_qubit_cals"]
        self.single_qubit_cals = []
        return self.cals_from_matrices(cals)

    def _store(self, qubits: list[int], confusions) -> ReadoutMitigation:
        need = max(qubits, default=-1) + 1
        if len(self.single_qubit_cals) < need:
            self.single_qubit_cals += [None] * (need - len(self.single_qubit_cals))
        for q, m in zip(qubits, confusions):
            self.single_qubit_cals[q] = np.array(m, dtype=float)
        return self

    def readout_fidelity(self, qubits: Sequence[int] | None = None) -> list[float]:
        """``(P(0|0) + P(1|1)) / 2`` of each of ``qubits`` (default: every calibrated qubit)."""
        if qubits is None:
            qubits = [q for q, m in enumerate(self.single_qubit_cals) if m is not None]
        mats = self._matrices(qubits)
        return [float((m[0][0] + m[1][1]) / 2) for m in mats]

    def _matrices(self, qubits: Sequence[int]):
        mats = []
        for q in qubits:
            if q < 0 or q >= len(self.single_qubit_cals) or self.single_qubit_cals[q] is None:
                raise QdiffError(f"qubit {q} is not calibrated")
            mats.append(self.single_qubit_cals[q].tolist())
        return mats

    def model(self, qubits: Sequence[int]) -> ReadoutModel:
        """The Rust ``ReadoutModel`` of ``qubits`` (bit ``l`` = ``qubits[l]``)."""
        return ReadoutModel(self._matrices(list(qubits)))

    # --- correction --------------------------------------------------------------------------

    def apply_correction(
        self,
        counts: Mapping[str, int] | Sequence[Mapping[str, int]],
        qubits: Sequence[int],
        distance: int | None = None,
        method: str = "direct",
        max_iter: int = 500,
        tol: float = 1e-12,
    ) -> QuasiDistribution | list[QuasiDistribution]:
        """Corrects ``counts`` (bit ``l`` of each bitstring, counted from the right, measured from
        ``qubits[l]``) for readout error.

        ``method``: ``"direct"`` (M3, LU of the reduced matrix; mthree's ``direct``),
        ``"iterative"`` (M3 by GMRES to relative residual ``tol``), ``"auto"`` (direct up to
        2000 distinct bitstrings, else iterative), or ``"tensored"`` (the exact inverse of the
        tensored assignment matrix over all ``2^n`` bitstrings, at most 22 qubits). ``distance``
        bounds the Hamming distance M3 couples (None: all pairs). A list of counts gives a list
        of results.
        """
        if not isinstance(counts, Mapping):
            return [
                self.apply_correction(c, qubits, distance, method, max_iter, tol) for c in counts
            ]
        model = self.model(qubits)
        data = dict(counts)
        shots = int(sum(data.values()))
        if method == "tensored":
            return QuasiDistribution(model.tensored_inverse(data), shots=shots, method=method)
        if method == "auto":
            method = "direct" if len(data) <= 2000 else "iterative"
        if method not in ("direct", "iterative"):
            raise QdiffError(
                f"unknown method `{method}`: use direct, iterative, auto or tensored"
            )
        quasi, iterations, residual = model.m3(data, distance, method, tol, max_iter)
        return QuasiDistribution(
            quasi, shots=shots, method=method, distance=distance, iterations=iterations,
            relative_residual=residual,
        )
