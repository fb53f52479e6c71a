//! The benchmark workloads, defined once: included by every criterion bench (`mod workloads;`)
//! and by the `bench_workloads` example that `cargo xtask bench-peers` runs as our side of the
//! peer comparison, so the criterion numbers and the peer table time the same circuits.
//!
//! The Python peer scripts (`xtask/peers/common.py`) build the same staircase with the same
//! parameter order; the checksums that `bench-peers` compares prove the two definitions agree.

// Each bench uses only part of this file.
#![allow(dead_code)]

use std::f64::consts::PI;

use qsim_core::circuit::{Circuit, Param};
use qsim_core::pauli::{PauliString, PauliSum};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Depth of the reference staircase ansatz: 15 layers, the depth the peer comparison uses.
pub const LAYERS: usize = 15;

/// Seed of the angles the criterion benches draw.
pub const SEED: u64 = 2024;

/// Number of parameters of the staircase: an RY and an RZ angle per qubit and layer.
pub fn staircase_num_params(num_qubits: usize, layers: usize) -> usize {
    2 * num_qubits * layers
}

/// The staircase circuit with every angle a parameter reference.
///
/// Per layer `l`: for each qubit `q`, `RY(theta[2 (l n + q)])` then `RZ(theta[2 (l n + q) + 1])`;
/// then the CNOT chain `CX(0, 1), CX(1, 2), ..., CX(n - 2, n - 1)`.
pub fn staircase(num_qubits: usize, layers: usize) -> qsim_core::Result<Circuit> {
    let mut circuit = Circuit::new(num_qubits);
    for layer in 0..layers {
        for q in 0..num_qubits {
            let index = 2 * (layer * num_qubits + q);
            circuit.ry(q, Param::var(index))?.rz(q, Param::var(index + 1))?;
        }
        for q in 1..num_qubits {
            circuit.cx(q - 1, q)?;
        }
    }
    Ok(circuit)
}

/// `count` angles uniform in `[-pi, pi)` from a `ChaCha8Rng` seeded with `seed`.
pub fn angles(seed: u64, count: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count).map(|_| rng.random_range(-PI..PI)).collect()
}

/// The observable of the gradient workload, `Z_0 Z_{n-1}`.
pub fn zz_observable(num_qubits: usize) -> qsim_core::Result<PauliSum> {
    PauliSum::single(1.0, PauliString::z_on(&[0, num_qubits - 1])?)
}
