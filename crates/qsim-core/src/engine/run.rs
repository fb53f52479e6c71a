//! Plans and runs a list of unitary operations: fusion, stages and chunk programs built once
//! ([`Plan::new`]), then per parameter vector the bound kernels run chunk by chunk, with a
//! relayout pass between stages.

use num_complex::Complex64;
use rayon::prelude::*;

use super::compile::{Program, diagonal_kernels, kernel_of};
use super::fusion::{Class, FusedOp, FusionPlan};
use super::memory::allocate_spare;
use super::schedule::schedule;
use super::stages::{CHUNK_BITS, Layout, plan_stages};
use crate::circuit::{Circuit, Operation};
use crate::kernels::{self, Kernel};

/// States up to this many qubits (128 KiB) run as a single chunk on the calling thread.
const SERIAL_MAX_QUBITS: usize = 13;

/// Applies the unitary operations `ops` (barriers skipped) with parameters `theta`, planning from
/// scratch. Callers have validated qubits and `theta`; non-unitary operations must not be present.
pub(crate) fn run_unitary(amps: &mut Vec<Complex64>, ops: &[Operation], theta: &[f64]) {
    let n = amps.len().trailing_zeros() as usize;
    Plan::new(ops, n).run(amps, ops, theta);
}

/// How to run a list of unitary operations on `n` qubits, for any parameter vector: the fusion
/// recipes, the cache-blocking stages and the order inside each stage. Planning costs far more
/// than binding, so circuits keep their plan (see [`Plan::for_circuit`]).
#[derive(Debug)]
pub(crate) struct Plan {
    n: usize,
    fusion: FusionPlan,
    execution: Execution,
}

#[derive(Debug)]
enum Execution {
    /// The whole state is one chunk: one program, on the calling thread.
    Serial { program: Program },
    /// Cache-blocked stages over chunks of `2^chunk_bits` amplitudes.
    Blocked { chunk_bits: usize, stages: Vec<PlannedStage> },
}

#[derive(Debug)]
struct PlannedStage {
    /// The qubits its operations touch, as a bit mask.
    qubits: u64,
    /// The scheduled recipes.
    order: Vec<usize>,
    /// Their program, compiled for the stage's layout (its qubits all below `chunk_bits`).
    program: Program,
}

impl Plan {
    /// The plan of `circuit` for a state of exactly its width, built once and kept in the
    /// circuit's plan cache.
    pub(crate) fn for_circuit(circuit: &Circuit) -> &Plan {
        circuit.plans().get_or_init(|| Plan::new(circuit.ops(), circuit.num_qubits()))
    }

    /// Plans `ops` for a state of `n` qubits.
    pub(crate) fn new(ops: &[Operation], n: usize) -> Self {
        let fusion = FusionPlan::new(ops, n);
        let recipes = fusion.recipes();
        let classes: Vec<Class> = recipes.iter().map(|r| r.class()).collect();
        let qubits: Vec<Vec<usize>> = recipes.iter().map(|r| r.qubits()).collect();
        let execution = if n <= SERIAL_MAX_QUBITS {
            let all: Vec<usize> = (0..recipes.len()).collect();
            let order = schedule(&classes, &qubits, &all);
            Execution::Serial {
                program: Program::compile(recipes, &order, &Layout::identity(n), n),
            }
        } else {
            let chunk_bits = CHUNK_BITS.min(n - 3);
            let mut layout = Layout::identity(n);
            let stages = plan_stages(&qubits, chunk_bits)
                .into_iter()
                .map(|stage| {
                    layout = layout.bring_low(stage.qubits, chunk_bits);
                    let order = schedule(&classes, &qubits, &stage.ops);
                    let program = Program::compile(recipes, &order, &layout, chunk_bits);
                    PlannedStage { qubits: stage.qubits, order, program }
                })
                .collect();
            Execution::Blocked { chunk_bits, stages }
        };
        Self { n, fusion, execution }
    }

    /// Runs the plan with angles `theta` on `amps` (which must have `2^n` entries).
    pub(crate) fn run(&self, amps: &mut Vec<Complex64>, ops: &[Operation], theta: &[f64]) {
        debug_assert_eq!(amps.len(), 1 << self.n);
        let fused = self.fusion.bind(ops, theta);
        self.run_bound(amps, &fused);
    }

