//! Reductions that give every rank the same bits: partial sums gathered and added in rank order
//! (an `MPI_Allreduce` may add in any order, and different orders on different ranks).

use mpi::collective::SystemOperation;
use mpi::traits::{Communicator, CommunicatorCollectives, Destination, Root, Source};

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

/// A sum that one process would make by adding terms in order, split over ranks `0..active`:
/// rank `r` continues the running sum of the ranks before it with its own terms (`fold` gets
/// the running sum and returns it with this rank's terms added) and passes it on; the total
/// goes to every rank. The same bits as one process's, at the price of ranks taking turns.
/// Collective.
pub(crate) fn chained_sum<C: Communicator>(
    comm: &C,
    active: usize,
    fold: impl FnOnce(f64) -> f64,
) -> f64 {
    let rank = comm.rank() as usize;
    let mut running = 0.0f64;
    if rank < active {
        if rank > 0 {
            comm.process_at_rank(rank as i32 - 1).receive_into(&mut running);
        }
        running = fold(running);
        if rank + 1 < active {
            comm.process_at_rank(rank as i32 + 1).send(&running);
        }
    }
    comm.process_at_rank(active as i32 - 1).broadcast_into(&mut running);
    running
}
