//! The noise floor of one forward step: measured from counts, and its true value from a device
//! calibration.
//!
//! Estimator ([`estimate_step_floor`]): every qubit of the list starts in one of the six Pauli
//! eigenstates (all qubits in parallel, a product state), runs `d` identity steps (the forward
//! layer with no injected noise: one `u(0, 0, 0)` per qubit per step) and is measured along the
//! preparation's axis. The readout model calibrated on the same backend corrects each qubit's
//! marginal. Half the difference between the `+` and `-` preparations of an axis removes
//! everything the step channel adds independently of the input (the shift of amplitude
//! damping), leaving `A_axis lambda_axis^d`, where `lambda_axis` is the channel's Pauli transfer
//! diagonal on that axis and `A_axis` collects preparation, basis change and what readout
//! mitigation leaves. A weighted least-squares fit of `ln` of it against `d` gives
//! `lambda_axis`, and the per-step depolarizing floor is `p = 1 - (lambda_x + lambda_y +
//! lambda_z) / 3`: the strength of the Pauli-twirled channel (what the random Paulis of the
//! forward steps turn the device's noise into).
//!
//! True value ([`true_step_floor`]): the channel a device applies after one single-qubit gate
//! (its depolarizing, then relaxation for the gate's duration), composed with `qchannels`, and
//! the same `1 - mean(lambda)` of its Pauli transfer matrix. Only for comparison: the estimator
//! never reads the calibration.

use qchannels::channel::Channel;
use qchannels::standard;
use qhw_mitigation::backend::Backend;
use qhw_mitigation::calibration::{TensoredMethod, calibrate_tensored};
use qhw_mitigation::device::{DeviceCalibration, Relaxation};
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::noise_floor::{DecayPoint, NoiseFloorConfig, NoiseFloorEstimate};
use qhw_mitigation::readout::TensoredReadout;
use qrandom::streams::INJECTION_JOB;
use serde::{Deserialize, Serialize};

use super::{Axis, PauliDraw, Preparation, check_qubits, forward_circuit, mitigated_z};
use crate::error::{Error, Result};

/// Settings of [`estimate_step_floor`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepFloorConfig {
    /// Numbers of identity steps (two or more distinct values; a floor of `1e-3` per step needs
    /// depths of a few hundred to decay measurably).
    pub depths: Vec<usize>,
    /// Shots per circuit (there are six circuits per depth).
    pub shots: u64,
    /// Shots per readout-calibration circuit.
    pub calibration_shots: u64,
    /// Seed of the jobs.
    pub seed: u64,
}

impl Default for StepFloorConfig {
    fn default() -> Self {
        Self { depths: vec![0, 50, 100, 200, 400], shots: 8000, calibration_shots: 20_000, seed: 0 }
    }
}

/// The floor of one qubit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QubitStepFloor {
    /// The device qubit.
    pub qubit: usize,
    /// Per-step depolarizing floor `1 - mean(lambda)` (may be slightly negative on a noiseless
    /// device: shot noise).
    pub p: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Fitted decay per step along `X`, `Y`, `Z`.
    pub lambdas: [f64; 3],
    /// Their standard errors.
    pub lambda_std_errors: [f64; 3],
    /// Fitted amplitudes along `X`, `Y`, `Z` (preparation, basis change, residual readout).
    pub amplitudes: [f64; 3],
    /// The data along `X`, `Y`, `Z`: half the difference of the `+` and `-` preparations' mitigated
    /// expectations at each depth.
    pub decay: [Vec<DecayPoint>; 3],
}

/// What [`estimate_step_floor`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct StepFloorEstimate {
    /// One entry per qubit of the list, in its order.
    pub per_qubit: Vec<QubitStepFloor>,
    /// Mean floor over the qubits.
    pub mean: f64,
    /// Standard error of the mean.
    pub mean_std_error: f64,
    /// The readout model calibrated on the backend (bit `l` = `qubits[l]`).
    pub readout: TensoredReadout,
    /// Device seconds spent (calibration and decay circuits).
    pub device_seconds: f64,
}

impl StepFloorEstimate {
    /// The per-qubit floors to compensate, clipped at 0 (a negative estimate is shot noise on a
    /// noiseless qubit).
    pub fn floors(&self) -> Vec<f64> {
        self.per_qubit.iter().map(|q| q.p.max(0.0)).collect()
    }

