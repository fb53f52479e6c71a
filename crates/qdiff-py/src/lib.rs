//! `qdiff-py`: the Python extension module `qdiff._native`.
//!
//! The Python package `qdiff` (`python/` at the workspace root, built by maturin) wraps this
//! module; users import `qdiff`, never `_native` directly. The module holds only what must run
//! in Rust: circuits and their simulation, observables, adjoint gradients, sampling
//! ([`circuit`], [`observable`], [`simulate`]) and readout-error mitigation ([`mitigation`]). The PennyLane device and the Qiskit primitives
//! are Python code on top of it.
//!
//! Conventions at the boundary:
//! - amplitudes are NumPy `complex128`, bit `i` of a basis index is qubit `i` (qsim-core's and
//!   Qiskit's order); arrays returned to Python are handed over without a copy;
//! - the GIL is released while a circuit runs, so Python threads can run circuits in parallel;
//! - every error of the Rust crates becomes [`error::QdiffError`] (a `ValueError`) with the
//!   crate's message.

use pyo3::prelude::*;

pub mod arrays;
pub mod circuit;
pub mod diffusion;
pub mod error;
pub mod mitigation;
pub mod observable;
pub mod simulate;

/// The extension module `qdiff._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("QdiffError", m.py().get_type::<error::QdiffError>())?;
    m.add("MAX_QUBITS", qsim_core::state::MAX_QUBITS)?;
    m.add_class::<circuit::Circuit>()?;
    m.add_class::<observable::PauliSum>()?;
    simulate::register(m)?;
    diffusion::register(m)?;
    mitigation::register(m)?;
    Ok(())
}
