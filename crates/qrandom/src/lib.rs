//! `qrandom`: the one home of randomness in the qdiff workspace.
//!
//! Every crate that draws random numbers takes them from here, so that a draw means the same
//! thing wherever it happens and a seed reproduces a run bit for bit:
//!
//! - [`distributions`]: a uniform draw with 53 random bits, standard normal draws (Box-Muller in
//!   `f64` for the quantum side, the ziggurat of `rand_distr` in `f32` for the networks), and a
//!   draw of an index with probability proportional to weights;
//! - [`stream`]: seed mixing (the SplitMix64 finaliser) and [`Stream`], a named family of
//!   generators derived from one seed;
//! - [`streams`]: the registry of every named stream the workspace derives, so that no two uses
//!   of one seed can collide by accident.
//!
//! This crate sits at the very bottom of the stack and depends only on `rand`, `rand_chacha`
//! and `rand_distr`. Generators come in as `&mut impl Rng` (or as a seed); nothing here reads a
//! thread-local or an operating-system source.
//!
//! ```
//! use qrandom::{Stream, distributions::{uniform, weighted_index}};
//! let samples = Stream::new(1_000);
//! let mut rng = samples.rng(42, 3); // member 3 of the family under seed 42
//! let u = uniform(&mut rng);
//! assert!((0.0..1.0).contains(&u));
//! assert_eq!(weighted_index(&[0.0, 2.0, 0.0], &mut rng), 1);
//! // The same seed and member give the same generator, whatever ran before.
//! assert_eq!(uniform(&mut samples.rng(42, 3)), u);
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod distributions;
pub mod stream;
pub mod streams;

pub use stream::{Stream, mix};
