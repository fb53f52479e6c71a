# Type stubs of the extension module `qdiff._native` (crate crates/qdiff-py). Import these
# names from `qdiff`, not from `qdiff._native`.

from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt

# --- core: circuits, observables, simulation ---

MAX_QUBITS: int
"""The largest register qsim-core allocates a state vector for."""

class QdiffError(ValueError):
    """An input the simulator or the model rejects; the message names what to fix."""

Angle = float | tuple[int, float]
"""A gate angle in `Circuit.operations()`: a number, or `(k, scale)` for `scale * theta[k]`."""

class Circuit:
    """A circuit of qelib1.inc gates, unitaries, measurements, resets and barriers.

    Qubit i is bit i of a basis index (Qiskit's order). Angles are numbers or references to
    entries of the parameter vector `theta` given when the circuit runs.
    """

    def __init__(self, num_qubits: int, num_clbits: int = 0) -> None: ...
    @staticmethod
    def from_qasm(source: str) -> Circuit:
        """Parses an OpenQASM 2.0 program (Qiskit's `qasm2.dumps` output reads as is)."""
    def to_qasm(self) -> str:
        """The circuit as OpenQASM 2.0 (angles must be numbers: `bind` first)."""
    def gate(
        self,
        name: str,
        qubits: Sequence[int],
        params: Sequence[float] = ...,
        vars: Sequence[int] | None = None,
    ) -> Self:
        """Appends a qelib1.inc gate; `vars[i] = k >= 0` makes angle i equal `theta[k]`."""
    def unitary(
        self,
        targets: Sequence[int],
        matrix: npt.ArrayLike,
        controls: Sequence[int] = ...,
    ) -> Self:
        """Appends a unitary (bit j of a row index is `targets[j]`), controlled on `controls`."""
    def measure(self, qubit: int, clbit: int) -> Self:
        """Appends a Z measurement of `qubit` into classical bit `clbit`."""
    def reset(self, qubit: int) -> Self:
        """Appends a reset of `qubit` to |0>."""
    def barrier(self, qubits: Sequence[int]) -> Self:
        """Appends a barrier (no effect on the state)."""
    def append(self, other: Circuit) -> Self:
        """Appends every operation of `other`."""
    def bind(self, theta: Sequence[float]) -> Circuit:
        """The circuit with every parameter reference replaced by its value."""
    def inverse(self) -> Circuit:
        """The inverse of a unitary circuit."""
    @property
    def num_qubits(self) -> int: ...
    @property
    def num_clbits(self) -> int: ...
    @property
    def num_params(self) -> int:
        """Length of `theta` the circuit needs."""
    @property
    def is_unitary(self) -> bool:
        """True without measurement and reset."""
    def operations(self) -> list[tuple[str, list[int], list[Angle]]]:
        """`(name, qubits, angles)` per operation (a unitary's qubits: controls, then targets)."""
    def __len__(self) -> int: ...

class PauliSum:
    """A Hermitian observable: a real combination of Pauli strings ("Z0 X3" or dense "XIZ")."""

    def __init__(self, terms: Sequence[tuple[float, str]]) -> None: ...
    def terms(self) -> list[tuple[float, str]]:
        """`(coeff, sparse string)` pairs; the identity is "I"."""
    def expectation(self, state: npt.ArrayLike) -> float:
        """<psi|O|psi> for the amplitudes `state`."""
    @property
    def min_qubits(self) -> int:
        """Highest qubit acted on, plus one."""
    def __len__(self) -> int: ...

def simulate(
    circuit: Circuit,
    theta: npt.ArrayLike | None = None,
    initial_state: npt.ArrayLike | None = None,
) -> npt.NDArray[np.complex128]:
    """The final state of a unitary circuit, from `initial_state` or |0...0>."""

def expectations(
    circuit: Circuit,
    observables: Sequence[PauliSum],
    theta: npt.ArrayLike | None = None,
    initial_state: npt.ArrayLike | None = None,
) -> npt.NDArray[np.float64]:
    """<O_k> of the final state for every observable."""

