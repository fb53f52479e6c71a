//! The error type of `qddpm-unet`.

use thiserror::Error;

/// Everything that can go wrong building, training, storing or sampling the U-Net DDPM.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// From the tensor library (a shape the network cannot take, or a failed kernel).
    #[error("tensor operation: {0}")]
    Tensor(#[from] candle_core::Error),
    /// From the schedule and samplers of the classical baseline.
    #[error(transparent)]
    Diffusion(#[from] qdiffusion::Error),
    /// From the data or the model-file helpers of qdecoder.
    #[error(transparent)]
    Decoder(#[from] qdecoder::Error),
    /// Writing or reading a model file.
    #[error(transparent)]
    File(#[from] qfile::Error),
    /// A configuration value is out of range.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
    /// Sizes that must agree do not.
    #[error("{what}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// What was compared.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Size given.
        got: usize,
    },
    /// A stored model does not match the architecture its configuration describes.
    #[error("invalid model: {reason}")]
    InvalidModel {
        /// What is wrong.
        reason: String,
    },
    /// Training diverged: the loss stopped being a finite number.
    #[error("training diverged at step {step}: the loss is {loss}")]
    Diverged {
        /// The optimiser step (from 1).
        step: usize,
        /// The non-finite loss.
        loss: f32,
    },
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;

impl From<Error> for qdiffusion::Error {
    /// For the [`NoisePredictor`](qdiffusion::baseline::sample::NoisePredictor) interface, whose
    /// results are qdiffusion's: errors of the baseline's own come back unchanged, anything else
    /// becomes an invalid-model error that keeps the message.
    fn from(e: Error) -> Self {
        match e {
            Error::Diffusion(e) => e,
            Error::Decoder(e) => qdiffusion::Error::Decoder(e),
            Error::File(e) => qdiffusion::Error::File(e),
            other => qdiffusion::Error::Decoder(qdecoder::Error::InvalidModel {
                reason: format!("U-Net noise predictor: {other}"),
            }),
        }
    }
}
