//! The schedule with the fewest exchanges ([`Schedule::FewestExchanges`](crate::Schedule)):
//! what one rank runs for a list of unitary operations, as local circuits for qsim-core's engine
//! and global<->local swaps between them.
//!
//! The planner takes the operations by light cones. A pass over the operations left takes every
//! one that neither mixes a global qubit (a non-diagonal gate on it, or its target) nor shares a
//! qubit with an operation left for later, so what it takes commutes with everything it leaves;
//! the pass becomes one local circuit, which the engine fuses and blocks as a whole. The first
//! operation left then mixes a global qubit: that qubit is swapped with the local qubit whose
//! next mixing use lies furthest ahead (Belady's rule; never used again is furthest), ties going
//! to the highest position (whose halves are contiguous, so the exchange needs no packing), and
//! the next pass begins. Global qubits an operation does not mix stay global: each rank applies
//! the block of the matrix its own bit values select (a phase for `rz` or `cz`, `x` or nothing
//! for a `cx` controlled by a global qubit).
//!
//! Gates on disjoint qubits commute exactly but not in floating point, so the amplitudes agree
//! with one process's to rounding, not bit for bit.

use num_complex::Complex64;
use qsim_core::circuit::{Circuit, Operation};
use qsim_core::matrix::Matrix;

use crate::block::{Block, mixes, restrict};
use crate::error::{Error, Result};
use crate::layout::QubitLayout;

/// One step of a rank's plan.
#[derive(Debug)]
pub(crate) enum Step {
    /// A circuit on the local qubits (physical positions), run on the rank's slice.
    Local(Circuit),
    /// Multiplies the slice by a scalar (a global-only diagonal gate when no qubit is local).
    Scale(Complex64),
    /// Exchanges the qubits at a global and a local physical position.
    Swap {
        /// The global position (at least the number of local qubits).
        global: usize,
        /// The local position.
        local: usize,
    },
}

/// The plan of one rank.
#[derive(Debug)]
pub(crate) struct RankPlan {
    /// The steps, in order.
    pub(crate) steps: Vec<Step>,
    /// The layout after the last step.
    pub(crate) layout: QubitLayout,
    /// Logical qubits that are global at the start and that some operation mixes.
    pub(crate) mixed_globals: usize,
}

/// One operation with what the planner needs of it.
struct Analysed<'a> {
    op: &'a Operation,
    qubits: Vec<usize>,
    matrix: Matrix,
    /// `mixed[j]`: the matrix mixes the values of `qubits[j]`.
    mixed: Vec<bool>,
}

/// The unitary operations of `ops` with their matrices (barriers skipped).
fn analyse<'a>(ops: &'a [Operation], theta: &[f64]) -> Result<Vec<Analysed<'a>>> {
    let mut analysed = Vec::with_capacity(ops.len());
    for op in ops {
        if !op.is_unitary() {
            return Err(qsim_core::Error::NonUnitaryOperation { op: op.name() }.into());
        }
        if let Some(matrix) = op.matrix(theta) {
            let qubits = op.qubits();
            let mixed = (0..qubits.len()).map(|j| mixes(&matrix, j)).collect();
            analysed.push(Analysed { op, qubits, matrix, mixed });
        }
    }
    Ok(analysed)
}

/// `needs[q]`: indices (into `analysed`) of the operations that mix qubit `q`, ascending.
fn mixing_uses(analysed: &[Analysed<'_>], n: usize) -> Vec<Vec<usize>> {
    let mut needs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, a) in analysed.iter().enumerate() {
        for (j, &q) in a.qubits.iter().enumerate() {
            if a.mixed[j] {
                needs[q].push(i);
            }
        }
    }
    needs
}

/// How many qubits global in `start` some operation of `ops` mixes (for the lower bound of
/// [`Traffic`](crate::Traffic)).
pub(crate) fn mixed_global_qubits(
    ops: &[Operation],
    theta: &[f64],
    start: &QubitLayout,
    local_qubits: usize,
) -> Result<usize> {
    let needs = mixing_uses(&analyse(ops, theta)?, start.num_qubits());
    Ok(count_mixed_globals(&needs, start, local_qubits))
}

fn count_mixed_globals(needs: &[Vec<usize>], start: &QubitLayout, local_qubits: usize) -> usize {
    (0..needs.len()).filter(|&q| start.physical(q) >= local_qubits && !needs[q].is_empty()).count()
}

