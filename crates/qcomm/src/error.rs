//! The error type of `qcomm`.

use thiserror::Error;

/// What can go wrong in a collective.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A rank passed a root that is not a rank of the group.
    #[error("root rank {root} is not in a group of {size}")]
    NoSuchRoot {
        /// The root asked for.
        root: usize,
        /// Ranks in the group.
        size: usize,
    },
    /// What a rank contributed to a gather does not fit the rows it should hold.
    #[error("rank {rank} sent {values} values for {rows} rows of {width}")]
    RowsDoNotFit {
        /// The rank whose part is wrong.
        rank: usize,
        /// Values it sent.
        values: usize,
        /// Rows it should have sent.
        rows: usize,
        /// Values per row (as the other ranks sent them).
        width: usize,
    },
    /// A message is longer than the transport can count (MPI counts in 32-bit integers).
    #[error("a message of {len} values is too long for one collective")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A rank of an in-process group ended (returned or panicked) while the others waited for
    /// it in a collective.
    #[error("rank {rank}: another rank of the group left before this collective completed")]
    RankLeft {
        /// The rank that noticed.
        rank: usize,
    },
    /// MPI could not be initialised (it already was, or the library refused).
    #[error("MPI could not be initialised: {reason}")]
    MpiInit {
        /// Why not.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;
