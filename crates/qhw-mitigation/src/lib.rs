//! `qhw-mitigation`: running the qdiff stack on noisy hardware, and separating the hardware's
//! noise from the diffusion's.
//!
//! This crate sits on `qsim-core` (circuits, simulators) and `qchannels` (noise channels,
//! diffusion schedules); `qdiffusion` uses it to train and sample on a device. It holds
//!
//! - [`backend`]: the [`backend::Backend`] trait (a batch of [`experiment::Experiment`]s, each
//!   a circuit with its own shots, as one job, reproducible from a seed) and the ideal
//!   Born-rule sampler;
//! - [`device`]: a noisy device configured from a JSON calibration (readout errors, depolarizing
//!   gate errors, T1/T2, coupling map, job latency), simulated exactly ([`execution`]); an
//!   example file ships in `calibration/example_device.json`;
//! - [`device::schedule`]: a circuit's duration on a device (as soon as possible on its gate,
//!   readout and reset times), which a job's device time charges per shot;
//! - [`layout`], [`transpile`], [`compiled`]: placing, routing and translating circuits to a
//!   device's coupling map and basis, and [`compiled::CompiledBackend`], a device behind that
//!   compiler (logical circuits in, the device's counts out);
//! - [`calibration`], [`readout`], [`correction`], [`m3`]: readout calibration on a backend
//!   (tensored or full assignment matrices) and correction by exact inverse, least squares on
//!   the probability simplex ([`simplex`]), or M3 in the subspace of observed outcomes
//!   (matching mthree 3.0 on the reference set);
//! - [`noise_floor`]: the device's depolarizing strength per layer from mirror circuits, and its
//!   subtraction from a diffusion schedule;
//! - [`shot_gradient`]: parameter-shift gradients from counts, the shifted runs paired through
//!   the circuits' classical randomness (shared or mirrored draws), as a device allows;
//! - [`batching`]: several circuits (diffusion timesteps) in one job or on disjoint qubit blocks.
//!
//! Conventions: bit `i` of an outcome is classical bit `i` (or qubit `i` when a circuit has no
//! `measure`), written with bit 0 rightmost as Qiskit does; every fallible function returns
//! [`Result`]; randomness comes from a caller's seed or RNG (ChaCha8), never from the thread.
//!
//! ```
//! use qhw_mitigation::backend::{Backend};
//! use qhw_mitigation::experiment::{Experiment};
//! use qhw_mitigation::calibration::{TensoredMethod, calibrate_tensored};
//! use qhw_mitigation::device::{DeviceCalibration, NoisyDevice};
//! use qhw_mitigation::correction::{Correction, mitigate};
//! use qsim_core::circuit::Circuit;
//!
//! let device = NoisyDevice::new(DeviceCalibration::default())?;
//! // Calibrate the readout of qubits 0 and 1, then run a Bell pair on them.
//! let readout = calibrate_tensored(&device, &[0, 1], 20_000, TensoredMethod::ZerosAndOnes, 1)?;
//! let mut bell = Circuit::new(2);
//! bell.h(0)?.cx(0, 1)?;
//! let counts = &device.run(&[Experiment::fixed(bell, 10_000)], 2)?.counts[0];
//! let raw = counts.parity_expectation(0b11)?;
//! let mitigated = mitigate(&readout.model, counts, &Correction::Inverse)?.parity_expectation(0b11);
//! assert!(mitigated > raw); // <Z0 Z1> is 1 for a Bell pair: readout errors pull it down
//! # Ok::<(), qhw_mitigation::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod backend;
pub mod batching;
pub mod calibration;
pub mod compiled;
pub mod correction;
pub mod counts;
pub mod device;
pub mod error;
pub mod execution;
pub mod experiment;
pub mod layout;
pub mod m3;
pub mod noise_floor;
pub mod readout;
pub mod readout_case;
pub mod shot_gradient;
pub mod simplex;
pub mod transpile;

mod text_file;

pub use error::{Error, Result};
