//! `qsim-core`: a correct, fast, embeddable quantum simulator.
//!
//! This is the bottom crate of the qdiff simulation stack and a product of its own: of ours it
//! depends only on `qrandom` (the workspace's draws, a few dozen lines on top of `rand`) and it
//! pulls in nothing heavy. It holds
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
//! # Module map
//!
//! The modules follow the path of a circuit from description to amplitudes. Each uses only
//! modules of its own step or earlier ones (and [`error`]), so no two import each other.
//!
//! 1. Representation, [`circuit`]: the [`Circuit`](circuit::Circuit) builder and its validation,
//!    operations and parameters, the gate set ([`circuit::gate`]) and matrices
//!    ([`circuit::matrix`]). `qsim_core::gate` and `qsim_core::matrix` are the same modules,
//!    re-exported at the root. A circuit keeps the plans derived from it in an opaque cache: the
//!    IR names nothing of what runs it.
//! 2. Planning and execution, `engine` (internal): fusion, cache-blocking stages and layouts,
//!    scheduling, compilation to chunk programs, and the plan that runs them; also the appliers
//!    of single operations and the allocation of state buffers.
//! 3. Kernels, `kernels` (internal): the hot loops over amplitude arrays, for whole states and
//!    for cache-sized chunks, compiled for AVX2 and FMA when the CPU has them. The only module
//!    with `unsafe` code.
//! 4. The simulators users hold: [`state::StateVector`] and [`density::DensityMatrix`], with
//!    [`measure`] and [`pauli`] for reading results out and [`batch`] for many circuits at once.
//! 5. On top: [`gradient`] (the adjoint method, which plans its own backward sweep, and the
//!    parameter-shift rule) and [`qasm`] (OpenQASM 2.0 in and out, on the representation only).
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
pub mod operator;
pub mod pauli;
pub mod pauli_channel;
pub mod qasm;
pub mod staged;
pub mod state;

pub use circuit::{gate, matrix};
pub use error::{Error, QasmError, Result};
pub use num_complex::Complex64;
