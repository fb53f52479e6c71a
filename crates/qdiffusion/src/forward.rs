//! The forward process: depolarizing noise of strength `beta_t` per step, local on every qubit
//! (the default) or global on the register, exact on density matrices or as measure-and-reprepare
//! trajectories on pure states. Depolarizing channels compose by multiplying survival
//! probabilities, so the state at step `t` is one channel of strength `1 - alphabar_t` away from
//! the data: training and tests jump to any `t` directly.

use qchannels::schedule::Schedule;
use qchannels::standard;
use qchannels::trajectory::{self, Unravelling};
use qsim_core::density::DensityMatrix;
use qsim_core::state::StateVector;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Where the depolarizing noise acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoiseKind {
    /// Independently on every qubit (the default).
    Local,
    /// On the whole register at once.
    Global,
}

/// The forward (noising) process.
#[derive(Clone, Debug, PartialEq)]
pub struct ForwardProcess {
    schedule: Schedule,
    kind: NoiseKind,
}

impl ForwardProcess {
    /// A forward process with this schedule and noise kind.
    pub fn new(schedule: Schedule, kind: NoiseKind) -> Self {
        Self { schedule, kind }
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The noise kind.
    pub fn kind(&self) -> NoiseKind {
        self.kind
    }

    /// Number of steps `T`.
    pub fn steps(&self) -> usize {
        self.schedule.steps()
    }

    fn apply_trajectory<R: Rng + ?Sized>(
        &self,
        psi: &mut StateVector,
        strength: f64,
        rng: &mut R,
    ) -> Result<()> {
        let qubits: Vec<usize> = (0..psi.num_qubits()).collect();
        match self.kind {
            NoiseKind::Local => {
                trajectory::depolarize(psi, &qubits, strength, Unravelling::MeasureReprepare, rng)?
            }
            NoiseKind::Global => trajectory::depolarize_global(
                psi,
                &qubits,
                strength,
                Unravelling::MeasureReprepare,
                rng,
            )?,
        }
        Ok(())
    }

    /// One trajectory sample of the state at step `t` given the data state (closed-form jump:
    /// one measure-and-reprepare channel of strength `1 - alphabar_t`).
    pub fn sample_at<R: Rng + ?Sized>(
        &self,
        x0: &StateVector,
        t: usize,
        rng: &mut R,
    ) -> Result<StateVector> {
        let mut psi = x0.clone();
        self.apply_trajectory(&mut psi, self.schedule.cumulative_strength(t), rng)?;
        Ok(psi)
    }

    /// One trajectory step from `t - 1` to `t` (strength `beta_t`).
    pub fn step<R: Rng + ?Sized>(
        &self,
        psi: &mut StateVector,
        t: usize,
        rng: &mut R,
    ) -> Result<()> {
        self.apply_trajectory(psi, self.schedule.beta(t), rng)
    }

    /// A pair `(s_{t-1}, s_t)` along one trajectory from the data state: the training example of
    /// the per-step losses.
    pub fn sample_pair<R: Rng + ?Sized>(
        &self,
        x0: &StateVector,
        t: usize,
        rng: &mut R,
    ) -> Result<(StateVector, StateVector)> {
        let previous = self.sample_at(x0, t - 1, rng)?;
        let mut current = previous.clone();
        self.step(&mut current, t, rng)?;
        Ok((previous, current))
    }

    /// The exact state at step `t` (density matrix) given the data state.
    pub fn exact_at(&self, rho0: &DensityMatrix, t: usize) -> Result<DensityMatrix> {
        let mut rho = rho0.clone();
        let n = rho.num_qubits();
        let strength = self.schedule.cumulative_strength(t);
        let qubits: Vec<usize> = (0..n).collect();
        match self.kind {
            NoiseKind::Local => {
                standard::depolarizing(strength)?.apply_to_each(&mut rho, &qubits)?
            }
            NoiseKind::Global => {
                standard::depolarizing_global(n, strength)?.apply(&mut rho, &qubits)?
            }
        }
        Ok(rho)
    }
}
