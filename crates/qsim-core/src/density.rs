//! The mixed-state simulator: a `2^n x 2^n` density matrix.
//!
//! Storage is row-major, `rho[r][c] = data[r * 2^n + c]`. Read as a vector of `2n` qubits, the
//! column index holds bits `0..n` and the row index bits `n..2n`, so `U rho U^dagger` is `U` on the
//! row qubits `q + n` and `conj(U)` on the column qubits `q`: the state-vector kernels do all the
//! work, and a channel on `k` qubits is one `2k`-qubit superoperator on that vector. No
//! `4^n x 4^n` matrix is ever built.

use num_complex::Complex64;
use rand::Rng;

use crate::circuit::gate::Gate;
use crate::circuit::matrix::Matrix;
use crate::circuit::{Circuit, Operation};
use crate::engine::{allocate, apply_matrix, run_unitary};
use crate::error::{Error, Result};
use crate::kernels;
use crate::pauli::PauliSum;
use crate::pauli_channel::PauliChannel;
use crate::state::StateVector;

/// The largest density matrix this crate will allocate: 15 qubits are 16 GiB.
pub const MAX_QUBITS: usize = 15;

/// Tolerance for trace and Hermiticity checks of user-supplied matrices.
pub const DENSITY_TOLERANCE: f64 = 1e-8;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);
const ONE: Complex64 = Complex64::new(1.0, 0.0);

/// A mixed state of `n` qubits. Bit `i` of a row or column index is qubit `i`.
///
/// ```
/// use qsim_core::{circuit::Circuit, density::DensityMatrix};
/// let mut c = Circuit::new(1);
/// c.h(0)?.reset(0)?; // reset is a channel here, not a random jump
/// let mut rho = DensityMatrix::new(1)?;
/// rho.apply_circuit(&c, &[])?;
/// assert!((rho.get(0, 0).re - 1.0).abs() < 1e-12);
/// # Ok::<(), qsim_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DensityMatrix {
    num_qubits: usize,
    data: Vec<Complex64>,
}

impl DensityMatrix {
    /// `|0...0><0...0|`.
    pub fn new(num_qubits: usize) -> Result<Self> {
        check_size(num_qubits)?;
        let mut data = allocate(2 * num_qubits, 2 * MAX_QUBITS)?;
        data[0] = ONE;
        Ok(Self { num_qubits, data })
    }

    /// The maximally mixed state `I / 2^n`.
    pub fn maximally_mixed(num_qubits: usize) -> Result<Self> {
        let mut rho = Self::new(num_qubits)?;
        let d = 1usize << num_qubits;
        rho.data[0] = ZERO;
        for i in 0..d {
            rho.data[i * d + i] = Complex64::new(1.0 / d as f64, 0.0);
        }
        Ok(rho)
    }

    /// `|psi><psi|`.
    pub fn from_state_vector(psi: &StateVector) -> Result<Self> {
        let n = psi.num_qubits();
        check_size(n)?;
        let mut data = allocate(2 * n, 2 * MAX_QUBITS)?;
        let a = psi.amplitudes();
        let d = a.len();
        for r in 0..d {
            for c in 0..d {
                data[r * d + c] = a[r] * a[c].conj();
            }
        }
        Ok(Self { num_qubits: n, data })
    }

