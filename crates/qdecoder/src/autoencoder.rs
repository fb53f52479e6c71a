//! The classical autoencoder of the latent encoding: image -> product state -> statistics -> image.
//!
//! The encoder is an MLP from 784 pixels to one raw angle pair `(theta_q, phi_q)` per qubit (the
//! learned latent is these `2n` angles), followed by the Bloch map to `(<X>, <Y>, <Z>)` of each
//! qubit; the decoder is an MLP from those `3n` expectations to pixel logits. Both are trained end
//! to end with binary cross-entropy against the input image. The Bloch vectors are differentiable
//! in the angles, so the gradient flows from the pixels back into the encoder. Shot noise is an
//! augmentation on the way: each batch replaces the exact expectations by an `S`-shot estimate
//! (binomial draws) and passes the gradient straight through the noise, so the decoder learns to
//! read noisy statistics and the encoder learns to place images where the noise hurts least.

use std::path::Path;

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{CacheStatus, Checkpoint, load_or_train};
use crate::dataset::{IMAGE_PIXELS, ImageSet};
use crate::decoder::{Decoder, gather_columns};
use crate::encoder::{Encoder, LearnedEncoder};
use crate::error::{Error, Result};
use crate::nn::layer::{Activation, Layer};
use crate::nn::loss::Loss;
use crate::nn::network::{Gradients, Sequential};
use crate::nn::optim::Adam;
use crate::nn::train::{EpochReport, TrainConfig, chunk_ranges, shuffled_batches};
use crate::state::check_qubits;
use crate::statistics::{Statistics, StatisticsKind};

/// How to build and train the autoencoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderConfig {
    /// Qubits of the latent product state.
    pub num_qubits: usize,
    /// Hidden layer sizes of the encoder (ReLU after each).
    pub encoder_hidden: Vec<usize>,
    /// Hidden layer sizes of the decoder (ReLU after each).
    pub decoder_hidden: Vec<usize>,
    /// Shots per basis of the noise augmentation; `None` trains on exact expectations.
    pub shots: Option<u64>,
    /// Optimisation settings, including the seed.
    pub train: TrainConfig,
}

impl Default for AutoencoderConfig {
    fn default() -> Self {
        AutoencoderConfig {
            num_qubits: 10,
            encoder_hidden: vec![256],
            decoder_hidden: vec![256, 512],
            shots: Some(1000),
            train: TrainConfig {
                epochs: 20,
                batch_size: 64,
                learning_rate: 2e-3,
                final_learning_rate: 2e-5,
                seed: 11,
                ..TrainConfig::default()
            },
        }
    }
}

/// A trained encoder (images to product states) with its Bloch-statistics decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "AutoencoderRecord", into = "AutoencoderRecord")]
pub struct Autoencoder {
    encoder: Encoder,
    decoder: Decoder,
    config: AutoencoderConfig,
    train_fingerprint: u64,
}

/// The serialised form of [`Autoencoder`], checked on load.
#[derive(Serialize, Deserialize)]
struct AutoencoderRecord {
    encoder: Encoder,
    decoder: Decoder,
    config: AutoencoderConfig,
    train_fingerprint: u64,
}

impl From<Autoencoder> for AutoencoderRecord {
    fn from(a: Autoencoder) -> Self {
        AutoencoderRecord {
            encoder: a.encoder,
            decoder: a.decoder,
            config: a.config,
            train_fingerprint: a.train_fingerprint,
        }
    }
}

impl TryFrom<AutoencoderRecord> for Autoencoder {
    type Error = Error;

    fn try_from(r: AutoencoderRecord) -> Result<Self> {
        if !matches!(r.encoder, Encoder::Learned(_))
            || r.decoder.kind() != StatisticsKind::Bloch
            || r.encoder.num_qubits() != r.decoder.num_qubits()
        {
            return Err(Error::InvalidModel {
                reason:
                    "an autoencoder pairs a learned encoder with a Bloch decoder of as many qubits"
                        .into(),
            });
        }
        Ok(Autoencoder {
            encoder: r.encoder,
            decoder: r.decoder,
            config: r.config,
            train_fingerprint: r.train_fingerprint,
        })
    }
}