/// Plans the unitary operations `ops` (barriers skipped) with angles `theta`, starting from
/// `start`, for rank `rank` of a state with `local_qubits` qubits per rank.
pub(crate) fn plan_for_rank(
    ops: &[Operation],
    theta: &[f64],
    start: &QubitLayout,
    local_qubits: usize,
    rank: usize,
) -> Result<RankPlan> {
    let n = start.num_qubits();
    let analysed = analyse(ops, theta)?;
    let needs = mixing_uses(&analysed, n);
    let mixed_globals = count_mixed_globals(&needs, start, local_qubits);

    let mut layout = start.clone();
    let mut steps = Vec::new();
    let mut segment = Circuit::new(local_qubits);
    // done[q]: how many of needs[q] have run (they run in order, see below).
    let mut done = vec![0usize; n];
    let mut remaining: Vec<usize> = (0..analysed.len()).collect();
    loop {
        // One light cone: every operation that neither mixes a global qubit nor follows (on a
        // shared qubit) one that was left for later. What is taken commutes with everything
        // left, since they share no qubit.
        let mut blocked = vec![false; n];
        let mut rest = Vec::new();
        for &i in &remaining {
            let a = &analysed[i];
            let mixes_global = (0..a.qubits.len())
                .any(|j| a.mixed[j] && layout.physical(a.qubits[j]) >= local_qubits);
            if mixes_global || a.qubits.iter().any(|&q| blocked[q]) {
                a.qubits.iter().for_each(|&q| blocked[q] = true);
                rest.push(i);
                continue;
            }
            push_local(a, &layout, local_qubits, rank, &mut segment, &mut steps)?;
            for (j, &q) in a.qubits.iter().enumerate() {
                done[q] += usize::from(a.mixed[j]);
            }
        }
        let Some(&first) = rest.first() else { break };
        // The first operation left mixes a global qubit (nothing was blocked before it): swap
        // those qubits in, each with the local qubit whose next mixing use is furthest ahead.
        let a = &analysed[first];
        let incoming: Vec<usize> = (0..a.qubits.len())
            .filter(|&j| a.mixed[j] && layout.physical(a.qubits[j]) >= local_qubits)
            .map(|j| a.qubits[j])
            .collect();
        let already_local = a.qubits.iter().filter(|&&q| layout.physical(q) < local_qubits).count();
        let too_wide = Error::GateTooWide {
            op: a.op.name(),
            qubits: already_local + incoming.len(),
            local_qubits,
        };
        if already_local + incoming.len() > local_qubits {
            return Err(too_wide);
        }
        flush(&mut segment, &mut steps, local_qubits);
        for q in incoming {
            let next_use = |p: usize| {
                let q = layout.logical(p);
                needs[q].get(done[q]).copied().unwrap_or(usize::MAX)
            };
            let victim = (0..local_qubits)
                .filter(|&p| !a.qubits.contains(&layout.logical(p)))
                .max_by_key(|&p| (next_use(p), p))
                .ok_or_else(|| too_wide.clone())?;
            steps.push(Step::Swap { global: layout.physical(q), local: victim });
            layout.swap_positions(layout.physical(q), victim);
        }
        remaining = rest;
    }
    flush(&mut segment, &mut steps, local_qubits);
    Ok(RankPlan { steps, layout, mixed_globals })
}

/// Ends the current local circuit (if it has operations) and starts a new one.
fn flush(segment: &mut Circuit, steps: &mut Vec<Step>, local_qubits: usize) {
    if !segment.ops().is_empty() {
        steps.push(Step::Local(std::mem::replace(segment, Circuit::new(local_qubits))));
    }
}

