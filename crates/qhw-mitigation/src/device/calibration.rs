//! The device file: [`DeviceCalibration`] and its parts, their validation, and the noise
//! channels they define ([`NoiseSpec`]).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use qchannels::channel::Channel;
use qchannels::standard;
use serde::{Deserialize, Serialize};

use crate::backend::{JobTiming, check_timing};
use crate::error::{Error, Result, check_probability};
use crate::execution::NoiseSpec;
use crate::readout::TensoredReadout;
use crate::text_file::read_text;

/// The longest calibration file [`DeviceCalibration::from_file`] reads: 64 MiB, about two
/// thousand times the 127-qubit IBM device file.
pub const MAX_DEVICE_FILE_BYTES: u64 = 64 << 20;

/// The most qubits a calibration may describe: 10 000, far beyond current devices; each qubit
/// gets its own noise channels when the device is built.
pub const MAX_DEVICE_QUBITS: usize = 10_000;

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

/// The duration of one gate on given qubits, overriding the device-wide default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateTimeOverride {
    /// One qubit (its one-qubit gates) or a coupled pair (its two-qubit gate, either order).
    pub qubits: Vec<usize>,
    /// Gate duration, nanoseconds.
    pub time_ns: f64,
}

/// Everything a device file holds (serde JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCalibration {
    /// Device name.
    pub name: String,
    /// Free text: what the device is, conventions of its numbers.
    #[serde(default)]
    pub description: String,
    /// Free text: where the numbers come from (snapshot, tool versions, date).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// One entry per qubit, qubit 0 first.
    pub qubits: Vec<QubitCalibration>,
    /// The coupling map: the pairs two-qubit gates may act on.
    #[serde(default)]
    pub couplers: Vec<CouplerCalibration>,
    /// Duration of a one-qubit gate, nanoseconds (unless overridden for the qubit).
    pub gate_time_1q_ns: f64,
    /// Duration of a two-qubit gate, nanoseconds (unless overridden for the coupler).
    pub gate_time_2q_ns: f64,
    /// Per-qubit one-qubit and per-coupler two-qubit gate durations that replace the defaults
    /// above (at most one entry per qubit and per coupler).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gate_time_overrides: Vec<GateTimeOverride>,
    /// Whether diagonal one-qubit gates (`rz`, `p`, `u1`, `z`, `s`, `sdg`, `t`, `tdg`) are
    /// virtual: frame changes without noise or duration, as on IBM hardware.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub virtual_z: bool,
    /// Qubits that must not be used: any circuit touching or reading one is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faulty_qubits: Vec<usize>,
    /// Device time per job regardless of its size, seconds.
    pub job_latency_s: f64,
    /// Time per shot on top of its circuit, microseconds: the repetition delay and any fixed
    /// overhead of a shot. A job's device time adds the circuit's duration per shot
    /// ([`crate::device::schedule`]).
    pub shot_time_us: f64,
    /// Duration of a `measure` in a circuit's schedule, nanoseconds. Absent: 0, the readout
    /// being counted in `shot_time_us` (as in the files written before this field, e.g. the
    /// IBM files, whose shot time is the repetition delay plus one readout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readout_time_ns: Option<f64>,
    /// Duration of a `reset` in a circuit's schedule, nanoseconds. Absent: `readout_time_ns`
    /// (or 0 when that is absent too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_time_ns: Option<f64>,
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
            source: String::new(),
            qubits: vec![qubit; 5],
            couplers: (0..4)
                .map(|q| CouplerCalibration { qubits: [q, q + 1], gate_error_2q: 1e-2 })
                .collect(),
            gate_time_1q_ns: 35.0,
            gate_time_2q_ns: 300.0,
            gate_time_overrides: Vec::new(),
            virtual_z: false,
            faulty_qubits: Vec::new(),
            job_latency_s: 2.0,
            shot_time_us: 250.0,
            readout_time_ns: None,
            reset_time_ns: None,
            simulation: SimulationConfig::default(),
        }
    }
}

