//! The error type of `qdecoder`.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in `qdecoder`: each variant names what to fix, and file errors
/// name the file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An input declares (or holds) more than one of this crate's documented limits allows,
    /// such as [`MAX_IDX_ITEMS`](crate::idx::MAX_IDX_ITEMS); nothing was allocated for it.
    #[error(transparent)]
    TooLarge(#[from] qfile::OverLimit),
    /// A file could not be opened, read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A gzip-compressed file is corrupt (bad deflate stream or checksum).
    #[error("{path}: corrupt gzip stream: {source}")]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decompressor's error.
        #[source]
        source: std::io::Error,
    },
    /// A file ended before the data its header announces.
    #[error("{path}: truncated: expected {expected} bytes of data, found {found}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header announces (after the header).
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// An IDX file is not in the expected format (bad magic number, unknown type, extra
    /// bytes...).
    #[error("{path}: invalid {format} file: {reason}")]
    InvalidFile {
        /// The file.
        path: PathBuf,
        /// The expected format, e.g. `IDX`.
        format: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An IDX file has the wrong number or size of dimensions for its role.
    #[error("{path}: expected {expected}, found dimensions {found:?}")]
    WrongDimensions {
        /// The file.
        path: PathBuf,
        /// What the caller needs, e.g. `N x 28 x 28 images`.
        expected: String,
        /// The dimensions in the header.
        found: Vec<usize>,
    },
    /// A directory holds no file with any of the accepted names.
    #[error("{dir}: none of {candidates:?} found")]
    MissingFile {
        /// The directory searched.
        dir: PathBuf,
        /// The file names tried.
        candidates: Vec<String>,
    },
    /// Image and label files disagree, or a label is outside 0-9.
    #[error("{path}: {reason}")]
    InvalidLabels {
        /// The label file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A model file could not be written or read (missing, another kind of model, another
    /// format version, truncated, corrupt).
    #[error(transparent)]
    File(#[from] qfile::Error),
    /// A value could not be serialised.
    #[error("could not serialise {what}: {reason}")]
    Encode {
        /// What was being written.
        what: &'static str,
        /// The serialiser's message.
        reason: String,
    },
    /// PNG encoding failed.
    #[error("{path}: PNG encoding failed: {reason}")]
    Png {
        /// The file.
        path: PathBuf,
        /// The encoder's message.
        reason: String,
    },
    /// A vector, matrix or set has the wrong size.
    #[error("{what}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// What was being checked.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Supplied size.
        got: usize,
    },
    /// A network's layers do not fit together, or a model is internally inconsistent.
    #[error("invalid model: {reason}")]
    InvalidModel {
        /// What is wrong.
        reason: String,
    },
    /// A configuration field has an unusable value.
    #[error("invalid configuration `{field}`: {reason}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// Why it cannot be used.
        reason: String,
    },
    /// An input holds NaN or infinite values.
    #[error("{what} holds a non-finite value")]
    NonFinite {
        /// What was being checked.
        what: &'static str,
    },
    /// A probability vector is negative somewhere or does not sum to one.
    #[error("invalid probability distribution: {reason}")]
    InvalidDistribution {
        /// What is wrong.
        reason: String,
    },
    /// Too few samples for a statistic (a covariance needs at least two).
    #[error("{what} needs at least {min} samples, got {got}")]
    TooFewSamples {
        /// What was being computed.
        what: &'static str,
        /// The minimum.
        min: usize,
        /// Supplied.
        got: usize,
    },
    /// The number of qubits is outside what this crate supports.
    #[error("{num_qubits} qubits requested; supported are 1 to {max}")]
    QubitCount {
        /// Requested qubits.
        num_qubits: usize,
        /// The largest supported count.
        max: usize,
    },
    /// Statistics of one kind were given to a decoder that reads another kind.
    #[error("decoder reads {expected} statistics, got {got}")]
    StatisticsKind {
        /// What the decoder reads.
        expected: &'static str,
        /// What was supplied.
        got: &'static str,
    },
    /// The requested operation needs a product-state (angle) encoding.
    #[error("the amplitude encoding has no per-qubit angles; use a PCA or learned encoder")]
    NotAProductEncoding,
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