/// Appends what this rank does for `a`, whose mixed qubits are all local in `layout`. Gates keep
/// their parameters (bound when the local circuit runs); blocks are fixed matrices.
fn push_local(
    a: &Analysed,
    layout: &QubitLayout,
    local_qubits: usize,
    rank: usize,
    segment: &mut Circuit,
    steps: &mut Vec<Step>,
) -> Result<()> {
    let (mut fixed_mask, mut fixed_value) = (0usize, 0usize);
    for (j, &q) in a.qubits.iter().enumerate() {
        let p = layout.physical(q);
        if p >= local_qubits {
            fixed_mask |= 1 << j;
            fixed_value |= ((rank >> (p - local_qubits)) & 1) << j;
        }
    }
    let local = |q: usize| layout.physical(q);
    if fixed_mask == 0 {
        let mapped = match a.op {
            Operation::Gate { gate, qubits, params } => {
                let qubits: Vec<usize> = qubits.iter().map(|&q| local(q)).collect();
                Operation::Gate { gate: *gate, qubits, params: params.clone() }
            }
            Operation::Unitary { controls, targets, matrix } => Operation::Unitary {
                controls: controls.iter().map(|&q| local(q)).collect(),
                targets: targets.iter().map(|&q| local(q)).collect(),
                matrix: matrix.clone(),
            },
            _ => return Ok(()),
        };
        segment.push(mapped)?;
        return Ok(());
    }
    match restrict(&a.matrix, fixed_mask, fixed_value) {
        Block::Scalar(s) if s == Complex64::new(1.0, 0.0) => {}
        Block::Scalar(s) if local_qubits > 0 => {
            segment.unitary(&[0], Matrix::diagonal(&[s, s])?)?;
        }
        Block::Scalar(s) => {
            flush(segment, steps, local_qubits);
            steps.push(Step::Scale(s));
        }
        Block::Matrix { free, data } => {
            let m = Matrix::new(free.len(), data)?;
            if m.max_abs_diff(&Matrix::identity(free.len())) != 0.0 {
                let targets: Vec<usize> = free.iter().map(|&j| local(a.qubits[j])).collect();
                segment.unitary(&targets, m)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The 15-layer staircase with fixed angles: RY, RZ on every qubit, then the CNOT chain.
    pub(crate) fn staircase(n: usize) -> Circuit {
        let mut c = Circuit::new(n);
        for _ in 0..15 {
            for q in 0..n {
                c.ry(q, 0.4).unwrap().rz(q, 0.3).unwrap();
            }
            for q in 1..n {
                c.cx(q - 1, q).unwrap();
            }
        }
        c
    }

    fn swaps(plan: &RankPlan) -> Vec<(usize, usize)> {
        plan.steps
            .iter()
            .filter_map(|s| match s {
                Step::Swap { global, local } => Some((*global, *local)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn diagonal_gates_and_controls_on_global_qubits_need_no_swap() {
        // 4 qubits, 2 local: qubits 2 and 3 are global.
        let mut c = Circuit::new(4);
        c.rz(3, 0.3).unwrap().cz(2, 3).unwrap().cx(3, 0).unwrap().crz(2, 1, 0.5).unwrap();
        let plan = plan_for_rank(c.ops(), &[], &QubitLayout::identity(4), 2, 3).unwrap();
        assert!(swaps(&plan).is_empty());
        assert_eq!(plan.mixed_globals, 0);
    }

    #[test]
    fn a_mixed_global_qubit_swaps_once_with_the_local_qubit_used_last() {
        // Qubit 3 is global; h(3) twice reuses one swap. Qubit 1 is used again soonest after,
        // qubit 0 never: the victim is position 2 (never mixed again, highest).
        let mut c = Circuit::new(4);
        c.h(0).unwrap().h(3).unwrap().h(1).unwrap().h(3).unwrap();
        let plan = plan_for_rank(c.ops(), &[], &QubitLayout::identity(4), 3, 0).unwrap();
        assert_eq!(swaps(&plan), vec![(3, 2)]);
        assert_eq!(plan.layout.physical(3), 2);
        assert_eq!(plan.mixed_globals, 1);
    }

    #[test]
    fn too_wide_gates_are_errors() {
        let mut c = Circuit::new(3);
        c.ccx(0, 1, 2).unwrap();
        let err = plan_for_rank(c.ops(), &[], &QubitLayout::identity(3), 1, 0).unwrap_err();
        assert!(matches!(err, Error::GateTooWide { qubits: 2, local_qubits: 1, .. }));
    }

    /// The 15-layer staircase (RY, RZ on every qubit, then the CNOT chain) at 24 qubits. Walked
    /// in order, every layer mixes every qubit and one global qubit costs two swaps per layer (29
    /// in all). Taken by light cones, the first cone is the triangle that never touches the
    /// global qubits; then each global qubit is swapped once with a low qubit that has finished:
    /// g swaps, against the bound of `2 (1 - 2^-g)` half slices (1, 1.5, 1.75).
    #[test]
    fn staircase_swaps_at_24_qubits() {
        let n = 24;
        let c = staircase(n);
        for global in [1usize, 2, 3] {
            let local = n - global;
            let plan = plan_for_rank(c.ops(), &[], &QubitLayout::identity(n), local, 0).unwrap();
            let half_slices = 1u64 << global;
            let bytes = swaps(&plan).len() as u64 * half_slices * (1u64 << (local - 1)) * 16;
            let bound = crate::traffic::Traffic::minimum(1 << global, local, plan.mixed_globals);
            assert_eq!(swaps(&plan).len(), global, "{global} global qubit(s)");
            assert_eq!(plan.mixed_globals, global);
            // bytes / bound = g / (2 (1 - 2^-g)).
            let ratio = bytes as f64 / bound as f64;
            let expected = global as f64 / (2.0 * (1.0 - 0.5f64.powi(global as i32)));
            assert!((ratio - expected).abs() < 1e-12, "{ratio} against {expected}");
        }
    }

    /// At the sizes of the scaling model (30 to 40 qubits, up to 256 ranks) the staircase still
    /// needs one swap per global qubit in all.
    #[test]
    fn staircase_needs_one_swap_per_global_qubit_up_to_40_qubits() {
        for n in [30usize, 40] {
            let c = staircase(n);
            for g in 1..=8 {
                let start = QubitLayout::identity(n);
                let plan = plan_for_rank(c.ops(), &[], &start, n - g, 0).unwrap();
                assert_eq!(swaps(&plan).len(), g, "{n} qubits, {g} global");
            }
        }
    }
}