impl Checkpoint for Autoencoder {
    const FORMAT: qfile::Format = crate::checkpoint::AUTOENCODER_FORMAT;
}

/// The [`qfile::Fingerprint`] of image bytes, to tell training sets apart in caches.
fn fingerprint(images: &ImageSet) -> u64 {
    qfile::fingerprint(images.pixels())
}

impl Autoencoder {
    /// Trains encoder and decoder end to end on `images` (deterministic given the seed).
    pub fn train(
        images: &ImageSet,
        config: &AutoencoderConfig,
        mut on_epoch: impl FnMut(&EpochReport),
    ) -> Result<Self> {
        check_qubits(config.num_qubits)?;
        config.train.validate()?;
        if images.is_empty() {
            return Err(Error::TooFewSamples { what: "autoencoder training", min: 1, got: 0 });
        }
        if config.shots == Some(0) {
            return Err(Error::InvalidConfig {
                field: "shots",
                reason: "must be at least 1".into(),
            });
        }
        let n = config.num_qubits;
        let mut init = qrandom::streams::AUTOENCODER_INIT.rng(config.train.seed);
        let mut enc_sizes = vec![IMAGE_PIXELS];
        enc_sizes.extend(&config.encoder_hidden);
        enc_sizes.push(2 * n);
        let mut encoder = Sequential::mlp(&enc_sizes, Activation::Relu, &mut init)?
            .then(Sequential::new(2 * n, vec![Layer::Bloch])?)?;
        let mut dec_sizes = vec![3 * n];
        dec_sizes.extend(&config.decoder_hidden);
        dec_sizes.push(IMAGE_PIXELS);
        let mut decoder = Sequential::mlp(&dec_sizes, Activation::Relu, &mut init)?;

        let pixels = images.to_matrix();
        let train = &config.train;
        let mut rng = ChaCha8Rng::seed_from_u64(train.seed);
        let (mut adam_enc, mut adam_dec) = (Adam::new(train.adam), Adam::new(train.adam));
        let steps_per_epoch = images.len().div_ceil(train.batch_size);
        let total_steps = (steps_per_epoch * train.epochs) as f64;
        for epoch in 0..train.epochs {
            let start = std::time::Instant::now();
            let batches = shuffled_batches(images.len(), train.batch_size, &mut rng);
            let mut loss_sum = 0.0;
            let mut learning_rate = train.learning_rate;
            for (b, indices) in batches.iter().enumerate() {
                let x = gather_columns(&pixels, indices);
                let seeds: Vec<u64> = indices.iter().map(|_| rng.next_u64()).collect();
                let (value, g_enc, g_dec) = end_to_end_gradients(
                    &encoder,
                    &decoder,
                    &x,
                    &seeds,
                    config.shots,
                    train.chunk_size,
                )?;
                if !value.is_finite() {
                    return Err(Error::NonFinite {
                        what: "training loss (lower the learning rate)",
                    });
                }
                learning_rate =
                    train.learning_rate_at((epoch * steps_per_epoch + b) as f64 / total_steps);
                adam_enc.step(&mut encoder, &g_enc, learning_rate)?;
                adam_dec.step(&mut decoder, &g_dec, learning_rate)?;
                loss_sum += value;
            }
            let seconds = start.elapsed().as_secs_f64();
            on_epoch(&EpochReport {
                epoch: epoch + 1,
                loss: loss_sum / batches.len() as f64,
                learning_rate,
                seconds,
                samples_per_second: images.len() as f64 / seconds.max(1e-9),
            });
        }
        Ok(Autoencoder {
            encoder: Encoder::Learned(LearnedEncoder::new(encoder)?),
            decoder: Decoder::new(StatisticsKind::Bloch, n, decoder)?,
            config: config.clone(),
            train_fingerprint: fingerprint(images),
        })
    }

