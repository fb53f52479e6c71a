//! Gradients of circuit outputs with respect to the parameter vector.
//!
//! - The adjoint method: one forward sweep, then one backward sweep that un-applies each gate to
//!   the state and to a co-state, collecting every parameter's derivative on the way. Exact, and
//!   O(gates) state passes for all parameters together. [`vjp`] is the general form (any real loss
//!   of the final state, given its cotangent); [`adjoint_gradient`] specialises it to `<O>`.
//! - The parameter-shift rule: each derivative from exactly shifted circuit evaluations, as on
//!   hardware. Two-term for generators with spectral gap 1, four-term for controlled rotations.

use num_complex::Complex64;
use rayon::prelude::*;

use crate::circuit::gate::ShiftRule;
use crate::circuit::matrix::Matrix;
use crate::circuit::{Circuit, Operation, Param};
use crate::engine::{Plan, apply_fused, classify, in_order, single_op_chunk_bits};
use crate::error::{Error, Result};
use crate::kernels;
use crate::pauli::PauliSum;
use crate::state::StateVector;

/// The backward sweep of a circuit, planned once: every stretch of fixed gates between two
/// parametric ones is undone by one compiled program (its inverse, fused); parametric gates are
/// undone one at a time, collecting their derivatives on the way.
#[derive(Debug)]
pub(crate) struct AdjointPlan {
    steps: Vec<BackStep>,
}

#[derive(Debug)]
enum BackStep {
    /// Undo a stretch of fixed operations: their inverses, in reverse order, and its plan.
    Block { inverse: Vec<Operation>, plan: Plan },
    /// Undo a run of single-qubit gates on one qubit (at least one parametric), taking every
    /// derivative of the run in the same pass: indices of the run's operations, in order.
    Run { qubit: usize, ops: Vec<usize> },
    /// Undo a run of two-qubit gates on one pair (at least one parametric) in one pass, like
    /// `Run`: the pair (in the order of the matrices) and the run's operations, in order.
    PairRun { qubits: [usize; 2], ops: Vec<usize> },
    /// Undo the parametric multi-qubit gate at this index of the circuit.
    Param { op: usize },
}

fn is_parametric(op: &Operation) -> bool {
    matches!(op, Operation::Gate { params, .. } if params.iter().any(|p| matches!(p, Param::Ref { .. })))
}

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

impl AdjointPlan {
    /// The backward plan of `circuit` for a state of exactly its width, built once and kept in
    /// the circuit's plan cache.
    pub(crate) fn for_circuit(circuit: &Circuit) -> &AdjointPlan {
        circuit.plans().get_or_init(|| AdjointPlan::new(circuit.ops(), circuit.num_qubits()))
    }

