//! Quantum noise channels for the qdiff stack: the forward process of quantum diffusion.
//!
//! This crate sits directly on `qsim-core`. It will hold channels in Kraus, Pauli and
//! superoperator form with CPTP validation, their exact application to density matrices and
//! their stochastic unravellings on state vectors, and the diffusion schedules (`beta_t`,
//! `alphabar_t`, closed-form cumulative channels). See DESIGN.md section 5.
//!
//! Status: not implemented yet (issue 3). The crate holds no functionality today.
#![warn(missing_docs)]
#![forbid(unsafe_code)]
