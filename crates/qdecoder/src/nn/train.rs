//! Mini-batch training: seeded shuffles, a cosine learning-rate schedule, and data-parallel
//! gradients.
//!
//! A mini-batch is cut into fixed-size chunks of columns; rayon computes each chunk's gradient on
//! its own core and the chunk gradients are summed in chunk order. The chunking depends only on the
//! configuration, never on the thread count, so training is bit-for-bit reproducible from the seed
//! on any machine with the same floating-point behaviour.

use std::ops::Range;
use std::time::Instant;

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::nn::loss::Loss;
use crate::nn::network::{Gradients, Sequential};
use crate::nn::optim::{Adam, AdamConfig};

/// How to train: epochs, batches, the learning-rate schedule, the optimiser and the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per optimiser step.
    pub batch_size: usize,
    /// Learning rate at the start; it decays along a half cosine to `final_learning_rate`.
    pub learning_rate: f32,
    /// Learning rate at the end of training.
    pub final_learning_rate: f32,
    /// Adam's hyper-parameters.
    pub adam: AdamConfig,
    /// Samples per parallel task inside a batch (fixed, so results do not depend on threads).
    pub chunk_size: usize,
    /// Seed of the shuffles, the augmentations and the noise.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 20,
            batch_size: 64,
            learning_rate: 1e-3,
            final_learning_rate: 1e-5,
            adam: AdamConfig::default(),
            chunk_size: 32,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Checks that every field is usable.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| Err(Error::InvalidConfig { field, reason: reason.into() });
        if self.epochs == 0 {
            return bad("epochs", "must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if self.chunk_size == 0 {
            return bad("chunk_size", "must be at least 1");
        }
        for (field, v) in [
            ("learning_rate", self.learning_rate),
            ("final_learning_rate", self.final_learning_rate),
        ] {
            if !v.is_finite() || v < 0.0 {
                return bad(field, "must be finite and non-negative");
            }
        }
        let a = &self.adam;
        if !(0.0..1.0).contains(&a.beta1) || !(0.0..1.0).contains(&a.beta2) {
            return bad("adam.beta1/beta2", "must lie in [0, 1)");
        }
        if a.epsilon.is_nan()
            || a.epsilon <= 0.0
            || !a.weight_decay.is_finite()
            || a.weight_decay < 0.0
        {
            return bad("adam.epsilon/weight_decay", "epsilon must be positive, weight decay >= 0");
        }
        Ok(())
    }

    /// The learning rate after a fraction `progress` (0 to 1) of training: a half cosine.
    pub fn learning_rate_at(&self, progress: f64) -> f32 {
        let p = progress.clamp(0.0, 1.0);
        let (hi, lo) = (f64::from(self.learning_rate), f64::from(self.final_learning_rate));
        (lo + 0.5 * (hi - lo) * (1.0 + (std::f64::consts::PI * p).cos())) as f32
    }
}

/// What one epoch of training did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub loss: f64,
    /// Learning rate at the epoch's last step.
    pub learning_rate: f32,
    /// Wall-clock seconds the epoch took.
    pub seconds: f64,
    /// Training samples processed per second.
    pub samples_per_second: f64,
}

/// The index batches of one epoch: a seeded shuffle of `0..n` cut into `batch_size` pieces (the
/// last may be shorter).
pub fn shuffled_batches(n: usize, batch_size: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order.chunks(batch_size.max(1)).map(<[usize]>::to_vec).collect()
}

/// The column ranges of a batch of `len` samples cut into chunks of `chunk` columns.
pub(crate) fn chunk_ranges(len: usize, chunk: usize) -> Vec<Range<usize>> {
    (0..len).step_by(chunk.max(1)).map(|s| s..(s + chunk).min(len)).collect()
}

/// Loss and parameter gradients of `network` on one batch, computed over parallel chunks.
pub fn batch_gradients(
    network: &Sequential,
    loss: Loss,
    inputs: &DMatrix<f32>,
    targets: &DMatrix<f32>,
    chunk_size: usize,
) -> Result<(f64, Gradients)> {
    let batch = inputs.ncols();
    if targets.ncols() != batch {
        return Err(Error::DimensionMismatch {
            what: "target columns (one per input sample)",
            expected: batch,
            got: targets.ncols(),
        });
    }
    let parts = chunk_ranges(batch, chunk_size)
        .into_par_iter()
        .map(|r| {
            let weight = r.len() as f32 / batch as f32;
            let x = inputs.columns(r.start, r.len()).into_owned();
            let t = targets.columns(r.start, r.len()).into_owned();
            let trace = network.forward_trace(x)?;
            let (value, grad) = loss.evaluate(trace.output(), &t)?;
            let (grads, _) = network.backward(&trace, grad * weight, false)?;
            Ok((value * f64::from(weight), grads))
        })
        .collect::<Result<Vec<_>>>()?;
    sum_in_order(parts)
}

