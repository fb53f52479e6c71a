//! Shot-based sampling: the whole reverse chain of one sample as one circuit, run on a
//! `qhw-mitigation` [`Backend`] with readout mitigation, read out as Bloch vectors.
//!
//! # The circuit of one sample
//!
//! On `n + k` qubits (system `0..n`, ancillas `n..n+k`, the layout of [`crate::reverse`]) and
//! `n` classical bits:
//!
//! 1. seed preparation: `u(theta_q, phi_q, 0)` on system qubit `q`, which maps `|0>` to exactly
//!    [`crate::data::qubit_state`]`((theta_q, phi_q))`; the angles are [`seed_angles`](crate::sample::seed_angles), the same
//!    seeds as [`crate::sample::seeds`];
//! 2. for `t = T, T-1, ..., 1` (the order of [`ReverseModel::run_chain`]): the ansatz bound at
//!    the angles of step `t`, then a `reset` of every ancilla;
//! 3. a basis change ([`Basis`]: `H` for X, `S^dagger` then `H` for Y, nothing for Z) and a
//!    measurement of system qubit `q` into classical bit `q`.
//!
//! Three circuits per sample (X, Y, Z), `shots` shots each; the per-qubit marginals of the counts
//! give `<X_q>, <Y_q>, <Z_q>` in the layout of [`Readout::Bloch`](crate::features::Readout),
//! optionally corrected for readout error by a tensored model calibrated on the same backend.
//!
//! # What the shots estimate: the channel average, not one trajectory
//!
//! [`crate::sample::generate`] follows one trajectory per seed (each ancilla outcome drawn once)
//! and reads out that trajectory's pure final state exactly. A device cannot do that. Every shot
//! of the circuit above runs the whole chain again, and each reset discards an ancilla outcome
//! that is random anew in every shot, so **each shot is a different trajectory**. The statistics
//! of the shots therefore estimate the channel-averaged, mixed final state
//! `rho = R_1(R_2(... R_T(|seed><seed|)))`, whose Bloch vectors are the average of the trajectory
//! Bloch vectors over the ancilla outcomes (the features are linear in the state): shorter than
//! a pure trajectory's, inside the unit ball. Recovering one trajectory's state would take
//! recording the `k T` ancilla outcomes and post-selecting on one record, a fraction `2^{-kT}`
//! of the shots for typical records. The channel average is the honest hardware analogue of the
//! simulated sampler; it is the same thing only when the reverse process has no ancillas.
//!
//! # Statistics
//!
//! A raw feature is `1 - 2 f`, with `f` the frequency of reading 1 in `shots` shots: unbiased,
//! with standard deviation `sqrt(1 - e^2) / sqrt(shots) <= 1 / sqrt(shots)`. Readout correction
//! divides that by `1 - P(1|0) - P(0|1)` of the qubit (and adds the calibration's own error).
//! Each qubit's estimate is finally scaled back onto the unit ball if shot noise put it outside
//! (a small bias towards the centre for nearly pure states).

use qhw_mitigation::backend::Backend;
use qhw_mitigation::calibration::{TensoredMethod, calibrate_tensored};
use qhw_mitigation::correction::{Correction, mitigate};
use qhw_mitigation::counts::Counts;
use qhw_mitigation::device::NoisyDevice;
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::layout::compile_on_path;
use qhw_mitigation::readout::{AssignmentMatrix, TensoredReadout};
use qrandom::streams::{HARDWARE_CALIBRATION, HARDWARE_JOB};
use qsim_core::circuit::Circuit;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::reverse::ReverseModel;

/// The Pauli basis the system qubits are measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    /// `<X>`: a Hadamard before the measurement.
    X,
    /// `<Y>`: `S^dagger` then a Hadamard before the measurement.
    Y,
    /// `<Z>`: the computational basis.
    Z,
}

impl Basis {
    /// The three bases in the order of the Bloch features: X, Y, Z.
    pub const ALL: [Basis; 3] = [Basis::X, Basis::Y, Basis::Z];

