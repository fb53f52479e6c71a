//! Runs a sequence of unitary operations on an amplitude vector, fast.
//!
//! 1. [`fusion`](crate::fusion) binds the angles, multiplies out single-qubit runs and classifies
//!    every operation (diagonal, permutation, single-qubit, dense).
//! 2. Cache blocking: for states larger than one chunk (`2^CHUNK_BITS` amplitudes, sized for a
//!    core's L2), operations are grouped into stages that each touch at most `CHUNK_BITS` qubits.
//!    The greedy planner walks the dependency order and keeps taking every operation that fits,
//!    skipping (and blocking the qubits of) those that do not, so one stage covers a whole light
//!    cone of the circuit, often many layers deep. Before a stage its qubits are moved to the low
//!    bit positions (one out-of-place pass), so every chunk is a contiguous slice that one thread
//!    finishes in cache.
//! 3. Within a stage, operations are reordered (respecting dependencies) so that diagonal
//!    operations and CNOT-like permutations meet: all diagonal factors of a run become one
//!    table-driven pass, and a chain of CNOTs one scatter.

use num_complex::Complex64;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::circuit::{Circuit, Operation};
use crate::fusion::{Class, FusedOp, FusionPlan, Recipe};
use crate::kernels::{self, Kernel};

/// States up to this many qubits (128 KiB) run as a single chunk on the calling thread.
const SERIAL_MAX_QUBITS: usize = 13;

/// Chunk size for cache blocking: 2^14 amplitudes = 256 KiB, half a core's L2 here, leaving room
/// for the permutation scratch buffer.
const CHUNK_BITS: usize = 14;

/// Diagonal tables cover at most this many low bits (16 KiB, L1-resident).
const DIAG_LO_BITS: usize = 10;

/// Shorter runs of CNOT-like gates are applied one by one rather than as one scatter.
const PERM_MERGE_MIN: usize = 3;

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
                    PlannedStage { order, program }
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
        if fused.is_empty() {
            return;
        }
        match &self.execution {
            Execution::Serial { program } => {
                kernels::run_program_owned(amps, &program.materialize(&fused));
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
                            run_unblocked(amps, &fused, &stage.order, &layout);
                            continue;
                        }
                        layout = target.clone();
                    }
                    let program = stage.program.materialize(&fused);
                    run_chunks(amps, &mut spare, &program, 1 << chunk_bits);
                }
                if layout != identity && !relayout(amps, &mut spare, &layout, &identity) {
                    unreachable!("the spare buffer exists once any relayout succeeded");
                }
            }
        }
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

/// Makes `spare` a buffer of `len` amplitudes; false if the memory is not there.
fn allocate_spare(spare: &mut Vec<Complex64>, len: usize) -> bool {
    spare.clear();
    if spare.try_reserve_exact(len).is_err() {
        return false;
    }
    spare.resize(len, Complex64::new(0.0, 0.0));
    true
}

/// Chunk size used to apply one operation to a large state.
pub(crate) fn single_op_chunk_bits(n: usize) -> usize {
    CHUNK_BITS.min(n)
}

/// The chunk program of a single operation whose qubits all lie below `bits`.
pub(crate) fn single_op_program(op: &FusedOp, bits: usize) -> Vec<Kernel> {
    let layout = Layout::identity(op.qubits().into_iter().max().map_or(0, |q| q + 1).max(bits));
    let recipes = [Recipe::Fixed(op.clone())];
    Program::compile(&recipes, &[0], &layout, bits).materialize(std::slice::from_ref(op))
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

/// Where each logical qubit currently sits among the bit positions.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Layout {
    /// `position[q]`: bit position of logical qubit `q`.
    position: Vec<usize>,
}

impl Layout {
    fn identity(n: usize) -> Self {
        Self { position: (0..n).collect() }
    }