    /// Runs the plan with its operations already bound (`fused`, from [`Plan::bind`]).
    pub(crate) fn run_bound(&self, amps: &mut Vec<Complex64>, fused: &[FusedOp]) {
        if fused.is_empty() {
            return;
        }
        match &self.execution {
            Execution::Serial { program } => {
                kernels::run_program_owned(amps, &program.materialize(fused));
            }
            Execution::Blocked { chunk_bits, stages } => {
                let identity = Layout::identity(self.n);
                let mut layout = identity.clone();
                let mut spare: Vec<Complex64> = Vec::new();
                for stage in stages {
                    let target = &stage.program.layout;
                    if *target != layout {
                        if !relayout(amps, &mut spare, &layout, target) {
                            // No memory for the second buffer: finish without cache blocking.
                            run_unblocked(amps, fused, &stage.order, &layout);
                            continue;
                        }
                        layout = target.clone();
                    }
                    let program = stage.program.materialize(fused);
                    run_chunks(amps, &mut spare, &program, 1 << chunk_bits);
                }
                if layout != identity && !relayout(amps, &mut spare, &layout, &identity) {
                    unreachable!("the spare buffer exists once any relayout succeeded");
                }
            }
        }
    }
}

/// A plan seen stage by stage (see [`crate::staged`]): what a caller holding the state in
/// pieces needs to run it exactly as [`Plan::run`] does.
impl Plan {
    /// Width of the state the plan is for.
    pub(crate) fn num_qubits(&self) -> usize {
        self.n
    }

    /// `Some(chunk_bits)` for cache-blocked plans, `None` for a single whole-state program.
    pub(crate) fn chunk_bits(&self) -> Option<usize> {
        match &self.execution {
            Execution::Serial { .. } => None,
            Execution::Blocked { chunk_bits, .. } => Some(*chunk_bits),
        }
    }

    /// Number of cache-blocking stages (0 for a serial plan).
    pub(crate) fn stage_count(&self) -> usize {
        match &self.execution {
            Execution::Serial { .. } => 0,
            Execution::Blocked { stages, .. } => stages.len(),
        }
    }

    /// The qubits of stage `i` with the bit position each has while the stage runs (all below
    /// the chunk bits), ascending by qubit.
    pub(crate) fn stage_positions(&self, i: usize) -> Vec<(usize, usize)> {
        let Execution::Blocked { stages, .. } = &self.execution else { return Vec::new() };
        let stage = &stages[i];
        (0..self.n)
            .filter(|&q| (stage.qubits >> q) & 1 == 1)
            .map(|q| (q, stage.program.layout.position[q]))
            .collect()
    }

    /// Runs stage `i` with the bound operations `fused` on every chunk of `amps`, whose length
    /// is a multiple of the chunk, with the stage's qubits at [`Plan::stage_positions`].
    pub(crate) fn run_stage(
        &self,
        i: usize,
        fused: &[FusedOp],
        amps: &mut Vec<Complex64>,
        spare: &mut Vec<Complex64>,
    ) {
        if let Execution::Blocked { chunk_bits, stages } = &self.execution {
            let program = stages[i].program.materialize(fused);
            run_chunks(amps, spare, &program, 1 << chunk_bits);
        }
    }

    /// Runs a serial plan's program on the whole state `amps` (nothing for a blocked plan).
    pub(crate) fn run_serial(&self, fused: &[FusedOp], amps: &mut Vec<Complex64>) {
        if let Execution::Serial { program } = &self.execution {
            kernels::run_program_owned(amps, &program.materialize(fused));
        }
    }

    /// The operations bound to `theta`, as [`Plan::run`] binds them.
    pub(crate) fn bind(&self, ops: &[Operation], theta: &[f64]) -> Vec<FusedOp> {
        self.fusion.bind(ops, theta)
    }
}

