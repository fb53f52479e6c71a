//! Training from counts: the parameter-shift gradient estimated from shots matches the exact
//! adjoint gradient of the same loss on the channel average (`mixed`), and training from counts
//! lowers the loss, reproducibly.

use qdiffusion::data::EncodedData;
use qdiffusion::distance::{Distance, MmdKernel};
use qdiffusion::injection::{Axis, PauliDraw, data_forward_circuit};
use qdiffusion::mixed::MixedProgram;
use qdiffusion::model::ModelConfig;
use qdiffusion::reverse::ReverseModel;
use qdiffusion::sample::seed_angles;
use qdiffusion::shot_train::{
    LevelTerm, ShotTrainConfig, StepEstimate, StepSettings, estimate_step, train_from_counts,
};
use qhw_mitigation::backend::IdealBackend;
use qhw_mitigation::readout::TensoredReadout;

fn model() -> ReverseModel {
    ModelConfig {
        qubits: 2,
        ancillas: 1,
        steps: 3,
        ancilla_coupling: qansatz_mps::ansatz::AncillaCoupling::Chain,
        ..ModelConfig::default()
    }
    .reverse_model()
    .unwrap()
}

fn data() -> EncodedData {
    let h = std::f64::consts::FRAC_PI_2;
    EncodedData::Product(vec![
        vec![(0.0, 0.0), (std::f64::consts::PI, 0.0)],
        vec![(h, 0.0), (h, h)],
    ])
}

/// The shot estimate's loss within 1% and its gradient at cosine > 0.995 and norm within 3% of
/// the exact ones.
fn assert_matches_exact(shot: &StepEstimate, loss: f64, grad: &[f64]) {
    let dot: f64 = grad.iter().zip(&shot.gradient).map(|(a, b)| a * b).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let cosine = dot / (norm(grad) * norm(&shot.gradient));
    let ratio = norm(&shot.gradient) / norm(grad);
    println!(
        "loss {:.5} (exact {loss:.5}); gradient cosine {cosine:.5}, norm ratio {ratio:.4}; {} circuits",
        shot.loss, shot.circuits
    );
    assert!((shot.loss - loss).abs() < 0.01 * loss.abs() + 1e-4);
    assert!(cosine > 0.995, "cosine {cosine}");
    assert!((ratio - 1.0).abs() < 0.03, "ratio {ratio}");
}

#[test]
fn the_shot_gradient_is_the_adjoint_gradient_of_the_channel_average() {
    let reverse = model();
    let params: Vec<f64> = (0..reverse.model().num_params())
        .map(|i| 0.3 * ((i * 7 % 13) as f64 - 6.0) / 6.0)
        .collect();
    let seeds = seed_angles(2, 4, 3);
    let d = data();
    let targets: Vec<Vec<f64>> =
        (0..2).map(|i| d.features(i, qdiffusion::features::Readout::Bloch).unwrap()).collect();
    let distance = Distance::Mmd { kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0] } };
    let backend = IdealBackend::new(3);
    let readout = TensoredReadout::from_flips(&[(0.0, 0.0), (0.0, 0.0)]).unwrap();
    let steps = [1, 2, 3];
    let settings = StepSettings {
        distance: &distance,
        steps: &steps,
        shots: 400_000,
        readout: &readout,
        seed: 5,
        iteration: 0,
        level: None,
    };
    let shot = estimate_step(&backend, &reverse, &params, &seeds, &targets, &settings).unwrap();
    let exact = MixedProgram::exact(&reverse).unwrap();
    let (loss, grad) =
        exact.loss_and_gradient(&reverse, &params, &seeds, &targets, &distance, 0).unwrap();
    assert_matches_exact(&shot, loss, &grad);
}

