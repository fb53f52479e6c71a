//! The [`Channel`] type: a completely positive, trace-preserving map on `k` qubits, held in the
//! representation it was built from (Kraus operators, Pauli probabilities, or a superoperator)
//! and converted on demand.
//!
//! Superoperator layout (shared with `qsim_core::density`): `S` acts on `vec(rho)` with local
//! index `c + d r` for entry `rho[r][c]`, so `S = sum_i K_i ⊗ conj(K_i)` reads
//! `S[(c + d r), (c' + d r')] = sum_i K_i[r][r'] conj(K_i[c][c'])`.

use nalgebra::{DMatrix, SymmetricEigen};
use num_complex::Complex64;
use qrandom::distributions::weighted_index;
use qsim_core::density::{self, DensityMatrix};
use qsim_core::matrix::Matrix;
use qsim_core::pauli_channel::PauliChannel;
use qsim_core::state::StateVector;
use rand::Rng;

use crate::error::{Error, Result};
use crate::{kernels, pauli_basis};

/// Tolerance of the trace-preservation and positivity checks.
pub const CPTP_TOLERANCE: f64 = 1e-10;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    Kraus(Vec<Matrix>),
    /// Probability of each Pauli string (index as in `pauli_basis`).
    Pauli(Vec<f64>),
    Superoperator(Matrix),
}

/// A quantum channel on `k` qubits, validated as CPTP when built.
///
/// ```
/// use qchannels::{channel::Channel, standard};
/// let dep = standard::depolarizing(0.1)?;
/// let twice = dep.compose(&dep)?;
/// // Survival multiplies: 1 - (1 - 0.1)^2 = 0.19.
/// let expected = standard::depolarizing(0.19)?;
/// assert!(twice.superoperator().max_abs_diff(&expected.superoperator()) < 1e-14);
/// # Ok::<(), qchannels::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    num_qubits: usize,
    repr: Repr,
}

impl Channel {
    /// A channel from Kraus operators (all on the same `k` qubits), checked for
    /// `sum K^dagger K = I`. Any Kraus set is completely positive.
    pub fn from_kraus(kraus: Vec<Matrix>) -> Result<Self> {
        let k = kraus.first().map(Matrix::num_qubits).ok_or(Error::DimensionMismatch {
            what: "number of Kraus operators",
            expected: 1,
            got: 0,
        })?;
        let mut sum = Matrix::new(k, vec![ZERO; 1 << (2 * k)]).map_err(Error::Sim)?;
        for op in &kraus {
            if op.num_qubits() != k {
                return Err(Error::DimensionMismatch {
                    what: "Kraus operator qubits",
                    expected: k,
                    got: op.num_qubits(),
                });
            }
            let p = op.adjoint().mul(op);
            let entries = sum.as_slice().iter().zip(p.as_slice()).map(|(a, b)| a + b).collect();
            sum = Matrix::new(k, entries).map_err(Error::Sim)?;
        }
        let deviation = sum.max_abs_diff(&Matrix::identity(k));
        // A NaN deviation is rejected too.
        if deviation.is_nan() || deviation > CPTP_TOLERANCE {
            return Err(Error::NotTracePreserving { deviation });
        }
        Ok(Self { num_qubits: k, repr: Repr::Kraus(kraus) })
    }

    /// A Pauli channel `rho -> sum_a p_a P_a rho P_a` on `k` qubits; `probabilities[a]` is the
    /// probability of Pauli string `a` (base-4 digit `j` = Pauli on qubit `j`: 0 I, 1 X, 2 Y, 3 Z).
    pub fn pauli(num_qubits: usize, probabilities: Vec<f64>) -> Result<Self> {
        let expected = 1usize << (2 * num_qubits);
        if probabilities.len() != expected {
            return Err(Error::DimensionMismatch {
                what: "Pauli probabilities (4^k)",
                expected,
                got: probabilities.len(),
            });
        }
        for &p in &probabilities {
            crate::error::check_probability("Pauli probability", p)?;
        }
        let sum: f64 = probabilities.iter().sum();
        if (sum - 1.0).abs() > CPTP_TOLERANCE {
            return Err(Error::NotNormalized { what: "Pauli probabilities", sum });
        }
        Ok(Self { num_qubits, repr: Repr::Pauli(probabilities) })
    }

