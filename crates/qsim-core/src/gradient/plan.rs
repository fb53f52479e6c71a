//! The adjoint method's backward sweep, planned once per circuit and run per parameter vector.

use num_complex::Complex64;

use super::layer::undo_layer;
use super::undo::{matrix_element, pair_setup, run_setup, undo_pair_run, undo_run};
use crate::circuit::{Circuit, Operation, Param};
use crate::engine::{Plan, apply_fused, classify};
use crate::kernels::{self, Amps8, LANES};

/// The backward sweep of a circuit, planned once: every stretch of fixed gates between two
/// parametric ones is undone by one compiled program (its inverse, fused); parametric gates are
/// undone one at a time, collecting their derivatives on the way.
#[derive(Debug)]
pub(super) struct AdjointPlan {
    steps: Vec<BackStep>,
}

#[derive(Debug)]
enum BackStep {
    /// Undo a stretch of fixed operations: their inverses, in reverse order, and its plan.
    Block { inverse: Vec<Operation>, plan: Plan },
    /// Undo a run of single-qubit gates on one qubit (at least one parametric), taking every
    /// derivative of the run in the same pass: indices of the run's operations, in order.
    Run { qubit: usize, ops: Vec<usize> },
    /// Undo consecutive runs of single-qubit gates on distinct qubits (they commute) together,
    /// chunk by chunk: `(qubit, operation indices)` per run. Only for states of
    /// [`kernels::PARALLEL_THRESHOLD`] amplitudes or more, where a pass per run is
    /// memory-bound.
    Layer { runs: Vec<(usize, Vec<usize>)> },
    /// Undo a run of two-qubit gates on one pair (at least one parametric) in one pass, like
    /// `Run`: the pair (in the order of the matrices) and the run's operations, in order.
    PairRun { qubits: [usize; 2], ops: Vec<usize> },
    /// Undo the parametric multi-qubit gate at this index of the circuit.
    Param { op: usize },
}

fn is_parametric(op: &Operation) -> bool {
    matches!(op, Operation::Gate { params, .. } if params.iter().any(|p| matches!(p, Param::Ref { .. })))
}

impl AdjointPlan {
    /// The backward plan of `circuit` for a state of exactly its width, built once and kept in
    /// the circuit's plan cache.
    pub(super) fn for_circuit(circuit: &Circuit) -> &AdjointPlan {
        circuit.plans().get_or_init(|| AdjointPlan::new(circuit.ops(), circuit.num_qubits()))
    }

    /// Plans the backward sweep of the unitary operations `ops` on `n` qubits.
    pub(super) fn new(ops: &[Operation], n: usize) -> Self {
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
        if 1usize << n >= kernels::PARALLEL_THRESHOLD {
            steps = layered(steps);
        }
        Self { steps }
    }

    /// Runs the sweep: `phi` is the final state, `lambda` the cotangent; returns the gradient.
    pub(super) fn run(
        &self,
        ops: &[Operation],
        theta: &[f64],
        num_params: usize,
        phi: &mut Vec<Complex64>,
        lambda: &mut Vec<Complex64>,
    ) -> Vec<f64> {
        let mut grad = vec![0.0; num_params];
        for step in &self.steps {
            run_step(step, ops, theta, phi, lambda, &mut grad);
        }
        grad
    }

    /// [`AdjointPlan::run`] on [`LANES`] states side by side (the layout of
    /// [`kernels::Amps8`]), adding each state's gradient into its entry of `grads`. Runs of
    /// single-qubit gates and of two-qubit gates that only couple `00 <-> 11` and `01 <-> 10`
    /// take the batched kernels; every other step runs state by state. Each state's results are
    /// bit-identical to [`AdjointPlan::run`]'s for states below
    /// [`kernels::PARALLEL_THRESHOLD`] amplitudes (which use the same serial kernels).
    pub(super) fn run_lanes(
        &self,
        ops: &[Operation],
        theta: &[f64],
        phi: &mut [Amps8],
        lambda: &mut [Amps8],
        grads: &mut [Vec<f64>; LANES],
    ) {
        for step in &self.steps {
            match step {
                BackStep::Run { qubit, ops: members } => {
                    let setup = run_setup(ops, members, theta);
                    let r = kernels::adjoint_run_1q_lanes(phi, lambda, *qubit, &setup.undo);
                    for (rk, grad) in r.iter().zip(grads.iter_mut()) {
                        setup.collect(setup.through(rk), grad);
                    }
                    continue;
                }
                BackStep::PairRun { qubits, ops: members } => {
                    let setup = pair_setup(ops, members, *qubits, theta);
                    let [q0, q1] = *qubits;
                    let needed = setup.needed();
                    if let Some(r) =
                        kernels::adjoint_run_2q_lanes(phi, lambda, q0, q1, &setup.undo, &needed)
                    {
                        for (rk, grad) in r.iter().zip(grads.iter_mut()) {
                            setup.collect(setup.through(rk), grad);
                        }
                        continue;
                    }
                }
                _ => {}
            }
            // State by state.
            for (k, grad) in grads.iter_mut().enumerate() {
                let (mut p, mut l) = (kernels::lane(phi, k), kernels::lane(lambda, k));
                run_step(step, ops, theta, &mut p, &mut l, grad);
                kernels::set_lane(phi, k, &p);
                kernels::set_lane(lambda, k, &l);
            }
        }
    }
}

/// The steps with every stretch of consecutive [`BackStep::Run`]s on distinct qubits merged into
/// one [`BackStep::Layer`] (a stretch ends before a run whose qubit it already holds).
fn layered(steps: Vec<BackStep>) -> Vec<BackStep> {
    let mut out = Vec::with_capacity(steps.len());
    let mut layer: Vec<(usize, Vec<usize>)> = Vec::new();
    let close = |layer: &mut Vec<(usize, Vec<usize>)>, out: &mut Vec<BackStep>| match layer.len() {
        0 => {}
        1 => {
            let (qubit, ops) = layer.pop().expect("one run");
            out.push(BackStep::Run { qubit, ops });
        }
        _ => out.push(BackStep::Layer { runs: std::mem::take(layer) }),
    };
    for step in steps {
        match step {
            BackStep::Run { qubit, ops } => {
                if layer.iter().any(|(q, _)| *q == qubit) {
                    close(&mut layer, &mut out);
                }
                layer.push((qubit, ops));
            }
            other => {
                close(&mut layer, &mut out);
                out.push(other);
            }
        }
    }
    close(&mut layer, &mut out);
    out
}

/// One step of the backward sweep on one state.
fn run_step(
    step: &BackStep,
    ops: &[Operation],
    theta: &[f64],
    phi: &mut Vec<Complex64>,
    lambda: &mut Vec<Complex64>,
    grad: &mut [f64],
) {
    match step {
        BackStep::Block { inverse, plan } => {
            plan.run(phi, inverse, &[]);
            plan.run(lambda, inverse, &[]);
        }
        BackStep::Run { qubit, ops: members } => {
            undo_run(ops, members, *qubit, theta, phi, lambda, grad);
        }
        BackStep::Layer { runs } => undo_layer(ops, runs, theta, phi, lambda, grad),
        BackStep::PairRun { qubits, ops: members } => {
            undo_pair_run(ops, members, *qubits, theta, phi, lambda, grad);
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
