//! Products of a `2^n x 2^n` operator stored row-major (a density matrix, or the cotangent of
//! one in a backward pass) with gates and superoperators, with the state-vector kernels.
//!
//! [`crate::density::DensityMatrix`] keeps its data a valid state (Hermitian, unit trace); a
//! backward pass through a channel needs the same products on operators that are not states
//! (cotangents, derivatives `U' rho U^dagger`), and one-sided products (`M A`, `A M^dagger`).
//! These functions check sizes and qubits, never the operator itself. The layout is the
//! density matrix's: read as a vector of `2n` qubits, bits `0..n` are the column index and bits
//! `n..2n` the row index.
//!
//! ```
//! use qsim_core::gate::Gate;
//! use qsim_core::operator;
//! use qsim_core::Complex64;
//! // |0><0| on one qubit; X from the left gives |1><0|.
//! let mut a = vec![Complex64::new(1.0, 0.0), 0.0.into(), 0.0.into(), 0.0.into()];
//! operator::multiply_left(&mut a, 1, &[0], &Gate::X.matrix(&[])?)?;
//! assert_eq!(a[2], Complex64::new(1.0, 0.0));
//! # Ok::<(), qsim_core::Error>(())
//! ```

use crate::Complex64;
use crate::circuit::check_distinct_in_range;
use crate::circuit::matrix::Matrix;
use crate::engine::apply_matrix;
use crate::error::{Error, Result};

fn check(
    data: &[Complex64],
    num_qubits: usize,
    qubits: &[usize],
    m: &Matrix,
    k: usize,
) -> Result<()> {
    if num_qubits > crate::density::MAX_QUBITS {
        return Err(Error::TooManyQubits {
            num_qubits,
            bytes: 16u128 << (2 * num_qubits),
            max_qubits: crate::density::MAX_QUBITS,
        });
    }
    let len = 1usize << (2 * num_qubits);
    if data.len() != len {
        return Err(Error::DimensionMismatch {
            what: "operator entries",
            expected: len,
            got: data.len(),
        });
    }
    check_distinct_in_range(qubits, num_qubits)?;
    if m.num_qubits() != k * qubits.len() {
        return Err(Error::DimensionMismatch {
            what: "matrix qubits",
            expected: k * qubits.len(),
            got: m.num_qubits(),
        });
    }
    Ok(())
}

/// `A -> M A` with `M` acting on `qubits`.
pub fn multiply_left(
    data: &mut [Complex64],
    num_qubits: usize,
    qubits: &[usize],
    m: &Matrix,
) -> Result<()> {
    check(data, num_qubits, qubits, m, 1)?;
    let rows: Vec<usize> = qubits.iter().map(|q| q + num_qubits).collect();
    apply_matrix(data, &rows, m);
    Ok(())
}

/// `A -> A M^dagger` with `M` acting on `qubits`.
pub fn multiply_right_adjoint(
    data: &mut [Complex64],
    num_qubits: usize,
    qubits: &[usize],
    m: &Matrix,
) -> Result<()> {
    check(data, num_qubits, qubits, m, 1)?;
    // (A M^dagger)[r][c] = sum_c' A[r][c'] conj(M[c][c']): conj(M) on the column bits.
    apply_matrix(data, qubits, &m.conj());
    Ok(())
}

/// `A -> M A M^dagger`.
pub fn conjugate(
    data: &mut [Complex64],
    num_qubits: usize,
    qubits: &[usize],
    m: &Matrix,
) -> Result<()> {
    multiply_left(data, num_qubits, qubits, m)?;
    multiply_right_adjoint(data, num_qubits, qubits, m)
}

/// `vec(A) -> S vec(A)` for a superoperator `S` on `qubits` in the layout of
/// [`crate::density::superoperator`] (local index `c + 2^k r`). Its adjoint map (the Heisenberg
/// picture, what a backward pass needs) is the superoperator's conjugate transpose.
pub fn apply_superoperator(
    data: &mut [Complex64],
    num_qubits: usize,
    qubits: &[usize],
    s: &Matrix,
) -> Result<()> {
    check(data, num_qubits, qubits, s, 2)?;
    let doubled: Vec<usize> =
        qubits.iter().copied().chain(qubits.iter().map(|q| q + num_qubits)).collect();
    apply_matrix(data, &doubled, s);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::density::{DensityMatrix, superoperator};
    use crate::gate::Gate;

    fn random_operator(n: usize, salt: f64) -> Vec<Complex64> {
        (0..1usize << (2 * n))
            .map(|i| Complex64::new((i as f64 * 0.37 + salt).sin(), (i as f64 * 0.11 - salt).cos()))
            .collect()
    }

    #[test]
    fn conjugation_matches_the_density_matrix() {
        let mut c = crate::circuit::Circuit::new(3);
        c.h(0).unwrap().cx(0, 2).unwrap().ry(1, crate::circuit::Param::Fixed(0.3)).unwrap();
        let mut rho = DensityMatrix::new(3).unwrap();
        rho.apply_circuit(&c, &[]).unwrap();
        let mut raw = DensityMatrix::new(3).unwrap().as_slice().to_vec();
        conjugate(&mut raw, 3, &[0], &Gate::H.matrix(&[]).unwrap()).unwrap();
        conjugate(&mut raw, 3, &[0, 2], &Gate::Cx.matrix(&[]).unwrap()).unwrap();
        conjugate(&mut raw, 3, &[1], &Gate::Ry.matrix(&[0.3]).unwrap()).unwrap();
        for (a, b) in raw.iter().zip(rho.as_slice()) {
            assert!((a - b).norm() < 1e-14);
        }
    }

    #[test]
    fn the_adjoint_superoperator_is_the_hilbert_schmidt_adjoint() {
        // <B, S(A)> = <S^dagger(B), A> with <X, Y> = Tr(X^dagger Y).
        let k0 = Matrix::new(1, vec![1.0.into(), 0.0.into(), 0.0.into(), (0.8f64).sqrt().into()])
            .unwrap();
        let k1 = Matrix::new(1, vec![0.0.into(), (0.2f64).sqrt().into(), 0.0.into(), 0.0.into()])
            .unwrap();
        let s = superoperator(&[k0, k1]);
        let (a, b) = (random_operator(2, 0.1), random_operator(2, 0.7));
        let mut sa = a.clone();
        apply_superoperator(&mut sa, 2, &[1], &s).unwrap();
        let mut sb = b.clone();
        apply_superoperator(&mut sb, 2, &[1], &s.adjoint()).unwrap();
        let inner = |x: &[Complex64], y: &[Complex64]| -> Complex64 {
            x.iter().zip(y).map(|(p, q)| p.conj() * q).sum()
        };
        assert!((inner(&b, &sa) - inner(&sb, &a)).norm() < 1e-12);
    }

    #[test]
    fn sizes_are_checked() {
        let mut a = random_operator(2, 0.0);
        let x = Gate::X.matrix(&[]).unwrap();
        assert!(multiply_left(&mut a, 3, &[0], &x).is_err());
        assert!(multiply_left(&mut a, 2, &[2], &x).is_err());
        assert!(apply_superoperator(&mut a, 2, &[0], &x).is_err());
    }
}
