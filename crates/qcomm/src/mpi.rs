//! [`Mpi`]: the collective over `MPI_COMM_WORLD`, for programs started by `mpirun`.
//!
//! MPI's default error handler (`MPI_ERRORS_ARE_FATAL`) stays in force: a failed
//! communication, or a rank that dies, ends the whole job (with OpenMPI, `mpirun` kills the
//! other ranks and exits non-zero) rather than leaving the others waiting.

use mpi::Count;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives, Root};

use crate::collective::Collective;
use crate::error::{Error, Result};

/// The ranks of `MPI_COMM_WORLD`. Create one per process, first thing in `main` (MPI can be
/// initialised once); dropping it finalises MPI. Calls MPI from the thread that created it
/// only (it is neither `Send` nor `Sync`).
pub struct Mpi {
    world: SimpleCommunicator,
    /// Finalises MPI when dropped (after `world`).
    _universe: Universe,
}

impl std::fmt::Debug for Mpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mpi").field("rank", &self.rank()).field("size", &self.size()).finish()
    }
}

impl Mpi {
    /// Initialises MPI (single-threaded: only this thread calls MPI). A program not started by
    /// `mpirun` runs as a group of one.
    pub fn init() -> Result<Self> {
        let universe = mpi::initialize().ok_or_else(|| Error::MpiInit {
            reason: "MPI was already initialised in this process".into(),
        })?;
        Ok(Self { world: universe.world(), _universe: universe })
    }

    /// Ends every rank of the job with `code` (`MPI_Abort`): what a rank does after an error
    /// the others cannot know of, so that they do not wait for it forever.
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }
}

/// `len` as an MPI count.
fn count(len: usize) -> Result<Count> {
    Count::try_from(len).map_err(|_| Error::TooLong { len })
}

impl Collective for Mpi {
    fn rank(&self) -> usize {
        // MPI ranks are non-negative.
        usize::try_from(self.world.rank()).unwrap_or(0)
    }

    fn size(&self) -> usize {
        usize::try_from(self.world.size()).unwrap_or(1)
    }

    fn all_gather(&self, local: &[f64]) -> Result<Vec<Vec<f64>>> {
        let size = self.size();
        let mine = count(local.len())?;
        let mut counts: Vec<Count> = vec![0; size];
        self.world.all_gather_into(&mine, &mut counts[..]);
        let mut displs: Vec<Count> = Vec::with_capacity(size);
        let mut total: usize = 0;
        for &c in &counts {
            displs.push(count(total)?);
            total += usize::try_from(c).unwrap_or(0);
        }
        count(total)?;
        let mut buffer = vec![0.0; total];
        {
            let mut partition = PartitionMut::new(&mut buffer[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(local, &mut partition);
        }
        let mut parts = Vec::with_capacity(size);
        let mut rest = &buffer[..];
        for &c in &counts {
            let (part, tail) = rest.split_at(usize::try_from(c).unwrap_or(0));
            parts.push(part.to_vec());
            rest = tail;
        }
        Ok(parts)
    }

    fn broadcast(&self, root: usize, bytes: &mut Vec<u8>) -> Result<()> {
        let size = self.size();
        let root_rank = match count(root) {
            Ok(r) if root < size => r,
            _ => return Err(Error::NoSuchRoot { root, size }),
        };
        let process = self.world.process_at_rank(root_rank);
        let mut len = bytes.len() as u64;
        process.broadcast_into(&mut len);
        let len = usize::try_from(len).map_err(|_| Error::TooLong { len: usize::MAX })?;
        count(len)?;
        bytes.resize(len, 0);
        process.broadcast_into(&mut bytes[..]);
        Ok(())
    }

    fn barrier(&self) -> Result<()> {
        self.world.barrier();
        Ok(())
    }
}