    /// Wraps row-major data, checking size, Hermiticity and unit trace (not positivity, which
    /// would need an eigendecomposition).
    pub fn from_matrix(num_qubits: usize, data: Vec<Complex64>) -> Result<Self> {
        check_size(num_qubits)?;
        let d = 1usize << num_qubits;
        if data.len() != d * d {
            return Err(Error::DimensionMismatch {
                what: "density matrix entries",
                expected: d * d,
                got: data.len(),
            });
        }
        let rho = Self { num_qubits, data };
        let worst = rho.hermiticity_deviation();
        if worst.is_nan() || worst > DENSITY_TOLERANCE {
            return Err(Error::InvalidDensityMatrix {
                reason: format!("not Hermitian (max |rho - rho^dagger| entry {worst:e})"),
            });
        }
        let tr = rho.trace();
        if !((tr.re - 1.0).abs() <= DENSITY_TOLERANCE && tr.im.abs() <= DENSITY_TOLERANCE) {
            return Err(Error::InvalidDensityMatrix { reason: format!("trace is {tr}, not 1") });
        }
        Ok(rho)
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Side length `2^n`.
    pub fn dim(&self) -> usize {
        1 << self.num_qubits
    }

    /// Row-major entries.
    pub fn as_slice(&self) -> &[Complex64] {
        &self.data
    }

    /// Mutable row-major entries, for channel kernels outside this crate. The caller keeps the
    /// matrix a valid state.
    pub fn as_mut_slice(&mut self) -> &mut [Complex64] {
        &mut self.data
    }

    /// Entry `rho[row][col]`.
    pub fn get(&self, row: usize, col: usize) -> Complex64 {
        self.data[row * self.dim() + col]
    }

    /// `Tr(rho)`.
    pub fn trace(&self) -> Complex64 {
        let d = self.dim();
        (0..d).map(|i| self.data[i * d + i]).sum()
    }

    /// `Tr(rho^2)`: 1 for a pure state, `1/2^n` for the maximally mixed one.
    pub fn purity(&self) -> f64 {
        // Tr(rho^2) = sum |rho_rc|^2 for Hermitian rho.
        self.data.iter().map(|z| z.norm_sqr()).sum()
    }

    /// Largest `|rho[r][c] - conj(rho[c][r])|`.
    pub fn hermiticity_deviation(&self) -> f64 {
        let d = self.dim();
        let mut worst = 0.0f64;
        for r in 0..d {
            for c in r..d {
                worst = worst.max((self.data[r * d + c] - self.data[c * d + r].conj()).norm());
            }
        }
        worst
    }

    /// The diagonal: Born probabilities of every basis state.
    pub fn probabilities(&self) -> Vec<f64> {
        let d = self.dim();
        (0..d).map(|i| self.data[i * d + i].re).collect()
    }

    /// `shots` Born-rule samples of all qubits (basis indices).
    pub fn sample<R: Rng + ?Sized>(&self, shots: usize, rng: &mut R) -> Result<Vec<usize>> {
        let probs: Vec<f64> = self.probabilities().into_iter().map(|p| p.max(0.0)).collect();
        Ok(crate::measure::AliasSampler::new(&probs)?.sample_many(shots, rng))
    }

    /// `Tr(rho O)`.
    pub fn expectation(&self, observable: &PauliSum) -> Result<f64> {
        observable.expectation_density(&self.data, self.num_qubits)
    }

    /// `<psi|rho|psi>`.
    pub fn fidelity_with_state(&self, psi: &StateVector) -> Result<f64> {
        if psi.num_qubits() != self.num_qubits {
            return Err(Error::DimensionMismatch {
                what: "qubits of the pure state",
                expected: self.num_qubits,
                got: psi.num_qubits(),
            });
        }
        let a = psi.amplitudes();
        let d = self.dim();
        let mut sum = ZERO;
        for r in 0..d {
            let row: Complex64 = (0..d).map(|c| self.data[r * d + c] * a[c]).sum();
            sum += a[r].conj() * row;
        }
        Ok(sum.re)
    }

    /// The reduced state of `keep` (in that order: bit `j` of the result is `keep[j]`).
    pub fn partial_trace(&self, keep: &[usize]) -> Result<DensityMatrix> {
        self.check_qubits(keep)?;
        let k = keep.len();
        let traced: Vec<usize> = (0..self.num_qubits).filter(|q| !keep.contains(q)).collect();
        let d = self.dim();
        let dk = 1usize << k;
        let mut out = vec![ZERO; dk * dk];
        let spread = |x: usize, qubits: &[usize]| -> usize {
            qubits.iter().enumerate().map(|(j, &q)| ((x >> j) & 1) << q).sum()
        };
        for e in 0..1usize << traced.len() {
            let env = spread(e, &traced);
            for r in 0..dk {
                let rr = env | spread(r, keep);
                for c in 0..dk {
                    out[r * dk + c] += self.data[rr * d + (env | spread(c, keep))];
                }
            }
        }
        Ok(DensityMatrix { num_qubits: k, data: out })
    }

    pub(crate) fn check_qubits(&self, qubits: &[usize]) -> Result<()> {
        crate::circuit::check_distinct_in_range(qubits, self.num_qubits)
    }

    /// Applies `gate` with `params` to `qubits`: `rho -> U rho U^dagger`.
    pub fn apply_gate(&mut self, gate: Gate, qubits: &[usize], params: &[f64]) -> Result<()> {
        gate.check_arity(qubits)?;
        self.check_qubits(qubits)?;
        let m = gate.matrix(params)?;
        self.conjugate_unchecked(qubits, &m);
        Ok(())
    }

    /// Applies a unitary on `targets` (checked): `rho -> U rho U^dagger`.
    pub fn apply_unitary(&mut self, targets: &[usize], matrix: &Matrix) -> Result<()> {
        crate::circuit::check_controlled_unitary(&[], targets, matrix, self.num_qubits)?;
        self.conjugate_unchecked(targets, matrix);
        Ok(())
    }

    /// `rho -> U rho U^dagger` on validated qubits.
    fn conjugate_unchecked(&mut self, qubits: &[usize], u: &Matrix) {
        let rows: Vec<usize> = qubits.iter().map(|q| q + self.num_qubits).collect();
        apply_matrix(&mut self.data, &rows, u);
        apply_matrix(&mut self.data, qubits, &u.conj());
    }

    /// Applies the channel `rho -> sum_i K_i rho K_i^dagger` on `qubits`; the Kraus set must be
    /// trace preserving (`sum K^dagger K = I` within [`DENSITY_TOLERANCE`]).
    pub fn apply_kraus(&mut self, qubits: &[usize], kraus: &[Matrix]) -> Result<()> {
        self.check_qubits(qubits)?;
        let k = qubits.len();
        let mut completeness = Matrix::from_vec_unchecked(k, vec![ZERO; 1 << (2 * k)]);
        for op in kraus {
            if op.num_qubits() != k {
                return Err(Error::DimensionMismatch {
                    what: "Kraus operator qubits",
                    expected: k,
                    got: op.num_qubits(),
                });
            }
            let p = op.adjoint().mul(op);
            completeness = Matrix::from_vec_unchecked(
                k,
                completeness.as_slice().iter().zip(p.as_slice()).map(|(a, b)| a + b).collect(),
            );
        }
        let deviation = completeness.max_abs_diff(&Matrix::identity(k));
        if deviation.is_nan() || deviation > DENSITY_TOLERANCE {
            return Err(Error::NotTracePreserving { deviation });
        }
        let s = superoperator(kraus);
        self.apply_superoperator_unchecked(qubits, &s);
        Ok(())
    }

    /// Applies a superoperator `S` (a `2k`-qubit matrix acting on `vec(rho)` restricted to
    /// `qubits`, local index `c + 2^k r` for the column part `c` and row part `r`). Use
    /// [`superoperator`] to build one from Kraus operators. Complete positivity and trace
    /// preservation are the caller's responsibility.
    pub fn apply_superoperator(&mut self, qubits: &[usize], s: &Matrix) -> Result<()> {
        self.check_qubits(qubits)?;
        if s.num_qubits() != 2 * qubits.len() {
            return Err(Error::DimensionMismatch {
                what: "superoperator qubits (twice the channel's)",
                expected: 2 * qubits.len(),
                got: s.num_qubits(),
            });
        }
        self.apply_superoperator_unchecked(qubits, s);
        Ok(())
    }

    /// Applies several superoperators in order in one sweep of the engine (fused, cache-blocked
    /// and parallel like a circuit): much faster than one [`apply_superoperator`] call each when
    /// they act on different qubits, e.g. a noise channel on every qubit.
    ///
    /// [`apply_superoperator`]: DensityMatrix::apply_superoperator
    pub fn apply_superoperators(&mut self, ops: &[(Vec<usize>, Matrix)]) -> Result<()> {
        let n = self.num_qubits;
        let mut doubled = Vec::with_capacity(ops.len());
        for (qubits, s) in ops {
            self.check_qubits(qubits)?;
            if s.num_qubits() != 2 * qubits.len() {
                return Err(Error::DimensionMismatch {
                    what: "superoperator qubits (twice the channel's)",
                    expected: 2 * qubits.len(),
                    got: s.num_qubits(),
                });
            }
            let targets = qubits.iter().copied().chain(qubits.iter().map(|q| q + n)).collect();
            // The engine applies any linear map of the doubled vector, not only unitaries.
            doubled.push(Operation::Unitary { controls: vec![], targets, matrix: s.clone() });
        }
        run_unitary(&mut self.data, &doubled, &[]);
        Ok(())
    }

    /// Applies gates and channels in order. Stretches of gates and dense channels run through
    /// the engine in one fused sweep each (a gate as `U` on the row bits and `conj(U)` on the
    /// column bits, half the work of its superoperator); a channel in Pauli form (depolarizing,
    /// dephasing) takes [`PauliChannel`]'s kernel between them, a quarter of a dense two-qubit
    /// superoperator's work. The fastest way to run a noisy circuit gate by gate.
    pub fn apply_ops(&mut self, ops: &[DensityOp]) -> Result<()> {
        let n = self.num_qubits;
        for op in ops {
            let (qubits, matrix, k) = match op {
                DensityOp::Unitary { qubits, matrix } => (qubits, matrix, 1),
                DensityOp::Superoperator { qubits, matrix } => (qubits, matrix, 2),
            };
            self.check_qubits(qubits)?;
            if matrix.num_qubits() != k * qubits.len() {
                return Err(Error::DimensionMismatch {
                    what: "matrix qubits (once or twice the operation's)",
                    expected: k * qubits.len(),
                    got: matrix.num_qubits(),
                });
            }
        }
        let mut doubled: Vec<Operation> = Vec::new();
        for op in ops {
            match op {
                DensityOp::Unitary { qubits, matrix } => {
                    let rows = qubits.iter().map(|q| q + n).collect();
                    doubled.push(Operation::Unitary {
                        controls: vec![],
                        targets: rows,
                        matrix: matrix.clone(),
                    });
                    doubled.push(Operation::Unitary {
                        controls: vec![],
                        targets: qubits.clone(),
                        matrix: matrix.conj(),
                    });
                }
                DensityOp::Superoperator { qubits, matrix } => {
                    if let Some(pauli) = PauliChannel::from_superoperator(matrix) {
                        run_unitary(&mut self.data, &doubled, &[]);
                        doubled.clear();
                        pauli.apply(&mut self.data, n, qubits)?;
                    } else {
                        let targets =
                            qubits.iter().copied().chain(qubits.iter().map(|q| q + n)).collect();
                        doubled.push(Operation::Unitary {
                            controls: vec![],
                            targets,
                            matrix: matrix.clone(),
                        });
                    }
                }
            }
        }
        run_unitary(&mut self.data, &doubled, &[]);
        Ok(())
    }

    fn apply_superoperator_unchecked(&mut self, qubits: &[usize], s: &Matrix) {
        let doubled: Vec<usize> =
            qubits.iter().copied().chain(qubits.iter().map(|q| q + self.num_qubits)).collect();
        kernels::apply_controlled_kq(&mut self.data, &doubled, 0, s.as_slice());
    }

    /// Runs a circuit. Measurement is non-selective here (the qubit is dephased in the Z basis,
    /// the outcome is not recorded) and reset is the reset channel: the density matrix carries
    /// the average over outcomes, so no random number generator is needed.
    pub fn apply_circuit(&mut self, circuit: &Circuit, theta: &[f64]) -> Result<()> {
        if circuit.num_qubits() > self.num_qubits {
            return Err(Error::QubitOutOfRange {
                qubit: circuit.num_qubits() - 1,
                num_qubits: self.num_qubits,
            });
        }
        circuit.check_theta(theta)?;
        // Unitary stretches run through the engine as U on the row bits and conj(U) on the
        // column bits of the doubled vector; measure and reset are channels between them.
        let n = self.num_qubits;
        let mut doubled: Vec<Operation> = Vec::new();
        for op in circuit.ops() {
            let channel = match op {
                Operation::Measure { qubit, .. } => Some((*qubit, superoperator(&projectors()))),
                Operation::Reset { qubit } => Some((*qubit, superoperator(&reset_kraus()))),
                _ => {
                    if let Some(u) = op.matrix(theta) {
                        let qubits = op.qubits();
                        let rows = qubits.iter().map(|q| q + n).collect();
                        doubled.push(Operation::Unitary {
                            controls: vec![],
                            targets: rows,
                            matrix: u.clone(),
                        });
                        doubled.push(Operation::Unitary {
                            controls: vec![],
                            targets: qubits,
                            matrix: u.conj(),
                        });
                    }
                    None
                }
            };
            if let Some((qubit, s)) = channel {
                run_unitary(&mut self.data, &doubled, &[]);
                doubled.clear();
                self.apply_superoperator_unchecked(&[qubit], &s);
            }
        }
        run_unitary(&mut self.data, &doubled, &[]);
        Ok(())
    }
}

fn check_size(num_qubits: usize) -> Result<()> {
    if num_qubits > MAX_QUBITS {
        return Err(Error::TooManyQubits {
            num_qubits,
            bytes: 1u128
                .checked_shl((2 * num_qubits) as u32)
                .and_then(|a| a.checked_mul(16))
                .unwrap_or(u128::MAX),
            max_qubits: MAX_QUBITS,
        });
    }
    Ok(())
}

/// One operation of [`DensityMatrix::apply_ops`].
#[derive(Clone, Debug, PartialEq)]
pub enum DensityOp {
    /// `rho -> U rho U^dagger` with `U` (a `k`-qubit matrix) on `qubits`.
    Unitary {
        /// The qubits `U` acts on (local qubit `i` of the matrix is `qubits[i]`).
        qubits: Vec<usize>,
        /// `U`.
        matrix: Matrix,
    },
    /// A channel on `qubits` as its `2k`-qubit superoperator (layout of [`superoperator`]).
    Superoperator {
        /// The qubits the channel acts on.
        qubits: Vec<usize>,
        /// `S`.
        matrix: Matrix,
    },
}

/// The superoperator `S = sum_i K_i ⊗ conj(K_i)` of a Kraus set, in the layout
/// [`DensityMatrix::apply_superoperator`] takes: `S[(r, c), (r', c')] = sum_i K_i[r][r'] conj(K_i[c][c'])`
/// with local index `c + 2^k r`.
pub fn superoperator(kraus: &[Matrix]) -> Matrix {
    let k = kraus.first().map_or(0, Matrix::num_qubits);
    let d = 1usize << k;
    let dd = d * d;
    let mut s = vec![ZERO; dd * dd];
    for op in kraus {
        for r in 0..d {
            for rp in 0..d {
                let a = op.get(r, rp);
                if a == ZERO {
                    continue;
                }
                for c in 0..d {
                    for cp in 0..d {
                        s[(c + d * r) * dd + (cp + d * rp)] += a * op.get(c, cp).conj();
                    }
                }
            }
        }
    }
    Matrix::from_vec_unchecked(2 * k, s)
}

fn projectors() -> [Matrix; 2] {
    [
        Matrix::from_vec_unchecked(1, vec![ONE, ZERO, ZERO, ZERO]),
        Matrix::from_vec_unchecked(1, vec![ZERO, ZERO, ZERO, ONE]),
    ]
}

fn reset_kraus() -> [Matrix; 2] {
    [
        Matrix::from_vec_unchecked(1, vec![ONE, ZERO, ZERO, ZERO]),
        Matrix::from_vec_unchecked(1, vec![ZERO, ONE, ZERO, ZERO]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bell_state_reduces_to_maximally_mixed() {
        let mut c = Circuit::new(2);
        c.h(0).unwrap().cx(0, 1).unwrap();
        let mut rho = DensityMatrix::new(2).unwrap();
        rho.apply_circuit(&c, &[]).unwrap();
        let reduced = rho.partial_trace(&[1]).unwrap();
        assert!((reduced.get(0, 0).re - 0.5).abs() < 1e-12);
        assert!(reduced.get(0, 1).norm() < 1e-12);
        assert!((rho.purity() - 1.0).abs() < 1e-12);
        assert!((reduced.purity() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn non_trace_preserving_kraus_is_rejected() {
        let mut rho = DensityMatrix::new(1).unwrap();
        let k = Matrix::from_vec_unchecked(1, vec![ONE, ZERO, ZERO, ONE])
            .scale(Complex64::new(0.9, 0.0));
        assert!(matches!(rho.apply_kraus(&[0], &[k]), Err(Error::NotTracePreserving { .. })));
    }

    #[test]
    fn ops_in_sequence_match_superoperators_one_by_one() {
        let x = Gate::X.matrix(&[]).unwrap();
        let id = Gate::Id.matrix(&[]).unwrap();
        let depolarizing = superoperator(&[
            id.kron_low(&id).scale(Complex64::new(0.95f64.sqrt(), 0.0)),
            x.kron_low(&id).scale(Complex64::new(0.05f64.sqrt(), 0.0)),
        ]);
        let damping = superoperator(&[
            Matrix::from_vec_unchecked(
                1,
                vec![ONE, ZERO, ZERO, Complex64::new(0.9f64.sqrt(), 0.0)],
            ),
            Matrix::from_vec_unchecked(
                1,
                vec![ZERO, Complex64::new(0.1f64.sqrt(), 0.0), ZERO, ZERO],
            ),
        ]);
        let gates = [
            (vec![0], Gate::H.matrix(&[]).unwrap()),
            (vec![2, 0], Gate::Cx.matrix(&[]).unwrap()),
            (vec![1], Gate::Ry.matrix(&[0.4]).unwrap()),
            (vec![1, 2], Gate::Cx.matrix(&[]).unwrap()),
        ];
        let mut ops = Vec::new();
        let mut reference = DensityMatrix::new(3).unwrap();
        for (qubits, u) in gates {
            reference
                .apply_superoperator(&qubits, &superoperator(std::slice::from_ref(&u)))
                .unwrap();
            ops.push(DensityOp::Unitary { qubits: qubits.clone(), matrix: u });
            if qubits.len() == 2 {
                reference.apply_superoperator(&qubits, &depolarizing).unwrap();
                ops.push(DensityOp::Superoperator { qubits, matrix: depolarizing.clone() });
            } else {
                reference.apply_superoperator(&qubits, &damping).unwrap();
                ops.push(DensityOp::Superoperator { qubits, matrix: damping.clone() });
            }
        }
        let mut rho = DensityMatrix::new(3).unwrap();
        rho.apply_ops(&ops).unwrap();
        for (a, b) in rho.as_slice().iter().zip(reference.as_slice()) {
            assert!((a - b).norm() < 1e-14);
        }
        let wrong = [DensityOp::Unitary { qubits: vec![0], matrix: depolarizing }];
        assert!(rho.apply_ops(&wrong).is_err());
    }

    #[test]
    fn too_large_and_malformed_inputs_are_errors() {
        assert!(matches!(DensityMatrix::new(40), Err(Error::TooManyQubits { .. })));
        assert!(DensityMatrix::from_matrix(1, vec![ONE; 3]).is_err());
        assert!(DensityMatrix::from_matrix(1, vec![ONE, ZERO, ZERO, ONE]).is_err()); // trace 2
        let not_hermitian = vec![Complex64::new(0.5, 0.0), ONE, ZERO, Complex64::new(0.5, 0.0)];
        assert!(DensityMatrix::from_matrix(1, not_hermitian).is_err());
    }
}
