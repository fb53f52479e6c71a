//! Cache blocking: stages of operations that fit one chunk, and the qubit layouts that make each
//! stage's qubits the low bit positions.

/// Chunk size for cache blocking: 2^14 amplitudes = 256 KiB, half a core's L2 here, leaving room
/// for the permutation scratch buffer.
pub(super) const CHUNK_BITS: usize = 14;

/// Where each logical qubit currently sits among the bit positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Layout {
    /// `position[q]`: bit position of logical qubit `q`.
    pub(super) position: Vec<usize>,
}

impl Layout {
    /// Every qubit at its own position.
    pub(super) fn identity(n: usize) -> Self {
        Self { position: (0..n).collect() }
    }

    /// A layout with every qubit of the mask `qubits` in a position below `low`, moving as few
    /// qubits as possible; evicted qubits take the vacated high positions.
    pub(super) fn bring_low(&self, qubits: u64, low: usize) -> Layout {
        let mut next = self.clone();
        let n = self.position.len();
        let mut at: Vec<usize> = vec![0; n];
        for (q, &p) in self.position.iter().enumerate() {
            at[p] = q;
        }
        // Low positions whose qubit is not needed, highest first so low runs stay contiguous.
        let mut free: Vec<usize> = (0..low).filter(|&p| (qubits >> at[p]) & 1 == 0).collect();
        for q in 0..n {
            if (qubits >> q) & 1 == 1 && self.position[q] >= low {
                let p = free.pop().expect("a stage never needs more qubits than the chunk holds");
                let evicted = at[p];
                next.position[evicted] = self.position[q];
                next.position[q] = p;
            }
        }
        next
    }
}

/// A cache-blocking stage: the operations it runs and the qubits (bit mask) they touch.
pub(super) struct Stage {
    /// The qubits its operations touch, as a bit mask.
    pub(super) qubits: u64,
    /// Its operations (indices), in dependency order.
    pub(super) ops: Vec<usize>,
}

fn mask(qubits: &[usize]) -> u64 {
    qubits.iter().fold(0, |m, &q| m | (1u64 << q))
}

/// Greedy stages of at most `capacity` qubits each, in dependency order.
pub(super) fn plan_stages(qubits: &[Vec<usize>], capacity: usize) -> Vec<Stage> {
    let masks: Vec<u64> = qubits.iter().map(|q| mask(q)).collect();
    let mut remaining: Vec<usize> = (0..qubits.len()).collect();
    let mut stages = Vec::new();
    while !remaining.is_empty() {
        let (mut used, mut blocked) = (0u64, 0u64);
        let mut taken = Vec::new();
        let mut rest = Vec::new();
        for &i in &remaining {
            let m = masks[i];
            if m & blocked == 0 && (used | m).count_ones() as usize <= capacity {
                used |= m;
                taken.push(i);
            } else {
                blocked |= m;
                rest.push(i);
            }
        }
        stages.push(Stage { qubits: used, ops: taken });
        remaining = rest;
    }
    stages
}

#[cfg(test)]
mod tests {
    use super::super::fusion::{FusedOp, fuse};
    use super::*;
    use crate::circuit::{Circuit, Param};

    fn staircase(n: usize, layers: usize) -> Circuit {
        let mut c = Circuit::new(n);
        for l in 0..layers {
            for q in 0..n {
                c.ry(q, Param::var(2 * (l * n + q))).unwrap();
                c.rz(q, Param::var(2 * (l * n + q) + 1)).unwrap();
            }
            for q in 0..n - 1 {
                c.cx(q, q + 1).unwrap();
            }
        }
        c
    }

    #[test]
    fn staircase_stages_cover_many_layers() {
        let c = staircase(24, 15);
        let theta: Vec<f64> = (0..c.num_params()).map(|i| i as f64 * 0.01).collect();
        let fused = fuse(c.ops(), &theta, 24);
        let qubits: Vec<Vec<usize>> = fused.iter().map(FusedOp::qubits).collect();
        let stages = plan_stages(&qubits, CHUNK_BITS);
        assert!(stages.iter().all(|s| s.qubits.count_ones() as usize <= CHUNK_BITS));
        assert_eq!(stages.iter().map(|s| s.ops.len()).sum::<usize>(), fused.len());
        // Unblocked, each layer costs about 26 passes over the state (24 rotations, one merged
        // diagonal, one merged CNOT chain); blocked, each stage costs one relayout pass.
        assert!(stages.len() <= 20, "{} stages", stages.len());
    }

    #[test]
    fn bring_low_moves_only_what_is_needed() {
        let layout = Layout::identity(6);
        let next = layout.bring_low(0b110001, 3);
        assert_eq!(next.position[0], 0, "qubit 0 was already low");
        assert!(next.position[4] < 3 && next.position[5] < 3);
    }
}
