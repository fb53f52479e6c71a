//! `qdecoder`: the classical side of the hybrid quantum diffusion model.
//!
//! It depends on nothing else of ours (the quantum crates sit beside it, `qdiffusion` above it)
//! and holds everything classical that turns MNIST into quantum states and measurements back
//! into images, and that judges the images:
//!
//! - data: [`idx`] (the IDX format, gzip or raw) and [`dataset`] (image sets, labels, the MNIST
//!   directory; the workspace bundles an 8,000 / 2,000 subset in `data/mnist`);
//! - networks: [`nn`] (dense layers, activations, losses, Adam, seeded data-parallel mini-batch
//!   training) and [`checkpoint`] (model files with magic, version and checksum, written
//!   atomically);
//! - evaluation: [`classifier`] (the MNIST classifier whose penultimate layer defines our FID
//!   features), [`augment`] (its data augmentation), [`fid`] (the Frechet distance with a
//!   symmetric-eigendecomposition matrix square root) and [`score`] (FID, confidence, class
//!   histogram, nearest-training-image distance of a sample set);
//! - the quantum interface: [`state`] (product states from Bloch angles, exact Born
//!   distributions), [`statistics`] (Born distributions and per-qubit `<X>, <Y>, <Z>`, exact or
//!   sampled from shots), [`encoder`] (PCA, learned and amplitude encodings), [`pca`],
//!   [`decoder`] (statistics to pixels) and [`autoencoder`] (encoder and decoder trained end to
//!   end with shot noise);
//! - output: [`image`] (PNG grids with digit labels); IDX sample sets via
//!   [`dataset::ImageSet::write_idx`].
//!
//! **FID here is "FID on our classifier features"**: the features are the 128 ReLU outputs of the
//! last hidden layer of the MLP 784-256-128-10 in [`classifier`], not Inception-v3 activations, so
//! the values are comparable only with each other.
//!
//! ## Precision: `f32` networks, `f64` statistics
//!
//! Networks compute in `f32`. The models are small MLPs whose accuracy is limited by data and
//! architecture, not by rounding (every gradient check passes in `f32`); `f32` halves memory
//! traffic and doubles the SIMD width of the matrix products (`matrixmultiply`'s `sgemm`, which
//! nalgebra calls for dynamic matrices), and the training time budget is what matters on two
//! cores. Everything whose accuracy is visible in reported numbers is `f64`: losses are
//! accumulated in `f64`, and FID means, covariances and eigendecompositions, Born distributions,
//! Bloch vectors and shot sampling are all `f64`.
//!
//! ## Example
//!
//! Encode images as 10-qubit product states, estimate their per-qubit expectations from 1,000
//! shots, and decode them (here with an untrained decoder, to keep the example fast):
//!
//! ```
//! use nalgebra::DMatrix;
//! use qdecoder::decoder::Decoder;
//! use qdecoder::encoder::{Encoder, PcaEncoder};
//! use qdecoder::nn::{layer::Activation, network::Sequential};
//! use qdecoder::statistics::{Statistics, StatisticsKind};
//! use rand::{RngExt, SeedableRng};
//! use rand_chacha::ChaCha8Rng;
//!
//! let mut rng = ChaCha8Rng::seed_from_u64(0);
//! // 40 synthetic "images" (784 x N intensities in [0, 1]); use dataset::Mnist for real ones.
//! let images = DMatrix::from_fn(784, 40, |_, _| rng.random::<f32>());
//! let encoder = Encoder::Pca(PcaEncoder::fit(&images, 10, true)?);
//! let states = encoder.encode(&images)?;
//! assert_eq!(states[0].num_qubits(), 10);
//!
//! let noisy: Vec<Statistics> = states
//!     .iter()
//!     .map(|s| Statistics::exact(s, StatisticsKind::Bloch).sample_shots(1000, &mut rng))
//!     .collect::<Result<_, _>>()?;
//! let network = Sequential::mlp(&[30, 64, 784], Activation::Relu, &mut rng)?;
//! let decoder = Decoder::new(StatisticsKind::Bloch, 10, network)?;
//! let pixels = decoder.decode(&noisy)?;
//! assert_eq!(pixels.shape(), (784, 40));
//! # Ok::<(), qdecoder::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod augment;
pub mod autoencoder;
pub mod checkpoint;
pub mod classifier;
pub mod dataset;
pub mod decoder;
pub mod encoder;
pub mod error;
pub mod fid;
pub mod idx;
pub mod image;
pub mod nn;
pub mod pca;
pub mod score;
pub mod state;
pub mod statistics;

pub use error::{Error, Result};
