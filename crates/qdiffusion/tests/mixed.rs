//! The density-matrix reverse chain: its features are the channel average that qsim-core's own
//! density-matrix simulator computes for the chain circuit (with resets), and its gradient
//! matches central finite differences, with and without noise channels in the program.

use num_complex::Complex64;
use qansatz_mps::ansatz::Init;
use qdiffusion::distance::{Distance, MmdKernel};
use qdiffusion::mixed::{MixedOp, MixedProgram};
use qdiffusion::model::ModelConfig;
use qdiffusion::reverse::ReverseModel;
use qdiffusion::sample::seed_angles;
use qsim_core::circuit::Circuit;
use qsim_core::density::{DensityMatrix, superoperator};
use qsim_core::matrix::Matrix;
use qsim_core::pauli::{PauliString, PauliSum};
use rand::SeedableRng;

fn small_model() -> ReverseModel {
    ModelConfig { qubits: 3, ancillas: 1, steps: 3, ..ModelConfig::default() }
        .reverse_model()
        .unwrap()
}

fn params(model: &ReverseModel, seed: u64) -> Vec<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut p = model.model().init_params(Init::Uniform { scale: 1.0 }, &mut rng);
    // Nonzero embedding weights, so every step differs.
    for (i, x) in p.iter_mut().enumerate() {
        if *x == 0.0 {
            *x = 0.05 * ((i * 7) % 11) as f64 - 0.25;
        }
    }
    p
}

#[test]
fn features_are_the_channel_average_of_the_chain_circuit() {
    let model = small_model();
    let p = params(&model, 1);
    let program = MixedProgram::exact(&model).unwrap();
    let seed = &seed_angles(3, 1, 11)[0];
    let got = program.features(&model, &p, seed).unwrap();
    // The same chain as one circuit on qsim-core's density matrix: seed preparation, then for
    // t = T..1 the bound ansatz and a reset of the ancilla.
    let mut c = Circuit::new(4);
    for (q, &(theta, phi)) in seed.iter().enumerate() {
        c.u(q, theta, phi, 0.0).unwrap();
    }
    for t in (1..=3).rev() {
        c.append(&model.model().bound_circuit(&p, t).unwrap()).unwrap();
        c.reset(3).unwrap();
    }
    let mut rho = DensityMatrix::new(4).unwrap();
    rho.apply_circuit(&c, &[]).unwrap();
    for q in 0..3 {
        for (a, letter) in ["X", "Y", "Z"].iter().enumerate() {
            let o = PauliSum::single(1.0, PauliString::parse(&format!("{letter}{q}")).unwrap())
                .unwrap();
            let want = rho.expectation(&o).unwrap();
            assert!(
                (got[3 * q + a] - want).abs() < 1e-12,
                "qubit {q} {letter}: {} vs {want}",
                got[3 * q + a]
            );
        }
    }
    // Mixed: the ancilla resets leave shorter Bloch vectors than a pure state's.
    let norms: Vec<f64> =
        got.chunks(3).map(|b| b.iter().map(|x| x * x).sum::<f64>().sqrt()).collect();
    assert!(norms.iter().all(|&r| r <= 1.0 + 1e-12));
}