    /// Appends the rotation that maps this basis onto Z on qubit `q`.
    fn rotate(self, c: &mut Circuit, q: usize) -> Result<()> {
        // H Z H = X, and (H S^dagger)^dagger Z (H S^dagger) = S X S^dagger = Y.
        match self {
            Basis::X => {
                c.h(q)?;
            }
            Basis::Y => {
                c.sdg(q)?.h(q)?;
            }
            Basis::Z => {}
        }
        Ok(())
    }
}

/// How read counts are corrected for readout error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Mitigation {
    /// Raw frequencies.
    None,
    /// A tensored readout model of the system qubits, calibrated on the same backend in one job
    /// before sampling, inverted on each qubit's marginal counts.
    Tensored {
        /// Shots per calibration circuit.
        calibration_shots: u64,
        /// Which calibration circuits.
        method: TensoredMethod,
    },
}

/// How a shot-based estimate is taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShotConfig {
    /// Shots per sample and basis (a sample costs `3 shots`).
    pub shots: u64,
    /// Samples per job (three experiments each). One job pays the device's latency once; the
    /// random streams depend on the batching, so results are reproducible for a fixed
    /// `(seed, samples_per_job)`.
    pub samples_per_job: usize,
    /// Readout mitigation.
    pub mitigation: Mitigation,
    /// Seed of the sampling jobs and of the calibration job.
    pub seed: u64,
}

impl Default for ShotConfig {
    fn default() -> Self {
        Self {
            shots: 1024,
            samples_per_job: 32,
            mitigation: Mitigation::Tensored {
                calibration_shots: 8192,
                method: TensoredMethod::ZerosAndOnes,
            },
            seed: 0,
        }
    }
}

/// The seed-independent part of every sample's circuit: for `t = T, ..., level + 1` the ansatz
/// bound at step `t` (left parametrised at step `free`, if given), a reset of every ancilla, a
/// barrier.
fn reverse_chain(
    reverse: &ReverseModel,
    params: &[f64],
    free: Option<usize>,
    level: usize,
) -> Result<Circuit> {
    let (n, k) = (reverse.num_system(), reverse.num_ancillas());
    let mut chain = Circuit::with_clbits(n + k, n);
    let all: Vec<usize> = (0..n + k).collect();
    for t in (level + 1..=reverse.steps()).rev() {
        if free == Some(t) {
            chain.append(reverse.model().circuit())?;
        } else {
            chain.append(&reverse.model().bound_circuit(params, t)?)?;
        }
        for a in n..n + k {
            chain.reset(a)?;
        }
        // A device compiler fuses nothing across steps (`mixed::device` relies on it).
        chain.barrier(&all)?;
    }
    Ok(chain)
}

/// Seed preparation, the chain, the basis change and the measurement of the system qubits.
fn sample_circuit(
    chain: &Circuit,
    num_system: usize,
    seed: &[(f64, f64)],
    basis: Basis,
) -> Result<Circuit> {
    check_seed(seed, num_system)?;
    let mut c = Circuit::with_clbits(chain.num_qubits(), num_system);
    for (q, &(theta, phi)) in seed.iter().enumerate() {
        // u(theta, phi, 0)|0> = (cos(theta/2), e^{i phi} sin(theta/2)), exactly `qubit_state`.
        c.u(q, theta, phi, 0.0)?;
    }
    let all: Vec<usize> = (0..chain.num_qubits()).collect();
    c.barrier(&all)?;
    c.append(chain)?;
    for q in 0..num_system {
        basis.rotate(&mut c, q)?;
        c.measure(q, q)?;
    }
    Ok(c)
}

fn check_seed(seed: &[(f64, f64)], num_system: usize) -> Result<()> {
    if seed.len() != num_system {
        return Err(Error::DimensionMismatch {
            what: "qubits of a seed",
            expected: num_system,
            got: seed.len(),
        });
    }
    if let Some((q, (theta, phi))) =
        seed.iter().enumerate().find(|(_, (t, p))| !(t.is_finite() && p.is_finite()))
    {
        return Err(Error::InvalidConfig {
            reason: format!("seed angles ({theta}, {phi}) of qubit {q} are not finite"),
        });
    }
    Ok(())
}

