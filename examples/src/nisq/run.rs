//! The NISQ experiment's stages in order: instruments (classifier, autoencoder), the device and
//! its noise floor, the two trainings, the exact and the device samples, outputs.

use std::time::Instant;

use nalgebra::DMatrix;
use qdecoder::classifier::Classifier;
use qdecoder::dataset::{Mnist, VALIDATION_SIZE};
use qdecoder::score::Evaluator;
use qdiffusion::hardware::{ShotConfig, estimate_bloch_on_device};
use qdiffusion::injection::{
    ForwardNoiseConfig, StepFloorConfig, estimate_step_floor, measure_forward_noise,
    true_step_floor,
};
use qdiffusion::mixed::MixedProgram;
use qdiffusion::mixed::device::device_program;
use qdiffusion::mixed::train::{initial_params, train_mixed};
use qdiffusion::sample::seed_angles;
use qdiffusion::{Error, Result};
use qhw_mitigation::calibration::TensoredMethod;
use qhw_mitigation::device::{DeviceCalibration, NoisyDevice};
use qhw_mitigation::layout::best_path;

use crate::mnist::cache::CachedModel;
use crate::mnist::codec::Codec;
use crate::mnist::config::EvalSplit;
use crate::mnist::event::Event;
use crate::mnist::outputs::{first_columns, write_samples};
use crate::mnist::run::{Paths, io_error};
use crate::nisq::config::NisqConfig;
use crate::nisq::metrics::{DeviceSummary, NisqMetrics, NisqRow, Training};
use crate::nisq::shots::shot_stage;

