//! The hardware noise floor: how much depolarizing a device adds per circuit layer, measured with
//! mirror circuits, and its subtraction from a diffusion schedule.
//!
//! A *layer* is what one layer of the diffusion ansatz does: a Haar-random single-qubit gate on
//! every qubit, then CNOTs on the given pairs (by default the chain 0-1, 1-2, ...). A mirror
//! circuit of depth `d` runs `d` random layers `U` and then `U^dagger` (another `d` layers), so
//! without noise it returns `|0...0>` exactly. On the device, the readout-mitigated outcome
//! distribution decays with `d`; the decay per layer is turned into a per-qubit depolarizing
//! strength `p_hw`, the same kind of number as a diffusion step's `beta_t`.
//!
//! From each mitigated distribution `q` one of two decay metrics is taken:
//! - [`DecayMetric::Polarization`] (default): `P = (4^n sum_x q(x) (-1/2)^{|x|} - 1) / (4^n - 1)`
//!   with `|x|` the Hamming weight (Proctor et al., "Scalable randomized benchmarking of quantum
//!   computers using mirror circuits", PRL 129, 150502, 2022). An error that the random layers
//!   have turned into a uniformly random non-identity Pauli contributes exactly 0, whatever its
//!   weight, so `P` counts surviving identity components and decays as `f^L` for `L` layers;
//! - [`DecayMetric::Survival`]: the all-zero probability `S`, rescaled to
//!   `(S - 2^-n) / (1 - 2^-n)` (its decay under global depolarizing). Errors late in the
//!   circuit, which leave `|0>` more often than a global model says, show up in the fitted
//!   amplitude (`A > 1`) rather than in the decay rate.
//!
//! Both recover an injected strength to a few percent (docs/results.md; `tests/noise_floor.rs`).
//!
//! The mean metric per depth is fitted as `y(d) = A r^d` (least squares on `ln y`; `A` absorbs
//! state preparation and what readout mitigation leaves); the per-layer polarization is
//! `f = sqrt(r)` (each depth unit holds a layer and its inverse). A layer with local
//! depolarizing `p` on each of `n` qubits has process fidelity `F = (1 - 3p/4)^n` and polarization
//! `f = (4^n F - 1) / (4^n - 1)`; inverting gives `p_hw = 4/3 (1 - F^{1/n})`.
//!
//! Subtraction: depolarizing channels compose by multiplying `1 - p`, so a diffusion step whose
//! circuit already adds `p_hw` should ask the device only for `1 - beta'_t = (1 - beta_t) /
//! (1 - p_hw)`. A step with `beta_t < p_hw` cannot be reached: [`subtract_noise_floor`] says which.

use qchannels::schedule::Schedule;
use qsim_core::circuit::Circuit;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::calibration::{TensoredMethod, calibrate_tensored};
use crate::correction::{Correction, mitigate};
use crate::counts::QuasiDistribution;
use crate::error::{Error, Result, check_probability};
use crate::experiment::Experiment;
use crate::readout::TensoredReadout;

/// Which number is read from each mirror circuit's mitigated distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecayMetric {
    /// Hamming-weight-adjusted polarization (robust to where errors strike).
    #[default]
    Polarization,
    /// All-zero survival probability, rescaled by its global-depolarizing asymptote.
    Survival,
}

/// Settings of a noise-floor measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoiseFloorConfig {
    /// Mirror depths `d` (forward layers; the circuit has `2d`).
    pub depths: Vec<usize>,
    /// Random circuits per depth.
    pub circuits_per_depth: usize,
    /// Shots per circuit.
    pub shots: u64,
    /// Shots per readout-calibration circuit.
    pub calibration_shots: u64,
    /// The decay metric.
    pub metric: DecayMetric,
}

impl Default for NoiseFloorConfig {
    fn default() -> Self {
        Self {
            depths: vec![1, 2, 4, 8, 12],
            circuits_per_depth: 10,
            shots: 4000,
            calibration_shots: 20_000,
            metric: DecayMetric::default(),
        }
    }
}

/// Mean metric at one depth.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecayPoint {
    /// Mirror depth.
    pub depth: usize,
    /// Mean metric over the random circuits.
    pub mean: f64,
    /// Standard error of that mean.
    pub std_error: f64,
}

/// What a noise-floor measurement found.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseFloorEstimate {
    /// Effective per-qubit depolarizing strength per layer.
    pub p_hw: f64,
    /// Polarization per layer `f`.
    pub layer_polarization: f64,
    /// Fitted amplitude `A`.
    pub amplitude: f64,
    /// The decay data.
    pub points: Vec<DecayPoint>,
    /// The readout model calibrated on the device and used for mitigation.
    pub readout: TensoredReadout,
    /// Device seconds spent (calibration and mirror circuits).
    pub device_seconds: f64,
}

