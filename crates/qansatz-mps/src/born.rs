//! A Born machine: the ansatz without a timestep, trained so that its measurement distribution
//! `p(x) = |<x|U(theta)|0>|^2` matches a target distribution of bitstrings. Loss: squared MMD
//! with a mixture of Gaussian kernels (Liu and Wang, 2018); gradients exact through the adjoint
//! method, or estimated from shots with the parameter-shift rule as on hardware.

use qsim_core::state::StateVector;
use qsim_core::{Complex64, gradient};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::ansatz::{Ansatz, AnsatzConfig, Init};
use crate::error::{Error, Result};
use crate::optim::Adam;

/// `K(x, y) = mean over sigma of exp(-|x - y|^2 / (2 sigma))` on bitstrings, where `|x - y|^2`
/// is the Hamming distance. Each term factorises over bits, so `K v` costs `O(n 2^n)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MixtureKernel {
    bandwidths: Vec<f64>,
}

impl MixtureKernel {
    /// A kernel with these bandwidths `sigma` (positive).
    pub fn new(bandwidths: Vec<f64>) -> Result<Self> {
        if bandwidths.is_empty() || bandwidths.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::InvalidConfig {
                reason: format!("kernel bandwidths {bandwidths:?}"),
            });
        }
        Ok(Self { bandwidths })
    }

    /// `K v` for `v` over `2^n` bitstrings.
    pub fn apply(&self, v: &[f64]) -> Vec<f64> {
        let n = v.len().trailing_zeros() as usize;
        let mut out = vec![0.0; v.len()];
        for &sigma in &self.bandwidths {
            let g = (-1.0 / (2.0 * sigma)).exp();
            let mut w = v.to_vec();
            for q in 0..n {
                let half = 1usize << q;
                for block in w.chunks_exact_mut(2 * half) {
                    let (lo, hi) = block.split_at_mut(half);
                    for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                        let (x, y) = (*a, *b);
                        *a = x + g * y;
                        *b = g * x + y;
                    }
                }
            }
            for (o, x) in out.iter_mut().zip(&w) {
                *o += x / self.bandwidths.len() as f64;
            }
        }
        out
    }

    /// Squared MMD between two distributions over the same `2^n` bitstrings.
    pub fn mmd2(&self, p: &[f64], q: &[f64]) -> f64 {
        let d: Vec<f64> = p.iter().zip(q).map(|(a, b)| a - b).collect();
        d.iter().zip(self.apply(&d)).map(|(a, b)| a * b).sum()
    }
}

/// `KL(target || model) = sum target log(target / model)`, with model probabilities floored at
/// `1e-12` so that a missed pattern costs a large but finite amount.
pub fn kl_divergence(target: &[f64], model: &[f64]) -> f64 {
    target
        .iter()
        .zip(model)
        .filter(|(t, _)| **t > 0.0)
        .map(|(t, m)| t * (t / m.max(1e-12)).ln())
        .sum()
}

/// Probability mass the model puts on the support of the target.
pub fn valid_fraction(target: &[f64], model: &[f64]) -> f64 {
    target.iter().zip(model).filter(|(t, _)| **t > 0.0).map(|(_, m)| m).sum()
}

/// The bars-and-stripes patterns of a `rows x cols` grid, as bitstrings (pixel `(r, c)` is bit
/// `r * cols + c`): every choice of full rows, and every choice of full columns (the empty and
/// full grids counted once).
pub fn bars_and_stripes(rows: usize, cols: usize) -> Vec<usize> {
    let mut patterns: Vec<usize> = Vec::new();
    for mask in 0..1usize << rows {
        let p = (0..rows)
            .filter(|r| (mask >> r) & 1 == 1)
            .flat_map(|r| (0..cols).map(move |c| r * cols + c))
            .fold(0, |acc, bit| acc | (1 << bit));
        patterns.push(p);
    }
    for mask in 0..1usize << cols {
        let p = (0..cols)
            .filter(|c| (mask >> c) & 1 == 1)
            .flat_map(|c| (0..rows).map(move |r| r * cols + c))
            .fold(0, |acc, bit| acc | (1 << bit));
        patterns.push(p);
    }
    patterns.sort_unstable();
    patterns.dedup();
    patterns
}

/// How gradients are computed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum GradientMode {
    /// Exact probabilities, adjoint gradient.
    Exact,
    /// Parameter shift with `shots` samples per circuit, as on hardware.
    ParameterShift {
        /// Shots per circuit evaluation.
        shots: usize,
    },
}

/// Training settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BornConfig {
    /// The ansatz (no ancillas).
    pub ansatz: AnsatzConfig,
    /// Initial angles.
    pub init: Init,
    /// Adam step size.
    pub learning_rate: f64,
    /// Adam steps.
    pub steps: usize,
    /// MMD kernel bandwidths.
    pub bandwidths: Vec<f64>,
    /// Gradient method.
    pub gradient: GradientMode,
    /// Seed of every random draw (initial angles, shots).
    pub seed: u64,
}

/// One point of the training curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step index (0 = before training).
    pub step: usize,
    /// Squared MMD (exact).
    pub mmd2: f64,
    /// KL(target || model).
    pub kl: f64,
    /// Mass on the target's support.
    pub valid_fraction: f64,
}