    /// The device qubits, in the order of [`StepFloorEstimate::per_qubit`].
    pub fn qubits(&self) -> Vec<usize> {
        self.per_qubit.iter().map(|q| q.qubit).collect()
    }
}

/// Fits `y(d) = A lambda^d` to points by least squares on `ln y`, each weighted by
/// `y^2 / se^2`; returns `(A, lambda, se(lambda))`. The standard error comes from the points'
/// errors, inflated by the residuals when they scatter more than those errors say.
pub(crate) fn fit_decay(points: &[DecayPoint], what: &str) -> Result<(f64, f64, f64)> {
    let usable: Vec<(f64, f64, f64)> = points
        .iter()
        .filter(|p| p.mean > 0.0 && p.mean.is_finite())
        .map(|p| {
            let rel = (p.std_error / p.mean).max(1e-9);
            (p.depth as f64, p.mean.ln(), 1.0 / (rel * rel))
        })
        .collect();
    let fail = |reason: String| Error::EstimateFailed { what: what.to_string(), reason };
    if usable.len() < 2 {
        return Err(fail(format!(
            "{} of {} depths kept a positive signal; use shallower depths",
            usable.len(),
            points.len()
        )));
    }
    let sw: f64 = usable.iter().map(|u| u.2).sum();
    let mx = usable.iter().map(|u| u.2 * u.0).sum::<f64>() / sw;
    let my = usable.iter().map(|u| u.2 * u.1).sum::<f64>() / sw;
    let sxx: f64 = usable.iter().map(|u| u.2 * (u.0 - mx) * (u.0 - mx)).sum();
    if sxx <= 0.0 {
        return Err(fail("all depths are equal".into()));
    }
    let slope = usable.iter().map(|u| u.2 * (u.0 - mx) * (u.1 - my)).sum::<f64>() / sxx;
    let intercept = my - slope * mx;
    let dof = usable.len() as f64 - 2.0;
    let chi2: f64 =
        usable.iter().map(|u| u.2 * (u.1 - intercept - slope * u.0).powi(2)).sum::<f64>();
    let inflation = if dof > 0.0 { (chi2 / dof).max(1.0) } else { 1.0 };
    let se_slope = (inflation / sxx).sqrt();
    let lambda = slope.exp();
    Ok((intercept.exp(), lambda, lambda * se_slope))
}

