//! Quantum diffusion: decoherence as the forward process, a variational circuit as the reverse.
//!
//! This is the top of the stack; it composes every other crate. It will hold the depolarizing
//! forward process, the timestep-conditioned reverse channel with ancillas, training, sampling,
//! the MNIST pipeline and the classical DDPM baseline. See DESIGN.md sections 7 and 8.
//!
//! Status: not implemented yet (issue 7). The crate holds no functionality today.
#![warn(missing_docs)]
#![forbid(unsafe_code)]
