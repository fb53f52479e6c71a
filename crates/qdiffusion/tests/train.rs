//! Training: every loss lowers itself on a small problem, and resuming from a checkpoint gives
//! exactly the parameters of an uninterrupted run.

use qansatz_mps::ansatz::{AnsatzConfig, Block, Entangler, Init};
use qansatz_mps::embedding::{ConditionalAnsatz, Conditioning};
use qchannels::schedule::Schedule;
use qdiffusion::Error;
use qdiffusion::data::EncodedData;
use qdiffusion::distance::{Distance, MarginalMmd, MmdKernel};
use qdiffusion::features::Readout;
use qdiffusion::forward::{ForwardProcess, NoiseKind};
use qdiffusion::reverse::ReverseModel;
use qdiffusion::train::{Loss, Terms, TrainConfig, Trainer};

fn setup(steps: usize) -> (ReverseModel, ForwardProcess, EncodedData) {
    let config = AnsatzConfig {
        num_qubits: 3,
        num_ancillas: 1,
        layers: 2,
        block: Block::RyRz,
        entangler: Entangler::StaircaseXy,
        final_block: true,
        ancilla_coupling: Default::default(),
    };
    let reverse = ReverseModel::new(
        ConditionalAnsatz::new(config, Conditioning::Embedded { dim: 3 }, steps).unwrap(),
    )
    .unwrap();
    let forward = ForwardProcess::new(Schedule::cosine(steps, 0.008).unwrap(), NoiseKind::Local);
    // Two clusters of product states: near |000> and near |+++>.
    let data = EncodedData::Product(
        (0..40)
            .map(|i| {
                let jitter = 0.05 * ((i as f64) * 0.7).sin();
                if i % 2 == 0 {
                    vec![(0.1 + jitter, 0.0); 3]
                } else {
                    vec![(std::f64::consts::FRAC_PI_2 + jitter, 0.0); 3]
                }
            })
            .collect(),
    );
    (reverse, forward, data)
}

