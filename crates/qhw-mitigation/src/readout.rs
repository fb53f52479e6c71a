//! Readout-error models: per-qubit tensored and full assignment matrices. Their corrections
//! (exact inverse, least squares, M3) are in [`crate::correction`].
//!
//! An assignment matrix `A[read][prepared] = P(read | prepared)` maps the true outcome
//! distribution to the read one, `p_read = A p_true`; every column sums to 1. A tensored model
//! is `A = C_{n-1} ⊗ ... ⊗ C_0` with one 2x2 confusion matrix per qubit
//! (`C_q = [[P(0|0), P(0|1)], [P(1|0), P(1|1)]]`, column = prepared bit, as Qiskit and mthree
//! write it), applied in O(n 2^n) without ever forming the `2^n x 2^n` matrix.

use std::cmp::Ordering;

use nalgebra::DMatrix;

use crate::counts::Counts;
use crate::error::{Error, Result, check_probability};

/// Largest register for the dense corrections (inverse, least squares) of a tensored model.
pub const MAX_DENSE_QUBITS: usize = 22;

/// Largest register for a full `2^n x 2^n` assignment matrix.
pub const MAX_FULL_QUBITS: usize = 10;

/// Tolerance on the column sums of a confusion or assignment matrix.
pub const COLUMN_SUM_TOLERANCE: f64 = 1e-9;

/// Smallest `|det|` of a per-qubit confusion matrix accepted as invertible.
pub const MIN_DETERMINANT: f64 = 1e-9;

/// A readout assignment matrix over `n` bits, applied and inverted without caring how it is
/// stored.
pub trait AssignmentMatrix {
    /// Number of bits (qubits) it covers.
    fn num_qubits(&self) -> usize;
    /// `P(read | prepared)` for two outcomes.
    fn element(&self, read: usize, prepared: usize) -> f64;
    /// `A x` over all `2^n` outcomes.
    fn apply(&self, x: &[f64]) -> Result<Vec<f64>>;
    /// `A^T y` over all `2^n` outcomes.
    fn apply_transpose(&self, y: &[f64]) -> Result<Vec<f64>>;
    /// `A^{-1} y` over all `2^n` outcomes.
    fn solve(&self, y: &[f64]) -> Result<Vec<f64>>;
    /// The largest singular value of `A` (sets the step of the least-squares solver).
    fn spectral_norm(&self) -> f64;
}

fn check_len(len: usize, num_qubits: usize) -> Result<()> {
    if len != 1usize << num_qubits {
        return Err(Error::DimensionMismatch {
            what: "distribution length (2^n)",
            expected: 1 << num_qubits,
            got: len,
        });
    }
    Ok(())
}

/// Per-qubit readout confusion: the tensored model of independent readout errors.
///
/// ```
/// use qhw_mitigation::correction::{Correction, mitigate};
/// use qhw_mitigation::{counts::Counts, readout::TensoredReadout};
/// // P(1|0) = 0.02, P(0|1) = 0.05 on both qubits.
/// let model = TensoredReadout::from_flips(&[(0.02, 0.05), (0.02, 0.05)])?;
/// let counts = Counts::from_bitstrings(2, [("11", 903), ("10", 47), ("01", 48), ("00", 2)])?;
/// let q = mitigate(&model, &counts, &Correction::Inverse)?;
/// assert!((q.get(0b11) - 1.0).abs() < 0.01);
/// # Ok::<(), qhw_mitigation::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TensoredReadout {
    confusion: Vec<[[f64; 2]; 2]>,
    inverse: Vec<[[f64; 2]; 2]>,
}

impl TensoredReadout {
    /// From one confusion matrix per qubit, `[[P(0|0), P(0|1)], [P(1|0), P(1|1)]]`: every entry a
    /// probability, every column summing to 1, every matrix invertible.
    pub fn new(confusion: Vec<[[f64; 2]; 2]>) -> Result<Self> {
        let mut inverse = Vec::with_capacity(confusion.len());
        for (q, m) in confusion.iter().enumerate() {
            for (r, row) in m.iter().enumerate() {
                for (c, &p) in row.iter().enumerate() {
                    check_probability(format!("P({r}|{c}) of qubit {q}"), p)?;
                }
            }
            for (column, (top, bottom)) in m[0].iter().zip(&m[1]).enumerate() {
                let sum = top + bottom;
                if (sum - 1.0).abs() > COLUMN_SUM_TOLERANCE {
                    return Err(Error::ConfusionNotNormalized { qubit: q, column, sum });
                }
            }
            let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
            if det.abs() < MIN_DETERMINANT {
                return Err(Error::SingularConfusion { qubit: q, determinant: det });
            }
            inverse.push([[m[1][1] / det, -m[0][1] / det], [-m[1][0] / det, m[0][0] / det]]);
        }
        Ok(Self { confusion, inverse })
    }

