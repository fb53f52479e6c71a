//! The noise the forward process actually applies on a device, with and without compensation.
//!
//! For each measured `t` (always including the reference `t = 0`) and each arm (the compensated
//! schedule `beta'_{t,q}` of [`super::compensate`], or the designed `beta_t` injected as it is),
//! `instances` Pauli draws are made; each draw runs as six circuits, every qubit of the list
//! prepared in the same one of the six Pauli eigenstates and measured along its axis. From the
//! readout-mitigated counts, one instance gives per qubit `v = mean over axes of (<P>_+ - <P>_-)
//! / 2`, normalised by the qubit's mean `v` at `t = 0` (which removes preparation, basis change
//! and residual readout error). The mean of `v` over instances and qubits is the Bloch shrink
//! `alphabar_eff(t)`.
//!
//! Most of the spread of `v` between instances is the draw itself (a drawn `Y` flips the `X`
//! component); the draw is known, so its noiseless sign `w` (mean over axes of the sign the drawn
//! Paulis give each component) is a control variate with a known mean, `E[w] = prod_s (1 -
//! beta_s)`. The reported estimate is `mean(v) - c (mean(w) - E[w])` with `c` the least-squares
//! slope of `v` on `w`: still an estimate of the mean over draws, with only shot noise left in
//! its error. The plain mean is reported beside it.
//!
//! The per-step noise between two measured steps `t' < t` is `beta_eff = 1 - (alphabar_eff(t) /
//! alphabar_eff(t'))^{1 / (t - t')}` (with consecutive steps, `1 - alphabar_eff(t) /
//! alphabar_eff(t - 1)`).

use qchannels::schedule::Schedule;
use qhw_mitigation::backend::Backend;
use qhw_mitigation::calibration::{TensoredMethod, calibrate_tensored};
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::readout::TensoredReadout;
use qrandom::streams::{INJECTION_DRAW, INJECTION_JOB};
use serde::{Deserialize, Serialize};

use super::compensation::{Compensation, compensate};
use super::{Axis, PauliDraw, Preparation, check_qubits, forward_circuit, mitigated_z};
use crate::error::{Error, Result};

/// Settings of [`measure_forward_noise`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ForwardNoiseConfig {
    /// The steps `t` to measure (`0` is always added as the reference); empty: every step
    /// `0..=T`.
    pub t_values: Vec<usize>,
    /// Pauli draws per step and arm (each draw is six circuits).
    pub instances: usize,
    /// Shots per circuit.
    pub shots: u64,
    /// Shots per readout-calibration circuit.
    pub calibration_shots: u64,
    /// Seed of the draws and the jobs.
    pub seed: u64,
}

impl Default for ForwardNoiseConfig {
    fn default() -> Self {
        Self { t_values: Vec::new(), instances: 20, shots: 200, calibration_shots: 20_000, seed: 0 }
    }
}

/// One arm's measurement at one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArmPoint {
    /// `alphabar_eff(t)`, the control-variate estimate (1 at `t = 0` by construction).
    pub alpha_bar: f64,
    /// Its standard error (shot noise, draws, and the `t = 0` normalisation).
    pub std_error: f64,
    /// The plain mean over draws and qubits.
    pub alpha_bar_plain: f64,
    /// Its standard error.
    pub plain_std_error: f64,
    /// What the draws inject on their own, mean over qubits of `prod_s (1 - strength_s)`.
    pub injected_alpha_bar: f64,
    /// `beta_eff` per step since the previous measured step (None at `t = 0` or when a shrink is
    /// not positive).
    pub beta: Option<f64>,
    /// Its standard error.
    pub beta_std_error: Option<f64>,
}

/// The designed and measured noise at one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForwardNoiseRow {
    /// The step `t`.
    pub t: usize,
    /// The designed `beta_t` (None at `t = 0`).
    pub beta: Option<f64>,
    /// The designed per-step strength since the previous measured step (the geometric mean;
    /// `beta_t` itself when the steps are consecutive).
    pub beta_interval: Option<f64>,
    /// The designed `alphabar_t`.
    pub alpha_bar: f64,
    /// Injecting the compensated schedule.
    pub compensated: ArmPoint,
    /// Injecting the designed schedule as it is.
    pub uncompensated: ArmPoint,
}

/// What [`measure_forward_noise`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ForwardNoiseReport {
    /// One row per measured step, `t = 0` first.
    pub rows: Vec<ForwardNoiseRow>,
    /// The compensation the compensated arm injected (with its unreachable steps).
    pub compensation: Compensation,
    /// The readout model calibrated on the backend (bit `l` = `qubits[l]`).
    pub readout: TensoredReadout,
    /// Device seconds of the calibration and the forward job.
    pub device_seconds: f64,
}

impl ForwardNoiseReport {
    /// The row of step `t`, if it was measured.
    pub fn row(&self, t: usize) -> Option<&ForwardNoiseRow> {
        self.rows.iter().find(|r| r.t == t)
    }
}