    /// A layout with every qubit of the mask `qubits` in a position below `low`, moving as few
    /// qubits as possible; evicted qubits take the vacated high positions.
    fn bring_low(&self, qubits: u64, low: usize) -> Layout {
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

/// A cache-blocking stage: the operations it runs and the qubits (bit mask) they touch.
struct Stage {
    qubits: u64,
    ops: Vec<usize>,
}

fn mask(qubits: &[usize]) -> u64 {
    qubits.iter().fold(0, |m, &q| m | (1u64 << q))
}

/// Greedy stages of at most `capacity` qubits each, in dependency order.
fn plan_stages(qubits: &[Vec<usize>], capacity: usize) -> Vec<Stage> {
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

/// Orders the operations `ops` (a dependency-closed subsequence) so that operations of one class
/// run back to back: whenever a class has ready operations, all of them (and any they unlock of
/// the same class) go first, preferring diagonal, then permutations, then single-qubit gates.
fn schedule(classes: &[Class], qubits: &[Vec<usize>], ops: &[usize]) -> Vec<usize> {
    let m = ops.len();
    let mut indegree = vec![0usize; m];
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); m];
    let mut last: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (pos, &i) in ops.iter().enumerate() {
        for &q in &qubits[i] {
            if let Some(p) = last.insert(q, pos) {
                if !successors[p].contains(&pos) {
                    successors[p].push(pos);
                    indegree[pos] += 1;
                }
            }
        }
    }
    let class_of = |pos: usize| classes[ops[pos]] as usize;
    let mut ready: [BinaryHeap<Reverse<usize>>; 4] = Default::default();
    for pos in 0..m {
        if indegree[pos] == 0 {
            ready[class_of(pos)].push(Reverse(pos));
        }
    }
    let mut out = Vec::with_capacity(m);
    while let Some(c) = (0..4).find(|&c| !ready[c].is_empty()) {
        while let Some(Reverse(pos)) = ready[c].pop() {
            out.push(ops[pos]);
            for &s in &successors[pos] {
                indegree[s] -= 1;
                if indegree[s] == 0 {
                    ready[class_of(s)].push(Reverse(s));
                }
            }
        }
    }
    out
}

/// One step of a compiled chunk program.
#[derive(Debug)]
enum Step {
    /// A kernel known at planning time (permutations, fixed gates).
    Fixed(Kernel),
    /// A recipe whose kernel depends on the angles.
    Bound { recipe: usize },
    /// A run of diagonal recipes merged into table kernels once the angles are known.
    Diagonal { recipes: Vec<usize> },
}

/// A chunk program: steps on physical positions below `bits`, in the layout it was compiled for.
#[derive(Debug)]
struct Program {
    steps: Vec<Step>,
    layout: Layout,
    bits: usize,
}

impl Program {
    /// Groups the scheduled recipes into steps: merged diagonal runs, merged CNOT chains, single
    /// kernels. Everything that does not depend on the angles is built here, once.
    fn compile(recipes: &[Recipe], order: &[usize], layout: &Layout, bits: usize) -> Self {
        let mut steps = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let class = recipes[order[i]].class();
            let mut j = i + 1;
            while j < order.len() && recipes[order[j]].class() == class {
                j += 1;
            }
            let run = &order[i..j];
            let fixed = |r: usize| match &recipes[r] {
                Recipe::Fixed(op) => Some(op),
                _ => None,
            };
            match class {
                Class::Diagonal => steps.push(Step::Diagonal { recipes: run.to_vec() }),
                Class::LinearPermutation if run.len() >= PERM_MERGE_MIN => {
                    let ops: Vec<&FusedOp> = run
                        .iter()
                        .map(|&r| fixed(r).expect("permutations have no angles"))
                        .collect();
                    steps.push(Step::Fixed(permutation_kernel(&ops, layout, bits)));
                }
                _ => {
                    for &r in run {
                        steps.push(match fixed(r) {
                            Some(op) => Step::Fixed(kernel_of(op, layout)),
                            None => Step::Bound { recipe: r },
                        });
                    }
                }
            }
            i = j;
        }
        Self { steps, layout: layout.clone(), bits }
    }