fn config(loss: Loss, iterations: usize) -> TrainConfig {
    TrainConfig {
        iterations,
        batch: 16,
        data_batch: 32,
        learning_rate: 0.05,
        final_learning_rate: 0.01,
        loss,
        readout: Readout::Bloch,
        marginal: None,
        init: Init::NearIdentity { scale: 0.01 },
        ema: None,
        seed: 3,
        checkpoint_every: 0,
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn mmd(kernel: MmdKernel, terms: Terms) -> Loss {
    Loss::Ensembles { distance: Distance::Mmd { kernel }, terms }
}

fn only(pick: fn(&mut Terms)) -> Terms {
    let mut terms = Terms { end: 0.0, levels: 0.0, teacher: 0.0, sequential: 0.0 };
    pick(&mut terms);
    terms
}

/// Each ensemble term alone, and the end of the chain with each of the others.
fn term_choices() -> Vec<Terms> {
    vec![
        Terms::END,
        only(|t| t.levels = 1.0),
        only(|t| t.teacher = 1.0),
        only(|t| t.sequential = 1.0),
        Terms { levels: 0.5, ..Terms::END },
        Terms { teacher: 0.5, ..Terms::END },
        Terms { sequential: 0.5, ..Terms::END },
    ]
}

#[test]
fn every_loss_decreases_on_a_small_problem() {
    let (reverse, forward, data) = setup(3);
    let gaussian = MmdKernel::Gaussian { scales: vec![0.5, 1.0, 2.0] };
    // The end term with the sequential one is left out: its gradient holds the chain before the
    // step fixed (a semi-gradient, as QuDDPM's), so their sum need not fall in 60 noisy
    // iterations; its parts are covered alone.
    let mut losses: Vec<Loss> = (term_choices().into_iter())
        .filter(|terms| !(terms.end > 0.0 && terms.sequential > 0.0))
        .map(|terms| mmd(gaussian.clone(), terms))
        .collect();
    losses.push(mmd(MmdKernel::Energy, Terms::END));
    losses.push(Loss::Ensembles {
        distance: Distance::SlicedWasserstein { projections: 16 },
        terms: Terms { levels: 0.5, ..Terms::END },
    });
    losses.push(Loss::DenoisingFidelity);
    for loss in losses {
        let trainer = Trainer::new(&reverse, &forward, &data, config(loss.clone(), 60)).unwrap();
        let mut state = trainer.init_state();
        trainer.train(&mut state, None, |_| {}).unwrap();
        let (first, last) = (mean(&state.losses()[..10]), mean(&state.losses()[50..]));
        assert!(last < first, "{loss:?}: mean loss {first} -> {last}");
    }
}

/// Checks the gradient of one iteration's loss along a direction against central differences.
fn assert_gradient_matches(trainer: &Trainer<'_>, what: &str) {
    // Away from the near-identity start, where every step does something.
    let params: Vec<f64> = (trainer.init_state().params().iter().enumerate())
        .map(|(i, p)| p + 0.4 * ((i as f64) * 1.7).cos())
        .collect();
    let (_, grad) = trainer.loss_and_gradient(&params, 5).unwrap();
    let h = 1e-6;
    let direction: Vec<f64> = (0..params.len()).map(|i| ((i as f64) * 0.37).sin()).collect();
    let at = |s: f64| -> f64 {
        let p: Vec<f64> = params.iter().zip(&direction).map(|(a, d)| a + s * d).collect();
        trainer.loss_and_gradient(&p, 5).unwrap().0
    };
    let fd = (at(h) - at(-h)) / (2.0 * h);
    let analytic: f64 = grad.iter().zip(&direction).map(|(g, d)| g * d).sum();
    let scale = analytic.abs().max(1e-3);
    assert!(
        (fd - analytic).abs() < 1e-4 * scale,
        "{what}: finite difference {fd} vs gradient {analytic}"
    );
}

#[test]
fn ensemble_gradients_match_finite_differences_at_fixed_draws() {
    let distances = [
        Distance::Mmd { kernel: MmdKernel::Gaussian { scales: vec![0.5, 1.0, 2.0] } },
        Distance::SlicedWasserstein { projections: 8 },
    ];
    for distance in distances {
        for terms in term_choices() {
            // The sequential term holds the chain before its step fixed, so its gradient is the
            // loss's derivative only when there is no chain before the step: one step.
            let steps = if terms.sequential > 0.0 { 1 } else { 4 };
            let (reverse, forward, data) = setup(steps);
            let loss = Loss::Ensembles { distance: distance.clone(), terms };
            let trainer = Trainer::new(&reverse, &forward, &data, config(loss, 1)).unwrap();
            assert_gradient_matches(&trainer, &format!("{distance:?} {terms:?}, T = {steps}"));
        }
    }
}

#[test]
fn bad_loss_weights_are_rejected() {
    let (reverse, forward, data) = setup(3);
    let gaussian = MmdKernel::Gaussian { scales: vec![1.0] };
    for terms in
        [only(|_| {}), Terms { end: -1.0, ..Terms::END }, Terms { levels: f64::NAN, ..Terms::END }]
    {
        let result =
            Trainer::new(&reverse, &forward, &data, config(mmd(gaussian.clone(), terms), 1));
        assert!(matches!(result, Err(Error::InvalidConfig { .. })), "{terms:?}");
    }
    let none = Loss::Ensembles {
        distance: Distance::SlicedWasserstein { projections: 0 },
        terms: Terms::END,
    };
    assert!(matches!(
        Trainer::new(&reverse, &forward, &data, config(none, 1)),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn the_per_qubit_mmd_term_lowers_the_chain_loss_and_needs_the_bloch_readout() {
    let (reverse, forward, data) = setup(3);
    let gaussian = MmdKernel::Gaussian { scales: vec![0.5, 1.0] };
    let marginal = Some(MarginalMmd { kernel: gaussian.clone(), weight: 1.0 });
    let config = TrainConfig { marginal, ..config(mmd(gaussian, Terms::END), 60) };
    let trainer = Trainer::new(&reverse, &forward, &data, config.clone()).unwrap();
    let mut state = trainer.init_state();
    trainer.train(&mut state, None, |_| {}).unwrap();
    let (first, last) = (mean(&state.losses()[..10]), mean(&state.losses()[50..]));
    assert!(last < first, "mean loss {first} -> {last}");
    let born = TrainConfig { readout: Readout::Born, ..config };
    assert!(matches!(
        Trainer::new(&reverse, &forward, &data, born),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn resuming_from_a_checkpoint_reproduces_an_uninterrupted_run() {
    let (reverse, forward, data) = setup(3);
    let loss = mmd(MmdKernel::Energy, Terms { levels: 0.5, sequential: 0.5, ..Terms::END });
    let dir = std::env::temp_dir().join(format!("qdiffusion-resume-{}", std::process::id()));
    let path = dir.join("checkpoint.bin");

    let straight = Trainer::new(&reverse, &forward, &data, config(loss.clone(), 12)).unwrap();
    let mut uninterrupted = straight.init_state();
    straight.train(&mut uninterrupted, None, |_| {}).unwrap();

    // The same run "crashes" after 5 iterations, having written a checkpoint at iteration 4 and
    // (by hand, as `train` would at its next multiple) at 5.
    let second = Trainer::new(
        &reverse,
        &forward,
        &data,
        TrainConfig { checkpoint_every: 4, ..config(loss.clone(), 12) },
    )
    .unwrap();
    let mut state = second.init_state();
    for _ in 0..5 {
        second.step(&mut state).unwrap();
        if state.iteration() == 4 {
            second.save_checkpoint(&path, &state).unwrap();
        }
    }
    second.save_checkpoint(&path, &state).unwrap();
    drop(state);
    let mut resumed = second.load_checkpoint(&path).unwrap();
    assert_eq!(resumed.iteration(), 5);
    second.train(&mut resumed, Some(&path), |_| {}).unwrap();
    assert_eq!(resumed.params(), uninterrupted.params(), "bit-identical parameters");
    assert_eq!(resumed.losses(), uninterrupted.losses());

    // What the checkpoint holds, read back.
    let file =
        qdiffusion::train::CheckpointFile::decode(&std::fs::read(&path).unwrap(), &path).unwrap();
    assert_eq!(file.state(), &resumed);
    assert_eq!(file.model_config(), &reverse.model().config());
    assert_eq!(file.train_config(), second.config());
    assert_eq!(file.data_fingerprint(), data.fingerprint());
    assert_eq!(second.checkpoint(&resumed), file);
    // Training starts from the configuration's initial parameters.
    assert_eq!(second.init_state().params(), second.config().initial_params(reverse.model()));

    // Another loss or learning rate cannot resume this checkpoint.
    let other =
        Trainer::new(&reverse, &forward, &data, config(Loss::DenoisingFidelity, 12)).unwrap();
    assert!(matches!(other.load_checkpoint(&path), Err(Error::Resume { .. })));
    // Nor can the same settings on other data (one image fewer).
    let EncodedData::Product(images) = &data else { unreachable!("product data") };
    let fewer = EncodedData::Product(images[1..].to_vec());
    let settings = TrainConfig { checkpoint_every: 4, ..config(loss.clone(), 12) };
    let elsewhere = Trainer::new(&reverse, &forward, &fewer, settings).unwrap();
    let err = elsewhere.load_checkpoint(&path).unwrap_err();
    assert!(matches!(&err, Error::Resume { reason, .. } if reason.contains("other data")), "{err}");
    // A damaged checkpoint is a typed error.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        second.load_checkpoint(&path),
        Err(Error::File(qfile::Error::ChecksumMismatch { .. }))
    ));
}

#[test]
fn bad_training_settings_are_errors() {
    let (reverse, forward, data) = setup(3);
    let loss = Loss::DenoisingFidelity;
    assert!(
        Trainer::new(
            &reverse,
            &forward,
            &data,
            TrainConfig { batch: 1, ..config(loss.clone(), 1) }
        )
        .is_err()
    );
    assert!(
        Trainer::new(
            &reverse,
            &forward,
            &data,
            TrainConfig { learning_rate: f64::NAN, ..config(loss.clone(), 1) }
        )
        .is_err()
    );
    let (_, other_forward, _) = setup(5);
    assert!(Trainer::new(&reverse, &other_forward, &data, config(loss, 1)).is_err());
}

#[test]
fn learning_rate_decays_along_a_half_cosine() {
    let (reverse, forward, data) = setup(3);
    let config = config(Loss::DenoisingFidelity, 11);
    let trainer = Trainer::new(&reverse, &forward, &data, config.clone()).unwrap();
    assert_eq!(trainer.learning_rate_at(0), config.learning_rate);
    assert!((trainer.learning_rate_at(10) - config.final_learning_rate).abs() < 1e-15);
    let middle = 0.5 * (config.learning_rate + config.final_learning_rate);
    assert!((trainer.learning_rate_at(5) - middle).abs() < 1e-15);
    assert!((1..=10).all(|k| trainer.learning_rate_at(k) < trainer.learning_rate_at(k - 1)));
}
