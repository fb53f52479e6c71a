//! The experiment's stages in order: classifier, encoding, quantum training and sampling, the
//! ablation, shot-based sampling, the classical baselines, outputs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use qcomm::{Collective, SingleProcess};
use qdecoder::checkpoint::CacheStatus;
use qdecoder::classifier::Classifier;
use qdecoder::dataset::{Mnist, VALIDATION_SIZE};
use qdecoder::score::Evaluator;
use qdiffusion::sample;
use qdiffusion::train::{TrainState, Trainer, share_state};
use qdiffusion::{Error, Result};

use crate::mnist::baselines::{LATENT, LATENT_MATCHED, latent_ddpm, pixel_ddpm};
use crate::mnist::cache::CachedModel;
use crate::mnist::codec::Codec;
use crate::mnist::config::{EvalSplit, ExperimentConfig};
use crate::mnist::event::{Event, note_cache};
use crate::mnist::metrics::{CurvePoint, Metrics, Provenance, RowKind, scored};
use crate::mnist::outputs::{first_columns, write_metrics, write_samples};
use crate::mnist::scorer::{Scorer, Scoring};
use crate::mnist::shots::shot_rows;

/// Where the run reads and writes.
#[derive(Clone, Debug)]
pub struct Paths {
    /// The MNIST directory (IDX files).
    pub data: PathBuf,
    /// Trained classical models (classifier, autoencoder, the DDPMs), reused across runs.
    pub cache: PathBuf,
    /// Samples, grids, metrics and the quantum checkpoint.
    pub out: PathBuf,
}

/// Options of a run that do not change its results.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Continue the quantum training from its checkpoint (partial or finished). Without it, a
    /// finished checkpoint of the same configuration is reused and anything else is retrained.
    pub resume: bool,
}

