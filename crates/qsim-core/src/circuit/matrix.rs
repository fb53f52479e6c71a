//! Small dense complex matrices: gate unitaries, their derivatives, Kraus operators.

use num_complex::Complex64;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const ZERO: Complex64 = Complex64::new(0.0, 0.0);
const ONE: Complex64 = Complex64::new(1.0, 0.0);

/// A dense `2^k x 2^k` complex matrix acting on `k` qubits, stored row-major.
///
/// Local index convention: bit `j` of a row or column index is the `j`-th qubit the matrix is
/// applied to (little-endian, as Qiskit). So for `cx` on `[control, target]`, the control is bit 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    num_qubits: usize,
    data: Vec<Complex64>,
}

impl Matrix {
    /// Wraps row-major data for a `num_qubits`-qubit operator.
    pub fn new(num_qubits: usize, data: Vec<Complex64>) -> Result<Self> {
        let dim = 1usize << num_qubits;
        if data.len() != dim * dim {
            return Err(Error::DimensionMismatch {
                what: "matrix entries",
                expected: dim * dim,
                got: data.len(),
            });
        }
        if data.iter().any(|z| !z.re.is_finite() || !z.im.is_finite()) {
            return Err(Error::NotUnitary { deviation: f64::NAN });
        }
        Ok(Self { num_qubits, data })
    }

    /// Builds a matrix from nested rows; the row count must be a power of two.
    pub fn from_rows(rows: &[Vec<Complex64>]) -> Result<Self> {
        let dim = rows.len();
        if !dim.is_power_of_two() {
            return Err(Error::DimensionMismatch {
                what: "matrix rows (a power of two)",
                expected: dim.next_power_of_two(),
                got: dim,
            });
        }
        let mut data = Vec::with_capacity(dim * dim);
        for row in rows {
            if row.len() != dim {
                return Err(Error::DimensionMismatch {
                    what: "matrix row length",
                    expected: dim,
                    got: row.len(),
                });
            }
            data.extend_from_slice(row);
        }
        Self::new(dim.trailing_zeros() as usize, data)
    }

    /// Internal constructor for data known to have the right size.
    pub(crate) fn from_vec_unchecked(num_qubits: usize, data: Vec<Complex64>) -> Self {
        debug_assert_eq!(data.len(), 1 << (2 * num_qubits));
        Self { num_qubits, data }
    }

    /// The `2^k x 2^k` identity.
    pub fn identity(num_qubits: usize) -> Self {
        let dim = 1usize << num_qubits;
        let mut data = vec![ZERO; dim * dim];
        for i in 0..dim {
            data[i * dim + i] = ONE;
        }
        Self { num_qubits, data }
    }

    /// A diagonal matrix with the given diagonal (length a power of two).
    pub fn diagonal(diag: &[Complex64]) -> Result<Self> {
        let dim = diag.len();
        if !dim.is_power_of_two() {
            return Err(Error::DimensionMismatch {
                what: "diagonal length (a power of two)",
                expected: dim.next_power_of_two(),
                got: dim,
            });
        }
        let mut m = Self::identity(dim.trailing_zeros() as usize);
        for (i, &d) in diag.iter().enumerate() {
            m.data[i * dim + i] = d;
        }
        Ok(m)
    }

    /// Number of qubits the matrix acts on.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Side length `2^k`.
    pub fn dim(&self) -> usize {
        1 << self.num_qubits
    }

    /// Entry at `(row, col)`.
    pub fn get(&self, row: usize, col: usize) -> Complex64 {
        self.data[row * self.dim() + col]
    }

    /// Sets the entry at `(row, col)`.
    pub fn set(&mut self, row: usize, col: usize, value: Complex64) {
        let dim = self.dim();
        self.data[row * dim + col] = value;
    }

    /// Row-major entries.
    pub fn as_slice(&self) -> &[Complex64] {
        &self.data
    }