/// Depolarizing of strength `p` on one qubit, as a superoperator.
fn depolarizing(p: f64) -> Matrix {
    let c = |x: f64, y: f64| Complex64::new(x, y);
    let s = (p / 4.0).sqrt();
    let i = Matrix::new(
        1,
        vec![
            c((1.0 - 3.0 * p / 4.0).sqrt(), 0.0),
            c(0.0, 0.0),
            c(0.0, 0.0),
            c((1.0 - 3.0 * p / 4.0).sqrt(), 0.0),
        ],
    )
    .unwrap();
    let x = Matrix::new(1, vec![c(0.0, 0.0), c(s, 0.0), c(s, 0.0), c(0.0, 0.0)]).unwrap();
    let y = Matrix::new(1, vec![c(0.0, 0.0), c(0.0, -s), c(0.0, s), c(0.0, 0.0)]).unwrap();
    let z = Matrix::new(1, vec![c(s, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(-s, 0.0)]).unwrap();
    superoperator(&[i, x, y, z])
}

/// Amplitude damping of strength `gamma`, as a superoperator.
fn damping(gamma: f64) -> Matrix {
    let c = |x: f64| Complex64::new(x, 0.0);
    let k0 = Matrix::new(1, vec![c(1.0), c(0.0), c(0.0), c((1.0 - gamma).sqrt())]).unwrap();
    let k1 = Matrix::new(1, vec![c(0.0), c(gamma.sqrt()), c(0.0), c(0.0)]).unwrap();
    superoperator(&[k0, k1])
}

/// The exact program with a noise channel after every gate (depolarizing on each qubit of the
/// gate, and amplitude damping on its first qubit).
fn noisy(model: &ReverseModel) -> MixedProgram {
    let exact = MixedProgram::exact(model).unwrap();
    let steps = (1..=exact.steps())
        .map(|t| {
            let mut ops = Vec::new();
            for op in exact.step_ops(t) {
                ops.push(op.clone());
                if let MixedOp::Gate { qubits, .. } = op {
                    for &q in qubits {
                        ops.push(MixedOp::channel(vec![q], depolarizing(0.03)));
                    }
                    ops.push(MixedOp::channel(vec![qubits[0]], damping(0.02)));
                }
            }
            ops
        })
        .collect();
    MixedProgram::new(4, steps, vec![0, 1, 2], vec![0, 1, 2]).unwrap()
}

fn check_gradient(program: &MixedProgram, model: &ReverseModel) {
    let p = params(model, 2);
    let seeds = seed_angles(3, 4, 5);
    let data: Vec<Vec<f64>> = (0..6)
        .map(|i| (0..9).map(|j| (((i * 9 + j) as f64) * 0.7).sin() * 0.8).collect())
        .collect();
    let distance = Distance::Mmd { kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0] } };
    let (_, grad) = program.loss_and_gradient(model, &p, &seeds, &data, &distance, 0).unwrap();
    let loss =
        |q: &[f64]| program.loss_and_gradient(model, q, &seeds, &data, &distance, 0).unwrap().0;
    let h = 1e-5;
    let mut worst: f64 = 0.0;
    for j in (0..p.len()).step_by(7) {
        let (mut up, mut down) = (p.clone(), p.clone());
        up[j] += h;
        down[j] -= h;
        let fd = (loss(&up) - loss(&down)) / (2.0 * h);
        worst = worst.max((fd - grad[j]).abs());
        assert!(
            (fd - grad[j]).abs() < 1e-7 * (1.0 + fd.abs()),
            "parameter {j}: {} vs fd {fd}",
            grad[j]
        );
    }
    println!("worst |gradient - finite difference| = {worst:.2e}");
}

#[test]
fn the_gradient_matches_finite_differences() {
    let model = small_model();
    check_gradient(&MixedProgram::exact(&model).unwrap(), &model);
}

#[test]
fn the_gradient_through_noise_channels_matches_finite_differences() {
    let model = small_model();
    check_gradient(&noisy(&model), &model);
}

#[test]
fn bad_programs_are_typed_errors() {
    assert!(MixedProgram::new(13, vec![], vec![], vec![]).is_err());
    assert!(MixedProgram::new(2, vec![], vec![0, 0], vec![0, 1]).is_err());
    assert!(MixedProgram::new(2, vec![vec![MixedOp::reset(2)]], vec![0], vec![0]).is_err());
    let model = small_model();
    let program = MixedProgram::exact(&model).unwrap();
    assert!(program.features(&model, &params(&model, 1), &[(0.0, 0.0)]).is_err());
}

#[test]
fn training_through_a_program_lowers_the_loss_reproducibly() {
    use qdiffusion::data::EncodedData;
    use qdiffusion::mixed::train::{MixedTrainConfig, train_mixed};
    let model = ModelConfig { qubits: 2, ancillas: 1, steps: 2, ..ModelConfig::default() }
        .reverse_model()
        .unwrap();
    let half_pi = std::f64::consts::FRAC_PI_2;
    let data = EncodedData::Product(vec![
        vec![(0.0, 0.0), (std::f64::consts::PI, 0.0)],
        vec![(half_pi, 0.0), (half_pi, half_pi)],
    ]);
    let program = MixedProgram::exact(&model).unwrap();
    let config = MixedTrainConfig {
        iterations: 40,
        batch: 8,
        data_batch: 16,
        learning_rate: 0.05,
        final_learning_rate: 0.01,
        ..MixedTrainConfig::default()
    };
    let run = train_mixed(&program, &model, &data, &config, |_, _| {}).unwrap();
    let first: f64 = run.losses[..5].iter().sum::<f64>() / 5.0;
    let last: f64 = run.losses[35..].iter().sum::<f64>() / 5.0;
    println!("loss {first:.4} -> {last:.4}");
    assert!(last < 0.5 * first, "{first} -> {last}");
    let again = train_mixed(&program, &model, &data, &config, |_, _| {}).unwrap();
    assert_eq!(run, again);
}
