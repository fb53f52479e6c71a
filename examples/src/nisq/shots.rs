//! Training from counts on the device (part of `nisq_diffusion`): a smaller model trained by
//! parameter shift through the compiled device, deployed on it beside its untrained self, and
//! the variance of the parameter-shift estimator with and without antithetic pairing, from
//! counts.

use std::time::Instant;

use qdecoder::dataset::LabeledImages;
use qdecoder::score::Evaluator;
use qdiffusion::hardware::{
    Basis, ShotConfig, chain_circuit_with_free_step, estimate_bloch_on_device,
};
use qdiffusion::injection::{StepFloorConfig, compensate, estimate_step_floor};
use qdiffusion::reverse::ReverseModel;
use qdiffusion::sample::seed_angles;
use qdiffusion::shot_train::{ShotTrainConfig, ShotTraining, train_from_counts};
use qdiffusion::{Error, Result};
use qhw_mitigation::compiled::CompiledBackend;
use qhw_mitigation::device::NoisyDevice;
use qhw_mitigation::layout::best_path;
use qhw_mitigation::shot_gradient::{
    PairingComparison, RandomizedCircuit, Setting, compare_pairings,
};
use qsim_core::circuit::{Circuit, Operation, Param};
use serde::{Deserialize, Serialize};

use crate::mnist::codec::Codec;
use crate::mnist::event::Event;
use crate::mnist::outputs::write_samples;
use crate::mnist::run::Paths;
use crate::nisq::config::NisqConfig;
use crate::nisq::metrics::NisqRow;

/// What the shot-training stage measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShotStage {
    /// The device qubits of the chain.
    pub path: Vec<usize>,
    /// Trainable parameters.
    pub parameters: usize,
    /// The per-step noise floor of the system qubits, estimated on the device
    /// ([`estimate_step_floor`]) for the level term's forward samples.
    pub floors: Vec<f64>,
    /// Steps of the schedule the floors make unreachable (clamped to no injection), over all
    /// qubits.
    pub unreachable_steps: usize,
    /// Device seconds of the floor estimate.
    pub floor_device_seconds: f64,
    /// The training's losses and costs (forward samples injected with `schedule - floor`).
    pub training: ShotTraining,
    /// Seconds this machine spent on the training.
    pub training_host_seconds: f64,
    /// FID of the trained model on the device (readout-mitigated).
    pub fid: f64,
    /// FID of the untrained model (its initial parameters) on the device, same seeds and shots.
    pub fid_ablation: f64,
    /// The models trained with the level term, whose targets the device makes, if configured.
    pub level_term: Option<LevelTermRuns>,
    /// The pairing comparison.
    pub pairing: PairingComparison,
}

/// One more model trained from counts and deployed on the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShotRun {
    /// Its losses and costs.
    pub training: ShotTraining,
    /// Its FID on the device (readout-mitigated, the same seeds and shots).
    pub fid: f64,
}

/// Training from counts with the level term: forward samples made on the device with the
/// schedule minus its measured floor, and (the compensation's ablation) with the designed
/// schedule injected as is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelTermRuns {
    /// The level term's weight.
    pub weight: f64,
    /// With noise-floor compensation.
    pub compensated: ShotRun,
    /// Without it, if configured.
    pub uncompensated: Option<ShotRun>,
}

/// The chain with the first-layer `ry` angles of step `t` free (the parameters of the
/// comparison), every other angle at the trained values, the seed drawn from two uniforms per
/// system qubit (`theta = acos(1 - 2u)`, `phi = 2 pi v`, Haar-random), measured in X, Y and Z
/// with the observable `sum_q Z_q` after the basis change.
struct ChainFamily<'a> {
    reverse: &'a ReverseModel,
    params: &'a [f64],
    t: usize,
    /// Which angles of step `t` are free, in the circuit's numbering.
    free: Vec<usize>,
    /// The other angles' values.
    angles: Vec<f64>,
}