/// The outcome of training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BornReport {
    /// Final angles.
    pub params: Vec<f64>,
    /// Exact metrics before training and after every step.
    pub history: Vec<StepRecord>,
}

fn probabilities(ansatz: &Ansatz, params: &[f64]) -> Result<(StateVector, Vec<f64>)> {
    let mut psi = StateVector::new(ansatz.total_qubits())?;
    psi.apply_circuit(ansatz.circuit(), params)?;
    let p = psi.probabilities();
    Ok((psi, p))
}

/// Trains a Born machine on `target` (a distribution over `2^n` bitstrings).
pub fn train(config: &BornConfig, target: &[f64]) -> Result<BornReport> {
    let ansatz = Ansatz::new(config.ansatz.clone())?;
    let n = ansatz.total_qubits();
    if target.len() != 1 << n {
        return Err(Error::DimensionMismatch {
            what: "target distribution (2^n)",
            expected: 1 << n,
            got: target.len(),
        });
    }
    let kernel = MixtureKernel::new(config.bandwidths.clone())?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut params = ansatz.init_angles(config.init, &mut rng);
    let mut adam = Adam::new(params.len(), config.learning_rate);
    let record = |step: usize, p: &[f64]| StepRecord {
        step,
        mmd2: kernel.mmd2(p, target),
        kl: kl_divergence(target, p),
        valid_fraction: valid_fraction(target, p),
    };
    let (_, p0) = probabilities(&ansatz, &params)?;
    let mut history = vec![record(0, &p0)];
    for step in 1..=config.steps {
        let grad = match config.gradient {
            GradientMode::Exact => {
                let (psi, p) = probabilities(&ansatz, &params)?;
                let d: Vec<f64> = p.iter().zip(target).map(|(a, b)| a - b).collect();
                let kd = kernel.apply(&d);
                // dL/dp_x = 2 (K d)_x, cotangent g_x = dL/dp_x psi_x.
                let cotangent: Vec<Complex64> =
                    psi.amplitudes().iter().zip(&kd).map(|(a, k)| a * (2.0 * k)).collect();
                gradient::vjp(ansatz.circuit(), &params, psi, cotangent)?
            }
            GradientMode::ParameterShift { shots } => {
                shot_gradient(&ansatz, &params, target, &kernel, shots, &mut rng)?
            }
        };
        adam.step(&mut params, &grad)?;
        let (_, p) = probabilities(&ansatz, &params)?;
        history.push(record(step, &p));
    }
    Ok(BornReport { params, history })
}

/// The MMD gradient from shots: `dL/dtheta = (p+ - p-)^T K (p - q)` with `p+-` the
/// distributions at `theta +- pi/2` (exact for every angle of the ansatz, which enter through
/// RY and RZ), each distribution estimated from `shots` samples and the model's `p` from an
/// independent batch, so the estimate is unbiased.
fn shot_gradient(
    ansatz: &Ansatz,
    params: &[f64],
    target: &[f64],
    kernel: &MixtureKernel,
    shots: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<f64>> {
    if shots == 0 {
        return Err(Error::InvalidConfig { reason: "zero shots".into() });
    }
    let histogram = |p: &StateVector, rng: &mut ChaCha8Rng| -> Result<Vec<f64>> {
        let mut h = vec![0.0; target.len()];
        for x in p.sample(shots, rng)? {
            h[x] += 1.0 / shots as f64;
        }
        Ok(h)
    };
    let (psi, _) = probabilities(ansatz, params)?;
    let p_hat = histogram(&psi, rng)?;
    let residual: Vec<f64> = p_hat.iter().zip(target).map(|(a, b)| a - b).collect();
    let k_residual = kernel.apply(&residual);
    let mut grad = vec![0.0; params.len()];
    let mut shifted = params.to_vec();
    for j in 0..params.len() {
        let mut side = |delta: f64, rng: &mut ChaCha8Rng| -> Result<Vec<f64>> {
            shifted[j] = params[j] + delta;
            let (psi, _) = probabilities(ansatz, &shifted)?;
            shifted[j] = params[j];
            histogram(&psi, rng)
        };
        let plus = side(std::f64::consts::FRAC_PI_2, rng)?;
        let minus = side(-std::f64::consts::FRAC_PI_2, rng)?;
        grad[j] = plus.iter().zip(&minus).zip(&k_residual).map(|((a, b), k)| (a - b) * k).sum();
    }
    Ok(grad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_stripes_3x3_has_14_patterns() {
        assert_eq!(bars_and_stripes(3, 3).len(), 14);
        assert_eq!(bars_and_stripes(2, 2).len(), 6);
    }

    #[test]
    fn kernel_apply_matches_the_dense_kernel() {
        let k = MixtureKernel::new(vec![0.25, 4.0]).unwrap();
        let n = 4;
        let v: Vec<f64> = (0..1 << n).map(|i| (i as f64 * 0.7).sin()).collect();
        let fast = k.apply(&v);
        for (x, &fast_x) in fast.iter().enumerate() {
            let dense: f64 = (0..1usize << n)
                .map(|y| {
                    let d = (x ^ y).count_ones() as f64;
                    v[y] * (0.5 * (-d / 0.5).exp() + 0.5 * (-d / 8.0).exp())
                })
                .sum();
            assert!((fast_x - dense).abs() < 1e-12);
        }
    }
}