    /// Plans the backward sweep of the unitary operations `ops` on `n` qubits.
    pub(crate) fn new(ops: &[Operation], n: usize) -> Self {
        // Runs of single-qubit operations per qubit (forward order); a run containing a
        // parametric gate is undone in one step, placed at its last operation.
        let mut run_of = vec![None; ops.len()];
        let mut runs: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut open: Vec<Option<usize>> = vec![None; n];
        for (i, op) in ops.iter().enumerate() {
            let qubits = op.qubits();
            if matches!(op, Operation::Barrier { .. }) {
                continue;
            }
            if qubits.len() == 1 && op.is_unitary() {
                let q = qubits[0];
                let r = *open[q].get_or_insert_with(|| {
                    runs.push((q, Vec::new()));
                    runs.len() - 1
                });
                runs[r].1.push(i);
                run_of[i] = Some(r);
            } else {
                for q in qubits {
                    open[q] = None;
                }
            }
        }
        let parametric_run: Vec<bool> = runs
            .iter()
            .map(|(_, members)| members.iter().any(|&i| is_parametric(&ops[i])))
            .collect();
        // Runs of two-qubit operations on one pair that nothing else touches in between.
        let mut pair_of = vec![None; ops.len()];
        let mut pairs: Vec<([usize; 2], Vec<usize>)> = Vec::new();
        let mut open_pair: Vec<Option<usize>> = vec![None; n];
        for (i, op) in ops.iter().enumerate() {
            if matches!(op, Operation::Barrier { .. }) {
                continue;
            }
            let qubits = op.qubits();
            let continues = qubits.len() == 2
                && op.is_unitary()
                && open_pair[qubits[0]].is_some()
                && open_pair[qubits[0]] == open_pair[qubits[1]];
            if continues {
                let r = open_pair[qubits[0]].expect("checked");
                pairs[r].1.push(i);
                pair_of[i] = Some(r);
                continue;
            }
            for &q in &qubits {
                if let Some(r) = open_pair[q] {
                    for p in pairs[r].0 {
                        open_pair[p] = None;
                    }
                }
            }
            if qubits.len() == 2 && op.is_unitary() {
                pairs.push(([qubits[0], qubits[1]], vec![i]));
                let r = pairs.len() - 1;
                open_pair[qubits[0]] = Some(r);
                open_pair[qubits[1]] = Some(r);
                pair_of[i] = Some(r);
            }
        }
        let parametric_pair: Vec<bool> = pairs
            .iter()
            .map(|(_, members)| members.iter().any(|&i| is_parametric(&ops[i])))
            .collect();
        let mut steps = Vec::new();
        let mut block: Vec<Operation> = Vec::new();
        let flush = |block: &mut Vec<Operation>, steps: &mut Vec<BackStep>| {
            if !block.is_empty() {
                let inverse = std::mem::take(block);
                let plan = Plan::new(&inverse, n);
                steps.push(BackStep::Block { inverse, plan });
            }
        };
        for (i, op) in ops.iter().enumerate().rev() {
            if let Some(r) = pair_of[i].filter(|&r| parametric_pair[r]) {
                if pairs[r].1.last() == Some(&i) {
                    flush(&mut block, &mut steps);
                    steps.push(BackStep::PairRun { qubits: pairs[r].0, ops: pairs[r].1.clone() });
                }
                continue;
            }
            match run_of[i] {
                Some(r) if parametric_run[r] => {
                    if runs[r].1.last() == Some(&i) {
                        flush(&mut block, &mut steps);
                        steps.push(BackStep::Run { qubit: runs[r].0, ops: runs[r].1.clone() });
                    }
                }
                _ if is_parametric(op) => {
                    flush(&mut block, &mut steps);
                    steps.push(BackStep::Param { op: i });
                }
                _ => {
                    if let Some(m) = op.matrix(&[]) {
                        block.push(Operation::Unitary {
                            controls: vec![],
                            targets: op.qubits(),
                            matrix: m.adjoint(),
                        });
                    }
                }
            }
        }
        flush(&mut block, &mut steps);
        Self { steps }
    }

    /// Runs the sweep: `phi` is the final state, `lambda` the cotangent; returns the gradient.
    fn run(
        &self,
        ops: &[Operation],
        theta: &[f64],
        num_params: usize,
        phi: &mut Vec<Complex64>,
        lambda: &mut Vec<Complex64>,
    ) -> Vec<f64> {
        let mut grad = vec![0.0; num_params];
        for step in &self.steps {
            match step {
                BackStep::Block { inverse, plan } => {
                    plan.run(phi, inverse, &[]);
                    plan.run(lambda, inverse, &[]);
                }
                BackStep::Run { qubit, ops: members } => {
                    undo_run(ops, members, *qubit, theta, phi, lambda, &mut grad);
                }
                BackStep::PairRun { qubits, ops: members } => {
                    undo_pair_run(ops, members, *qubits, theta, phi, lambda, &mut grad);
                }
                BackStep::Param { op } => {
                    let Operation::Gate { gate, qubits, params } = &ops[*op] else {
                        unreachable!("parametric steps are gates")
                    };
                    let angles: Vec<f64> = params.iter().map(|p| p.value(theta)).collect();
                    let u_dag = gate.matrix_unchecked(&angles).adjoint();
                    for (k, p) in params.iter().enumerate() {
                        if let Param::Ref { index, scale } = *p {
                            // <lambda| dU |phi_before> = <lambda| (dU U^dagger) |phi_after>.
                            let m = gate.derivative_unchecked(&angles, k).mul(&u_dag);
                            grad[index] += 2.0 * scale * matrix_element(lambda, phi, qubits, &m).re;
                        }
                    }
                    let undo = classify(qubits, &u_dag);
                    apply_fused(phi, &undo);
                    apply_fused(lambda, &undo);
                }
            }
        }
        grad
    }
}