impl RandomizedCircuit for ChainFamily<'_> {
    fn num_params(&self) -> usize {
        self.free.len()
    }

    fn num_uniforms(&self) -> usize {
        2 * self.reverse.num_system()
    }

    fn settings(&self, u: &[f64]) -> qhw_mitigation::Result<Vec<Setting>> {
        let seed: Vec<(f64, f64)> = u
            .chunks_exact(2)
            .map(|p| ((1.0 - 2.0 * p[0]).clamp(-1.0, 1.0).acos(), std::f64::consts::TAU * p[1]))
            .collect();
        let n = self.reverse.num_system();
        let observable: Vec<(f64, usize)> = (0..n).map(|q| (1.0, 1 << q)).collect();
        Basis::ALL
            .into_iter()
            .map(|basis| {
                let c = chain_circuit_with_free_step(
                    self.reverse,
                    self.params,
                    &seed,
                    basis,
                    self.t,
                )
                .map_err(|e| qhw_mitigation::Error::InvalidConfig { reason: e.to_string() })?;
                Ok(Setting { circuit: self.restrict(&c)?, observable: observable.clone() })
            })
            .collect()
    }
}

impl ChainFamily<'_> {
    /// `c` with every parameter reference outside `free` bound to its value and the free ones
    /// renumbered `0..free.len()`.
    fn restrict(&self, c: &Circuit) -> qhw_mitigation::Result<Circuit> {
        let mut out = Circuit::with_clbits(c.num_qubits(), c.num_clbits());
        for op in c.ops() {
            let mut op = op.clone();
            if let Operation::Gate { params, .. } = &mut op {
                for p in params.iter_mut() {
                    if let Param::Ref { index, scale } = *p {
                        *p = match self.free.iter().position(|&f| f == index) {
                            Some(j) => Param::Ref { index: j, scale },
                            None => Param::Fixed(scale * self.angles[index]),
                        };
                    }
                }
            }
            out.push(op)?;
        }
        Ok(out)
    }
}