/// The circuit of one sample measured in `basis`: seed preparation, the reverse chain
/// `t = T, ..., 1` with ancilla resets, the basis change, and system qubit `q` measured into
/// classical bit `q` (see the module documentation).
pub fn chain_circuit(
    reverse: &ReverseModel,
    params: &[f64],
    seed: &[(f64, f64)],
    basis: Basis,
) -> Result<Circuit> {
    chain_circuit_to_level(reverse, params, seed, basis, 0, None)
}

/// [`chain_circuit`] with step `t`'s ansatz left parametrised (its angles are the circuit's
/// parameters, `ConditionalAnsatz::angles(params, t)` their values) and every other step bound:
/// what a parameter-shift gradient of step `t` shifts.
pub fn chain_circuit_with_free_step(
    reverse: &ReverseModel,
    params: &[f64],
    seed: &[(f64, f64)],
    basis: Basis,
    t: usize,
) -> Result<Circuit> {
    chain_circuit_to_level(reverse, params, seed, basis, 0, Some(t))
}

/// The chain stopped at `level`: steps `T, ..., level + 1`, then measured in `basis` (what a
/// level term of training compares with forward samples at `level`; `level = 0` is
/// [`chain_circuit`]). With `free = Some(t)` (`t > level`), step `t` is left parametrised as in
/// [`chain_circuit_with_free_step`].
pub fn chain_circuit_to_level(
    reverse: &ReverseModel,
    params: &[f64],
    seed: &[(f64, f64)],
    basis: Basis,
    level: usize,
    free: Option<usize>,
) -> Result<Circuit> {
    let steps = reverse.steps();
    if level >= steps {
        return Err(Error::InvalidConfig {
            reason: format!(
                "level {level} of a chain of {steps} steps (levels run 0 to {})",
                steps - 1
            ),
        });
    }
    if let Some(t) = free.filter(|&t| t <= level || t > steps) {
        return Err(Error::InvalidConfig {
            reason: format!(
                "step {t} is not run by a chain of {steps} steps stopped at level {level}"
            ),
        });
    }
    let chain = reverse_chain(reverse, params, free, level)?;
    sample_circuit(&chain, reverse.num_system(), seed, basis)
}

/// Bloch features `[<X_0>, <Y_0>, <Z_0>, <X_1>, ...]` of one sample from its X, Y and Z counts
/// (in that order, bit `q` = system qubit `q`), corrected with `readout` (bit `q` = qubit `q`)
/// if given, each qubit's vector scaled back onto the unit ball if it lies outside.
pub fn bloch_from_counts(counts: &[Counts], readout: Option<&TensoredReadout>) -> Result<Vec<f64>> {
    if counts.len() != Basis::ALL.len() {
        return Err(Error::DimensionMismatch {
            what: "count tables per sample (X, Y, Z)",
            expected: Basis::ALL.len(),
            got: counts.len(),
        });
    }
    let n = counts[0].num_bits();
    for c in &counts[1..] {
        if c.num_bits() != n {
            return Err(Error::DimensionMismatch {
                what: "bits of the X, Y and Z counts",
                expected: n,
                got: c.num_bits(),
            });
        }
    }
    let per_qubit = match readout {
        Some(model) => {
            if model.num_qubits() != n {
                return Err(Error::DimensionMismatch {
                    what: "qubits of the readout model vs bits of the counts",
                    expected: n,
                    got: model.num_qubits(),
                });
            }
            Some(
                (0..n)
                    .map(|q| model.for_qubits(&[q]))
                    .collect::<std::result::Result<Vec<_>, _>>()?,
            )
        }
        None => None,
    };
    let mut features = vec![0.0; 3 * n];
    for (b, table) in counts.iter().enumerate() {
        for q in 0..n {
            let marginal = table.marginal(&[q])?;
            // For a tensored model the marginal of the corrected distribution is the
            // correction of the marginal, so one qubit at a time loses nothing.
            features[3 * q + b] = match &per_qubit {
                Some(models) => {
                    mitigate(&models[q], &marginal, &Correction::Inverse)?.parity_expectation(1)
                }
                None => marginal.parity_expectation(1)?,
            };
        }
    }
    for v in features.chunks_exact_mut(3) {
        let r = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if r > 1.0 {
            v.iter_mut().for_each(|x| *x /= r);
        }
    }
    Ok(features)
}

