"""qdiff: qsim-core from Python.

The simulator of the qdiff workspace (a Rust state-vector simulator with fused, cache-blocked
kernels and the adjoint gradient) behind the interfaces Python users already know:

- ``qdiff.Circuit``, ``qdiff.PauliSum``, ``qdiff.simulate`` and friends: the simulator itself,
  with NumPy arrays in and out (amplitudes are ``complex128``; bit ``i`` of a basis index is
  qubit ``i``, as in Qiskit);
- ``qml.device("qdiff.qubit", wires=n)``: a PennyLane device (``qdiff.pennylane``);
- ``qdiff.qiskit.Sampler`` / ``qdiff.qiskit.Estimator``: Qiskit V2 primitives, and readout
  mitigation with an mthree-like call;
- ``qdiff.diffusion``: the quantum diffusion model (checkpoints, sampling, training, FID).

Every simulation call releases the GIL. Arrays passed in are read in place (not copied) where
their layout allows; do not modify them from another thread during a call.
"""

from qdiff._native import (
    MAX_QUBITS,
    Circuit,
    PauliSum,
    QdiffError,
    adjoint_jacobian,
    adjoint_vjp,
    expectations,
    probabilities,
    run_shots,
    sample,
    simulate,
)

__all__ = [
    "MAX_QUBITS",
    "Circuit",
    "PauliSum",
    "QdiffError",
    "adjoint_jacobian",
    "adjoint_vjp",
    "expectations",
    "probabilities",
    "run_shots",
    "sample",
    "simulate",
]
__version__ = "0.1.0"
