//! Diffusion schedules: the per-step depolarizing strengths `beta_t` of the forward process.
//!
//! Depolarizing channels compose by multiplying survival probabilities, so after `t` steps the
//! state has gone through one depolarizing channel of strength `1 - alphabar_t`, with
//! `alphabar_t = prod_{s <= t} (1 - beta_s)`: the analogue of DDPM's closed-form `q(x_t | x_0)`,
//! which lets training jump to any step directly. Steps are numbered `1..=T`; `alphabar_0 = 1`.

use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::standard;

/// The largest per-step strength the cosine schedule uses (as Nichol and Dhariwal clip it).
pub const COSINE_MAX_BETA: f64 = 0.999;

/// A schedule of `T` depolarizing strengths.
///
/// ```
/// use qchannels::schedule::Schedule;
/// let s = Schedule::linear(50, 0.01, 0.2)?;
/// let t = 20;
/// let direct: f64 = (1..=t).map(|k| 1.0 - s.beta(k)).product();
/// assert!((s.alphabar(t) - direct).abs() < 1e-15);
/// # Ok::<(), qchannels::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    betas: Vec<f64>,
    alphabars: Vec<f64>,
}

impl Schedule {
    /// Any strengths in `[0, 1]`, one per step.
    pub fn custom(betas: Vec<f64>) -> Result<Self> {
        if betas.is_empty() {
            return Err(Error::InvalidSchedule {
                reason: "a schedule needs at least one step".into(),
            });
        }
        for &b in &betas {
            crate::error::check_probability("beta_t", b)?;
        }
        let mut alphabars = Vec::with_capacity(betas.len() + 1);
        alphabars.push(1.0);
        for b in &betas {
            let last = *alphabars.last().expect("non-empty");
            alphabars.push(last * (1.0 - b));
        }
        Ok(Self { betas, alphabars })
    }

    /// `beta_t` rising linearly from `beta_start` (step 1) to `beta_end` (step `T`), as in DDPM.
    pub fn linear(steps: usize, beta_start: f64, beta_end: f64) -> Result<Self> {
        if steps == 0 {
            return Err(Error::InvalidSchedule { reason: "zero steps".into() });
        }
        let betas = (0..steps)
            .map(|i| {
                let f = if steps == 1 { 0.0 } else { i as f64 / (steps - 1) as f64 };
                beta_start + f * (beta_end - beta_start)
            })
            .collect();
        Self::custom(betas)
    }

    /// The cosine schedule of Nichol and Dhariwal (2021): `alphabar_t = f(t) / f(0)` with
    /// `f(t) = cos^2((t/T + s) / (1 + s) * pi/2)`, per-step strengths clipped at
    /// [`COSINE_MAX_BETA`]; `s = 0.008` in the paper.
    pub fn cosine(steps: usize, offset: f64) -> Result<Self> {
        if steps == 0 || !(offset.is_finite() && offset >= 0.0) {
            return Err(Error::InvalidSchedule {
                reason: format!("cosine schedule with {steps} steps, offset {offset}"),
            });
        }
        let f = |t: usize| {
            let x =
                (t as f64 / steps as f64 + offset) / (1.0 + offset) * std::f64::consts::FRAC_PI_2;
            x.cos().powi(2)
        };
        let betas =
            (1..=steps).map(|t| (1.0 - f(t) / f(t - 1)).clamp(0.0, COSINE_MAX_BETA)).collect();
        Self::custom(betas)
    }

    /// The per-step strengths that reach the cumulative strengths `1 - alphabar_t = targets[t-1]`
    /// (non-decreasing, in `[0, 1]`): `beta_t = 1 - (1 - c_t) / (1 - c_{t-1})`.
    pub fn from_cumulative(targets: &[f64]) -> Result<Self> {
        let mut previous = 0.0;
        let mut betas = Vec::with_capacity(targets.len());
        for (t, &c) in targets.iter().enumerate() {
            crate::error::check_probability("cumulative strength", c)?;
            if c < previous {
                return Err(Error::InvalidSchedule {
                    reason: format!(
                        "cumulative strength decreases at step {}: {c} < {previous}",
                        t + 1
                    ),
                });
            }
            // Once fully depolarized, later steps have nothing left to do.
            betas.push(if previous >= 1.0 { 0.0 } else { 1.0 - (1.0 - c) / (1.0 - previous) });
            previous = c;
        }
        Self::custom(betas)
    }

    /// Number of steps `T`.
    pub fn steps(&self) -> usize {
        self.betas.len()
    }

    /// All `beta_t`, step 1 first.
    pub fn betas(&self) -> &[f64] {
        &self.betas
    }

    /// `beta_t` for `t` in `1..=T` (panics outside; use [`Schedule::betas`] to iterate).
    pub fn beta(&self, t: usize) -> f64 {
        self.betas[t - 1]
    }

    /// `alphabar_t = prod_{s <= t} (1 - beta_s)` for `t` in `0..=T`.
    pub fn alphabar(&self, t: usize) -> f64 {
        self.alphabars[t]
    }

    /// The strength of the cumulative channel after `t` steps: `1 - alphabar_t`.
    pub fn cumulative_strength(&self, t: usize) -> f64 {
        1.0 - self.alphabars[t]
    }

    /// The single-qubit channel of step `t` (apply it to every qubit for local depolarizing).
    pub fn step_channel(&self, t: usize) -> Result<Channel> {
        self.check_step(t, 1)?;
        standard::depolarizing(self.beta(t))
    }

    /// The closed-form channel after `t` steps on one qubit: depolarizing of strength
    /// `1 - alphabar_t`.
    pub fn cumulative_channel(&self, t: usize) -> Result<Channel> {
        self.check_step(t, 0)?;
        standard::depolarizing(self.cumulative_strength(t))
    }

    fn check_step(&self, t: usize, first: usize) -> Result<()> {
        if t < first || t > self.steps() {
            return Err(Error::InvalidSchedule {
                reason: format!("step {t} outside {first}..={}", self.steps()),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_cumulative_inverts_alphabar() {
        let s = Schedule::cosine(50, 0.008).unwrap();
        let targets: Vec<f64> = (1..=50).map(|t| s.cumulative_strength(t)).collect();
        let back = Schedule::from_cumulative(&targets).unwrap();
        for t in 1..=50 {
            assert!((back.beta(t) - s.beta(t)).abs() < 1e-12, "step {t}");
        }
    }

    #[test]
    fn cosine_schedule_ends_near_full_depolarization() {
        let s = Schedule::cosine(50, 0.008).unwrap();
        assert!(s.alphabar(50) < 1e-3);
        assert!(s.betas().windows(2).all(|w| w[0] <= w[1] + 1e-15));
    }

    #[test]
    fn invalid_schedules_are_errors() {
        assert!(Schedule::custom(vec![]).is_err());
        assert!(Schedule::custom(vec![0.1, 1.1]).is_err());
        assert!(Schedule::from_cumulative(&[0.5, 0.4]).is_err());
        assert!(Schedule::linear(0, 0.1, 0.2).is_err());
        assert!(Schedule::linear(10, 0.1, 0.2).unwrap().step_channel(0).is_err());
    }
}
