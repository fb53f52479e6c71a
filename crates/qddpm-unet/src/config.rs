//! What a U-Net DDPM is: the schedule, the network's shape and its training.

use qdecoder::dataset::IMAGE_SIDE;
use qdiffusion::baseline::schedule::NoiseSchedule;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The shape of the U-Net noise predictor.
///
/// The 28 x 28 image is first cut into `patch x patch` blocks whose pixels become channels
/// (pixel unshuffle; `patch = 1` keeps the full resolution), then runs through `channels.len()`
/// levels, each at half the resolution of the one before (28, 14, 7 with `patch = 1` and three
/// levels; 14, 7 with `patch = 2` and two). See [`crate::network`] for the blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnetConfig {
    /// Pixels per side of the blocks folded into channels at the input (1 or 2).
    pub patch: usize,
    /// Channels of each level, finest first.
    pub channels: Vec<usize>,
    /// Residual blocks per level, on the way down and on the way up.
    pub blocks: usize,
    /// Groups of every group normalisation (must divide every normalised width).
    pub groups: usize,
    /// Sinusoidal features of the timestep (even).
    pub time_features: usize,
    /// Width of the timestep MLP's output, which every residual block projects to its channels.
    pub time_width: usize,
}

impl Default for UnetConfig {
    fn default() -> Self {
        UnetConfig {
            patch: 2,
            channels: vec![16, 32],
            blocks: 1,
            groups: 8,
            time_features: 32,
            time_width: 64,
        }
    }
}

impl UnetConfig {
    /// Resolution (pixels per side) of level `level`.
    pub fn resolution(&self, level: usize) -> usize {
        (IMAGE_SIDE / self.patch.max(1)) >> level
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::InvalidConfig { reason });
        if self.patch == 0 || IMAGE_SIDE % self.patch != 0 {
            return bad(format!("patch must divide {IMAGE_SIDE}, got {}", self.patch));
        }
        if self.channels.is_empty() || self.channels.contains(&0) {
            return bad(format!("channels must be positive, got {:?}", self.channels));
        }
        let levels = self.channels.len();
        let side = IMAGE_SIDE / self.patch;
        // More levels than bits in a usize halve any side to nothing (and would overflow).
        let halvings = u32::try_from(levels - 1).ok().and_then(|h| 1usize.checked_shl(h));
        if halvings.is_none_or(|h| side % h != 0) {
            return bad(format!(
                "{levels} levels halve {side} pixels {} times, which does not divide it",
                levels - 1
            ));
        }
        if self.blocks == 0 {
            return bad("a level needs at least one residual block".into());
        }
        if self.groups == 0 {
            return bad("groups must be positive".into());
        }
        // Normalised widths: each level's channels, and the concatenations of the way up.
        let mut widths = self.channels.clone();
        widths.extend(self.channels.windows(2).map(|w| w[0].saturating_add(w[1])));
        if let Some(w) = widths.iter().find(|&&w| w % self.groups != 0) {
            return bad(format!("{} groups do not divide a normalised width of {w}", self.groups));
        }
        if self.time_features == 0 || self.time_features % 2 != 0 {
            return bad(format!(
                "time_features must be positive and even, got {}",
                self.time_features
            ));
        }
        if self.time_width == 0 {
            return bad("time_width must be positive".into());
        }
        Ok(())
    }

    /// Multiply-adds times two (floating-point operations) of one forward pass on one image,
    /// counting the convolutions and dense layers (normalisations and activations are a few
    /// percent more).
    pub fn flops_per_image(&self) -> u64 {
        let conv = |cin: usize, cout: usize, k: usize, side: usize| {
            2 * (k * k * cin * cout * side * side) as u64
        };
        let c = &self.channels;
        let pp = self.patch * self.patch;
        let mut total =
            conv(pp, c[0], 3, self.resolution(0)) + conv(c[0], pp, 3, self.resolution(0));
        let block = |cin: usize, cout: usize, side: usize| {
            conv(cin, cout, 3, side)
                + conv(cout, cout, 3, side)
                + if cin == cout { 0 } else { conv(cin, cout, 1, side) }
        };
        for (level, &width) in c.iter().enumerate() {
            let side = self.resolution(level);
            let first_in = if level == 0 { c[0] } else { c[level - 1] };
            total +=
                block(first_in, width, side) + (self.blocks as u64 - 1) * block(width, width, side);
            if level + 1 < c.len() {
                total += block(c[level + 1] + width, width, side)
                    + (self.blocks as u64 - 1) * block(width, width, side);
            }
        }
        total
    }
}

