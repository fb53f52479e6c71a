//! Undo steps of the backward sweep: a run of gates on one qubit or one pair is un-applied to
//! both vectors in one pass that also yields every derivative of the run.

use num_complex::Complex64;
use rayon::prelude::*;

use crate::circuit::matrix::Matrix;
use crate::circuit::{Operation, Param};
use crate::engine::{apply_fused, classify, in_order, single_op_chunk_bits};
use crate::kernels;

/// The 2x2 matrix of a single-qubit operation for angles `theta`.
fn matrix_2x2(op: &Operation, theta: &[f64]) -> [Complex64; 4] {
    let m = op.matrix(theta).expect("unitary single-qubit operation");
    let s = m.as_slice();
    [s[0], s[1], s[2], s[3]]
}

fn mul2(a: &[Complex64; 4], b: &[Complex64; 4]) -> [Complex64; 4] {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
    ]
}

fn dagger2(a: &[Complex64; 4]) -> [Complex64; 4] {
    [a[0].conj(), a[2].conj(), a[1].conj(), a[3].conj()]
}

/// Undoes a run `U_k ... U_1` on one qubit. The derivative of gate `j` taken after the whole run
/// is `<lambda| W_j (dU_j U_j^dagger) W_j^dagger |phi>` with `W_j = U_k ... U_{j+1}`, so all of
/// them come from one pass over both vectors, which also applies `(U_k ... U_1)^dagger`.
/// What undoing a run needs besides the state: every generator of the run as seen after the
/// whole run, the parameter slot `(index, scale)` of each, and the run's inverse.
pub(super) struct RunSetup<const D: usize> {
    pub(super) generators: Vec<[Complex64; D]>,
    pub(super) slots: Vec<(usize, f64)>,
    pub(super) undo: [Complex64; D],
}

impl<const D: usize> RunSetup<D> {
    /// `<lambda| G |phi> = sum_ij G_ij R_ij` for every generator, from the transition matrix.
    pub(super) fn through(&self, r: &[Complex64; D]) -> Vec<Complex64> {
        self.generators.iter().map(|g| g.iter().zip(r).map(|(a, b)| a * b).sum()).collect()
    }

    /// Adds `2 scale Re(element)` of every generator into `grad`.
    pub(super) fn collect(&self, elements: Vec<Complex64>, grad: &mut [f64]) {
        for (&(index, scale), e) in self.slots.iter().zip(elements) {
            grad[index] += 2.0 * scale * e.re;
        }
    }

    /// The transition-matrix entries some generator needs (the others multiply zeros only).
    pub(super) fn needed(&self) -> [bool; D] {
        let zero = Complex64::new(0.0, 0.0);
        std::array::from_fn(|e| self.generators.iter().any(|g| g[e] != zero))
    }
}

/// The generators and the inverse of a run `U_k ... U_1` on one qubit (see [`undo_run`]).
pub(super) fn run_setup(ops: &[Operation], members: &[usize], theta: &[f64]) -> RunSetup<4> {
    let identity = [
        Complex64::new(1.0, 0.0),
        Complex64::new(0.0, 0.0),
        Complex64::new(0.0, 0.0),
        Complex64::new(1.0, 0.0),
    ];
    let mats: Vec<[Complex64; 4]> = members.iter().map(|&i| matrix_2x2(&ops[i], theta)).collect();
    let mut generators = Vec::new();
    let mut slots = Vec::new();
    // W accumulates U_k ... U_{j+1} while walking the run backwards.
    let mut w = identity;
    for (&i, u) in members.iter().zip(&mats).rev() {
        if let Operation::Gate { gate, params, .. } = &ops[i] {
            let angles: Vec<f64> = params.iter().map(|p| p.value(theta)).collect();
            for (k, p) in params.iter().enumerate() {
                if let Param::Ref { index, scale } = *p {
                    let d = gate.derivative_unchecked(&angles, k);
                    let d = [d.get(0, 0), d.get(0, 1), d.get(1, 0), d.get(1, 1)];
                    let local = mul2(&d, &dagger2(u));
                    generators.push(mul2(&mul2(&w, &local), &dagger2(&w)));
                    slots.push((index, scale));
                }
            }
        }
        w = mul2(&w, u);
    }
    // Here w = U_k ... U_1.
    RunSetup { generators, slots, undo: dagger2(&w) }
}

