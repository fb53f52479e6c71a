//! The `Backend` trait (run a batch of [`Experiment`]s, each with its own shots, as one job) and
//! the ideal Born-rule sampler.

use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::counts::Counts;
use crate::error::{Error, Result};
use crate::execution::{NoiseSpec, OutcomeDistribution};
use crate::experiment::{Experiment, experiment_rng};

/// How long a device takes for a job: a fixed latency (queueing, loading, compilation) plus a
/// repetition time per shot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobTiming {
    /// Seconds per job, whatever it holds.
    pub latency_seconds: f64,
    /// Seconds per shot (one repetition of one circuit).
    pub seconds_per_shot: f64,
}

impl JobTiming {
    /// Device seconds of a job taking `total_shots` shots in all.
    pub fn job_seconds(&self, total_shots: u64) -> f64 {
        self.latency_seconds + total_shots as f64 * self.seconds_per_shot
    }
}

/// The counts of every experiment of a job, and how long it took.
#[derive(Clone, Debug, PartialEq)]
pub struct JobResult {
    /// One table per experiment, in order. Keys are the classical register (bit `c` = clbit
    /// `c`) when the circuit measures, or every qubit (bit `q` = qubit `q`) when it does not.
    pub counts: Vec<Counts>,
    /// The device's clock: [`JobTiming::job_seconds`] of the job (simulated, nothing sleeps).
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
}

/// A backend that can also give the exact distribution its shots are drawn from (a simulator;
/// real hardware cannot). Tests and references use it; nothing on the device path may.
pub trait ExactBackend: Backend {
    /// The exact distribution of read outcomes of one experiment (shots ignored).
    fn outcome_distribution(&self, experiment: &Experiment) -> Result<OutcomeDistribution>;
}

/// Runs a job on a noise specification: experiments in parallel, each on its own stream.
pub(crate) fn run_job(
    spec: &NoiseSpec,
    timing: JobTiming,
    experiments: &[Experiment],
    seed: u64,
) -> Result<JobResult> {
    let start = Instant::now();
    let counts = experiments
        .par_iter()
        .enumerate()
        .map(|(i, e)| crate::execution::execute(spec, e, &mut experiment_rng(seed, i)))
        .collect::<Result<Vec<_>>>()?;
    let total_shots = experiments.iter().fold(0u64, |t, e| t.saturating_add(e.shots));
    Ok(JobResult {
        counts,
        device_seconds: timing.job_seconds(total_shots),
        host_seconds: start.elapsed().as_secs_f64(),
    })
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
        run_job(&self.spec, self.timing, experiments, seed)
    }
}

impl ExactBackend for IdealBackend {
    fn outcome_distribution(&self, experiment: &Experiment) -> Result<OutcomeDistribution> {
        crate::execution::distribution(&self.spec, experiment)
    }
}
