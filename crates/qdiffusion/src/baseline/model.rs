//! The trained baseline: an MLP noise predictor `eps(x_t, t)` with its schedule, configuration
//! and model file.
//!
//! The data dimension is not part of the configuration: it is the network's output width, set by
//! the data the model is trained on (784 for MNIST pixels, 30 for the Bloch vectors of the
//! 10-qubit latent encoding). So the stored form of a pixel model is the same as before the
//! dimension was generalised, and cached pixel models still load.
//!
//! The network sees the noisy image and the sinusoidal embedding of `t` **concatenated** into one
//! input column. For a first dense layer that is the same as adding a learned linear projection
//! of the embedding to the layer's pre-activations (`W [x; e] = W_x x + W_e e`), so it is the
//! "learned projection" design at no extra code, and it keeps the predictor a plain qdecoder
//! [`Sequential`] trained by qdecoder's deterministic data-parallel [`fit`](qdecoder::nn::train::fit)
//! and stored in its checksummed model files. The price is that `t` enters only at the first
//! layer; a ReLU MLP still gates every later layer on it through the first layer's activations.

use std::path::Path;

use nalgebra::DMatrix;
use qdecoder::checkpoint::Checkpoint;
use qdecoder::nn::network::Sequential;
use qdecoder::nn::train::TrainConfig;
use serde::{Deserialize, Serialize};

use crate::baseline::embedding::timestep_embedding;
use crate::baseline::prior::PixelPrior;
use crate::baseline::sample::NoisePredictor;
use crate::baseline::schedule::NoiseSchedule;
use crate::error::{Error, Result};

/// Pixel intensities in [0, 1] to the model's range [-1, 1].
pub fn to_model_range(images: &DMatrix<f32>) -> DMatrix<f32> {
    images.map(|v| 2.0 * v - 1.0)
}

/// The model's range [-1, 1] back to intensities, clamped to [0, 1].
pub fn to_intensities(x: &DMatrix<f32>) -> DMatrix<f32> {
    x.map(|v| ((v + 1.0) * 0.5).clamp(0.0, 1.0))
}

/// How to build and train the baseline DDPM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DdpmConfig {
    /// Number of diffusion steps `T` (Ho et al.: 1000).
    pub steps: usize,
    /// `beta_1`, the first step's noise variance (Ho et al.: 1e-4).
    pub beta_start: f64,
    /// `beta_T`, the last step's noise variance (Ho et al.: 0.02); linear in between.
    pub beta_end: f64,
    /// Widths of the hidden layers of the noise predictor (ReLU after each); the input is the
    /// data (784 pixels for MNIST) plus the timestep embedding, the output the noise values.
    pub hidden: Vec<usize>,
    /// Number of sinusoidal features of the timestep (even).
    pub time_embedding_dim: usize,
    /// Add the exact noise prediction of a per-pixel Gaussian fit of the data to the network's
    /// output, so the network learns only the residual (see [`prior`](crate::baseline::prior));
    /// `false` gives the plain MLP noise predictor.
    pub gaussian_skip: bool,
    /// What the network's output means (see [`Prediction`]).
    #[serde(default)]
    pub prediction: Prediction,
    /// Optimisation: epochs, batch size, learning-rate schedule, Adam, chunking and the seed of
    /// the shuffles, timesteps, noise and (mixed) the initial weights.
    pub train: TrainConfig,
}

impl Default for DdpmConfig {
    fn default() -> Self {
        DdpmConfig {
            steps: 1000,
            beta_start: 1e-4,
            beta_end: 0.02,
            hidden: vec![1024, 1024],
            time_embedding_dim: 128,
            gaussian_skip: false,
            prediction: Prediction::Preconditioned,
            train: TrainConfig {
                epochs: 60,
                // Measured at 20 epochs: FID 140 with batches of 32, 151 with 128 (more
                // Adam steps for the same passes over the data).
                batch_size: 32,
                learning_rate: 1e-3,
                final_learning_rate: 1e-5,
                chunk_size: 64,
                seed: 20_240_607,
                ..TrainConfig::default()
            },
        }
    }
}

