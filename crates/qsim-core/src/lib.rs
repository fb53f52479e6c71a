//! `qsim-core`: a correct, fast, embeddable quantum simulator.
//!
//! This is the bottom crate of the qdiff stack and a product of its own: it depends on nothing
//! else of ours and pulls in nothing heavy. It holds
//!
//! - [`state::StateVector`] and [`density::DensityMatrix`] simulators;
//! - the [`gate::Gate`] set of OpenQASM 2's `qelib1.inc` (Qiskit's matrices), arbitrary and
//!   controlled unitaries ([`matrix::Matrix`]);
//! - the [`circuit::Circuit`] IR, whose angles are fixed or refer to a trainable parameter vector,
//!   with mid-circuit measurement and reset;
//! - OpenQASM 2.0 import and export ([`qasm`]);
//! - measurement ([`measure`]): probabilities, marginals, Born-rule sampling; observables
//!   ([`pauli`]);
//! - gradients ([`gradient`]): the adjoint method and the parameter-shift rule.
//!
//! Conventions: amplitudes are `Complex64`; bit `i` of a basis index is qubit `i` (little-endian,
//! as Qiskit and Qulacs). Every fallible function returns [`Result`]; randomness comes from an RNG
//! the caller passes in.
//!
//! ```
//! use qsim_core::{circuit::{Circuit, Param}, pauli::{PauliString, PauliSum}, state::StateVector};
//! let mut c = Circuit::new(2);
//! c.ry(0, Param::var(0))?.cx(0, 1)?;
//! let zz = PauliSum::single(1.0, PauliString::parse("Z0 Z1")?)?;
//! let mut psi = StateVector::new(2)?;
//! psi.apply_circuit(&c, &[0.3])?;
//! assert!((zz.expectation(psi.amplitudes())? - 1.0).abs() < 1e-12);
//! # Ok::<(), qsim_core::Error>(())
//! ```
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod batch;
pub mod circuit;
pub mod density;
mod engine;
pub mod error;
pub mod gradient;
// The one module with `unsafe`: raw-pointer loops and AVX2 intrinsics, each block argued.
#[allow(unsafe_code)]
mod kernels;
pub mod measure;
pub mod pauli;
pub mod qasm;
pub mod state;

pub use circuit::{gate, matrix};
pub use error::{Error, QasmError, Result};
pub use num_complex::Complex64;