pub(super) fn undo_run(
    ops: &[Operation],
    members: &[usize],
    qubit: usize,
    theta: &[f64],
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    grad: &mut [f64],
) {
    let setup = run_setup(ops, members, theta);
    let (undo, through) = (setup.undo, |r: [Complex64; 4]| setup.through(&r));
    let bits = single_op_chunk_bits(phi.len().trailing_zeros() as usize);
    let elements = if phi.len() < kernels::PARALLEL_THRESHOLD {
        through(kernels::adjoint_run_1q(phi, lambda, qubit, &undo))
    } else if qubit < bits {
        let zero = [Complex64::new(0.0, 0.0); 4];
        through(
            phi.par_chunks_mut(1 << bits)
                .zip(lambda.par_chunks_mut(1 << bits))
                .map(|(p, l)| kernels::adjoint_run_1q(p, l, qubit, &undo))
                .reduce(|| zero, |a, b| std::array::from_fn(|k| a[k] + b[k])),
        )
    } else {
        // A high qubit of a large state: each element is a parallel pass, then the undo.
        let m = |g: &[Complex64; 4]| Matrix::new(1, g.to_vec()).expect("2x2");
        let elements =
            setup.generators.iter().map(|g| matrix_element(lambda, phi, &[qubit], &m(g))).collect();
        let undo_op = classify(&[qubit], &m(&undo));
        apply_fused(phi, &undo_op);
        apply_fused(lambda, &undo_op);
        elements
    };
    setup.collect(elements, grad);
}

/// Undoes a run of two-qubit gates on `pair`, like [`undo_run`] with 4x4 matrices in the order
/// of `pair`.
pub(super) fn undo_pair_run(
    ops: &[Operation],
    members: &[usize],
    pair: [usize; 2],
    theta: &[f64],
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    grad: &mut [f64],
) {
    let setup = pair_setup(ops, members, pair, theta);
    let (undo, through) = (setup.undo, |r: [Complex64; 16]| setup.through(&r));
    let n = phi.len().trailing_zeros() as usize;
    let bits = single_op_chunk_bits(n);
    let elements: Vec<Complex64> = if phi.len() < kernels::PARALLEL_THRESHOLD {
        through(kernels::adjoint_run_2q(phi, lambda, pair[0], pair[1], &undo))
    } else if pair[0].max(pair[1]) < bits {
        let zero = [Complex64::new(0.0, 0.0); 16];
        through(
            phi.par_chunks_mut(1 << bits)
                .zip(lambda.par_chunks_mut(1 << bits))
                .map(|(p, l)| kernels::adjoint_run_2q(p, l, pair[0], pair[1], &undo))
                .reduce(|| zero, |a, b| std::array::from_fn(|k| a[k] + b[k])),
        )
    } else {
        let m = |g: &[Complex64; 16]| Matrix::new(2, g.to_vec()).expect("4x4");
        let elements =
            setup.generators.iter().map(|g| matrix_element(lambda, phi, &pair, &m(g))).collect();
        let undo_op = classify(&pair, &m(&undo));
        apply_fused(phi, &undo_op);
        apply_fused(lambda, &undo_op);
        elements
    };
    setup.collect(elements, grad);
}

/// The generators and the inverse of a run of two-qubit gates on `pair` (see
/// [`undo_pair_run`]), 4x4 in the order of `pair`.
pub(super) fn pair_setup(
    ops: &[Operation],
    members: &[usize],
    pair: [usize; 2],
    theta: &[f64],
) -> RunSetup<16> {
    let as_array = |m: &Matrix| -> [Complex64; 16] { m.as_slice().try_into().expect("4x4") };
    let mats: Vec<Matrix> = members.iter().map(|&i| in_order(&ops[i], &pair, theta)).collect();
    let mut generators = Vec::new();
    let mut slots = Vec::new();
    let mut w = Matrix::identity(2);
    for (&i, u) in members.iter().zip(&mats).rev() {
        if let Operation::Gate { gate, params, qubits } = &ops[i] {
            let angles: Vec<f64> = params.iter().map(|p| p.value(theta)).collect();
            let order: Vec<usize> = pair
                .iter()
                .map(|q| qubits.iter().position(|o| o == q).expect("same pair"))
                .collect();
            for (k, p) in params.iter().enumerate() {
                if let Param::Ref { index, scale } = *p {
                    let d = gate.derivative_unchecked(&angles, k).permute_qubits(&order);
                    let local = d.mul(&u.adjoint());
                    generators.push(as_array(&w.mul(&local).mul(&w.adjoint())));
                    slots.push((index, scale));
                }
            }
        }
        w = w.mul(u);
    }
    RunSetup { generators, slots, undo: as_array(&w.adjoint()) }
}

/// `<bra| M |ket>` with the fast single-qubit kernel where it applies.
pub(super) fn matrix_element(
    bra: &[Complex64],
    ket: &[Complex64],
    qubits: &[usize],
    m: &Matrix,
) -> Complex64 {
    if qubits.len() == 1 && ket.len() < kernels::PARALLEL_THRESHOLD {
        let s = m.as_slice();
        kernels::matrix_element_1q(bra, ket, qubits[0], &[s[0], s[1], s[2], s[3]])
    } else if qubits.len() == 1
        && qubits[0] < single_op_chunk_bits(ket.len().trailing_zeros() as usize)
    {
        let s = m.as_slice();
        let part = 1usize << single_op_chunk_bits(ket.len().trailing_zeros() as usize);
        bra.par_chunks(part)
            .zip(ket.par_chunks(part))
            .map(|(b, k)| kernels::matrix_element_1q(b, k, qubits[0], &[s[0], s[1], s[2], s[3]]))
            .sum()
    } else {
        kernels::matrix_element(bra, ket, qubits, m.as_slice())
    }
}
