//! Helpers shared by the integration tests.

use qsim_core::density::DensityMatrix;
use qsim_core::gate::Gate;

/// A random mixed state: `gates_per_qubit * (n + 2)` random U + CX pairs on `n` system qubits and
/// 2 ancillas, the ancillas traced out. Deterministic in `seed`.
pub fn random_state(n: usize, seed: u64, gates_per_qubit: usize) -> DensityMatrix {
    let mut rho = DensityMatrix::new(n + 2).unwrap();
    let mut x = seed;
    let mut next = || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) as f64 / (1u64 << 31) as f64
    };
    for _ in 0..gates_per_qubit * (n + 2) {
        let q = (next() * (n + 2) as f64) as usize % (n + 2);
        let r = (q + 1 + (next() * (n + 1) as f64) as usize % (n + 1)) % (n + 2);
        rho.apply_gate(Gate::U, &[q], &[next() * 6.0, next() * 6.0, next() * 6.0]).unwrap();
        rho.apply_gate(Gate::Cx, &[q, r], &[]).unwrap();
    }
    rho.partial_trace(&(0..n).collect::<Vec<_>>()).unwrap()
}
