//! The `Backend` trait (run a batch of [`Experiment`]s, each with its own shots, as one job) and
//! the ideal Born-rule sampler.

use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::counts::Counts;
use crate::error::{Error, Result};
use crate::execution::{NoiseSpec, OutcomeDistribution};
use crate::experiment::{Experiment, experiment_rng};

/// How long a device takes for a job: a fixed latency (queueing, loading, compilation), and for
/// every shot a repetition time plus the duration of the shot's circuit.
///
/// The circuit's duration comes from the backend ([`Backend::circuit_seconds`]: a
/// [`crate::device::NoisyDevice`] schedules the circuit on its gate durations,
/// [`crate::device::schedule`]); backends without gate durations (the ideal one) count 0, so their
/// jobs take [`JobTiming::job_seconds`] of their total shots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobTiming {
    /// Seconds per job, whatever it holds.
    pub latency_seconds: f64,
    /// Seconds per shot (one repetition of one circuit) on top of the circuit's own duration:
    /// the repetition delay and fixed overheads.
    pub seconds_per_shot: f64,
}

impl JobTiming {
    /// Device seconds of a job taking `total_shots` shots in all, of circuits that take no
    /// time (as on a backend without gate durations).
    pub fn job_seconds(&self, total_shots: u64) -> f64 {
        self.latency_seconds + total_shots as f64 * self.seconds_per_shot
    }

    /// Device seconds of `shots` shots of a circuit lasting `circuit_seconds`, latency
    /// excluded: `shots * (seconds_per_shot + circuit_seconds)`.
    pub fn experiment_seconds(&self, shots: u64, circuit_seconds: f64) -> f64 {
        shots as f64 * (self.seconds_per_shot + circuit_seconds)
    }
}

/// The counts of every experiment of a job, and how long it took.
#[derive(Clone, Debug, PartialEq)]
pub struct JobResult {
    /// One table per experiment, in order. Keys are the classical register (bit `c` = clbit
    /// `c`) when the circuit measures, or every qubit (bit `q` = qubit `q`) when it does not.
    pub counts: Vec<Counts>,
    /// The device's clock ([`Backend::device_seconds`] of the job: the latency, and for every
    /// shot its repetition time and its circuit's duration; simulated, nothing sleeps).
    pub device_seconds: f64,
    /// Wall time this process spent simulating the job.
    pub host_seconds: f64,
}

/// Something that executes circuits and returns counts.
///
/// A call to [`Backend::run`] is one job: the device's latency is paid once for the whole
/// batch. Runs are reproducible: experiment `i` draws from a ChaCha8 stream `i` of `seed`, so
/// the result does not depend on the thread count.
pub trait Backend: Sync {
    /// A name for messages and reports.
    fn name(&self) -> &str;
    /// Qubits available.
    fn num_qubits(&self) -> usize;
    /// The timing model of one job.
    fn timing(&self) -> JobTiming;
    /// Executes the experiments as one job.
    fn run(&self, experiments: &[Experiment], seed: u64) -> Result<JobResult>;

    /// How long one shot of `experiment`'s circuit lasts on the device, seconds, on top of
    /// [`JobTiming::seconds_per_shot`]. The default, for backends without gate durations, is 0;
    /// a [`crate::device::NoisyDevice`] schedules the circuit ([`crate::device::schedule`]).
    fn circuit_seconds(&self, experiment: &Experiment) -> Result<f64> {
        let _ = experiment;
        Ok(0.0)
    }

    /// The device seconds [`Backend::run`] reports for these experiments: the latency plus
    /// [`JobTiming::experiment_seconds`] of every experiment with its
    /// [`Backend::circuit_seconds`].
    fn device_seconds(&self, experiments: &[Experiment]) -> Result<f64> {
        let timing = self.timing();
        experiments.iter().try_fold(timing.latency_seconds, |t, e| {
            Ok(t + timing.experiment_seconds(e.shots, self.circuit_seconds(e)?))
        })
    }
}

/// A backend that can also give the exact distribution its shots are drawn from (a simulator;
/// real hardware cannot). Tests and references use it; nothing on the device path may.
pub trait ExactBackend: Backend {
    /// The exact distribution of read outcomes of one experiment (shots ignored).
    fn outcome_distribution(&self, experiment: &Experiment) -> Result<OutcomeDistribution>;
}

/// Runs a job on a noise specification: experiments in parallel, each on its own stream. The
/// job's clock is `device_seconds` ([`Backend::device_seconds`]).
pub(crate) fn run_job(
    spec: &NoiseSpec,
    device_seconds: f64,
    experiments: &[Experiment],
    seed: u64,
) -> Result<JobResult> {
    let start = Instant::now();
    let counts = experiments
        .par_iter()
        .enumerate()
        .map(|(i, e)| crate::execution::execute(spec, e, &mut experiment_rng(seed, i)))
        .collect::<Result<Vec<_>>>()?;
    Ok(JobResult { counts, device_seconds, host_seconds: start.elapsed().as_secs_f64() })
}

/// A noiseless simulator: Born-rule sampling of the exact state, any gate on any qubits.
///
/// ```
/// use qhw_mitigation::backend::{Backend, IdealBackend};
/// use qhw_mitigation::experiment::{Experiment};
/// use qsim_core::circuit::Circuit;
/// let mut bell = Circuit::new(2);
/// bell.h(0)?.cx(0, 1)?;
/// let result = IdealBackend::new(2).run(&[Experiment::fixed(bell, 1000)], 7)?;
/// let c = &result.counts[0];
/// assert_eq!(c.get(0b00) + c.get(0b11), 1000);
/// # Ok::<(), qhw_mitigation::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct IdealBackend {
    spec: NoiseSpec,
    timing: JobTiming,
}

impl IdealBackend {
    /// An ideal device of `num_qubits` qubits with zero latency.
    pub fn new(num_qubits: usize) -> Self {
        Self { spec: NoiseSpec::ideal(num_qubits), timing: JobTiming::default() }
    }

    /// The same device with a timing model (to compare batching strategies on an ideal device).
    pub fn with_timing(mut self, timing: JobTiming) -> Result<Self> {
        check_timing(&timing)?;
        self.timing = timing;
        Ok(self)
    }
}

pub(crate) fn check_timing(t: &JobTiming) -> Result<()> {
    for (what, v) in [("job latency", t.latency_seconds), ("time per shot", t.seconds_per_shot)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::InvalidConfig { reason: format!("{what} {v} s") });
        }
    }
    Ok(())
}

impl Backend for IdealBackend {
    fn name(&self) -> &str {
        "ideal"
    }

    fn num_qubits(&self) -> usize {
        self.spec.num_qubits
    }

    fn timing(&self) -> JobTiming {
        self.timing
    }

    fn run(&self, experiments: &[Experiment], seed: u64) -> Result<JobResult> {
        run_job(&self.spec, self.device_seconds(experiments)?, experiments, seed)
    }
}

impl ExactBackend for IdealBackend {
    fn outcome_distribution(&self, experiment: &Experiment) -> Result<OutcomeDistribution> {
        crate::execution::distribution(&self.spec, experiment)
    }
}