/// Shot estimates of the Bloch features of the reverse chain's final state from every seed
/// (angles as [`seed_angles`](crate::sample::seed_angles) gives them), run on `backend` as the module documentation
/// describes: the channel-averaged state, in the layout of `Readout::Bloch`. Logical qubit `i`
/// is backend qubit `i` and circuits run as written.
pub fn estimate_bloch(
    backend: &dyn Backend,
    reverse: &ReverseModel,
    params: &[f64],
    seeds: &[Vec<(f64, f64)>],
    config: &ShotConfig,
) -> Result<Vec<Vec<f64>>> {
    let (n, width) = (reverse.num_system(), reverse.num_system() + reverse.num_ancillas());
    if backend.num_qubits() < width {
        return Err(Error::InvalidConfig {
            reason: format!(
                "backend `{}` has {} qubits; the chain needs {width} ({n} system, {} ancillas)",
                backend.name(),
                backend.num_qubits(),
                reverse.num_ancillas()
            ),
        });
    }
    let chain = reverse_chain(reverse, params, None, 0)?;
    let read: Vec<usize> = (0..n).collect();
    Ok(estimate(backend, n, &read, seeds, config, |s, basis| sample_circuit(&chain, n, s, basis))?
        .features)
}

/// What a device run of the chain returned and cost.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceEstimate {
    /// Bloch features per seed, readout-corrected if the configuration asks.
    pub features: Vec<Vec<f64>>,
    /// The same features from the same counts without readout correction.
    pub raw_features: Vec<Vec<f64>>,
    /// Circuits run (three per seed), calibration excluded.
    pub circuits: usize,
    /// Jobs submitted, calibration included.
    pub jobs: usize,
    /// Shots taken, calibration included.
    pub shots: u64,
    /// Device seconds of every job, calibration included.
    pub device_seconds: f64,
    /// Swaps per sample circuit.
    pub swaps: usize,
    /// `cx` gates per sample circuit (swaps included), in the X basis.
    pub cx: usize,
}

/// [`estimate_bloch`] on a calibrated device: logical qubit `i` starts on `path[i]`, and every
/// circuit is routed along the path and translated to the device basis
/// ([`qhw_mitigation::layout::compile_on_path`]) before it runs. Readout calibration covers the
/// device qubits where the system qubits end.
pub fn estimate_bloch_on_device(
    device: &NoisyDevice,
    path: &[usize],
    reverse: &ReverseModel,
    params: &[f64],
    seeds: &[Vec<(f64, f64)>],
    config: &ShotConfig,
) -> Result<DeviceEstimate> {
    let n = reverse.num_system();
    let chain = reverse_chain(reverse, params, None, 0)?;
    let probe = seeds.first().cloned().unwrap_or_else(|| vec![(0.0, 0.0); n]);
    let placed =
        compile_on_path(&sample_circuit(&chain, n, &probe, Basis::X)?, device.calibration(), path)?;
    let read = placed.final_layout[..n].to_vec();
    let compile = |s: &[(f64, f64)], basis: Basis| -> Result<Circuit> {
        Ok(compile_on_path(&sample_circuit(&chain, n, s, basis)?, device.calibration(), path)?
            .circuit)
    };
    let mut estimate = estimate(device, n, &read, seeds, config, compile)?;
    estimate.swaps = placed.swaps;
    estimate.cx = placed.gates.cx;
    Ok(estimate)
}

