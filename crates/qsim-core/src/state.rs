//! The pure-state simulator: a `2^n` vector of complex amplitudes.

use std::collections::BTreeMap;

use num_complex::Complex64;
use rand::Rng;

use crate::circuit::gate::Gate;
use crate::circuit::matrix::Matrix;
use crate::circuit::{Circuit, Operation};
use crate::engine::{Plan, allocate, apply_matrix, run_unitary};
use crate::error::{Error, Result};
use crate::kernels;
use crate::pauli::PauliSum;

/// The largest state vector this crate will allocate: 2^34 amplitudes are 256 GiB.
pub const MAX_QUBITS: usize = 34;

/// Tolerance on the squared norm of user-supplied amplitudes.
pub const NORM_TOLERANCE: f64 = 1e-8;

/// A pure state of `n` qubits. Bit `i` of a basis index is the value of qubit `i`.
///
/// ```
/// use qsim_core::{circuit::Circuit, state::StateVector};
/// let mut bell = Circuit::new(2);
/// bell.h(0)?.cx(0, 1)?;
/// let mut psi = StateVector::new(2)?;
/// psi.apply_circuit(&bell, &[])?;
/// let p = psi.probabilities();
/// assert!((p[0] - 0.5).abs() < 1e-12 && (p[3] - 0.5).abs() < 1e-12);
/// # Ok::<(), qsim_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StateVector {
    num_qubits: usize,
    amps: Vec<Complex64>,
}

impl StateVector {
    /// `|0...0>` on `num_qubits` qubits.
    pub fn new(num_qubits: usize) -> Result<Self> {
        Self::basis(num_qubits, 0)
    }

    /// The computational basis state `|index>`.
    pub fn basis(num_qubits: usize, index: usize) -> Result<Self> {
        let mut amps = allocate(num_qubits, MAX_QUBITS)?;
        if index >= amps.len() {
            return Err(Error::DimensionMismatch {
                what: "basis index bound",
                expected: amps.len(),
                got: index,
            });
        }
        amps[index] = Complex64::new(1.0, 0.0);
        Ok(Self { num_qubits, amps })
    }

    /// Wraps amplitudes (length a power of two, squared norm 1 within [`NORM_TOLERANCE`]).
    pub fn from_amplitudes(amps: Vec<Complex64>) -> Result<Self> {
        let len = amps.len();
        if len == 0 || !len.is_power_of_two() {
            return Err(Error::DimensionMismatch {
                what: "amplitude count (a power of two)",
                expected: len.next_power_of_two().max(1),
                got: len,
            });
        }
        let num_qubits = len.trailing_zeros() as usize;
        if num_qubits > MAX_QUBITS {
            return Err(Error::TooManyQubits {
                num_qubits,
                bytes: len as u128 * 16,
                max_qubits: MAX_QUBITS,
            });
        }
        let norm_sqr: f64 = amps.iter().map(|a| a.norm_sqr()).sum();
        if !norm_sqr.is_finite() || (norm_sqr - 1.0).abs() > NORM_TOLERANCE {
            return Err(Error::NotNormalized { norm_sqr });
        }
        Ok(Self { num_qubits, amps })
    }