/// Measures the per-step floor of the forward layer on `qubits` of `backend` from counts.
///
/// Runs one readout calibration (`calibrate_tensored`, zeros and ones) and one job of
/// `6 * depths.len()` circuits.
pub fn estimate_step_floor(
    backend: &dyn Backend,
    qubits: &[usize],
    config: &StepFloorConfig,
) -> Result<StepFloorEstimate> {
    let width = check_qubits(qubits, backend.num_qubits())?;
    if config.shots == 0 {
        return Err(Error::ZeroShots { what: "the step-floor circuits" });
    }
    if config.calibration_shots == 0 {
        return Err(Error::ZeroShots { what: "the readout calibration" });
    }
    let mut distinct = config.depths.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return Err(Error::InvalidConfig {
            reason: format!(
                "a step floor needs two or more distinct depths, got {:?}",
                config.depths
            ),
        });
    }
    let k = qubits.len();
    let calibrated = calibrate_tensored(
        backend,
        qubits,
        config.calibration_shots,
        TensoredMethod::ZerosAndOnes,
        INJECTION_JOB.seed(config.seed, 0),
    )?;
    let singles =
        (0..k).map(|l| Ok(calibrated.model.for_qubits(&[l])?)).collect::<Result<Vec<_>>>()?;
    let mut experiments = Vec::with_capacity(6 * config.depths.len());
    for &d in &config.depths {
        let draw = PauliDraw::identity(d, k);
        for prep in Preparation::ALL {
            let c = forward_circuit(width, qubits, &vec![prep; k], &draw, &vec![prep.axis; k])?;
            experiments.push(Experiment::fixed(c, config.shots));
        }
    }
    let job = backend.run(&experiments, INJECTION_JOB.seed(config.seed, 1))?;
    // z[(depth, prep)][l] = (mitigated <P>, variance).
    let z = job
        .counts
        .iter()
        .map(|counts| (0..k).map(|l| mitigated_z(counts, l, &singles[l])).collect())
        .collect::<Result<Vec<Vec<(f64, f64)>>>>()?;
    let mut per_qubit = Vec::with_capacity(k);
    for (l, &qubit) in qubits.iter().enumerate() {
        let mut lambdas = [0.0; 3];
        let mut lambda_std_errors = [0.0; 3];
        let mut amplitudes = [0.0; 3];
        let mut decay: [Vec<DecayPoint>; 3] = Default::default();
        for (a, axis) in Axis::ALL.iter().enumerate() {
            let plus = Preparation::ALL.iter().position(|p| p.axis == *axis && p.positive);
            let minus = Preparation::ALL.iter().position(|p| p.axis == *axis && !p.positive);
            let (plus, minus) = (plus.expect("six preparations"), minus.expect("six"));
            decay[a] = config
                .depths
                .iter()
                .enumerate()
                .map(|(i, &depth)| {
                    let (zp, vp) = z[6 * i + plus][l];
                    let (zm, vm) = z[6 * i + minus][l];
                    DecayPoint { depth, mean: 0.5 * (zp - zm), std_error: 0.5 * (vp + vm).sqrt() }
                })
                .collect();
            let what = format!("the step floor of qubit {qubit} along {axis:?}");
            let (amplitude, lambda, se) = fit_decay(&decay[a], &what)?;
            lambdas[a] = lambda;
            lambda_std_errors[a] = se;
            amplitudes[a] = amplitude;
        }
        let p = 1.0 - lambdas.iter().sum::<f64>() / 3.0;
        let std_error = lambda_std_errors.iter().map(|s| s * s).sum::<f64>().sqrt() / 3.0;
        per_qubit.push(QubitStepFloor {
            qubit,
            p,
            std_error,
            lambdas,
            lambda_std_errors,
            amplitudes,
            decay,
        });
    }
    let mean = per_qubit.iter().map(|q| q.p).sum::<f64>() / k as f64;
    let mean_std_error =
        per_qubit.iter().map(|q| q.std_error * q.std_error).sum::<f64>().sqrt() / k as f64;
    Ok(StepFloorEstimate {
        per_qubit,
        mean,
        mean_std_error,
        readout: calibrated.model,
        device_seconds: calibrated.device_seconds + job.device_seconds,
    })
}

/// The mirror-circuit estimate of `qhw-mitigation` on the same kind of layer, for comparison:
/// one Haar-random single-qubit gate per qubit per layer and no entangling gates, on qubits
/// `0..num_qubits` (the mirror estimator's register). Its `p_hw` is the per-qubit depolarizing
/// of a layer of one gate, the quantity [`estimate_step_floor`] measures; the random gates
/// twirl the device's noise into depolarizing, as the random Paulis of the forward steps do.
pub fn mirror_step_floor(
    backend: &dyn Backend,
    num_qubits: usize,
    config: &NoiseFloorConfig,
    seed: u64,
) -> Result<NoiseFloorEstimate> {
    if num_qubits == 0 {
        return Err(Error::NoQubits);
    }
    if num_qubits > backend.num_qubits() {
        return Err(Error::UnknownQubit {
            qubit: num_qubits - 1,
            num_qubits: backend.num_qubits(),
        });
    }
    if config.shots == 0 {
        return Err(Error::ZeroShots { what: "the mirror circuits" });
    }
    Ok(qhw_mitigation::noise_floor::estimate_noise_floor(
        backend,
        num_qubits,
        &[],
        config,
        INJECTION_JOB.seed(seed, 3),
    )?)
}

/// The channel a device described by `calibration` applies to `qubit` after each single-qubit
/// gate: depolarizing of `gate_error_1q`, then amplitude damping and dephasing for the gate's
/// duration (as `qhw_mitigation::device` builds it).
pub fn step_channel(calibration: &DeviceCalibration, qubit: usize) -> Result<Channel> {
    calibration.validate()?;
    let cal = calibration
        .qubits
        .get(qubit)
        .ok_or(Error::UnknownQubit { qubit, num_qubits: calibration.qubits.len() })?;
    let (gamma, dephasing) = match &cal.relaxation {
        None => (0.0, 0.0),
        Some(Relaxation::T1T2 { t1_us, t2_us }) => {
            let t_us = calibration.gate_time_1q_ns * 1e-3;
            let rate_phi = (1.0 / t2_us - 0.5 / t1_us).max(0.0);
            (1.0 - (-t_us / t1_us).exp(), 1.0 - (-t_us * rate_phi).exp())
        }
        Some(Relaxation::PerGate { amplitude_damping_1q, dephasing_1q, .. }) => {
            (*amplitude_damping_1q, *dephasing_1q)
        }
    };
    let channel = standard::depolarizing(cal.gate_error_1q)?
        .compose(&standard::amplitude_damping(gamma)?)?
        .compose(&standard::dephasing(dephasing)?)?;
    Ok(channel)
}

