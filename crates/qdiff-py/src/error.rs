//! The one Python exception of the package and the conversion of the crates' errors into it.

use pyo3::PyErr;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;

create_exception!(
    _native,
    QdiffError,
    PyValueError,
    "An input the simulator or the model rejects (a qubit out of range, an unnormalised state, \
     a malformed QASM program or file, ...); the message names what to fix. A subclass of \
     ValueError."
);

/// Converts an error of one of the Rust crates into [`QdiffError`] with its message.
pub fn to_py(error: impl std::fmt::Display) -> PyErr {
    QdiffError::new_err(error.to_string())
}

/// A [`QdiffError`] with `message`, for checks made at the boundary itself.
pub fn invalid(message: impl Into<String>) -> PyErr {
    QdiffError::new_err(message.into())
}
