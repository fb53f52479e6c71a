//! Gate fusion and classification: bound circuit operations become fewer, cheaper operations.
//!
//! Runs of single-qubit gates on one qubit are multiplied out, but a diagonal head or tail of a run
//! (`rz`, `p`, `t`, ...) is kept apart, so that later all diagonal factors that meet can be merged
//! into one table pass. Every resulting operation is classified by its exact matrix structure:
//! diagonal, controlled X / swap (permutations), single-qubit, or dense with controls.

use num_complex::Complex64;

use crate::circuit::Operation;
use crate::circuit::gate::Shape;
use crate::circuit::matrix::Matrix;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);
const ONE: Complex64 = Complex64::new(1.0, 0.0);

/// A fused operation on logical qubits.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FusedOp {
    /// `diag(table)` over `qubits` (bit `l` of the table index is `qubits[l]`).
    Diagonal { qubits: Vec<usize>, table: Vec<Complex64> },
    /// X on `target` where every qubit of `controls` is 1.
    Flip { controls: Vec<usize>, target: usize },
    /// Swap of `a` and `b` where every qubit of `controls` is 1.
    Swap { controls: Vec<usize>, a: usize, b: usize },
    /// A non-diagonal single-qubit matrix.
    Single { qubit: usize, m: [Complex64; 4] },
    /// A dense matrix on `targets` where every qubit of `controls` is 1.
    Dense { controls: Vec<usize>, targets: Vec<usize>, m: Matrix },
}

/// Scheduling classes, in the order the scheduler prefers them (merge-friendly first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Class {
    Diagonal,
    LinearPermutation,
    Single,
    Other,
}

impl FusedOp {
    /// Every qubit the operation touches.
    pub(crate) fn qubits(&self) -> Vec<usize> {
        match self {
            FusedOp::Diagonal { qubits, .. } => qubits.clone(),
            FusedOp::Flip { controls, target } => {
                controls.iter().copied().chain([*target]).collect()
            }
            FusedOp::Swap { controls, a, b } => controls.iter().copied().chain([*a, *b]).collect(),
            FusedOp::Single { qubit, .. } => vec![*qubit],
            FusedOp::Dense { controls, targets, .. } => {
                controls.iter().chain(targets).copied().collect()
            }
        }
    }

    /// The full matrix over [`FusedOp::qubits`] (for the slow general path).
    pub(crate) fn matrix(&self) -> (Vec<usize>, Matrix) {
        let qubits = self.qubits();
        let k = qubits.len();
        let m = match self {
            FusedOp::Diagonal { table, .. } => Matrix::diagonal(table).expect("power-of-two table"),
            FusedOp::Single { m, .. } => Matrix::from_vec_unchecked(1, m.to_vec()),
            FusedOp::Flip { controls, .. } => {
                let x = Matrix::from_vec_unchecked(1, vec![ZERO, ONE, ONE, ZERO]);
                crate::circuit::gate::controlled(controls.len(), &x, ONE)
            }
            FusedOp::Swap { controls, .. } => {
                let swap = crate::circuit::gate::Gate::Swap.matrix_unchecked(&[]);
                crate::circuit::gate::controlled(controls.len(), &swap, ONE)
            }
            FusedOp::Dense { controls, m, .. } => {
                crate::circuit::gate::controlled(controls.len(), m, ONE)
            }
        };
        debug_assert_eq!(m.num_qubits(), k);
        (qubits, m)
    }

    pub(crate) fn class(&self) -> Class {
        match self {
            FusedOp::Diagonal { .. } => Class::Diagonal,
            // X, CX and SWAP are affine maps of the index bits over GF(2); more controls are not.
            FusedOp::Flip { controls, .. } if controls.len() <= 1 => Class::LinearPermutation,
            FusedOp::Swap { controls, .. } if controls.is_empty() => Class::LinearPermutation,
            FusedOp::Single { .. } => Class::Single,
            _ => Class::Other,
        }
    }
}

/// One factor of a single-qubit run: computed per call, or fixed at planning time.
#[derive(Clone, Debug)]
pub(crate) enum Factor {
    /// A gate whose angles refer to the parameter vector: index into the circuit's operations.
    Bound(usize),
    /// A matrix known at planning time.
    Fixed([Complex64; 4]),
}

/// How to build one fused operation for any parameter vector.
#[derive(Clone, Debug)]
pub(crate) enum Recipe {
    /// The product (in application order) of single-qubit factors on `qubit`.
    Run { qubit: usize, factors: Vec<Factor>, class: Class },
    /// Consecutive multi-qubit gates on one set of qubits whose matrices depend on the
    /// parameters (e.g. `rxx` then `ryy` on a pair): indices into the operations, in order.
    Multi { sources: Vec<usize>, qubits: Vec<usize>, class: Class },
    /// An operation fixed at planning time.
    Fixed(FusedOp),
}

