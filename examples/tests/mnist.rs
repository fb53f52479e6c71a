//! The MNIST experiment in its quick configuration: every stage runs, every output file is
//! written with the promised shape, a finished checkpoint is reused, and a second run reproduces
//! the first.

use std::path::PathBuf;

use qdecoder::dataset::ImageSet;
use qdiff_examples::mnist::config::{Encoding, ExperimentConfig};
use qdiff_examples::mnist::event::Event;
use qdiff_examples::mnist::metrics::{Metrics, RowKind};
use qdiff_examples::mnist::run::{self, Paths, RunOptions};
use qdiffusion::Error;

fn paths(name: &str) -> Paths {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&root);
    Paths {
        data: qdiff_examples::workspace().join("data/mnist"),
        cache: root.join("cache"),
        out: root.join("out"),
    }
}

fn run(config: &ExperimentConfig, paths: &Paths, resume: bool) -> Result<Metrics, Error> {
    run::run(config, paths, RunOptions { resume }, &mut |_| {})
}

#[test]
fn quick_run_writes_every_output_and_reuses_its_checkpoint() {
    let config = ExperimentConfig::quick();
    let paths = paths("quick_run");
    let first = run(&config, &paths, false).unwrap();

    let kinds: Vec<RowKind> = first.rows.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            RowKind::RealImages,
            RowKind::DecodedTrainImages,
            RowKind::QuantumShots,
            RowKind::QuantumShotSeeds,
            RowKind::PixelDdpm,
            RowKind::PixelDdim,
            RowKind::LatentDdpm,
            RowKind::LatentDdim,
            RowKind::LatentMatchedDdpm,
            RowKind::LatentMatchedDdim,
            RowKind::Quantum,
            RowKind::Ablation,
        ],
        "every row, in table order"
    );
    let row = |kind: RowKind| first.rows.iter().position(|r| r.kind == kind).unwrap();
    let (quantum, ablation, ddpm) =
        (row(RowKind::Quantum), row(RowKind::Ablation), row(RowKind::PixelDdpm));
    let (latent_ddpm, latent_ddim) = (row(RowKind::LatentDdpm), row(RowKind::LatentDdim));
    assert!(first.rows[quantum].name.starts_with("quantum, 5 steps"));
    assert!(first.rows[latent_ddim].name.starts_with("latent DDIM, 10 steps"));
    let shots = config.shots.unwrap();
    for row in &first.rows {
        let shot_rows = [RowKind::QuantumShots, RowKind::QuantumShotSeeds];
        let n = if shot_rows.contains(&row.kind) { shots.samples } else { config.samples };
        assert_eq!(row.score.n, n, "{}", row.name);
        assert!(row.score.fid.is_finite() && row.score.fid >= 0.0, "{}", row.name);
        let total: f64 = row.score.class_histogram.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "{}", row.name);
    }
    // The real-data floor is far below every generated set.
    let floor = first.rows[row(RowKind::RealImages)].score.fid;
    let floors = [RowKind::RealImages, RowKind::DecodedTrainImages];
    assert!(first.rows.iter().filter(|r| !floors.contains(&r.kind)).all(|r| r.score.fid > floor));
    assert!(!first.rows[quantum].loaded, "the quantum model was trained in this run");
    let ratio = first.rows[quantum].score.fid / first.rows[ablation].score.fid;
    assert_eq!(first.quantum_over_ablation, ratio);
    // The latent DDPM rows: trained here, scored, and the quantum ratio is over latent DDIM.
    let matched = [row(RowKind::LatentMatchedDdpm), row(RowKind::LatentMatchedDdim)];
    for r in [latent_ddpm, latent_ddim].into_iter().chain(matched) {
        assert!(!first.rows[r].loaded, "{}", first.rows[r].name);
        assert!(first.rows[r].score.fid.is_finite(), "{}", first.rows[r].name);
    }
    let ratio = first.rows[quantum].score.fid / first.rows[latent_ddim].score.fid;
    assert_eq!(first.quantum_over_latent_ddim, Some(ratio));
    // Non-default models are cached under their stem and a fingerprint of their settings.
    let cached: Vec<String> = std::fs::read_dir(&paths.cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for stem in ["latent_ddpm_", "latent_matched_ddpm_"] {
        let fingerprinted = |n: &String| {
            n.strip_prefix(stem)
                .and_then(|r| r.strip_suffix(".bin"))
                .is_some_and(|hex| hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        };
        assert!(cached.iter().any(fingerprinted), "no {stem}<fingerprint>.bin in {cached:?}");
    }

    // Sample files are named by their samplers' step counts (quick: 100 and 10).
    let (ancestral, ddim) =
        (format!("ddpm{}", config.ddpm.steps), format!("ddim{}", config.ddim_steps));
    for name in [
        "quantum".to_string(),
        "ablation".to_string(),
        ancestral.clone(),
        ddim.clone(),
        format!("latent_{ancestral}"),
        format!("latent_{ddim}"),
        format!("latent_matched_{ancestral}"),
        format!("latent_matched_{ddim}"),
    ] {
        let set = ImageSet::read_idx(paths.out.join(format!("samples_{name}.idx"))).unwrap();
        assert_eq!(set.len(), config.samples, "{name}");
    }
    let set = ImageSet::read_idx(paths.out.join("samples_quantum_shots.idx")).unwrap();
    assert_eq!(set.len(), shots.samples);
    for name in [
        "samples_quantum.png",
        &format!("samples_{ancestral}.png"),
        &format!("samples_latent_{ddim}.png"),
        "metrics.json",
    ] {
        assert!(paths.out.join(name).metadata().unwrap().len() > 100, "{name}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(paths.out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 12);
    assert_eq!(json["quantum_over_latent_ddim"].as_f64(), Some(ratio));
    assert_eq!(json["rows"][10]["kind"], "Quantum");

    // Second run: every model comes from its cache or checkpoint, and the results repeat.
    let second = run(&config, &paths, false).unwrap();
    assert!(second.rows[quantum].loaded && second.rows[ddpm].loaded);
    assert!(second.rows[latent_ddpm].loaded && second.rows[latent_ddim].loaded);
    assert!(matched.iter().all(|&r| second.rows[r].loaded));
    for (a, b) in first.rows.iter().zip(&second.rows) {
        assert_eq!(a.score, b.score, "{}", a.name);
    }
}

/// The amplitude encoding has no latent: the latent DDPM rows are skipped with a note, the rest
/// of the run goes on.
#[test]
fn amplitude_encoding_skips_the_latent_ddpm_with_a_note() {
    let mut config = ExperimentConfig::quick();
    config.quantum.encoding = Encoding::Amplitude;
    config.shots = None;
    let paths = paths("amplitude_run");
    let mut notes = Vec::new();
    let metrics = run::run(&config, &paths, RunOptions::default(), &mut |e| {
        if let Event::Note(text) = e {
            notes.push(text);
        }
    })
    .unwrap();
    assert!(notes.iter().any(|n| n.contains("latent DDPM: skipped")), "{notes:?}");
    assert!(
        metrics.row(RowKind::LatentDdpm).is_none() && metrics.row(RowKind::LatentDdim).is_none()
    );
    assert!(metrics.row(RowKind::PixelDdim).is_some());
    assert_eq!(metrics.quantum_over_latent_ddim, None);
    assert!(!paths.out.join("samples_latent_ddim10.idx").exists());
}

#[test]
fn resume_without_a_checkpoint_is_a_typed_error() {
    let paths = paths("resume_missing");
    let err = run(&ExperimentConfig::quick(), &paths, true).unwrap_err();
    assert!(matches!(err, Error::Resume { .. }), "{err}");
}

/// Scored against the validation digits, every model still fitted on the training digits minus
/// them, and the checkpoint of a run on other data is not reused.
#[test]
fn validation_split_scores_against_held_out_training_digits() {
    let mut config = ExperimentConfig::quick();
    config.shots = None;
    config.classical_baseline = false;
    config.split = qdiff_examples::mnist::config::EvalSplit::Validation;
    config.curve_every = Some(2);
    let paths = paths("validation_run");
    let metrics = run(&config, &paths, false).unwrap();
    // The curve: scored at iterations 2 and 4; the last point is the final model, so its FID
    // is the quantum row's.
    let iterations: Vec<usize> = metrics.quantum_curve.iter().map(|p| p.iteration).collect();
    assert_eq!(iterations, [2, 4]);
    let quantum = metrics.row(RowKind::Quantum).unwrap();
    assert_eq!(metrics.quantum_curve[1].fid, quantum.score.fid);
    assert_eq!(metrics.quantum_losses.len(), config.quantum.train.iterations);
    assert!(metrics.fid_features.contains("1000 validation digits"), "{}", metrics.fid_features);
    assert!(metrics.fid_features.contains("7000 training digits"), "{}", metrics.fid_features);
    assert!(metrics.rows.iter().all(|r| r.score.n == config.samples));
    assert!(metrics.row(RowKind::Quantum).is_some() && metrics.row(RowKind::PixelDdpm).is_none());
}