/// Runs `program` on every chunk of `chunk` amplitudes. Permutations scatter into the matching
/// chunk of `spare` (a second full-size buffer, allocated here if the stage comes before any
/// relayout); if the program ends there, the buffers are swapped, not copied back. Without
/// memory for `spare`, each task scatters into a chunk-sized buffer of its own.
fn run_chunks(
    amps: &mut Vec<Complex64>,
    spare: &mut Vec<Complex64>,
    program: &[Kernel],
    chunk: usize,
) {
    let needs_spare = program.iter().any(|k| matches!(k, Kernel::Perm { .. }));
    if needs_spare && spare.len() != amps.len() && !allocate_spare(spare, amps.len()) {
        amps.par_chunks_mut(chunk).for_each_init(Vec::new, |scratch, chunk| {
            kernels::run_program(chunk, program, scratch)
        });
        return;
    }
    if !needs_spare {
        amps.par_chunks_mut(chunk).for_each(|c| {
            kernels::run_program(c, program, &mut Vec::new());
        });
        return;
    }
    // Every chunk runs the same program, so all end in the same buffer.
    let in_spare = amps
        .par_chunks_mut(chunk)
        .zip(spare.par_chunks_mut(chunk))
        .map(|(c, other)| kernels::run_program_split(c, program, other))
        .reduce(|| false, |a, b| a || b);
    if in_spare {
        std::mem::swap(amps, spare);
    }
}

/// Fallback when the second buffer cannot be allocated: the stage's operations as full-state
/// passes in the current layout (the stage's compiled program assumes the other layout).
fn run_unblocked(amps: &mut [Complex64], fused: &[FusedOp], order: &[usize], layout: &Layout) {
    let n = amps.len().trailing_zeros() as usize;
    let mut program = Vec::with_capacity(order.len());
    for &r in order {
        match &fused[r] {
            FusedOp::Diagonal { .. } => diagonal_kernels(fused, &[r], layout, n, &mut program),
            op => program.push(kernel_of(op, layout)),
        }
    }
    kernels::run_program(amps, &program, &mut Vec::new());
}

/// Moves the amplitudes from layout `from` to layout `to` through the spare buffer; false if the
/// buffer could not be allocated.
fn relayout(
    amps: &mut Vec<Complex64>,
    spare: &mut Vec<Complex64>,
    from: &Layout,
    to: &Layout,
) -> bool {
    if spare.len() != amps.len() && !allocate_spare(spare, amps.len()) {
        return false;
    }
    let n = from.position.len();
    let mut moves = vec![0usize; n];
    for q in 0..n {
        moves[from.position[q]] = to.position[q];
    }
    kernels::permute_bits(amps, spare, &moves);
    std::mem::swap(amps, spare);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::Param;

    /// Random circuits over the whole gate set, including widths that need several stages and
    /// relayouts, agree with the naive dense kernel applied gate by gate.
    #[test]
    fn engine_matches_gate_by_gate_reference() {
        use crate::circuit::gate::Gate;
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for (trial, &n) in [1usize, 2, 3, 5, 8, 13, 15, 16, 17].iter().enumerate() {
            let mut c = Circuit::new(n);
            let gates: Vec<Gate> =
                Gate::ALL.iter().copied().filter(|g| g.num_qubits() <= n).collect();
            for _ in 0..(60 + 10 * n) {
                let g = gates[rng.random_range(0..gates.len())];
                let mut qubits: Vec<usize> = (0..n).collect();
                for i in 0..g.num_qubits() {
                    let j = rng.random_range(i..n);
                    qubits.swap(i, j);
                }
                qubits.truncate(g.num_qubits());
                let params: Vec<Param> = (0..g.num_params())
                    .map(|_| Param::Fixed(rng.random_range(-3.0..3.0)))
                    .collect();
                c.gate(g, &qubits, &params).unwrap();
                // Staircase-like stretches exercise the merged diagonal and permutation paths.
                if rng.random_range(0..4) == 0 {
                    for q in 0..n {
                        c.rz(q, rng.random_range(-3.0..3.0)).unwrap();
                    }
                    for q in 0..n.saturating_sub(1) {
                        c.cx(q, q + 1).unwrap();
                    }
                }
            }
            let start: Vec<Complex64> = (0..1usize << n)
                .map(|i| Complex64::new((i as f64 * 0.37 + 0.1).sin(), (i as f64 * 0.11).cos()))
                .collect();
            let norm = start.iter().map(|a| a.norm_sqr()).sum::<f64>().sqrt();
            let start: Vec<Complex64> = start.iter().map(|a| a / norm).collect();
            let mut fast = start.clone();
            run_unitary(&mut fast, c.ops(), &[]);
            let mut slow = start;
            for op in c.ops() {
                if let Some(m) = op.matrix(&[]) {
                    super::super::apply::apply_matrix_reference(&mut slow, &op.qubits(), &m);
                }
            }
            let worst = fast.iter().zip(&slow).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
            assert!(worst < 1e-10, "trial {trial} (n = {n}): max deviation {worst:e}");
        }
    }
}
