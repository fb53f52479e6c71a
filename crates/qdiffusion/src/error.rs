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
    /// From the collectives of data-parallel training and sampling.
    #[error(transparent)]
    Comm(#[from] qcomm::Error),
    /// The ranks of a data-parallel run hold different values where they must agree.
    #[error("the ranks disagree on {what}: {detail}")]
    RanksDisagree {
        /// What differs (the training data, the parameters).
        what: &'static str,
        /// Which ranks, and how.
        detail: String,
    },
    /// A configuration (typically read from a model file) declares more than one of this
    /// crate's documented limits allows, such as
    /// [`MAX_STEPS`](crate::baseline::schedule::MAX_STEPS); nothing was allocated for it.
    #[error(transparent)]
    TooLarge(#[from] qfile::OverLimit),
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
    /// A device-qubit list is empty.
    #[error("no device qubits given: list at least one qubit")]
    NoQubits,
    /// A device qubit does not exist on the backend.
    #[error("qubit {qubit} is not on the device (it has {num_qubits} qubits)")]
    UnknownQubit {
        /// The qubit asked for.
        qubit: usize,
        /// Qubits the device has.
        num_qubits: usize,
    },
    /// A device qubit is listed twice.
    #[error("qubit {qubit} is listed twice")]
    DuplicateQubit {
        /// The repeated qubit.
        qubit: usize,
    },
    /// A measurement was asked for with zero shots.
    #[error("{what} needs at least one shot")]
    ZeroShots {
        /// Which measurement.
        what: &'static str,
    },
    /// A decay fit or an estimate from counts could not be made.
    #[error("cannot estimate {what}: {reason}")]
    EstimateFailed {
        /// What was estimated.
        what: String,
        /// Why not.
        reason: String,
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
