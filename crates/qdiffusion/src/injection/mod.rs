//! The forward process on a device, with the device's own noise (its *floor*) measured and
//! subtracted from the schedule.
//!
//! On hardware, a forward step of the local depolarizing process is a circuit layer: every
//! system qubit gets one single-qubit gate, the identity with probability `1 - 3p/4` and `X`,
//! `Y` or `Z` with `p/4` each, drawn classically per circuit instance. Averaged over the draws
//! that is depolarizing of strength `p`. The device adds its own noise after every gate, so a
//! step run with strength `p` does more than `p`; the device should be asked only for the
//! difference. This module holds
//!
//! - the step layer ([`PauliDraw`], [`forward_circuit`], [`sample_forward_circuit`]): every
//!   qubit gets exactly one physical `u(theta, phi, lambda)` gate per step whatever the draw
//!   (the identity too), so the floor does not depend on the draw;
//! - [`floor`]: the floor of one step measured from counts ([`estimate_step_floor`]: identity
//!   steps of increasing depth on the six Pauli eigenstates, readout-mitigated), its true
//!   value from a device calibration ([`true_step_floor`]), and the mirror-circuit estimate of
//!   `qhw-mitigation` on the same kind of layer for comparison;
//! - [`compensation`]: the per-qubit schedule `1 - beta'_{t,q} = (1 - beta_t) / (1 - p_q)`, with
//!   the steps a floor makes unreachable clamped to 0 and reported ([`compensate`]);
//! - [`effective`]: the forward process run on the device with and without compensation, and
//!   the per-step and cumulative noise it actually applied ([`measure_forward_noise`]).
//!
//! Qubits: `qubits[l]` is the device qubit that carries system qubit `l`; circuits are as wide
//! as the largest of them and measure `qubits[l]` into classical bit `l`.
//!
//! See `docs/noise_floor.md` for the method and its limits.

pub mod compensation;
pub mod effective;
pub mod floor;

use std::f64::consts::{FRAC_PI_2, PI};

use qrandom::distributions::uniform;
use qsim_core::circuit::Circuit;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use compensation::{Compensation, UnreachableStep, compensate};
pub use effective::{
    ArmPoint, ForwardNoiseConfig, ForwardNoiseReport, ForwardNoiseRow, measure_forward_noise,
};
pub use floor::{
    QubitStepFloor, StepFloorConfig, StepFloorEstimate, estimate_step_floor, mirror_step_floor,
    step_channel, true_step_floor, twirled_depolarizing,
};

/// A Bloch-sphere axis (and the Pauli operator along it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Axis {
    /// The `X` axis.
    X,
    /// The `Y` axis.
    Y,
    /// The `Z` axis.
    Z,
}

impl Axis {
    /// The three axes, `X` first.
    pub const ALL: [Axis; 3] = [Axis::X, Axis::Y, Axis::Z];

    /// Angles `(theta, phi, lambda)` of the gate `U` applied before a `Z` measurement so that
    /// the measured `Z` is this axis' Pauli before `U` (`U^dagger Z U = P`): the identity for
    /// `Z`, `H` for `X`, `H S^dagger` for `Y`.
    pub fn basis_change(self) -> (f64, f64, f64) {
        match self {
            Axis::X => (FRAC_PI_2, 0.0, PI),
            Axis::Y => (FRAC_PI_2, 0.0, FRAC_PI_2),
            Axis::Z => (0.0, 0.0, 0.0),
        }
    }
}

/// One of the six single-qubit Pauli eigenstates a circuit can start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Preparation {
    /// The axis.
    pub axis: Axis,
    /// `true` for the `+1` eigenstate, `false` for `-1`.
    pub positive: bool,
}

impl Preparation {
    /// The six preparations: `+X, -X, +Y, -Y, +Z, -Z`.
    pub const ALL: [Preparation; 6] = [
        Preparation { axis: Axis::X, positive: true },
        Preparation { axis: Axis::X, positive: false },
        Preparation { axis: Axis::Y, positive: true },
        Preparation { axis: Axis::Y, positive: false },
        Preparation { axis: Axis::Z, positive: true },
        Preparation { axis: Axis::Z, positive: false },
    ];

    /// `+1` or `-1`.
    pub fn sign(self) -> f64 {
        if self.positive { 1.0 } else { -1.0 }
    }

