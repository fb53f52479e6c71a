//! The pixel DDPM baseline of the MNIST experiment with a convolutional noise predictor: a small
//! U-Net (Ronneberger et al. 2015, in the form Ho et al. 2020 use for diffusion) written on
//! [candle](https://docs.rs/candle-core)'s CPU tensors, trained with the simplified objective of
//! Ho et al. and sampled with the baseline's own samplers.
//!
//! The schedule (linear betas), the ancestral and DDIM samplers and the data conventions (784 x N
//! images, one per column, model range [-1, 1]) are `qdiffusion::baseline`'s: [`UnetDdpm`]
//! implements its [`NoisePredictor`](qdiffusion::baseline::sample::NoisePredictor), so the
//! samplers are shared with the latent DDPM. This crate only adds the network, its training and
//! its model file; nothing in the libraries depends on it (the examples do), so `qdiffusion`
//! users never compile candle.
//!
//! - [`config`]: the network's shape and its training ([`UnetDdpmConfig`]);
//! - [`network`]: the U-Net and where its weights come from;
//! - [`ops`]: the fused tensor operations it adds to candle (im2col for the convolutions, group
//!   normalisation with SiLU);
//! - [`model`]: [`UnetDdpm`], its model file and sampling;
//! - [`train`]: training and the cached `load_or_train`.
//!
//! Threads: candle's element-wise operations above 65,536 elements run on a spinning thread
//! pool of their own unless the environment variable `CANDLE_NUM_THREADS` is `1`; training and
//! sampling already run their chunks in parallel on rayon, so programs should set it to 1 before
//! any thread starts (the examples do). Results do not depend on it.
//!
//! ```
//! use qddpm_unet::config::UnetDdpmConfig;
//! use qddpm_unet::model::UnetDdpm;
//! use qdiffusion::baseline::sample::Sampler;
//! use rand::SeedableRng;
//!
//! # fn main() -> qddpm_unet::Result<()> {
//! let mut config = UnetDdpmConfig::quick();
//! config.steps = 20;
//! config.train.batch_size = 8;
//! // Eight grey images in the model range [-1, 1], one per column.
//! let data = nalgebra::DMatrix::from_element(784, 8, -0.5f32);
//! let model = UnetDdpm::train_on(&data, 0, &config, |_| {})?;
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let images = model.sample(4, Sampler::ddim(5), &mut rng)?;
//! assert_eq!(images.shape(), (784, 4));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod config;
pub mod error;
pub mod model;
pub mod network;
pub mod ops;
pub mod train;

pub use config::UnetDdpmConfig;
pub use error::{Error, Result};
pub use model::UnetDdpm;
