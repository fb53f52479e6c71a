//! The MNIST experiment, end to end: data, floors, the quantum model, its ablation, the
//! classical DDPM baselines, scores and output files.
//!
//! [`run::run`] is what `cargo run --release --example mnist_diffusion` calls. It loads the
//! committed MNIST subset, trains (or loads from cache) the FID classifier, the autoencoder of
//! the latent encoding, the DDPM baselines and the quantum reverse process, draws the same
//! number of samples from every model, scores them with FID on our classifier features (not
//! Inception-FID) against the held-out split, and writes IDX sample sets, PNG grids and
//! `metrics.json`.
//!
//! There are two classical baselines. The pixel-space DDPM is the classical model of the
//! published comparison. The latent DDPM is the fair comparison: the same DDPM machinery trained
//! on exactly the features the quantum model is trained against (the Bloch vectors of the
//! encoded training images) and decoded by the same decoder, so the generative model is the
//! only difference.
//!
//! The quantum model is trained with the ensemble losses and checkpointed atomically; a run
//! interrupted at any point resumes from its last checkpoint with `resume` and ends with
//! exactly the parameters of an uninterrupted run.
//!
//! Layout, bottom-up: [`config`] (what a run does), [`event`] (what it reports as it goes),
//! [`metrics`] (what it measured), then the stages (the model cache, the encodings, the
//! baselines, shot-based sampling, output files) and [`run`], which orders them.

mod baselines;
pub(crate) mod cache;
pub(crate) mod codec;
pub mod config;
pub mod event;
pub mod metrics;
pub(crate) mod outputs;
pub mod run;
mod scorer;
mod shots;
