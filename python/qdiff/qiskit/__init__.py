"""qdiff for Qiskit: V2 primitives simulated by qsim-core, and readout-error mitigation.

- :class:`Estimator` and :class:`Sampler` implement ``BaseEstimatorV2`` / ``BaseSamplerV2``
  and return what ``StatevectorEstimator`` / ``StatevectorSampler`` return; the Sampler also
  runs mid-circuit measurements and resets.
- :class:`ReadoutMitigation` corrects counts for readout error with mthree's calls
  (``cals_from_system``, ``cals_from_counts``, ``cals_from_matrices``, ``apply_correction``),
  by M3 or the tensored inverse of the Rust crate ``qhw-mitigation``;
  :func:`calibration_circuits` gives the calibration circuits to run on any backend.
- :func:`to_pauli_sum` and :func:`statevector` expose the conversions the primitives use.

Requires ``qiskit`` (``pip install qdiff[qiskit]``).
"""

from qdiff.qiskit._convert import convert, statevector
from qdiff.qiskit._observables import to_pauli_sum
from qdiff.qiskit.estimator import Estimator
from qdiff.qiskit.mitigation import (
    ProbabilityDistribution,
    QuasiDistribution,
    ReadoutMitigation,
    calibration_circuits,
    calibration_strings,
)
from qdiff.qiskit.sampler import Sampler

__all__ = [
    "Estimator",
    "ProbabilityDistribution",
    "QuasiDistribution",
    "ReadoutMitigation",
    "Sampler",
    "calibration_circuits",
    "calibration_strings",
    "convert",
    "statevector",
    "to_pauli_sum",
]
