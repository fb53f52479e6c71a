//! What one run of the experiment does: the quantum model, the classical baselines, the
//! classifier and autoencoder, sampling and seeds.

use qddpm_unet::config::UnetDdpmConfig;
use qdecoder::autoencoder::AutoencoderConfig;
use qdecoder::classifier::ClassifierConfig;
use qdiffusion::baseline::model::DdpmConfig;
use qdiffusion::distance::{Distance, MmdKernel};
use qdiffusion::features::Readout;
use qdiffusion::model::ModelConfig;
use qdiffusion::train::{Loss, Terms, TrainConfig};
use serde::{Deserialize, Serialize};

/// Which held-out digits the generated images are scored against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvalSplit {
    /// The 1,000 validation digits held out of the training split: for every choice (defaults,
    /// sweeps, checkpoint selection).
    Validation,
    /// The 2,000 test digits: to report a chosen configuration, once.
    #[default]
    Test,
}

impl EvalSplit {
    /// The name used in tables and messages.
    pub fn name(self) -> &'static str {
        match self {
            EvalSplit::Validation => "validation",
            EvalSplit::Test => "test",
        }
    }
}

/// How images become quantum states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// The learned latent encoding: the autoencoder's encoder maps an image to a product state
    /// (two Bloch angles per qubit); its decoder maps per-qubit `<X>, <Y>, <Z>` back to pixels.
    #[default]
    Latent,
    /// Amplitude encoding of the image padded to 32 x 32 (10 qubits), amplitudes
    /// `sqrt(x_k / sum x)` ([`qdecoder::encoder::amplitude_state`]), decoded in closed form from
    /// the Born distribution ([`qdecoder::encoder::amplitude_image`]).
    Amplitude,
}

impl Encoding {
    /// The name used in files and tables.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Latent => "latent",
            Encoding::Amplitude => "amplitude",
        }
    }

    /// What is read out of the final states.
    pub fn readout(self) -> Readout {
        match self {
            Encoding::Latent => Readout::Bloch,
            Encoding::Amplitude => Readout::Born,
        }
    }
}

/// The quantum model and its training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantumConfig {
    /// The encoding of images as states.
    pub encoding: Encoding,
    /// The model: qubits, ancillas, steps, ansatz, conditioning, schedule (10 system qubits for
    /// both encodings of MNIST).
    pub model: ModelConfig,
    /// Training of the reverse process.
    pub train: TrainConfig,
}

impl Default for QuantumConfig {
    fn default() -> Self {
        Self {
            encoding: Encoding::Latent,
            model: ModelConfig::default(),
            // The library's defaults but for a shorter run on fewer data per iteration, with a
            // decaying learning rate.
            train: TrainConfig {
                iterations: 100,
                data_batch: 256,
                learning_rate: 0.01,
                final_learning_rate: 0.001,
                // The end of the chain against the data, and every level of the chain against
                // the forward process there (chosen on the validation split: docs/results.md).
                loss: Loss::Ensembles {
                    distance: Distance::Mmd {
                        kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0, 4.0, 8.0] },
                    },
                    terms: Terms { levels: 1.0, ..Terms::END },
                },
                checkpoint_every: 10,
                ..TrainConfig::default()
            },
        }
    }
}

