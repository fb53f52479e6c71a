//! The standard noise channels, each checked for its parameter ranges.

use num_complex::Complex64;
use qsim_core::matrix::Matrix;

use crate::channel::Channel;
use crate::error::{Result, check_probability};

fn m2(a: f64, b: f64, c: f64, d: f64) -> Matrix {
    let r = |x: f64| Complex64::new(x, 0.0);
    Matrix::new(1, vec![r(a), r(b), r(c), r(d)]).expect("2x2")
}

/// Single-qubit depolarizing: `rho -> (1 - p) rho + p I/2` (Pauli probabilities
/// `(1 - 3p/4, p/4, p/4, p/4)`), the model of Qiskit's `depolarizing_error(p, 1)`.
pub fn depolarizing(p: f64) -> Result<Channel> {
    depolarizing_global(1, p)
}

/// Depolarizing on `k` qubits jointly: `rho -> (1 - p) rho + p Tr(rho) I / 2^k`.
pub fn depolarizing_global(num_qubits: usize, p: f64) -> Result<Channel> {
    let p = check_probability("depolarizing strength", p)?;
    let n = 1usize << (2 * num_qubits);
    let mut probs = vec![p / n as f64; n];
    probs[0] = 1.0 - p + p / n as f64;
    Channel::pauli(num_qubits, probs)
}

/// A general single-qubit Pauli channel: X, Y, Z with probabilities `px`, `py`, `pz`.
pub fn pauli(px: f64, py: f64, pz: f64) -> Result<Channel> {
    let (px, py, pz) =
        (check_probability("px", px)?, check_probability("py", py)?, check_probability("pz", pz)?);
    Channel::pauli(1, vec![1.0 - px - py - pz, px, py, pz])
}

/// Bit flip: X with probability `p`.
pub fn bit_flip(p: f64) -> Result<Channel> {
    pauli(p, 0.0, 0.0)
}

/// Phase flip: Z with probability `p` (off-diagonal elements scale by `1 - 2p`).
pub fn phase_flip(p: f64) -> Result<Channel> {
    pauli(0.0, 0.0, p)
}

/// Dephasing of strength `p`: `rho -> (1 - p) rho + p diag(rho)` (off-diagonal elements scale by
/// `1 - p`; a phase flip with probability `p / 2`).
pub fn dephasing(p: f64) -> Result<Channel> {
    let p = check_probability("dephasing strength", p)?;
    pauli(0.0, 0.0, p / 2.0)
}

/// Amplitude damping: Kraus `[[1, 0], [0, sqrt(1 - gamma)]]` and `[[0, sqrt(gamma)], [0, 0]]`.
pub fn amplitude_damping(gamma: f64) -> Result<Channel> {
    let g = check_probability("amplitude damping gamma", gamma)?;
    Channel::from_kraus(vec![m2(1.0, 0.0, 0.0, (1.0 - g).sqrt()), m2(0.0, g.sqrt(), 0.0, 0.0)])
}

/// Generalised amplitude damping: relaxation of strength `gamma` towards a thermal state that is
/// `|0>` with probability `p0` (`p0 = 1` is plain amplitude damping).
pub fn generalized_amplitude_damping(gamma: f64, p0: f64) -> Result<Channel> {
    let g = check_probability("amplitude damping gamma", gamma)?;
    let p = check_probability("ground-state probability", p0)?;
    let (a, b) = (p.sqrt(), (1.0 - p).sqrt());
    Channel::from_kraus(vec![
        m2(a, 0.0, 0.0, a * (1.0 - g).sqrt()),
        m2(0.0, a * g.sqrt(), 0.0, 0.0),
        m2(b * (1.0 - g).sqrt(), 0.0, 0.0, b),
        m2(0.0, 0.0, b * g.sqrt(), 0.0),
    ])
}

/// The identity channel on `k` qubits.
pub fn identity(num_qubits: usize) -> Channel {
    depolarizing_global(num_qubits, 0.0).expect("0 is a probability")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn parameters_outside_zero_one_are_errors() {
        assert!(matches!(depolarizing(1.2), Err(Error::InvalidProbability { .. })));
        assert!(matches!(amplitude_damping(-0.1), Err(Error::InvalidProbability { .. })));
        assert!(matches!(dephasing(f64::NAN), Err(Error::InvalidProbability { .. })));
        assert!(matches!(pauli(0.5, 0.4, 0.3), Err(Error::InvalidProbability { .. })));
    }

    #[test]
    fn every_standard_channel_has_complete_kraus_operators() {
        for ch in [
            depolarizing(0.3).unwrap(),
            depolarizing_global(2, 0.7).unwrap(),
            dephasing(0.4).unwrap(),
            bit_flip(0.1).unwrap(),
            amplitude_damping(0.25).unwrap(),
            generalized_amplitude_damping(0.25, 0.8).unwrap(),
        ] {
            let k = ch.num_qubits();
            let sum = ch.kraus().iter().map(|op| op.adjoint().mul(op)).reduce(|a, b| {
                Matrix::new(k, a.as_slice().iter().zip(b.as_slice()).map(|(x, y)| x + y).collect())
                    .unwrap()
            });
            assert!(sum.unwrap().max_abs_diff(&Matrix::identity(k)) < 1e-14);
        }
    }
}