    /// Angles `(theta, phi, lambda)` of the one `u` gate that prepares it from `|0>` (`+Z` is
    /// `u(0, 0, 0)`, still one physical gate).
    pub fn angles(self) -> (f64, f64, f64) {
        match (self.axis, self.positive) {
            (Axis::Z, true) => (0.0, 0.0, 0.0),
            (Axis::Z, false) => (PI, 0.0, PI),
            (Axis::X, true) => (FRAC_PI_2, 0.0, 0.0),
            (Axis::X, false) => (FRAC_PI_2, PI, 0.0),
            (Axis::Y, true) => (FRAC_PI_2, FRAC_PI_2, 0.0),
            (Axis::Y, false) => (FRAC_PI_2, -FRAC_PI_2, 0.0),
        }
    }
}

/// The gate one qubit gets in one forward step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pauli {
    /// No error: still one physical gate, `u(0, 0, 0)`.
    I,
    /// `X = u(pi, 0, pi)`.
    X,
    /// `Y = u(pi, pi/2, pi/2)` (up to a global phase).
    Y,
    /// `Z = u(0, 0, pi)` (up to a global phase).
    Z,
}

impl Pauli {
    /// Angles `(theta, phi, lambda)` of its `u` gate.
    pub fn angles(self) -> (f64, f64, f64) {
        match self {
            Pauli::I => (0.0, 0.0, 0.0),
            Pauli::X => (PI, 0.0, PI),
            Pauli::Y => (PI, FRAC_PI_2, FRAC_PI_2),
            Pauli::Z => (0.0, 0.0, PI),
        }
    }

    /// Whether it flips the Bloch component along `axis` (anticommutes with that Pauli).
    pub fn flips(self, axis: Axis) -> bool {
        !matches!(
            (self, axis),
            (Pauli::I, _) | (Pauli::X, Axis::X) | (Pauli::Y, Axis::Y) | (Pauli::Z, Axis::Z)
        )
    }

    /// The Pauli of depolarizing of strength `p` for a uniform number `u` in `[0, 1)`: `I` below
    /// `1 - 3p/4`, then `X`, `Y`, `Z` on three intervals of `p/4` each.
    pub fn from_uniform(p: f64, u: f64) -> Pauli {
        let keep = 1.0 - 0.75 * p;
        if u < keep || p <= 0.0 {
            return Pauli::I;
        }
        match ((u - keep) / (0.25 * p)).floor() as i64 {
            i64::MIN..=0 => Pauli::X,
            1 => Pauli::Y,
            _ => Pauli::Z,
        }
    }
}

/// The Pauli of every qubit in every step of one circuit instance: `paulis()[s][l]` acts on
/// system qubit `l` in step `s + 1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauliDraw {
    num_qubits: usize,
    paulis: Vec<Vec<Pauli>>,
}

impl PauliDraw {
    /// Draws one instance: `strengths[s][l]` is the depolarizing strength of system qubit `l`
    /// in step `s + 1` (one uniform number per step and qubit, step by step).
    pub fn sample<R: Rng + ?Sized>(strengths: &[Vec<f64>], rng: &mut R) -> Result<Self> {
        let num_qubits = strengths.first().map_or(0, Vec::len);
        let mut paulis = Vec::with_capacity(strengths.len());
        for (s, row) in strengths.iter().enumerate() {
            if row.len() != num_qubits {
                return Err(Error::DimensionMismatch {
                    what: "qubits of a step's strengths",
                    expected: num_qubits,
                    got: row.len(),
                });
            }
            for &p in row {
                if !(0.0..=1.0).contains(&p) {
                    return Err(Error::InvalidConfig {
                        reason: format!("strength {p} in step {} is not a probability", s + 1),
                    });
                }
            }
            paulis.push(row.iter().map(|&p| Pauli::from_uniform(p, uniform(rng))).collect());
        }
        Ok(Self { num_qubits, paulis })
    }

    /// `steps` steps of the identity on `num_qubits` qubits (no injected noise).
    pub fn identity(steps: usize, num_qubits: usize) -> Self {
        Self { num_qubits, paulis: vec![vec![Pauli::I; num_qubits]; steps] }
    }

    /// Number of steps.
    pub fn steps(&self) -> usize {
        self.paulis.len()
    }

    /// Number of system qubits (0 for a draw of zero steps).
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The Paulis, step by step.
    pub fn paulis(&self) -> &[Vec<Pauli>] {
        &self.paulis
    }

    /// The noiseless sign of qubit `l`'s Bloch component along `axis` after every step: `-1` if
    /// an odd number of the drawn Paulis flip it.
    pub fn sign(&self, l: usize, axis: Axis) -> f64 {
        let flips = self.paulis.iter().filter(|row| row[l].flips(axis)).count();
        if flips % 2 == 0 { 1.0 } else { -1.0 }
    }
}

