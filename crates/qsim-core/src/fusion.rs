//! Gate fusion and classification: bound circuit operations become fewer, cheaper operations.
//!
//! Runs of single-qubit gates on one qubit are multiplied out, but a diagonal head or tail of a run
//! (`rz`, `p`, `t`, ...) is kept apart, so that later all diagonal factors that meet can be merged
//! into one table pass. Every resulting operation is classified by its exact matrix structure:
//! diagonal, controlled X / swap (permutations), single-qubit, or dense with controls.

use num_complex::Complex64;

use crate::circuit::Operation;
use crate::matrix::Matrix;

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

/// A single-qubit run in progress: `tail * mid * head`, with `head` and `tail` diagonal.
#[derive(Clone, Copy)]
struct Run {
    head: [Complex64; 2],
    mid: Option<[Complex64; 4]>,
    tail: [Complex64; 2],
}

impl Run {
    const IDENTITY: Run = Run { head: [ONE, ONE], mid: None, tail: [ONE, ONE] };

    fn push(&mut self, g: [Complex64; 4]) {
        if g[1] == ZERO && g[2] == ZERO {
            let d = if self.mid.is_none() { &mut self.head } else { &mut self.tail };
            d[0] *= g[0];
            d[1] *= g[3];
        } else {
            let m = match self.mid {
                None => g,
                Some(m) => {
                    // g * diag(tail) * m
                    let gt = [
                        g[0] * self.tail[0],
                        g[1] * self.tail[1],
                        g[2] * self.tail[0],
                        g[3] * self.tail[1],
                    ];
                    mul2(&gt, &m)
                }
            };
            self.mid = Some(m);
            self.tail = [ONE, ONE];
        }
    }

    fn flush(self, qubit: usize, out: &mut Vec<FusedOp>) {
        let diag = |d: [Complex64; 2], out: &mut Vec<FusedOp>| {
            if d != [ONE, ONE] {
                out.push(FusedOp::Diagonal { qubits: vec![qubit], table: d.to_vec() });
            }
        };
        diag(self.head, out);
        if let Some(m) = self.mid {
            out.push(classify(&[qubit], &Matrix::from_vec_unchecked(1, m.to_vec())));
        }
        diag(self.tail, out);
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

/// Binds and fuses the unitary operations `ops` (barriers skipped) on `num_qubits` qubits.
pub(crate) fn fuse(ops: &[Operation], theta: &[f64], num_qubits: usize) -> Vec<FusedOp> {
    let mut pending: Vec<Option<Run>> = vec![None; num_qubits];
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let Some(m) = op.matrix(theta) else { continue };
        let qubits = op.qubits();
        if qubits.len() == 1 {
            let s = m.as_slice();
            pending[qubits[0]].get_or_insert(Run::IDENTITY).push([s[0], s[1], s[2], s[3]]);
            continue;
        }
        for &q in &qubits {
            if let Some(run) = pending[q].take() {
                run.flush(q, &mut out);
            }
        }
        out.push(classify(&qubits, &m));
    }
    for (q, run) in pending.into_iter().enumerate() {
        if let Some(run) = run {
            run.flush(q, &mut out);
        }
    }
    out
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
    use crate::gate::Gate;

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