    /// The kernels for bound operations `fused` (indexed like the recipes).
    fn materialize(&self, fused: &[FusedOp]) -> Vec<Kernel> {
        let mut kernels = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            match step {
                Step::Fixed(k) => kernels.push(k.clone()),
                Step::Bound { recipe } => kernels.push(kernel_of(&fused[*recipe], &self.layout)),
                Step::Diagonal { recipes } => {
                    diagonal_kernels(fused, recipes, &self.layout, self.bits, &mut kernels)
                }
            }
        }
        kernels
    }
}

/// The kernel of one operation, on physical positions.
fn kernel_of(op: &FusedOp, layout: &Layout) -> Kernel {
    let pos = |q: usize| layout.position[q];
    let cmask = |qs: &[usize]| qs.iter().fold(0usize, |m, &q| m | (1 << pos(q)));
    match op {
        FusedOp::Single { qubit, m } => {
            if m.iter().all(|z| z.im == 0.0) {
                Kernel::Real1 { q: pos(*qubit), m: m.map(|z| z.re) }
            } else {
                Kernel::Dense1 { q: pos(*qubit), m: *m }
            }
        }
        FusedOp::Flip { controls, target } => {
            Kernel::Flip { cmask: cmask(controls), t: pos(*target) }
        }
        FusedOp::Swap { controls, a, b } => {
            Kernel::Swap { cmask: cmask(controls), a: pos(*a), b: pos(*b) }
        }
        FusedOp::Dense { controls, targets, m } if controls.is_empty() && targets.len() == 2 => {
            let entries: [Complex64; 16] = m.as_slice().try_into().expect("4x4");
            Kernel::Dense2 { q0: pos(targets[0]), q1: pos(targets[1]), m: Box::new(entries) }
        }
        FusedOp::Dense { controls, targets, m } => Kernel::Dense {
            cmask: cmask(controls),
            targets: targets.iter().map(|&q| pos(q)).collect(),
            m: m.as_slice().into(),
        },
        FusedOp::Diagonal { qubits, table } => Kernel::DiagK {
            qubits: qubits.iter().map(|&q| pos(q)).collect(),
            table: table.as_slice().into(),
        },
    }
}

/// Merges a run of diagonal operations: factors on the low `DIAG_LO_BITS` positions go into one
/// table, factors on the positions above into a second, mixed factors stay separate.
fn diagonal_kernels(
    fused: &[FusedOp],
    run: &[usize],
    layout: &Layout,
    bits: usize,
    program: &mut Vec<Kernel>,
) {
    let pos = |q: usize| layout.position[q];
    let split = DIAG_LO_BITS.min(bits);
    let one = Complex64::new(1.0, 0.0);
    // Per-position single-qubit factors, multiplied out; multi-qubit factors kept as they are.
    let mut single = vec![[one, one]; bits];
    let mut lo_multi: Vec<(Vec<usize>, &[Complex64])> = Vec::new();
    let mut hi_multi: Vec<(Vec<usize>, &[Complex64])> = Vec::new();
    for &k in run {
        let FusedOp::Diagonal { qubits, table } = &fused[k] else { unreachable!("diagonal run") };
        let p: Vec<usize> = qubits.iter().map(|&q| pos(q)).collect();
        if p.len() == 1 {
            single[p[0]][0] *= table[0];
            single[p[0]][1] *= table[1];
        } else if p.iter().all(|&x| x < split) {
            lo_multi.push((p, table));
        } else if p.iter().all(|&x| x >= split) {
            hi_multi.push((p.iter().map(|x| x - split).collect(), table));
        } else {
            program.push(Kernel::DiagK { qubits: p, table: table.as_slice().into() });
        }
    }
    let table = |factors: &[[Complex64; 2]],
                 multi: &[(Vec<usize>, &[Complex64])]|
     -> Vec<Complex64> {
        if factors.iter().all(|f| *f == [one, one]) && multi.is_empty() {
            return Vec::new();
        }
        // Kronecker product by doubling, in place: one multiplication per entry.
        let mut t = Vec::with_capacity(1 << factors.len());
        t.push(one);
        for f in factors {
            let len = t.len();
            t.extend_from_within(..);
            let (lower, upper) = t.split_at_mut(len);
            lower.iter_mut().for_each(|x| *x *= f[0]);
            upper.iter_mut().for_each(|x| *x *= f[1]);
        }
        for (qubits, values) in multi {
            for (i, x) in t.iter_mut().enumerate() {
                let j: usize = qubits.iter().enumerate().map(|(l, &q)| ((i >> q) & 1) << l).sum();
                *x *= values[j];
            }
        }
        t
    };
    // One or two single-qubit factors are cheaper as their own pair passes than as a table.
    let singles: Vec<usize> = (0..bits).filter(|&p| single[p] != [one, one]).collect();
    if lo_multi.is_empty() && hi_multi.is_empty() && singles.len() <= 2 {
        for p in singles {
            program.push(Kernel::Diag1 { q: p, d: single[p] });
        }
        return;
    }
    let lo = table(&single[..split], &lo_multi);
    let hi = table(&single[split..], &hi_multi);
    if !lo.is_empty() || !hi.is_empty() {
        program.push(Kernel::Diag { bits: split, lo, hi });
    }
}