/// Everything one run of the experiment does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentConfig {
    /// The quantum model.
    pub quantum: QuantumConfig,
    /// The classical DDPM baseline on pixels (a U-Net noise predictor).
    pub ddpm: UnetDdpmConfig,
    /// The classical DDPM on the quantum model's latent features (the Bloch vectors of the
    /// encoded training images), decoded by the same decoder; `None` skips it. Latent encoding
    /// only (the amplitude encoding has no latent: the rows are skipped with a note).
    pub latent_ddpm: Option<DdpmConfig>,
    /// The parameter-matched latent DDPM: the latent DDPM's task with a noise predictor whose
    /// trainable parameters number as many as the quantum model's (within 10%). Its hidden
    /// layers are resized at run time to one width ([`DdpmConfig::with_matched_width`]); the
    /// widths given here only fix how many layers there are. `None` skips it.
    pub latent_matched_ddpm: Option<DdpmConfig>,
    /// DDIM steps of the fast classical sampler (both baselines).
    pub ddim_steps: usize,
    /// Steps of the ancestral sampler of the classical DDPMs: `None` visits every trained step
    /// (1,000); fewer respace the schedule ([`Sampler::respaced`](qdiffusion::baseline::sample::Sampler::respaced)).
    pub ancestral_steps: Option<usize>,
    /// The FID classifier.
    pub classifier: ClassifierConfig,
    /// The autoencoder of the latent encoding.
    pub autoencoder: AutoencoderConfig,
    /// Shot-based sampling as on hardware (see [`qdiffusion::hardware`]): the first `samples`
    /// seeds are also run through an ideal-sampler backend with `shots` shots per basis and
    /// tensored readout mitigation, and scored beside the exact trajectories of the same seeds.
    pub shots: Option<ShotSampling>,
    /// Train (or load) and sample the classical DDPM baselines, pixel and latent (off for quick
    /// quantum variants).
    pub classical_baseline: bool,
    /// With the classical baselines, also the pixel DDPM (off: the latent ones only).
    pub pixel_baseline: bool,
    /// The digits every set of images is scored against. Every model is fitted on the training
    /// digits minus the validation split, whichever split scores.
    pub split: EvalSplit,
    /// Samples drawn from every model (FIDs compare at equal n: the test split has 2,000
    /// digits, the validation split 1,000).
    pub samples: usize,
    /// Seed of sampling (quantum seeds and trajectories, DDPM noise).
    pub seed: u64,
    /// Score the quantum model every this many training iterations (its sampling seeds, the
    /// run's split) for the FID-vs-iteration curve; `None`: only at the end.
    pub curve_every: Option<usize>,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        Self {
            quantum: QuantumConfig::default(),
            ddpm: UnetDdpmConfig::default(),
            latent_ddpm: Some(DdpmConfig::latent()),
            latent_matched_ddpm: Some(DdpmConfig::latent_matched()),
            ddim_steps: 50,
            ancestral_steps: None,
            classifier: ClassifierConfig::default(),
            autoencoder: AutoencoderConfig::default(),
            shots: None,
            classical_baseline: true,
            pixel_baseline: true,
            split: EvalSplit::Test,
            samples: 2000,
            seed: 7,
            curve_every: None,
        }
    }
}

impl ExperimentConfig {
    /// A small run of every stage, about a minute on two cores: for smoke tests, not for
    /// figures (its FIDs use a briefly trained classifier and few samples).
    pub fn quick() -> Self {
        let mut c = Self::default();
        c.quantum.model.steps = 5;
        c.quantum.train.iterations = 4;
        c.quantum.train.batch = 8;
        c.quantum.train.data_batch = 32;
        c.quantum.train.checkpoint_every = 2;
        c.ddpm = UnetDdpmConfig::quick();
        if let Some(matched) = &mut c.latent_matched_ddpm {
            matched.steps = 100;
            matched.train.epochs = 2;
        }
        if let Some(latent) = &mut c.latent_ddpm {
            latent.hidden = vec![64];
            latent.time_embedding_dim = 16;
            latent.steps = 100;
            latent.train.epochs = 2;
        }
        c.ddim_steps = 10;
        c.classifier.hidden = vec![64];
        c.classifier.train.epochs = 2;
        c.autoencoder.encoder_hidden = vec![64];
        c.autoencoder.decoder_hidden = vec![64];
        c.autoencoder.train.epochs = 2;
        c.samples = 200;
        c.shots = Some(ShotSampling { shots: 32, samples: 16 });
        c
    }
}

/// The shot-based sampling stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShotSampling {
    /// Shots per sample and measurement basis (X, Y, Z).
    pub shots: u64,
    /// How many of the seeds (each costs `3 shots` runs of the whole chain).
    pub samples: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use qansatz_mps::ansatz::Init;

    /// The published figures were trained with exactly these settings; the library's defaults
    /// they inherit must not drift under them.
    #[test]
    fn the_quantum_training_settings_of_the_published_figures() {
        let train = QuantumConfig::default().train;
        let expected = TrainConfig {
            iterations: 100,
            batch: 32,
            data_batch: 256,
            learning_rate: 0.01,
            final_learning_rate: 0.001,
            loss: Loss::Ensembles {
                distance: Distance::Mmd {
                    kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0, 4.0, 8.0] },
                },
                terms: Terms { end: 1.0, levels: 1.0, teacher: 0.0, sequential: 0.0 },
            },
            readout: Readout::Bloch,
            marginal: None,
            init: Init::NearIdentity { scale: 0.005 },
            ema: None,
            seed: 1,
            checkpoint_every: 10,
        };
        assert_eq!(train, expected);
    }
}
