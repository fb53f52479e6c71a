//! The MPS-inspired staircase ansatz that parameterises the reverse diffusion circuit, and a
//! Born machine that proves it on a standard generative benchmark.
//!
//! This crate sits on `qsim-core`. It holds
//!
//! - [`ansatz`]: the staircase ansatz (a single-qubit block on every qubit and a
//!   nearest-neighbour CNOT chain per layer; brickwork as an alternative), optional ancillas,
//!   initialisation strategies;
//! - [`embedding`]: time conditioning `theta(t) = w + V e(t/T)` with sinusoidal features, or
//!   independent angles per step, with chain-rule gradients through the simulator's adjoint
//!   method;
//! - [`params`]: parameter files (the workspace's framed, checksummed format from `qfile`,
//!   written atomically);
//! - the Adam optimiser, in [`optim`];
//! - [`born`]: a Born machine trained with squared MMD (mixture of Gaussian kernels), exact or
//!   from shots.
//!
//! ```
//! use qansatz_mps::{ansatz::{AnsatzConfig, Init}, embedding::{Conditioning, ConditionalAnsatz}};
//! use rand::SeedableRng;
//! let model = ConditionalAnsatz::new(
//!     AnsatzConfig { num_qubits: 4, layers: 3, ..AnsatzConfig::default() },
//!     Conditioning::Embedded { dim: 4 },
//!     50,
//! )?;
//! let params = model.init_params(Init::NearIdentity { scale: 0.1 }, &mut rand_chacha::ChaCha8Rng::seed_from_u64(1));
//! let qasm = model.to_qasm(&params, 25)?;
//! assert!(qasm.starts_with("OPENQASM 2.0;"));
//! # Ok::<(), qansatz_mps::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod ansatz;
pub mod born;
pub mod embedding;
pub mod error;
pub mod optim;
pub mod params;

pub use error::{Error, Result};
