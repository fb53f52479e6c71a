//! Training the baseline: the simplified objective of Ho et al. (their algorithm 1).
//!
//! For each image `x_0` of a mini-batch, draw `t` uniformly from `1..=T` and `eps ~ N(0, I)`,
//! form `x_t = sqrt(alphabar_t) x_0 + sqrt(1 - alphabar_t) eps`, and regress the network's
//! `eps(x_t, t)` on `eps` with the mean squared error. qdecoder's [`fit`] runs the mini-batches
//! (seeded shuffle, Adam, half-cosine learning-rate decay) and computes each batch's gradient over
//! fixed column chunks summed in a fixed order, so the trained weights depend on the seed only,
//! not on the number of threads.
//!
//! [`Ddpm::train`] takes MNIST images; [`Ddpm::train_on`] takes any data already in the model
//! range (one column per example), such as the Bloch vectors of the latent encoding.

use std::path::Path;

use nalgebra::DMatrix;
use qdecoder::checkpoint::{self, CacheStatus};
use qdecoder::dataset::LabeledImages;
use qdecoder::nn::layer::{Activation, Dense, Layer};
use qdecoder::nn::loss::Loss;
use qdecoder::nn::network::Sequential;
use qdecoder::nn::train::{EpochReport, fit};
use qrandom::distributions::standard_normal_f32;
use rand::{Rng, RngExt};

use crate::baseline::model::{Ddpm, DdpmConfig, Prediction, preconditioning, to_model_range};
use crate::baseline::prior::PixelPrior;
use crate::baseline::schedule::NoiseSchedule;
use crate::error::{Error, Result};

/// The [`qfile::Fingerprint`] of a data matrix's shape and the bits of its entries: the
/// [`Ddpm::train_fingerprint`] of a model trained with [`Ddpm::train_on`], so a cached model is
/// only reused for the same data.
pub fn fingerprint(data: &DMatrix<f32>) -> u64 {
    let mut hash = qfile::Fingerprint::new();
    hash.update_u64(data.nrows() as u64).update_u64(data.ncols() as u64);
    for v in data.iter() {
        hash.update(&v.to_bits().to_le_bytes());
    }
    hash.finish()
}

/// The untrained noise predictor for data of `data_dim` rows: a ReLU MLP with He-initialised
/// hidden layers and an output layer of zeros.
///
/// A zero output layer makes the first prediction exactly the Gaussian model's (or zero without
/// it) instead of unit-variance noise the optimiser must first unlearn; measured on this data,
/// the plain MLP's loss after 250 Adam steps fell from 1.00 (random output layer) to 0.66.
fn initial_network(config: &DdpmConfig, data_dim: usize) -> Result<Sequential> {
    // The initial weights do not share a stream with the shuffles and noise.
    let mut rng = qrandom::streams::DDPM_INIT.rng(config.train.seed);
    let random = Sequential::mlp(&config.layer_sizes(data_dim), Activation::Relu, &mut rng)?;
    let mut layers = random.layers().to_vec();
    if let Some(Layer::Dense(last)) = layers.last_mut() {
        *last =
            Dense::from_parts(DMatrix::zeros(last.outputs(), last.inputs()), last.bias().clone())?;
    }
    Ok(Sequential::new(random.input_dim(), layers)?)
}

/// The DDPM training objective of any noise predictor on `images` (784 x N intensities in
/// [0, 1], mapped to the model range): the mean squared error between the noise drawn and the
/// noise `predict_noise_at(x_t, steps)` predicts, one step drawn uniformly from `1..=T` of
/// `schedule` and one noise draw per image from `rng`. `E` is the predictor's error type.
pub fn denoising_loss<E: From<Error>>(
    schedule: &NoiseSchedule,
    predict_noise_at: impl Fn(&DMatrix<f32>, &[usize]) -> std::result::Result<DMatrix<f32>, E>,
    images: &DMatrix<f32>,
    rng: &mut impl Rng,
) -> std::result::Result<f64, E> {
    if images.ncols() == 0 {
        return Err(
            Error::InvalidConfig { reason: "no images to evaluate the loss on".into() }.into()
        );
    }
    let x0 = to_model_range(images);
    let noise = DMatrix::from_fn(x0.nrows(), x0.ncols(), |_, _| standard_normal_f32(rng));
    let steps: Vec<usize> =
        (0..x0.ncols()).map(|_| rng.random_range(1..=schedule.steps())).collect();
    let x_t = schedule.diffuse(&x0, &steps, &noise)?;
    let eps = predict_noise_at(&x_t, &steps)?;
    let total: f64 = eps.iter().zip(noise.iter()).map(|(p, e)| f64::from(p - e).powi(2)).sum();
    Ok(total / noise.len() as f64)
}