impl DdpmConfig {
    /// Trainable parameters (weights and biases of the dense layers) of the noise predictor
    /// for data of `data_dim` numbers: the layers run from `data_dim + time_embedding_dim`
    /// inputs through `hidden` to `data_dim` outputs. The Gaussian skip's per-coordinate means
    /// and variances are statistics of the data, not trained, and are not counted.
    pub fn num_params(&self, data_dim: usize) -> usize {
        self.layer_sizes(data_dim).windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// This configuration with every hidden layer set to one width, the smallest whose
    /// [`DdpmConfig::num_params`] comes closest to `target`: a predictor matched in size to
    /// another model. Needs at least one hidden layer.
    pub fn with_matched_width(&self, data_dim: usize, target: usize) -> Result<DdpmConfig> {
        if self.hidden.is_empty() {
            return Err(Error::InvalidConfig {
                reason: "a width can only be matched with at least one hidden layer".into(),
            });
        }
        let sized =
            |width: usize| DdpmConfig { hidden: vec![width; self.hidden.len()], ..self.clone() };
        let distance = |width: usize| sized(width).num_params(data_dim).abs_diff(target);
        // The count grows with the width: walk up until it stops getting closer.
        let mut width = 1;
        while distance(width + 1) < distance(width) {
            width += 1;
        }
        Ok(sized(width))
    }

    /// The template of the parameter-matched latent DDPM of the MNIST experiment: the latent
    /// DDPM's schedule, parametrisation and training, with two hidden layers (their width is set
    /// by [`DdpmConfig::with_matched_width`] to the quantum model's parameter count) and 8
    /// timestep features, trained for 400 epochs (a few seconds at this size).
    ///
    /// Chosen on the validation split (DDIM-50 FID, 1,000 samples, 810-parameter target): one
    /// or two hidden layers with 8 or 32 timestep features at 120 epochs all score 24.1 to 25.2;
    /// two layers, 8 features and 400 epochs 23.3.
    pub fn latent_matched() -> Self {
        let latent = DdpmConfig::latent();
        DdpmConfig {
            hidden: vec![8, 8],
            time_embedding_dim: 8,
            train: TrainConfig { epochs: 400, ..latent.train },
            ..latent
        }
    }

    /// The configuration of the latent DDPM of the MNIST experiment: the same schedule and
    /// parametrisation as the pixel model, on the 30 Bloch coordinates of the 10-qubit latent
    /// encoding, with a small MLP (62 -> 256 -> 256 -> 30).
    ///
    /// Measured on 2 cores (DDIM-50 FID on our classifier features, 2,000 samples): 128 x 2
    /// hidden units at 30 epochs 12.9, 256 x 2 at 30 / 60 / 120 / 200 epochs 10.8 / 8.2 / 6.3 /
    /// 5.1, three layers of 256 at 60 epochs 6.9, plain noise prediction at 30 epochs 13.6 against
    /// 10.8 preconditioned. 120 epochs train in 21 to 30 s on one thread (depending on the
    /// machine's load), DDIM-50 on 2,000 samples takes under a second, ancestral 1,000 steps
    /// 13 to 19 s.
    pub fn latent() -> Self {
        let pixel = DdpmConfig::default();
        DdpmConfig {
            hidden: vec![256, 256],
            time_embedding_dim: 32,
            train: TrainConfig { epochs: 120, batch_size: 64, ..pixel.train },
            ..pixel
        }
    }
}

/// Spread of MNIST pixels in the model range [-1, 1] (about 0.62 on the training split): the
/// network input `x~ / sqrt(s^2 + SIGMA_DATA^2)` of [`Prediction::Preconditioned`] then has
/// about unit variance at every noise level. The Bloch coordinates of the latent encoding have a
/// similar spread (about 0.58 on the training split), so one constant serves both.
pub const SIGMA_DATA: f64 = 0.6;

/// Smallest pixel variance the preconditioning uses (pixels that never vary, the MNIST border,
/// would otherwise divide the training target by zero).
const VARIANCE_FLOOR: f64 = 1e-4;

/// The parametrisation of the network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Prediction {
    /// The network predicts the noise `eps` directly (Ho et al.), optionally on top of the
    /// Gaussian skip.
    #[default]
    Noise,
    /// The preconditioning of Karras et al. (2022, "EDM"), with the per-pixel Gaussian as its
    /// skip. With `x~ = x_t / sqrt(alphabar)` (the image plus noise of variance `s^2 = (1 -
    /// alphabar) / alphabar`), the denoised image is, per pixel `p`,
    /// `m_p + a_p (x~_p - m_p) + c_p F_p(x~ / sqrt(s^2 + SIGMA_DATA^2), t)`, where
    /// `a_p = v_p / (v_p + s^2)` and `c_p = sqrt(v_p s^2 / (v_p + s^2))` are the posterior-mean
    /// weight and posterior standard deviation of the pixel's Gaussian `N(m_p, v_p)`: the
    /// network only adds what the Gaussian posterior does not know, in units of its uncertainty,
    /// so its target has about unit variance at every step. EDM's `c_skip`, `c_out` are the case
    /// of one Gaussian for all pixels. Never-varying pixels (the border) come out exactly at
    /// their mean, and small noise is carried by the skip, so the MLP need not learn the
    /// identity; the noise prediction the samplers use follows from the denoised image.
    Preconditioned,
}