/// How the U-Net DDPM is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnetTrainConfig {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per optimiser step.
    pub batch_size: usize,
    /// Images per parallel task inside a batch: the batch's gradient is the sum of its chunks'
    /// in a fixed order, so the result does not depend on the number of threads.
    pub chunk_size: usize,
    /// Peak learning rate of Adam.
    pub learning_rate: f64,
    /// Learning rate at the last step (half-cosine decay from the peak after the warm-up).
    pub final_learning_rate: f64,
    /// Optimiser steps of linear warm-up from zero to the peak.
    pub warmup_steps: usize,
    /// Decay of the exponential moving average of the weights that sampling uses (0 keeps the
    /// last weights).
    pub ema_decay: f64,
    /// Largest global gradient norm; larger gradients are scaled down to it.
    pub max_grad_norm: f64,
    /// Seed of the initial weights, shuffles, timesteps and noise.
    pub seed: u64,
}

impl Default for UnetTrainConfig {
    fn default() -> Self {
        UnetTrainConfig {
            epochs: 30,
            batch_size: 32,
            chunk_size: 16,
            learning_rate: 2e-3,
            final_learning_rate: 1e-4,
            warmup_steps: 200,
            ema_decay: 0.999,
            max_grad_norm: 1.0,
            seed: 20_261_207,
        }
    }
}

impl UnetTrainConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::InvalidConfig { reason });
        if self.epochs == 0 || self.batch_size == 0 || self.chunk_size == 0 {
            return bad(format!(
                "epochs ({}), batch_size ({}) and chunk_size ({}) must be positive",
                self.epochs, self.batch_size, self.chunk_size
            ));
        }
        let rate = |r: f64| r.is_finite() && r > 0.0;
        if !rate(self.learning_rate) || !rate(self.final_learning_rate) {
            return bad(format!(
                "learning rates must be positive, got {} and {}",
                self.learning_rate, self.final_learning_rate
            ));
        }
        if !(0.0..1.0).contains(&self.ema_decay) {
            return bad(format!("ema_decay must lie in [0, 1), got {}", self.ema_decay));
        }
        if !rate(self.max_grad_norm) {
            return bad(format!("max_grad_norm must be positive, got {}", self.max_grad_norm));
        }
        Ok(())
    }
}

/// Everything a U-Net DDPM is: the linear schedule of Ho et al., the network, the training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnetDdpmConfig {
    /// Diffusion steps `T` (Ho et al.: 1000).
    pub steps: usize,
    /// `beta_1` (Ho et al.: 1e-4).
    pub beta_start: f64,
    /// `beta_T` (Ho et al.: 0.02); linear in between.
    pub beta_end: f64,
    /// Add the exact noise prediction of a per-pixel Gaussian fit of the training images
    /// ([`PixelPrior`](qdiffusion::baseline::prior::PixelPrior)) to the network's output, so the
    /// network learns only the residual. Near `t = T` that prediction is almost all of the
    /// answer, including each image's mean brightness, which the group normalisation in front
    /// of the output convolution cannot carry: without the skip, an error in it is amplified by
    /// `1 / sqrt(alphabar_t)` (over 50 at the first DDIM step) and whole samples come out white
    /// or black.
    pub gaussian_skip: bool,
    /// The noise predictor.
    pub network: UnetConfig,
    /// Its training.
    pub train: UnetTrainConfig,
}

impl Default for UnetDdpmConfig {
    fn default() -> Self {
        UnetDdpmConfig {
            steps: 1000,
            beta_start: 1e-4,
            beta_end: 0.02,
            gaussian_skip: true,
            network: UnetConfig::default(),
            train: UnetTrainConfig::default(),
        }
    }
}

impl UnetDdpmConfig {
    /// A tiny model trained for one epoch: for smoke runs (`--quick`), not for figures.
    pub fn quick() -> Self {
        UnetDdpmConfig {
            steps: 100,
            network: UnetConfig {
                patch: 2,
                channels: vec![8, 16],
                blocks: 1,
                groups: 4,
                time_features: 16,
                time_width: 16,
            },
            train: UnetTrainConfig { epochs: 1, warmup_steps: 10, ..UnetTrainConfig::default() },
            ..UnetDdpmConfig::default()
        }
    }

    /// Checks every field and builds the schedule they describe.
    pub fn validate(&self) -> Result<NoiseSchedule> {
        if self.beta_end < self.beta_start {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "beta_end ({}) must not be below beta_start ({})",
                    self.beta_end, self.beta_start
                ),
            });
        }
        let schedule = NoiseSchedule::linear(self.steps, self.beta_start, self.beta_end)?;
        self.network.validate()?;
        self.train.validate()?;
        Ok(schedule)
    }
}