    /// From flip probabilities `(P(1|0), P(0|1))` per qubit.
    pub fn from_flips(flips: &[(f64, f64)]) -> Result<Self> {
        let confusion = flips
            .iter()
            .enumerate()
            .map(|(q, &(p10, p01))| {
                let a = check_probability(format!("P(1|0) of qubit {q}"), p10)?;
                let b = check_probability(format!("P(0|1) of qubit {q}"), p01)?;
                Ok([[1.0 - a, b], [a, 1.0 - b]])
            })
            .collect::<Result<Vec<_>>>()?;
        Self::new(confusion)
    }

    /// The same model as a `qchannels` readout error (to corrupt simulated outcomes).
    pub fn to_readout_error(&self) -> Result<qchannels::readout::ReadoutError> {
        Ok(qchannels::readout::ReadoutError::new(self.confusion.clone())?)
    }

    /// The confusion matrix of qubit `q`.
    pub fn confusion(&self, q: usize) -> Result<[[f64; 2]; 2]> {
        self.confusion
            .get(q)
            .copied()
            .ok_or(Error::UnknownQubit { qubit: q, num_qubits: self.confusion.len() })
    }

    /// All confusion matrices, qubit 0 first.
    pub fn confusions(&self) -> &[[[f64; 2]; 2]] {
        &self.confusion
    }

    /// The model of the listed qubits only, in that order (bit `l` of the result is
    /// `qubits[l]`): what mitigating counts measured on a subset of a device needs.
    pub fn for_qubits(&self, qubits: &[usize]) -> Result<TensoredReadout> {
        let confusion = qubits.iter().map(|&q| self.confusion(q)).collect::<Result<Vec<_>>>()?;
        Self::new(confusion)
    }

    /// The readout-corrected parity `<Z...Z>` on the bits of `mask` (bit `l` = qubit `l` of the
    /// model), from `counts` directly: the same value as the parity of the exact inverse
    /// correction ([`crate::correction::Correction::Inverse`]), at the cost of one pass over the
    /// observed outcomes.
    ///
    /// The inverse is a tensor product and the columns of each qubit's inverse sum to 1, so the
    /// qubits outside `mask` drop out and each read bit `b` of a qubit in `mask` contributes the
    /// factor `(A^-1)[0][b] - (A^-1)[1][b]`.
    ///
    /// ```
    /// use qhw_mitigation::{counts::Counts, readout::TensoredReadout};
    /// let model = TensoredReadout::from_flips(&[(0.02, 0.05)])?;
    /// // |1> read with P(0|1) = 0.05: 5% zeros.
    /// let counts = Counts::from_bitstrings(1, [("1", 950), ("0", 50)])?;
    /// assert!((counts.parity_expectation(1)? + 0.9).abs() < 1e-12);
    /// assert!((model.parity(&counts, 1)? + 1.0).abs() < 1e-12);
    /// # Ok::<(), qhw_mitigation::Error>(())
    /// ```
    pub fn parity(&self, counts: &Counts, mask: usize) -> Result<f64> {
        let n = self.num_qubits();
        if counts.num_bits() != n {
            return Err(Error::DimensionMismatch {
                what: "bits of the counts vs qubits of the readout model",
                expected: n,
                got: counts.num_bits(),
            });
        }
        if n < usize::BITS as usize && mask >> n != 0 {
            return Err(Error::UnknownQubit {
                qubit: (usize::BITS - mask.leading_zeros() - 1) as usize,
                num_qubits: n,
            });
        }
        let sign: Vec<[f64; 2]> =
            self.inverse.iter().map(|inv| [inv[0][0] - inv[1][0], inv[0][1] - inv[1][1]]).collect();
        let mut total = 0.0;
        for (outcome, f) in counts.frequencies()? {
            let mut v = f;
            for (q, s) in sign.iter().enumerate() {
                if mask >> q & 1 == 1 {
                    v *= s[outcome >> q & 1];
                }
            }
            total += v;
        }
        Ok(total)
    }