impl Recipe {
    /// The scheduling class, valid for every parameter vector.
    pub(crate) fn class(&self) -> Class {
        match self {
            Recipe::Run { class, .. } | Recipe::Multi { class, .. } => *class,
            Recipe::Fixed(op) => op.class(),
        }
    }

    /// Every qubit the operation touches.
    pub(crate) fn qubits(&self) -> Vec<usize> {
        match self {
            Recipe::Run { qubit, .. } => vec![*qubit],
            Recipe::Multi { qubits, .. } => qubits.clone(),
            Recipe::Fixed(op) => op.qubits(),
        }
    }
}

fn is_diagonal2(m: &[Complex64; 4]) -> bool {
    m[1] == ZERO && m[2] == ZERO
}

/// A single-qubit run being collected: diagonal head, middle, diagonal tail.
#[derive(Default)]
struct PendingRun {
    head: Vec<(Factor, bool)>,
    mid: Vec<(Factor, bool)>,
    tail: Vec<(Factor, bool)>,
}

/// The fusion structure of a list of operations, independent of the parameter values.
#[derive(Clone, Debug)]
pub(crate) struct FusionPlan {
    recipes: Vec<Recipe>,
}

impl FusionPlan {
    /// Plans the unitary operations `ops` (barriers skipped) on `num_qubits` qubits.
    pub(crate) fn new(ops: &[Operation], num_qubits: usize) -> Self {
        let mut pending: Vec<PendingRun> = (0..num_qubits).map(|_| PendingRun::default()).collect();
        let mut recipes = Vec::with_capacity(ops.len());
        for (index, op) in ops.iter().enumerate() {
            let qubits = op.qubits();
            let bound = matches!(op, Operation::Gate { params, .. }
                if params.iter().any(|p| matches!(p, crate::circuit::Param::Ref { .. })));
            match op {
                Operation::Barrier { .. } | Operation::Measure { .. } | Operation::Reset { .. } => {
                }
                _ if qubits.len() == 1 => {
                    // (factor, diagonal for every parameter value)
                    let entry = match op {
                        Operation::Gate { gate, .. } if bound => {
                            (Factor::Bound(index), gate.shape() == Shape::Diagonal)
                        }
                        _ => {
                            let m = op.matrix(&[]).expect("unitary operation");
                            let m = [m.get(0, 0), m.get(0, 1), m.get(1, 0), m.get(1, 1)];
                            (Factor::Fixed(m), is_diagonal2(&m))
                        }
                    };
                    let run = &mut pending[qubits[0]];
                    match (entry.1, run.mid.is_empty()) {
                        (true, true) => run.head.push(entry),
                        (true, false) => run.tail.push(entry),
                        (false, _) => {
                            let tail = std::mem::take(&mut run.tail);
                            run.mid.extend(tail);
                            run.mid.push(entry);
                        }
                    }
                }
                _ => {
                    for &q in &qubits {
                        flush(q, std::mem::take(&mut pending[q]), &mut recipes);
                    }
                    // A dense parametric gate right after another on the same qubits joins it:
                    // nothing can sit between them, since they touch the same qubits.
                    let dense = matches!(op, Operation::Gate { gate, .. } if bound && gate.shape() == Shape::Complex);
                    if let Some(Recipe::Multi { sources, qubits: previous, class: Class::Other }) =
                        recipes.last_mut()
                    {
                        let same = previous.len() == qubits.len()
                            && qubits.iter().all(|q| previous.contains(q));
                        if dense && same {
                            sources.push(index);
                            continue;
                        }
                    }
                    recipes.push(match op {
                        Operation::Gate { gate, .. } if bound => Recipe::Multi {
                            sources: vec![index],
                            qubits: qubits.clone(),
                            class: match gate.shape() {
                                Shape::Diagonal => Class::Diagonal,
                                Shape::Flip if qubits.len() == 2 => Class::LinearPermutation,
                                Shape::Swap if qubits.len() == 2 => Class::LinearPermutation,
                                _ => Class::Other,
                            },
                        },
                        _ => Recipe::Fixed(classify(&qubits, &op.matrix(&[]).expect("unitary"))),
                    });
                }
            }
        }
        for (q, run) in pending.into_iter().enumerate() {
            flush(q, run, &mut recipes);
        }
        Self { recipes }
    }

    /// The recipes, in a valid application order.
    pub(crate) fn recipes(&self) -> &[Recipe] {
        &self.recipes
    }

