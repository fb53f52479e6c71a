//! Losses with their gradients: mean squared error and binary / categorical cross-entropy.
//!
//! The cross-entropies take **logits** (the network's raw output) and fuse the sigmoid or softmax
//! into the loss, as PyTorch's `BCEWithLogitsLoss` and `CrossEntropyLoss` do: the gradient is then
//! the well-conditioned `p - t` instead of a ratio that breaks down when `p` saturates.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A training loss; every value is averaged over the samples (columns) of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Loss {
    /// `mean over entries of (y - t)^2`.
    MeanSquaredError,
    /// `mean over entries of -t ln s(z) - (1 - t) ln(1 - s(z))` for logits `z`, targets in [0, 1].
    BinaryCrossEntropy,
    /// `mean over samples of -sum_i t_i ln softmax(z)_i` for logits `z`, targets summing to one
    /// per sample (one-hot labels or soft labels).
    CategoricalCrossEntropy,
}

/// `ln(1 + exp(x))` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }
}

impl Loss {
    /// The batch loss and its gradient with respect to `output` (same shape as `output`).
    pub fn evaluate(
        &self,
        output: &DMatrix<f32>,
        target: &DMatrix<f32>,
    ) -> Result<(f64, DMatrix<f32>)> {
        if output.shape() != target.shape() {
            return Err(Error::DimensionMismatch {
                what: "loss target entries (same shape as the output)",
                expected: output.len(),
                got: target.len(),
            });
        }
        let batch = output.ncols();
        if batch == 0 {
            return Err(Error::TooFewSamples { what: "a loss", min: 1, got: 0 });
        }
        let entries = output.len() as f64;
        match self {
            Loss::MeanSquaredError => {
                let value = output
                    .iter()
                    .zip(target.iter())
                    .map(|(&y, &t)| f64::from(y - t).powi(2))
                    .sum::<f64>()
                    / entries;
                let scale = (2.0 / entries) as f32;
                Ok((value, output.zip_map(target, |y, t| scale * (y - t))))
            }
            Loss::BinaryCrossEntropy => {
                // -t ln s(z) - (1 - t) ln(1 - s(z)) = softplus(z) - t z.
                let value = output
                    .iter()
                    .zip(target.iter())
                    .map(|(&z, &t)| softplus(f64::from(z)) - f64::from(t) * f64::from(z))
                    .sum::<f64>()
                    / entries;
                let scale = (1.0 / entries) as f32;
                Ok((
                    value,
                    output.zip_map(target, |z, t| scale * (crate::nn::layer::sigmoid(z) - t)),
                ))
            }
            Loss::CategoricalCrossEntropy => {
                let mut grad = output.clone();
                let mut value = 0.0;
                for ((mut g, z), t) in
                    grad.column_iter_mut().zip(output.column_iter()).zip(target.column_iter())
                {
                    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let log_sum = f64::from(max)
                        + z.iter().map(|&v| f64::from(v - max).exp()).sum::<f64>().ln();
                    let mass: f64 = t.iter().map(|&v| f64::from(v)).sum();
                    value += z
                        .iter()
                        .zip(t.iter())
                        .map(|(&zi, &ti)| f64::from(ti) * (log_sum - f64::from(zi)))
                        .sum::<f64>();
                    for ((gi, &zi), &ti) in g.iter_mut().zip(z.iter()).zip(t.iter()) {
                        let p = (f64::from(zi) - log_sum).exp();
                        *gi = ((p * mass - f64::from(ti)) / batch as f64) as f32;
                    }
                }
                Ok((value / batch as f64, grad))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_match_finite_differences() {
        let z = DMatrix::from_column_slice(3, 2, &[0.3, -1.2, 2.0, 0.5, 0.1, -0.7]);
        let cases = [
            (
                Loss::MeanSquaredError,
                DMatrix::from_column_slice(3, 2, &[0.1, 0.2, -0.3, 1.0, 0.0, 0.5]),
            ),
            (
                Loss::BinaryCrossEntropy,
                DMatrix::from_column_slice(3, 2, &[0.1, 0.9, 0.5, 1.0, 0.0, 0.3]),
            ),
            (
                Loss::CategoricalCrossEntropy,
                DMatrix::from_column_slice(3, 2, &[0.0, 1.0, 0.0, 0.2, 0.3, 0.5]),
            ),
        ];
        for (loss, t) in cases {
            let (_, grad) = loss.evaluate(&z, &t).unwrap();
            for i in 0..z.len() {
                let eps = 1e-2f32;
                let (mut p, mut m) = (z.clone(), z.clone());
                p[i] += eps;
                m[i] -= eps;
                let numeric = (loss.evaluate(&p, &t).unwrap().0 - loss.evaluate(&m, &t).unwrap().0)
                    / f64::from(2.0 * eps);
                assert!((numeric - f64::from(grad[i])).abs() < 1e-4, "{loss:?} {i}");
            }
        }
    }

    #[test]
    fn cross_entropies_are_finite_for_extreme_logits() {
        let z = DMatrix::from_column_slice(2, 1, &[200.0, -200.0]);
        let t = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
        for loss in [Loss::BinaryCrossEntropy, Loss::CategoricalCrossEntropy] {
            let (v, g) = loss.evaluate(&z, &t).unwrap();
            assert!(v.is_finite() && v > 100.0 && g.iter().all(|x| x.is_finite()));
        }
    }

    #[test]
    fn rejects_mismatched_shapes() {
        let z = DMatrix::<f32>::zeros(2, 1);
        let t = DMatrix::<f32>::zeros(3, 1);
        assert!(Loss::MeanSquaredError.evaluate(&z, &t).is_err());
    }
}