/// Undoes a run `U_k ... U_1` on one qubit. The derivative of gate `j` taken after the whole run
/// is `<lambda| W_j (dU_j U_j^dagger) W_j^dagger |phi>` with `W_j = U_k ... U_{j+1}`, so all of
/// them come from one pass over both vectors, which also applies `(U_k ... U_1)^dagger`.
fn undo_run(
    ops: &[Operation],
    members: &[usize],
    qubit: usize,
    theta: &[f64],
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    grad: &mut [f64],
) {
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
    let undo = dagger2(&w);
    // <lambda| G |phi> = sum_ij G_ij R_ij for every generator of the run.
    let through = |r: [Complex64; 4]| -> Vec<Complex64> {
        generators.iter().map(|g| g.iter().zip(&r).map(|(a, b)| a * b).sum()).collect()
    };
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
            generators.iter().map(|g| matrix_element(lambda, phi, &[qubit], &m(g))).collect();
        let undo_op = classify(&[qubit], &m(&undo));
        apply_fused(phi, &undo_op);
        apply_fused(lambda, &undo_op);
        elements
    };
    for ((index, scale), e) in slots.into_iter().zip(elements) {
        grad[index] += 2.0 * scale * e.re;
    }
}

/// Undoes a run of two-qubit gates on `pair`, like [`undo_run`] with 4x4 matrices in the order
/// of `pair`.
fn undo_pair_run(
    ops: &[Operation],
    members: &[usize],
    pair: [usize; 2],
    theta: &[f64],
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    grad: &mut [f64],
) {
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
    let undo = w.adjoint();
    // <lambda| G |phi> = sum_rc G_rc R_rc for every generator of the run.
    let through = |r: [Complex64; 16]| -> Vec<Complex64> {
        generators.iter().map(|g| g.iter().zip(&r).map(|(a, b)| a * b).sum()).collect()
    };
    let n = phi.len().trailing_zeros() as usize;
    let bits = single_op_chunk_bits(n);
    let elements: Vec<Complex64> = if phi.len() < kernels::PARALLEL_THRESHOLD {
        through(kernels::adjoint_run_2q(phi, lambda, pair[0], pair[1], &as_array(&undo)))
    } else if pair[0].max(pair[1]) < bits {
        let undo = as_array(&undo);
        let zero = [Complex64::new(0.0, 0.0); 16];
        through(
            phi.par_chunks_mut(1 << bits)
                .zip(lambda.par_chunks_mut(1 << bits))
                .map(|(p, l)| kernels::adjoint_run_2q(p, l, pair[0], pair[1], &undo))
                .reduce(|| zero, |a, b| std::array::from_fn(|k| a[k] + b[k])),
        )
    } else {
        let elements = generators
            .iter()
            .map(|g| matrix_element(lambda, phi, &pair, &Matrix::new(2, g.to_vec()).expect("4x4")))
            .collect();
        let undo_op = classify(&pair, &undo);
        apply_fused(phi, &undo_op);
        apply_fused(lambda, &undo_op);
        elements
    };
    for ((index, scale), e) in slots.into_iter().zip(elements) {
        grad[index] += 2.0 * scale * e.re;
    }
}

