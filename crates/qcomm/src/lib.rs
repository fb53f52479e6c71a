//! `qcomm`: collectives for data-parallel work, with results that do not depend on how many
//! processes share it.
//!
//! A data-parallel computation splits `N` independent items (chains, samples) over `K` ranks,
//! lets each rank compute its share, and gathers the results. Sums over the items are then taken
//! by every rank in the items' global order, from the gathered values, exactly as one process
//! would: floating-point addition is not associative, so this fixed order is what makes the
//! result bit-identical for every `K`.
//!
//! - [`collective`]: the [`Collective`] trait (rank, size, all-gather of `f64` vectors in rank
//!   order, broadcast of bytes, barrier);
//! - [`split`]: the `K`-independent split of `N` items into contiguous blocks ([`block`]) and
//!   the gather of one row per item in global order ([`gather_rows`]);
//! - [`single`]: [`SingleProcess`], the collective of one process (no communication);
//! - [`local`]: [`LocalGroup`], `K` ranks as threads of one process, to test distributed code
//!   with `cargo test`;
//! - `mpi` (feature `mpi`): `Mpi`, the collective over `MPI_COMM_WORLD` (rsmpi), for programs
//!   started by `mpirun`.
//!
//! Nothing here depends on another crate of the workspace; the default build needs no MPI.
//!
//! ```
//! use qcomm::{Collective, LocalGroup, block, gather_rows};
//! // Squares of 0..7 computed by 3 ranks, each on its block, gathered in global order.
//! let results = LocalGroup::run(3, |comm| {
//!     let mine: Vec<Vec<f64>> =
//!         block(7, comm.rank(), comm.size()).map(|i| vec![(i * i) as f64]).collect();
//!     gather_rows(comm, &mine, 7)
//! });
//! for rows in results {
//!     let rows = rows?;
//!     assert_eq!(rows.concat(), [0.0, 1.0, 4.0, 9.0, 16.0, 25.0, 36.0]);
//! }
//! # Ok::<(), qcomm::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod collective;
pub mod error;
pub mod local;
#[cfg(feature = "mpi")]
pub mod mpi;
pub mod single;
pub mod split;

pub use collective::Collective;
pub use error::{Error, Result};
pub use local::{LocalGroup, LocalRank};
#[cfg(feature = "mpi")]
pub use mpi::Mpi;
pub use single::SingleProcess;
pub use split::{block, gather_rows};
