//! `qdiff.PauliSum`: a Hermitian observable as a real combination of Pauli strings.

use pyo3::prelude::*;
use qsim_core::pauli::PauliString;

use crate::arrays::{Amplitudes, elements};
use crate::error::to_py;

/// The observable `sum_j c_j P_j` with real coefficients `c_j` and Pauli strings `P_j`.
///
/// A string is sparse (`"Z0 X3"`: letter then qubit) or dense in Qiskit's order (`"XIZ"`:
/// qubit 0 is the rightmost letter); the identity is `""` or `"I"`.
///
/// ```python
/// >>> PauliSum([(0.5, "Z0 Z1"), (-1.0, "X2")])
/// PauliSum([(0.5, 'Z0 Z1'), (-1.0, 'X2')])
/// ```
#[pyclass(module = "qdiff._native", frozen)]
pub struct PauliSum {
    /// The wrapped observable.
    pub inner: qsim_core::pauli::PauliSum,
}

#[pymethods]
impl PauliSum {
    /// The sum of `coeff * pauli` over `terms`, a sequence of `(coeff, pauli_string)` pairs.
    #[new]
    fn new(terms: Vec<(f64, String)>) -> PyResult<Self> {
        let mut inner = qsim_core::pauli::PauliSum::new();
        for (coeff, text) in terms {
            // The identity: "" here; "I" goes through the parser.
            let pauli = if text.trim().is_empty() {
                PauliString::identity()
            } else {
                PauliString::parse(&text).map_err(to_py)?
            };
            inner.add(coeff, pauli).map_err(to_py)?;
        }
        Ok(PauliSum { inner })
    }

    /// The terms as `(coeff, sparse_string)` pairs (the identity is `"I"`).
    fn terms(&self) -> Vec<(f64, String)> {
        self.inner.terms().iter().map(|(c, p)| (*c, p.to_string())).collect()
    }

    /// `<psi|O|psi>` for the amplitudes `state` (normalised or not).
    fn expectation(&self, py: Python<'_>, state: Amplitudes<'_>) -> PyResult<f64> {
        let amps = &*elements(&state);
        py.detach(|| self.inner.expectation(amps)).map_err(to_py)
    }

    /// Highest qubit acted on, plus one.
    #[getter]
    fn min_qubits(&self) -> usize {
        self.inner.min_qubits()
    }

    fn __len__(&self) -> usize {
        self.inner.terms().len()
    }

    fn __repr__(&self) -> String {
        let terms: Vec<String> =
            self.inner.terms().iter().map(|(c, p)| format!("({c:?}, '{p}')")).collect();
        format!("PauliSum([{}])", terms.join(", "))
    }
}
