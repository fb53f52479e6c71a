//! The NISQ experiment in its quick configuration: every stage runs on the IBM Kolkata model,
//! every sample file the issue names is written as 28x28 IDX with a PNG grid, and
//! `metrics.json`'s keys hold finite figures.

use std::path::PathBuf;

use qdecoder::dataset::ImageSet;
use qdiff_examples::mnist::run::Paths;
use qdiff_examples::nisq::config::NisqConfig;
use qdiff_examples::nisq::run;

#[test]
fn quick_run_writes_every_output() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nisq_quick");
    let _ = std::fs::remove_dir_all(&root);
    let paths = Paths {
        data: qdiff_examples::workspace().join("data/mnist"),
        cache: root.join("cache"),
        out: root.join("out"),
    };
    let mut config = NisqConfig::quick();
    config.device = qdiff_examples::workspace().join(&config.device);
    let m = run::run(&config, &paths, &mut |_| {}).unwrap();
    for name in [
        "exact",
        "device_noise_unaware",
        "device_noise_aware",
        "device_noise_unaware_no_rem",
        "device_noise_aware_no_rem",
        "shot_trained",
        "shot_trained_ablation",
    ] {
        let set = ImageSet::read_idx(paths.out.join(format!("samples_{name}.idx"))).unwrap();
        assert_eq!(set.len(), config.samples, "{name}");
        assert!(paths.out.join(format!("samples_{name}.png")).exists(), "{name}");
    }
    let fids = [
        m.fid_device_noise_aware,
        m.fid_device_noise_unaware,
        m.fid_exact,
        m.fid_device_rem,
        m.fid_device_no_rem,
        m.fid_shot_trained.unwrap(),
        m.fid_shot_trained_ablation.unwrap(),
    ];
    assert!(fids.iter().all(|f| f.is_finite() && *f > 0.0), "{fids:?}");
    assert_eq!(m.fid_device_rem, m.fid_device_noise_aware);
    assert!(m.antithetic_variance_ratio.unwrap() > 0.0);
    assert!(m.jobs_batched.unwrap() < m.jobs_unbatched.unwrap());
    assert!(m.shots_total.unwrap() > 0 && m.device_seconds.unwrap() > 0.0);
    // The floor estimated from counts against the device model's own (8,000 shots per circuit
    // even in the quick run).
    let rel = (m.noise_floor_estimated / m.noise_floor_true - 1.0).abs();
    assert!(rel < 0.1, "floor {} vs {}", m.noise_floor_estimated, m.noise_floor_true);
    assert_eq!(m.path.len(), config.model.qubits + config.model.ancillas);
}
