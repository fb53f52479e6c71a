//! Trajectories average to the exact channel. Each test averages `N` independent trajectories
//! at a fixed seed and compares every entry of the averaged density matrix with the exact one;
//! an entry's standard error is at most `1/sqrt(N)` (entries of `|psi><psi|` are bounded by 1),
//! and the test allows 5 standard errors: `5 / sqrt(N)`.

use qchannels::standard;
use qchannels::trajectory::{self, Unravelling};
use qsim_core::Complex64;
use qsim_core::density::DensityMatrix;
use qsim_core::gate::Gate;
use qsim_core::state::StateVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const N: usize = 40_000;

fn entangled_start() -> StateVector {
    let mut psi = StateVector::new(3).unwrap();
    psi.apply_gate(Gate::U, &[0], &[1.1, 0.4, -0.7]).unwrap();
    psi.apply_gate(Gate::Cx, &[0, 1], &[]).unwrap();
    psi.apply_gate(Gate::Ry, &[2], &[0.8]).unwrap();
    psi.apply_gate(Gate::Cz, &[1, 2], &[]).unwrap();
    psi
}

/// Averages `|psi><psi|` over `N` trajectories of `step`, returning the largest deviation from
/// `exact` and the allowed bound.
fn average_deviation(
    exact: &DensityMatrix,
    mut step: impl FnMut(&mut StateVector, &mut ChaCha8Rng),
) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let d = exact.dim();
    let mut sum = vec![Complex64::new(0.0, 0.0); d * d];
    for _ in 0..N {
        let mut psi = entangled_start();
        step(&mut psi, &mut rng);
        let a = psi.amplitudes();
        for r in 0..d {
            for c in 0..d {
                sum[r * d + c] += a[r] * a[c].conj();
            }
        }
    }
    let worst = sum
        .iter()
        .zip(exact.as_slice())
        .map(|(s, e)| (s / N as f64 - e).norm())
        .fold(0.0, f64::max);
    (worst, 5.0 / (N as f64).sqrt())
}

#[test]
fn both_depolarizing_unravellings_average_to_the_exact_channel() {
    let p = 0.35;
    let qubits = [0, 2];
    let mut exact = DensityMatrix::from_state_vector(&entangled_start()).unwrap();
    standard::depolarizing(p).unwrap().apply_to_each(&mut exact, &qubits).unwrap();
    for unravelling in [Unravelling::PauliKicks, Unravelling::MeasureReprepare] {
        let (worst, bound) = average_deviation(&exact, |psi, rng| {
            trajectory::depolarize(psi, &qubits, p, unravelling, rng).unwrap()
        });
        assert!(worst < bound, "{unravelling:?}: deviation {worst:.4} >= {bound:.4}");
    }
}

#[test]
fn global_depolarizing_unravellings_average_to_the_exact_channel() {
    let p = 0.6;
    let qubits = [1, 2];
    let mut exact = DensityMatrix::from_state_vector(&entangled_start()).unwrap();
    standard::depolarizing_global(2, p).unwrap().apply(&mut exact, &qubits).unwrap();
    for unravelling in [Unravelling::PauliKicks, Unravelling::MeasureReprepare] {
        let (worst, bound) = average_deviation(&exact, |psi, rng| {
            trajectory::depolarize_global(psi, &qubits, p, unravelling, rng).unwrap()
        });
        assert!(worst < bound, "{unravelling:?}: deviation {worst:.4} >= {bound:.4}");
    }
}

#[test]
fn kraus_trajectories_average_to_the_exact_channel() {
    let channel = standard::amplitude_damping(0.4)
        .unwrap()
        .compose(&standard::dephasing(0.3).unwrap())
        .unwrap();
    let mut exact = DensityMatrix::from_state_vector(&entangled_start()).unwrap();
    channel.apply(&mut exact, &[1]).unwrap();
    let (worst, bound) = average_deviation(&exact, |psi, rng| {
        channel.apply_trajectory(psi, &[1], rng).unwrap();
    });
    assert!(worst < bound, "deviation {worst:.4} >= {bound:.4}");
}