def adjoint_jacobian(
    circuit: Circuit,
    observables: Sequence[PauliSum],
    theta: npt.ArrayLike,
    initial_state: npt.ArrayLike | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """`(values, jacobian)` with `jacobian[k, j] = d<O_k>/dtheta_j`, by the adjoint method."""

def adjoint_vjp(
    circuit: Circuit,
    observables: Sequence[PauliSum],
    dy: npt.ArrayLike,
    theta: npt.ArrayLike,
    initial_state: npt.ArrayLike | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """`(values, sum_k dy_k d<O_k>/dtheta)` in one backward sweep."""

def probabilities(
    state: npt.ArrayLike, qubits: Sequence[int] | None = None
) -> npt.NDArray[np.float64]:
    """Born probabilities, or the marginal of `qubits` (bit l of an entry is `qubits[l]`)."""

def sample(
    state: npt.ArrayLike, shots: int, seed: int, qubits: Sequence[int] | None = None
) -> npt.NDArray[np.uint64]:
    """`shots` outcomes of measuring `qubits` (bit l of an outcome is `qubits[l]`), seeded."""

def run_shots(
    circuit: Circuit, shots: int, seed: int, theta: npt.ArrayLike | None = None
) -> npt.NDArray[np.uint64]:
    """The classical register after each of `shots` runs (bit c is classical bit c)."""

# --- mitigation ---
# crates/qdiff-py/src/mitigation.rs: readout-error mitigation (qhw-mitigation). Counts and
# quasi-distributions are dicts keyed by bitstrings with bit 0 rightmost; bit l of a model is
# the l-th qubit it was built for. Errors raise QdiffError.

from collections.abc import Mapping

_Confusion = Sequence[Sequence[float]]  # [[P(0|0), P(0|1)], [P(1|0), P(1|1)]]

class ReadoutModel:
    """Independent (tensored) readout errors: one 2x2 confusion matrix per bit."""

    def __init__(self, confusion: Sequence[_Confusion]) -> None:
        """The model of the confusion matrices (bit 0 first); entries are probabilities, columns
        sum to 1, every matrix is invertible."""
    @staticmethod
    def from_flips(flips: Sequence[tuple[float, float]]) -> ReadoutModel:
        """The model of the flip probabilities ``(P(1|0), P(0|1))`` of each bit."""
    @staticmethod
    def from_calibration(
        num_qubits: int, records: Sequence[tuple[str, Mapping[str, float]]]
    ) -> ReadoutModel:
        """Confusion matrices estimated from ``(prepared, counts)`` of calibration circuits;
        ``prepared`` has one character per bit: ``0``, ``1`` or ``-`` (not calibrated here)."""
    @property
    def num_qubits(self) -> int:
        """Number of bits the model covers."""
    def confusions(self) -> list[list[list[float]]]:
        """The confusion matrices, bit 0 first."""
    def for_qubits(self, bits: Sequence[int]) -> ReadoutModel:
        """The model of ``bits`` only, in that order."""
    def tensored_inverse(self, counts: Mapping[str, float]) -> dict[str, float]:
        """The exact inverse of the tensored assignment matrix applied to the frequencies of
        ``counts``, over all ``2^n`` bitstrings (at most 22 bits)."""
    def m3(
        self,
        counts: Mapping[str, float],
        distance: int | None = None,
        method: str = "direct",
        tolerance: float = 1e-12,
        max_iterations: int = 500,
    ) -> tuple[dict[str, float], int, float]:
        """M3 quasi-probabilities on the observed bitstrings, ``method`` ``"direct"`` or
        ``"iterative"``: ``(quasi, iterations, relative_residual)``."""
    def mitigated_parity(self, counts: Mapping[str, float], bits: Sequence[int]) -> float:
        """The readout-corrected ``<Z...Z>`` on ``bits``, straight from ``counts``."""

def nearest_probability_distribution(quasi: Mapping[str, float]) -> dict[str, float]:
    """The probability distribution closest to ``quasi`` in Euclidean distance."""

def diagonal_expectation(quasi: Mapping[str, float], operator: str) -> float:
    """``sum_s w_s <s|O|s>`` for a string of ``I``, ``Z``, ``0``, ``1`` (bit 0 rightmost; empty:
    ``Z`` on every bit)."""