    fn apply_per_qubit(mats: &[[[f64; 2]; 2]], x: &[f64], transpose: bool) -> Vec<f64> {
        let mut p = x.to_vec();
        for (q, m) in mats.iter().enumerate() {
            let m = if transpose { [[m[0][0], m[1][0]], [m[0][1], m[1][1]]] } else { *m };
            let half = 1usize << q;
            for block in p.chunks_exact_mut(2 * half) {
                let (lo, hi) = block.split_at_mut(half);
                for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                    let (u, v) = (*a, *b);
                    *a = m[0][0] * u + m[0][1] * v;
                    *b = m[1][0] * u + m[1][1] * v;
                }
            }
        }
        p
    }

    fn check_dense(&self, len: usize) -> Result<()> {
        if self.num_qubits() > MAX_DENSE_QUBITS {
            return Err(Error::TooManyQubits {
                what: "dense tensored correction",
                max: MAX_DENSE_QUBITS,
                got: self.num_qubits(),
            });
        }
        check_len(len, self.num_qubits())
    }
}

impl AssignmentMatrix for TensoredReadout {
    fn num_qubits(&self) -> usize {
        self.confusion.len()
    }

    fn element(&self, read: usize, prepared: usize) -> f64 {
        self.confusion
            .iter()
            .enumerate()
            .map(|(q, m)| m[(read >> q) & 1][(prepared >> q) & 1])
            .product()
    }

    fn apply(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.check_dense(x.len())?;
        Ok(Self::apply_per_qubit(&self.confusion, x, false))
    }

    fn apply_transpose(&self, y: &[f64]) -> Result<Vec<f64>> {
        self.check_dense(y.len())?;
        Ok(Self::apply_per_qubit(&self.confusion, y, true))
    }

    fn solve(&self, y: &[f64]) -> Result<Vec<f64>> {
        self.check_dense(y.len())?;
        // The inverse of a Kronecker product is the product of the inverses.
        Ok(Self::apply_per_qubit(&self.inverse, y, false))
    }

    fn spectral_norm(&self) -> f64 {
        // Singular values of a Kronecker product multiply.
        self.confusion
            .iter()
            .map(|m| {
                let (a, b, c, d) = (m[0][0], m[0][1], m[1][0], m[1][1]);
                // Largest eigenvalue of M^T M for a 2x2 matrix.
                let (p, q, r) = (a * a + c * c, a * b + c * d, b * b + d * d);
                let mean = 0.5 * (p + r);
                (mean + (0.25 * (p - r) * (p - r) + q * q).sqrt()).sqrt()
            })
            .product()
    }
}

/// A full `2^n x 2^n` assignment matrix, measured by preparing every basis state: captures
/// correlated readout errors that the tensored model misses. At most [`MAX_FULL_QUBITS`].
#[derive(Clone, Debug)]
pub struct FullReadout {
    num_qubits: usize,
    matrix: DMatrix<f64>,
    lu: nalgebra::LU<f64, nalgebra::Dyn, nalgebra::Dyn>,
}

impl FullReadout {
    /// From the row-major matrix `entries[read * 2^n + prepared] = P(read | prepared)`: entries
    /// are probabilities, columns sum to 1, the matrix is invertible.
    pub fn new(num_qubits: usize, entries: &[f64]) -> Result<Self> {
        if num_qubits > MAX_FULL_QUBITS {
            return Err(Error::TooManyQubits {
                what: "a full assignment matrix",
                max: MAX_FULL_QUBITS,
                got: num_qubits,
            });
        }
        let d = 1usize << num_qubits;
        if entries.len() != d * d {
            return Err(Error::DimensionMismatch {
                what: "assignment matrix entries (4^n)",
                expected: d * d,
                got: entries.len(),
            });
        }
        for (i, &p) in entries.iter().enumerate() {
            check_probability(format!("P({}|{}) of the full assignment matrix", i / d, i % d), p)?;
        }
        for column in 0..d {
            let sum: f64 = (0..d).map(|r| entries[r * d + column]).sum();
            if (sum - 1.0).abs() > COLUMN_SUM_TOLERANCE {
                return Err(Error::ConfusionNotNormalized { qubit: 0, column, sum });
            }
        }
        let matrix = DMatrix::from_row_slice(d, d, entries);
        let lu = matrix.clone().lu();
        // Relative pivot size: a pivot many orders below the largest means a singular matrix.
        let u = lu.u();
        let (mut smallest, mut largest) = (f64::INFINITY, 0.0f64);
        for i in 0..d {
            smallest = smallest.min(u[(i, i)].abs());
            largest = largest.max(u[(i, i)].abs());
        }
        // Not above the threshold, or not comparable with it (NaN): singular.
        if smallest.partial_cmp(&(1e-12 * largest.max(1e-300))) != Some(Ordering::Greater) {
            return Err(Error::SingularMatrix { what: "the full assignment matrix" });
        }
        Ok(Self { num_qubits, matrix, lu })
    }

