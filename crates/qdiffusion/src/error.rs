//! The error type of `qdiffusion`.

use thiserror::Error;

/// Everything that can go wrong in the diffusion model and its pipeline.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// From the simulator.
    #[error(transparent)]
    Sim(#[from] qsim_core::Error),
    /// From the channels and schedules.
    #[error(transparent)]
    Channels(#[from] qchannels::Error),
    /// From the ansatz, its parameter files or its optimiser.
    #[error(transparent)]
    Ansatz(#[from] qansatz_mps::Error),
    /// From the classical side: data, networks, model files, the FID classifier.
    #[error(transparent)]
    Decoder(#[from] qdecoder::Error),
    /// Writing or reading a checkpoint or an output file.
    #[error(transparent)]
    File(#[from] qfile::Error),
    /// From the hardware layer: backends, calibration, readout mitigation.
    #[error(transparent)]
    Hardware(#[from] qhw_mitigation::Error),
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
    /// A checkpoint cannot be resumed with this configuration.
    #[error("cannot resume from {path}: {reason}")]
    Resume {
        /// The checkpoint.
        path: String,
        /// Why not.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;
