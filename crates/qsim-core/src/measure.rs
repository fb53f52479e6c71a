//! Measurement: exact probabilities, marginals and Born-rule sampling of many shots.

use std::collections::BTreeMap;

use num_complex::Complex64;
use qrandom::distributions::uniform;
use rand::Rng;

use crate::error::{Error, Result};

/// `|a_k|^2` for every basis state.
pub fn probabilities(amps: &[Complex64]) -> Vec<f64> {
    amps.iter().map(|a| a.norm_sqr()).collect()
}

/// Marginal distribution of `qubits` from a full distribution over `2^n` outcomes: entry `j` has
/// bit `l` equal to the value of `qubits[l]`.
pub fn marginal(probs: &[f64], num_qubits: usize, qubits: &[usize]) -> Result<Vec<f64>> {
    for (i, &q) in qubits.iter().enumerate() {
        if q >= num_qubits {
            return Err(Error::QubitOutOfRange { qubit: q, num_qubits });
        }
        if qubits[..i].contains(&q) {
            return Err(Error::DuplicateQubit { qubit: q });
        }
    }
    let mut out = vec![0.0; 1 << qubits.len()];
    for (i, p) in probs.iter().enumerate() {
        let j: usize = qubits.iter().enumerate().map(|(l, &q)| ((i >> q) & 1) << l).sum();
        out[j] += p;
    }
    Ok(out)
}

/// Draws outcomes from a fixed discrete distribution in O(1) per draw (Walker's alias method,
/// Vose's construction: O(N) set-up).
#[derive(Clone, Debug)]
pub struct AliasSampler {
    prob: Vec<f64>,
    alias: Vec<u32>,
}

impl AliasSampler {
    /// Builds the tables for `weights` (non-negative, finite, positive sum; normalised here).
    pub fn new(weights: &[f64]) -> Result<Self> {
        let n = weights.len();
        if n == 0 || n > u32::MAX as usize {
            return Err(Error::InvalidDistribution { reason: format!("{n} outcomes") });
        }
        if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(Error::InvalidDistribution { reason: format!("weight {w}") });
        }
        let total: f64 = weights.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return Err(Error::InvalidDistribution { reason: "weights sum to zero".into() });
        }
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias = vec![0u32; n];
        let (mut small, mut large): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|&i| scaled[i as usize] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s as usize] = l;
            scaled[l as usize] -= 1.0 - scaled[s as usize];
            if scaled[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding.
        for i in small.into_iter().chain(large) {
            scaled[i as usize] = 1.0;
        }
        Ok(Self { prob: scaled, alias })
    }

    /// Number of outcomes.
    pub fn len(&self) -> usize {
        self.prob.len()
    }

    /// True if there are no outcomes (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.prob.is_empty()
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let u = uniform(rng) * self.prob.len() as f64;
        let i = (u as usize).min(self.prob.len() - 1);
        if u - (i as f64) < self.prob[i] { i } else { self.alias[i] as usize }
    }

    /// `shots` draws.
    pub fn sample_many<R: Rng + ?Sized>(&self, shots: usize, rng: &mut R) -> Vec<usize> {
        (0..shots).map(|_| self.sample(rng)).collect()
    }

    /// `shots` draws tallied by outcome.
    pub fn counts<R: Rng + ?Sized>(&self, shots: usize, rng: &mut R) -> BTreeMap<usize, usize> {
        let mut counts = BTreeMap::new();
        for _ in 0..shots {
            *counts.entry(self.sample(rng)).or_insert(0) += 1;
        }
        counts
    }
}

/// Formats outcome `index` of `num_qubits` qubits as Qiskit does: qubit 0 rightmost.
pub fn bitstring(index: usize, num_qubits: usize) -> String {
    (0..num_qubits).rev().map(|q| if (index >> q) & 1 == 1 { '1' } else { '0' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitstrings_put_qubit_zero_on_the_right() {
        assert_eq!(bitstring(1, 3), "001");
        assert_eq!(bitstring(6, 3), "110");
    }

    #[test]
    fn marginal_sums_the_other_qubits() {
        // p(q0=1) = 0.3 + 0.4
        let m = marginal(&[0.1, 0.3, 0.2, 0.4], 2, &[0]).unwrap();
        assert!((m[1] - 0.7).abs() < 1e-15);
        assert!(matches!(marginal(&[1.0], 0, &[0]), Err(Error::QubitOutOfRange { .. })));
    }

    #[test]
    fn alias_sampler_rejects_bad_weights() {
        assert!(AliasSampler::new(&[]).is_err());
        assert!(AliasSampler::new(&[0.5, -0.1]).is_err());
        assert!(AliasSampler::new(&[0.0, 0.0]).is_err());
        assert!(AliasSampler::new(&[f64::NAN]).is_err());
    }
}
