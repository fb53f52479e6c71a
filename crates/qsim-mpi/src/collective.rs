//! Reductions that give every rank the same bits: partial sums gathered and added in rank order
//! (an `MPI_Allreduce` may add in any order, and different orders on different ranks).

use mpi::collective::SystemOperation;
use mpi::traits::{Communicator, CommunicatorCollectives};

/// The sum over ranks of `value`, added in rank order, on every rank.
pub(crate) fn sum_in_rank_order<C: Communicator>(comm: &C, value: f64) -> f64 {
    let mut parts = vec![0.0f64; comm.size() as usize];
    comm.all_gather_into(&value, &mut parts[..]);
    parts.iter().sum()
}

/// The sum over ranks of a counter, on every rank.
pub(crate) fn sum_counts<C: Communicator>(comm: &C, value: u64) -> u64 {
    let mut total = 0u64;
    comm.all_reduce_into(&value, &mut total, SystemOperation::sum());
    total
}
