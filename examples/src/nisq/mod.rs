//! The NISQ experiment: the MNIST diffusion model trained and sampled through a calibrated noisy
//! device (what `nisq_diffusion` runs).
//!
//! A device returns counts, and every shot of a chain with mid-circuit ancilla resets runs the
//! whole chain again with fresh ancilla outcomes and fresh noise: what it estimates is the
//! *channel average* of each seed's output, not one trajectory ([`qdiffusion::hardware`]). The
//! models here are therefore trained on that quantity, exactly, on density matrices
//! ([`qdiffusion::mixed`]):
//!
//! - **noise-unaware**: trained through the noiseless channel;
//! - **noise-aware**: trained through the device's own noise (its calibration, the chain routed
//!   and translated as the device runs it: [`qdiffusion::mixed::device`]);
//! - both deployed on the device ([`qdiffusion::hardware::estimate_bloch_on_device`]): seeds
//!   prepared, the chain with a reset of the ancilla after every step, X, Y and Z measured with
//!   `shots` shots each, readout corrected with a tensored calibration on the same device (and
//!   scored again without it, from the same counts), decoded and scored;
//! - the noise-unaware model's exact channel average, no device, no shots (row c).
//!
//! The device run also estimates the device's per-step noise floor from counts and measures the
//! forward process with and without noise-floor compensation ([`qdiffusion::injection`]).
//!
//! The model is the MNIST model's ansatz (RY-RZ blocks, an XY staircase, eight sinusoidal time
//! features) on 6 system qubits, 1 ancilla and 10 steps, with the ancilla coupled to the last
//! system qubit. The MNIST configuration (10 + 2 qubits, 50 steps, ancillas coupled to every
//! system qubit) does not fit: its density matrix is 4^12 entries, and coupling each ancilla to
//! every system qubit needs about 30 swaps per step on a line of qubits.
//!
//! Layout: [`config`], [`metrics`], [`run`].

pub mod config;
pub mod metrics;
pub mod run;
pub mod shots;
