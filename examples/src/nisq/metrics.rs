//! What a NISQ run measured: the keys of `metrics.json` and a table.

use qdecoder::score::SampleScore;
use qdiffusion::injection::ForwardNoiseRow;
use serde::{Deserialize, Serialize};

use crate::nisq::config::NisqConfig;
use crate::nisq::shots::ShotStage;

/// One scored set of images.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NisqRow {
    /// What the images are.
    pub name: String,
    /// The stem of its files (`samples_<file>.idx` and `.png`), if written.
    pub file: Option<String>,
    /// FID on our classifier features, confidence, classes.
    pub score: SampleScore,
}

/// What sampling one model on the device cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceSummary {
    /// Which model.
    pub model: String,
    /// Circuits run (three per sample).
    pub circuits: usize,
    /// Jobs (readout calibration included).
    pub jobs: usize,
    /// Shots (readout calibration included).
    pub shots: u64,
    /// Device seconds (the device's clock model).
    pub device_seconds: f64,
    /// Seconds this machine spent simulating the device.
    pub host_seconds: f64,
    /// `cx` gates per sample circuit (swaps included).
    pub cx_per_circuit: usize,
    /// Swaps per sample circuit.
    pub swaps_per_circuit: usize,
}

/// One training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// Which model.
    pub model: String,
    /// Seconds it took.
    pub seconds: f64,
    /// The loss of every iteration.
    pub losses: Vec<f64>,
}

/// Everything a run measured (`metrics.json`). FIDs are on our classifier features against
/// the run's split, every row from the same number of samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NisqMetrics {
    /// (b) The noise-aware model on the device, readout-mitigated.
    pub fid_device_noise_aware: f64,
    /// (a) The noise-unaware model on the device, readout-mitigated.
    pub fid_device_noise_unaware: f64,
    /// (c) The noise-unaware model's exact channel average, no device, no shots.
    pub fid_exact: f64,
    /// The noise-aware model on the device with readout mitigation (= row b).
    pub fid_device_rem: f64,
    /// The noise-aware model on the device without readout mitigation (the same counts).
    pub fid_device_no_rem: f64,
    /// The shot-trained model on the device (`None`: not part of this run).
    pub fid_shot_trained: Option<f64>,
    /// Its ablation on the device (`None`: not part of this run).
    pub fid_shot_trained_ablation: Option<f64>,
    /// Variance of the independent over the antithetic parameter-shift estimator, from counts.
    pub antithetic_variance_ratio: Option<f64>,
    /// Jobs of shot-based training with timesteps batched.
    pub jobs_batched: Option<usize>,
    /// Jobs of the same work with one job per timestep.
    pub jobs_unbatched: Option<usize>,
    /// Shots of the training from counts (calibration included).
    pub shots_total: Option<u64>,
    /// Device seconds of the training from counts (gate durations, repetition delay, latency).
    pub device_seconds: Option<f64>,
    /// Mean per-step depolarizing floor of the system qubits, estimated from counts.
    pub noise_floor_estimated: f64,
    /// Its standard error.
    pub noise_floor_estimated_std_error: f64,
    /// The device model's true per-step floor (mean over the same qubits).
    pub noise_floor_true: f64,
    /// Device seconds of the floor estimate.
    pub noise_floor_device_seconds: f64,
    /// Device seconds of the forward-process measurement.
    pub forward_noise_device_seconds: f64,
    /// The device's name.
    pub device: String,
    /// The error scale applied.
    pub error_scale: f64,
    /// The device qubits of the chain (system qubits first, then the ancillas).
    pub path: Vec<usize>,
    /// Trainable parameters of the quantum model.
    pub parameters: usize,
    /// Every scored row.
    pub rows: Vec<NisqRow>,
    /// What each device run cost.
    pub device_runs: Vec<DeviceSummary>,
    /// The forward process measured on the device against its design, with and without
    /// noise-floor compensation.
    pub forward_noise: Vec<ForwardNoiseRow>,
    /// Both trainings.
    pub training: Vec<Training>,
    /// Training from counts (`None`: skipped).
    pub shot_training: Option<ShotStage>,
    /// The configuration.
    pub config: NisqConfig,
    /// Wall seconds of the run.
    pub seconds: f64,
}

impl NisqMetrics {
    /// The rows and the ratios the targets name, as a text table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{} at error scale {}, chain on qubits {:?}, {} parameters\n\n",
            self.device, self.error_scale, self.path, self.parameters
        );
        s += &format!("{:<72} {:>8} {:>6}\n", "row", "FID", "conf");
        for r in &self.rows {
            s += &format!("{:<72} {:>8.2} {:>6.3}\n", r.name, r.score.fid, r.score.mean_confidence);
        }
        s += &format!(
            "\nnoise-aware / noise-unaware on the device: {:.3} (target <= 0.8)\n",
            self.fid_device_noise_aware / self.fid_device_noise_unaware
        );
        s += &format!(
            "REM / no REM (noise-aware model): {:.3} (target <= 0.9)\n",
            self.fid_device_rem / self.fid_device_no_rem
        );
        if let Some(shot) = &self.shot_training {
            s += &format!(
                "shot-trained / its ablation on the device: {:.3} (target <= 0.8)\n",
                shot.fid / shot.fid_ablation
            );
            s += &format!(
                "parameter-shift variance, independent / antithetic pairing: {:.2} (target >= 1.5; mirrored {:.2})\n",
                shot.pairing.antithetic_ratio, shot.pairing.mirrored_ratio
            );
            s += &format!(
                "training from counts: {} jobs batched, {} unbatched ({:.2}x; target <= 0.5); {} circuits, {} shots, {:.0} device s ({:.0} unbatched)\n",
                shot.training.jobs,
                shot.training.jobs_unbatched,
                shot.training.jobs as f64 / shot.training.jobs_unbatched as f64,
                shot.training.circuits,
                shot.training.shots,
                shot.training.device_seconds,
                shot.training.device_seconds_unbatched
            );
        }
        s += &format!(
            "noise floor per step: estimated {:.3e} +- {:.1e}, true {:.3e} ({:+.1}%)\n",
            self.noise_floor_estimated,
            self.noise_floor_estimated_std_error,
            self.noise_floor_true,
            100.0 * (self.noise_floor_estimated / self.noise_floor_true - 1.0)
        );
        s
    }
}
