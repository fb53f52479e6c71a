//! The classical baseline: a DDPM (Ho et al. 2020) with an MLP noise predictor on MNIST pixels,
//! sampled ancestrally through all 1,000 steps or with deterministic DDIM (Song et al. 2021) on
//! 50 of them.
//!
//! - [`schedule`]: the linear variance schedule and the forward process (one step, or the closed
//!   form jump to any step);
//! - [`embedding`]: the sinusoidal timestep features;
//! - [`prior`]: the per-pixel Gaussian fit of the data whose exact noise prediction the network
//!   corrects (a fixed skip connection that saves the network learning a linear map);
//! - [`model`]: [`Ddpm`](model::Ddpm), the noise predictor with its configuration, and its model
//!   files (qdecoder's checksummed format, written atomically);
//! - [`train`]: the epsilon-prediction objective, trained with qdecoder's seeded, thread-count
//!   independent mini-batch loop, and `load_or_train` for a cached model;
//! - [`sample`]: the ancestral and DDIM samplers, batched and run in parallel chunks.
//!
//! Images are 784 x N matrices (one image per column); the model works in [-1, 1] and
//! [`Ddpm::sample`](model::Ddpm::sample) returns intensities in [0, 1], ready for
//! [`qdecoder::score::Evaluator`]. The same machinery runs on any data already in [-1, 1] with
//! one example per column ([`Ddpm::train_on`](model::Ddpm::train_on),
//! [`Ddpm::sample_model_range`](model::Ddpm::sample_model_range)): the experiment's latent DDPM
//! is trained on the Bloch vectors of the encoded images and decoded by the quantum model's
//! decoder.

pub mod embedding;
pub mod model;
pub mod prior;
pub mod sample;
pub mod schedule;
pub mod train;
