//! Quantum noise channels for the qdiff stack: the forward process of quantum diffusion.
//!
//! This crate sits directly on `qsim-core`. It holds
//!
//! - [`channel::Channel`]: a CPTP map in Kraus, Pauli or superoperator form, validated when built
//!   (trace preservation, and complete positivity through the Choi matrix), converted between
//!   forms (Kraus, superoperator, Choi, Pauli transfer matrix), composed and tensored;
//! - the [`standard`] channels: depolarizing (local and global), dephasing, bit and phase flip,
//!   general Pauli, amplitude damping, generalised amplitude damping; and classical
//!   [`readout::ReadoutError`];
//! - exact application to a `DensityMatrix` on `k` of `n` qubits (a `2k`-qubit superoperator on
//!   the vectorised state, never a `4^n x 4^n` matrix), and noisy circuits with a
//!   [`noise_model::NoiseModel`]; single-qubit Pauli channels on many qubits (a local
//!   depolarizing step) take a dedicated kernel, a few cache-blocked passes over the matrix;
//! - [`trajectory`]: unravellings on a `StateVector` with the caller's RNG, including both
//!   depolarizing unravellings (Pauli kicks, measure-and-reprepare);
//! - diffusion [`schedule::Schedule`]s: linear, cosine, custom; `alphabar_t`; the closed-form
//!   cumulative channel; and the inverse (per-step strengths from cumulative targets).
//!
//! ```
//! use qchannels::{schedule::Schedule, standard};
//! use qsim_core::{density::DensityMatrix, gate::Gate};
//!
//! // Ten steps of local depolarizing on a Bell pair equal one step of the closed form.
//! let s = Schedule::cosine(10, 0.008)?;
//! let mut rho = DensityMatrix::new(2)?;
//! rho.apply_gate(Gate::H, &[0], &[])?;
//! rho.apply_gate(Gate::Cx, &[0, 1], &[])?;
//! let mut direct = rho.clone();
//! for t in 1..=10 {
//!     s.step_channel(t)?.apply_to_each(&mut rho, &[0, 1])?;
//! }
//! s.cumulative_channel(10)?.apply_to_each(&mut direct, &[0, 1])?;
//! let worst = rho.as_slice().iter().zip(direct.as_slice()).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
//! assert!(worst < 1e-12);
//! # let _ = standard::depolarizing(0.1)?;
//! # Ok::<(), qchannels::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod channel;
pub mod error;
mod kernels;
pub mod noise_model;
mod pauli_basis;
pub mod readout;
pub mod schedule;
pub mod standard;
pub mod trajectory;

pub use error::{Error, Result};