impl Ddpm {
    /// Trains a DDPM on the images of `train` (labels are ignored: the model is unconditional);
    /// deterministic given `config.train.seed`. `on_epoch` sees each epoch's mean loss and time.
    pub fn train(
        train: &LabeledImages,
        config: &DdpmConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<Self> {
        config.validate()?;
        if train.is_empty() {
            return Err(Error::InvalidConfig { reason: "no training images".into() });
        }
        let data = to_model_range(&train.images().to_matrix());
        Ddpm::train_on(&data, train.fingerprint(), config, on_epoch)
    }

    /// Trains a DDPM on `data` (one example per column, already in the model range [-1, 1]:
    /// the samplers clip their clean estimates to it); the model's data dimension is
    /// `data.nrows()`, and `fingerprint` identifies the data for the cache (see
    /// [`fingerprint`]). Deterministic given `config.train.seed`.
    pub fn train_on(
        data: &DMatrix<f32>,
        fingerprint: u64,
        config: &DdpmConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<Self> {
        config.validate()?;
        if data.is_empty() {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "no training data ({} rows, {} columns)",
                    data.nrows(),
                    data.ncols()
                ),
            });
        }
        let data_dim = data.nrows();
        let prior = if config.uses_prior() { Some(PixelPrior::fit(data)?) } else { None };
        let mut network = initial_network(config, data_dim)?;
        // `fit` updates the network while the batch builder needs the schedule, embeddings and
        // prior: the initial model supplies those, the trained network replaces its own at the end.
        let shape = Ddpm::from_parts(network.clone(), config.clone(), prior.clone(), fingerprint)?;
        let steps = config.steps;
        fit(
            &mut network,
            Loss::MeanSquaredError,
            &config.train,
            data.ncols(),
            |indices, rng| {
                let x0 = data.select_columns(indices);
                let noise =
                    DMatrix::from_fn(data_dim, indices.len(), |_, _| standard_normal_f32(rng));
                let t: Vec<usize> = indices.iter().map(|_| rng.random_range(1..=steps)).collect();
                let batch = || -> Result<(DMatrix<f32>, DMatrix<f32>)> {
                    let x_t = shape.schedule().diffuse(&x0, &t, &noise)?;
                    let input = shape.network_input(&x_t, &t)?;
                    if let (Prediction::Preconditioned, Some(prior)) =
                        (shape.config().prediction, shape.prior())
                    {
                        // F's target: (x0 - m - a (x~ - m)) / c.
                        let mut target = x0.clone();
                        for (col, &step) in t.iter().enumerate() {
                            let ab = shape.schedule().alpha_bar(step)?;
                            let root = ab.sqrt() as f32;
                            let coefficients = preconditioning(prior, ab);
                            for ((y, &x), &(m, a, c)) in target
                                .column_mut(col)
                                .iter_mut()
                                .zip(x_t.column(col).iter())
                                .zip(&coefficients)
                            {
                                *y = (*y - m - a * (x / root - m)) / c;
                            }
                        }
                        return Ok((input, target));
                    }
                    // The network's target is what the Gaussian model leaves unexplained.
                    let mut target = noise.clone();
                    if let (true, Some(prior)) = (shape.config().gaussian_skip, shape.prior()) {
                        prior.add_noise_prediction(
                            shape.schedule(),
                            &x_t,
                            &t,
                            -1.0,
                            &mut target,
                        )?;
                    }
                    Ok((input, target))
                };
                batch().map_err(|e| qdecoder::Error::InvalidModel { reason: e.to_string() })
            },
            on_epoch,
        )?;
        Ddpm::from_parts(network, config.clone(), prior, fingerprint)
    }

    /// The training objective on `images` (784 x N intensities in [0, 1]): the mean squared
    /// error of the predicted noise, one step `t` drawn uniformly from `1..=T` and one noise draw
    /// per image from `rng` ([`denoising_loss`]). On held-out images this measures
    /// generalisation.
    pub fn denoising_loss(&self, images: &DMatrix<f32>, rng: &mut impl Rng) -> Result<f64> {
        denoising_loss(self.schedule(), |x, t| self.predict_noise_at(x, t), images, rng)
    }

    /// Loads the model cached at `path` if it was trained with `config` on exactly `train`;
    /// otherwise trains one and caches it there atomically (an unreadable cache is retrained, and
    /// the returned status says why).
    pub fn load_or_train(
        path: impl AsRef<Path>,
        train: &LabeledImages,
        config: &DdpmConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<(Self, CacheStatus)> {
        if train.is_empty() {
            return Err(Error::InvalidConfig { reason: "no training images".into() });
        }
        let data = to_model_range(&train.images().to_matrix());
        Ddpm::load_or_train_on(path, &data, train.fingerprint(), config, on_epoch)
    }

    /// [`load_or_train`](Self::load_or_train) for data already in the model range, as
    /// [`train_on`](Self::train_on) takes it.
    pub fn load_or_train_on(
        path: impl AsRef<Path>,
        data: &DMatrix<f32>,
        fingerprint: u64,
        config: &DdpmConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<(Self, CacheStatus)> {
        checkpoint::load_or_train(
            path.as_ref(),
            |m: &Ddpm| {
                if m.config() != config {
                    Some("the cached model has another configuration".into())
                } else if m.data_dim() != data.nrows() || m.train_fingerprint() != fingerprint {
                    Some("the cached model was trained on other data".into())
                } else {
                    None
                }
            },
            || Ddpm::train_on(data, fingerprint, config, on_epoch),
        )
    }
}
