//! Hardware-valid shot gradients: every figure from counts, the shifted runs paired only
//! through the circuits' classical randomness (here a random input state per draw, the role
//! the seed state plays in a diffusion model).
//!
//! All three pairings are unbiased; sharing the draws between the `+shift` and `-shift` runs
//! (and mirroring them) cuts the variance of the estimate at equal shots.

use qhw_mitigation::backend::ExactBackend;
use qhw_mitigation::counts::parity_sign;
use qhw_mitigation::device::{DeviceCalibration, NoisyDevice};
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::shot_gradient::{
    FixedCircuit, Pairing, RandomizedCircuit, Setting, compare_pairings,
};
use qsim_core::circuit::{Circuit, Param};
use qsim_core::pauli::{PauliString, PauliSum};

const QUBITS: usize = 3;
/// `Z0 Z1 + 0.5 Z2`.
const OBSERVABLE: [(f64, usize); 2] = [(1.0, 0b011), (0.5, 0b100)];

/// The six cardinal states, ordered so that state `k` and state `5 - k` are antipodal: the
/// antithetic partner `1 - u` of a draw picks the opposite state.
fn prepare(c: &mut Circuit, q: usize, k: usize) {
    match k {
        0 => {}
        1 => {
            c.h(q).unwrap();
        }
        2 => {
            c.h(q).unwrap().s(q).unwrap();
        }
        3 => {
            c.h(q).unwrap().sdg(q).unwrap();
        }
        4 => {
            c.x(q).unwrap().h(q).unwrap();
        }
        _ => {
            c.x(q).unwrap();
        }
    }
}

/// Two RY/RZ layers with a CNOT chain, and a controlled rotation (four-term rule).
fn ansatz(c: &mut Circuit) {
    let mut k = 0;
    for _ in 0..2 {
        for q in 0..QUBITS {
            c.ry(q, Param::var(k)).unwrap().rz(q, Param::var(k + 1)).unwrap();
            k += 2;
        }
        for q in 0..QUBITS - 1 {
            c.cx(q, q + 1).unwrap();
        }
    }
    c.cry(1, 2, Param::var(k)).unwrap();
}

const NUM_PARAMS: usize = 4 * QUBITS + 1;

/// A random cardinal input state on every qubit, then the ansatz.
struct RandomInput;

impl RandomInput {
    fn circuit(states: &[usize]) -> Circuit {
        let mut c = Circuit::new(QUBITS);
        for (q, &k) in states.iter().enumerate() {
            prepare(&mut c, q, k);
        }
        ansatz(&mut c);
        c
    }
}

impl RandomizedCircuit for RandomInput {
    fn num_params(&self) -> usize {
        NUM_PARAMS
    }

    fn num_uniforms(&self) -> usize {
        QUBITS
    }

    fn settings(&self, u: &[f64]) -> qhw_mitigation::Result<Vec<Setting>> {
        let states: Vec<usize> = u.iter().map(|x| ((x * 6.0) as usize).min(5)).collect();
        Ok(vec![Setting { circuit: Self::circuit(&states), observable: OBSERVABLE.to_vec() }])
    }
}

/// The exact gradient of the draw-averaged noisy expectation: central differences of exact
/// distributions, averaged over the 216 input states.
fn exact_gradient(device: &NoisyDevice, theta: &[f64]) -> Vec<f64> {
    let value = |t: &[f64]| -> f64 {
        let mut total = 0.0;
        for s in 0..216 {
            let states = [s % 6, s / 6 % 6, s / 36];
            let e = Experiment::new(RandomInput::circuit(&states), t.to_vec(), 0);
            let p = device.outcome_distribution(&e).unwrap().dense().unwrap();
            total += p
                .iter()
                .enumerate()
                .map(|(k, pk)| {
                    pk * OBSERVABLE.iter().map(|&(w, m)| w * parity_sign(k, m)).sum::<f64>()
                })
                .sum::<f64>();
        }
        total / 216.0
    };
    (0..theta.len())
        .map(|j| {
            let h = 1e-4;
            let (mut tp, mut tm) = (theta.to_vec(), theta.to_vec());
            tp[j] += h;
            tm[j] -= h;
            (value(&tp) - value(&tm)) / (2.0 * h)
        })
        .collect()
}

#[test]
fn shared_and_antithetic_draws_reduce_the_variance_of_an_unbiased_gradient() {
    let device = NoisyDevice::new(DeviceCalibration::default()).unwrap();
    let theta: Vec<f64> = (0..NUM_PARAMS).map(|i| 0.37 * i as f64 - 1.1).collect();
    let (draws, shots, repeats) = (8, 128, 120);
    let cmp = compare_pairings(&device, &RandomInput, &theta, draws, shots, repeats, 42).unwrap();
    println!(
        "{draws} draws x {shots} shots per shifted circuit ({} shots per estimate), {repeats} \
         repeats: variance independent/antithetic {:.2}, independent/mirrored {:.2}",
        cmp.shots_per_estimate, cmp.antithetic_ratio, cmp.mirrored_ratio
    );
    assert!(cmp.antithetic_ratio >= 1.5, "antithetic ratio {}", cmp.antithetic_ratio);
    // Unbiased: every pairing's mean is the exact gradient within its standard error.
    let exact = exact_gradient(&device, &theta);
    let variances = [&cmp.independent, &cmp.antithetic, &cmp.mirrored];
    for (p, pairing) in Pairing::ALL.iter().enumerate() {
        for (j, (m, e)) in cmp.means[p].iter().zip(&exact).enumerate() {
            let se = (variances[p][j] / repeats as f64).sqrt();
            assert!(
                (m - e).abs() < 5.0 * se + 1e-9,
                "{pairing:?}, parameter {j}: mean {m} vs exact {e} (se {se})"
            );
        }
    }
}

#[test]
fn without_classical_randomness_no_pairing_helps() {
    // A device couples nothing between two circuits' shots: with no draws to share, the three
    // estimators are the same estimator.
    let device = NoisyDevice::new(DeviceCalibration::default()).unwrap();
    let mut c = Circuit::new(QUBITS);
    ansatz(&mut c);
    let mut obs = PauliSum::new();
    obs.add(1.0, PauliString::parse("Z0 Z1").unwrap()).unwrap();
    let family = FixedCircuit::new(c, &obs).unwrap();
    let theta: Vec<f64> = (0..NUM_PARAMS).map(|i| 0.21 * i as f64).collect();
    let cmp = compare_pairings(&device, &family, &theta, 2, 64, 150, 7).unwrap();
    println!(
        "fixed circuit: variance ratios antithetic {:.2}, mirrored {:.2}",
        cmp.antithetic_ratio, cmp.mirrored_ratio
    );
    // 150 repeats estimate a total variance to about +-12% (13 parameters, chi-square);
    // the bound leaves room for two such errors.
    for r in [cmp.antithetic_ratio, cmp.mirrored_ratio] {
        assert!((0.7..1.43).contains(&r), "ratio {r}");
    }
}