/// Runs three circuits per seed (from `circuit`), `samples_per_job` seeds per job, after a
/// readout calibration of the device qubits `read` (bit `q` of the counts is read on
/// `read[q]`).
fn estimate(
    backend: &dyn Backend,
    n: usize,
    read: &[usize],
    seeds: &[Vec<(f64, f64)>],
    config: &ShotConfig,
    circuit: impl Fn(&[(f64, f64)], Basis) -> Result<Circuit>,
) -> Result<DeviceEstimate> {
    if config.shots == 0 {
        return Err(Error::InvalidConfig { reason: "shot-based sampling needs shots".into() });
    }
    if config.samples_per_job == 0 {
        return Err(Error::InvalidConfig { reason: "a job needs at least one sample".into() });
    }
    // Everything the caller can get wrong is checked before any device time is spent.
    for s in seeds {
        check_seed(s, n)?;
    }
    let mut out = DeviceEstimate {
        features: Vec::with_capacity(seeds.len()),
        raw_features: Vec::with_capacity(seeds.len()),
        circuits: 0,
        jobs: 0,
        shots: 0,
        device_seconds: 0.0,
        swaps: 0,
        cx: 0,
    };
    if seeds.is_empty() {
        return Ok(out);
    }
    let readout = match config.mitigation {
        Mitigation::None => None,
        Mitigation::Tensored { calibration_shots, method } => {
            let seed = HARDWARE_CALIBRATION.seed(config.seed, 0);
            let cal = calibrate_tensored(backend, read, calibration_shots, method, seed)?;
            out.jobs += 1;
            out.shots += cal.shots;
            out.device_seconds += cal.device_seconds;
            Some(cal.model)
        }
    };
    for (j, batch) in seeds.chunks(config.samples_per_job).enumerate() {
        let mut experiments = Vec::with_capacity(3 * batch.len());
        for s in batch {
            for basis in Basis::ALL {
                experiments.push(Experiment::fixed(circuit(s, basis)?, config.shots));
            }
        }
        let job = backend.run(&experiments, HARDWARE_JOB.seed(config.seed, j as u64))?;
        if job.counts.len() != experiments.len() {
            return Err(Error::DimensionMismatch {
                what: "count tables returned by the backend",
                expected: experiments.len(),
                got: job.counts.len(),
            });
        }
        out.circuits += experiments.len();
        out.jobs += 1;
        out.shots += experiments.len() as u64 * config.shots;
        out.device_seconds += job.device_seconds;
        for counts in job.counts.chunks_exact(Basis::ALL.len()) {
            out.raw_features.push(bloch_from_counts(counts, None)?);
            out.features.push(match &readout {
                Some(model) => bloch_from_counts(counts, Some(model))?,
                None => bloch_from_counts(counts, None)?,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::qubit_state;

    #[test]
    fn seed_preparation_is_qubit_state_exactly() {
        for &(theta, phi) in &[(0.3, 1.9), (2.8, -0.4), (0.0, 5.0), (std::f64::consts::PI, 0.7)] {
            let mut c = Circuit::new(1);
            c.u(0, theta, phi, 0.0).unwrap();
            let mut psi = qsim_core::state::StateVector::new(1).unwrap();
            psi.apply_circuit(&c, &[]).unwrap();
            let want = qubit_state((theta, phi));
            let err: f64 = psi.amplitudes().iter().zip(&want).map(|(a, b)| (a - b).norm()).sum();
            assert!(err < 1e-15, "{theta} {phi}: {:?} vs {want:?}", psi.amplitudes());
        }
    }

    #[test]
    fn counts_of_a_known_state_give_its_bloch_vector() {
        // Qubit 0 in |+> (X reads 0, Y and Z are even), qubit 1 in |1> (Z reads 1, X, Y even).
        let x = Counts::from_pairs(2, [(0b00, 50), (0b10, 50)]).unwrap();
        let y = Counts::from_pairs(2, [(0b00, 25), (0b01, 25), (0b10, 25), (0b11, 25)]).unwrap();
        let z = Counts::from_pairs(2, [(0b10, 50), (0b11, 50)]).unwrap();
        let f = bloch_from_counts(&[x.clone(), y.clone(), z.clone()], None).unwrap();
        let want = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0];
        assert!(f.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15), "{f:?}");
        let model = TensoredReadout::from_flips(&[(0.0, 0.0), (0.0, 0.0)]).unwrap();
        assert_eq!(bloch_from_counts(&[x, y, z], Some(&model)).unwrap(), f);
    }
}
