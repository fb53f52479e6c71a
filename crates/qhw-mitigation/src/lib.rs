//! Running on noisy hardware: backends, readout-error mitigation, noise floor, shot gradients.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod backend;
pub mod batching;
pub mod calibration;
pub mod counts;
pub mod device;
pub mod error;
pub mod execution;
pub mod m3;
pub mod noise_floor;
pub mod readout;
pub mod shot_gradient;
pub mod simplex;

pub use error::{Error, Result};
