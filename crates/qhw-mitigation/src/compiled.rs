//! A backend that compiles logical circuits onto a path of a device, as a provider's transpiler
//! does before a job runs ([`CompiledBackend`]).
//!
//! The caller writes circuits on `path.len()` logical qubits, with two-qubit gates between any
//! of them; [`CompiledBackend::run`](crate::backend::Backend::run) binds each experiment's
//! parameters, compiles it with [`crate::layout::compile_on_path`] (logical qubit `i` starts on
//! device qubit `path[i]`, swaps stay on the path, the result is in the device basis `rz`, `sx`,
//! `x`, `cx`) and runs the compiled circuits on the [`NoisyDevice`] as one job. Counts stay in
//! the logical order: a circuit that measures keeps its classical bits, one that does not is
//! measured logical qubit `i` into bit `i` wherever routing left it.
//!
//! Results come only from the device's counts of the compiled circuits: what the device's noise
//! does to the swaps and the translated gates is in them, and the job's device time is that of
//! the compiled circuits ([`crate::device::schedule`]). Readout calibration through the backend
//! ([`crate::calibration::calibrate_tensored`] on logical qubits) therefore measures the device
//! qubits of the path, `path[i]` for logical qubit `i`.

use std::time::Instant;

use crate::backend::{Backend, ExactBackend, JobResult, JobTiming};
use crate::device::NoisyDevice;
use crate::error::{Error, Result};
use crate::execution::OutcomeDistribution;
use crate::experiment::Experiment;
use crate::layout::{DeviceCircuit, best_path, check_path, compile_on_path};

/// A [`NoisyDevice`] seen through a compiler: logical circuits on `path.len()` qubits in, the
/// device's counts of their compiled versions out (see the module documentation).
///
/// ```
/// use qhw_mitigation::backend::Backend;
/// use qhw_mitigation::compiled::CompiledBackend;
/// use qhw_mitigation::device::{DeviceCalibration, NoisyDevice};
/// use qhw_mitigation::experiment::Experiment;
/// use qsim_core::circuit::Circuit;
/// // The default device is a line 0 - 1 - 2 - 3 - 4; use three qubits of it.
/// let device = NoisyDevice::new(DeviceCalibration::default().scaled(0.0)?)?;
/// let backend = CompiledBackend::new(device, vec![4, 3, 2])?;
/// let mut c = Circuit::new(3);
/// c.x(0)?.cx(0, 2)?; // logical 0 and 2 are not neighbours: the compiler swaps
/// let counts = &backend.run(&[Experiment::fixed(c, 100)], 1)?.counts[0];
/// assert_eq!(counts.get(0b101), 100);
/// # Ok::<(), qhw_mitigation::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CompiledBackend {
    device: NoisyDevice,
    path: Vec<usize>,
    name: String,
}

impl CompiledBackend {
    /// The device with logical qubit `i` on `path[i]`. The path's qubits must be distinct,
    /// on the device, not faulty, and consecutive ones coupled.
    pub fn new(device: NoisyDevice, path: Vec<usize>) -> Result<Self> {
        let calibration = device.calibration();
        if path.is_empty() {
            return Err(Error::InvalidConfig { reason: "a compiled backend needs a path".into() });
        }
        check_path(calibration, &path)?;
        let name = format!("{} on {path:?}", calibration.name);
        Ok(Self { device, path, name })
    }

    /// The device on its [`best_path`] of `length` qubits.
    pub fn on_best_path(device: NoisyDevice, length: usize) -> Result<Self> {
        let path = best_path(device.calibration(), length)?;
        Self::new(device, path)
    }

    /// The device the circuits run on.
    pub fn device(&self) -> &NoisyDevice {
        &self.device
    }

    /// The device qubit of each logical qubit at the start of every circuit.
    pub fn path(&self) -> &[usize] {
        &self.path
    }

    /// What the device runs for `experiment`: its circuit bound to its parameters and compiled
    /// on the path ([`compile_on_path`]; a circuit narrower than the path uses its first
    /// qubits).
    pub fn compile(&self, experiment: &Experiment) -> Result<DeviceCircuit> {
        let width = experiment.circuit.num_qubits();
        if width > self.path.len() {
            return Err(Error::UnknownQubit { qubit: width - 1, num_qubits: self.path.len() });
        }
        let bound = experiment.circuit.bind(&experiment.theta)?;
        compile_on_path(&bound, self.device.calibration(), &self.path[..width])
    }

    /// The experiment the device runs: the compiled circuit, with the same shots.
    fn device_experiment(&self, experiment: &Experiment) -> Result<Experiment> {
        Ok(Experiment::fixed(self.compile(experiment)?.circuit, experiment.shots))
    }
}

impl Backend for CompiledBackend {
    fn name(&self) -> &str {
        &self.name
    }

    /// The path's length: logical qubits.
    fn num_qubits(&self) -> usize {
        self.path.len()
    }

    fn timing(&self) -> JobTiming {
        self.device.timing()
    }

    /// Compiles every experiment, then runs the compiled circuits on the device as one job
    /// (experiment `i` on stream `i` of `seed`, as the device would). The host time includes
    /// the compilation.
    fn run(&self, experiments: &[Experiment], seed: u64) -> Result<JobResult> {
        let start = Instant::now();
        let compiled =
            experiments.iter().map(|e| self.device_experiment(e)).collect::<Result<Vec<_>>>()?;
        let mut job = self.device.run(&compiled, seed)?;
        job.host_seconds = start.elapsed().as_secs_f64();
        Ok(job)
    }

    /// The duration of the compiled circuit on the device.
    fn circuit_seconds(&self, experiment: &Experiment) -> Result<f64> {
        self.device.circuit_seconds(&self.device_experiment(experiment)?)
    }
}

impl ExactBackend for CompiledBackend {
    /// The device's exact distribution of the compiled circuit.
    fn outcome_distribution(&self, experiment: &Experiment) -> Result<OutcomeDistribution> {
        self.device.outcome_distribution(&self.device_experiment(experiment)?)
    }
}
