//! Running on noisy hardware: backends, readout-error mitigation, noise floor, shot gradients.
//!
//! This crate sits on `qsim-core` and `qchannels`. It will hold the `Backend` trait with an ideal
//! and a calibrated noisy simulated device, readout-error mitigation (tensored, full, least
//! squares, M3-style), the hardware noise-floor estimate that is subtracted from a diffusion
//! schedule, antithetic parameter-shift gradients and coherent batching. See DESIGN.md sections
//! 1 and 2.
//!
//! Status: not implemented yet (issue 5). The crate holds no functionality today.
#![warn(missing_docs)]
#![forbid(unsafe_code)]
