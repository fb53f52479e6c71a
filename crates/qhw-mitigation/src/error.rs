//! The error type of `qhw-mitigation`.

use thiserror::Error;

/// Everything that can go wrong on a backend or in mitigation: each variant names what to fix.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the simulator (bad circuit, qubit out of range, ...).
    #[error(transparent)]
    Sim(#[from] qsim_core::Error),
    /// An error building or applying a noise channel.
    #[error(transparent)]
    Channels(#[from] qchannels::Error),
    /// A probability (readout error, gate error, ...) is outside `[0, 1]` or not finite.
    #[error("{what} = {value} is not a probability in [0, 1]")]
    InvalidProbability {
        /// Which quantity.
        what: String,
        /// The value given.
        value: f64,
    },
    /// A column of a confusion matrix does not sum to 1.
    #[error("confusion matrix of qubit {qubit}: column {column} sums to {sum}, not 1")]
    ConfusionNotNormalized {
        /// The qubit (or 0 for a full matrix).
        qubit: usize,
        /// The column (prepared state).
        column: usize,
        /// The sum found.
        sum: f64,
    },
    /// A per-qubit confusion matrix cannot be inverted (e.g. `P(1|0) + P(0|1) = 1`).
    #[error("confusion matrix of qubit {qubit} is singular (determinant {determinant:e})")]
    SingularConfusion {
        /// The qubit.
        qubit: usize,
        /// `P(0|0) P(1|1) - P(0|1) P(1|0)`.
        determinant: f64,
    },
    /// A full assignment matrix (or an M3 reduced matrix) cannot be inverted.
    #[error("{what} is singular: it cannot be inverted")]
    SingularMatrix {
        /// Which matrix.
        what: &'static str,
    },
    /// A qubit index does not exist on the device or in the calibration.
    #[error("qubit {qubit} is not known here ({num_qubits} qubits)")]
    UnknownQubit {
        /// The offending index.
        qubit: usize,
        /// How many qubits there are.
        num_qubits: usize,
    },
    /// A bitstring key is malformed or has the wrong length.
    #[error("bitstring `{bitstring}`: {reason}")]
    InvalidBitstring {
        /// The key given.
        bitstring: String,
        /// What is wrong.
        reason: String,
    },
    /// A counts table holds no shots.
    #[error("the counts hold no shots")]
    EmptyCounts,
    /// A two-qubit gate acts on a pair the device's coupling map does not contain.
    #[error("qubits {a} and {b} are not coupled on device `{device}`; route the circuit first")]
    NotCoupled {
        /// First qubit of the gate.
        a: usize,
        /// Second qubit of the gate.
        b: usize,
        /// Device name.
        device: String,
    },
    /// An operation the device cannot execute (e.g. a native three-qubit gate).
    #[error("operation `{op}` is not supported: {reason}")]
    UnsupportedOperation {
        /// The operation name.
        op: String,
        /// Why not.
        reason: String,
    },
    /// A device calibration is inconsistent (bad times, duplicate couplers, ...).
    #[error("invalid calibration: {reason}")]
    InvalidCalibration {
        /// What is wrong.
        reason: String,
    },
    /// A calibration or case file could not be read or parsed.
    #[error("file `{path}`: {reason}")]
    File {
        /// The path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A calibration or case file is longer than its reader accepts (see
    /// [`MAX_DEVICE_FILE_BYTES`](crate::device::MAX_DEVICE_FILE_BYTES)).
    #[error("file `{path}` is {len} bytes (limit {limit})")]
    FileTooLarge {
        /// The path.
        path: String,
        /// Its length in bytes.
        len: u64,
        /// The most bytes the reader accepts.
        limit: u64,
    },
    /// Sizes do not fit together.
    #[error("{what}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// What was compared.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Size given.
        got: usize,
    },
    /// A dense method was asked for more qubits than it supports.
    #[error("{what} supports at most {max} qubits, got {got}")]
    TooManyQubits {
        /// The method.
        what: &'static str,
        /// Its limit.
        max: usize,
        /// Qubits requested.
        got: usize,
    },
    /// An iterative solver stopped before reaching its tolerance.
    #[error("{what} did not converge in {iterations} iterations (relative residual {residual:e})")]
    NotConverged {
        /// Which solver.
        what: &'static str,
        /// Iterations performed.
        iterations: usize,
        /// Relative residual reached.
        residual: f64,
    },
    /// The hardware already adds more noise than a diffusion step asks for.
    #[error(
        "hardware noise floor p_hw = {p_hw} exceeds step {step}'s strength beta = {beta} by {excess}: \
         the device alone already depolarizes more than this step should"
    )]
    NoiseFloorExceedsStep {
        /// The step (1-based, as in `Schedule::beta`).
        step: usize,
        /// The step's strength.
        beta: f64,
        /// The hardware strength per step.
        p_hw: f64,
        /// `p_hw - beta`.
        excess: f64,
    },
    /// The decay fit of the noise floor could not be made.
    #[error("noise-floor fit failed: {reason}")]
    FitFailed {
        /// Why.
        reason: String,
    },
    /// The backend cannot give the exact outcome distribution of this circuit.
    #[error("no exact outcome distribution: {reason}")]
    NoExactDistribution {
        /// Why.
        reason: String,
    },
    /// An observable that must be diagonal in the computational basis is not.
    #[error("observable term `{term}` is not diagonal (only I and Z are measured directly)")]
    NonDiagonalObservable {
        /// The offending Pauli string.
        term: String,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
    /// A circuit touches or reads a qubit the device's calibration marks faulty.
    #[error("qubit {qubit} of device `{device}` is marked faulty; lay the circuit out elsewhere")]
    FaultyQubit {
        /// The qubit.
        qubit: usize,
        /// Device name.
        device: String,
    },
    /// An error-scale factor is not usable, or takes a scaled error rate out of its range.
    #[error("error scale {factor}: {reason}")]
    InvalidErrorScale {
        /// The factor asked for.
        factor: f64,
        /// What is wrong (which number leaves which range).
        reason: String,
    },
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that `value` is a probability; `what` goes into the error.
pub(crate) fn check_probability(what: impl Into<String>, value: f64) -> Result<f64> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(Error::InvalidProbability { what: what.into(), value })
    }
}
