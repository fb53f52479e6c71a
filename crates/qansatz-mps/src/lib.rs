//! The MPS-inspired staircase ansatz that parameterises the reverse diffusion circuit.
//!
//! This crate sits on `qsim-core`. It will hold the staircase ansatz (single-qubit blocks and a
//! nearest-neighbour CNOT chain per layer), the sinusoidal timestep embedding
//! `theta(t) = w + V e(t)`, a versioned parameter layout with save/load, and a Born machine
//! trainer. See DESIGN.md section 6.
//!
//! Status: not implemented yet (issue 4). The crate holds no functionality today.
#![warn(missing_docs)]
#![forbid(unsafe_code)]
