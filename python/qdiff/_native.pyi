"""Type stubs of the extension module ``qdiff._native`` (the Rust crate ``crates/qdiff-py``).

The core section (circuits, observables, simulation) is maintained with ``circuit.rs``,
``observable.rs`` and ``simulate.rs``; each further section is headed by the Rust module it
describes.
"""

# --- mitigation ---
# crates/qdiff-py/src/mitigation.rs: readout-error mitigation (qhw-mitigation). Counts and
# quasi-distributions are dicts keyed by bitstrings with bit 0 rightmost; bit l of a model is
# the l-th qubit it was built for. Errors raise QdiffError.

from collections.abc import Mapping, Sequence

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