/// Per pixel `(m_p, a_p, c_p)` of [`Prediction::Preconditioned`] at `alphabar`.
pub(crate) fn preconditioning(prior: &PixelPrior, alpha_bar: f64) -> Vec<(f32, f32, f32)> {
    let s2 = (1.0 - alpha_bar) / alpha_bar;
    prior
        .mean()
        .iter()
        .zip(prior.variance())
        .map(|(&m, &v)| {
            let v = f64::from(v).max(VARIANCE_FLOOR);
            (m, (v / (v + s2)) as f32, (v * s2 / (v + s2)).sqrt() as f32)
        })
        .collect()
}

impl DdpmConfig {
    /// Checks every field (and builds the schedule they describe).
    pub fn validate(&self) -> Result<NoiseSchedule> {
        let schedule = NoiseSchedule::linear(self.steps, self.beta_start, self.beta_end)?;
        if self.beta_end < self.beta_start {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "beta_end ({}) must not be below beta_start ({})",
                    self.beta_end, self.beta_start
                ),
            });
        }
        if self.hidden.contains(&0) {
            return Err(Error::InvalidConfig {
                reason: format!("hidden layer widths must be positive, got {:?}", self.hidden),
            });
        }
        if self.gaussian_skip && self.prediction == Prediction::Preconditioned {
            return Err(Error::InvalidConfig {
                reason: "gaussian_skip is for noise prediction; the preconditioned \
                         parametrisation always has the per-pixel Gaussian as its skip"
                    .into(),
            });
        }
        timestep_embedding(1, self.time_embedding_dim)?;
        self.train.validate()?;
        Ok(schedule)
    }

    /// True if the model needs the per-pixel Gaussian (the skip of either parametrisation).
    pub fn uses_prior(&self) -> bool {
        self.gaussian_skip || self.prediction == Prediction::Preconditioned
    }

    /// Layer sizes of the noise predictor for data of `data_dim` rows (784 for MNIST pixels),
    /// input first.
    pub fn layer_sizes(&self, data_dim: usize) -> Vec<usize> {
        let mut sizes = vec![data_dim + self.time_embedding_dim];
        sizes.extend(&self.hidden);
        sizes.push(data_dim);
        sizes
    }
}

