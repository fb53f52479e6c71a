//! Quantum diffusion: decoherence as the forward process, a variational circuit as the reverse.
//!
//! This is the top of the library stack; it composes `qsim-core` (simulation), `qchannels`
//! (the depolarizing schedule), `qansatz-mps` (the step circuits), `qhw-mitigation` (backends
//! for shot-based sampling) and `qdecoder` (networks for the classical baseline). The MNIST
//! experiment built on it lives in the workspace's examples package, not here.
//!
//! - [`model`]: [`model::ModelConfig`], the plain configuration that builds a model's forward
//!   and reverse processes;
//! - [`forward`]: the depolarizing forward process (local or global), exact or as
//!   measure-and-reprepare trajectories, with the closed-form jump to any step;
//! - [`reverse`]: the reverse process, a timestep-conditioned staircase ansatz on the system
//!   qubits and `k` ancillas that are measured and reset after each step, and the pathwise
//!   backward pass through a whole trajectory;
//! - [`features`]: readouts of a final state (Bloch vectors, Born distribution) and their
//!   cotangents;
//! - [`distance`]: distances between point sets (MMD with Gaussian or energy kernels, sliced
//!   Wasserstein) that the distribution-level losses use;
//! - [`data`]: encoded images as states, and their forward samples;
//! - [`train`]: the losses (ensemble distances at the end of the chain, at every noise level,
//!   on one step with teacher forcing or sequentially; denoising fidelity), checkpointed and
//!   resumable training;
//! - [`sample`]: seeds, generation, and the ablation;
//! - [`hardware`]: shot-based sampling through a `qhw-mitigation` backend, with readout
//!   mitigation, or compiled onto a path of a calibrated device;
//! - [`mixed`]: the reverse chain as a channel on density matrices (the channel average a
//!   device's shots estimate), noiseless or with a device's noise after every pulse and `cx`,
//!   with its adjoint gradient and a trainer;
//! - [`shot_train`]: training from counts alone, by parameter shift with the shifted runs
//!   sharing seeds, readout mitigation, and all of an iteration's circuits in one job;
//! - [`injection`]: the forward process on a device, with the device's noise floor per step
//!   measured from counts and compensated in the schedule;
//! - [`baseline`]: the classical baseline, a DDPM with an MLP noise predictor (on pixels or on
//!   any feature vectors), sampled with ancestral steps or DDIM.
//!
//! A tiny model, end to end: two qubits, three steps, trained for a few iterations on two
//! "images" (product states given by Bloch angles), then sampled.
//!
//! ```
//! use qdiffusion::data::EncodedData;
//! use qdiffusion::features::Readout;
//! use qdiffusion::model::ModelConfig;
//! use qdiffusion::sample;
//! use qdiffusion::train::{TrainConfig, Trainer};
//!
//! let model = ModelConfig { qubits: 2, ancillas: 1, steps: 3, ..ModelConfig::default() };
//! let (forward, reverse) = (model.forward_process()?, model.reverse_model()?);
//! // The data: |0>|1> and |+>|+>, as (theta, phi) per qubit.
//! let half_pi = std::f64::consts::FRAC_PI_2;
//! let data = EncodedData::Product(vec![
//!     vec![(0.0, 0.0), (std::f64::consts::PI, 0.0)],
//!     vec![(half_pi, 0.0), (half_pi, 0.0)],
//! ]);
//! let config = TrainConfig {
//!     iterations: 5,
//!     batch: 8,
//!     data_batch: 16,
//!     checkpoint_every: 0,
//!     ..TrainConfig::default()
//! };
//! let trainer = Trainer::new(&reverse, &forward, &data, config)?;
//! let mut state = trainer.init_state();
//! trainer.train(&mut state, None, |s| println!("iteration {}: MMD {:.4}", s.iteration(), s.losses()[s.iteration() - 1]))?;
//! assert_eq!(state.iteration(), 5);
//!
//! // Ten samples from Haar-random seeds, read out as three Bloch coordinates per qubit.
//! let seeds = sample::seeds(2, 10, 7)?;
//! let samples = sample::generate(&reverse, state.sampling_params(), &seeds, 7, Readout::Bloch)?;
//! assert_eq!((samples.len(), samples[0].len()), (10, 6));
//! assert!(samples.iter().flatten().all(|x| x.abs() <= 1.0 + 1e-12));
//! # Ok::<(), qdiffusion::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod baseline;
pub mod data;
pub mod distance;
pub mod error;
pub mod features;
pub mod forward;
pub mod hardware;
pub mod injection;
pub mod mixed;
pub mod model;
pub mod reverse;
pub mod sample;
pub mod shot_train;
pub mod train;

pub use error::{Error, Result};