/// Composes a run of X / CX / SWAP into one affine map of the index bits over GF(2).
fn permutation_kernel(run: &[&FusedOp], layout: &Layout, bits: usize) -> Kernel {
    let pos = |q: usize| layout.position[q];
    // f(i) = A i ^ b with A's columns `cols`; each gate g updates f to g(f).
    let mut cols: Vec<u32> = (0..bits).map(|k| 1u32 << k).collect();
    let mut constant = 0u32;
    let apply = |x: &mut u32, op: &FusedOp| match op {
        FusedOp::Flip { controls, target } if controls.len() == 1 => {
            *x ^= ((*x >> pos(controls[0])) & 1) << pos(*target);
        }
        FusedOp::Swap { a, b, .. } => {
            let (pa, pb) = (pos(*a), pos(*b));
            if ((*x >> pa) ^ (*x >> pb)) & 1 == 1 {
                *x ^= (1 << pa) | (1 << pb);
            }
        }
        _ => {}
    };
    for &op in run {
        for c in cols.iter_mut() {
            apply(c, op);
        }
        apply(&mut constant, op);
        if let FusedOp::Flip { controls, target } = op {
            if controls.is_empty() {
                constant ^= 1 << pos(*target);
            }
        }
    }
    Kernel::affine_perm(&cols, constant, bits.min(8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::Param;

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
        let fused = crate::fusion::fuse(c.ops(), &theta, 24);
        let qubits: Vec<Vec<usize>> = fused.iter().map(FusedOp::qubits).collect();
        let stages = plan_stages(&qubits, CHUNK_BITS);
        assert!(stages.iter().all(|s| s.qubits.count_ones() as usize <= CHUNK_BITS));
        assert_eq!(stages.iter().map(|s| s.ops.len()).sum::<usize>(), fused.len());
        // Unblocked, each layer costs about 26 passes over the state (24 rotations, one merged
        // diagonal, one merged CNOT chain); blocked, each stage costs one relayout pass.
        assert!(stages.len() <= 20, "{} stages", stages.len());
    }

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
                    crate::state::apply_matrix_reference(&mut slow, &op.qubits(), &m);
                }
            }
            let worst = fast.iter().zip(&slow).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
            assert!(worst < 1e-10, "trial {trial} (n = {n}): max deviation {worst:e}");
        }
    }

    #[test]
    fn bring_low_moves_only_what_is_needed() {
        let layout = Layout::identity(6);
        let next = layout.bring_low(0b110001, 3);
        assert_eq!(next.position[0], 0, "qubit 0 was already low");
        assert!(next.position[4] < 3 && next.position[5] < 3);
    }
}