    /// Binds the angles: the fused operations for this parameter vector.
    pub(crate) fn bind(&self, ops: &[Operation], theta: &[f64]) -> Vec<FusedOp> {
        self.recipes
            .iter()
            .map(|recipe| match recipe {
                Recipe::Fixed(op) => op.clone(),
                Recipe::Run { qubit, factors, class } => {
                    let m = product(factors, ops, theta);
                    if *class == Class::Diagonal {
                        FusedOp::Diagonal { qubits: vec![*qubit], table: vec![m[0], m[3]] }
                    } else {
                        FusedOp::Single { qubit: *qubit, m }
                    }
                }
                Recipe::Multi { sources, qubits, .. } => {
                    let m = sources
                        .iter()
                        .map(|&i| in_order(&ops[i], qubits, theta))
                        .reduce(|acc, m| m.mul(&acc))
                        .expect("a recipe has a source");
                    classify(qubits, &m)
                }
            })
            .collect()
    }
}

/// The matrix of `op` with its qubits in the order `qubits` (the same set).
pub(crate) fn in_order(op: &Operation, qubits: &[usize], theta: &[f64]) -> Matrix {
    let m = op.matrix(theta).expect("unitary operation");
    let own = op.qubits();
    if own == qubits {
        return m;
    }
    let order: Vec<usize> =
        qubits.iter().map(|q| own.iter().position(|o| o == q).expect("same qubit set")).collect();
    m.permute_qubits(&order)
}

/// Multiplies out run factors (first factor applied first).
fn product(factors: &[Factor], ops: &[Operation], theta: &[f64]) -> [Complex64; 4] {
    let mut acc = [ONE, ZERO, ZERO, ONE];
    for f in factors {
        let m = match f {
            Factor::Fixed(m) => *m,
            Factor::Bound(i) => match &ops[*i] {
                Operation::Gate { gate, params, .. } => {
                    let mut angles = [0.0; 4];
                    for (a, p) in angles.iter_mut().zip(params) {
                        *a = p.value(theta);
                    }
                    gate.matrix_1q(&angles[..params.len()]).expect("single-qubit gate")
                }
                _ => unreachable!("only gates are bound"),
            },
        };
        acc = mul2(&m, &acc);
    }
    acc
}

/// Emits the recipes of a finished run: diagonal head, middle, diagonal tail.
fn flush(qubit: usize, run: PendingRun, out: &mut Vec<Recipe>) {
    for (part, diagonal) in [(run.head, true), (run.mid, false), (run.tail, true)] {
        if part.is_empty() {
            continue;
        }
        let factors: Vec<Factor> = part.into_iter().map(|(f, _)| f).collect();
        if factors.iter().all(|f| matches!(f, Factor::Fixed(_))) {
            let m = product(&factors, &[], &[]);
            if m != [ONE, ZERO, ZERO, ONE] {
                out.push(Recipe::Fixed(classify(
                    &[qubit],
                    &Matrix::from_vec_unchecked(1, m.to_vec()),
                )));
            }
        } else {
            let class = if diagonal { Class::Diagonal } else { Class::Single };
            out.push(Recipe::Run { qubit, factors, class });
        }
    }
}

fn mul2(a: &[Complex64; 4], b: &[Complex64; 4]) -> [Complex64; 4] {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
    ]
}

/// Binds and fuses the unitary operations `ops` in one go (no plan reuse).
#[cfg(test)]
pub(crate) fn fuse(ops: &[Operation], theta: &[f64], num_qubits: usize) -> Vec<FusedOp> {
    FusionPlan::new(ops, num_qubits).bind(ops, theta)
}

/// Local bit `j` is a control if the matrix never changes bit `j` and is the identity where it is 0.
fn is_control(m: &Matrix, j: usize) -> bool {
    let dim = m.dim();
    (0..dim).all(|r| {
        (0..dim).all(|c| {
            let v = m.get(r, c);
            if (r >> j) & 1 != (c >> j) & 1 {
                v == ZERO
            } else if (r >> j) & 1 == 0 {
                v == if r == c { ONE } else { ZERO }
            } else {
                true
            }
        })
    })
}