/// Mean and standard error; with one value, the standard error is `fallback_se`.
fn mean_se(values: &[f64], fallback_se: f64) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, fallback_se);
    }
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// The raw per-instance shrinks of one (step, arm): `v[i][l]`, their shot variances, and the
/// noiseless signs `w[i][l]`.
struct Cell {
    v: Vec<Vec<f64>>,
    shot_var: Vec<Vec<f64>>,
    w: Vec<Vec<f64>>,
    /// `E[w_l]` per qubit.
    expected_w: Vec<f64>,
}

/// Control-variate estimate over units `(instance, qubit)`, after dividing qubit `l` by
/// `reference[l]`; returns `(cv, se_cv, plain, se_plain)`.
fn estimate(cell: &Cell, reference: &[f64]) -> (f64, f64, f64, f64) {
    let mut v = Vec::new();
    let mut w = Vec::new();
    let mut ew = Vec::new();
    let mut shot_var = 0.0;
    for (i, row) in cell.v.iter().enumerate() {
        for (l, &x) in row.iter().enumerate() {
            v.push(x / reference[l]);
            w.push(cell.w[i][l]);
            ew.push(cell.expected_w[l]);
            shot_var += cell.shot_var[i][l] / (reference[l] * reference[l]);
        }
    }
    let n = v.len() as f64;
    let fallback = (shot_var / (n * n)).sqrt();
    let (mean_v, se_plain) = mean_se(&v, fallback);
    let mean_w = w.iter().sum::<f64>() / n;
    let var_w: f64 = w.iter().map(|x| (x - mean_w) * (x - mean_w)).sum();
    let cov: f64 = w.iter().zip(&v).map(|(a, b)| (a - mean_w) * (b - mean_v)).sum();
    let c = if var_w > 1e-12 * n {
        cov / var_w
    } else if mean_w != 0.0 {
        mean_v / mean_w
    } else {
        0.0
    };
    let residuals: Vec<f64> =
        v.iter().zip(&w).zip(&ew).map(|((x, wi), e)| x - c * (wi - e)).collect();
    let (cv, se_cv) = mean_se(&residuals, fallback);
    (cv, se_cv, mean_v, se_plain)
}

