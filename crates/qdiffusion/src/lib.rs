//! Quantum diffusion: decoherence as the forward process, a variational circuit as the reverse.
//!
//! This is the top of the stack; it composes every other crate.
//!
//! - [`forward`]: the depolarizing forward process (local or global), exact or as
//!   measure-and-reprepare trajectories, with the closed-form jump to any step;
//! - [`reverse`]: the reverse process, a timestep-conditioned staircase ansatz on the system
//!   qubits and `k` ancillas that are measured and reset after each step, and the pathwise
//!   backward pass through a whole trajectory;
//! - [`features`]: readouts of a final state (Bloch vectors, Born distribution) and the MMD
//!   between point sets that the distribution-level loss uses;
//! - [`data`]: encoded images as states, and their forward samples;
//! - [`train`]: the losses (chain MMD, per-step MMD, denoising fidelity), checkpointed and
//!   resumable training;
//! - [`sample`]: seeds, generation, and the ablation;
//! - [`hardware`]: shot-based sampling through a `qhw-mitigation` backend, with readout mitigation;
//! - [`baseline`]: the classical baseline, a DDPM with an MLP noise predictor on MNIST pixels,
//!   sampled with 1,000 ancestral steps or 50 DDIM steps;
//! - [`experiment`]: the MNIST experiment end to end (what the `mnist_diffusion` example runs).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod baseline;
pub mod data;
pub mod error;
pub mod experiment;
pub mod features;
pub mod forward;
pub mod hardware;
pub mod reverse;
pub mod sample;
pub mod train;

pub use error::{Error, Result};
