//! The error type of `qsim-mpi`.

use thiserror::Error;

/// Everything that can go wrong distributing a state or running a circuit on it.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the simulator (qubit out of range, bad parameters, non-unitary operation...).
    #[error(transparent)]
    Sim(#[from] qsim_core::Error),
    /// More global qubits than the communicator's ranks can hold (`2^g > ranks`).
    #[error("{global_qubits} global qubits need 2^{global_qubits} ranks; there are {ranks}")]
    NotEnoughRanks {
        /// Global qubits asked for.
        global_qubits: usize,
        /// Ranks of the communicator.
        ranks: usize,
    },
    /// Fewer qubits than global qubits.
    #[error("{num_qubits} qubits cannot have {global_qubits} global qubits")]
    TooFewQubits {
        /// Qubits asked for.
        num_qubits: usize,
        /// Global qubits asked for.
        global_qubits: usize,
    },
    /// An operation needs more of its qubits on one rank at once than a rank holds.
    #[error(
        "{op} needs {qubits} of its qubits on one rank, but each rank holds {local_qubits} qubits"
    )]
    GateTooWide {
        /// The operation's name.
        op: &'static str,
        /// How many of its qubits must be local at once.
        qubits: usize,
        /// Local qubits per rank.
        local_qubits: usize,
    },
    /// The schedule that reproduces one process needs a rank's slice to hold whole chunks of
    /// the engine's cache blocking.
    #[error(
        "each rank holds {local_qubits} qubits, fewer than the {chunk_bits} of one cache-blocking \
         chunk: use fewer ranks, or Schedule::FewestExchanges"
    )]
    SliceSmallerThanChunk {
        /// Local qubits per rank.
        local_qubits: usize,
        /// Qubits of one chunk of the engine's plan.
        chunk_bits: usize,
    },
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;