/// A DDPM on column vectors in the model range [-1, 1] (28x28 images, or latent features): the
/// noise predictor, its schedule and the configuration and data it was trained with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DdpmRecord", into = "DdpmRecord")]
pub struct Ddpm {
    network: Sequential,
    config: DdpmConfig,
    /// The per-pixel Gaussian whose noise prediction the network corrects, when
    /// `config.gaussian_skip` is set.
    prior: Option<PixelPrior>,
    /// Rebuilt from `config` on load, never stored.
    schedule: NoiseSchedule,
    /// `sin`/`cos` features of every step, `time_embedding_dim x (T + 1)` (column `t`), so
    /// sampling does not recompute them for each chunk.
    embeddings: DMatrix<f32>,
    /// [`LabeledImages::fingerprint`](qdecoder::dataset::LabeledImages::fingerprint) of the
    /// training images (or [`fingerprint`](crate::baseline::train::fingerprint) of other
    /// training data), so a cached model is never reused for other data.
    train_fingerprint: u64,
}

/// The stored form of [`Ddpm`], validated on load.
#[derive(Serialize, Deserialize)]
struct DdpmRecord {
    network: Sequential,
    config: DdpmConfig,
    prior: Option<PixelPrior>,
    train_fingerprint: u64,
}

impl From<Ddpm> for DdpmRecord {
    fn from(d: Ddpm) -> Self {
        DdpmRecord {
            network: d.network,
            config: d.config,
            prior: d.prior,
            train_fingerprint: d.train_fingerprint,
        }
    }
}

impl TryFrom<DdpmRecord> for Ddpm {
    type Error = Error;

    fn try_from(r: DdpmRecord) -> Result<Self> {
        Ddpm::from_parts(r.network, r.config, r.prior, r.train_fingerprint)
    }
}

impl Checkpoint for Ddpm {
    const FORMAT: qfile::Format = qfile::Format::new(*b"QDIFFDDP", 1, "qdiffusion DDPM");
}