/// Runs the experiment, reporting progress to `on_event`; writes the outputs into `paths.out`
/// and returns what it measured.
pub fn run(
    config: &NisqConfig,
    paths: &Paths,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<NisqMetrics> {
    let start = Instant::now();
    if config.samples < 2 {
        return Err(Error::InvalidConfig { reason: "at least two samples are needed".into() });
    }
    let mnist_config = config.as_mnist();
    let mnist = Mnist::load(&paths.data)?;
    let splits = mnist.split_validation(VALIDATION_SIZE)?;
    let reference = match config.split {
        EvalSplit::Validation => &splits.validation,
        EvalSplit::Test => &splits.test,
    };

    on_event(Event::Stage("FID classifier"));
    let epochs = config.classifier.train.epochs;
    let (classifier, status) = Classifier::load_or_train(
        paths.cache.join(CachedModel::Classifier.file_name(&mnist_config)),
        &mnist.train,
        &config.classifier,
        |r| on_event(Event::Epoch { model: "classifier", report: r, epochs }),
    )?;
    crate::mnist::event::note_cache(on_event, "FID classifier", &status);
    let evaluator = Evaluator::new(classifier, &reference.images().to_matrix())?;
    let codec = Codec::build(&mnist_config, &paths.cache, &splits.train, on_event)?;
    let train_images = splits.train.images().to_matrix();
    let data = codec.encode(&train_images)?;
    let n = config.samples;
    let mut rows = Vec::new();
    let mut score = |name: &str, file: Option<&str>, images: &DMatrix<f32>| -> Result<f64> {
        let s = evaluator.score(images)?;
        if let Some(file) = file {
            write_samples(&paths.out, file, images, &evaluator)?;
        }
        rows.push(NisqRow { name: name.to_string(), file: file.map(str::to_string), score: s });
        Ok(rows.last().expect("pushed").score.fid)
    };
    std::fs::create_dir_all(&paths.out).map_err(|e| io_error(&paths.out, e))?;
    let floor_features: Vec<Vec<f64>> = (0..n.min(data.len()))
        .map(|i| data.features(i, qdiffusion::features::Readout::Bloch))
        .collect::<Result<_>>()?;
    score("decoder on encoded train images (floor)", None, &codec.decode(&floor_features)?)?;
    score("real train images (floor)", None, &first_columns(&train_images, n))?;

    on_event(Event::Stage("device: path, noise floor, forward process"));
    let calibration = DeviceCalibration::from_file(&config.device)?.scaled(config.error_scale)?;
    let device = NoisyDevice::new(calibration.clone())?;
    let reverse = config.model.reverse_model()?;
    let (ns, k) = (reverse.num_system(), reverse.num_ancillas());
    let path = best_path(&calibration, ns + k)?;
    let system_qubits = &path[..ns];
    let floor_config = StepFloorConfig { seed: config.seed, ..StepFloorConfig::default() };
    let floor = estimate_step_floor(&device, system_qubits, &floor_config)?;
    let true_floor = true_step_floor(&calibration, system_qubits)?;
    let forward_config = ForwardNoiseConfig { seed: config.seed, ..ForwardNoiseConfig::default() };
    let forward = measure_forward_noise(
        &device,
        system_qubits,
        config.model.forward_process()?.schedule(),
        &floor.floors(),
        &forward_config,
    )?;

    on_event(Event::Stage("training: noise-unaware (exact channel)"));
    let exact = MixedProgram::exact(&reverse)?;
    let t0 = Instant::now();
    let total = config.train.iterations;
    let unaware = train_mixed(&exact, &reverse, &data, &config.train, |k, loss| {
        on_event(Event::Iteration { done: k + 1, total, loss })
    })?;
    let unaware_seconds = t0.elapsed().as_secs_f64();

    on_event(Event::Stage("training: noise-aware (through the device's noise)"));
    let program = device_program(&reverse, &device, &path)?;
    on_event(Event::Note(format!(
        "chain on device qubits {path:?}: {} cx, {} swaps, {} two-pulse runs per sample",
        program.cx, program.swaps, program.pulse_pairs
    )));
    let t0 = Instant::now();
    let aware = train_mixed(&program.program, &reverse, &data, &config.train, |k, loss| {
        on_event(Event::Iteration { done: k + 1, total, loss })
    })?;
    let aware_seconds = t0.elapsed().as_secs_f64();

    on_event(Event::Stage("exact samples (no device)"));
    let seeds = seed_angles(ns, n, config.seed);
    let exact_features = |params: &[f64]| -> Result<Vec<Vec<f64>>> {
        seeds.iter().map(|s| exact.features(&reverse, params, s)).collect()
    };
    let fid_exact = score(
        "noise-unaware model, exact channel average (no device)",
        Some("exact"),
        &codec.decode(&exact_features(&unaware.params)?)?,
    )?;
    score(
        "noise-aware model, exact channel average (no device)",
        None,
        &codec.decode(&exact_features(&aware.params)?)?,
    )?;
    let seed_features: Vec<Vec<f64>> =
        seeds.iter().map(|s| qdiffusion::data::product_bloch(s)).collect();
    score("ablation: the seeds, no reverse process", None, &codec.decode(&seed_features)?)?;
    score(
        "untrained model, exact channel average (no device)",
        None,
        &codec.decode(&exact_features(&initial_params(&reverse, &config.train))?)?,
    )?;

    on_event(Event::Stage("device samples"));
    let shot_config = ShotConfig {
        shots: config.shots,
        samples_per_job: config.samples_per_job,
        mitigation: qdiffusion::hardware::Mitigation::Tensored {
            calibration_shots: config.calibration_shots,
            method: TensoredMethod::ZerosAndOnes,
        },
        seed: config.seed,
    };
    let mut device_rows = Vec::new();
    let mut fids = [[0.0; 2]; 2];
    for (m, (label, file, params)) in [
        ("noise-unaware", "device_noise_unaware", &unaware.params),
        ("noise-aware", "device_noise_aware", &aware.params),
    ]
    .into_iter()
    .enumerate()
    {
        let t0 = Instant::now();
        let run = estimate_bloch_on_device(&device, &path, &reverse, params, &seeds, &shot_config)?;
        fids[m][0] = score(
            &format!("{label} model on the device, {} shots per basis, REM", config.shots),
            Some(file),
            &codec.decode(&run.features)?,
        )?;
        fids[m][1] = score(
            &format!("{label} model on the device, {} shots per basis, no REM", config.shots),
            Some(&format!("{file}_no_rem")),
            &codec.decode(&run.raw_features)?,
        )?;
        device_rows.push(DeviceSummary {
            model: label.to_string(),
            circuits: run.circuits,
            jobs: run.jobs,
            shots: run.shots,
            device_seconds: run.device_seconds,
            host_seconds: t0.elapsed().as_secs_f64(),
            cx_per_circuit: run.cx,
            swaps_per_circuit: run.swaps,
        });
    }
    let shot_stage = match config.shot_training {
        Some(_) => Some(shot_stage(
            config,
            &device,
            paths,
            &splits.train,
            &evaluator,
            &mut rows,
            on_event,
        )?),
        None => None,
    };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;

    Ok(NisqMetrics {
        fid_device_noise_aware: fids[1][0],
        fid_device_noise_unaware: fids[0][0],
        fid_exact,
        fid_device_rem: fids[1][0],
        fid_device_no_rem: fids[1][1],
        fid_shot_trained: shot_stage.as_ref().map(|s| s.fid),
        fid_shot_trained_ablation: shot_stage.as_ref().map(|s| s.fid_ablation),
        antithetic_variance_ratio: shot_stage.as_ref().map(|s| s.pairing.antithetic_ratio),
        jobs_batched: shot_stage.as_ref().map(|s| s.training.jobs),
        jobs_unbatched: shot_stage.as_ref().map(|s| s.training.jobs_unbatched),
        shots_total: shot_stage.as_ref().map(|s| s.training.shots),
        device_seconds: shot_stage.as_ref().map(|s| s.training.device_seconds),
        noise_floor_estimated: floor.mean,
        noise_floor_estimated_std_error: floor.mean_std_error,
        noise_floor_true: mean(&true_floor),
        noise_floor_device_seconds: floor.device_seconds,
        forward_noise_device_seconds: forward.device_seconds,
        device: calibration.name.clone(),
        error_scale: config.error_scale,
        path,
        parameters: reverse.model().num_params(),
        rows,
        device_runs: device_rows,
        forward_noise: forward.rows,
        training: vec![
            Training {
                model: "noise-unaware".into(),
                seconds: unaware_seconds,
                losses: unaware.losses,
            },
            Training { model: "noise-aware".into(), seconds: aware_seconds, losses: aware.losses },
        ],
        shot_training: shot_stage,
        config: config.clone(),
        seconds: start.elapsed().as_secs_f64(),
    })
}
