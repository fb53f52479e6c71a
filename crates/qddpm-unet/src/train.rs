//! Training: the simplified objective of Ho et al. (their algorithm 1) with Adam, a linear
//! warm-up and half-cosine decay of the learning rate, global gradient-norm clipping and an
//! exponential moving average of the weights, which is what the trained model keeps.
//!
//! Each epoch shuffles the images; each image of a mini-batch gets a step `t` drawn uniformly
//! from `1..=T` and standard normal noise `eps`, all from one generator seeded by the training
//! seed, in a fixed order. The batch is cut into chunks of `chunk_size` images whose gradients
//! are computed in parallel and summed in chunk order, and every operation inside a chunk is
//! independent of the thread count (see [`crate::ops`]), so the trained weights depend on the
//! seed and the data only.

use std::path::Path;
use std::time::Instant;

use candle_core::{Device, Tensor, Var};
use nalgebra::DMatrix;
use qdecoder::checkpoint::{self, CacheStatus};
use qdecoder::dataset::{IMAGE_PIXELS, IMAGE_SIDE, LabeledImages};
use qdecoder::nn::train::EpochReport;
use qdiffusion::baseline::model::to_model_range;
use qdiffusion::baseline::prior::PixelPrior;
use qdiffusion::baseline::train::denoising_loss;
use qrandom::distributions::standard_normal_f32;
use rand::RngExt;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::config::{UnetDdpmConfig, UnetTrainConfig};
use crate::error::{Error, Result};
use crate::model::{StoredTensor, UnetDdpm, store};
use crate::network::{FreshWeights, Unet};

/// Adam's `beta_1`, `beta_2` and `epsilon` (Kingma and Ba's defaults).
const ADAM: (f64, f64, f64) = (0.9, 0.999, 1e-8);

/// The learning rate of optimiser step `step` (from 0) of `total`: linear warm-up to the peak,
/// then a half cosine down to the final rate.
pub fn learning_rate(config: &UnetTrainConfig, step: usize, total: usize) -> f64 {
    if step < config.warmup_steps {
        return config.learning_rate * (step + 1) as f64 / config.warmup_steps as f64;
    }
    let span = total.saturating_sub(config.warmup_steps).max(1);
    let progress = ((step - config.warmup_steps) as f64 / span as f64).min(1.0);
    let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
    config.final_learning_rate + (config.learning_rate - config.final_learning_rate) * cosine
}

/// Adam's state and the moving average, on plain vectors (one per weight tensor).
struct Optimiser {
    weights: Vec<Vec<f32>>,
    first: Vec<Vec<f32>>,
    second: Vec<Vec<f32>>,
    average: Vec<Vec<f32>>,
    step: usize,
}

impl Optimiser {
    fn new(weights: Vec<Vec<f32>>) -> Self {
        let zeros: Vec<Vec<f32>> = weights.iter().map(|w| vec![0.0; w.len()]).collect();
        Optimiser {
            average: weights.clone(),
            first: zeros.clone(),
            second: zeros,
            weights,
            step: 0,
        }
    }

    /// One Adam step with `grads` (clipped to `max_norm` first) at rate `lr`, then the moving
    /// average with decay `min(decay, (1 + k) / (10 + k))` (the usual warm-up of the average, so
    /// early weights do not linger in a short run).
    fn update(&mut self, grads: &[Vec<f32>], lr: f64, max_norm: f64, decay: f64) {
        self.step += 1;
        let norm = grads.iter().flatten().map(|&g| f64::from(g) * f64::from(g)).sum::<f64>().sqrt();
        let clip = if norm > max_norm { max_norm / norm } else { 1.0 };
        let (b1, b2, eps) = ADAM;
        let k = self.step as i32;
        let (c1, c2) = (1.0 - b1.powi(k), 1.0 - b2.powi(k));
        let d = decay.min((1.0 + self.step as f64) / (10.0 + self.step as f64));
        let tensors = self
            .weights
            .iter_mut()
            .zip(&mut self.first)
            .zip(&mut self.second)
            .zip(&mut self.average)
            .zip(grads);
        for ((((weights, first), second), average), grads) in tensors {
            let entries = weights.iter_mut().zip(first.iter_mut()).zip(second.iter_mut());
            for (((w, m), v), (a, &g)) in entries.zip(average.iter_mut().zip(grads)) {
                let g = f64::from(g) * clip;
                let m_new = b1 * f64::from(*m) + (1.0 - b1) * g;
                let v_new = b2 * f64::from(*v) + (1.0 - b2) * g * g;
                *m = m_new as f32;
                *v = v_new as f32;
                let w_new = f64::from(*w) - lr * (m_new / c1) / ((v_new / c2).sqrt() + eps);
                *w = w_new as f32;
                *a = (d * f64::from(*a) + (1.0 - d) * w_new) as f32;
            }
        }
    }
}