/// Checks a device-qubit list against a device of `num_qubits` qubits; returns the width of the
/// circuits that use it (its largest qubit plus one).
pub fn check_qubits(qubits: &[usize], num_qubits: usize) -> Result<usize> {
    if qubits.is_empty() {
        return Err(Error::NoQubits);
    }
    for (i, &q) in qubits.iter().enumerate() {
        if q >= num_qubits {
            return Err(Error::UnknownQubit { qubit: q, num_qubits });
        }
        if qubits[..i].contains(&q) {
            return Err(Error::DuplicateQubit { qubit: q });
        }
    }
    Ok(qubits.iter().max().map_or(0, |m| m + 1))
}

/// One circuit instance of the forward process on `qubits` of a `width`-qubit device: qubit
/// `qubits[l]` is prepared in `preparations[l]`, runs the steps of `draw` (one `u` gate per
/// step, a barrier between steps so that a compiler keeps every gate), is rotated so that the
/// measurement reads `bases[l]`, and is measured into classical bit `l`.
pub fn forward_circuit(
    width: usize,
    qubits: &[usize],
    preparations: &[Preparation],
    draw: &PauliDraw,
    bases: &[Axis],
) -> Result<Circuit> {
    let angles: Vec<(f64, f64, f64)> = preparations.iter().map(|p| p.angles()).collect();
    layered_circuit(width, qubits, &angles, draw, bases)
}

/// [`forward_circuit`] from a data point instead of a Pauli eigenstate: qubit `qubits[l]` starts
/// in the product-state qubit with Bloch angles `angles[l]` ([`crate::data::qubit_state`], one
/// `u(theta, phi, 0)` gate). What a level term of training from counts compares its chains
/// with: a forward sample at step `draw.steps()`, made by the device.
pub fn data_forward_circuit(
    width: usize,
    qubits: &[usize],
    angles: &[(f64, f64)],
    draw: &PauliDraw,
    bases: &[Axis],
) -> Result<Circuit> {
    if let Some((l, _)) =
        angles.iter().enumerate().find(|(_, (t, p))| !(t.is_finite() && p.is_finite()))
    {
        return Err(Error::InvalidConfig {
            reason: format!("data angles of qubit {l} are not finite"),
        });
    }
    let angles: Vec<(f64, f64, f64)> = angles.iter().map(|&(t, p)| (t, p, 0.0)).collect();
    layered_circuit(width, qubits, &angles, draw, bases)
}

/// Preparation by one `u` gate per qubit (`preparations[l]` its angles), the steps of `draw`,
/// the basis change and the measurement (see [`forward_circuit`]).
fn layered_circuit(
    width: usize,
    qubits: &[usize],
    preparations: &[(f64, f64, f64)],
    draw: &PauliDraw,
    bases: &[Axis],
) -> Result<Circuit> {
    let k = qubits.len();
    check_qubits(qubits, width)?;
    for (what, got) in [
        ("preparations per qubit", preparations.len()),
        ("measurement bases per qubit", bases.len()),
    ] {
        if got != k {
            return Err(Error::DimensionMismatch { what, expected: k, got });
        }
    }
    if draw.steps() > 0 && draw.num_qubits() != k {
        return Err(Error::DimensionMismatch {
            what: "qubits of the Pauli draw",
            expected: k,
            got: draw.num_qubits(),
        });
    }
    let mut c = Circuit::with_clbits(width, k);
    for (&q, &(theta, phi, lambda)) in qubits.iter().zip(preparations) {
        c.u(q, theta, phi, lambda)?;
    }
    c.barrier(qubits)?;
    for row in draw.paulis() {
        for (&q, pauli) in qubits.iter().zip(row) {
            let (theta, phi, lambda) = pauli.angles();
            c.u(q, theta, phi, lambda)?;
        }
        c.barrier(qubits)?;
    }
    for (&q, basis) in qubits.iter().zip(bases) {
        let (theta, phi, lambda) = basis.basis_change();
        c.u(q, theta, phi, lambda)?;
    }
    for (l, &q) in qubits.iter().enumerate() {
        c.measure(q, l)?;
    }
    Ok(c)
}

/// Draws a Pauli instance from `rng` (`strengths[s][l]` as in [`PauliDraw::sample`]) and builds
/// its circuit ([`forward_circuit`]); returns both, since the draw is what a control variate
/// or a check needs.
pub fn sample_forward_circuit<R: Rng + ?Sized>(
    width: usize,
    qubits: &[usize],
    preparations: &[Preparation],
    strengths: &[Vec<f64>],
    bases: &[Axis],
    rng: &mut R,
) -> Result<(Circuit, PauliDraw)> {
    let draw = PauliDraw::sample(strengths, rng)?;
    Ok((forward_circuit(width, qubits, preparations, &draw, bases)?, draw))
}

