//! Readout calibration: circuits that prepare known basis states, run on a backend, and the
//! confusion matrices estimated from their counts.
//!
//! - Tensored, [`TensoredMethod::ZerosAndOnes`]: two circuits, `|0...0>` and `|1...1>`; qubit
//!   `q`'s `P(1|0)` and `P(0|1)` are the marginal error rates of bit `q`. Cheap; it assumes
//!   independent readout errors.
//! - Tensored, [`TensoredMethod::PerQubit`]: `2k` circuits, each qubit prepared in 0 and in 1 on
//!   its own (the others idle in `|0>`), measured alone.
//! - Full: all `2^k` basis states; the full assignment matrix captures correlated errors
//!   (at most [`crate::readout::MAX_FULL_QUBITS`] qubits).
//!
//! `qubits` lists physical qubits; bit `l` of the resulting model is `qubits[l]`, so the model
//! mitigates counts whose bit `l` was measured from `qubits[l]`.

use qsim_core::circuit::Circuit;
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::experiment::Experiment;
use crate::readout::{FullReadout, MAX_FULL_QUBITS, TensoredReadout};

/// Which circuits a tensored calibration runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TensoredMethod {
    /// `|0...0>` and `|1...1>` (two circuits).
    #[default]
    ZerosAndOnes,
    /// Each qubit prepared in `|0>` and `|1>` on its own (`2k` circuits).
    PerQubit,
}

/// A calibrated model and what the calibration job cost.
#[derive(Clone, Debug)]
pub struct Calibrated<M> {
    /// The readout model.
    pub model: M,
    /// Device seconds of the calibration job.
    pub device_seconds: f64,
    /// Shots spent.
    pub shots: u64,
}

fn check_qubits(backend: &dyn Backend, qubits: &[usize]) -> Result<usize> {
    if qubits.is_empty() {
        return Err(Error::InvalidConfig { reason: "no qubits to calibrate".into() });
    }
    let n = backend.num_qubits();
    for (i, &q) in qubits.iter().enumerate() {
        if q >= n {
            return Err(Error::UnknownQubit { qubit: q, num_qubits: n });
        }
        if qubits[..i].contains(&q) {
            return Err(Error::InvalidConfig { reason: format!("qubit {q} listed twice") });
        }
    }
    Ok(qubits.iter().max().map_or(0, |m| m + 1))
}

/// A circuit preparing `prepared` (bit `l` on `qubits[l]`) and measuring `qubits[l]` into
/// clbit `l`.
pub fn basis_state_circuit(width: usize, qubits: &[usize], prepared: usize) -> Result<Circuit> {
    let mut c = Circuit::with_clbits(width, qubits.len());
    for (l, &q) in qubits.iter().enumerate() {
        if (prepared >> l) & 1 == 1 {
            c.x(q)?;
        }
    }
    for (l, &q) in qubits.iter().enumerate() {
        c.measure(q, l)?;
    }
    Ok(c)
}

/// Calibrates a tensored readout model of `qubits` on `backend` with `shots` per circuit.
pub fn calibrate_tensored(
    backend: &dyn Backend,
    qubits: &[usize],
    shots: u64,
    method: TensoredMethod,
    seed: u64,
) -> Result<Calibrated<TensoredReadout>> {
    let width = check_qubits(backend, qubits)?;
    if shots == 0 {
        return Err(Error::InvalidConfig { reason: "calibration needs shots".into() });
    }
    let k = qubits.len();
    let experiments: Vec<Experiment> = match method {
        TensoredMethod::ZerosAndOnes => vec![
            Experiment::fixed(basis_state_circuit(width, qubits, 0)?, shots),
            Experiment::fixed(basis_state_circuit(width, qubits, (1usize << k) - 1)?, shots),
        ],
        TensoredMethod::PerQubit => qubits
            .iter()
            .flat_map(|&q| [0, 1].map(|b| (q, b)))
            .map(|(q, b)| Ok(Experiment::fixed(basis_state_circuit(width, &[q], b)?, shots)))
            .collect::<Result<_>>()?,
    };
    let job = backend.run(&experiments, seed)?;
    let rate = |counts: &crate::counts::Counts, bit: usize, value: usize| -> f64 {
        let wrong: u64 =
            counts.iter().filter(|(k, _)| (k >> bit) & 1 != value).map(|(_, v)| v).sum();
        wrong as f64 / counts.shots() as f64
    };
    let flips: Vec<(f64, f64)> = match method {
        TensoredMethod::ZerosAndOnes => {
            (0..k).map(|l| (rate(&job.counts[0], l, 0), rate(&job.counts[1], l, 1))).collect()
        }
        TensoredMethod::PerQubit => (0..k)
            .map(|l| (rate(&job.counts[2 * l], 0, 0), rate(&job.counts[2 * l + 1], 0, 1)))
            .collect(),
    };
    Ok(Calibrated {
        model: TensoredReadout::from_flips(&flips)?,
        device_seconds: job.device_seconds,
        shots: shots.saturating_mul(experiments.len() as u64),
    })
}

/// Calibrates the full assignment matrix of `qubits` by preparing all `2^k` basis states.
pub fn calibrate_full(
    backend: &dyn Backend,
    qubits: &[usize],
    shots: u64,
    seed: u64,
) -> Result<Calibrated<FullReadout>> {
    let width = check_qubits(backend, qubits)?;
    let k = qubits.len();
    if k > MAX_FULL_QUBITS {
        return Err(Error::TooManyQubits {
            what: "a full readout calibration",
            max: MAX_FULL_QUBITS,
            got: k,
        });
    }
    if shots == 0 {
        return Err(Error::InvalidConfig { reason: "calibration needs shots".into() });
    }
    let d = 1usize << k;
    let experiments = (0..d)
        .map(|j| Ok(Experiment::fixed(basis_state_circuit(width, qubits, j)?, shots)))
        .collect::<Result<Vec<_>>>()?;
    let job = backend.run(&experiments, seed)?;
    let mut entries = vec![0.0; d * d];
    for (prepared, counts) in job.counts.iter().enumerate() {
        for (read, f) in counts.frequencies()? {
            entries[read * d + prepared] = f;
        }
    }
    Ok(Calibrated {
        model: FullReadout::new(k, &entries)?,
        device_seconds: job.device_seconds,
        shots: shots.saturating_mul(d as u64),
    })
}
