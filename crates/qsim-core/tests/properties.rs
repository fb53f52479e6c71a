//! Property tests: physical invariants that must hold for every circuit.

use proptest::prelude::*;
use qsim_core::circuit::{Circuit, Param};
use qsim_core::density::DensityMatrix;
use qsim_core::gate::Gate;
use qsim_core::matrix::Matrix;
use qsim_core::state::StateVector;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random circuit of `gates` gates on `n` qubits drawn from the whole gate set, with angles.
fn random_circuit(n: usize, gates: usize, seed: u64) -> Circuit {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let candidates: Vec<Gate> = Gate::ALL.iter().copied().filter(|g| g.num_qubits() <= n).collect();
    let mut c = Circuit::new(n);
    for _ in 0..gates {
        let g = candidates[rng.random_range(0..candidates.len())];
        let mut qubits: Vec<usize> = (0..n).collect();
        for i in 0..g.num_qubits() {
            let j = rng.random_range(i..n);
            qubits.swap(i, j);
        }
        qubits.truncate(g.num_qubits());
        let params: Vec<Param> =
            (0..g.num_params()).map(|_| Param::Fixed(rng.random_range(-6.3..6.3))).collect();
        c.gate(g, &qubits, &params).unwrap();
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn circuits_preserve_the_norm(n in 1usize..8, gates in 0usize..80, seed in any::<u64>()) {
        let c = random_circuit(n, gates, seed);
        let mut psi = StateVector::new(n).unwrap();
        psi.apply_circuit(&c, &[]).unwrap();
        prop_assert!((psi.norm_sqr() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn every_gate_is_unitary(index in 0usize..Gate::ALL.len(), angles in prop::array::uniform4(-10.0f64..10.0)) {
        let g = Gate::ALL[index];
        let m = g.matrix(&angles[..g.num_params()]).unwrap();
        prop_assert!(m.unitarity_deviation() < 1e-13, "{} deviates by {}", g.name(), m.unitarity_deviation());
    }

    #[test]
    fn density_matrix_agrees_with_the_state_vector_on_pure_states(n in 1usize..6, gates in 0usize..50, seed in any::<u64>()) {
        let c = random_circuit(n, gates, seed);
        let mut psi = StateVector::new(n).unwrap();
        psi.apply_circuit(&c, &[]).unwrap();
        let mut rho = DensityMatrix::new(n).unwrap();
        rho.apply_circuit(&c, &[]).unwrap();
        let expected = DensityMatrix::from_state_vector(&psi).unwrap();
        let worst = rho.as_slice().iter().zip(expected.as_slice()).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
        prop_assert!(worst < 1e-11, "max deviation {worst:e}");
        prop_assert!((rho.purity() - 1.0).abs() < 1e-10);
    }

    #[test]
    fn inverse_circuit_undoes_the_circuit(n in 1usize..6, gates in 0usize..40, seed in any::<u64>()) {
        let c = random_circuit(n, gates, seed);
        let mut both = c.clone();
        both.append(&c.inverse().unwrap()).unwrap();
        let mut psi = StateVector::new(n).unwrap();
        psi.apply_circuit(&both, &[]).unwrap();
        prop_assert!((psi.amplitudes()[0].norm_sqr() - 1.0).abs() < 1e-10);
    }

    #[test]
    fn controlled_unitaries_act_only_where_controls_are_set(seed in any::<u64>()) {
        // A random 1-qubit unitary from u3, controlled on qubit 2, applied to |011> and |111>.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let u = Gate::U.matrix(&[rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0)]).unwrap();
        let mut c = Circuit::new(3);
        c.controlled_unitary(&[2], &[0], u.clone()).unwrap();
        let mut off = StateVector::basis(3, 0b011).unwrap();
        off.apply_circuit(&c, &[]).unwrap();
        prop_assert!((off.amplitudes()[0b011].norm_sqr() - 1.0).abs() < 1e-14);
        let mut on = StateVector::basis(3, 0b101).unwrap();
        on.apply_circuit(&c, &[]).unwrap();
        prop_assert!((on.amplitudes()[0b100] - u.get(0, 1)).norm() < 1e-14);
        prop_assert!((on.amplitudes()[0b101] - u.get(1, 1)).norm() < 1e-14);
    }
}

/// Upper 99.9% quantile of the chi-square distribution (Wilson-Hilferty approximation).
fn chi_square_critical(dof: f64) -> f64 {
    let z = 3.090_232; // standard normal 99.9%
    let a = 2.0 / (9.0 * dof);
    dof * (1.0 - a + z * a.sqrt()).powi(3)
}

#[test]
fn sampled_frequencies_match_born_probabilities() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    for (trial, n) in [3usize, 5, 8].into_iter().enumerate() {
        let c = random_circuit(n, 40, 1000 + trial as u64);
        let mut psi = StateVector::new(n).unwrap();
        psi.apply_circuit(&c, &[]).unwrap();
        let shots = 200_000;
        let counts = psi.sample_counts(shots, &mut rng).unwrap();
        let probs = psi.probabilities();
        // Pool outcomes with small expectations into one bin so every bin expects >= 5.
        let (mut chi2, mut bins, mut pooled_e, mut pooled_o) = (0.0, 0usize, 0.0, 0.0);
        for (k, p) in probs.iter().enumerate() {
            let e = p * shots as f64;
            let o = *counts.get(&k).unwrap_or(&0) as f64;
            if e < 5.0 {
                pooled_e += e;
                pooled_o += o;
            } else {
                chi2 += (o - e).powi(2) / e;
                bins += 1;
            }
        }
        if pooled_e >= 5.0 {
            chi2 += (pooled_o - pooled_e).powi(2) / pooled_e;
            bins += 1;
        }
        let dof = (bins - 1) as f64;
        assert!(chi2 < chi_square_critical(dof), "n = {n}: chi2 {chi2:.1} with {dof} dof");
        // And an outcome with zero probability is never drawn.
        assert!(counts.keys().all(|&k| probs[k] > 0.0));
    }
}

#[test]
fn circuits_round_trip_through_serde() {
    let mut c = random_circuit(4, 30, 5);
    c.ry(1, Param::var(2)).unwrap();
    c.unitary(&[0, 3], Gate::Rxx.matrix(&[0.4]).unwrap()).unwrap();
    let json = serde_json::to_string(&c).unwrap();
    let back: Circuit = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    let theta = [0.0, 0.0, 0.9];
    let (mut a, mut b) = (StateVector::new(4).unwrap(), StateVector::new(4).unwrap());
    a.apply_circuit(&c, &theta).unwrap();
    b.apply_circuit(&back, &theta).unwrap();
    assert_eq!(a, b);
    let _ = Matrix::identity(1);
}