/// Runs the forward process on `qubits` of `backend` with and without compensating `floors`
/// (per qubit, e.g. [`super::StepFloorEstimate::floors`]) and measures the noise it applies.
///
/// One readout calibration and one job of `6 * instances * 2 * t_values.len()` circuits.
pub fn measure_forward_noise(
    backend: &dyn Backend,
    qubits: &[usize],
    schedule: &Schedule,
    floors: &[f64],
    config: &ForwardNoiseConfig,
) -> Result<ForwardNoiseReport> {
    let width = check_qubits(qubits, backend.num_qubits())?;
    if config.shots == 0 {
        return Err(Error::ZeroShots { what: "the forward-process circuits" });
    }
    if config.calibration_shots == 0 {
        return Err(Error::ZeroShots { what: "the readout calibration" });
    }
    if config.instances == 0 {
        return Err(Error::InvalidConfig {
            reason: "the forward process needs at least one Pauli draw per step".into(),
        });
    }
    let big_t = schedule.steps();
    let mut ts: Vec<usize> =
        if config.t_values.is_empty() { (0..=big_t).collect() } else { config.t_values.clone() };
    ts.push(0);
    ts.sort_unstable();
    ts.dedup();
    if let Some(&t) = ts.iter().find(|&&t| t > big_t) {
        return Err(Error::InvalidConfig {
            reason: format!("step {t} is beyond the schedule's {big_t} steps"),
        });
    }
    let k = qubits.len();
    let compensation = compensate(schedule, qubits, floors)?;
    let calibrated = calibrate_tensored(
        backend,
        qubits,
        config.calibration_shots,
        TensoredMethod::ZerosAndOnes,
        INJECTION_JOB.seed(config.seed, 0),
    )?;
    let singles =
        (0..k).map(|l| Ok(calibrated.model.for_qubits(&[l])?)).collect::<Result<Vec<_>>>()?;

    // Arm 0 compensated, arm 1 uncompensated; experiments ordered (t, arm, instance, preparation).
    let strengths = |arm: usize, t: usize| -> Vec<Vec<f64>> {
        if arm == 0 {
            compensation.strengths_up_to(t)
        } else {
            (1..=t).map(|s| vec![schedule.beta(s); k]).collect()
        }
    };
    let mut experiments = Vec::with_capacity(ts.len() * 2 * config.instances * 6);
    let mut draws = Vec::with_capacity(ts.len() * 2 * config.instances);
    for (ti, &t) in ts.iter().enumerate() {
        for arm in 0..2 {
            let arm_strengths = strengths(arm, t);
            for i in 0..config.instances {
                // Both arms of an instance draw from the same uniforms.
                let member = (ti * config.instances + i) as u64;
                let mut rng = INJECTION_DRAW.rng(config.seed, member);
                let draw = PauliDraw::sample(&arm_strengths, &mut rng)?;
                for prep in Preparation::ALL {
                    let c =
                        forward_circuit(width, qubits, &vec![prep; k], &draw, &vec![prep.axis; k])?;
                    experiments.push(Experiment::fixed(c, config.shots));
                }
                draws.push(draw);
            }
        }
    }
    let job = backend.run(&experiments, INJECTION_JOB.seed(config.seed, 2))?;
    let z = job
        .counts
        .iter()
        .map(|counts| (0..k).map(|l| mitigated_z(counts, l, &singles[l])).collect())
        .collect::<Result<Vec<Vec<(f64, f64)>>>>()?;

    let cell = |ti: usize, arm: usize| -> Cell {
        let t = ts[ti];
        let base = (ti * 2 + arm) * config.instances;
        let arm_strengths = strengths(arm, t);
        let expected_w =
            (0..k).map(|l| arm_strengths.iter().map(|row| 1.0 - row[l]).product()).collect();
        let (mut v, mut shot_var, mut w) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..config.instances {
            let draw = &draws[base + i];
            let zs = &z[6 * (base + i)..6 * (base + i + 1)];
            let (mut vi, mut si, mut wi) = (Vec::new(), Vec::new(), Vec::new());
            for l in 0..k {
                let (sum, var) = Preparation::ALL.iter().zip(zs).fold(
                    (0.0, 0.0),
                    |(sum, var), (prep, per_qubit)| {
                        let (value, variance) = per_qubit[l];
                        (sum + prep.sign() * value / 6.0, var + variance / 36.0)
                    },
                );
                vi.push(sum);
                si.push(var);
                wi.push(Axis::ALL.iter().map(|&a| draw.sign(l, a)).sum::<f64>() / 3.0);
            }
            v.push(vi);
            shot_var.push(si);
            w.push(wi);
        }
        Cell { v, shot_var, w, expected_w }
    };

    let mut rows: Vec<ForwardNoiseRow> = Vec::with_capacity(ts.len());
    let mut points: [Vec<(f64, f64)>; 2] = Default::default();
    let mut arms: [Vec<ArmPoint>; 2] = Default::default();
    for arm in 0..2 {
        let reference_cell = cell(0, arm);
        let mut reference = Vec::with_capacity(k);
        let mut rel2 = 0.0;
        for l in 0..k {
            let values: Vec<f64> = reference_cell.v.iter().map(|row| row[l]).collect();
            let shot = reference_cell.shot_var.iter().map(|row| row[l]).sum::<f64>().sqrt()
                / config.instances as f64;
            let (a, se) = mean_se(&values, shot);
            if a.is_nan() || a <= 0.0 {
                return Err(Error::EstimateFailed {
                    what: "the forward process' reference shrink at t = 0".into(),
                    reason: format!("qubit {} read {a}: nothing survives preparation", qubits[l]),
                });
            }
            reference.push(a);
            rel2 += (se / a).powi(2);
        }
        let rel_reference = rel2.sqrt() / k as f64;
        for (ti, &t) in ts.iter().enumerate() {
            let c = cell(ti, arm);
            let (cv, se_cv, plain, se_plain) = estimate(&c, &reference);
            let injected = c.expected_w.iter().sum::<f64>() / k as f64;
            let (beta, beta_se) = match (ti, points[arm].last()) {
                (0, _) | (_, None) => (None, None),
                (_, Some(&(prev, se_prev))) if prev > 0.0 && cv > 0.0 => {
                    let dt = (t - ts[ti - 1]) as f64;
                    let r = (cv / prev).powf(1.0 / dt);
                    let rel = ((se_cv / cv).powi(2) + (se_prev / prev).powi(2)).sqrt();
                    (Some(1.0 - r), Some(r * rel / dt))
                }
                _ => (None, None),
            };
            points[arm].push((cv, se_cv));
            arms[arm].push(ArmPoint {
                alpha_bar: cv,
                std_error: (se_cv * se_cv + (cv * rel_reference).powi(2)).sqrt(),
                alpha_bar_plain: plain,
                plain_std_error: (se_plain * se_plain + (plain * rel_reference).powi(2)).sqrt(),
                injected_alpha_bar: injected,
                beta,
                beta_std_error: beta_se,
            });
        }
    }
    for (ti, &t) in ts.iter().enumerate() {
        let beta_interval = (ti > 0).then(|| {
            let prev = schedule.alphabar(ts[ti - 1]);
            if prev > 0.0 {
                1.0 - (schedule.alphabar(t) / prev).powf(1.0 / (t - ts[ti - 1]) as f64)
            } else {
                0.0
            }
        });
        rows.push(ForwardNoiseRow {
            t,
            beta: (t > 0).then(|| schedule.beta(t)),
            beta_interval,
            alpha_bar: schedule.alphabar(t),
            compensated: arms[0][ti],
            uncompensated: arms[1][ti],
        });
    }
    Ok(ForwardNoiseReport {
        rows,
        compensation,
        readout: calibrated.model,
        device_seconds: calibrated.device_seconds + job.device_seconds,
    })
}
