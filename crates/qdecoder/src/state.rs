//! Product states of qubits given by Bloch angles: Bloch vectors, exact Born distributions.
//!
//! Qubit `q` in state `cos(theta/2)|0> + e^(i phi) sin(theta/2)|1>` (prepared from `|0>` by
//! `RY(theta)` then `P(phi)`, or `RZ(phi)` up to a global phase) has Bloch vector
//! `(<X>, <Y>, <Z>) = (sin theta cos phi, sin theta sin phi, cos theta)`. Basis index `k` of the
//! register has bit `q` equal to qubit `q`'s outcome (little-endian, as in `qsim-core`, Qiskit and
//! Qulacs), so `P(k) = prod_q (1 + (-1)^(bit q of k) <Z_q>) / 2`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The largest register this crate builds Born distributions for (2^20 outcomes).
pub const MAX_QUBITS: usize = 20;

/// Checks a qubit count against [`MAX_QUBITS`].
pub(crate) fn check_qubits(num_qubits: usize) -> Result<()> {
    if num_qubits == 0 || num_qubits > MAX_QUBITS {
        return Err(Error::QubitCount { num_qubits, max: MAX_QUBITS });
    }
    Ok(())
}

/// The polar angle `theta` and azimuth `phi` of one qubit on the Bloch sphere.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QubitAngles {
    /// Polar angle from `|0>` (0) to `|1>` (pi).
    pub theta: f64,
    /// Azimuth: the relative phase of `|1>`.
    pub phi: f64,
}

impl QubitAngles {
    /// The Bloch vector `(<X>, <Y>, <Z>)`.
    pub fn bloch_vector(&self) -> [f64; 3] {
        let (st, ct) = self.theta.sin_cos();
        let (sp, cp) = self.phi.sin_cos();
        [st * cp, st * sp, ct]
    }

    /// The canonical angles (`theta` in [0, pi], `phi` in (-pi, pi]) of the direction of `v`;
    /// the zero vector maps to `|0>`.
    pub fn from_bloch_vector(v: [f64; 3]) -> Self {
        let norm = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return QubitAngles { theta: 0.0, phi: 0.0 };
        }
        QubitAngles { theta: (v[2] / norm).clamp(-1.0, 1.0).acos(), phi: v[1].atan2(v[0]) }
    }

    /// Probabilities of measuring 0 and 1 in the computational basis.
    pub fn z_probabilities(&self) -> [f64; 2] {
        let z = self.theta.cos();
        [(1.0 + z) / 2.0, (1.0 - z) / 2.0]
    }
}

/// Per-qubit `(<X>, <Y>, <Z>)` of product states whose angles are given as
/// `[theta_0, phi_0, theta_1, phi_1, ...]`: returns `[X_0, Y_0, Z_0, X_1, ...]`.
pub fn expectations_from_angles(flat_angles: &[f64]) -> Result<Vec<f64>> {
    if flat_angles.len() % 2 != 0 {
        return Err(Error::DimensionMismatch {
            what: "flat angles (two per qubit)",
            expected: flat_angles.len() + 1,
            got: flat_angles.len(),
        });
    }
    if flat_angles.iter().any(|a| !a.is_finite()) {
        return Err(Error::NonFinite { what: "angles" });
    }
    Ok(flat_angles
        .chunks_exact(2)
        .flat_map(|p| QubitAngles { theta: p[0], phi: p[1] }.bloch_vector())
        .collect())
}

/// A product state of `n` qubits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductState {
    qubits: Vec<QubitAngles>,
}

impl ProductState {
    /// A product state from one angle pair per qubit (1 to [`MAX_QUBITS`] qubits, finite angles).
    pub fn new(qubits: Vec<QubitAngles>) -> Result<Self> {
        check_qubits(qubits.len())?;
        if qubits.iter().any(|q| !q.theta.is_finite() || !q.phi.is_finite()) {
            return Err(Error::NonFinite { what: "qubit angles" });
        }
        Ok(ProductState { qubits })
    }

    /// A product state from `[theta_0, phi_0, theta_1, phi_1, ...]`.
    pub fn from_flat_angles(flat: &[f64]) -> Result<Self> {
        if flat.len() % 2 != 0 {
            return Err(Error::DimensionMismatch {
                what: "flat angles (two per qubit)",
                expected: flat.len() + 1,
                got: flat.len(),
            });
        }
        ProductState::new(
            flat.chunks_exact(2).map(|p| QubitAngles { theta: p[0], phi: p[1] }).collect(),
        )
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.qubits.len()
    }

    /// The angles of each qubit.
    pub fn qubits(&self) -> &[QubitAngles] {
        &self.qubits
    }

    /// The angles as `[theta_0, phi_0, theta_1, phi_1, ...]`.
    pub fn flat_angles(&self) -> Vec<f64> {
        self.qubits.iter().flat_map(|q| [q.theta, q.phi]).collect()
    }

    /// Each qubit's Bloch vector `(<X>, <Y>, <Z>)`.
    pub fn bloch_vectors(&self) -> Vec<[f64; 3]> {
        self.qubits.iter().map(QubitAngles::bloch_vector).collect()
    }

    /// The exact Born distribution over the `2^n` computational basis states (little-endian).
    pub fn born_distribution(&self) -> Vec<f64> {
        // Doubling: after qubit q the vector covers bits 0..=q; the new bit is the high one, so
        // the outcome-0 half comes first.
        let mut p = Vec::with_capacity(1 << self.qubits.len());
        p.push(1.0);
        for q in &self.qubits {
            let [p0, p1] = q.z_probabilities();
            let half = p.len();
            p.extend_from_within(..half);
            for (i, v) in p.iter_mut().enumerate() {
                *v *= if i < half { p0 } else { p1 };
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn born_distribution_is_little_endian() {
        // Qubit 0 in |1>, qubit 1 in |0>: all mass on index 0b01 = 1.
        let s = ProductState::from_flat_angles(&[PI, 0.0, 0.0, 0.0]).unwrap();
        let p = s.born_distribution();
        assert!((p[1] - 1.0).abs() < 1e-12);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn angles_round_trip_through_bloch_vectors() {
        let a = QubitAngles { theta: 1.1, phi: -2.5 };
        let b = QubitAngles::from_bloch_vector(a.bloch_vector());
        assert!((a.theta - b.theta).abs() < 1e-12 && (a.phi - b.phi).abs() < 1e-12);
        // Angles outside the canonical range map to the same state.
        let c =
            QubitAngles::from_bloch_vector(QubitAngles { theta: -1.1, phi: 0.64 }.bloch_vector());
        assert!((c.theta - 1.1).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_registers() {
        assert!(ProductState::new(vec![]).is_err());
        assert!(ProductState::from_flat_angles(&[0.0; 3]).is_err());
        assert!(ProductState::from_flat_angles(&[f64::NAN, 0.0]).is_err());
        assert!(ProductState::from_flat_angles(&vec![0.0; 2 * (MAX_QUBITS + 1)]).is_err());
    }
}
