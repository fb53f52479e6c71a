//! The Pauli basis of `k`-qubit operators: index `a` in `0..4^k`, base-4 digit `j` names the
//! Pauli on qubit `j` (0 = I, 1 = X, 2 = Y, 3 = Z).

use num_complex::Complex64;
use qsim_core::matrix::Matrix;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);
const ONE: Complex64 = Complex64::new(1.0, 0.0);
const I: Complex64 = Complex64::new(0.0, 1.0);

/// The 2x2 Pauli with digit `d`.
fn single(d: usize) -> Matrix {
    let m = match d {
        0 => vec![ONE, ZERO, ZERO, ONE],
        1 => vec![ZERO, ONE, ONE, ZERO],
        2 => vec![ZERO, -I, I, ZERO],
        _ => vec![ONE, ZERO, ZERO, -ONE],
    };
    Matrix::new(1, m).expect("2x2")
}

/// The matrix of Pauli string `a` on `k` qubits.
pub(crate) fn matrix(a: usize, k: usize) -> Matrix {
    (1..k).fold(single(a & 3), |acc, j| acc.kron_low(&single((a >> (2 * j)) & 3)))
}

/// `(x, z)` bit masks of Pauli string `a` (Y has both bits).
fn symplectic(a: usize, k: usize) -> (usize, usize) {
    let (mut x, mut z) = (0, 0);
    for j in 0..k {
        let (xj, zj) = match (a >> (2 * j)) & 3 {
            0 => (0, 0),
            1 => (1, 0),
            2 => (1, 1),
            _ => (0, 1),
        };
        x |= xj << j;
        z |= zj << j;
    }
    (x, z)
}

/// The index of the Pauli string with masks `(x, z)`.
fn from_symplectic(x: usize, z: usize, k: usize) -> usize {
    (0..k)
        .map(|j| {
            let d = match ((x >> j) & 1, (z >> j) & 1) {
                (0, 0) => 0,
                (1, 0) => 1,
                (1, 1) => 2,
                _ => 3,
            };
            d << (2 * j)
        })
        .sum()
}

/// The index of `P_a P_b` up to phase (which conjugation `P rho P` never sees).
pub(crate) fn product(a: usize, b: usize, k: usize) -> usize {
    let ((xa, za), (xb, zb)) = (symplectic(a, k), symplectic(b, k));
    from_symplectic(xa ^ xb, za ^ zb, k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_match_matrix_products_up_to_phase() {
        let k = 2;
        for a in 0..16 {
            for b in 0..16 {
                let m = matrix(a, k).mul(&matrix(b, k));
                let c = matrix(product(a, b, k), k);
                // m = phase * c with |phase| = 1: compare |entries|.
                let same = m
                    .as_slice()
                    .iter()
                    .zip(c.as_slice())
                    .all(|(x, y)| (x.norm() - y.norm()).abs() < 1e-12);
                assert!(same, "{a} * {b}");
            }
        }
    }
}