    /// Matrix product `self * rhs` (apply `rhs` first, then `self`).
    pub fn mul(&self, rhs: &Matrix) -> Matrix {
        assert_eq!(self.num_qubits, rhs.num_qubits, "matrix sizes differ");
        let dim = self.dim();
        let mut out = vec![ZERO; dim * dim];
        for i in 0..dim {
            for k in 0..dim {
                let a = self.data[i * dim + k];
                if a == ZERO {
                    continue;
                }
                for j in 0..dim {
                    out[i * dim + j] += a * rhs.data[k * dim + j];
                }
            }
        }
        Matrix { num_qubits: self.num_qubits, data: out }
    }

    /// Conjugate transpose.
    pub fn adjoint(&self) -> Matrix {
        let dim = self.dim();
        let mut out = vec![ZERO; dim * dim];
        for i in 0..dim {
            for j in 0..dim {
                out[j * dim + i] = self.data[i * dim + j].conj();
            }
        }
        Matrix { num_qubits: self.num_qubits, data: out }
    }

    /// Entry-wise complex conjugate.
    pub fn conj(&self) -> Matrix {
        Matrix { num_qubits: self.num_qubits, data: self.data.iter().map(|z| z.conj()).collect() }
    }

    /// Multiplies every entry by `factor`.
    pub fn scale(&self, factor: Complex64) -> Matrix {
        Matrix { num_qubits: self.num_qubits, data: self.data.iter().map(|z| z * factor).collect() }
    }

    /// Kronecker product with `self` on the low qubits: `(self ⊗_low other)` acts as `self` on
    /// local qubits `0..k` and `other` on `k..k+m`.
    pub fn kron_low(&self, high: &Matrix) -> Matrix {
        let (da, db) = (self.dim(), high.dim());
        let dim = da * db;
        let mut out = vec![ZERO; dim * dim];
        for rb in 0..db {
            for cb in 0..db {
                let b = high.data[rb * db + cb];
                if b == ZERO {
                    continue;
                }
                for ra in 0..da {
                    for ca in 0..da {
                        out[(rb * da + ra) * dim + cb * da + ca] = b * self.data[ra * da + ca];
                    }
                }
            }
        }
        Matrix { num_qubits: self.num_qubits + high.num_qubits, data: out }
    }

    /// Largest entry of `|U^dagger U - I|`: zero for an exactly unitary matrix.
    pub fn unitarity_deviation(&self) -> f64 {
        let p = self.adjoint().mul(self);
        let dim = self.dim();
        let mut worst = 0.0f64;
        for i in 0..dim {
            for j in 0..dim {
                let expected = if i == j { ONE } else { ZERO };
                worst = worst.max((p.data[i * dim + j] - expected).norm());
            }
        }
        worst
    }

    /// Checks unitarity within `tol`, returning the matrix itself on success.
    pub fn check_unitary(&self, tol: f64) -> Result<()> {
        let deviation = self.unitarity_deviation();
        if deviation.is_nan() || deviation > tol {
            return Err(Error::NotUnitary { deviation });
        }
        Ok(())
    }

    /// True when every off-diagonal entry is exactly zero.
    pub fn is_diagonal(&self) -> bool {
        let dim = self.dim();
        (0..dim).all(|i| (0..dim).all(|j| i == j || self.data[i * dim + j] == ZERO))
    }

    /// Largest entry-wise distance to `other`.
    pub fn max_abs_diff(&self, other: &Matrix) -> f64 {
        self.data.iter().zip(&other.data).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max)
    }

    /// Re-expresses the matrix on a permuted qubit order: local qubit `j` of the result is local
    /// qubit `order[j]` of `self`.
    pub fn permute_qubits(&self, order: &[usize]) -> Matrix {
        let k = self.num_qubits;
        debug_assert_eq!(order.len(), k);
        let dim = self.dim();
        let map = |x: usize| -> usize {
            // Index in the new order -> index in the old order.
            let mut y = 0;
            for (j, &o) in order.iter().enumerate() {
                y |= ((x >> j) & 1) << o;
            }
            y
        };
        let mut out = vec![ZERO; dim * dim];
        for r in 0..dim {
            for c in 0..dim {
                out[r * dim + c] = self.data[map(r) * dim + map(c)];
            }
        }
        Matrix { num_qubits: k, data: out }
    }
}