impl Ddpm {
    /// Assembles a model, checking that `network` maps data plus embedding to data (its output
    /// width is the data dimension) and that a prior of that dimension is given exactly when the
    /// configuration uses one.
    pub fn from_parts(
        network: Sequential,
        config: DdpmConfig,
        prior: Option<PixelPrior>,
        train_fingerprint: u64,
    ) -> Result<Self> {
        let schedule = config.validate()?;
        if prior.is_some() != config.uses_prior() {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "the configuration {} a pixel prior but one was {}given",
                    if config.uses_prior() { "needs" } else { "has no use for" },
                    if prior.is_some() { "" } else { "not " }
                ),
            });
        }
        let data_dim = network.output_dim();
        if data_dim == 0 {
            return Err(Error::InvalidConfig {
                reason: "the noise predictor has no outputs".into(),
            });
        }
        let sizes = config.layer_sizes(data_dim);
        if network.input_dim() != sizes[0] {
            return Err(Error::DimensionMismatch {
                what: "noise predictor inputs (its outputs + timestep embedding)",
                expected: sizes[0],
                got: network.input_dim(),
            });
        }
        if let Some(got) = prior.as_ref().map(PixelPrior::dim).filter(|&d| d != data_dim) {
            return Err(Error::DimensionMismatch {
                what: "pixels of the prior (the noise predictor's outputs)",
                expected: data_dim,
                got,
            });
        }
        let dim = config.time_embedding_dim;
        let mut embeddings = DMatrix::zeros(dim, config.steps + 1);
        for t in 0..=config.steps {
            embeddings.column_mut(t).copy_from_slice(&timestep_embedding(t, dim)?);
        }
        Ok(Ddpm { network, config, prior, schedule, embeddings, train_fingerprint })
    }

    /// The noise predictor.
    pub fn network(&self) -> &Sequential {
        &self.network
    }

    /// The configuration it was built and trained with.
    pub fn config(&self) -> &DdpmConfig {
        &self.config
    }

    /// Rows of the data: 784 for MNIST pixels (the network's output width).
    pub fn data_dim(&self) -> usize {
        self.network.output_dim()
    }

    /// The per-pixel Gaussian whose noise prediction the network corrects, if any.
    pub fn prior(&self) -> Option<&PixelPrior> {
        self.prior.as_ref()
    }

    /// The variance schedule.
    pub fn schedule(&self) -> &NoiseSchedule {
        &self.schedule
    }

    /// The fingerprint of the data it was trained on.
    pub fn train_fingerprint(&self) -> u64 {
        self.train_fingerprint
    }

    /// The network input for data `x_t` ([`data_dim`](Self::data_dim) x N) at steps `steps`
    /// (one per column): the data stacked on the timestep embedding.
    pub(crate) fn network_input(
        &self,
        x_t: &DMatrix<f32>,
        steps: &[usize],
    ) -> Result<DMatrix<f32>> {
        let data_dim = self.data_dim();
        if x_t.nrows() != data_dim {
            return Err(Error::DimensionMismatch {
                what: "data rows (the model's data dimension, 784 for pixels)",
                expected: data_dim,
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
        let dim = self.config.time_embedding_dim;
        let mut input = DMatrix::zeros(data_dim + dim, x_t.ncols());
        input.rows_mut(0, data_dim).copy_from(x_t);
        for (col, &t) in steps.iter().enumerate() {
            if t == 0 || t > self.config.steps {
                return Err(Error::InvalidConfig {
                    reason: format!("diffusion step {t} outside 1..={}", self.config.steps),
                });
            }
            if self.config.prediction == Prediction::Preconditioned {
                // c_in x~ = c_in x_t / sqrt(alphabar).
                let ab = self.schedule.alpha_bar(t)?;
                let s2 = (1.0 - ab) / ab;
                let scale = (1.0 / ((s2 + SIGMA_DATA * SIGMA_DATA).sqrt() * ab.sqrt())) as f32;
                input.view_mut((0, col), (data_dim, 1)).scale_mut(scale);
            }
            input.view_mut((data_dim, col), (dim, 1)).copy_from(&self.embeddings.column(t));
        }
        Ok(input)
    }

    /// The predicted noise in `x_t` ([`data_dim`](Self::data_dim) x N, model range), column `j`
    /// at step `steps[j]`.
    pub fn predict_noise_at(&self, x_t: &DMatrix<f32>, steps: &[usize]) -> Result<DMatrix<f32>> {
        let input = self.network_input(x_t, steps)?;
        // `forward`, not `predict`: the samplers already run chunks of columns in parallel.
        let mut eps = self.network.forward(&input)?;
        if let (true, Some(prior)) = (self.config.gaussian_skip, &self.prior) {
            prior.add_noise_prediction(&self.schedule, x_t, steps, 1.0, &mut eps)?;
        }
        if let (Prediction::Preconditioned, Some(prior)) = (self.config.prediction, &self.prior) {
            // eps = (x_t - sqrt(ab) x0) / sqrt(1 - ab), x0 = m + a (x~ - m) + c F.
            for (col, &t) in steps.iter().enumerate() {
                let ab = self.schedule.alpha_bar(t)?;
                let (root, noise) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
                let coefficients = preconditioning(prior, ab);
                for ((e, &x), &(m, a, c)) in
                    eps.column_mut(col).iter_mut().zip(x_t.column(col).iter()).zip(&coefficients)
                {
                    let x0 = m + a * (x / root - m) + c * *e;
                    *e = (x - root * x0) / noise;
                }
            }
        }
        Ok(eps)
    }

    /// Writes the model to `path` atomically in qdecoder's checksummed model-file format.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(Checkpoint::save(self, path)?)
    }

    /// Reads a model written by [`save`](Self::save); a damaged file is a typed error
    /// ([`Error::Decoder`] wrapping the checkpoint error that names the file).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Ok(<Ddpm as Checkpoint>::load(path)?)
    }
}

impl NoisePredictor for Ddpm {
    fn predict_noise(&self, x_t: &DMatrix<f32>, t: usize) -> Result<DMatrix<f32>> {
        self.predict_noise_at(x_t, &vec![t; x_t.ncols()])
    }
}
