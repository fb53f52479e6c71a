//! Every named random stream of the workspace, in one list.
//!
//! A crate that derives generators from a seed names the derivation here instead of writing a
//! bare number at the call site; seeing them side by side is what keeps two purposes from
//! drawing the same numbers. The values are frozen: changing one changes every result that a
//! seed reproduces (cached models, checkpoints, published tables).
//!
//! Families that share an offset are applied to different seeds (a training seed and a
//! sampling seed), so they do not collide unless a user sets both seeds alike; even then they
//! only correlate two unrelated purposes, never two draws of one computation.

use crate::stream::{CipherStream, Key, Stream};

// qdecoder: the classical networks.

/// The initial weights of the FID classifier, from its training seed.
pub const CLASSIFIER_INIT: Key = Key::new(0x5eed_c1a5);

/// The initial weights of the autoencoder, from its training seed.
pub const AUTOENCODER_INIT: Key = Key::new(0xa0e0_c0de);

/// The initial weights of a stand-alone decoder, from its training seed.
pub const DECODER_INIT: Key = Key::new(0xdec0_de00);

// qhw-mitigation: backends and mitigation.

/// Experiment `i` of a backend job: the job seed on cipher stream `i`.
pub const BACKEND_EXPERIMENT: CipherStream = CipherStream::new(0);

/// The random mirror circuits of a noise-floor estimate, from its seed.
pub const NOISE_FLOOR_CIRCUITS: Key = Key::new(0x6d69_7272_6f72);

/// The classical draws of a shot gradient (those of its `+shift` runs), from its seed.
pub const SHOT_GRADIENT_DRAWS: CipherStream = CipherStream::new(1);

/// The draws of the `-shift` runs of a shot gradient with independent pairing.
pub const SHOT_GRADIENT_MINUS_DRAWS: CipherStream = CipherStream::new(2);

/// The backend job of a shot gradient, from its seed.
pub const SHOT_GRADIENT_JOBS: Key = Key::new(0x5407_6a0b);

// qdiffusion: the quantum model.

/// The initial parameters of the reverse process, from the training seed (member 0).
pub const TRAIN_INIT: Stream = Stream::new(u64::MAX);

/// Iteration `k` of training, from the training seed: everything the iteration draws comes from
/// this member (or from members derived from its seed below).
pub const TRAIN_ITERATION: Stream = Stream::new(0);

/// The seed of one iteration's batch of seed states, from the iteration's seed (member 0).
pub const TRAIN_BATCH_SEEDS: Stream = Stream::new(1);

/// Sample `i` of one iteration's batch (its trajectory's ancilla outcomes, its forward noise),
/// from the iteration's seed.
pub const TRAIN_SAMPLE: Stream = Stream::new(1_000);

/// Sample `i` of the teacher-forcing term of an iteration (its forward samples and ancilla
/// outcome), from the iteration's seed.
pub const TRAIN_TEACHER_SAMPLE: Stream = Stream::new(3_000_000);

/// The random directions of a sliced-Wasserstein term of an iteration, from the iteration's
/// seed: member 0 for the end of the chain, `t` for level `t`, `T + 1` for the teacher-forcing
/// term, `T + 2` for the sequential term.
pub const TRAIN_PROJECTIONS: Stream = Stream::new(4_000_000);

/// Seed state `i` (Haar-random product state) of a sampling run or of a training batch.
pub const SEED_STATES: Stream = Stream::new(0);

/// The trajectory (ancilla outcomes) of sample `i` of a sampling run, from the sampling seed.
pub const SAMPLE_TRAJECTORY: Stream = Stream::new(2_000_000);

/// The readout calibration job of shot-based sampling (member 0).
pub const HARDWARE_CALIBRATION: Stream = Stream::new(u64::MAX);

/// Job `j` of shot-based sampling.
pub const HARDWARE_JOB: Stream = Stream::new(0);

/// The jobs of noise-floor compensation (`qdiffusion::injection`), from the caller's seed:
/// member 0 the readout calibration, 1 the floor's identity-step circuits, 2 the forward-process
/// circuits with and without compensation, 3 the mirror-circuit comparison.
pub const INJECTION_JOB: Stream = Stream::new(5_000_000);

/// The random Pauli draws of forward-process instance `i` (`qdiffusion::injection`), from the
/// caller's seed: one uniform per step and qubit, so the two arms (with and without
/// compensation) of one instance share their uniforms.
pub const INJECTION_DRAW: Stream = Stream::new(6_000_000);

/// Iteration `k` of training a density-matrix program (`qdiffusion::mixed::train`), from the
/// training seed: member `2k` draws the batch's seed states, member `2k + 1` its data batch.
pub const MIXED_TRAIN_ITERATION: Stream = Stream::new(7_000_000);

/// Iteration `k` of training from counts (`qdiffusion::shot_train`), from the training seed:
/// its seeds, data batch and timesteps.
pub const SHOT_TRAIN_ITERATION: Stream = Stream::new(8_000_000);

/// The jobs of training from counts, from the training seed: member `k` the job of
/// iteration `k` (forward and shifted circuits), `u64::MAX` the readout calibration.
pub const SHOT_TRAIN_JOB: Stream = Stream::new(9_000_000);

// qdiffusion: the classical DDPM baselines.

/// The initial weights of a DDPM's noise predictor, from its training seed.
pub const DDPM_INIT: Key = Key::new(0xdd93_1a17_b45e_0001);

/// Sampling the pixel DDPM: ancestral sampling on member 0, DDIM on member 1.
pub const PIXEL_DDPM_SAMPLING: CipherStream = CipherStream::new(0);

/// Sampling the latent DDPM: ancestral sampling on member 0, DDIM on member 1.
pub const LATENT_DDPM_SAMPLING: CipherStream = CipherStream::new(2);

/// Sampling the parameter-matched latent DDPM: ancestral sampling on member 0, DDIM on member 1.
pub const LATENT_MATCHED_DDPM_SAMPLING: CipherStream = CipherStream::new(4);

/// The initial weights of the pixel DDPM's U-Net, from its training seed.
pub const UNET_DDPM_INIT: Key = Key::new(0xdd93_1a17_b45e_0002);

/// Training the pixel DDPM's U-Net, from its training seed: the shuffles, then each batch's
/// timesteps and noise, in order.
pub const UNET_DDPM_TRAIN: Key = Key::new(0xdd93_1a17_b45e_0003);

// qdiff-py: the Python package.

/// Measurement samples drawn for a Python caller (`qdiff.sample`, the PennyLane device's shots,
/// the Qiskit Sampler), from the seed the caller passes.
pub const PYTHON_SAMPLES: Key = Key::new(0x7079_7468_6f6e);
