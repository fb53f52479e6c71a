//! The schedule that reproduces one process bit for bit ([`Schedule::AsOneProcess`]).
//!
//! One process runs a circuit as the engine's cache-blocking stages ([`StagedRun`]): before a
//! stage its qubits move to fixed low positions, then the same chunk program runs on every chunk.
//! A rank runs the same stages on its slice. Before a stage, each of the stage's qubits that is
//! global is swapped with a local qubit outside the stage, the one whose next stage lies furthest
//! ahead (Belady's rule); then one local pass puts the stage's qubits at their positions, and the
//! stage's program runs on the slice's chunks. Each amplitude goes through the same arithmetic
//! as in one process, so the results are the same bits.
//!
//! States small enough for one whole-state program (13 qubits and fewer) are gathered, run on
//! every rank and sliced again: at 128 KiB there is nothing to gain from splitting them.
//!
//! [`Schedule::AsOneProcess`]: crate::Schedule::AsOneProcess

use mpi::traits::{Communicator, Root};
use num_complex::Complex64;
use qsim_core::staged::{StagedRun, permute_positions};

use crate::error::{Error, Result};
use crate::exchange::swap_global_local;
use crate::layout::QubitLayout;
use crate::state::DistributedState;

impl DistributedState {
    /// Runs `staged` (planned for this state's width) as one process would; returns the bytes
    /// this rank sent and the swaps. Collective.
    pub(crate) fn run_as_one_process(&mut self, staged: &StagedRun<'_>) -> Result<(u64, u64)> {
        if staged.is_empty() {
            return Ok((0, 0));
        }
        let Some(chunk_bits) = staged.chunk_bits() else {
            return Ok((self.run_replicated(staged)?, 0));
        };
        let local = self.local_qubits;
        if chunk_bits > local {
            return Err(Error::SliceSmallerThanChunk { local_qubits: local, chunk_bits });
        }
        let stages: Vec<Vec<(usize, usize)>> =
            (0..staged.stages()).map(|i| staged.stage_positions(i)).collect();
        let (mut sent, mut swaps) = (0u64, 0u64);
        for (i, step) in plan_stages(&stages, &self.layout, local).into_iter().enumerate() {
            for &(global, victim) in &step.swaps {
                sent += self.swap(global, victim);
                swaps += 1;
            }
            if self.is_active() {
                permute_positions(&mut self.amps, &mut self.spare, &step.moves)?;
                staged.run_stage(i, &mut self.amps, &mut self.spare)?;
            }
            self.layout.move_local(&step.moves);
        }
        // As one process drops its relayout buffer after a circuit, so that a state at rest
        // holds its slice alone.
        self.spare = Vec::new();
        Ok((sent, swaps))
    }

    /// Swaps the qubits at a global and a local position (data and layout); returns the bytes
    /// this rank sent. Collective.
    fn swap(&mut self, global: usize, local: usize) -> u64 {
        let sent = if self.is_active() {
            swap_global_local(&self.comm, &mut self.amps, global, local, self.exchange_chunk)
        } else {
            0
        };
        self.layout.swap_positions(global, local);
        sent
    }

    /// Puts every qubit back at its own position, as one process's state is between circuits;
    /// returns the bytes this rank sent. Collective.
    pub(crate) fn restore_identity_layout(&mut self) -> Result<u64> {
        let local = self.local_qubits;
        let mut sent = 0;
        for position in local..self.num_qubits {
            let at = self.layout.physical(position);
            if at < local {
                sent += self.swap(position, at);
            }
        }
        let to: Vec<usize> = (0..local).map(|p| self.layout.logical(p)).collect();
        if self.is_active() {
            permute_positions(&mut self.amps, &mut self.spare, &to)?;
        }
        self.layout.move_local(&to);
        Ok(sent)
    }

    /// A whole-state program: gathered on rank 0, broadcast, run on every rank, sliced again
    /// (identity layout afterwards). Returns the bytes this rank sent.
    fn run_replicated(&mut self, staged: &StagedRun<'_>) -> Result<u64> {
        let gathered = self.amplitudes_on_root();
        let len = 1usize << self.num_qubits;
        let mut full = gathered.unwrap_or_else(|| vec![Complex64::new(0.0, 0.0); len]);
        self.comm.process_at_rank(0).broadcast_into(&mut full[..]);
        staged.run_whole(&mut full)?;
        let slice = self.amps.len();
        if self.is_active() {
            let start = self.rank * slice;
            self.amps.copy_from_slice(&full[start..start + slice]);
        }
        self.layout = QubitLayout::identity(self.num_qubits);
        let bytes = |amplitudes: usize| (amplitudes * size_of::<Complex64>()) as u64;
        Ok(match self.rank {
            0 => bytes(len) * (self.ranks as u64 - 1),
            r if r < self.active_ranks => bytes(slice),
            _ => 0,
        })
    }
}

/// What a rank does before one stage: swaps (global position, local position), in order, then
/// one local pass (`moves[p]`: where the bit at local position `p` goes).
struct StageStep {
    swaps: Vec<(usize, usize)>,
    moves: Vec<usize>,
}