impl NoiseFloorEstimate {
    /// The hardware strength of a step that runs `layers` layers: `1 - (1 - p_hw)^layers`.
    pub fn per_step(&self, layers: usize) -> f64 {
        1.0 - (1.0 - self.p_hw).powi(layers as i32)
    }
}

/// The default entangling pairs of a layer: the chain `(0, 1), (1, 2), ...`.
pub fn chain_pairs(num_qubits: usize) -> Vec<(usize, usize)> {
    (1..num_qubits).map(|q| (q - 1, q)).collect()
}

/// One random layer: a Haar-random `u(theta, phi, lambda)` on each qubit, then CX on `pairs`.
pub fn random_layer<R: Rng + ?Sized>(
    circuit: &mut Circuit,
    pairs: &[(usize, usize)],
    rng: &mut R,
) -> Result<()> {
    use qrandom::distributions::uniform;
    let tau = std::f64::consts::TAU;
    for q in 0..circuit.num_qubits() {
        // Haar measure on SU(2): cos(theta) uniform in [-1, 1], phi and lambda uniform.
        let theta = (1.0 - 2.0 * uniform(rng)).clamp(-1.0, 1.0).acos();
        circuit.u(q, theta, tau * uniform(rng), tau * uniform(rng))?;
    }
    for &(a, b) in pairs {
        circuit.cx(a, b)?;
    }
    Ok(())
}

/// `depth` random layers followed by their inverse: the identity without noise.
pub fn mirror_circuit<R: Rng + ?Sized>(
    num_qubits: usize,
    depth: usize,
    pairs: &[(usize, usize)],
    rng: &mut R,
) -> Result<Circuit> {
    let mut forward = Circuit::new(num_qubits);
    for _ in 0..depth {
        random_layer(&mut forward, pairs, rng)?;
    }
    let mut mirror = forward.clone();
    mirror.append(&forward.inverse()?)?;
    Ok(mirror)
}

/// The metric of one mitigated distribution over `n` bits.
pub fn decay_metric(q: &QuasiDistribution, metric: DecayMetric) -> f64 {
    let n = q.num_bits() as i32;
    match metric {
        DecayMetric::Polarization => {
            let weighted: f64 =
                q.iter().map(|(x, w)| w * (-0.5f64).powi(x.count_ones() as i32)).sum();
            let d2 = 4f64.powi(n);
            (d2 * weighted - 1.0) / (d2 - 1.0)
        }
        DecayMetric::Survival => {
            let floor = 0.5f64.powi(n);
            (q.get(0) - floor) / (1.0 - floor)
        }
    }
}

/// Per-qubit depolarizing strength of a layer of `n` qubits with polarization `f`.
pub fn polarization_to_depolarizing(f: f64, num_qubits: usize) -> f64 {
    let d2 = 4f64.powi(num_qubits as i32);
    let fidelity = ((1.0 + (d2 - 1.0) * f) / d2).clamp(0.0, 1.0);
    4.0 / 3.0 * (1.0 - fidelity.powf(1.0 / num_qubits as f64))
}

/// Fits `y(d) = A r^d` by least squares on `ln y`; returns `(A, r)`.
pub fn fit_exponential(points: &[DecayPoint]) -> Result<(f64, f64)> {
    let usable: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.mean > 0.0 && p.mean.is_finite())
        .map(|p| (p.depth as f64, p.mean.ln()))
        .collect();
    if usable.len() < 2 {
        return Err(Error::FitFailed {
            reason: format!(
                "{} of {} depths kept a positive signal; use shallower circuits",
                usable.len(),
                points.len()
            ),
        });
    }
    let m = usable.len() as f64;
    let (sx, sy) = usable.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / m, sy / m);
    let sxx: f64 = usable.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    if sxx == 0.0 {
        return Err(Error::FitFailed { reason: "all depths are equal".into() });
    }
    let slope = usable.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / sxx;
    Ok(((my - slope * mx).exp(), slope.exp()))
}