/// The depolarizing strength of the Pauli twirl of a single-qubit channel:
/// `1 - (R_xx + R_yy + R_zz) / 3` from its Pauli transfer matrix `R`.
pub fn twirled_depolarizing(channel: &Channel) -> Result<f64> {
    if channel.num_qubits() != 1 {
        return Err(Error::DimensionMismatch {
            what: "qubits of a step channel",
            expected: 1,
            got: channel.num_qubits(),
        });
    }
    let r = channel.ptm();
    Ok(1.0 - (r[5] + r[10] + r[15]) / 3.0)
}

/// The true per-step floor of each of `qubits` on a device with this calibration (for comparison
/// with [`estimate_step_floor`]; the estimator never reads it).
pub fn true_step_floor(calibration: &DeviceCalibration, qubits: &[usize]) -> Result<Vec<f64>> {
    check_qubits(qubits, calibration.qubits.len())?;
    qubits.iter().map(|&q| twirled_depolarizing(&step_channel(calibration, q)?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use qhw_mitigation::device::QubitCalibration;

    fn one_qubit(gate_error_1q: f64, relaxation: Option<Relaxation>) -> DeviceCalibration {
        DeviceCalibration {
            qubits: vec![
                QubitCalibration {
                    readout_p1_given_0: 0.0,
                    readout_p0_given_1: 0.0,
                    gate_error_1q,
                    relaxation,
                };
                2
            ],
            couplers: vec![],
            ..DeviceCalibration::default()
        }
    }

    #[test]
    fn pure_depolarizing_gives_its_strength_back() {
        for p in [0.0, 1e-3, 0.05, 0.5] {
            let floors = true_step_floor(&one_qubit(p, None), &[1, 0]).unwrap();
            for f in floors {
                assert!((f - p).abs() < 1e-12, "{f} vs {p}");
            }
        }
    }

    #[test]
    fn relaxation_adds_its_twirled_strength() {
        // Amplitude damping gamma and dephasing lambda: R_xx = R_yy = sqrt(1 - gamma) (1 - lambda),
        // R_zz = 1 - gamma.
        let (g, l) = (0.02, 0.03);
        let cal = one_qubit(
            0.0,
            Some(Relaxation::PerGate {
                amplitude_damping_1q: g,
                dephasing_1q: l,
                amplitude_damping_2q: 0.0,
                dephasing_2q: 0.0,
            }),
        );
        let expected = 1.0 - (2.0 * (1.0 - g).sqrt() * (1.0 - l) + 1.0 - g) / 3.0;
        let got = true_step_floor(&cal, &[0]).unwrap()[0];
        assert!((got - expected).abs() < 1e-12);
        // The default device: about 8.6e-4 per step (5e-4 depolarizing plus relaxation).
        let default = true_step_floor(&DeviceCalibration::default(), &[0, 1, 2, 3, 4]).unwrap();
        for f in default {
            assert!((8.0e-4..9.5e-4).contains(&f), "{f}");
        }
        assert!(matches!(true_step_floor(&cal, &[2]), Err(Error::UnknownQubit { qubit: 2, .. })));
        assert!(matches!(true_step_floor(&cal, &[]), Err(Error::NoQubits)));
    }

    #[test]
    fn the_weighted_fit_recovers_an_exact_decay() {
        let points: Vec<DecayPoint> = [0, 10, 40, 100]
            .iter()
            .map(|&d| DecayPoint {
                depth: d,
                mean: 0.97 * 0.995f64.powi(d as i32),
                std_error: 0.01,
            })
            .collect();
        let (a, lambda, se) = fit_decay(&points, "test").unwrap();
        assert!((a - 0.97).abs() < 1e-12 && (lambda - 0.995).abs() < 1e-12 && se > 0.0);
        assert!(matches!(fit_decay(&points[..1], "x"), Err(Error::EstimateFailed { .. })));
    }
}