    /// The product state with qubit `i` in `states[i] = (alpha, beta)` (each normalised).
    pub fn product(states: &[[Complex64; 2]]) -> Result<Self> {
        let mut amps = allocate(states.len(), MAX_QUBITS)?;
        amps[0] = Complex64::new(1.0, 0.0);
        for (q, s) in states.iter().enumerate() {
            let norm_sqr = s[0].norm_sqr() + s[1].norm_sqr();
            if !norm_sqr.is_finite() || (norm_sqr - 1.0).abs() > NORM_TOLERANCE {
                return Err(Error::NotNormalized { norm_sqr });
            }
            let half = 1usize << q;
            for i in (0..half).rev() {
                let a = amps[i];
                amps[i] = a * s[0];
                amps[i + half] = a * s[1];
            }
        }
        Ok(Self { num_qubits: states.len(), amps })
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The amplitudes, index bit `i` = qubit `i`.
    pub fn amplitudes(&self) -> &[Complex64] {
        &self.amps
    }

    /// Mutable amplitudes, for algorithms outside this crate (trajectories, custom kernels).
    /// The caller keeps the state normalised.
    pub fn amplitudes_mut(&mut self) -> &mut [Complex64] {
        &mut self.amps
    }

    /// Consumes the state, returning its amplitudes.
    pub fn into_amplitudes(self) -> Vec<Complex64> {
        self.amps
    }

    /// Squared norm (1 for a valid state).
    pub fn norm_sqr(&self) -> f64 {
        self.amps.iter().map(|a| a.norm_sqr()).sum()
    }

    /// Rescales to unit norm; an error if the norm is zero or not finite.
    pub fn normalize(&mut self) -> Result<()> {
        let norm_sqr = self.norm_sqr();
        if !(norm_sqr.is_finite() && norm_sqr > 0.0) {
            return Err(Error::NotNormalized { norm_sqr });
        }
        let inv = 1.0 / norm_sqr.sqrt();
        self.amps.iter_mut().for_each(|a| *a *= inv);
        Ok(())
    }

    /// `<self|other>`.
    pub fn inner(&self, other: &StateVector) -> Result<Complex64> {
        self.check_same_size(other)?;
        Ok(self.amps.iter().zip(&other.amps).map(|(a, b)| a.conj() * b).sum())
    }

    /// `|<self|other>|^2`.
    pub fn fidelity(&self, other: &StateVector) -> Result<f64> {
        Ok(self.inner(other)?.norm_sqr())
    }

    /// `self ⊗ other` with `self` on the low qubits `0..n` and `other` on `n..n+m`.
    pub fn tensor(&self, other: &StateVector) -> Result<StateVector> {
        let mut amps = allocate(self.num_qubits + other.num_qubits, MAX_QUBITS)?;
        let lo = self.amps.len();
        for (h, b) in other.amps.iter().enumerate() {
            for (l, a) in self.amps.iter().enumerate() {
                amps[h * lo + l] = a * b;
            }
        }
        Ok(StateVector { num_qubits: self.num_qubits + other.num_qubits, amps })
    }

    fn check_same_size(&self, other: &StateVector) -> Result<()> {
        if self.num_qubits != other.num_qubits {
            return Err(Error::DimensionMismatch {
                what: "qubits of the other state",
                expected: self.num_qubits,
                got: other.num_qubits,
            });
        }
        Ok(())
    }

    pub(crate) fn check_qubits(&self, qubits: &[usize]) -> Result<()> {
        crate::circuit::check_distinct_in_range(qubits, self.num_qubits)
    }

    /// Applies `gate` with `params` to `qubits`.
    pub fn apply_gate(&mut self, gate: Gate, qubits: &[usize], params: &[f64]) -> Result<()> {
        gate.check_arity(qubits)?;
        self.check_qubits(qubits)?;
        let m = gate.matrix(params)?;
        self.apply_matrix_unchecked(qubits, &m);
        Ok(())
    }

    /// Applies a unitary on `targets` (checked for unitarity).
    pub fn apply_unitary(&mut self, targets: &[usize], matrix: &Matrix) -> Result<()> {
        self.apply_controlled_unitary(&[], targets, matrix)
    }

    /// Applies a unitary on `targets` where every qubit of `controls` is 1.
    pub fn apply_controlled_unitary(
        &mut self,
        controls: &[usize],
        targets: &[usize],
        matrix: &Matrix,
    ) -> Result<()> {
        crate::circuit::check_controlled_unitary(controls, targets, matrix, self.num_qubits)?;
        let mask = controls.iter().fold(0usize, |m, &c| m | (1 << c));
        kernels::apply_controlled_kq(&mut self.amps, targets, mask, matrix.as_slice());
        Ok(())
    }

    /// Applies any linear operator (not necessarily unitary) on `targets`; the state is generally
    /// left unnormalised (a Kraus operator, a projector). Renormalise with
    /// [`StateVector::normalize`].
    pub fn apply_operator(&mut self, targets: &[usize], matrix: &Matrix) -> Result<()> {
        self.check_qubits(targets)?;
        if matrix.num_qubits() != targets.len() {
            return Err(Error::DimensionMismatch {
                what: "operator qubits",
                expected: targets.len(),
                got: matrix.num_qubits(),
            });
        }
        self.apply_matrix_unchecked(targets, matrix);
        Ok(())
    }

    /// The reduced density matrix of `qubits` (bit `j` of its index is `qubits[j]`), row-major.
    pub fn reduced_density_matrix(&self, qubits: &[usize]) -> Result<Vec<Complex64>> {
        self.check_qubits(qubits)?;
        let k = qubits.len();
        let dk = 1usize << k;
        let mask: usize = qubits.iter().map(|&q| 1 << q).sum();
        let spread = |x: usize| -> usize {
            qubits.iter().enumerate().map(|(j, &q)| ((x >> j) & 1) << q).sum()
        };
        let offsets: Vec<usize> = (0..dk).map(spread).collect();
        let mut rho = vec![Complex64::new(0.0, 0.0); dk * dk];
        for base in (0..self.amps.len()).filter(|i| i & mask == 0) {
            for r in 0..dk {
                let a = self.amps[base | offsets[r]];
                if a == Complex64::new(0.0, 0.0) {
                    continue;
                }
                for c in 0..dk {
                    rho[r * dk + c] += a * self.amps[base | offsets[c]].conj();
                }
            }
        }
        Ok(rho)
    }

    /// Applies a matrix on validated qubits, choosing the cheapest kernel for its structure.
    pub(crate) fn apply_matrix_unchecked(&mut self, qubits: &[usize], m: &Matrix) {
        apply_matrix(&mut self.amps, qubits, m);
    }

    /// Runs a unitary circuit (barriers allowed). Measurement or reset is an error here; use
    /// [`StateVector::run`] for those.
    pub fn apply_circuit(&mut self, circuit: &Circuit, theta: &[f64]) -> Result<()> {
        self.check_circuit(circuit, theta)?;
        if let Some(op) = circuit.ops().iter().find(|op| !op.is_unitary()) {
            return Err(Error::NonUnitaryOperation { op: op.name() });
        }
        if circuit.num_qubits() == self.num_qubits {
            Plan::for_circuit(circuit).run(&mut self.amps, circuit.ops(), theta);
        } else {
            run_unitary(&mut self.amps, circuit.ops(), theta);
        }
        Ok(())
    }

    /// Runs the unitary `circuit` on raw amplitudes that need not be normalised, with the same
    /// plan (cached in the circuit) and kernels as [`StateVector::apply_circuit`]: for callers
    /// that hold a block of a larger state, such as one rank's slice of a state distributed over
    /// processes. `amps` must have exactly `2^circuit.num_qubits()` entries.
    pub fn apply_circuit_to_amplitudes(
        amps: &mut Vec<Complex64>,
        circuit: &Circuit,
        theta: &[f64],
    ) -> Result<()> {
        let expected = 1usize.checked_shl(circuit.num_qubits() as u32).unwrap_or(0);
        if amps.len() != expected {
            return Err(Error::DimensionMismatch {
                what: "amplitudes (2^qubits of the circuit)",
                expected,
                got: amps.len(),
            });
        }
        circuit.check_theta(theta)?;
        if let Some(op) = circuit.ops().iter().find(|op| !op.is_unitary()) {
            return Err(Error::NonUnitaryOperation { op: op.name() });
        }
        Plan::for_circuit(circuit).run(amps, circuit.ops(), theta);
        Ok(())
    }

    /// Runs any circuit, sampling mid-circuit measurements with `rng`. Returns the classical
    /// register (`bits[c]` = last value measured into bit `c`).
    pub fn run<R: Rng + ?Sized>(
        &mut self,
        circuit: &Circuit,
        theta: &[f64],
        rng: &mut R,
    ) -> Result<Vec<bool>> {
        self.check_circuit(circuit, theta)?;
        let mut bits = vec![false; circuit.num_clbits()];
        let ops = circuit.ops();
        let mut start = 0;
        for (i, op) in ops.iter().enumerate() {
            match op {
                Operation::Measure { qubit, clbit } => {
                    run_unitary(&mut self.amps, &ops[start..i], theta);
                    bits[*clbit] = self.measure_qubit(*qubit, rng)?;
                    start = i + 1;
                }
                Operation::Reset { qubit } => {
                    run_unitary(&mut self.amps, &ops[start..i], theta);
                    self.reset_qubit(*qubit, rng)?;
                    start = i + 1;
                }
                _ => {}
            }
        }
        run_unitary(&mut self.amps, &ops[start..], theta);
        Ok(bits)
    }

    fn check_circuit(&self, circuit: &Circuit, theta: &[f64]) -> Result<()> {
        if circuit.num_qubits() > self.num_qubits {
            return Err(Error::QubitOutOfRange {
                qubit: circuit.num_qubits() - 1,
                num_qubits: self.num_qubits,
            });
        }
        circuit.check_theta(theta)
    }

    /// Born-rule probabilities of every basis state.
    pub fn probabilities(&self) -> Vec<f64> {
        crate::measure::probabilities(&self.amps)
    }

    /// Marginal distribution of `qubits` (entry bit `l` = value of `qubits[l]`).
    pub fn marginal_probabilities(&self, qubits: &[usize]) -> Result<Vec<f64>> {
        crate::measure::marginal(&self.probabilities(), self.num_qubits, qubits)
    }

    /// `shots` Born-rule samples of all qubits (basis indices), O(2^n) once plus O(1) per shot.
    pub fn sample<R: Rng + ?Sized>(&self, shots: usize, rng: &mut R) -> Result<Vec<usize>> {
        Ok(crate::measure::AliasSampler::new(&self.probabilities())?.sample_many(shots, rng))
    }

    /// `shots` Born-rule samples tallied by basis index.
    pub fn sample_counts<R: Rng + ?Sized>(
        &self,
        shots: usize,
        rng: &mut R,
    ) -> Result<BTreeMap<usize, usize>> {
        Ok(crate::measure::AliasSampler::new(&self.probabilities())?.counts(shots, rng))
    }

    /// `<psi|O|psi>` for a Pauli-sum observable.
    pub fn expectation(&self, observable: &PauliSum) -> Result<f64> {
        observable.expectation(&self.amps)
    }

    /// Probability that qubit `q` reads 1.
    pub fn probability_of_one(&self, q: usize) -> Result<f64> {
        self.check_qubits(&[q])?;
        Ok(self
            .amps
            .iter()
            .enumerate()
            .filter(|(i, _)| (i >> q) & 1 == 1)
            .map(|(_, a)| a.norm_sqr())
            .sum())
    }

    /// Measures qubit `q` in the Z basis, collapsing the state; returns the outcome.
    pub fn measure_qubit<R: Rng + ?Sized>(&mut self, q: usize, rng: &mut R) -> Result<bool> {
        let p1 = self.probability_of_one(q)?;
        let outcome = qrandom::distributions::uniform(rng) < p1;
        self.project(q, outcome, if outcome { p1 } else { 1.0 - p1 });
        Ok(outcome)
    }

    /// Resets qubit `q` to `|0>` (measure, then flip if the outcome was 1).
    pub fn reset_qubit<R: Rng + ?Sized>(&mut self, q: usize, rng: &mut R) -> Result<()> {
        if self.measure_qubit(q, rng)? {
            kernels::apply_1q(&mut self.amps, q, &crate::circuit::gate::X_MATRIX);
        }
        Ok(())
    }

    /// Projects qubit `q` onto `outcome` and renormalises by the outcome probability `p`.
    fn project(&mut self, q: usize, outcome: bool, p: f64) {
        let scale = if p > 0.0 { 1.0 / p.sqrt() } else { 0.0 };
        let zero = Complex64::new(0.0, 0.0);
        kernels::for_each_pair(&mut self.amps, q, |a, b| {
            if outcome {
                *a = zero;
                *b *= scale;
            } else {
                *a *= scale;
                *b = zero;
            }
        });
    }
}
