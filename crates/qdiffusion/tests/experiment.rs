//! The MNIST experiment in its quick configuration: every stage runs, every output file is
//! written with the promised shape, a finished checkpoint is reused, and a second run reproduces
//! the first.

use std::path::PathBuf;

use qdecoder::dataset::ImageSet;
use qdiffusion::Error;
use qdiffusion::experiment::{self, ExperimentConfig, Metrics, Paths, RunOptions};

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
    assert_eq!(names.len(), 8, "{names:?}");
    let row = |prefix: &str| first.rows.iter().position(|r| r.name.starts_with(prefix)).unwrap();
    let (quantum, ablation, ddpm) = (row("quantum, 5 steps"), row("ablation"), row("DDPM"));
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

    for name in ["quantum", "ablation", "ddpm1000", "ddim50"] {
        let set = ImageSet::read_idx(paths.out.join(format!("samples_{name}.idx"))).unwrap();
        assert_eq!(set.len(), config.samples, "{name}");
    }
    let set = ImageSet::read_idx(paths.out.join("samples_quantum_shots.idx")).unwrap();
    assert_eq!(set.len(), shots.samples);
    for name in ["samples_quantum.png", "samples_classical.png", "metrics.json"] {
        assert!(paths.out.join(name).metadata().unwrap().len() > 100, "{name}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(paths.out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 8);

    // Second run: every model comes from its cache or checkpoint, and the results repeat.
    let second = run(&config, &paths, false).unwrap();
    assert!(second.rows[quantum].loaded && second.rows[ddpm].loaded);
    for (a, b) in first.rows.iter().zip(&second.rows) {
        assert_eq!(a.score, b.score, "{}", a.name);
    }
}

#[test]
fn resume_without_a_checkpoint_is_a_typed_error() {
    let paths = paths("resume_missing");
    let err = run(&ExperimentConfig::quick(), &paths, true).unwrap_err();
    assert!(matches!(err, Error::Resume { .. }), "{err}");
}

#[test]
fn amplitude_encoding_round_trips_a_real_image() {
    let mnist =
        qdecoder::dataset::Mnist::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist"))
            .unwrap();
    let image: Vec<f32> =
        mnist.test.images().image(0).unwrap().iter().map(|&p| f32::from(p) / 255.0).collect();
    let amps = experiment::amplitude_encode(&image).unwrap();
    assert_eq!(amps.len(), 1024);
    let norm: f64 = image.iter().map(|&p| f64::from(p) * f64::from(p)).sum::<f64>().sqrt();
    let probs: Vec<f64> = amps.iter().map(|a| a.norm_sqr()).collect();
    let back = experiment::amplitude_decode(&probs, norm).unwrap();
    for (a, b) in image.iter().zip(&back) {
        assert!((a - b).abs() < 1e-6);
    }
    assert!(experiment::amplitude_encode(&vec![0.0; 784]).is_err());
    assert!(experiment::amplitude_encode(&image[..700]).is_err());
    assert!(experiment::amplitude_decode(&probs[..512], 1.0).is_err());
}
