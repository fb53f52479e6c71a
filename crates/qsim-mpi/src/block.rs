//! Which qubits of an operation need communication: a gate leaves a global qubit on its rank
//! when its matrix never mixes the qubit's two values (diagonal gates, controls). Then each rank
//! applies the block of the matrix selected by its own values of those qubits.

use num_complex::Complex64;
use qsim_core::matrix::Matrix;

/// True if `m` mixes the two values of its qubit `j` (bit `j` of the matrix index): some
/// non-zero entry's row and column differ in bit `j`. Exact zeros only, so nothing is dropped.
pub(crate) fn mixes(m: &Matrix, j: usize) -> bool {
    let dim = m.dim();
    (0..dim)
        .any(|r| (0..dim).any(|c| (r ^ c) >> j & 1 == 1 && m.get(r, c) != Complex64::new(0.0, 0.0)))
}

/// The block of `m` in which the qubits of `fixed_mask` (bits of the matrix index) take the
/// values in `fixed_value`, as a matrix on the remaining qubits in their order. Exact only when
/// `m` mixes none of the fixed qubits. Returns the scalar itself when every qubit is fixed.
pub(crate) fn restrict(m: &Matrix, fixed_mask: usize, fixed_value: usize) -> Block {
    let free: Vec<usize> = (0..m.num_qubits()).filter(|j| fixed_mask >> j & 1 == 0).collect();
    let spread = |x: usize| -> usize {
        free.iter()
            .enumerate()
            .fold(fixed_value & fixed_mask, |acc, (i, &j)| acc | ((x >> i) & 1) << j)
    };
    let dim = 1usize << free.len();
    if free.is_empty() {
        return Block::Scalar(m.get(spread(0), spread(0)));
    }
    let data: Vec<Complex64> =
        (0..dim * dim).map(|k| m.get(spread(k / dim), spread(k % dim))).collect();
    Block::Matrix { free, data }
}

/// A block of a matrix, from [`restrict`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Block {
    /// Every qubit was fixed: a phase (or, for a non-unitary input, any scalar).
    Scalar(Complex64),
    /// A row-major matrix on the free qubits, listed by their index in the original matrix.
    Matrix {
        /// The free qubits (indices into the original matrix's qubits).
        free: Vec<usize>,
        /// Row-major entries, `2^free.len()` squared.
        data: Vec<Complex64>,
    },
}

#[cfg(test)]
mod tests {
    use qsim_core::gate::Gate;

    use super::*;

    #[test]
    fn controls_and_diagonals_do_not_mix() {
        let cx = Gate::Cx.matrix(&[]).unwrap();
        assert!(!mixes(&cx, 0), "control");
        assert!(mixes(&cx, 1), "target");
        let crz = Gate::Crz.matrix(&[0.4]).unwrap();
        assert!(!mixes(&crz, 0) && !mixes(&crz, 1));
        let h = Gate::H.matrix(&[]).unwrap();
        assert!(mixes(&h, 0));
    }

    #[test]
    fn blocks_of_a_controlled_gate() {
        let cx = Gate::Cx.matrix(&[]).unwrap();
        let x = Gate::X.matrix(&[]).unwrap();
        // Control (qubit 0) fixed to 1: X on the target.
        assert_eq!(
            restrict(&cx, 1, 1),
            Block::Matrix { free: vec![1], data: x.as_slice().to_vec() }
        );
        // Control fixed to 0: the identity.
        let id = Matrix::identity(1);
        assert_eq!(
            restrict(&cx, 1, 0),
            Block::Matrix { free: vec![1], data: id.as_slice().to_vec() }
        );
        // rz with its qubit fixed to 1: the phase e^{i t/2}.
        let rz = Gate::Rz.matrix(&[0.6]).unwrap();
        assert_eq!(restrict(&rz, 1, 1), Block::Scalar(rz.get(1, 1)));
    }
}