    /// The tensored model as a full matrix (for comparisons).
    pub fn from_tensored(model: &TensoredReadout) -> Result<Self> {
        let n = model.num_qubits();
        if n > MAX_FULL_QUBITS {
            return Err(Error::TooManyQubits {
                what: "a full assignment matrix",
                max: MAX_FULL_QUBITS,
                got: n,
            });
        }
        let d = 1usize << n;
        let entries: Vec<f64> = (0..d * d).map(|i| model.element(i / d, i % d)).collect();
        Self::new(n, &entries)
    }

    /// `P(read | prepared)`.
    pub fn get(&self, read: usize, prepared: usize) -> f64 {
        self.matrix[(read, prepared)]
    }
}

impl AssignmentMatrix for FullReadout {
    fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    fn element(&self, read: usize, prepared: usize) -> f64 {
        self.matrix[(read, prepared)]
    }

    fn apply(&self, x: &[f64]) -> Result<Vec<f64>> {
        check_len(x.len(), self.num_qubits)?;
        Ok((&self.matrix * nalgebra::DVector::from_column_slice(x)).as_slice().to_vec())
    }

    fn apply_transpose(&self, y: &[f64]) -> Result<Vec<f64>> {
        check_len(y.len(), self.num_qubits)?;
        Ok((self.matrix.tr_mul(&nalgebra::DVector::from_column_slice(y))).as_slice().to_vec())
    }

    fn solve(&self, y: &[f64]) -> Result<Vec<f64>> {
        check_len(y.len(), self.num_qubits)?;
        let x = self
            .lu
            .solve(&nalgebra::DVector::from_column_slice(y))
            .ok_or(Error::SingularMatrix { what: "the full assignment matrix" })?;
        Ok(x.as_slice().to_vec())
    }

    fn spectral_norm(&self) -> f64 {
        self.matrix.clone().svd(false, false).singular_values.max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensored_inverse_undoes_the_forward_map() {
        let m = TensoredReadout::from_flips(&[(0.02, 0.07), (0.1, 0.03), (0.05, 0.05)]).unwrap();
        let x: Vec<f64> = (0..8).map(|i| (i as f64 + 1.0) / 36.0).collect();
        let back = m.solve(&m.apply(&x).unwrap()).unwrap();
        assert!(x.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-14));
        let full = FullReadout::from_tensored(&m).unwrap();
        let y = full.apply(&x).unwrap();
        assert!(y.iter().zip(m.apply(&x).unwrap()).all(|(a, b)| (a - b).abs() < 1e-15));
        assert!((full.spectral_norm() - m.spectral_norm()).abs() < 1e-12);
    }

    #[test]
    fn parity_matches_the_inverse_correction() {
        let m = TensoredReadout::from_flips(&[(0.02, 0.07), (0.1, 0.03), (0.05, 0.05)]).unwrap();
        let counts =
            Counts::from_pairs(3, [(0b000, 40), (0b011, 25), (0b101, 7), (0b111, 28)]).unwrap();
        let q = crate::correction::mitigate(&m, &counts, &crate::correction::Correction::Inverse)
            .unwrap();
        for mask in 0..8 {
            let direct = m.parity(&counts, mask).unwrap();
            assert!((direct - q.parity_expectation(mask)).abs() < 1e-12, "mask {mask}");
        }
        assert!(matches!(m.parity(&counts, 0b1000), Err(Error::UnknownQubit { qubit: 3, .. })));
    }

    #[test]
    fn bad_confusion_matrices_are_typed_errors() {
        assert!(matches!(
            TensoredReadout::from_flips(&[(1.2, 0.0)]),
            Err(Error::InvalidProbability { .. })
        ));
        assert!(matches!(
            TensoredReadout::new(vec![[[0.9, 0.1], [0.2, 0.9]]]),
            Err(Error::ConfusionNotNormalized { qubit: 0, column: 0, .. })
        ));
        assert!(matches!(
            TensoredReadout::from_flips(&[(0.01, 0.01), (0.5, 0.5)]),
            Err(Error::SingularConfusion { qubit: 1, .. })
        ));
        let m = TensoredReadout::from_flips(&[(0.01, 0.02)]).unwrap();
        assert!(matches!(m.for_qubits(&[0, 3]), Err(Error::UnknownQubit { qubit: 3, .. })));
        assert!(matches!(
            FullReadout::new(1, &[0.5, 0.5, 0.5, 0.5]),
            Err(Error::SingularMatrix { .. })
        ));
    }
}