#[test]
fn training_from_counts_lowers_the_loss_reproducibly() {
    let reverse = model();
    let backend = IdealBackend::new(3);
    let config = ShotTrainConfig {
        iterations: 24,
        batch: 8,
        data_batch: 16,
        shots: 512,
        timesteps_per_iteration: 2,
        calibration_shots: 2048,
        learning_rate: 0.05,
        final_learning_rate: 0.01,
        ..ShotTrainConfig::default()
    };
    let run = train_from_counts(&backend, &reverse, &data(), &config, None, |_, _| {}).unwrap();
    // Judged by the exact loss on many seeds (the shot-estimated batch losses are noisy).
    let exact = MixedProgram::exact(&reverse).unwrap();
    let seeds = seed_angles(2, 64, 99);
    let d = data();
    let targets: Vec<Vec<f64>> =
        (0..2).map(|i| d.features(i, qdiffusion::features::Readout::Bloch).unwrap()).collect();
    let distance = config.distance.clone();
    let loss =
        |p: &[f64]| exact.loss_and_gradient(&reverse, p, &seeds, &targets, &distance, 0).unwrap().0;
    // The same training with exact gradients of the channel average, for scale.
    let mixed_config = qdiffusion::mixed::train::MixedTrainConfig {
        iterations: config.iterations,
        batch: config.batch,
        data_batch: config.data_batch,
        learning_rate: config.learning_rate,
        final_learning_rate: config.final_learning_rate,
        distance: config.distance.clone(),
        init: config.init,
        seed: config.seed,
    };
    let init = qdiffusion::mixed::train::initial_params(&reverse, &mixed_config);
    let reference =
        qdiffusion::mixed::train::train_mixed(&exact, &reverse, &d, &mixed_config, |_, _| {})
            .unwrap();
    let (before, after, exact_after) = (loss(&init), loss(&run.params), loss(&reference.params));
    println!(
        "exact loss {before:.4} -> {after:.4} from counts, {exact_after:.4} with exact gradients; \
         {} circuits, {} shots, {} jobs ({} unbatched)",
        run.circuits, run.shots, run.jobs, run.jobs_unbatched
    );
    assert!(exact_after < before);
    assert!(before - after > 0.5 * (before - exact_after), "{before} -> {after} ({exact_after})");
    assert_eq!(run.jobs, 1 + 24);
    assert_eq!(run.jobs_unbatched, 1 + 3 * 24);
    let again = train_from_counts(&backend, &reverse, &data(), &config, None, |_, _| {}).unwrap();
    assert_eq!(run, again);
}

/// The level term: chains stopped at a level against targets the backend prepares (here with
/// no injected noise, so the targets are the data's features), its gradient against the
/// channel average's adjoint gradient of the same two-term loss.
#[test]
fn the_level_term_gradient_is_the_adjoint_gradient_of_the_stopped_chain() {
    let reverse = model();
    let params: Vec<f64> = (0..reverse.model().num_params())
        .map(|i| 0.3 * ((i * 5 % 11) as f64 - 5.0) / 5.0)
        .collect();
    let seeds = seed_angles(2, 4, 8);
    let d = data();
    let targets: Vec<Vec<f64>> =
        (0..2).map(|i| d.features(i, qdiffusion::features::Readout::Bloch).unwrap()).collect();
    let qdiffusion::data::EncodedData::Product(angles) = &d else { unreachable!() };
    let level = 2;
    let draw = PauliDraw::identity(level, 2);
    let target_circuits: Vec<_> = angles
        .iter()
        .flat_map(|a| {
            Axis::ALL.map(|axis| data_forward_circuit(2, &[0, 1], a, &draw, &[axis; 2]).unwrap())
        })
        .collect();
    let distance = Distance::Mmd { kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0] } };
    let readout = TensoredReadout::from_flips(&[(0.0, 0.0), (0.0, 0.0)]).unwrap();
    let weight = 0.7;
    let settings = StepSettings {
        distance: &distance,
        steps: &[1, 2, 3],
        shots: 400_000,
        readout: &readout,
        seed: 9,
        iteration: 0,
        level: Some(LevelTerm { level, weight, target_circuits: &target_circuits }),
    };
    let shot = estimate_step(&IdealBackend::new(3), &reverse, &params, &seeds, &targets, &settings)
        .unwrap();
    let exact = MixedProgram::exact(&reverse).unwrap();
    let stopped = exact.stopped_at(level).unwrap();
    let (end, mut grad) =
        exact.loss_and_gradient(&reverse, &params, &seeds, &targets, &distance, 0).unwrap();
    let (at_level, level_grad) =
        stopped.loss_and_gradient(&reverse, &params, &seeds, &targets, &distance, 0).unwrap();
    grad.iter_mut().zip(&level_grad).for_each(|(g, l)| *g += weight * l);
    let loss = end + weight * at_level;
    assert_matches_exact(&shot, loss, &grad);
    // Levels lie below T.
    let stops_before_every_step = StepSettings {
        level: Some(LevelTerm { level: 3, weight, target_circuits: &target_circuits }),
        ..settings
    };
    assert!(
        estimate_step(
            &IdealBackend::new(3),
            &reverse,
            &params,
            &seeds,
            &targets,
            &stops_before_every_step
        )
        .is_err()
    );
}

#[test]
fn a_level_term_needs_injected_strengths_of_every_step() {
    let reverse = model();
    let config = ShotTrainConfig { iterations: 1, levels: 1.0, ..ShotTrainConfig::default() };
    let backend = IdealBackend::new(3);
    let run = |injected: Option<&[Vec<f64>]>| {
        train_from_counts(&backend, &reverse, &data(), &config, injected, |_, _| {})
    };
    assert!(run(None).is_err());
    assert!(run(Some(&vec![vec![0.1, 0.1]; 2])).is_err());
    assert!(run(Some(&vec![vec![0.1]; 3])).is_err());
    assert!(run(Some(&vec![vec![0.1, 0.1]; 3])).is_ok());
    let negative = ShotTrainConfig { levels: -1.0, ..config.clone() };
    assert!(train_from_counts(&backend, &reverse, &data(), &negative, None, |_, _| {}).is_err());
}
