//! [`SingleProcess`]: the collective of one process.

use crate::collective::Collective;
use crate::error::{Error, Result};

/// The group of one rank: every collective returns at once, without copying more than its
/// result needs. Data-parallel code run with it is the plain one-process computation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SingleProcess;

impl Collective for SingleProcess {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_gather(&self, local: &[f64]) -> Result<Vec<Vec<f64>>> {
        Ok(vec![local.to_vec()])
    }

    fn broadcast(&self, root: usize, _bytes: &mut Vec<u8>) -> Result<()> {
        if root != 0 {
            return Err(Error::NoSuchRoot { root, size: 1 });
        }
        Ok(())
    }

    fn barrier(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rank_gathers_itself_and_refuses_other_roots() {
        let comm = SingleProcess;
        assert_eq!((comm.rank(), comm.size(), comm.is_root()), (0, 1, true));
        assert_eq!(comm.all_gather(&[1.0, 2.0]).unwrap(), [vec![1.0, 2.0]]);
        let mut bytes = vec![3];
        comm.broadcast(0, &mut bytes).unwrap();
        assert_eq!(bytes, [3]);
        assert!(matches!(comm.broadcast(1, &mut bytes), Err(Error::NoSuchRoot { .. })));
        comm.barrier().unwrap();
    }
}