/// The steps before each stage, from `start` with `local` local qubits: each of the stage's
/// global qubits is swapped with the local qubit outside the stage whose next stage lies
/// furthest ahead (Belady's rule; ties to the highest position), then the stage's qubits move
/// to their positions (`stages[i]`: the stage's `(qubit, position)` pairs, positions below
/// `local`).
fn plan_stages(
    stages: &[Vec<(usize, usize)>],
    start: &QubitLayout,
    local: usize,
) -> Vec<StageStep> {
    // uses[q]: the stages that need qubit q, ascending.
    let mut uses: Vec<Vec<usize>> = vec![Vec::new(); start.num_qubits()];
    for (i, stage) in stages.iter().enumerate() {
        stage.iter().for_each(|&(q, _)| uses[q].push(i));
    }
    let mut layout = start.clone();
    let mut steps = Vec::with_capacity(stages.len());
    for (i, stage) in stages.iter().enumerate() {
        let in_stage = |q: usize| stage.iter().any(|&(s, _)| s == q);
        let next_use = |q: usize| {
            let u = &uses[q];
            u.get(u.partition_point(|&j| j <= i)).copied().unwrap_or(usize::MAX)
        };
        let mut swaps = Vec::new();
        for &(q, _) in stage {
            if layout.physical(q) < local {
                continue;
            }
            let victim = (0..local)
                .filter(|&p| !in_stage(layout.logical(p)))
                .max_by_key(|&p| (next_use(layout.logical(p)), p))
                .expect("a stage has at most chunk_bits <= local qubits");
            swaps.push((layout.physical(q), victim));
            layout.swap_positions(layout.physical(q), victim);
        }
        let moves = local_moves(&layout, local, stage);
        layout.move_local(&moves);
        steps.push(StageStep { swaps, moves });
    }
    steps
}

/// The move of every local position (`to[p]`: where the bit at `p` goes) that puts each of the
/// stage's qubits at its position; the local qubits it displaces take the positions the stage's
/// qubits leave, lowest first.
fn local_moves(layout: &QubitLayout, local: usize, stage: &[(usize, usize)]) -> Vec<usize> {
    let mut to: Vec<usize> = (0..local).collect();
    let targets: Vec<usize> = stage.iter().map(|&(_, t)| t).collect();
    let mut vacated: Vec<usize> =
        stage.iter().map(|&(q, _)| layout.physical(q)).filter(|p| !targets.contains(p)).collect();
    vacated.sort_unstable_by(|a, b| b.cmp(a));
    for &(q, t) in stage {
        to[layout.physical(q)] = t;
    }
    for &t in &targets {
        let displaced = layout.logical(t);
        if !stage.iter().any(|&(s, _)| s == displaced) {
            to[t] = vacated.pop().expect("as many vacated positions as displaced qubits");
        }
    }
    to
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::staircase;

    /// The swaps the exact schedule makes on the 15-layer staircase, from 24 to 40 qubits and 1
    /// to 10 global qubits (the engine's stages are planned without any state): what the scaling
    /// model of docs/results.md uses.
    #[test]
    fn staircase_swaps_as_one_process() {
        let mut found = Vec::new();
        for n in [24usize, 26, 28, 36, 37, 38, 39, 40] {
            let c = staircase(n);
            let staged = StagedRun::new(&c, &[], n).unwrap();
            let stages: Vec<Vec<(usize, usize)>> =
                (0..staged.stages()).map(|i| staged.stage_positions(i)).collect();
            let counts: Vec<usize> = (1..=10)
                .map(|g| {
                    let steps = plan_stages(&stages, &QubitLayout::identity(n), n - g);
                    // Every stage's qubits end up local, at their positions.
                    let mut layout = QubitLayout::identity(n);
                    for (step, stage) in steps.iter().zip(&stages) {
                        step.swaps.iter().for_each(|&(a, b)| layout.swap_positions(a, b));
                        layout.move_local(&step.moves);
                        assert!(stage.iter().all(|&(q, p)| layout.physical(q) == p));
                    }
                    steps.iter().map(|s| s.swaps.len()).sum()
                })
                .collect();
            found.push((n, counts));
        }
        // Pinned: scripts/mpi_scaling_model.py copies the 36- to 40-qubit rows.
        let expected: [(usize, [usize; 10]); 8] = [
            (24, [3, 8, 15, 23, 33, 44, 57, 71, 86, 102]),
            (26, [3, 8, 16, 26, 38, 52, 68, 85, 104, 124]),
            (28, [3, 9, 18, 30, 43, 58, 75, 93, 113, 134]),
            (36, [3, 7, 13, 20, 28, 37, 47, 59, 72, 86]),
            (37, [3, 7, 13, 20, 28, 38, 49, 61, 74, 88]),
            (38, [3, 8, 14, 22, 32, 43, 55, 69, 84, 100]),
            (39, [3, 7, 13, 21, 31, 42, 54, 68, 83, 99]),
            (40, [3, 7, 14, 22, 32, 44, 57, 71, 86, 103]),
        ];
        assert_eq!(found.len(), expected.len());
        for ((n, counts), (m, want)) in found.iter().zip(expected) {
            assert_eq!((*n, &counts[..]), (m, &want[..]));
        }
    }
}
