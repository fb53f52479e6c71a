//! The adjoint method for many states of one circuit at once (same angles): each state's result
//! is exactly what [`vjp_with_input`] returns for it, computed eight states side by side.

use num_complex::Complex64;

use super::adjoint::vjp_with_input;
use super::plan::AdjointPlan;
use crate::circuit::Circuit;
use crate::error::{Error, Result};
use crate::kernels::{self, Amps8, LANES};
use crate::state::StateVector;

/// How many states [`vjp_with_input_many`] runs side by side: batches of this many (or whole
/// multiples of it) use the batched kernels fully.
pub const STATES_PER_BATCH: usize = LANES;

/// [`vjp_with_input`] for several final states of `circuit` with the same angles `theta`:
/// `(gradient, input cotangent)` per state, in order, bit-identical to calling
/// [`vjp_with_input`] on each (`finals[i]` and `cotangents[i]` belong together).
///
/// The states are processed [`STATES_PER_BATCH`] at a time in a layout with one state per
/// vector lane (every gate coefficient a broadcast, no shuffles), which makes the backward
/// sweep several times cheaper per state than one state at a time. Serial: callers parallelise
/// over batches. States of 2^14 amplitudes or more (where the single-state method goes parallel),
/// and states wider than the circuit, go through [`vjp_with_input`] one by one.
pub fn vjp_with_input_many(
    circuit: &Circuit,
    theta: &[f64],
    finals: &[&[Complex64]],
    cotangents: Vec<Vec<Complex64>>,
) -> Result<Vec<(Vec<f64>, Vec<Complex64>)>> {
    if finals.len() != cotangents.len() {
        return Err(Error::DimensionMismatch {
            what: "cotangents (one per final state)",
            expected: finals.len(),
            got: cotangents.len(),
        });
    }
    let dim = 1usize << circuit.num_qubits();
    let batched = dim < kernels::PARALLEL_THRESHOLD
        && finals.iter().all(|f| f.len() == dim)
        && cotangents.iter().all(|c| c.len() == dim);
    if !batched {
        // Whatever the mismatch, the single-state entry point reports it.
        return finals
            .iter()
            .zip(cotangents)
            .map(|(f, c)| {
                vjp_with_input(circuit, theta, StateVector::from_amplitudes(f.to_vec())?, c)
            })
            .collect();
    }
    circuit.check_theta(theta)?;
    if let Some(op) = circuit.ops().iter().find(|op| !op.is_unitary()) {
        return Err(Error::NonUnitaryOperation { op: op.name() });
    }
    let plan = AdjointPlan::for_circuit(circuit);
    let mut out = Vec::with_capacity(finals.len());
    let (mut phi, mut lambda) = (vec![Amps8::default(); dim], vec![Amps8::default(); dim]);
    for (batch, cotangents) in finals.chunks(LANES).zip(cotangents.chunks(LANES)) {
        // Unused lanes hold zeros, whose results are dropped.
        kernels::pack_lanes(&mut phi, batch);
        let cotangents: Vec<&[Complex64]> = cotangents.iter().map(|c| c.as_slice()).collect();
        kernels::pack_lanes(&mut lambda, &cotangents);
        let mut grads: [Vec<f64>; LANES] = std::array::from_fn(|_| vec![0.0; circuit.num_params()]);
        plan.run_lanes(circuit.ops(), theta, &mut phi, &mut lambda, &mut grads);
        for (k, grad) in grads.into_iter().take(batch.len()).enumerate() {
            out.push((grad, kernels::lane(&lambda, k)));
        }
    }
    Ok(out)
}