    /// A channel from its superoperator (layout in the module docs), checked for trace
    /// preservation and complete positivity (Choi matrix eigenvalues >= -[`CPTP_TOLERANCE`]).
    pub fn from_superoperator(num_qubits: usize, s: Matrix) -> Result<Self> {
        if s.num_qubits() != 2 * num_qubits {
            return Err(Error::DimensionMismatch {
                what: "superoperator qubits (2k)",
                expected: 2 * num_qubits,
                got: s.num_qubits(),
            });
        }
        let channel = Self { num_qubits, repr: Repr::Superoperator(s) };
        channel.check_trace_preserving()?;
        channel.check_completely_positive()?;
        Ok(channel)
    }

    /// A channel from its Pauli transfer matrix `R[i][j] = Tr(P_i L(P_j)) / 2^k` (row-major,
    /// `4^k x 4^k`, real), checked like a superoperator.
    pub fn from_ptm(num_qubits: usize, ptm: &[f64]) -> Result<Self> {
        let n = 1usize << (2 * num_qubits);
        if ptm.len() != n * n {
            return Err(Error::DimensionMismatch {
                what: "PTM entries (16^k)",
                expected: n * n,
                got: ptm.len(),
            });
        }
        let d = 1usize << num_qubits;
        let paulis: Vec<Matrix> = (0..n).map(|a| pauli_basis::matrix(a, num_qubits)).collect();
        // S[(c + d r), (c' + d r')] = L(|r'><c'|)[r][c] = (1/d) sum_ij R_ij P_j[c'][r'] P_i[r][c].
        let mut s = vec![ZERO; d * d * d * d];
        for (i, pi) in paulis.iter().enumerate() {
            for (j, pj) in paulis.iter().enumerate() {
                let rij = ptm[i * n + j];
                if rij == 0.0 {
                    continue;
                }
                for rp in 0..d {
                    for cp in 0..d {
                        let a = pj.get(cp, rp) * (rij / d as f64);
                        if a == ZERO {
                            continue;
                        }
                        for r in 0..d {
                            for c in 0..d {
                                s[(c + d * r) * d * d + (cp + d * rp)] += a * pi.get(r, c);
                            }
                        }
                    }
                }
            }
        }
        Self::from_superoperator(num_qubits, Matrix::new(2 * num_qubits, s).map_err(Error::Sim)?)
    }

    /// Number of qubits the channel acts on.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The Pauli probabilities if the channel was built as a Pauli channel.
    pub fn pauli_probabilities(&self) -> Option<&[f64]> {
        match &self.repr {
            Repr::Pauli(p) => Some(p),
            _ => None,
        }
    }

