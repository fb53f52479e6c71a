//! The decoder: a network from measurement statistics of a register to 28 x 28 pixels.
//!
//! A [`Decoder`] reads one [`StatisticsKind`] of a fixed number of qubits, as
//! [`Statistics::to_features`] lays it out, and outputs pixel intensities in [0, 1] (a sigmoid on
//! logits trained with binary cross-entropy against the real image). It is trained on encodings of
//! real images ([`Decoder::train`]): each batch encodes its images, computes their exact
//! statistics and, when [`DecoderConfig::shots`] is set, replaces them by a fresh shot estimate,
//! so the decoder learns to read statistics as noisy as the ones it will get.

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::dataset::{IMAGE_PIXELS, ImageSet};
use crate::encoder::Encoder;
use crate::error::{Error, Result};
use crate::nn::layer::{Activation, sigmoid};
use crate::nn::loss::Loss;
use crate::nn::network::Sequential;
use crate::nn::train::{EpochReport, TrainConfig, fit};
use crate::state::check_qubits;
use crate::statistics::{Statistics, StatisticsKind};

/// How to build and train a decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecoderConfig {
    /// The statistics the decoder reads.
    pub kind: StatisticsKind,
    /// Hidden layer sizes (ReLU after each).
    pub hidden: Vec<usize>,
    /// Shots per estimate during training (per basis for Bloch statistics); `None` trains on
    /// exact statistics.
    pub shots: Option<u64>,
    /// Optimisation settings, including the seed.
    pub train: TrainConfig,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            kind: StatisticsKind::Bloch,
            hidden: vec![256, 512],
            shots: Some(1000),
            train: TrainConfig {
                epochs: 20,
                batch_size: 64,
                learning_rate: 2e-3,
                final_learning_rate: 2e-5,
                seed: 7,
                ..TrainConfig::default()
            },
        }
    }
}

/// A trained map from statistics of `num_qubits` qubits to images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DecoderRecord", into = "DecoderRecord")]
pub struct Decoder {
    kind: StatisticsKind,
    num_qubits: usize,
    network: Sequential,
}

#[derive(Serialize, Deserialize)]
struct DecoderRecord {
    kind: StatisticsKind,
    num_qubits: u32,
    network: Sequential,
}

impl From<Decoder> for DecoderRecord {
    fn from(d: Decoder) -> Self {
        DecoderRecord { kind: d.kind, num_qubits: d.num_qubits as u32, network: d.network }
    }
}

impl TryFrom<DecoderRecord> for Decoder {
    type Error = Error;

    fn try_from(r: DecoderRecord) -> Result<Self> {
        Decoder::new(r.kind, r.num_qubits as usize, r.network)
    }
}

impl Checkpoint for Decoder {
    const FORMAT: qfile::Format = crate::checkpoint::DECODER_FORMAT;
}

impl Decoder {
    /// Wraps a network whose input fits `kind` on `num_qubits` qubits and whose output is 784
    /// pixel logits.
    pub fn new(kind: StatisticsKind, num_qubits: usize, network: Sequential) -> Result<Self> {
        check_qubits(num_qubits)?;
        if kind == StatisticsKind::Born && num_qubits > 16 {
            return Err(Error::InvalidConfig {
                field: "num_qubits",
                reason: "a Born-distribution decoder reads at most 16 qubits (65,536 inputs)"
                    .into(),
            });
        }
        if network.input_dim() != kind.input_dim(num_qubits) || network.output_dim() != IMAGE_PIXELS
        {
            return Err(Error::InvalidModel {
                reason: format!(
                    "a {} decoder of {num_qubits} qubits maps {} inputs to 784 pixels; the network maps {} to {}",
                    kind.name(),
                    kind.input_dim(num_qubits),
                    network.input_dim(),
                    network.output_dim()
                ),
            });
        }
        Ok(Decoder { kind, num_qubits, network })
    }

