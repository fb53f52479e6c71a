//! Compiles scheduled recipes into chunk programs: merged diagonal runs, merged CNOT chains and
//! single kernels, on physical bit positions; whatever does not depend on the angles is built
//! once, at planning time.

use num_complex::Complex64;

use super::fusion::{Class, FusedOp, Recipe};
use super::stages::Layout;
use crate::kernels::Kernel;

/// Diagonal tables cover at most this many low bits (16 KiB, L1-resident).
const DIAG_LO_BITS: usize = 10;

/// Shorter runs of CNOT-like gates are applied one by one rather than as one scatter.
const PERM_MERGE_MIN: usize = 3;

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
pub(super) struct Program {
    steps: Vec<Step>,
    /// The layout the program was compiled for.
    pub(super) layout: Layout,
    bits: usize,
}

impl Program {
    /// Groups the scheduled recipes into steps: merged diagonal runs, merged CNOT chains, single
    /// kernels. Everything that does not depend on the angles is built here, once.
    pub(super) fn compile(
        recipes: &[Recipe],
        order: &[usize],
        layout: &Layout,
        bits: usize,
    ) -> Self {
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
    pub(super) fn materialize(&self, fused: &[FusedOp]) -> Vec<Kernel> {
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
pub(super) fn kernel_of(op: &FusedOp, layout: &Layout) -> Kernel {
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
pub(super) fn diagonal_kernels(
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