    /// Kraus operators (from the Choi matrix's eigendecomposition for a superoperator).
    pub fn kraus(&self) -> Vec<Matrix> {
        let k = self.num_qubits;
        match &self.repr {
            Repr::Kraus(ops) => ops.clone(),
            Repr::Pauli(probs) => probs
                .iter()
                .enumerate()
                .filter(|(_, p)| **p > 0.0)
                .map(|(a, p)| pauli_basis::matrix(a, k).scale(Complex64::new(p.sqrt(), 0.0)))
                .collect(),
            Repr::Superoperator(_) => {
                let d = 1usize << k;
                let (values, vectors) = self.choi_eigen();
                values
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| **l > CPTP_TOLERANCE)
                    .map(|(m, l)| {
                        // K[r][i] = sqrt(l) u[i * d + r]
                        let mut data = vec![ZERO; d * d];
                        for i in 0..d {
                            for r in 0..d {
                                data[r * d + i] = vectors[(i * d + r, m)] * l.sqrt();
                            }
                        }
                        Matrix::new(k, data).expect("d x d")
                    })
                    .collect()
            }
        }
    }

    /// The superoperator (layout in the module docs).
    pub fn superoperator(&self) -> Matrix {
        match &self.repr {
            Repr::Superoperator(s) => s.clone(),
            _ => density::superoperator(&self.kraus()),
        }
    }

    /// The Choi matrix `J = sum_ij |i><j| ⊗ L(|i><j|)`, entry `[(i d + r), (j d + c)]`.
    pub fn choi(&self) -> Matrix {
        let s = self.superoperator();
        let d = 1usize << self.num_qubits;
        let mut j = vec![ZERO; d * d * d * d];
        for i in 0..d {
            for jj in 0..d {
                for r in 0..d {
                    for c in 0..d {
                        j[(i * d + r) * d * d + (jj * d + c)] = s.get(c + d * r, jj + d * i);
                    }
                }
            }
        }
        Matrix::new(2 * self.num_qubits, j).expect("d^2 x d^2")
    }

    /// The Pauli transfer matrix `R[i][j] = Tr(P_i L(P_j)) / 2^k`, row-major and real.
    pub fn ptm(&self) -> Vec<f64> {
        let k = self.num_qubits;
        let n = 1usize << (2 * k);
        let d = 1usize << k;
        let s = self.superoperator();
        let paulis: Vec<Matrix> = (0..n).map(|a| pauli_basis::matrix(a, k)).collect();
        let mut r = vec![0.0; n * n];
        for (j, pj) in paulis.iter().enumerate() {
            // L(P_j) as a d x d matrix.
            let mut out = vec![ZERO; d * d];
            for (row, value) in out.iter_mut().enumerate() {
                let (rr, cc) = (row / d, row % d);
                *value =
                    (0..d * d).map(|col| s.get(cc + d * rr, col) * pj.get(col / d, col % d)).sum();
            }
            for (i, pi) in paulis.iter().enumerate() {
                let tr: Complex64 = (0..d)
                    .flat_map(|a| (0..d).map(move |b| (a, b)))
                    .map(|(a, b)| pi.get(b, a) * out[a * d + b])
                    .sum();
                r[i * n + j] = tr.re / d as f64;
            }
        }
        r
    }

    fn choi_eigen(&self) -> (Vec<f64>, DMatrix<Complex64>) {
        let j = self.choi();
        let dim = j.dim();
        let m = DMatrix::from_fn(dim, dim, |r, c| j.get(r, c));
        let eig = SymmetricEigen::new(m);
        (eig.eigenvalues.iter().copied().collect(), eig.eigenvectors)
    }

    fn check_trace_preserving(&self) -> Result<()> {
        let s = self.superoperator();
        let d = 1usize << self.num_qubits;
        let mut deviation = 0.0f64;
        for rp in 0..d {
            for cp in 0..d {
                let sum: Complex64 = (0..d).map(|r| s.get(r + d * r, cp + d * rp)).sum();
                let expected = if rp == cp { 1.0 } else { 0.0 };
                deviation = deviation.max((sum - expected).norm());
            }
        }
        if deviation.is_nan() || deviation > CPTP_TOLERANCE {
            return Err(Error::NotTracePreserving { deviation });
        }
        Ok(())
    }

    fn check_completely_positive(&self) -> Result<()> {
        let j = self.choi();
        let hermitian = j.max_abs_diff(&j.adjoint());
        let (values, _) = self.choi_eigen();
        let min_eigenvalue = values.iter().copied().fold(f64::INFINITY, f64::min);
        if hermitian > CPTP_TOLERANCE || min_eigenvalue.is_nan() || min_eigenvalue < -CPTP_TOLERANCE
        {
            return Err(Error::NotCompletelyPositive {
                min_eigenvalue: if hermitian > CPTP_TOLERANCE { f64::NAN } else { min_eigenvalue },
            });
        }
        Ok(())
    }

    /// `self` followed by `then` (both on the same qubits). Pauli channels stay Pauli channels.
    pub fn compose(&self, then: &Channel) -> Result<Channel> {
        if self.num_qubits != then.num_qubits {
            return Err(Error::DimensionMismatch {
                what: "qubits of the composed channel",
                expected: self.num_qubits,
                got: then.num_qubits,
            });
        }
        let k = self.num_qubits;
        if let (Repr::Pauli(p), Repr::Pauli(q)) = (&self.repr, &then.repr) {
            let mut out = vec![0.0; p.len()];
            for (a, pa) in p.iter().enumerate() {
                for (b, qb) in q.iter().enumerate() {
                    out[pauli_basis::product(a, b, k)] += pa * qb;
                }
            }
            return Ok(Channel { num_qubits: k, repr: Repr::Pauli(out) });
        }
        let s = then.superoperator().mul(&self.superoperator());
        Ok(Channel { num_qubits: k, repr: Repr::Superoperator(s) })
    }

    /// `self ⊗ other`: `self` on the low qubits, `other` on the ones above.
    pub fn tensor(&self, other: &Channel) -> Channel {
        let k = self.num_qubits + other.num_qubits;
        if let (Repr::Pauli(p), Repr::Pauli(q)) = (&self.repr, &other.repr) {
            let shift = 2 * self.num_qubits;
            let mut out = vec![0.0; 1 << (2 * k)];
            for (a, pa) in p.iter().enumerate() {
                for (b, qb) in q.iter().enumerate() {
                    out[a | (b << shift)] = pa * qb;
                }
            }
            return Channel { num_qubits: k, repr: Repr::Pauli(out) };
        }
        let kraus = self
            .kraus()
            .iter()
            .flat_map(|a| other.kraus().into_iter().map(move |b| a.kron_low(&b)))
            .collect();
        Channel { num_qubits: k, repr: Repr::Kraus(kraus) }
    }

    fn check_targets(&self, qubits: &[usize]) -> Result<()> {
        if qubits.len() != self.num_qubits {
            return Err(Error::DimensionMismatch {
                what: "qubits the channel is applied to",
                expected: self.num_qubits,
                got: qubits.len(),
            });
        }
        Ok(())
    }

    /// Applies the channel exactly to `qubits` of a density matrix (no `4^n x 4^n` matrix is ever
    /// built: one `2k`-qubit superoperator acts on the vectorised state; a single-qubit Pauli
    /// channel takes the sparse kernel of [`Channel::apply_to_each`], a two-qubit one
    /// [`PauliChannel`]'s).
    pub fn apply(&self, rho: &mut DensityMatrix, qubits: &[usize]) -> Result<()> {
        self.check_targets(qubits)?;
        if matches!(self.repr, Repr::Pauli(_)) {
            if self.num_qubits == 1 {
                return self.apply_to_each(rho, qubits);
            }
            if let Some(pauli) = PauliChannel::from_superoperator(&self.superoperator()) {
                let n = rho.num_qubits();
                return Ok(pauli.apply(rho.as_mut_slice(), n, qubits)?);
            }
        }
        rho.apply_superoperator(qubits, &self.superoperator())?;
        Ok(())
    }

    /// Applies this single-qubit channel to each of `qubits` (a qubit listed twice gets it twice).
    ///
    /// A Pauli channel (depolarizing, dephasing, bit and phase flip, [`standard::pauli`]) takes a
    /// dedicated kernel: every qubit in a few cache-blocked passes over the matrix, about 2 at 10
    /// qubits. Any other channel goes through the simulator's engine as one dense superoperator
    /// per qubit, in one fused sweep.
    ///
    /// [`standard::pauli`]: crate::standard::pauli
    pub fn apply_to_each(&self, rho: &mut DensityMatrix, qubits: &[usize]) -> Result<()> {
        self.check_targets(&qubits[..qubits.len().min(1)])?;
        if let Repr::Pauli(probs) = &self.repr {
            let n = rho.num_qubits();
            let block = kernels::PauliBlock::from_probabilities(probs);
            let mut maps = vec![None; n];
            for &q in qubits {
                let slot: &mut Option<kernels::PauliBlock> = maps
                    .get_mut(q)
                    .ok_or(qsim_core::Error::QubitOutOfRange { qubit: q, num_qubits: n })?;
                *slot = Some(slot.map_or(block, |m| m.then(block)));
            }
            kernels::apply_local_pauli(rho.as_mut_slice(), &maps);
            return Ok(());
        }
        let s = self.superoperator();
        let ops: Vec<(Vec<usize>, Matrix)> = qubits.iter().map(|&q| (vec![q], s.clone())).collect();
        rho.apply_superoperators(&ops)?;
        Ok(())
    }

    /// One quantum trajectory: applies Kraus operator `K_i` with probability `||K_i psi||^2` and
    /// renormalises. Pauli channels draw the Pauli without looking at the state. Returns `i`
    /// (the Pauli string index for a Pauli channel).
    pub fn apply_trajectory<R: Rng + ?Sized>(
        &self,
        psi: &mut StateVector,
        qubits: &[usize],
        rng: &mut R,
    ) -> Result<usize> {
        self.check_targets(qubits)?;
        if let Repr::Pauli(probs) = &self.repr {
            let a = weighted_index(probs, rng);
            if a != 0 {
                psi.apply_operator(qubits, &pauli_basis::matrix(a, self.num_qubits))?;
            }
            return Ok(a);
        }
        // p_i = Tr(K_i^dagger K_i rho_q), with rho_q the reduced state of the target qubits.
        let d = 1usize << self.num_qubits;
        let rho = psi.reduced_density_matrix(qubits)?;
        let kraus = self.kraus();
        let weights: Vec<f64> = kraus
            .iter()
            .map(|k| {
                let m = k.adjoint().mul(k);
                (0..d)
                    .flat_map(|r| (0..d).map(move |c| (r, c)))
                    .map(|(r, c)| m.get(r, c) * rho[c * d + r])
                    .sum::<Complex64>()
                    .re
                    .max(0.0)
            })
            .collect();
        let i = weighted_index(&weights, rng);
        psi.apply_operator(qubits, &kraus[i])?;
        psi.normalize()?;
        Ok(i)
    }
}