/// Trains the shot model from counts on `device`, deploys it and its untrained self, and
/// compares the pairings.
pub(crate) fn shot_stage(
    config: &NisqConfig,
    device: &NoisyDevice,
    paths: &Paths,
    train_images: &LabeledImages,
    evaluator: &Evaluator,
    rows: &mut Vec<NisqRow>,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<ShotStage> {
    let shot = config
        .shot_training
        .as_ref()
        .ok_or_else(|| Error::InvalidConfig { reason: "no shot-training configuration".into() })?;
    let reverse = shot.model.reverse_model()?;
    let (n, k) = (reverse.num_system(), reverse.num_ancillas());
    let mut mnist = config.as_mnist();
    mnist.quantum.model = shot.model.clone();
    mnist.autoencoder.num_qubits = n;
    let codec = Codec::build(&mnist, &paths.cache, train_images, on_event)?;
    let data = codec.encode(&train_images.images().to_matrix())?;
    let floor_features: Vec<Vec<f64>> = (0..config.samples.min(data.len()))
        .map(|i| data.features(i, qdiffusion::features::Readout::Bloch))
        .collect::<Result<_>>()?;
    let decoder_floor = evaluator.score(&codec.decode(&floor_features)?)?;
    rows.push(NisqRow {
        name: format!("decoder on encoded train images (floor, {n} qubits)"),
        file: None,
        score: decoder_floor,
    });
    let path = best_path(device.calibration(), n + k)?;
    let backend = CompiledBackend::new(device.clone(), path.clone())?;

    on_event(Event::Stage("noise floor of the shot model's qubits"));
    let system_qubits = &path[..n];
    let floor_config = StepFloorConfig { seed: config.seed, ..StepFloorConfig::default() };
    let floor = estimate_step_floor(device, system_qubits, &floor_config)?;
    let schedule = shot.model.forward_process()?.schedule().clone();
    let compensation = compensate(&schedule, system_qubits, &floor.floors())?;
    let steps = reverse.steps();
    let compensated = compensation.strengths_up_to(steps);
    let designed: Vec<Vec<f64>> = (1..=steps).map(|t| vec![schedule.beta(t); n]).collect();

    on_event(Event::Stage("training from counts (parameter shift on the device)"));
    let t0 = Instant::now();
    let train =
        |config: &ShotTrainConfig, injected: &[Vec<f64>], on_event: &mut dyn FnMut(Event<'_>)| {
            let total = config.iterations;
            train_from_counts(&backend, &reverse, &data, config, Some(injected), |it, loss| {
                on_event(Event::Iteration { done: it + 1, total, loss })
            })
        };
    let training = train(&shot.train, &compensated, on_event)?;
    let training_host_seconds = t0.elapsed().as_secs_f64();
    let level_config = ShotTrainConfig { levels: shot.level_weight, ..shot.train.clone() };
    let mut level_trainings = Vec::new();
    if shot.level_weight > 0.0 {
        on_event(Event::Stage("training from counts with the level term, floor compensated"));
        level_trainings.push(train(&level_config, &compensated, on_event)?);
        if shot.compensation_ablation {
            on_event(Event::Stage("training from counts with the level term, no compensation"));
            level_trainings.push(train(&level_config, &designed, on_event)?);
        }
    }

    on_event(Event::Stage("shot-trained model and its ablation on the device"));
    let seeds = seed_angles(n, config.samples, config.seed);
    let shot_config = ShotConfig {
        shots: config.shots,
        samples_per_job: config.samples_per_job,
        mitigation: qdiffusion::hardware::Mitigation::Tensored {
            calibration_shots: config.calibration_shots,
            method: qhw_mitigation::calibration::TensoredMethod::ZerosAndOnes,
        },
        seed: config.seed,
    };
    let initial = reverse
        .model()
        .init_params(shot.train.init, &mut qrandom::streams::TRAIN_INIT.rng(shot.train.seed, 0));
    let mut deployed = vec![
        ("shot-trained model on the device, REM", "shot_trained", &training.params),
        ("its ablation: the untrained model on the device, REM", "shot_trained_ablation", &initial),
    ];
    let level_rows = [
        (
            "shot-trained with the level term (floor compensated), on the device, REM",
            "shot_trained_levels",
        ),
        (
            "shot-trained with the level term, no floor compensation, on the device, REM",
            "shot_trained_levels_uncompensated",
        ),
    ];
    for (run, (name, file)) in level_trainings.iter().zip(level_rows) {
        deployed.push((name, file, &run.params));
    }
    let mut fids = vec![0.0; deployed.len()];
    for (i, (name, file, params)) in deployed.into_iter().enumerate() {
        let run = estimate_bloch_on_device(device, &path, &reverse, params, &seeds, &shot_config)?;
        let images = codec.decode(&run.features)?;
        let score = evaluator.score(&images)?;
        write_samples(&paths.out, file, &images, evaluator)?;
        fids[i] = score.fid;
        rows.push(NisqRow { name: name.to_string(), file: Some(file.to_string()), score });
    }

    on_event(Event::Stage("parameter-shift variance: independent vs antithetic pairing"));
    let t = reverse.steps();
    let angles = reverse.model().angles(&training.params, t)?;
    // The first-layer RY angle of every system qubit: blocks are (RY, RZ) per qubit.
    let free: Vec<usize> = (0..n).map(|q| 2 * q).collect();
    let family = ChainFamily { reverse: &reverse, params: &training.params, t, free, angles };
    let theta: Vec<f64> = family.free.iter().map(|&i| family.angles[i]).collect();
    let pairing = compare_pairings(
        &backend,
        &family,
        &theta,
        shot.variance_draws,
        shot.variance_shots,
        shot.variance_repeats,
        config.seed,
    )?;

    Ok(ShotStage {
        path,
        parameters: reverse.model().num_params(),
        floors: floor.floors(),
        unreachable_steps: compensation.unreachable.len(),
        floor_device_seconds: floor.device_seconds,
        training,
        training_host_seconds,
        fid: fids[0],
        fid_ablation: fids[1],
        level_term: level_runs(shot.level_weight, level_trainings, &fids[2..]),
        pairing,
    })
}

/// The level-term runs with their FIDs (compensated first), if there are any.
fn level_runs(weight: f64, trainings: Vec<ShotTraining>, fids: &[f64]) -> Option<LevelTermRuns> {
    let mut runs =
        trainings.into_iter().zip(fids).map(|(training, &fid)| ShotRun { training, fid });
    Some(LevelTermRuns { weight, compensated: runs.next()?, uncompensated: runs.next() })
}