/// `<bra| M |ket>` with the fast single-qubit kernel where it applies.
fn matrix_element(bra: &[Complex64], ket: &[Complex64], qubits: &[usize], m: &Matrix) -> Complex64 {
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

/// Reverse-mode derivative of a real loss `L(psi)` of the final state `psi = U(theta) psi_0`.
///
/// `final_state` is `psi` (as returned by running `circuit` with `theta`) and `cotangent` is
/// `g = dL/d<psi|`, defined by `dL = 2 Re <g|d psi>`: for `L = <psi|O|psi>` it is `O psi`; for a
/// loss of the Born probabilities `p_k = |psi_k|^2` it is `g_k = (dL/dp_k) psi_k`. Returns
/// `dL/dtheta` (length `circuit.num_params()`). Circuits with measurement or reset are an error.
pub fn vjp(
    circuit: &Circuit,
    theta: &[f64],
    final_state: StateVector,
    cotangent: Vec<Complex64>,
) -> Result<Vec<f64>> {
    Ok(vjp_with_input(circuit, theta, final_state, cotangent)?.0)
}

/// [`vjp`], also returning the cotangent of the circuit's input state, `U^dagger g`: what a
/// caller needs to continue the backward pass through whatever produced that input (an earlier
/// circuit, a measurement, a normalisation).
pub fn vjp_with_input(
    circuit: &Circuit,
    theta: &[f64],
    final_state: StateVector,
    cotangent: Vec<Complex64>,
) -> Result<(Vec<f64>, Vec<Complex64>)> {
    circuit.check_theta(theta)?;
    if let Some(op) = circuit.ops().iter().find(|op| !op.is_unitary()) {
        return Err(Error::NonUnitaryOperation { op: op.name() });
    }
    let n = final_state.num_qubits();
    if circuit.num_qubits() > n {
        return Err(Error::QubitOutOfRange { qubit: circuit.num_qubits() - 1, num_qubits: n });
    }
    if cotangent.len() != final_state.amplitudes().len() {
        return Err(Error::DimensionMismatch {
            what: "cotangent length",
            expected: final_state.amplitudes().len(),
            got: cotangent.len(),
        });
    }
    let mut phi = final_state.into_amplitudes();
    let mut lambda = cotangent;
    let fresh;
    let plan = if circuit.num_qubits() == n {
        AdjointPlan::for_circuit(circuit)
    } else {
        fresh = AdjointPlan::new(circuit.ops(), n);
        &fresh
    };
    let grad = plan.run(circuit.ops(), theta, circuit.num_params(), &mut phi, &mut lambda);
    Ok((grad, lambda))
}

/// `<O>` and its gradient by the adjoint method, starting from `|0...0>`.
pub fn adjoint_gradient(
    circuit: &Circuit,
    theta: &[f64],
    observable: &PauliSum,
) -> Result<(f64, Vec<f64>)> {
    adjoint_gradient_from(circuit, theta, &StateVector::new(circuit.num_qubits())?, observable)
}

/// `<O>` and its gradient by the adjoint method, starting from `initial`.
pub fn adjoint_gradient_from(
    circuit: &Circuit,
    theta: &[f64],
    initial: &StateVector,
    observable: &PauliSum,
) -> Result<(f64, Vec<f64>)> {
    let mut psi = initial.clone();
    psi.apply_circuit(circuit, theta)?;
    let value = observable.expectation(psi.amplitudes())?;
    let cotangent = observable.apply(psi.amplitudes())?;
    Ok((value, vjp(circuit, theta, psi, cotangent)?))
}

/// `<O>` and its gradient by the parameter-shift rule (exact, 2 or 4 circuit runs per parameter
/// occurrence), starting from `|0...0>`. Runs the shifted circuits in parallel.
pub fn parameter_shift_gradient(
    circuit: &Circuit,
    theta: &[f64],
    observable: &PauliSum,
) -> Result<(f64, Vec<f64>)> {
    circuit.check_theta(theta)?;
    let expectation = |c: &Circuit| -> Result<f64> {
        let mut psi = StateVector::new(c.num_qubits())?;
        psi.apply_circuit(c, &[])?;
        observable.expectation(psi.amplitudes())
    };
    let bound = circuit.bind(theta)?;
    let value = expectation(&bound)?;
    // Every (operation, parameter slot) that refers to the parameter vector.
    let slots: Vec<(usize, usize, usize, f64)> = circuit
        .ops()
        .iter()
        .enumerate()
        .flat_map(|(i, op)| match op {
            Operation::Gate { params, .. } => params
                .iter()
                .enumerate()
                .filter_map(|(k, p)| match *p {
                    Param::Ref { index, scale } => Some((i, k, index, scale)),
                    Param::Fixed(_) => None,
                })
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    let contributions: Vec<(usize, f64)> = slots
        .par_iter()
        .map(|&(i, k, index, scale)| {
            let Operation::Gate { gate, .. } = &bound.ops()[i] else {
                unreachable!("slots only name gates")
            };
            let shifted = |delta: f64| -> Result<f64> {
                let mut c = bound.clone();
                c.shift_param(i, k, delta);
                expectation(&c)
            };
            let h = std::f64::consts::FRAC_PI_2;
            let d = match gate.shift_rule(k) {
                ShiftRule::TwoTerm => (shifted(h)? - shifted(-h)?) / 2.0,
                ShiftRule::FourTerm => {
                    let s2 = std::f64::consts::SQRT_2;
                    let (d1, d2) = ((s2 + 1.0) / (4.0 * s2), (s2 - 1.0) / (4.0 * s2));
                    d1 * (shifted(h)? - shifted(-h)?)
                        - d2 * (shifted(3.0 * h)? - shifted(-3.0 * h)?)
                }
            };
            Ok((index, scale * d))
        })
        .collect::<Result<_>>()?;
    let mut grad = vec![0.0; circuit.num_params()];
    for (index, d) in contributions {
        grad[index] += d;
    }
    Ok((value, grad))
}