/// Readout-mitigated expectation of `Z` on classical bit `bit` of `counts` and its shot-noise
/// variance, from the single-qubit model `model` of the qubit that bit was read from.
pub(crate) fn mitigated_z(
    counts: &qhw_mitigation::counts::Counts,
    bit: usize,
    model: &qhw_mitigation::readout::TensoredReadout,
) -> Result<(f64, f64)> {
    use qhw_mitigation::correction::{Correction, mitigate};
    let marginal = counts.marginal(&[bit])?;
    let n = marginal.shots();
    if n == 0 {
        return Err(Error::ZeroShots { what: "a measured circuit" });
    }
    let z = mitigate(model, &marginal, &Correction::Inverse)?.parity_expectation(1);
    // Shot noise of the raw frequency (smoothed so that a bit that never flipped still has a
    // variance), scaled by the slope of the linear readout inverse.
    let ones = (marginal.get(1) as f64 + 0.5) / (n as f64 + 1.0);
    let m = model.confusion(0)?;
    let det = m[0][0] + m[1][1] - 1.0;
    Ok((z, 4.0 * ones * (1.0 - ones) / n as f64 / (det * det)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use qhw_mitigation::backend::{Backend, IdealBackend};
    use qhw_mitigation::experiment::Experiment;
    use rand::SeedableRng;

    #[test]
    fn preparations_and_bases_read_their_eigenvalue_and_paulis_flip_what_they_should() {
        let ideal = IdealBackend::new(2);
        let qubits = [1, 0];
        let pauli_list = [Pauli::I, Pauli::X, Pauli::Y, Pauli::Z];
        for prep in Preparation::ALL {
            for pauli in pauli_list {
                let draw = PauliDraw { num_qubits: 2, paulis: vec![vec![pauli, Pauli::I]] };
                let c = forward_circuit(2, &qubits, &[prep; 2], &draw, &[prep.axis; 2]).unwrap();
                let counts = &ideal.run(&[Experiment::fixed(c, 50)], 3).unwrap().counts[0];
                let expected_first = prep.sign() * draw.sign(0, prep.axis);
                assert_eq!(
                    draw.sign(0, prep.axis),
                    if pauli.flips(prep.axis) { -1.0 } else { 1.0 }
                );
                assert_eq!(counts.parity_expectation(0b01).unwrap(), expected_first);
                assert_eq!(counts.parity_expectation(0b10).unwrap(), prep.sign());
            }
        }
    }

    #[test]
    fn draws_follow_the_depolarizing_probabilities() {
        let p = 0.4;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let draw = PauliDraw::sample(&vec![vec![p]; 40_000], &mut rng).unwrap();
        let freq = |x: Pauli| draw.paulis().iter().filter(|r| r[0] == x).count() as f64 / 40_000.0;
        assert!((freq(Pauli::I) - (1.0 - 0.75 * p)).abs() < 0.01);
        for x in [Pauli::X, Pauli::Y, Pauli::Z] {
            assert!((freq(x) - p / 4.0).abs() < 0.01, "{x:?}");
        }
        assert_eq!(Pauli::from_uniform(0.0, 0.999_999), Pauli::I);
        assert_eq!(Pauli::from_uniform(1.0, 0.999_999), Pauli::Z);
        assert!(PauliDraw::sample(&[vec![1.5]], &mut rng).is_err());
        assert!(PauliDraw::sample(&[vec![0.1], vec![0.1, 0.2]], &mut rng).is_err());
    }

    #[test]
    fn every_qubit_gets_one_gate_per_step_whatever_the_draw() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let strengths = vec![vec![0.0, 1.0, 0.5]; 7];
        let (c, _) = sample_forward_circuit(
            5,
            &[4, 0, 2],
            &[Preparation::ALL[0]; 3],
            &strengths,
            &[Axis::Z; 3],
            &mut rng,
        )
        .unwrap();
        for q in [4, 0, 2] {
            let gates = c
                .ops()
                .iter()
                .filter(|op| {
                    !matches!(op, qsim_core::circuit::Operation::Barrier { .. })
                        && op.qubits() == vec![q]
                })
                .count();
            // Preparation, seven steps, basis change, measurement.
            assert_eq!(gates, 10);
        }
        assert!(matches!(check_qubits(&[], 3), Err(Error::NoQubits)));
        assert!(matches!(check_qubits(&[0, 3], 3), Err(Error::UnknownQubit { qubit: 3, .. })));
        assert!(matches!(check_qubits(&[1, 1], 3), Err(Error::DuplicateQubit { qubit: 1 })));
    }
}
