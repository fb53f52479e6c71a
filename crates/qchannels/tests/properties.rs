//! Property tests of channels on density matrices.

use nalgebra::{DMatrix, SymmetricEigen};
use proptest::prelude::*;
use qchannels::channel::Channel;
use qchannels::schedule::Schedule;
use qchannels::standard;
use qsim_core::Complex64;
use qsim_core::density::DensityMatrix;
use qsim_core::matrix::Matrix;

mod common;

/// A random mixed state of `n` qubits (see [`common::random_state`]).
fn random_state(n: usize, seed: u64) -> DensityMatrix {
    common::random_state(n, seed, 6)
}

/// A random channel from the standard family with random strengths, composed and tensored.
fn random_channel(k: usize, a: f64, b: f64, c: f64) -> Channel {
    let one = standard::amplitude_damping(a)
        .unwrap()
        .compose(&standard::pauli(b / 3.0, c / 3.0, (a * b) / 3.0).unwrap())
        .unwrap()
        .compose(&standard::generalized_amplitude_damping(c, b).unwrap())
        .unwrap();
    if k == 1 {
        one
    } else {
        one.tensor(&standard::depolarizing(a).unwrap())
            .compose(&standard::depolarizing_global(2, c).unwrap())
            .unwrap()
    }
}

fn min_eigenvalue(rho: &DensityMatrix) -> f64 {
    let d = rho.dim();
    let m = DMatrix::from_fn(d, d, |r, c| rho.get(r, c));
    SymmetricEigen::new(m).eigenvalues.iter().copied().fold(f64::INFINITY, f64::min)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn channels_map_states_to_states(n in 2usize..5, k in 1usize..3, a in 0.0f64..1.0, b in 0.0f64..1.0, c in 0.0f64..1.0, seed in any::<u64>()) {
        let mut rho = random_state(n, seed);
        let ch = random_channel(k, a, b, c);
        let qubits: Vec<usize> = (0..k).map(|j| (j + seed as usize) % n).collect();
        ch.apply(&mut rho, &qubits).unwrap();
        prop_assert!(rho.hermiticity_deviation() < 1e-12);
        prop_assert!((rho.trace().re - 1.0).abs() < 1e-12 && rho.trace().im.abs() < 1e-12);
        prop_assert!(min_eigenvalue(&rho) >= -1e-12);
    }

    #[test]
    fn kraus_operators_are_complete_in_every_representation(k in 1usize..3, a in 0.0f64..1.0, b in 0.0f64..1.0, c in 0.0f64..1.0) {
        let ch = random_channel(k, a, b, c);
        // Round trip through the superoperator and through the PTM, then back to Kraus.
        for form in [ch.clone(), Channel::from_superoperator(k, ch.superoperator()).unwrap(), Channel::from_ptm(k, &ch.ptm()).unwrap()] {
            let kraus = form.kraus();
            let d = 1usize << k;
            let mut sum = vec![Complex64::new(0.0, 0.0); d * d];
            for op in &kraus {
                for (s, v) in sum.iter_mut().zip(op.adjoint().mul(op).as_slice()) {
                    *s += v;
                }
            }
            let deviation = Matrix::new(k, sum).unwrap().max_abs_diff(&Matrix::identity(k));
            prop_assert!(deviation < 1e-10, "deviation {deviation:e}");
            prop_assert!(form.superoperator().max_abs_diff(&ch.superoperator()) < 1e-10);
        }
    }

    #[test]
    fn t_single_steps_equal_the_closed_form(steps in 1usize..40, seed in any::<u64>(), cosine in any::<bool>()) {
        let s = if cosine { Schedule::cosine(steps, 0.008).unwrap() } else { Schedule::linear(steps, 0.01, 0.3).unwrap() };
        let n = 3;
        let qubits: Vec<usize> = (0..n).collect();
        let mut stepwise = random_state(n, seed);
        let mut direct = stepwise.clone();
        for t in 1..=steps {
            s.step_channel(t).unwrap().apply_to_each(&mut stepwise, &qubits).unwrap();
        }
        s.cumulative_channel(steps).unwrap().apply_to_each(&mut direct, &qubits).unwrap();
        let worst = stepwise.as_slice().iter().zip(direct.as_slice()).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
        prop_assert!(worst < 1e-12, "max deviation {worst:e}");
    }
}

#[test]
fn global_depolarizing_at_strength_one_gives_the_maximally_mixed_state() {
    for n in 1..5 {
        let mut rho = random_state(n, 17 + n as u64);
        let qubits: Vec<usize> = (0..n).collect();
        standard::depolarizing_global(n, 1.0).unwrap().apply(&mut rho, &qubits).unwrap();
        let mixed = DensityMatrix::maximally_mixed(n).unwrap();
        let worst = rho
            .as_slice()
            .iter()
            .zip(mixed.as_slice())
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        assert!(worst < 1e-13, "n = {n}: {worst:e}");
    }
}

#[test]
fn pauli_composition_matches_superoperator_composition() {
    let a = standard::pauli(0.1, 0.2, 0.05).unwrap();
    let b = standard::depolarizing(0.3).unwrap();
    let composed = a.compose(&b).unwrap();
    assert!(composed.pauli_probabilities().is_some());
    let via_superop = b.superoperator().mul(&a.superoperator());
    assert!(composed.superoperator().max_abs_diff(&via_superop) < 1e-14);
}
