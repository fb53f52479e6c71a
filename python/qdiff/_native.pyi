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


# --- diffusion ---
# The quantum diffusion model (crates/qdiff-py/src/diffusion/); users import these from
# qdiff.diffusion. Images: uint8 (0-255) or float intensities in [0, 1], shaped (N, 28, 28) or
# (N, 784); decoded images are float32 (N, 28, 28). Settings dicts use the Rust library's
# spelling (serde), merged over its defaults; an unknown key raises QdiffError.

from os import PathLike  # noqa: E402
from typing import Any  # noqa: E402

_Path = str | PathLike[str]
_Images = npt.NDArray[np.uint8] | npt.NDArray[np.float32] | npt.NDArray[np.float64]

class ModelConfig:
    """The shape of a quantum diffusion model (qdiffusion's ModelConfig)."""

    def __init__(
        self,
        *,
        qubits: int = ...,
        ancillas: int = ...,
        steps: int = ...,
        layers: int = ...,
        entangler: str = ...,
        ancilla_coupling: str = ...,
        conditioning: str | dict[str, Any] = ...,
        cosine_offset: float = ...,
    ) -> None: ...
    @property
    def qubits(self) -> int: ...
    @property
    def ancillas(self) -> int: ...
    @property
    def steps(self) -> int: ...
    @property
    def layers(self) -> int: ...
    @property
    def cosine_offset(self) -> float: ...
    @property
    def num_params(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object) -> bool: ...

class DiffusionModel:
    """A quantum diffusion model: configuration, sampling parameters, readout, training state."""

    def __init__(self, config: ModelConfig | None = None, seed: int = 1) -> None: ...
    @staticmethod
    def load(path: _Path) -> DiffusionModel: ...
    def save(self, path: _Path, params_only: bool = False) -> None: ...
    def with_params(self, params: npt.ArrayLike) -> DiffusionModel: ...
    @property
    def config(self) -> ModelConfig: ...
    @property
    def params(self) -> npt.NDArray[np.float64]: ...
    @property
    def num_params(self) -> int: ...
    @property
    def readout(self) -> str: ...
    @property
    def iteration(self) -> int | None: ...
    @property
    def losses(self) -> npt.NDArray[np.float64]: ...
    @property
    def train_settings(self) -> dict[str, Any] | None: ...
    @property
    def data_fingerprint(self) -> int | None: ...
    def sample(
        self, n: int, seed: int = 7, readout: str | None = None
    ) -> npt.NDArray[np.float64]: ...
    def ablation(
        self, n: int, seed: int = 7, readout: str | None = None
    ) -> npt.NDArray[np.float64]: ...
    def sample_images(
        self, n: int, seed: int = 7, autoencoder: Autoencoder | None = None
    ) -> npt.NDArray[np.float32]: ...
    def train(
        self,
        data: npt.ArrayLike,
        settings: dict[str, Any] | None = None,
        checkpoint: _Path | None = None,
        resume: bool = False,
        **overrides: Any,
    ) -> npt.NDArray[np.float64]: ...

class Autoencoder:
    """The MNIST example's latent encoding: images <-> 10-qubit product states."""

    @staticmethod
    def load(path: _Path) -> Autoencoder: ...
    @staticmethod
    def train(
        images: npt.NDArray[np.uint8], settings: dict[str, Any] | None = None, **overrides: Any
    ) -> Autoencoder: ...
    @staticmethod
    def load_or_train(
        path: _Path,
        images: npt.NDArray[np.uint8],
        settings: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> tuple[Autoencoder, bool]: ...
    def stale_for(
        self,
        images: npt.NDArray[np.uint8],
        settings: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str | None: ...
    def save(self, path: _Path) -> None: ...
    @property
    def num_qubits(self) -> int: ...
    @property
    def settings(self) -> dict[str, Any]: ...
    def encode(self, images: _Images) -> npt.NDArray[np.float64]: ...
    def decode(self, features: npt.ArrayLike) -> npt.NDArray[np.float32]: ...

class Classifier:
    """The project's MNIST classifier; its last hidden layer gives the FID features."""

    @staticmethod
    def load(path: _Path) -> Classifier: ...
    @staticmethod
    def train(
        images: npt.NDArray[np.uint8],
        labels: npt.ArrayLike,
        settings: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Classifier: ...
    @staticmethod
    def load_or_train(
        path: _Path,
        images: npt.NDArray[np.uint8],
        labels: npt.ArrayLike,
        settings: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> tuple[Classifier, bool]: ...
    def stale_for(
        self,
        images: npt.NDArray[np.uint8],
        labels: npt.ArrayLike,
        settings: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str | None: ...
    def save(self, path: _Path) -> None: ...
    @property
    def settings(self) -> dict[str, Any]: ...
    @property
    def feature_dim(self) -> int: ...
    def features(self, images: _Images) -> npt.NDArray[np.float32]: ...
    def predict(self, images: _Images) -> npt.NDArray[np.uint8]: ...

class Evaluator:
    """A classifier with a reference set's feature statistics: FID as the MNIST example scores."""

    def __init__(self, classifier: Classifier, reference: _Images) -> None: ...
    @property
    def classifier(self) -> Classifier: ...
    def fid(self, images: _Images) -> float: ...
    def score(self, images: _Images) -> dict[str, Any]: ...

def default_train_settings() -> dict[str, Any]: ...
def decode(
    features: npt.ArrayLike, autoencoder: Autoencoder | None = None
) -> npt.NDArray[np.float32]: ...
def encode_amplitudes(images: _Images) -> npt.NDArray[np.float64]: ...
def fid(samples: _Images, reference: _Images, classifier: Classifier) -> float: ...
def load_mnist(
    directory: _Path, split: str = "train"
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]: ...
def read_idx(path: _Path) -> npt.NDArray[np.uint8]: ...
def write_idx(path: _Path, array: npt.NDArray[np.uint8]) -> None: ...