/// Runs the experiment (see the [module documentation](crate::mnist)), reporting progress to
/// `on_event`; writes the outputs into `paths.out` and returns what it measured.
pub fn run(
    config: &ExperimentConfig,
    paths: &Paths,
    options: RunOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Metrics> {
    run_on(&SingleProcess, config, paths, options, on_event)?.ok_or_else(|| Error::InvalidConfig {
        reason: "the only rank of a single process returns no metrics".into(),
    })
}

/// [`run`] as one rank of a data-parallel group (every rank of `comm` calls it with the same
/// arguments): the quantum model's training and sampling are split over the ranks, with results
/// bit-identical for every number of ranks.
///
/// The classifier's features of every sample set are split over the ranks too, in whole chunks
/// (see the private module `scorer`), so every score is the same for any number of ranks. The root
/// (rank 0) does everything else: it trains or loads the classifier and the autoencoder (the
/// other ranks then load both from `paths.cache`, so the cache must be readable by every rank),
/// decides whether to resume and sends the training state to the others, scores, runs the
/// baselines, and is the only rank that writes into `paths.out`. It returns the metrics; the
/// other ranks return `None` once the last sample set is scored.
pub fn run_on(
    comm: &dyn Collective,
    config: &ExperimentConfig,
    paths: &Paths,
    options: RunOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Option<Metrics>> {
    let start = Instant::now();
    if config.samples < 2 {
        return Err(Error::InvalidConfig { reason: "at least two samples are needed".into() });
    }
    if !comm.is_root() {
        return follow(comm, config, paths, on_event).map(|()| None);
    }
    // Nothing to resume is an error at once, not after the classical stages.
    let checkpoint = checkpoint_path(config, paths);
    if options.resume && !checkpoint.exists() {
        return Err(no_checkpoint(&checkpoint));
    }
    if comm.size() > 1 {
        on_event(Event::Note(format!(
            "quantum training and sampling split over {} ranks",
            comm.size()
        )));
    }
    let mnist = Mnist::load(&paths.data)?;
    let splits = mnist.split_validation(VALIDATION_SIZE)?;
    let reference = match config.split {
        EvalSplit::Validation => &splits.validation,
        EvalSplit::Test => &splits.test,
    };
    let mut rows = Vec::new();

    on_event(Event::Stage("FID classifier"));
    // The FID classifier is the measuring instrument every example shares: trained on the whole
    // training split (it never sees a test digit), unlike the models it scores.
    let epochs = config.classifier.train.epochs;
    let (classifier, status) = Classifier::load_or_train(
        paths.cache.join(CachedModel::Classifier.file_name(config)),
        &mnist.train,
        &config.classifier,
        |r| on_event(Event::Epoch { model: "classifier", report: r, epochs }),
    )?;
    note_cache(on_event, "FID classifier", &status);
    // The classifier is in the cache: the other ranks load it and compute features from here.
    comm.barrier()?;
    let reference_features =
        Scorer::new(comm, &classifier).features(&reference.images().to_matrix())?;
    let evaluator = Evaluator::from_reference_features(classifier, &reference_features)?;
    let scoring = Scoring::new(comm, &evaluator);
    let n = config.samples;
    // Every model is fitted on the training digits minus the validation split.
    let train_images = splits.train.images().to_matrix();
    let real = first_columns(&train_images, n);
    let nothing_trained = Provenance { train_seconds: 0.0, loaded: true, parameters: None };
    let name = "real train images (floor)".to_string();
    rows.push(scored(&scoring, RowKind::RealImages, name, &real, nothing_trained, 0.0)?);

    // The quantum side.
    let quantum = &config.quantum;
    let readout = quantum.encoding.readout();
    let codec = Codec::build(config, &paths.cache, &splits.train, on_event)?;
    // The autoencoder is in the cache: the other ranks may load it.
    scoring.proceed()?;
    let data = codec.encode(&train_images)?;
    let t0 = Instant::now();
    let floor: Vec<Vec<f64>> =
        (0..n.min(data.len())).map(|i| data.features(i, readout)).collect::<Result<_>>()?;
    let recon = codec.decode(&floor)?;
    rows.push(scored(
        &scoring,
        RowKind::DecodedTrainImages,
        format!("{} decoder on encoded train images (floor)", quantum.encoding.name()),
        &recon,
        codec.provenance,
        t0.elapsed().as_secs_f64(),
    )?);
    scoring.proceed()?;

    on_event(Event::Stage("quantum reverse process"));
    let reverse = quantum.model.reverse_model()?;
    let forward = quantum.model.forward_process()?;
    let mut train = quantum.train.clone();
    train.readout = readout;
    let trainer = Trainer::new(&reverse, &forward, &data, train)?;
    std::fs::create_dir_all(&paths.out).map_err(|e| io_error(&paths.out, e))?;
    let seeds = sample::seeds(quantum.model.qubits, n, config.seed)?;
    let mut curve = Vec::new();
    let mut curve_time = 0.0;
    let mut score_iteration = |state: &TrainState| -> Result<()> {
        if curve_due(config, state) {
            let t0 = Instant::now();
            let params = state.sampling_params();
            let features =
                sample::generate_on(comm, &reverse, params, &seeds, config.seed, readout)?;
            let fid = scoring.score(&codec.decode(&features)?)?.fid;
            scoring.proceed()?;
            curve.push(CurvePoint { iteration: state.iteration(), fid });
            curve_time += t0.elapsed().as_secs_f64();
        }
        Ok(())
    };
    let t0 = Instant::now();
    let start_state = starting_state(&trainer, &checkpoint, options, on_event)?;
    let loaded = start_state.1;
    let state = train_quantum(
        comm,
        &trainer,
        &checkpoint,
        Some(start_state),
        on_event,
        &mut score_iteration,
    )?;
    // Training time without the curve's scoring.
    let trained = Provenance {
        train_seconds: t0.elapsed().as_secs_f64() - curve_time,
        loaded,
        parameters: Some(reverse.model().num_params()),
    };

    on_event(Event::Stage("quantum sampling"));
    let t0 = Instant::now();
    let params = state.sampling_params();
    let features = sample::generate_on(comm, &reverse, params, &seeds, config.seed, readout)?;
    let quantum_images = codec.decode(&features)?;
    let quantum_row = scored(
        &scoring,
        RowKind::Quantum,
        format!("quantum, {} steps ({} encoding)", quantum.model.steps, quantum.encoding.name()),
        &quantum_images,
        trained,
        t0.elapsed().as_secs_f64(),
    )?;
    let t0 = Instant::now();
    let ablation_images = codec.decode(&sample::ablation(&seeds, readout))?;
    let ablation_row = scored(
        &scoring,
        RowKind::Ablation,
        "ablation: the same seeds, reverse process removed".into(),
        &ablation_images,
        Provenance::NONE,
        t0.elapsed().as_secs_f64(),
    )?;

    rows.extend(shot_rows(config, &reverse, params, &codec, &scoring, &paths.out, on_event)?);

    let pixel = if config.classical_baseline && config.pixel_baseline {
        Some(pixel_ddpm(config, &paths.cache, &splits.train, &scoring, on_event)?)
    } else {
        None
    };
    let latent = match (&config.latent_ddpm, config.classical_baseline) {
        (Some(latent_config), true) => latent_ddpm(
            config,
            &LATENT,
            latent_config,
            &paths.cache,
            &codec,
            &data,
            &scoring,
            on_event,
        )?,
        _ => None,
    };
    let matched = match (&config.latent_matched_ddpm, config.classical_baseline) {
        (Some(template), true) => {
            let dim = readout.dim(quantum.model.qubits);
            let matched_config = template.with_matched_width(dim, reverse.model().num_params())?;
            on_event(Event::Note(format!(
                "parameter-matched latent DDPM: hidden layers {:?}, {} parameters (quantum: {})",
                matched_config.hidden,
                matched_config.num_params(dim),
                reverse.model().num_params()
            )));
            latent_ddpm(
                config,
                &LATENT_MATCHED,
                &matched_config,
                &paths.cache,
                &codec,
                &data,
                &scoring,
                on_event,
            )?
        }
        _ => None,
    };

    // Every sample set is scored: the other ranks are done.
    scoring.proceed()?;
    let evaluator = scoring.evaluator();
    on_event(Event::Stage("writing outputs"));
    let out = &paths.out;
    write_samples(out, "quantum", &quantum_images, evaluator)?;
    write_samples(out, "ablation", &ablation_images, evaluator)?;
    let ancestral = format!("ddpm{}", config.ancestral_steps.unwrap_or(config.ddpm.steps));
    let ddim = format!("ddim{}", config.ddim_steps);
    if let Some(p) = &pixel {
        write_samples(out, &ancestral, &p.ancestral.1, evaluator)?;
        write_samples(out, &ddim, &p.ddim.1, evaluator)?;
    }
    if let Some(l) = &latent {
        write_samples(out, &format!("latent_{ancestral}"), &l.ancestral.1, evaluator)?;
        write_samples(out, &format!("latent_{ddim}"), &l.ddim.1, evaluator)?;
    }
    if let Some(m) = &matched {
        write_samples(out, &format!("latent_matched_{ancestral}"), &m.ancestral.1, evaluator)?;
        write_samples(out, &format!("latent_matched_{ddim}"), &m.ddim.1, evaluator)?;
    }

    for samples in pixel.into_iter().chain(latent).chain(matched) {
        rows.push(samples.ancestral.0);
        rows.push(samples.ddim.0);
    }
    rows.push(quantum_row);
    rows.push(ablation_row);
    let losses = state.losses();
    let tail = &losses[losses.len().saturating_sub(10)..];
    let mut metrics = Metrics {
        fid_features: format!(
            "FID on our classifier features (penultimate layer of the project's MNIST \
             classifier), not Inception-FID, against the {} {} digits; every model fitted on \
             {} training digits",
            reference.len(),
            config.split.name(),
            splits.train.len()
        ),
        config: config.clone(),
        rows,
        quantum_over_ablation: f64::NAN,
        quantum_over_ddpm: None,
        quantum_over_latent_ddim: None,
        quantum_final_loss: tail.iter().sum::<f64>() / tail.len().max(1) as f64,
        quantum_losses: if trained.loaded { Vec::new() } else { losses.to_vec() },
        quantum_curve: curve,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    metrics.quantum_over_ablation =
        metrics.fid_ratio(RowKind::Quantum, RowKind::Ablation).unwrap_or(f64::NAN);
    metrics.quantum_over_ddpm = metrics.fid_ratio(RowKind::Quantum, RowKind::PixelDdpm);
    metrics.quantum_over_latent_ddim = metrics.fid_ratio(RowKind::Quantum, RowKind::LatentDdim);
    write_metrics(out, &metrics)?;
    Ok(Some(metrics))
}

/// A rank other than the root: its share of the quantum training and sampling, the same
/// collectives in the same order as the root's [`run_on`]; it writes nothing.
fn follow(
    comm: &dyn Collective,
    config: &ExperimentConfig,
    paths: &Paths,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    let mnist = Mnist::load(&paths.data)?;
    let splits = mnist.split_validation(VALIDATION_SIZE)?;
    // Once the root has trained or loaded the classifier: features of the reference set and
    // of the real images' floor.
    comm.barrier()?;
    let (classifier, status) = Classifier::load_or_train(
        paths.cache.join(CachedModel::Classifier.file_name(config)),
        &mnist.train,
        &config.classifier,
        |_| {},
    )?;
    if !matches!(status, CacheStatus::Loaded) {
        return Err(not_in_cache(comm, "FID classifier", paths));
    }
    let scorer = Scorer::new(comm, &classifier);
    scorer.serve_until_proceed()?;
    // The root has trained or loaded the autoencoder.
    let codec = Codec::build(config, &paths.cache, &splits.train, on_event)?;
    if !codec.provenance.loaded {
        return Err(not_in_cache(comm, "autoencoder", paths));
    }
    let data = codec.encode(&splits.train.images().to_matrix())?;
    // The decoder's floor.
    scorer.serve_until_proceed()?;
    let quantum = &config.quantum;
    let readout = quantum.encoding.readout();
    let reverse = quantum.model.reverse_model()?;
    let forward = quantum.model.forward_process()?;
    let mut train = quantum.train.clone();
    train.readout = readout;
    let trainer = Trainer::new(&reverse, &forward, &data, train)?;
    let seeds = sample::seeds(quantum.model.qubits, config.samples, config.seed)?;
    let mut sample_curve = |state: &TrainState| -> Result<()> {
        if curve_due(config, state) {
            let params = state.sampling_params();
            sample::generate_on(comm, &reverse, params, &seeds, config.seed, readout)?;
            scorer.serve_until_proceed()?;
        }
        Ok(())
    };
    let checkpoint = checkpoint_path(config, paths);
    let state = train_quantum(comm, &trainer, &checkpoint, None, on_event, &mut sample_curve)?;
    sample::generate_on(comm, &reverse, state.sampling_params(), &seeds, config.seed, readout)?;
    // Every sample set of the root's run.
    scorer.serve_until_proceed()
}

/// The error of a rank that did not find in `paths.cache` a model rank 0 stored there.
fn not_in_cache(comm: &dyn Collective, model: &str, paths: &Paths) -> Error {
    Error::InvalidConfig {
        reason: format!(
            "rank {}: the {model} was not in the cache {} that rank 0 wrote (every rank must \
             see the same cache folder)",
            comm.rank(),
            paths.cache.display()
        ),
    }
}

/// The quantum model's checkpoint in the output folder.
fn checkpoint_path(config: &ExperimentConfig, paths: &Paths) -> PathBuf {
    paths.out.join(format!("checkpoint_quantum_{}.bin", config.quantum.encoding.name()))
}

/// True if the FID curve has a point at `state`'s iteration.
fn curve_due(config: &ExperimentConfig, state: &TrainState) -> bool {
    config.curve_every.is_some_and(|k| k > 0 && state.iteration() % k == 0)
}

/// Where the quantum training starts (the root decides): afresh, or from its checkpoint
/// (resumed, or reused if finished); also whether it was loaded finished.
fn starting_state(
    trainer: &Trainer<'_>,
    checkpoint: &Path,
    options: RunOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<(TrainState, bool)> {
    let total = trainer.config().iterations;
    Ok(match (checkpoint.exists(), options.resume) {
        (false, true) => return Err(no_checkpoint(checkpoint)),
        (true, true) => {
            let state = trainer.load_checkpoint(checkpoint)?;
            on_event(Event::Note(format!(
                "resuming from {} at iteration {}",
                checkpoint.display(),
                state.iteration()
            )));
            (state, false)
        }
        (true, false) => match trainer.load_checkpoint(checkpoint) {
            Ok(state) if state.iteration() == total => {
                on_event(Event::Note(format!(
                    "loaded the finished model {}",
                    checkpoint.display()
                )));
                (state, true)
            }
            Ok(state) => {
                on_event(Event::Note(format!(
                    "{} stopped at iteration {} of {total}; training afresh (pass --resume to continue it)",
                    checkpoint.display(),
                    state.iteration()
                )));
                (trainer.init_state(), false)
            }
            Err(e) => {
                on_event(Event::Note(format!("not reusing {}: {e}", checkpoint.display())));
                (trainer.init_state(), false)
            }
        },
        (false, false) => (trainer.init_state(), false),
    })
}

/// The error of resuming when `checkpoint` does not exist.
fn no_checkpoint(checkpoint: &Path) -> Error {
    Error::Resume {
        path: checkpoint.display().to_string(),
        reason: "there is no checkpoint to resume from (start without resuming to train from the \
                 beginning)"
            .into(),
    }
}

/// Trains the quantum model from the root's starting state (`Some` on the root, from
/// [`starting_state`]; ignored elsewhere) to the end, split over the ranks of `comm`; the root
/// writes the checkpoints. `after_iteration` sees the state after every iteration.
fn train_quantum(
    comm: &dyn Collective,
    trainer: &Trainer<'_>,
    checkpoint: &Path,
    start: Option<(TrainState, bool)>,
    on_event: &mut dyn FnMut(Event<'_>),
    after_iteration: &mut dyn FnMut(&TrainState) -> Result<()>,
) -> Result<TrainState> {
    let total = trainer.config().iterations;
    let mut state = share_state(comm, start.map(|(state, _)| state))?;
    trainer.train_on(comm, &mut state, Some(checkpoint), |s| {
        on_event(Event::Iteration {
            done: s.iteration(),
            total,
            loss: s.losses().last().copied().unwrap_or(f64::NAN),
        });
        after_iteration(s)
    })?;
    Ok(state)
}

/// An I/O error on `path` as the crate's error.
pub(crate) fn io_error(path: &Path, e: std::io::Error) -> Error {
    qdecoder::Error::Io { path: path.to_path_buf(), source: e }.into()
}