/// The one-qubit gate time of every qubit, and two-qubit gate times keyed by the sorted pair
/// (those of the couplers that override the default, or of every coupler).
type GateTimes = (Vec<f64>, HashMap<(usize, usize), f64>);

fn check_time(what: impl std::fmt::Display, v: f64) -> Result<f64> {
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
    /// Reads a calibration from JSON text (and validates it, including the limit of
    /// [`MAX_DEVICE_QUBITS`]).
    pub fn from_json(text: &str) -> Result<Self> {
        let cal: Self = serde_json::from_str(text)
            .map_err(|e| Error::File { path: "<json>".into(), reason: e.to_string() })?;
        cal.validate()?;
        Ok(cal)
    }

    /// Reads a calibration file of at most [`MAX_DEVICE_FILE_BYTES`] (and validates it).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let p = path.as_ref();
        let text = read_text(p, MAX_DEVICE_FILE_BYTES)?;
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

    /// Duration of a `measure`, nanoseconds: `readout_time_ns`, or 0 when absent.
    pub fn readout_time_ns(&self) -> f64 {
        self.readout_time_ns.unwrap_or(0.0)
    }

    /// Duration of a `reset`, nanoseconds: `reset_time_ns`, or [`Self::readout_time_ns`] when
    /// absent.
    pub fn reset_time_ns(&self) -> f64 {
        self.reset_time_ns.unwrap_or_else(|| self.readout_time_ns())
    }

    /// The one-qubit gate time of every qubit and the two-qubit gate time of every coupler
    /// (keyed by the sorted pair), overrides applied, after checking them.
    pub(super) fn all_gate_times(&self) -> Result<GateTimes> {
        let t1q = check_time("gate_time_1q_ns", self.gate_time_1q_ns)?;
        let t2q = check_time("gate_time_2q_ns", self.gate_time_2q_ns)?;
        let couplers = self.coupler_keys()?;
        let (time_1q, overridden) = self.gate_times(t1q, &couplers)?;
        let time_2q =
            couplers.iter().map(|k| (*k, overridden.get(k).copied().unwrap_or(t2q))).collect();
        Ok((time_1q, time_2q))
    }

    /// The noise channels the calibration defines, after checking every number and index.
    pub(crate) fn noise_spec(&self) -> Result<NoiseSpec> {
        let n = self.qubits.len();
        if n == 0 {
            return Err(Error::InvalidCalibration {
                reason: "a device needs at least one qubit".into(),
            });
        }
        if n > MAX_DEVICE_QUBITS {
            return Err(Error::TooManyQubits {
                what: "a device calibration",
                max: MAX_DEVICE_QUBITS,
                got: n,
            });
        }
        let t1q = check_time("gate_time_1q_ns", self.gate_time_1q_ns)?;
        let t2q = check_time("gate_time_2q_ns", self.gate_time_2q_ns)?;
        check_time("job_latency_s", self.job_latency_s)?;
        check_time("shot_time_us", self.shot_time_us)?;
        check_time("readout_time_ns", self.readout_time_ns())?;
        check_time("reset_time_ns", self.reset_time_ns())?;
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
        let couplers = self.coupler_keys()?;
        let (time_1q, time_2q) = self.gate_times(t1q, &couplers)?;
        let mut faulty = vec![false; n];
        for &q in &self.faulty_qubits {
            if q >= n {
                return Err(Error::UnknownQubit { qubit: q, num_qubits: n });
            }
            if std::mem::replace(&mut faulty[q], true) {
                return Err(Error::InvalidCalibration {
                    reason: format!("faulty qubit {q} is listed twice"),
                });
            }
        }
        let mut after_1q = Vec::with_capacity(n);
        for (q, cal) in self.qubits.iter().enumerate() {
            let p = check_probability(format!("gate_error_1q of qubit {q}"), cal.gate_error_1q)?;
            let relax = self.relaxation(q, time_1q[q], false)?;
            after_1q.push(match (p > 0.0, relax) {
                (false, r) => r,
                (true, None) => Some(standard::depolarizing(p)?),
                (true, Some(r)) => Some(standard::depolarizing(p)?.compose(&r)?),
            });
        }
        let mut after_2q = HashMap::new();
        for (c, key) in self.couplers.iter().zip(&couplers) {
            let [a, b] = c.qubits;
            let p =
                check_probability(format!("gate_error_2q of coupler ({a}, {b})"), c.gate_error_2q)?;
            let mut channels = Vec::new();
            if p > 0.0 {
                channels.push((vec![key.0, key.1], standard::depolarizing_global(2, p)?));
            }
            let t = time_2q.get(key).copied().unwrap_or(t2q);
            for q in [key.0, key.1] {
                if let Some(r) = self.relaxation(q, t, true)? {
                    channels.push((vec![q], r));
                }
            }
            after_2q.insert(*key, channels);
        }
        Ok(NoiseSpec {
            name: self.name.clone(),
            num_qubits: n,
            after_1q,
            virtual_z: self.virtual_z,
            after_2q,
            restrict_coupling: true,
            allow_wide_gates: false,
            readout: readout.confusions().to_vec(),
            density_matrix_max_qubits: dm,
            faulty,
        })
    }

    /// The sorted pair of every coupler, in order, after checking indices and duplicates.
    fn coupler_keys(&self) -> Result<Vec<(usize, usize)>> {
        let n = self.qubits.len();
        let mut seen = HashSet::new();
        let mut keys = Vec::with_capacity(self.couplers.len());
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
            keys.push(key);
        }
        Ok(keys)
    }

    /// The one-qubit gate time of every qubit and the overridden two-qubit gate times.
    fn gate_times(&self, t1q: f64, couplers: &[(usize, usize)]) -> Result<GateTimes> {
        let n = self.qubits.len();
        let mut time_1q = vec![t1q; n];
        let mut seen_1q = HashSet::new();
        let mut time_2q = HashMap::new();
        for o in &self.gate_time_overrides {
            let t =
                check_time(format_args!("time_ns of the override on {:?}", o.qubits), o.time_ns)?;
            match o.qubits[..] {
                [q] if q < n => {
                    if !seen_1q.insert(q) {
                        return Err(Error::InvalidCalibration {
                            reason: format!("qubit {q} has two gate-time overrides"),
                        });
                    }
                    time_1q[q] = t;
                }
                [a, b] => {
                    let key = (a.min(b), a.max(b));
                    if !couplers.contains(&key) {
                        return Err(Error::InvalidCalibration {
                            reason: format!(
                                "gate-time override on ({a}, {b}), which is not a coupler"
                            ),
                        });
                    }
                    if time_2q.insert(key, t).is_some() {
                        return Err(Error::InvalidCalibration {
                            reason: format!("coupler ({a}, {b}) has two gate-time overrides"),
                        });
                    }
                }
                [q] => return Err(Error::UnknownQubit { qubit: q, num_qubits: n }),
                _ => {
                    return Err(Error::InvalidCalibration {
                        reason: format!(
                            "a gate-time override names one qubit or a coupler, not {:?}",
                            o.qubits
                        ),
                    });
                }
            }
        }
        Ok((time_1q, time_2q))
    }

    /// The relaxation channel of qubit `q` during a gate of `duration_ns` (None: none).
    fn relaxation(&self, q: usize, duration_ns: f64, two_qubit: bool) -> Result<Option<Channel>> {
        match &self.qubits[q].relaxation {
            Some(r) => {
                let (gamma, lambda) = relaxation_strengths(r, q, duration_ns, two_qubit)?;
                relaxation_channel(gamma, lambda)
            }
            None => Ok(None),
        }
    }
}
