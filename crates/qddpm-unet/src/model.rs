//! The trained model: the U-Net's weights with the configuration and schedule they belong to,
//! its model file, and sampling through the baseline's samplers.

use std::path::Path;

use candle_core::{Device, Tensor};
use nalgebra::DMatrix;
use qdecoder::checkpoint::Checkpoint;
use qdecoder::dataset::{IMAGE_PIXELS, IMAGE_SIDE};
use qdiffusion::baseline::model::to_intensities;
use qdiffusion::baseline::prior::PixelPrior;
use qdiffusion::baseline::sample::{NoisePredictor, Sampler, denoise};
use qdiffusion::baseline::schedule::NoiseSchedule;
use qrandom::distributions::standard_normal_f32;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::config::UnetDdpmConfig;
use crate::error::{Error, Result};
use crate::network::{StoredWeights, Unet};

/// Images per forward pass when predicting noise: the sampler hands over chunks of 256 images
/// (one per parallel task); passes of 16 keep the activations in cache and measured about half
/// the time per image of passes of 64 or 256.
pub const FORWARD_BATCH: usize = 16;

/// One weight tensor as stored: its shape and its values in row-major order.
pub type StoredTensor = (Vec<usize>, Vec<f32>);

/// A DDPM on 28 x 28 images whose noise predictor is a U-Net: the weights sampling uses (the
/// moving average of training), the configuration, the schedule, and the fingerprint of the
/// training images.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "UnetDdpmRecord", into = "UnetDdpmRecord")]
pub struct UnetDdpm {
    config: UnetDdpmConfig,
    weights: Vec<StoredTensor>,
    /// The per-pixel Gaussian whose noise prediction the network corrects, when
    /// `config.gaussian_skip` is set.
    prior: Option<PixelPrior>,
    train_fingerprint: u64,
    /// Rebuilt from the weights on load.
    network: Unet,
    /// Rebuilt from the configuration on load.
    schedule: NoiseSchedule,
}

/// The stored form of [`UnetDdpm`], validated on load.
#[derive(Serialize, Deserialize)]
struct UnetDdpmRecord {
    config: UnetDdpmConfig,
    weights: Vec<StoredTensor>,
    prior: Option<PixelPrior>,
    train_fingerprint: u64,
}

impl From<UnetDdpm> for UnetDdpmRecord {
    fn from(m: UnetDdpm) -> Self {
        UnetDdpmRecord {
            config: m.config,
            weights: m.weights,
            prior: m.prior,
            train_fingerprint: m.train_fingerprint,
        }
    }
}

impl TryFrom<UnetDdpmRecord> for UnetDdpm {
    type Error = Error;

    fn try_from(r: UnetDdpmRecord) -> Result<Self> {
        UnetDdpm::from_parts(r.config, r.weights, r.prior, r.train_fingerprint)
    }
}

impl PartialEq for UnetDdpm {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
            && self.train_fingerprint == other.train_fingerprint
            && self.prior == other.prior
            && self.weights.len() == other.weights.len()
            && self.weights.iter().zip(&other.weights).all(|((sa, va), (sb, vb))| {
                sa == sb && va.iter().zip(vb).all(|(a, b)| a.to_bits() == b.to_bits())
            })
    }
}

impl Checkpoint for UnetDdpm {
    const FORMAT: qfile::Format = qfile::Format::new(*b"QDDPMUNT", 1, "qddpm-unet U-Net DDPM");
}

/// The values of `tensor` with its shape.
pub(crate) fn store(tensor: &Tensor) -> Result<StoredTensor> {
    Ok((tensor.dims().to_vec(), tensor.flatten_all()?.to_vec1()?))
}

impl UnetDdpm {
    /// Assembles a model, checking the configuration, that `weights` are exactly the tensors
    /// (count, shapes, finite values) its network needs, and that a 784-pixel prior is given
    /// exactly when the configuration uses one.
    pub fn from_parts(
        config: UnetDdpmConfig,
        weights: Vec<StoredTensor>,
        prior: Option<PixelPrior>,
        train_fingerprint: u64,
    ) -> Result<Self> {
        let schedule = config.validate()?;
        match (&prior, config.gaussian_skip) {
            (None, false) => {}
            (Some(p), true) if p.dim() == IMAGE_PIXELS => {}
            _ => {
                return Err(Error::InvalidModel {
                    reason: format!(
                        "gaussian_skip is {} but the model {} a {IMAGE_PIXELS}-pixel prior",
                        config.gaussian_skip,
                        if prior.is_some() { "has" } else { "lacks" }
                    ),
                });
            }
        }
        if weights.iter().any(|(_, v)| v.iter().any(|x| !x.is_finite())) {
            return Err(Error::InvalidModel { reason: "a weight is not a finite number".into() });
        }
        let mut source = StoredWeights::new(&weights);
        let network = Unet::new(&config.network, &mut source)?;
        if !source.is_exhausted() {
            return Err(Error::InvalidModel {
                reason: "the model file has more weights than the configuration needs".into(),
            });
        }
        Ok(UnetDdpm { config, weights, prior, train_fingerprint, network, schedule })
    }

