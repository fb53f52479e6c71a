//! The error type of `qsim-core`.

use thiserror::Error;

/// Everything that can go wrong in `qsim-core`: each variant names what to fix in the input.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A qubit index is not smaller than the register size.
    #[error("qubit {qubit} is out of range for a register of {num_qubits} qubits")]
    QubitOutOfRange {
        /// The offending index.
        qubit: usize,
        /// The register size.
        num_qubits: usize,
    },
    /// A classical bit index is not smaller than the classical register size.
    #[error("classical bit {clbit} is out of range for a register of {num_clbits} bits")]
    ClbitOutOfRange {
        /// The offending index.
        clbit: usize,
        /// The classical register size.
        num_clbits: usize,
    },
    /// The same qubit is named twice in one multi-qubit operation.
    #[error("qubit {qubit} appears more than once in one operation")]
    DuplicateQubit {
        /// The repeated qubit.
        qubit: usize,
    },
    /// A gate got the wrong number of qubits.
    #[error("gate `{gate}` acts on {expected} qubit(s), got {got}")]
    QubitCount {
        /// Gate name.
        gate: String,
        /// Qubits the gate takes.
        expected: usize,
        /// Qubits supplied.
        got: usize,
    },
    /// A gate got the wrong number of parameters.
    #[error("gate `{gate}` takes {expected} parameter(s), got {got}")]
    ParameterCount {
        /// Gate name.
        gate: String,
        /// Parameters the gate takes.
        expected: usize,
        /// Parameters supplied.
        got: usize,
    },
    /// An angle is NaN or infinite.
    #[error("gate `{gate}` got a non-finite angle ({value})")]
    NonFiniteParameter {
        /// Gate name.
        gate: String,
        /// The offending value.
        value: f64,
    },
    /// A parameter reference points past the end of the parameter vector.
    #[error("parameter {index} is referenced but the parameter vector has length {len}")]
    ParameterIndexOutOfRange {
        /// The referenced index.
        index: usize,
        /// Length of the supplied parameter vector.
        len: usize,
    },
    /// The register is too large for this simulator.
    #[error(
        "{num_qubits} qubits need {bytes} bytes, more than the limit of {max_qubits} qubits for this object"
    )]
    TooManyQubits {
        /// Requested qubits.
        num_qubits: usize,
        /// Bytes the state would need (saturating).
        bytes: u128,
        /// The largest supported register.
        max_qubits: usize,
    },
    /// The allocator refused the memory a state needs.
    #[error("could not allocate {bytes} bytes for a {num_qubits}-qubit state")]
    OutOfMemory {
        /// Requested qubits.
        num_qubits: usize,
        /// Bytes requested.
        bytes: u128,
    },
    /// A vector or matrix has the wrong size.
    #[error("{what}: expected length {expected}, got {got}")]
    DimensionMismatch {
        /// What was being checked.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Supplied length.
        got: usize,
    },
    /// A matrix given as a gate is not unitary.
    #[error("matrix is not unitary: max |U^dagger U - I| entry is {deviation:e}")]
    NotUnitary {
        /// Largest deviation from the identity.
        deviation: f64,
    },
    /// Amplitudes that should describe a state are not normalised, or are not finite.
    #[error("state is not normalised: squared norm {norm_sqr}")]
    NotNormalized {
        /// The squared norm found.
        norm_sqr: f64,
    },
    /// A density matrix failed validation.
    #[error("invalid density matrix: {reason}")]
    InvalidDensityMatrix {
        /// What is wrong.
        reason: String,
    },
    /// A set of Kraus operators is not trace preserving.
    #[error(
        "Kraus operators are not trace preserving: max |sum K^dagger K - I| entry is {deviation:e}"
    )]
    NotTracePreserving {
        /// Largest deviation from the identity.
        deviation: f64,
    },
    /// A non-unitary operation (measure, reset) reached an API that only runs unitary circuits.
    #[error("operation `{op}` is not unitary; use `run` with a random number generator")]
    NonUnitaryOperation {
        /// The operation name.
        op: &'static str,
    },
    /// A gate parameter has no parameter-shift rule.
    #[error("parameter {param} of operation `{op}` has no parameter-shift rule")]
    NoShiftRule {
        /// Operation name.
        op: String,
        /// Parameter position within the operation.
        param: usize,
    },
    /// A Pauli string could not be parsed or does not fit the register.
    #[error("invalid Pauli string `{text}`: {reason}")]
    InvalidPauli {
        /// The text given.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// A probability or shot count is invalid.
    #[error("invalid probability distribution: {reason}")]
    InvalidDistribution {
        /// What is wrong.
        reason: String,
    },
    /// An input is larger than one of this crate's documented limits allows (such as
    /// [`MAX_SOURCE_BYTES`](crate::qasm::MAX_SOURCE_BYTES)); nothing was allocated for it.
    #[error("{what} is {found} {unit} (limit {limit})")]
    TooLarge {
        /// The input ("the OpenQASM source").
        what: &'static str,
        /// Its size.
        found: u64,
        /// What is counted ("bytes").
        unit: &'static str,
        /// The limit.
        limit: u64,
    },
    /// OpenQASM text could not be read.
    #[error(transparent)]
    Qasm(#[from] QasmError),
    /// A circuit cannot be written as OpenQASM 2.0.
    #[error("cannot export to OpenQASM 2.0: {reason}")]
    NotExportable {
        /// Why not.
        reason: String,
    },
}

/// A problem in OpenQASM source, with the 1-based line and column where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("OpenQASM error at line {line}, column {column}: {message}")]
pub struct QasmError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;