/// The loss (summed squared error against `target` divided by `denominator`) of one chunk and
/// its gradient with respect to every variable, in order.
fn chunk_gradient(
    network: &Unet,
    vars: &[Var],
    x_t: &Tensor,
    target: &Tensor,
    steps: &[usize],
    denominator: f64,
) -> Result<(f64, Vec<Vec<f32>>)> {
    let predicted = network.forward(x_t, steps)?;
    let loss = ((predicted - target)?.sqr()?.sum_all()? / denominator)?;
    let grads = loss.backward()?;
    let mut out = Vec::with_capacity(vars.len());
    for var in vars {
        out.push(match grads.get(var.as_tensor()) {
            Some(g) => g.flatten_all()?.to_vec1()?,
            None => vec![0.0; var.elem_count()],
        });
    }
    Ok((f64::from(loss.to_scalar::<f32>()?), out))
}

impl UnetDdpm {
    /// Trains a U-Net DDPM on the images of `train` (labels are ignored: the model is
    /// unconditional); deterministic given `config.train.seed`. `on_epoch` sees each epoch's
    /// mean loss, last learning rate and time.
    pub fn train(
        train: &LabeledImages,
        config: &UnetDdpmConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<Self> {
        if train.is_empty() {
            return Err(Error::InvalidConfig { reason: "no training images".into() });
        }
        let data = to_model_range(&train.images().to_matrix());
        UnetDdpm::train_on(&data, train.fingerprint(), config, on_epoch)
    }

    /// Trains on `data`, 784 x N images in the model range [-1, 1] (one per column), recording
    /// `fingerprint` as the training data's identity. Deterministic given `config.train.seed`.
    pub fn train_on(
        data: &DMatrix<f32>,
        fingerprint: u64,
        config: &UnetDdpmConfig,
        mut on_epoch: impl FnMut(&EpochReport),
    ) -> Result<Self> {
        let schedule = config.validate()?;
        if data.nrows() != IMAGE_PIXELS {
            return Err(Error::DimensionMismatch {
                what: "pixels per training image (rows)",
                expected: IMAGE_PIXELS,
                got: data.nrows(),
            });
        }
        if data.ncols() == 0 {
            return Err(Error::InvalidConfig { reason: "no training images".into() });
        }
        let tc = &config.train;
        let prior = if config.gaussian_skip { Some(PixelPrior::fit(data)?) } else { None };
        let mut fresh = FreshWeights::new(qrandom::streams::UNET_DDPM_INIT.rng(tc.seed), true);
        let network = Unet::new(&config.network, &mut fresh)?;
        let vars = fresh.into_vars();
        let initial: Vec<Vec<f32>> =
            network.weights().iter().map(|w| store(w).map(|(_, v)| v)).collect::<Result<_>>()?;
        let shapes: Vec<Vec<usize>> = network.weights().iter().map(|w| w.dims().to_vec()).collect();
        let mut optimiser = Optimiser::new(initial);

        let n = data.ncols();
        let batches_per_epoch = n.div_ceil(tc.batch_size);
        let total_steps = tc.epochs * batches_per_epoch;
        let mut rng = qrandom::streams::UNET_DDPM_TRAIN.rng(tc.seed);
        let mut order: Vec<usize> = (0..n).collect();
        let roots: Vec<(f32, f32)> = (0..=config.steps)
            .map(|t| {
                let ab = schedule.alpha_bar(t)?;
                Ok((ab.sqrt() as f32, (1.0 - ab).sqrt() as f32))
            })
            .collect::<Result<_>>()?;
        for epoch in 1..=tc.epochs {
            let start = Instant::now();
            order.shuffle(&mut rng);
            let (mut loss_sum, mut lr) = (0.0, 0.0);
            for batch in order.chunks(tc.batch_size) {
                // Steps and noise for the whole batch, in order, before any parallel work.
                let steps: Vec<usize> =
                    batch.iter().map(|_| rng.random_range(1..=config.steps)).collect();
                let noise: Vec<f32> = (0..batch.len() * IMAGE_PIXELS)
                    .map(|_| standard_normal_f32(&mut rng))
                    .collect();
                let mut x_t = Vec::with_capacity(noise.len());
                for ((&i, &t), eps) in
                    batch.iter().zip(&steps).zip(noise.chunks_exact(IMAGE_PIXELS))
                {
                    let (signal, spread) = roots[t];
                    x_t.extend(
                        data.column(i).iter().zip(eps).map(|(&x, &e)| signal * x + spread * e),
                    );
                }
                // The network's target: what the Gaussian skip leaves unexplained.
                let target = match &prior {
                    Some(prior) => {
                        let x = DMatrix::from_column_slice(IMAGE_PIXELS, batch.len(), &x_t);
                        let mut target =
                            DMatrix::from_column_slice(IMAGE_PIXELS, batch.len(), &noise);
                        prior.add_noise_prediction(&schedule, &x, &steps, -1.0, &mut target)?;
                        target.as_slice().to_vec()
                    }
                    None => noise,
                };
                let denominator = (batch.len() * IMAGE_PIXELS) as f64;
                let chunks: Vec<(usize, usize)> = (0..batch.len())
                    .step_by(tc.chunk_size)
                    .map(|s| (s, tc.chunk_size.min(batch.len() - s)))
                    .collect();
                let parts: Vec<(f64, Vec<Vec<f32>>)> = chunks
                    .par_iter()
                    .map(|&(s, len)| {
                        let range = s * IMAGE_PIXELS..(s + len) * IMAGE_PIXELS;
                        let shape = (len, IMAGE_SIDE, IMAGE_SIDE);
                        let x = Tensor::from_slice(&x_t[range.clone()], shape, &Device::Cpu)?;
                        let e = Tensor::from_slice(&target[range], shape, &Device::Cpu)?;
                        chunk_gradient(&network, &vars, &x, &e, &steps[s..s + len], denominator)
                    })
                    .collect::<Result<_>>()?;
                let mut loss = 0.0;
                let mut grads: Vec<Vec<f32>> =
                    optimiser.weights.iter().map(|w| vec![0.0; w.len()]).collect();
                for (part_loss, part) in &parts {
                    loss += part_loss;
                    for (g, p) in grads.iter_mut().zip(part) {
                        for (a, b) in g.iter_mut().zip(p) {
                            *a += b;
                        }
                    }
                }
                if !loss.is_finite() {
                    return Err(Error::Diverged { step: optimiser.step + 1, loss: loss as f32 });
                }
                lr = learning_rate(tc, optimiser.step, total_steps);
                optimiser.update(&grads, lr, tc.max_grad_norm, tc.ema_decay);
                for ((var, w), shape) in vars.iter().zip(&optimiser.weights).zip(&shapes) {
                    var.set(&Tensor::from_slice(w, shape.as_slice(), &Device::Cpu)?)?;
                }
                loss_sum += loss;
            }
            let seconds = start.elapsed().as_secs_f64();
            on_epoch(&EpochReport {
                epoch,
                loss: loss_sum / batches_per_epoch as f64,
                learning_rate: lr as f32,
                seconds,
                samples_per_second: n as f64 / seconds.max(1e-9),
            });
        }
        let kept = if tc.ema_decay > 0.0 { &optimiser.average } else { &optimiser.weights };
        let weights: Vec<StoredTensor> = shapes.into_iter().zip(kept.iter().cloned()).collect();
        UnetDdpm::from_parts(config.clone(), weights, prior, fingerprint)
    }

    /// The training objective on `images` (784 x N intensities in [0, 1]): the mean squared error
    /// of the predicted noise, one step drawn uniformly from `1..=T` and one noise draw per image
    /// from `rng` (qdiffusion's [`denoising_loss`]). On held-out images this measures
    /// generalisation.
    pub fn denoising_loss(&self, images: &DMatrix<f32>, rng: &mut impl rand::Rng) -> Result<f64> {
        denoising_loss(self.schedule(), |x, t| self.predict_noise_at(x, t), images, rng)
    }

    /// Loads the model cached at `path` if it was trained with `config` on exactly `train`;
    /// otherwise trains one and caches it there atomically (an unreadable cache is retrained, and
    /// the returned status says why).
    pub fn load_or_train(
        path: impl AsRef<Path>,
        train: &LabeledImages,
        config: &UnetDdpmConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<(Self, CacheStatus)> {
        if train.is_empty() {
            return Err(Error::InvalidConfig { reason: "no training images".into() });
        }
        let fingerprint = train.fingerprint();
        checkpoint::load_or_train(
            path.as_ref(),
            |m: &UnetDdpm| {
                if m.config() != config {
                    Some("the cached model has another configuration".into())
                } else if m.train_fingerprint() != fingerprint {
                    Some("the cached model was trained on other data".into())
                } else {
                    None
                }
            },
            || UnetDdpm::train(train, config, on_epoch),
        )
    }
}
