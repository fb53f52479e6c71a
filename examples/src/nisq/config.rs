//! What one run of the NISQ experiment does.

use std::path::PathBuf;

use qansatz_mps::ansatz::{AncillaCoupling, Entangler};
use qansatz_mps::embedding::Conditioning;
use qdecoder::autoencoder::AutoencoderConfig;
use qdecoder::classifier::ClassifierConfig;
use qdiffusion::mixed::train::MixedTrainConfig;
use qdiffusion::model::ModelConfig;
use qdiffusion::shot_train::ShotTrainConfig;
use serde::{Deserialize, Serialize};

use crate::mnist::config::{EvalSplit, ExperimentConfig};

/// The device the default run uses: IBM Kolkata's calibration snapshot (27 qubits).
pub const DEFAULT_DEVICE: &str = "crates/qhw-mitigation/calibration/ibm_kolkata_27q.json";

/// Everything one run does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NisqConfig {
    /// The device calibration file.
    pub device: PathBuf,
    /// Every error rate of the device is multiplied by this ([`qhw_mitigation::device::DeviceCalibration::scaled`]).
    pub error_scale: f64,
    /// The deployed model: the MNIST model's ansatz and conditioning on fewer qubits and steps,
    /// ancillas coupled to the last system qubit (see the module documentation).
    pub model: ModelConfig,
    /// Training of both the noise-unaware and the noise-aware model (same seeds, same batches).
    pub train: MixedTrainConfig,
    /// Samples per row (every compared row draws the same seeds).
    pub samples: usize,
    /// Shots per sample and basis on the device.
    pub shots: u64,
    /// Shots per circuit of the readout calibration.
    pub calibration_shots: u64,
    /// Samples per device job (three circuits each).
    pub samples_per_job: usize,
    /// The digits every set is scored against.
    pub split: EvalSplit,
    /// Seed of the sampling seeds and of the device jobs.
    pub seed: u64,
    /// The FID classifier (the MNIST example's, so the cache is shared).
    pub classifier: ClassifierConfig,
    /// The autoencoder of the latent encoding, with one qubit per system qubit.
    pub autoencoder: AutoencoderConfig,
    /// Training from counts on the device (`None`: skipped, e.g. in error-scale sweeps).
    pub shot_training: Option<ShotTrainingConfig>,
}

/// The stage that trains a smaller model from counts on the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShotTrainingConfig {
    /// The model: 4 system qubits, 1 ancilla, 10 steps, a CNOT staircase.
    pub model: ModelConfig,
    /// Its training from counts.
    pub train: ShotTrainConfig,
    /// Draws (seeds) per estimate in the pairing comparison.
    pub variance_draws: usize,
    /// Shots per shifted circuit in the pairing comparison.
    pub variance_shots: u64,
    /// Estimates per pairing in the comparison.
    pub variance_repeats: usize,
    /// Weight of the level term in the extra models trained with it (0: none; 0.25 scored better
    /// than 1 on the validation split). The main model uses `train.levels` (0, chosen on the
    /// validation split: the level term made the FID worse at this budget).
    pub level_weight: f64,
    /// With the level term, also train without noise-floor compensation (the designed schedule
    /// injected as is) and deploy that model: the compensation's ablation.
    pub compensation_ablation: bool,
}

impl Default for ShotTrainingConfig {
    fn default() -> Self {
        Self {
            model: ModelConfig {
                qubits: 4,
                ancillas: 1,
                steps: 10,
                layers: 1,
                entangler: Entangler::Staircase,
                ancilla_coupling: AncillaCoupling::Chain,
                conditioning: Conditioning::Embedded { dim: 8 },
                cosine_offset: 0.008,
            },
            train: ShotTrainConfig::default(),
            variance_draws: 8,
            variance_shots: 128,
            variance_repeats: 30,
            level_weight: 0.25,
            compensation_ablation: true,
        }
    }
}

impl Default for NisqConfig {
    fn default() -> Self {
        let model = ModelConfig {
            qubits: 6,
            ancillas: 1,
            steps: 10,
            layers: 1,
            entangler: Entangler::StaircaseXy,
            ancilla_coupling: AncillaCoupling::Chain,
            conditioning: Conditioning::Embedded { dim: 8 },
            cosine_offset: 0.008,
        };
        let mnist = ExperimentConfig::default();
        Self {
            device: PathBuf::from(DEFAULT_DEVICE),
            error_scale: 1.0,
            model,
            train: MixedTrainConfig::default(),
            samples: 500,
            shots: 1024,
            calibration_shots: 8192,
            samples_per_job: 50,
            split: EvalSplit::Test,
            seed: 7,
            classifier: mnist.classifier,
            autoencoder: AutoencoderConfig { num_qubits: 6, ..mnist.autoencoder },
            shot_training: Some(ShotTrainingConfig::default()),
        }
    }
}

impl NisqConfig {
    /// Every stage, small (well under a minute): a smoke test, not a result.
    pub fn quick() -> Self {
        let mut c = Self::default();
        let quick = ExperimentConfig::quick();
        c.model.steps = 3;
        c.train.iterations = 3;
        c.train.batch = 4;
        c.train.data_batch = 16;
        c.samples = 40;
        c.shots = 64;
        c.calibration_shots = 1024;
        c.samples_per_job = 20;
        c.classifier = quick.classifier;
        c.autoencoder = AutoencoderConfig { num_qubits: c.model.qubits, ..quick.autoencoder };
        if let Some(shot) = &mut c.shot_training {
            shot.model.steps = 3;
            shot.train.iterations = 2;
            shot.train.batch = 4;
            shot.train.data_batch = 16;
            shot.train.shots = 64;
            shot.train.calibration_shots = 1024;
            shot.variance_draws = 4;
            shot.variance_shots = 32;
            shot.variance_repeats = 4;
        }
        c
    }

    /// The MNIST experiment's configuration with this model, classifier and autoencoder: what
    /// its encoder and cache need.
    pub(crate) fn as_mnist(&self) -> ExperimentConfig {
        let mut c = ExperimentConfig::default();
        c.quantum.model = self.model.clone();
        c.classifier = self.classifier.clone();
        c.autoencoder = self.autoencoder.clone();
        c.split = self.split;
        c.seed = self.seed;
        c
    }
}
