//! A simulated noisy device configured from a JSON calibration: per-qubit readout errors,
//! depolarizing gate errors, T1/T2 (or per-gate) relaxation, a coupling map, and job timing.
//!
//! Noise model, applied after every gate on the gate's qubits:
//! - one-qubit gate on `q`: depolarizing of strength `gate_error_1q` (`rho -> (1 - p) rho +
//!   p I/2`; the depolarizing parameter, not the average infidelity, which is `p/2`), then
//!   relaxation for `gate_time_1q_ns`;
//! - two-qubit gate on a coupled pair: two-qubit depolarizing of the coupler's
//!   `gate_error_2q`, then relaxation for `gate_time_2q_ns` on each of the two qubits;
//! - relaxation: amplitude damping `gamma = 1 - exp(-t/T1)` then pure dephasing
//!   `lambda = 1 - exp(-t/T_phi)`, `1/T_phi = 1/T2 - 1/(2 T1)`, so coherences decay as
//!   `exp(-t/T2)` (or fixed per-gate strengths);
//! - readout: each measured bit flips with `P(1|0)` or `P(0|1)` of its qubit.
//!
//! Idle qubits get no noise, and there is no crosstalk: noise is local to the gate. A two-qubit
//! gate on a pair that is not in the coupling map is an error ([`Error::NotCoupled`]): the
//! device does not route; the caller maps circuits onto the coupling map.
//!
//! Simulation is exact: groups of up to `simulation.density_matrix_max_qubits` connected qubits
//! run on a density matrix, wider ones (or circuits with mid-circuit measurement) one quantum
//! trajectory per shot ([`crate::execution`]).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use qchannels::channel::Channel;
use qchannels::standard;
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, ExactBackend, JobResult, JobTiming, check_timing, run_job};
use crate::error::{Error, Result, check_probability};
use crate::execution::{NoiseSpec, OutcomeDistribution};
use crate::experiment::Experiment;
use crate::readout::TensoredReadout;

/// How a qubit relaxes during gates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum Relaxation {
    /// Relaxation and coherence times; per-gate strengths follow from the gate durations.
    T1T2 {
        /// Energy relaxation time T1 in microseconds.
        t1_us: f64,
        /// Coherence time T2 in microseconds (at most `2 T1`).
        t2_us: f64,
    },
    /// Fixed strengths per gate, whatever its duration.
    PerGate {
        /// Amplitude damping `gamma` after each one-qubit gate.
        amplitude_damping_1q: f64,
        /// Dephasing strength after each one-qubit gate (coherences scale by `1 - lambda`).
        dephasing_1q: f64,
        /// Amplitude damping on each qubit of a two-qubit gate.
        amplitude_damping_2q: f64,
        /// Dephasing on each qubit of a two-qubit gate.
        dephasing_2q: f64,
    },
}

/// Calibration of one qubit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QubitCalibration {
    /// Probability of reading 1 when the qubit is in |0>.
    pub readout_p1_given_0: f64,
    /// Probability of reading 0 when the qubit is in |1>.
    pub readout_p0_given_1: f64,
    /// Depolarizing strength after each one-qubit gate on this qubit.
    pub gate_error_1q: f64,
    /// Relaxation during gates (none if absent).
    #[serde(default)]
    pub relaxation: Option<Relaxation>,
}

/// A coupled pair and its two-qubit gate error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouplerCalibration {
    /// The two qubits (either order; gates run in both directions).
    pub qubits: [usize; 2],
    /// Two-qubit depolarizing strength after each two-qubit gate on this pair.
    pub gate_error_2q: f64,
}

/// How the device is simulated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulationConfig {
    /// Widest group of connected qubits simulated exactly on a density matrix (at most 15);
    /// wider groups run one trajectory per shot.
    pub density_matrix_max_qubits: usize,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self { density_matrix_max_qubits: 10 }
    }
}

/// Everything a device file holds (serde JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCalibration {
    /// Device name.
    pub name: String,
    /// Free text: where the numbers come from.
    #[serde(default)]
    pub description: String,
    /// One entry per qubit, qubit 0 first.
    pub qubits: Vec<QubitCalibration>,
    /// The coupling map: the pairs two-qubit gates may act on.
    #[serde(default)]
    pub couplers: Vec<CouplerCalibration>,
    /// Duration of a one-qubit gate, nanoseconds.
    pub gate_time_1q_ns: f64,
    /// Duration of a two-qubit gate, nanoseconds.
    pub gate_time_2q_ns: f64,
    /// Device time per job regardless of its size, seconds.
    pub job_latency_s: f64,
    /// Repetition time of one shot, microseconds.
    pub shot_time_us: f64,
    /// Simulation settings.
    #[serde(default)]
    pub simulation: SimulationConfig,
}

