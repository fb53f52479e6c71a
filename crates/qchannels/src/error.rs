//! The error type of `qchannels`.

use thiserror::Error;

/// Everything that can go wrong building or applying channels and schedules.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the simulator (qubit out of range, bad state, ...).
    #[error(transparent)]
    Sim(#[from] qsim_core::Error),
    /// A probability or strength outside `[0, 1]`, or not finite.
    #[error("{name} = {value} is not a probability in [0, 1]")]
    InvalidProbability {
        /// Which parameter.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// Probabilities that should sum to 1 do not.
    #[error("{what} sum to {sum}, not 1")]
    NotNormalized {
        /// What was summed.
        what: &'static str,
        /// The sum found.
        sum: f64,
    },
    /// The channel does not preserve the trace.
    #[error("channel is not trace preserving: max deviation {deviation:e}")]
    NotTracePreserving {
        /// Largest deviation of the trace condition.
        deviation: f64,
    },
    /// The channel is not completely positive (its Choi matrix has a negative eigenvalue).
    #[error("channel is not completely positive: Choi matrix eigenvalue {min_eigenvalue:e}")]
    NotCompletelyPositive {
        /// The most negative eigenvalue.
        min_eigenvalue: f64,
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
    /// A diffusion schedule is not valid.
    #[error("invalid schedule: {reason}")]
    InvalidSchedule {
        /// What is wrong.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that `value` is a probability; `name` goes into the error.
pub(crate) fn check_probability(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(Error::InvalidProbability { name, value })
    }
}
