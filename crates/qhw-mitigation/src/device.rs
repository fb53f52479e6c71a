//! A simulated noisy device configured from a JSON calibration: per-qubit readout errors,
//! depolarizing gate errors, T1/T2 (or per-gate) relaxation, a coupling map, gate durations,
//! and job timing. The file format is [`DeviceCalibration`]; `docs/devices.md` describes every
//! field and the shipped devices (`calibration/*.json`).
//!
//! Noise model, applied after every gate on the gate's qubits:
//! - one-qubit gate on `q`: depolarizing of strength `gate_error_1q` (`rho -> (1 - p) rho +
//!   p I/2`; the depolarizing parameter, not the average infidelity, which is `p/2`), then
//!   relaxation for the qubit's one-qubit gate time (`gate_time_1q_ns`, or its entry in
//!   `gate_time_overrides`);
//! - with `virtual_z`, the diagonal one-qubit gates `rz`, `p`, `u1`, `z`, `s`, `sdg`, `t` and
//!   `tdg` are frame changes: no noise and no duration (`id` stays a physical gate);
//! - two-qubit gate on a coupled pair: two-qubit depolarizing of the coupler's
//!   `gate_error_2q`, then relaxation for the coupler's gate time (`gate_time_2q_ns` or its
//!   override) on each of the two qubits;
//! - relaxation: amplitude damping `gamma = 1 - exp(-t/T1)` then pure dephasing
//!   `lambda = 1 - exp(-t/T_phi)`, `1/T_phi = 1/T2 - 1/(2 T1)`, so coherences decay as
//!   `exp(-t/T2)` (or fixed per-gate strengths);
//! - `reset` and `measure` are noiseless operations; readout: each measured bit flips with
//!   `P(1|0)` or `P(0|1)` of its qubit.
//!
//! This is the model of Qiskit Aer's `NoiseModel.from_backend` at zero temperature when the
//! depolarizing parameters are derived from the reported gate errors as Aer does (the
//! converter `cargo xtask devices` does; `docs/devices.md` lists the remaining differences).
//!
//! Time: a job lasts the calibration's `job_latency_s`, plus for every shot `shot_time_us`
//! and the duration of the shot's circuit, an as-soon-as-possible schedule of its gate
//! durations ([`crate::device::schedule`]; `measure` and `reset` last `readout_time_ns` and
//! `reset_time_ns`, 0 when absent).
//!
//! Idle qubits get no noise, and there is no crosstalk: noise is local to the gate. A two-qubit
//! gate on a pair that is not in the coupling map is an error ([`crate::Error::NotCoupled`]), and so
//! is any operation on a qubit listed in `faulty_qubits` ([`crate::Error::FaultyQubit`]): the device
//! does not route; the caller maps circuits onto the coupling map.
//!
//! [`DeviceCalibration::scaled`] multiplies every error rate by one factor, to study a device
//! that is better or worse than the calibrated one.
//!
//! Simulation is exact: groups of up to `simulation.density_matrix_max_qubits` connected qubits
//! run on a density matrix, wider ones (or circuits with mid-circuit measurement) one quantum
//! trajectory per shot ([`crate::execution`]).

use std::path::Path;

use qchannels::channel::Channel;
use qsim_core::circuit::Operation;
use qsim_core::gate::Gate;

use crate::backend::{Backend, ExactBackend, JobResult, JobTiming, run_job};
use crate::error::Result;
use crate::execution::{NoiseSpec, OutcomeDistribution};
use crate::experiment::Experiment;

mod calibration;
mod scale;
pub mod schedule;

use schedule::GateDurations;

pub use calibration::{
    CouplerCalibration, DeviceCalibration, GateTimeOverride, MAX_DEVICE_FILE_BYTES,
    MAX_DEVICE_QUBITS, QubitCalibration, Relaxation, SimulationConfig,
};

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
/// // 2 s latency, and per shot 250 us plus the circuit: x (35 ns) then cx (300 ns).
/// assert!((job.device_seconds - (2.0 + 2000.0 * (250e-6 + 335e-9))).abs() < 1e-9);
/// # Ok::<(), qhw_mitigation::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct NoisyDevice {
    calibration: DeviceCalibration,
    spec: NoiseSpec,
    durations: GateDurations,
}

impl NoisyDevice {
    /// Validates the calibration and builds the device.
    pub fn new(calibration: DeviceCalibration) -> Result<Self> {
        let spec = calibration.noise_spec()?;
        let durations = GateDurations::from_calibration(&calibration)?;
        Ok(Self { calibration, spec, durations })
    }

    /// A device from a calibration file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::new(DeviceCalibration::from_file(path)?)
    }

    /// The calibration it was built from.
    pub fn calibration(&self) -> &DeviceCalibration {
        &self.calibration
    }

    /// The duration of every operation on the device ([`crate::device::schedule`]).
    pub fn durations(&self) -> &GateDurations {
        &self.durations
    }

    /// The coupled pairs, as in the calibration, without those that touch a faulty qubit.
    pub fn coupling_map(&self) -> Vec<[usize; 2]> {
        let faulty = &self.calibration.faulty_qubits;
        self.calibration
            .couplers
            .iter()
            .map(|c| c.qubits)
            .filter(|p| !p.iter().any(|q| faulty.contains(q)))
            .collect()
    }

    /// The qubits the calibration marks faulty (no circuit may touch or read them).
    pub fn faulty_qubits(&self) -> &[usize] {
        &self.calibration.faulty_qubits
    }

    /// The channels the device applies after a physical gate on `qubits`, each with the qubits
    /// it acts on, in order: for one qubit those of a pulse (`sx`, `x`, `id`), for a coupled pair
    /// those of a `cx`. This is what a model trains through to be noise-aware
    /// (`qdiffusion::mixed`); it is the simulator's own noise, not something a device reports.
    pub fn gate_noise(&self, qubits: &[usize]) -> Result<Vec<(Vec<usize>, Channel)>> {
        let gate = if qubits.len() == 1 { Gate::Sx } else { Gate::Cx };
        let op = Operation::Gate { gate, qubits: qubits.to_vec(), params: Vec::new() };
        for &q in qubits {
            if q >= self.spec.num_qubits {
                return Err(crate::Error::UnknownQubit {
                    qubit: q,
                    num_qubits: self.spec.num_qubits,
                });
            }
        }
        self.spec.noise_after(&op, qubits)
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

    /// Runs the job; its device time is the latency plus, for every experiment, `shots *
    /// (shot_time + circuit duration)` ([`Backend::device_seconds`]).
    fn run(&self, experiments: &[Experiment], seed: u64) -> Result<JobResult> {
        run_job(&self.spec, self.device_seconds(experiments)?, experiments, seed)
    }

    /// The circuit's as-soon-as-possible duration on the device's gate times
    /// ([`GateDurations::circuit_ns`]), in seconds.
    fn circuit_seconds(&self, experiment: &Experiment) -> Result<f64> {
        Ok(self.durations.circuit_ns(&experiment.circuit)? * 1e-9)
    }
}

impl ExactBackend for NoisyDevice {
    fn outcome_distribution(&self, experiment: &Experiment) -> Result<OutcomeDistribution> {
        crate::execution::distribution(&self.spec, experiment)
    }
}