/// Classifies the exact matrix `m` on `qubits` (local bit `l` = `qubits[l]`).
pub(crate) fn classify(qubits: &[usize], m: &Matrix) -> FusedOp {
    if m.is_diagonal() {
        return FusedOp::Diagonal {
            qubits: qubits.to_vec(),
            table: (0..m.dim()).map(|i| m.get(i, i)).collect(),
        };
    }
    let k = qubits.len();
    let control_bits: Vec<usize> = (0..k).filter(|&j| is_control(m, j)).collect();
    let target_bits: Vec<usize> = (0..k).filter(|j| !control_bits.contains(j)).collect();
    let cmask: usize = control_bits.iter().map(|&j| 1 << j).sum();
    // The matrix restricted to the subspace where every control is 1.
    let t = target_bits.len();
    let spread = |x: usize| -> usize {
        cmask | target_bits.iter().enumerate().map(|(l, &j)| ((x >> l) & 1) << j).sum::<usize>()
    };
    let mut reduced = Matrix::identity(t);
    for r in 0..1usize << t {
        for c in 0..1usize << t {
            reduced.set(r, c, m.get(spread(r), spread(c)));
        }
    }
    let controls: Vec<usize> = control_bits.iter().map(|&j| qubits[j]).collect();
    let targets: Vec<usize> = target_bits.iter().map(|&j| qubits[j]).collect();
    let is = |pattern: &[(usize, usize)]| -> bool {
        let dim = reduced.dim();
        (0..dim).all(|r| {
            (0..dim)
                .all(|c| reduced.get(r, c) == if pattern.contains(&(r, c)) { ONE } else { ZERO })
        })
    };
    match t {
        1 if is(&[(0, 1), (1, 0)]) => FusedOp::Flip { controls, target: targets[0] },
        1 if controls.is_empty() => {
            let s = reduced.as_slice();
            FusedOp::Single { qubit: targets[0], m: [s[0], s[1], s[2], s[3]] }
        }
        2 if is(&[(0, 0), (1, 2), (2, 1), (3, 3)]) => {
            FusedOp::Swap { controls, a: targets[0], b: targets[1] }
        }
        _ => FusedOp::Dense { controls, targets, m: reduced },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::Circuit;
    use crate::circuit::gate::Gate;

    fn fused(c: &Circuit) -> Vec<FusedOp> {
        fuse(c.ops(), &[], c.num_qubits())
    }

    #[test]
    fn gates_are_classified_by_structure() {
        let mut c = Circuit::new(3);
        c.cx(0, 1).unwrap().ccx(0, 1, 2).unwrap().cswap(2, 0, 1).unwrap().cz(0, 2).unwrap();
        c.crx(1, 2, 0.3).unwrap();
        let ops = fused(&c);
        assert_eq!(ops[0], FusedOp::Flip { controls: vec![0], target: 1 });
        assert_eq!(ops[1], FusedOp::Flip { controls: vec![0, 1], target: 2 });
        assert_eq!(ops[2], FusedOp::Swap { controls: vec![2], a: 0, b: 1 });
        assert!(matches!(&ops[3], FusedOp::Diagonal { qubits, .. } if qubits == &[0, 2]));
        assert!(
            matches!(&ops[4], FusedOp::Dense { controls, targets, .. } if controls == &[1] && targets == &[2])
        );
        assert_eq!(ops[0].class(), Class::LinearPermutation);
        assert_eq!(ops[1].class(), Class::Other);
    }

    #[test]
    fn single_qubit_runs_keep_diagonal_heads_and_tails_apart() {
        let mut c = Circuit::new(1);
        c.rz(0, 0.1).unwrap().t(0).unwrap().ry(0, 0.2).unwrap().h(0).unwrap().rz(0, 0.3).unwrap();
        let ops = fused(&c);
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0].class(), Class::Diagonal);
        assert_eq!(ops[1].class(), Class::Single);
        assert_eq!(ops[2].class(), Class::Diagonal);
        // The product of the pieces is the product of the gates.
        let expected =
            [(Gate::Rz, 0.3), (Gate::H, 0.0), (Gate::Ry, 0.2), (Gate::T, 0.0), (Gate::Rz, 0.1)]
                .iter()
                .map(|&(g, a)| g.matrix(&[a][..g.num_params()]).unwrap())
                .reduce(|acc, m| acc.mul(&m))
                .unwrap();
        let piece = |op: &FusedOp| match op {
            FusedOp::Diagonal { table, .. } => Matrix::diagonal(table).unwrap(),
            FusedOp::Single { m, .. } => Matrix::from_vec_unchecked(1, m.to_vec()),
            _ => unreachable!(),
        };
        let got = piece(&ops[2]).mul(&piece(&ops[1])).mul(&piece(&ops[0]));
        assert!(got.max_abs_diff(&expected) < 1e-14);
    }

    #[test]
    fn identity_runs_vanish() {
        let mut c = Circuit::new(1);
        c.gate(Gate::Id, &[0], &[]).unwrap();
        assert!(fused(&c).is_empty());
    }
}