impl Default for DeviceCalibration {
    /// A five-qubit line with error rates typical of current superconducting devices.
    fn default() -> Self {
        let qubit = QubitCalibration {
            readout_p1_given_0: 0.015,
            readout_p0_given_1: 0.03,
            gate_error_1q: 5e-4,
            relaxation: Some(Relaxation::T1T2 { t1_us: 120.0, t2_us: 90.0 }),
        };
        Self {
            name: "default-line-5".into(),
            description: "five qubits on a line, typical superconducting error rates".into(),
            qubits: vec![qubit; 5],
            couplers: (0..4)
                .map(|q| CouplerCalibration { qubits: [q, q + 1], gate_error_2q: 1e-2 })
                .collect(),
            gate_time_1q_ns: 35.0,
            gate_time_2q_ns: 300.0,
            job_latency_s: 2.0,
            shot_time_us: 250.0,
            simulation: SimulationConfig::default(),
        }
    }
}

fn check_time(what: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(Error::InvalidCalibration { reason: format!("{what} = {v} must be finite and >= 0") })
    }
}

/// Relaxation strengths `(gamma, lambda)` for a gate of `duration_ns`.
fn relaxation_strengths(
    r: &Relaxation,
    q: usize,
    duration_ns: f64,
    two_qubit: bool,
) -> Result<(f64, f64)> {
    match *r {
        Relaxation::T1T2 { t1_us, t2_us } => {
            if !(t1_us.is_finite() && t1_us > 0.0 && t2_us.is_finite() && t2_us > 0.0) {
                return Err(Error::InvalidCalibration {
                    reason: format!(
                        "qubit {q}: T1 = {t1_us} us and T2 = {t2_us} us must be positive"
                    ),
                });
            }
            if t2_us > 2.0 * t1_us * (1.0 + 1e-12) {
                return Err(Error::InvalidCalibration {
                    reason: format!("qubit {q}: T2 = {t2_us} us exceeds 2 T1 = {} us", 2.0 * t1_us),
                });
            }
            let t = duration_ns * 1e-3;
            let gamma = 1.0 - (-t / t1_us).exp();
            let rate_phi = (1.0 / t2_us - 0.5 / t1_us).max(0.0);
            Ok((gamma, 1.0 - (-t * rate_phi).exp()))
        }
        Relaxation::PerGate {
            amplitude_damping_1q,
            dephasing_1q,
            amplitude_damping_2q,
            dephasing_2q,
        } => {
            let (g, l) = if two_qubit {
                (amplitude_damping_2q, dephasing_2q)
            } else {
                (amplitude_damping_1q, dephasing_1q)
            };
            Ok((
                check_probability(format!("amplitude damping of qubit {q}"), g)?,
                check_probability(format!("dephasing of qubit {q}"), l)?,
            ))
        }
    }
}

fn relaxation_channel(gamma: f64, lambda: f64) -> Result<Option<Channel>> {
    if gamma == 0.0 && lambda == 0.0 {
        return Ok(None);
    }
    Ok(Some(standard::amplitude_damping(gamma)?.compose(&standard::dephasing(lambda)?)?))
}

impl DeviceCalibration {
    /// Reads a calibration from JSON text (and validates it).
    pub fn from_json(text: &str) -> Result<Self> {
        let cal: Self = serde_json::from_str(text)
            .map_err(|e| Error::File { path: "<json>".into(), reason: e.to_string() })?;
        cal.validate()?;
        Ok(cal)
    }

