//! Runs sequences of unitary operations on an amplitude array.
//!
//! This first version applies each operation with the cheapest kernel for its structure; gate
//! fusion and cache blocking build on this entry point.

use num_complex::Complex64;

use crate::circuit::Operation;
use crate::state::apply_matrix;

/// Pauli X as a row-major 2x2.
pub(crate) const X_MATRIX: [Complex64; 4] = [
    Complex64::new(0.0, 0.0),
    Complex64::new(1.0, 0.0),
    Complex64::new(1.0, 0.0),
    Complex64::new(0.0, 0.0),
];

/// Applies the unitary operations `ops` (barriers skipped) with parameters `theta`.
/// Callers have validated qubits and `theta`; non-unitary operations must not be present.
pub(crate) fn run_unitary(amps: &mut [Complex64], ops: &[Operation], theta: &[f64]) {
    for op in ops {
        if let Some(m) = op.matrix(theta) {
            apply_matrix(amps, &op.qubits(), &m);
        }
    }
}
