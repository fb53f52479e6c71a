//! The error type of `qansatz-mps`.

use thiserror::Error;

/// Everything that can go wrong building, training, saving or loading an ansatz.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the simulator.
    #[error(transparent)]
    Sim(#[from] qsim_core::Error),
    /// A configuration value is out of range.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
    /// A configuration (typically read from a file) declares more than one of this crate's
    /// documented limits allows, such as [`MAX_LAYERS`](crate::ansatz::MAX_LAYERS); nothing was
    /// allocated for it.
    #[error(transparent)]
    TooLarge(#[from] qfile::OverLimit),
    /// A parameter vector or distribution has the wrong length.
    #[error("{what}: expected length {expected}, got {got}")]
    DimensionMismatch {
        /// What was checked.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// A timestep outside `1..=T`.
    #[error("timestep {t} is outside 1..={steps}")]
    TimestepOutOfRange {
        /// The timestep.
        t: usize,
        /// The number of steps.
        steps: usize,
    },
    /// A parameter file could not be written or read (missing, not one of ours, truncated,
    /// corrupt).
    #[error(transparent)]
    File(#[from] qfile::Error),
    /// A parameter file reads back but does not describe a valid model.
    #[error("{path}: not a valid parameter file ({reason})")]
    InconsistentFile {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;
