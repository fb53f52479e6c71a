//! The [`Collective`] trait: what data-parallel code needs from its group of processes.

use crate::error::Result;

/// A group of `size` ranks that call the same collectives in the same order. Every method is a
/// collective: all ranks must call it, with arguments that agree where documented.
///
/// Implementations: [`SingleProcess`](crate::SingleProcess) (one rank, no communication),
/// [`LocalRank`](crate::LocalRank) (a rank of an in-process thread group) and, with the `mpi`
/// feature, `Mpi` (the ranks of `MPI_COMM_WORLD`).
pub trait Collective {
    /// This process's rank, in `0..size()`.
    fn rank(&self) -> usize;

    /// The number of ranks.
    fn size(&self) -> usize;

    /// Every rank's `local` (of any length, lengths may differ between ranks), in rank order:
    /// element `r` of the result is what rank `r` passed. Values arrive bit for bit.
    fn all_gather(&self, local: &[f64]) -> Result<Vec<Vec<f64>>>;

    /// Replaces `bytes` on every rank by the root's `bytes` (of any length).
    fn broadcast(&self, root: usize, bytes: &mut Vec<u8>) -> Result<()>;

    /// Returns once every rank has called it.
    fn barrier(&self) -> Result<()>;

    /// True on rank 0, the rank that writes files and reports.
    fn is_root(&self) -> bool {
        self.rank() == 0
    }
}