/// Sums chunk results in chunk order (a fixed order keeps training reproducible).
pub(crate) fn sum_in_order(parts: Vec<(f64, Gradients)>) -> Result<(f64, Gradients)> {
    let mut parts = parts.into_iter();
    let (mut value, mut grads) =
        parts.next().ok_or(Error::TooFewSamples { what: "a training batch", min: 1, got: 0 })?;
    for (v, g) in parts {
        value += v;
        grads.add_scaled(&g, 1.0)?;
    }
    Ok((value, grads))
}

/// Trains `network` on `num_examples` examples with Adam under `loss`.
///
/// `make_batch(indices, rng)` returns the inputs and targets (one column per index) of a batch,
/// so callers can augment images or add shot noise on the fly with the training RNG. `on_epoch`
/// sees each epoch's report as it finishes (for progress output).
pub fn fit<F>(
    network: &mut Sequential,
    loss: Loss,
    config: &TrainConfig,
    num_examples: usize,
    mut make_batch: F,
    mut on_epoch: impl FnMut(&EpochReport),
) -> Result<Vec<EpochReport>>
where
    F: FnMut(&[usize], &mut ChaCha8Rng) -> Result<(DMatrix<f32>, DMatrix<f32>)>,
{
    config.validate()?;
    if num_examples == 0 {
        return Err(Error::TooFewSamples { what: "training", min: 1, got: 0 });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut adam = Adam::new(config.adam);
    let steps_per_epoch = num_examples.div_ceil(config.batch_size);
    let total_steps = (steps_per_epoch * config.epochs) as f64;
    let mut reports = Vec::with_capacity(config.epochs);
    for epoch in 0..config.epochs {
        let start = Instant::now();
        let mut loss_sum = 0.0;
        let mut learning_rate = config.learning_rate;
        let batches = shuffled_batches(num_examples, config.batch_size, &mut rng);
        for (b, indices) in batches.iter().enumerate() {
            let (x, t) = make_batch(indices, &mut rng)?;
            let (value, grads) = batch_gradients(network, loss, &x, &t, config.chunk_size)?;
            if !value.is_finite() {
                return Err(Error::NonFinite { what: "training loss (lower the learning rate)" });
            }
            learning_rate =
                config.learning_rate_at((epoch * steps_per_epoch + b) as f64 / total_steps);
            adam.step(network, &grads, learning_rate)?;
            loss_sum += value;
        }
        let seconds = start.elapsed().as_secs_f64();
        let report = EpochReport {
            epoch: epoch + 1,
            loss: loss_sum / batches.len() as f64,
            learning_rate,
            seconds,
            samples_per_second: num_examples as f64 / seconds.max(1e-9),
        };
        on_epoch(&report);
        reports.push(report);
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::layer::Activation;
    use rand::RngExt;

    #[test]
    fn chunked_gradients_equal_whole_batch_gradients() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let net = Sequential::mlp(&[6, 8, 4], Activation::Relu, &mut rng).unwrap();
        let x = DMatrix::from_fn(6, 50, |_, _| rng.random_range(-1.0..1.0));
        let t = DMatrix::from_fn(4, 50, |r, c| if r == c % 4 { 1.0 } else { 0.0 });
        let (v1, g1) = batch_gradients(&net, Loss::CategoricalCrossEntropy, &x, &t, 50).unwrap();
        let (v7, g7) = batch_gradients(&net, Loss::CategoricalCrossEntropy, &x, &t, 7).unwrap();
        assert!((v1 - v7).abs() < 1e-6);
        for (a, b) in g1.iter().zip(g7.iter()) {
            assert!((a - b).abs() < 1e-5);
        }
    }

    #[test]
    fn shuffles_are_seeded_and_complete() {
        let a = shuffled_batches(10, 3, &mut ChaCha8Rng::seed_from_u64(1));
        let b = shuffled_batches(10, 3, &mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(a, b);
        let mut all: Vec<usize> = a.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(a.last().map(Vec::len), Some(1));
    }

    #[test]
    fn cosine_schedule_runs_from_start_to_end() {
        let c =
            TrainConfig { learning_rate: 1.0, final_learning_rate: 0.0, ..TrainConfig::default() };
        assert_eq!(c.learning_rate_at(0.0), 1.0);
        assert!((c.learning_rate_at(0.5) - 0.5).abs() < 1e-6);
        assert!(c.learning_rate_at(1.0).abs() < 1e-6);
    }
}