    /// Loads the autoencoder cached at `path` if it was trained with `config` on exactly
    /// `images`; otherwise trains one and caches it there atomically.
    pub fn load_or_train(
        path: impl AsRef<Path>,
        images: &ImageSet,
        config: &AutoencoderConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<(Self, CacheStatus)> {
        load_or_train(
            path.as_ref(),
            |a: &Autoencoder| a.stale_for(images, config),
            || Autoencoder::train(images, config, on_epoch),
        )
    }

    /// Why this autoencoder is not what [`Autoencoder::train`] makes of `images` with `config`
    /// (another configuration, or other images), or `None` if it is: the check
    /// [`Autoencoder::load_or_train`] makes of a cached model.
    pub fn stale_for(&self, images: &ImageSet, config: &AutoencoderConfig) -> Option<String> {
        if self.config != *config {
            Some("the cached model has another configuration".into())
        } else if self.train_fingerprint != fingerprint(images) {
            Some("the cached model was trained on other data".into())
        } else {
            None
        }
    }

    /// The encoder (always [`Encoder::Learned`]).
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// The decoder (reads per-qubit expectations).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The configuration it was trained with.
    pub fn config(&self) -> &AutoencoderConfig {
        &self.config
    }

    /// Splits into encoder and decoder.
    pub fn into_parts(self) -> (Encoder, Decoder) {
        (self.encoder, self.decoder)
    }

    /// The latent encoding of images (784 x N intensities in [0, 1]): per image, the Bloch
    /// angles `(theta, phi)` of every qubit of its product state.
    pub fn encode_angles(&self, images: &DMatrix<f32>) -> Result<Vec<Vec<(f64, f64)>>> {
        Ok(self
            .encoder
            .encode(images)?
            .iter()
            .map(|s| s.qubits().iter().map(|a| (a.theta, a.phi)).collect())
            .collect())
    }

    /// Decodes read-out Bloch features (per sample `<X_0>, <Y_0>, <Z_0>, <X_1>, ...`, three per
    /// qubit) into 784 x N intensities. Every qubit's vector is first scaled to unit length
    /// ([`Statistics::project_to_sphere`]): the decoder was trained on pure product states,
    /// whose Bloch vectors have length 1, and an entangled state's are shorter.
    pub fn decode_bloch_features(&self, features: &[Vec<f64>]) -> Result<DMatrix<f32>> {
        let dim = 3 * self.decoder.num_qubits();
        if let Some(bad) = features.iter().find(|f| f.len() != dim) {
            return Err(Error::DimensionMismatch {
                what: "Bloch features per sample (three per qubit of the decoder)",
                expected: dim,
                got: bad.len(),
            });
        }
        let stats: Vec<Statistics> = features
            .iter()
            .map(|f| {
                Statistics::Bloch(f.chunks_exact(3).map(|b| [b[0], b[1], b[2]]).collect())
                    .project_to_sphere()
            })
            .collect();
        self.decoder.decode(&stats)
    }
}

/// Loss and gradients of encoder and decoder on one batch, over parallel chunks of columns.
fn end_to_end_gradients(
    encoder: &Sequential,
    decoder: &Sequential,
    x: &DMatrix<f32>,
    seeds: &[u64],
    shots: Option<u64>,
    chunk_size: usize,
) -> Result<(f64, Gradients, Gradients)> {
    let batch = x.ncols();
    let parts = chunk_ranges(batch, chunk_size)
        .into_par_iter()
        .map(|r| {
            let weight = r.len() as f32 / batch as f32;
            let xc = x.columns(r.start, r.len()).into_owned();
            let enc_trace = encoder.forward_trace(xc.clone())?;
            let bloch = enc_trace.output();
            let decoder_input = match shots {
                None => bloch.clone(),
                Some(s) => shot_estimates(bloch, &seeds[r.clone()], s)?,
            };
            let dec_trace = decoder.forward_trace(decoder_input)?;
            let (value, grad) = Loss::BinaryCrossEntropy.evaluate(dec_trace.output(), &xc)?;
            let (g_dec, d_input) = decoder.backward(&dec_trace, grad * weight, true)?;
            let d_input =
                d_input.ok_or(Error::InvalidModel { reason: "no input gradient".into() })?;
            // Straight-through: the noise does not depend on the parameters, so the gradient at
            // the noisy estimate is used as the gradient at the exact expectation.
            let (g_enc, _) = encoder.backward(&enc_trace, d_input, false)?;
            Ok((value * f64::from(weight), g_enc, g_dec))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut parts = parts.into_iter();
    let (mut value, mut g_enc, mut g_dec) =
        parts.next().ok_or(Error::TooFewSamples { what: "a training batch", min: 1, got: 0 })?;
    for (v, e, d) in parts {
        value += v;
        g_enc.add_scaled(&e, 1.0)?;
        g_dec.add_scaled(&d, 1.0)?;
    }
    Ok((value, g_enc, g_dec))
}

/// Replaces each column of Bloch vectors by its `shots`-shot estimate, column `j` drawing from a
/// generator seeded with `seeds[j]`.
fn shot_estimates(bloch: &DMatrix<f32>, seeds: &[u64], shots: u64) -> Result<DMatrix<f32>> {
    let mut out = bloch.clone();
    for (mut col, &seed) in out.column_iter_mut().zip(seeds) {
        let exact = Statistics::Bloch(
            col.as_slice()
                .chunks_exact(3)
                .map(|v| [0, 1, 2].map(|k| f64::from(v[k]).clamp(-1.0, 1.0)))
                .collect(),
        );
        let noisy =
            exact.sample_shots(shots, &mut ChaCha8Rng::seed_from_u64(seed))?.to_features()?;
        col.copy_from_slice(&noisy);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small autoencoder on synthetic images (two qubits, one short epoch).
    fn small() -> Autoencoder {
        let pixels: Vec<u8> = (0..32 * IMAGE_PIXELS).map(|i| ((i * 37) % 251) as u8).collect();
        let config = AutoencoderConfig {
            num_qubits: 2,
            encoder_hidden: vec![8],
            decoder_hidden: vec![8],
            shots: None,
            train: TrainConfig { epochs: 1, batch_size: 16, ..TrainConfig::default() },
        };
        Autoencoder::train(&ImageSet::new(pixels).unwrap(), &config, |_| {}).unwrap()
    }

    #[test]
    fn encoded_angles_decode_through_their_bloch_features() {
        let ae = small();
        let images = DMatrix::from_fn(IMAGE_PIXELS, 3, |r, c| ((r + 5 * c) % 9) as f32 / 8.0);
        let angles = ae.encode_angles(&images).unwrap();
        assert_eq!((angles.len(), angles[0].len()), (3, 2));
        let bloch: Vec<Vec<f64>> = angles
            .iter()
            .map(|a| a.iter().flat_map(|&(t, p)| [t.sin() * p.cos(), t.sin() * p.sin(), t.cos()]))
            .map(Iterator::collect)
            .collect();
        let states: Vec<Statistics> = ae
            .encoder()
            .encode(&images)
            .unwrap()
            .iter()
            .map(|s| Statistics::exact(s, StatisticsKind::Bloch))
            .collect();
        let direct = ae.decoder().decode(&states).unwrap();
        let decoded = ae.decode_bloch_features(&bloch).unwrap();
        assert!((decoded - &direct).abs().max() < 1e-5);
        // Shorter vectors are projected onto the sphere first: the same images.
        let shorter: Vec<Vec<f64>> =
            bloch.iter().map(|f| f.iter().map(|x| 0.5 * x).collect()).collect();
        assert!((ae.decode_bloch_features(&shorter).unwrap() - &direct).abs().max() < 1e-5);
        // It is what training makes of its images and settings, and of nothing else.
        let pixels: Vec<u8> = (0..32 * IMAGE_PIXELS).map(|i| ((i * 37) % 251) as u8).collect();
        let trained_on = ImageSet::new(pixels).unwrap();
        assert_eq!(ae.stale_for(&trained_on, ae.config()), None);
        let fewer = trained_on.select(&(0..31).collect::<Vec<_>>()).unwrap();
        assert!(ae.stale_for(&fewer, ae.config()).unwrap().contains("other data"));
        let other = AutoencoderConfig { shots: Some(10), ..ae.config().clone() };
        assert!(ae.stale_for(&trained_on, &other).unwrap().contains("configuration"));
        // Three numbers per qubit of the decoder, or an error.
        assert!(matches!(
            ae.decode_bloch_features(&[vec![0.0; 5]]),
            Err(Error::DimensionMismatch { expected: 6, got: 5, .. })
        ));
    }
}
