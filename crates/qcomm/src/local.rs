//! [`LocalGroup`]: `K` ranks as threads of one process, to run and test data-parallel code
//! without MPI.

use std::sync::{Condvar, Mutex, MutexGuard};

use crate::collective::Collective;
use crate::error::{Error, Result};

/// Runs a closure as every rank of an in-process group of threads.
///
/// Each rank gets a [`LocalRank`], a [`Collective`] whose collectives meet the other threads';
/// a rank that returns (or panics) while the others wait in a collective makes them fail with
/// [`Error::RankLeft`] instead of waiting forever.
#[derive(Clone, Copy, Debug)]
pub struct LocalGroup;

impl LocalGroup {
    /// Runs `work` on `size` ranks (threads; `size` 0 is taken as 1) and returns their
    /// results in rank order. A panic in `work` is passed on once every rank has ended.
    pub fn run<T: Send>(size: usize, work: impl Fn(&LocalRank) -> T + Sync) -> Vec<T> {
        let size = size.max(1);
        let shared = Shared {
            size,
            round: Mutex::new(Round {
                arrived: 0,
                generation: 0,
                left: false,
                slots: vec![Vec::new(); size],
                bytes: Vec::new(),
            }),
            turn: Condvar::new(),
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..size)
                .map(|rank| {
                    let (shared, work) = (&shared, &work);
                    scope.spawn(move || work(&LocalRank { rank, shared }))
                })
                .collect();
            let results: Vec<std::thread::Result<T>> =
                handles.into_iter().map(|h| h.join()).collect();
            results
                .into_iter()
                .map(|r| r.unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    }
}

/// One rank of a [`LocalGroup`].
#[derive(Debug)]
pub struct LocalRank<'a> {
    rank: usize,
    shared: &'a Shared,
}

/// What the ranks of a group share.
#[derive(Debug)]
struct Shared {
    size: usize,
    round: Mutex<Round>,
    turn: Condvar,
}

/// The state of the group's meeting point.
#[derive(Debug)]
struct Round {
    /// Ranks waiting in the current meeting.
    arrived: usize,
    /// Meetings completed.
    generation: u64,
    /// A rank has ended: meetings that are not complete never will be.
    left: bool,
    /// Each rank's part of the current all-gather.
    slots: Vec<Vec<f64>>,
    /// The root's bytes of the current broadcast.
    bytes: Vec<u8>,
}

impl LocalRank<'_> {
    fn lock(&self) -> Result<MutexGuard<'_, Round>> {
        self.shared.round.lock().map_err(|_| Error::RankLeft { rank: self.rank })
    }

    /// Waits until every rank has arrived (or fails if one has left).
    fn meet(&self) -> Result<()> {
        let mut round = self.lock()?;
        let generation = round.generation;
        round.arrived += 1;
        if round.arrived == self.shared.size {
            round.arrived = 0;
            round.generation += 1;
            self.shared.turn.notify_all();
            return Ok(());
        }
        loop {
            if round.generation != generation {
                return Ok(());
            }
            if round.left {
                return Err(Error::RankLeft { rank: self.rank });
            }
            round =
                self.shared.turn.wait(round).map_err(|_| Error::RankLeft { rank: self.rank })?;
        }
    }
}

impl Drop for LocalRank<'_> {
    fn drop(&mut self) {
        let mut round = match self.shared.round.lock() {
            Ok(round) => round,
            Err(poisoned) => poisoned.into_inner(),
        };
        round.left = true;
        self.shared.turn.notify_all();
    }
}

impl Collective for LocalRank<'_> {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.shared.size
    }

    fn all_gather(&self, local: &[f64]) -> Result<Vec<Vec<f64>>> {
        self.lock()?.slots[self.rank] = local.to_vec();
        self.meet()?;
        let parts = self.lock()?.slots.clone();
        // Nobody overwrites a slot before everyone has read them all.
        self.meet()?;
        Ok(parts)
    }

    fn broadcast(&self, root: usize, bytes: &mut Vec<u8>) -> Result<()> {
        if root >= self.shared.size {
            return Err(Error::NoSuchRoot { root, size: self.shared.size });
        }
        if self.rank == root {
            self.lock()?.bytes = bytes.clone();
        }
        self.meet()?;
        if self.rank != root {
            *bytes = self.lock()?.bytes.clone();
        }
        self.meet()
    }

    fn barrier(&self) -> Result<()> {
        self.meet()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_gather_in_rank_order_and_broadcast_from_any_root() {
        let results = LocalGroup::run(4, |comm| -> Result<_> {
            let r = comm.rank() as f64;
            let mut gathered = Vec::new();
            for round in 0..3 {
                let local = vec![r + 10.0 * round as f64; comm.rank()];
                gathered.push(comm.all_gather(&local)?);
            }
            let mut bytes = if comm.rank() == 2 { b"root".to_vec() } else { Vec::new() };
            comm.broadcast(2, &mut bytes)?;
            comm.barrier()?;
            Ok((gathered, bytes))
        });
        for result in results {
            let (gathered, bytes) = result.unwrap();
            for (round, parts) in gathered.iter().enumerate() {
                for (rank, part) in parts.iter().enumerate() {
                    assert_eq!(part, &vec![rank as f64 + 10.0 * round as f64; rank]);
                }
            }
            assert_eq!(bytes, b"root");
        }
    }

    #[test]
    fn a_rank_that_leaves_fails_the_others_instead_of_hanging() {
        let results = LocalGroup::run(3, |comm| {
            if comm.rank() == 1 {
                return Ok(());
            }
            comm.barrier()
        });
        assert!(results[1].is_ok());
        assert!(matches!(results[0], Err(Error::RankLeft { rank: 0 })));
        assert!(matches!(results[2], Err(Error::RankLeft { rank: 2 })));
    }

    #[test]
    fn a_bad_root_is_an_error() {
        let results = LocalGroup::run(2, |comm| comm.broadcast(5, &mut Vec::new()));
        assert!(results.iter().all(|r| matches!(r, Err(Error::NoSuchRoot { root: 5, size: 2 }))));
    }
}