/// Measures the noise floor of qubits `0..num_qubits` of `backend`, layers entangling `pairs`.
pub fn estimate_noise_floor(
    backend: &dyn Backend,
    num_qubits: usize,
    pairs: &[(usize, usize)],
    config: &NoiseFloorConfig,
    seed: u64,
) -> Result<NoiseFloorEstimate> {
    if num_qubits == 0 || num_qubits > backend.num_qubits() {
        return Err(Error::UnknownQubit {
            qubit: num_qubits.saturating_sub(1),
            num_qubits: backend.num_qubits(),
        });
    }
    if config.depths.len() < 2 || config.circuits_per_depth == 0 || config.shots == 0 {
        return Err(Error::InvalidConfig {
            reason: "a noise floor needs two or more depths, circuits and shots".into(),
        });
    }
    let qubits: Vec<usize> = (0..num_qubits).collect();
    let calibrated = calibrate_tensored(
        backend,
        &qubits,
        config.calibration_shots,
        TensoredMethod::ZerosAndOnes,
        seed,
    )?;
    let mut rng = qrandom::streams::NOISE_FLOOR_CIRCUITS.rng(seed);
    let mut experiments = Vec::new();
    for &depth in &config.depths {
        for _ in 0..config.circuits_per_depth {
            experiments.push(Experiment::fixed(
                mirror_circuit(num_qubits, depth, pairs, &mut rng)?,
                config.shots,
            ));
        }
    }
    let job = backend.run(&experiments, seed.wrapping_add(1))?;
    let mut points = Vec::with_capacity(config.depths.len());
    for (i, &depth) in config.depths.iter().enumerate() {
        let values = job.counts[i * config.circuits_per_depth..(i + 1) * config.circuits_per_depth]
            .iter()
            .map(|c| {
                Ok(decay_metric(
                    &mitigate(&calibrated.model, c, &Correction::Inverse)?,
                    config.metric,
                ))
            })
            .collect::<Result<Vec<f64>>>()?;
        let m = values.len() as f64;
        let mean = values.iter().sum::<f64>() / m;
        let var = if values.len() > 1 {
            values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (m - 1.0)
        } else {
            0.0
        };
        points.push(DecayPoint { depth, mean, std_error: (var / m).sqrt() });
    }
    let (amplitude, r) = fit_exponential(&points)?;
    if !(r > 0.0 && r.is_finite()) {
        return Err(Error::FitFailed {
            reason: format!("decay per depth r = {r} is not positive"),
        });
    }
    // A fitted growth (r > 1) is shot noise around a noiseless device: its floor is 0.
    let f = r.min(1.0).sqrt();
    Ok(NoiseFloorEstimate {
        p_hw: polarization_to_depolarizing(f, num_qubits),
        layer_polarization: f,
        amplitude,
        points,
        readout: calibrated.model,
        device_seconds: calibrated.device_seconds + job.device_seconds,
    })
}

/// The schedule the device should be asked for when its circuits already add `p_hw` per step:
/// `1 - beta'_t = (1 - beta_t) / (1 - p_hw)`. Errors with the first step where `beta_t < p_hw`.
pub fn subtract_noise_floor(schedule: &Schedule, p_hw: f64) -> Result<Schedule> {
    let p = check_probability("hardware noise floor p_hw", p_hw)?;
    if p >= 1.0 {
        return Err(Error::InvalidProbability {
            what: "hardware noise floor p_hw (must be < 1)".into(),
            value: p,
        });
    }
    let betas = schedule
        .betas()
        .iter()
        .enumerate()
        .map(|(i, &beta)| {
            if beta < p {
                return Err(Error::NoiseFloorExceedsStep {
                    step: i + 1,
                    beta,
                    p_hw: p,
                    excess: p - beta,
                });
            }
            // Exactly 0 when beta == p, and never negative from rounding.
            Ok((1.0 - (1.0 - beta) / (1.0 - p)).max(0.0))
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok(Schedule::custom(betas)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtraction_composes_back_to_the_schedule_and_names_the_failing_step() {
        let s = Schedule::linear(10, 0.02, 0.2).unwrap();
        let t = subtract_noise_floor(&s, 0.015).unwrap();
        for k in 1..=10 {
            let composed = 1.0 - (1.0 - t.beta(k)) * (1.0 - 0.015);
            assert!((composed - s.beta(k)).abs() < 1e-15);
        }
        match subtract_noise_floor(&s, 0.05) {
            Err(Error::NoiseFloorExceedsStep { step: 1, beta, excess, .. }) => {
                assert!((beta - 0.02).abs() < 1e-15 && (excess - 0.03).abs() < 1e-15);
            }
            other => panic!("{other:?}"),
        }
        assert!(subtract_noise_floor(&s, 1.0).is_err());
        assert!(subtract_noise_floor(&s, f64::NAN).is_err());
    }

    #[test]
    fn polarization_conversion_inverts_local_depolarizing() {
        for n in 1..6 {
            let p: f64 = 0.013;
            let d2 = 4f64.powi(n as i32);
            let f = (d2 * (1.0 - 0.75 * p).powi(n as i32) - 1.0) / (d2 - 1.0);
            assert!((polarization_to_depolarizing(f, n) - p).abs() < 1e-12);
        }
    }

    #[test]
    fn the_fit_recovers_an_exact_exponential() {
        let points: Vec<DecayPoint> = [1, 2, 4, 8]
            .iter()
            .map(|&d| DecayPoint { depth: d, mean: 0.9 * 0.95f64.powi(d as i32), std_error: 0.0 })
            .collect();
        let (a, r) = fit_exponential(&points).unwrap();
        assert!((a - 0.9).abs() < 1e-12 && (r - 0.95).abs() < 1e-12);
        assert!(matches!(fit_exponential(&points[..1]), Err(Error::FitFailed { .. })));
    }
}
