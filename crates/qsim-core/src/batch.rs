//! Many small circuits at once: the batch is spread over threads, each circuit runs on one.

use rayon::prelude::*;

use crate::circuit::Circuit;
use crate::error::Result;
use crate::pauli::PauliSum;
use crate::state::StateVector;

/// Runs `circuit` from `|0...0>` once per parameter vector, in parallel over the batch.
pub fn run_batch(circuit: &Circuit, thetas: &[Vec<f64>]) -> Result<Vec<StateVector>> {
    thetas
        .par_iter()
        .map(|theta| {
            let mut psi = StateVector::new(circuit.num_qubits())?;
            psi.apply_circuit(circuit, theta)?;
            Ok(psi)
        })
        .collect()
}

/// `<O>` for each parameter vector, in parallel over the batch (no states are kept).
pub fn expectation_batch(
    circuit: &Circuit,
    thetas: &[Vec<f64>],
    observable: &PauliSum,
) -> Result<Vec<f64>> {
    thetas
        .par_iter()
        .map(|theta| {
            let mut psi = StateVector::new(circuit.num_qubits())?;
            psi.apply_circuit(circuit, theta)?;
            psi.expectation(observable)
        })
        .collect()
}