    /// Trains a decoder for the states `encoder` gives `images` (deterministic given the seed).
    pub fn train(
        images: &ImageSet,
        encoder: &Encoder,
        config: &DecoderConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<Self> {
        let num_qubits = encoder.num_qubits();
        let mut sizes = vec![config.kind.input_dim(num_qubits)];
        sizes.extend(&config.hidden);
        sizes.push(IMAGE_PIXELS);
        let mut init_rng = qrandom::streams::DECODER_INIT.rng(config.train.seed);
        let network = Sequential::mlp(&sizes, Activation::Relu, &mut init_rng)?;
        let mut decoder = Decoder::new(config.kind, num_qubits, network)?;
        let pixels = images.to_matrix();
        let (kind, shots) = (config.kind, config.shots);
        fit(
            &mut decoder.network,
            Loss::BinaryCrossEntropy,
            &config.train,
            images.len(),
            |indices, rng| {
                let batch = gather_columns(&pixels, indices);
                let exact = encoder.statistics(&batch, kind)?;
                Ok((noisy_features(&exact, shots, rng)?, batch))
            },
            on_epoch,
        )?;
        Ok(decoder)
    }

    /// The statistics kind it reads.
    pub fn kind(&self) -> StatisticsKind {
        self.kind
    }

    /// Number of qubits it reads.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The network (statistics features to pixel logits).
    pub fn network(&self) -> &Sequential {
        &self.network
    }

    /// Decodes statistics into images: 784 x N intensities in [0, 1], one column per input.
    pub fn decode(&self, statistics: &[Statistics]) -> Result<DMatrix<f32>> {
        let features = self.features(statistics)?;
        self.decode_features(&features)
    }

    /// Decodes statistics already laid out as features (one column per sample, see
    /// [`Statistics::to_features`]).
    pub fn decode_features(&self, features: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        if features.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "decoder input" });
        }
        Ok(self.network.predict(features)?.map(sigmoid))
    }

    /// Lays out statistics as decoder input, checking their kind and qubit count.
    pub fn features(&self, statistics: &[Statistics]) -> Result<DMatrix<f32>> {
        let dim = self.kind.input_dim(self.num_qubits);
        let mut x = DMatrix::zeros(dim, statistics.len());
        for (mut col, s) in x.column_iter_mut().zip(statistics) {
            if s.kind() != self.kind {
                return Err(Error::StatisticsKind {
                    expected: self.kind.name(),
                    got: s.kind().name(),
                });
            }
            let f = s.to_features()?;
            if f.len() != dim {
                return Err(Error::DimensionMismatch {
                    what: "statistics size",
                    expected: dim,
                    got: f.len(),
                });
            }
            col.copy_from_slice(&f);
        }
        Ok(x)
    }

    /// Reconstructs images through `encoder` and this decoder (exact statistics if `shots` is
    /// `None`), e.g. to measure the reconstruction floor of an encoding.
    pub fn reconstruct(
        &self,
        images: &DMatrix<f32>,
        encoder: &Encoder,
        shots: Option<u64>,
        rng: &mut impl Rng,
    ) -> Result<DMatrix<f32>> {
        if encoder.num_qubits() != self.num_qubits {
            return Err(Error::DimensionMismatch {
                what: "encoder qubits",
                expected: self.num_qubits,
                got: encoder.num_qubits(),
            });
        }
        let exact = encoder.statistics(images, self.kind)?;
        self.decode_features(&noisy_features(&exact, shots, rng)?)
    }
}

/// The columns `indices` of `m`, in that order.
pub(crate) fn gather_columns(m: &DMatrix<f32>, indices: &[usize]) -> DMatrix<f32> {
    let mut out = DMatrix::zeros(m.nrows(), indices.len());
    for (mut col, &i) in out.column_iter_mut().zip(indices) {
        col.copy_from(&m.column(i));
    }
    out
}

/// Decoder features of `exact` statistics, replaced by shot estimates when `shots` is set.
///
/// Each sample's noise comes from its own generator seeded from `rng` in order, so the result
/// does not depend on how rayon schedules the samples.
pub fn noisy_features(
    exact: &[Statistics],
    shots: Option<u64>,
    rng: &mut impl Rng,
) -> Result<DMatrix<f32>> {
    let Some(first) = exact.first() else {
        return Ok(DMatrix::zeros(0, 0));
    };
    let dim = first.kind().input_dim(first.num_qubits()?);
    let columns: Vec<Vec<f32>> = match shots {
        None => exact.par_iter().map(Statistics::to_features).collect::<Result<_>>()?,
        Some(s) => {
            let seeds: Vec<u64> = exact.iter().map(|_| rng.next_u64()).collect();
            exact
                .par_iter()
                .zip(seeds)
                .map(|(e, seed)| {
                    e.sample_shots(s, &mut ChaCha8Rng::seed_from_u64(seed))?.to_features()
                })
                .collect::<Result<_>>()?
        }
    };
    let mut x = DMatrix::zeros(dim, exact.len());
    for (mut col, f) in x.column_iter_mut().zip(&columns) {
        if f.len() != dim {
            return Err(Error::DimensionMismatch {
                what: "statistics size",
                expected: dim,
                got: f.len(),
            });
        }
        col.copy_from_slice(f);
    }
    Ok(x)
}
