//! The MNIST experiment in its quick configuration: every stage runs, every output file is
//! written with the promised shape, a finished checkpoint is reused, and a second run reproduces
//! the first.

use std::path::PathBuf;

use qdecoder::dataset::ImageSet;
use qdiffusion::Error;
use qdiffusion::experiment::{self, Encoding, Event, ExperimentConfig, Metrics, Paths, RunOptions};

fn paths(name: &str) -> Paths {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&root);
    Paths {
        data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist")),
        cache: root.join("cache"),
        out: root.join("out"),
    }
}

fn run(config: &ExperimentConfig, paths: &Paths, resume: bool) -> Result<Metrics, Error> {
    experiment::run(config, paths, RunOptions { resume }, &mut |_| {})
}

#[test]
fn quick_run_writes_every_output_and_reuses_its_checkpoint() {
    let config = ExperimentConfig::quick();
    let paths = paths("quick_run");
    let first = run(&config, &paths, false).unwrap();

    let names: Vec<&str> = first.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names.len(), 10, "{names:?}");
    let row = |prefix: &str| first.rows.iter().position(|r| r.name.starts_with(prefix)).unwrap();
    let (quantum, ablation, ddpm) = (row("quantum, 5 steps"), row("ablation"), row("DDPM"));
    let (latent_ddpm, latent_ddim) = (row("latent DDPM, 100 steps"), row("latent DDIM, 10 steps"));
    let shots = config.shots.unwrap();
    for row in &first.rows {
        let n = if row.name.contains("seeds)") { shots.samples } else { config.samples };
        assert_eq!(row.score.n, n, "{}", row.name);
        assert!(row.score.fid.is_finite() && row.score.fid >= 0.0, "{}", row.name);
        let total: f64 = row.score.class_histogram.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "{}", row.name);
    }
    // The real-data floor is far below every generated set.
    let floor = first.rows[0].score.fid;
    assert!(first.rows[2..].iter().all(|r| r.score.fid > floor));
    assert!(!first.rows[quantum].loaded, "the quantum model was trained in this run");
    let ratio = first.rows[quantum].score.fid / first.rows[ablation].score.fid;
    assert_eq!(first.quantum_over_ablation, ratio);
    // The latent DDPM rows: trained here, scored, and the quantum ratio is over latent DDIM.
    for r in [latent_ddpm, latent_ddim] {
        assert!(!first.rows[r].loaded, "{}", first.rows[r].name);
        assert!(first.rows[r].score.fid.is_finite(), "{}", first.rows[r].name);
    }
    let ratio = first.rows[quantum].score.fid / first.rows[latent_ddim].score.fid;
    assert_eq!(first.quantum_over_latent_ddpm, Some(ratio));
    assert!(paths.cache.join("latent_ddpm_custom.bin").exists());

    for name in ["quantum", "ablation", "ddpm1000", "ddim50", "latent_ddpm1000", "latent_ddim50"] {
        let set = ImageSet::read_idx(paths.out.join(format!("samples_{name}.idx"))).unwrap();
        assert_eq!(set.len(), config.samples, "{name}");
    }
    let set = ImageSet::read_idx(paths.out.join("samples_quantum_shots.idx")).unwrap();
    assert_eq!(set.len(), shots.samples);
    for name in [
        "samples_quantum.png",
        "samples_classical.png",
        "samples_latent_ddim50.png",
        "metrics.json",
    ] {
        assert!(paths.out.join(name).metadata().unwrap().len() > 100, "{name}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(paths.out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 10);
    assert_eq!(json["quantum_over_latent_ddpm"].as_f64(), Some(ratio));

    // Second run: every model comes from its cache or checkpoint, and the results repeat.
    let second = run(&config, &paths, false).unwrap();
    assert!(second.rows[quantum].loaded && second.rows[ddpm].loaded);
    assert!(second.rows[latent_ddpm].loaded && second.rows[latent_ddim].loaded);
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
    let metrics = experiment::run(&config, &paths, RunOptions::default(), &mut |e| {
        if let Event::Note(text) = e {
            notes.push(text);
        }
    })
    .unwrap();
    assert!(notes.iter().any(|n| n.contains("latent DDPM: skipped")), "{notes:?}");
    assert!(metrics.rows.iter().all(|r| !r.name.starts_with("latent D")));
    assert!(metrics.rows.iter().any(|r| r.name.starts_with("DDIM")));
    assert_eq!(metrics.quantum_over_latent_ddpm, None);
    assert!(!paths.out.join("samples_latent_ddim50.idx").exists());
}

#[test]
fn resume_without_a_checkpoint_is_a_typed_error() {
    let paths = paths("resume_missing");
    let err = run(&ExperimentConfig::quick(), &paths, true).unwrap_err();
    assert!(matches!(err, Error::Resume { .. }), "{err}");
}
