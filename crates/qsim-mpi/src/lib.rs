//! `qsim-mpi`: a state vector distributed over MPI ranks (rsmpi), on top of `qsim-core`.
//!
//! Everything here needs an MPI library (OpenMPI or MPICH, and libclang for the bindings) and
//! sits behind the crate feature **`mpi`**. Without it the crate compiles to this documentation
//! alone, so `cargo build`, `cargo test`, `cargo clippy` and `cargo doc` on the whole workspace
//! work on machines without MPI; `qsim-core` itself never depends on MPI.
//!
//! With `--features mpi` (`cargo doc -p qsim-mpi --features mpi` documents the items below):
//!
//! - [`DistributedState`]: `2^n` amplitudes over `2^g` ranks, `2^(n-g)` contiguous amplitudes
//!   each; the highest `g` qubits start global (bits of the rank), bit `i` of a basis index is
//!   qubit `i` as in `qsim-core`.
//! - Circuits ([`DistributedState::apply_circuit`], [`DistributedState::run`]): a gate that mixes
//!   a global qubit is preceded by a swap of that qubit with a local one: the two partner ranks
//!   trade half of their slices in chunks of [`EXCHANGE_CHUNK`] amplitudes, and a
//!   logical<->physical [`QubitLayout`] records the relabelling, so later gates on that qubit run
//!   locally. Two [`Schedule`]s: [`Schedule::AsOneProcess`] (the default) runs `qsim-core`'s own
//!   cache-blocking stages on every slice and gives one process's bits exactly;
//!   [`Schedule::FewestExchanges`] runs light cones of local gates with `qsim-core`'s engine and
//!   swaps a global qubit in only when a gate mixes it (diagonal gates and controls on global
//!   qubits need no communication), agreeing with one process to rounding.
//! - Readout: probabilities of single qubits, measurement, norms and Pauli expectation values
//!   by reductions (partial sums added in rank order, so every rank gets the same bits);
//!   probabilities, amplitudes and samples gathered on rank 0 in logical order.
//! - [`Traffic`]: bytes exchanged per circuit beside a lower bound for its gates.
//!
//! Compared with one process: with [`Schedule::AsOneProcess`] amplitudes, mid-circuit outcomes and
//! samples are the same bits (one uniform per measurement from a generator seeded the same on
//! every rank; the same alias table and draws on rank 0). With [`Schedule::FewestExchanges`]
//! amplitudes agree to rounding (1e-16 on the Qiskit references), so outcomes and samples are
//! the same unless a draw falls within rounding of a probability threshold. Expectation values
//! and qubit probabilities from [`DistributedState::probability_of_one`] add the ranks' partial
//! sums in rank order under both schedules: they agree with one process to rounding.
//!
//! ```no_run
//! # #[cfg(feature = "mpi")]
//! # fn main() -> Result<(), qsim_mpi::Error> {
//! use qsim_core::circuit::Circuit;
//! use qsim_mpi::DistributedState;
//! let universe = mpi::initialize().expect("MPI initialises once");
//! let mut c = Circuit::new(20);
//! c.h(19)?.cx(19, 0)?;
//! let mut psi = DistributedState::new(&universe.world(), 20)?;
//! let traffic = psi.apply_circuit(&c, &[])?;
//! if let Some(p) = psi.probabilities_on_root() {
//!     println!("p(0) = {}, {} bytes exchanged", p[0], traffic.bytes_exchanged);
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "mpi"))]
//! # fn main() {}
//! ```
//!
//! Run programs that use it under `mpirun` (one rank per process; a power of two of them).
#![warn(missing_docs)]
#![deny(unsafe_code)]
// Without the feature the items this documentation links to are not compiled.
#![cfg_attr(not(feature = "mpi"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "mpi")]
mod block;
#[cfg(feature = "mpi")]
mod collective;
#[cfg(feature = "mpi")]
pub mod error;
#[cfg(feature = "mpi")]
mod exact;
#[cfg(feature = "mpi")]
mod exchange;
#[cfg(feature = "mpi")]
pub mod layout;
#[cfg(feature = "mpi")]
mod plan;
#[cfg(feature = "mpi")]
pub mod readout;
#[cfg(feature = "mpi")]
mod schedule;
#[cfg(feature = "mpi")]
pub mod state;
#[cfg(feature = "mpi")]
pub mod traffic;

#[cfg(feature = "mpi")]
pub use error::{Error, Result};
#[cfg(feature = "mpi")]
pub use exchange::EXCHANGE_CHUNK;
#[cfg(feature = "mpi")]
pub use layout::QubitLayout;
/// The rsmpi crate this one is built on (`mpi::initialize`, communicators), so that users need
/// no second dependency on it.
#[cfg(feature = "mpi")]
pub use mpi;
#[cfg(feature = "mpi")]
pub use schedule::Schedule;
#[cfg(feature = "mpi")]
pub use state::DistributedState;
#[cfg(feature = "mpi")]
pub use traffic::Traffic;