    /// Reads a calibration file (and validates it).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let p = path.as_ref();
        let text = std::fs::read_to_string(p)
            .map_err(|e| Error::File { path: p.display().to_string(), reason: e.to_string() })?;
        Self::from_json(&text).map_err(|e| match e {
            Error::File { reason, .. } => Error::File { path: p.display().to_string(), reason },
            other => other,
        })
    }

    /// The calibration as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map_err(|e| Error::InvalidCalibration { reason: e.to_string() })
    }

    /// Checks every number and every qubit index.
    pub fn validate(&self) -> Result<()> {
        self.noise_spec().map(|_| ())
    }

    /// The readout confusion the device applies (the truth a calibration should recover).
    pub fn readout_model(&self) -> Result<TensoredReadout> {
        let flips: Vec<(f64, f64)> =
            self.qubits.iter().map(|q| (q.readout_p1_given_0, q.readout_p0_given_1)).collect();
        TensoredReadout::from_flips(&flips)
    }

    /// The job timing model.
    pub fn timing(&self) -> JobTiming {
        JobTiming {
            latency_seconds: self.job_latency_s,
            seconds_per_shot: self.shot_time_us * 1e-6,
        }
    }

    fn noise_spec(&self) -> Result<NoiseSpec> {
        let n = self.qubits.len();
        if n == 0 {
            return Err(Error::InvalidCalibration {
                reason: "a device needs at least one qubit".into(),
            });
        }
        let t1q = check_time("gate_time_1q_ns", self.gate_time_1q_ns)?;
        let t2q = check_time("gate_time_2q_ns", self.gate_time_2q_ns)?;
        check_time("job_latency_s", self.job_latency_s)?;
        check_time("shot_time_us", self.shot_time_us)?;
        check_timing(&self.timing())?;
        let dm = self.simulation.density_matrix_max_qubits;
        if dm > qsim_core::density::MAX_QUBITS {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "density_matrix_max_qubits = {dm} exceeds the simulator's {}",
                    qsim_core::density::MAX_QUBITS
                ),
            });
        }
        // Validates the readout numbers (probabilities, invertible confusion).
        let readout = self.readout_model()?;
        let mut after_1q = Vec::with_capacity(n);
        let mut relax_2q = Vec::with_capacity(n);
        for (q, cal) in self.qubits.iter().enumerate() {
            let p = check_probability(format!("gate_error_1q of qubit {q}"), cal.gate_error_1q)?;
            let (g1, l1, g2, l2) = match &cal.relaxation {
                Some(r) => {
                    let (g1, l1) = relaxation_strengths(r, q, t1q, false)?;
                    let (g2, l2) = relaxation_strengths(r, q, t2q, true)?;
                    (g1, l1, g2, l2)
                }
                None => (0.0, 0.0, 0.0, 0.0),
            };
            let relax1 = relaxation_channel(g1, l1)?;
            let one = match (p > 0.0, relax1) {
                (false, r) => r,
                (true, None) => Some(standard::depolarizing(p)?),
                (true, Some(r)) => Some(standard::depolarizing(p)?.compose(&r)?),
            };
            after_1q.push(one);
            relax_2q.push(relaxation_channel(g2, l2)?);
        }
        let mut after_2q = HashMap::new();
        let mut seen = HashSet::new();
        for c in &self.couplers {
            let [a, b] = c.qubits;
            for q in [a, b] {
                if q >= n {
                    return Err(Error::UnknownQubit { qubit: q, num_qubits: n });
                }
            }
            if a == b {
                return Err(Error::InvalidCalibration {
                    reason: format!("coupler ({a}, {b}) couples a qubit to itself"),
                });
            }
            let key = (a.min(b), a.max(b));
            if !seen.insert(key) {
                return Err(Error::InvalidCalibration {
                    reason: format!("coupler ({a}, {b}) is listed twice"),
                });
            }
            let p =
                check_probability(format!("gate_error_2q of coupler ({a}, {b})"), c.gate_error_2q)?;
            after_2q.insert(
                key,
                if p > 0.0 { Some(standard::depolarizing_global(2, p)?) } else { None },
            );
        }
        Ok(NoiseSpec {
            name: self.name.clone(),
            num_qubits: n,
            after_1q,
            after_2q,
            relax_2q,
            restrict_coupling: true,
            allow_wide_gates: false,
            readout: readout.confusions().to_vec(),
            density_matrix_max_qubits: dm,
        })
    }
}

/// A simulated noisy device built from a [`DeviceCalibration`].
///
/// ```
/// use qhw_mitigation::backend::{Backend};
/// use qhw_mitigation::experiment::{Experiment};
/// use qhw_mitigation::device::{DeviceCalibration, NoisyDevice};
/// use qsim_core::circuit::Circuit;
/// let device = NoisyDevice::new(DeviceCalibration::default())?;
/// let mut c = Circuit::new(2);
/// c.x(0)?.cx(0, 1)?;
/// let job = device.run(&[Experiment::fixed(c, 2000)], 1)?;
/// assert!(job.counts[0].get(0b11) > 1800); // mostly right, not always
/// assert!((job.device_seconds - (2.0 + 2000.0 * 250e-6)).abs() < 1e-9);
/// # Ok::<(), qhw_mitigation::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct NoisyDevice {
    calibration: DeviceCalibration,
    spec: NoiseSpec,
}

impl NoisyDevice {
    /// Validates the calibration and builds the device.
    pub fn new(calibration: DeviceCalibration) -> Result<Self> {
        let spec = calibration.noise_spec()?;
        Ok(Self { calibration, spec })
    }

    /// A device from a calibration file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::new(DeviceCalibration::from_file(path)?)
    }

    /// The calibration it was built from.
    pub fn calibration(&self) -> &DeviceCalibration {
        &self.calibration
    }

    /// The coupled pairs, as in the calibration.
    pub fn coupling_map(&self) -> Vec<[usize; 2]> {
        self.calibration.couplers.iter().map(|c| c.qubits).collect()
    }
}

impl Backend for NoisyDevice {
    fn name(&self) -> &str {
        &self.calibration.name
    }

    fn num_qubits(&self) -> usize {
        self.spec.num_qubits
    }

    fn timing(&self) -> JobTiming {
        self.calibration.timing()
    }

    fn run(&self, experiments: &[Experiment], seed: u64) -> Result<JobResult> {
        run_job(&self.spec, self.timing(), experiments, seed)
    }
}

impl ExactBackend for NoisyDevice {
    fn outcome_distribution(&self, experiment: &Experiment) -> Result<OutcomeDistribution> {
        crate::execution::distribution(&self.spec, experiment)
    }
}