    /// Its configuration.
    pub fn config(&self) -> &UnetDdpmConfig {
        &self.config
    }

    /// The noise schedule.
    pub fn schedule(&self) -> &NoiseSchedule {
        &self.schedule
    }

    /// The per-pixel Gaussian of the skip, if the configuration uses one.
    pub fn prior(&self) -> Option<&PixelPrior> {
        self.prior.as_ref()
    }

    /// The network.
    pub fn network(&self) -> &Unet {
        &self.network
    }

    /// Number of trained numbers of the network.
    pub fn num_parameters(&self) -> usize {
        self.network.num_parameters()
    }

    /// The [`LabeledImages::fingerprint`](qdecoder::dataset::LabeledImages::fingerprint) of the
    /// images it was trained on.
    pub fn train_fingerprint(&self) -> u64 {
        self.train_fingerprint
    }

    /// The predicted noise in `x_t` (784 x N, model range, one image per column), column `j` at
    /// step `steps[j]` (in `1..=T`): the network's output, computed in passes of
    /// [`FORWARD_BATCH`] images, plus the Gaussian skip's prediction if there is one.
    pub fn predict_noise_at(&self, x_t: &DMatrix<f32>, steps: &[usize]) -> Result<DMatrix<f32>> {
        if x_t.nrows() != IMAGE_PIXELS {
            return Err(Error::DimensionMismatch {
                what: "pixels per image (rows)",
                expected: IMAGE_PIXELS,
                got: x_t.nrows(),
            });
        }
        if steps.len() != x_t.ncols() {
            return Err(Error::DimensionMismatch {
                what: "diffusion steps (one per image column)",
                expected: x_t.ncols(),
                got: steps.len(),
            });
        }
        if let Some(&t) = steps.iter().find(|&&t| t == 0 || t > self.config.steps) {
            return Err(Error::InvalidConfig {
                reason: format!("diffusion step {t} outside 1..={}", self.config.steps),
            });
        }
        let n = x_t.ncols();
        let mut out = DMatrix::zeros(IMAGE_PIXELS, n);
        for start in (0..n).step_by(FORWARD_BATCH) {
            let len = FORWARD_BATCH.min(n - start);
            // Columns are contiguous in nalgebra's column-major storage: one image each.
            let pixels = x_t.columns(start, len).iter().copied().collect::<Vec<f32>>();
            let x = Tensor::from_vec(pixels, (len, IMAGE_SIDE, IMAGE_SIDE), &Device::Cpu)?;
            let eps = self.network.forward(&x, &steps[start..start + len])?;
            let values: Vec<f32> = eps.flatten_all()?.to_vec1()?;
            out.columns_mut(start, len).copy_from_slice(&values);
        }
        if let Some(prior) = &self.prior {
            prior.add_noise_prediction(&self.schedule, x_t, steps, 1.0, &mut out)?;
        }
        Ok(out)
    }

    /// Draws `n` images with `sampler`: 784 x `n` intensities in [0, 1] (clamped), one per
    /// column. The initial noise and every later draw come from `rng`; the samples depend on the
    /// seed and `n` only, not on the number of threads.
    pub fn sample(&self, n: usize, sampler: Sampler, rng: &mut impl Rng) -> Result<DMatrix<f32>> {
        Ok(to_intensities(&self.sample_model_range(n, sampler, rng)?))
    }

    /// Draws `n` images with `sampler` in the model range [-1, 1], unclamped.
    pub fn sample_model_range(
        &self,
        n: usize,
        sampler: Sampler,
        rng: &mut impl Rng,
    ) -> Result<DMatrix<f32>> {
        let x_start = DMatrix::from_fn(IMAGE_PIXELS, n, |_, _| standard_normal_f32(rng));
        Ok(denoise(self, &self.schedule, &x_start, sampler, rng)?)
    }

    /// Writes the model to `path` atomically in the workspace's framed, checksummed format.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(Checkpoint::save(self, path)?)
    }

    /// Reads a model written by [`save`](Self::save); a damaged file or one whose weights do
    /// not fit its configuration is a typed error.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Ok(<UnetDdpm as Checkpoint>::load(path)?)
    }
}

impl NoisePredictor for UnetDdpm {
    fn predict_noise(&self, x_t: &DMatrix<f32>, t: usize) -> qdiffusion::Result<DMatrix<f32>> {
        Ok(self.predict_noise_at(x_t, &vec![t; x_t.ncols()])?)
    }
}
