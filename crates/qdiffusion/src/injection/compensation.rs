//! The schedule a device should be asked for once its floor is known.
//!
//! Depolarizing channels compose by multiplying `1 - p`, so a step whose layer already adds the
//! floor `p_q` on qubit `q` injects only `beta'_{t,q}` with `1 - beta'_{t,q} = (1 - beta_t) /
//! (1 - p_q)`. A step with `beta_t < p_q` cannot be reached: the device alone does more than the
//! schedule asks. [`compensate`] injects nothing there (`beta' = 0`) and lists the step with its
//! excess `p_q - beta_t`, instead of failing as `qhw_mitigation::noise_floor::subtract_noise_floor`
//! does (with which it agrees wherever every step is reachable).

use qchannels::schedule::Schedule;
use serde::{Deserialize, Serialize};

use super::check_qubits;
use crate::error::{Error, Result};

/// A step of the schedule that the floor of one qubit makes unreachable.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnreachableStep {
    /// The device qubit.
    pub qubit: usize,
    /// The step `t` (from 1).
    pub step: usize,
    /// The schedule's `beta_t`.
    pub beta: f64,
    /// The qubit's floor `p_q`.
    pub floor: f64,
    /// What the device does beyond the schedule in that step: `p_q - beta_t`.
    pub excess: f64,
}

/// The per-qubit injected schedules and what they cannot reach.
#[derive(Clone, Debug, PartialEq)]
pub struct Compensation {
    /// The device qubits.
    pub qubits: Vec<usize>,
    /// The floors compensated, one per qubit.
    pub floors: Vec<f64>,
    /// What to inject on each qubit (`beta'_{t,q}`, clamped at 0).
    pub injected: Vec<Schedule>,
    /// The designed schedule.
    pub designed: Schedule,
    /// Every step that a floor makes unreachable, by qubit then step.
    pub unreachable: Vec<UnreachableStep>,
}

impl Compensation {
    /// Whether every step of every qubit is reached exactly.
    pub fn is_exact(&self) -> bool {
        self.unreachable.is_empty()
    }

    /// The injected strengths of step `t` (from 1), one per qubit.
    pub fn strengths(&self, t: usize) -> Vec<f64> {
        self.injected.iter().map(|s| s.beta(t)).collect()
    }

    /// The per-step, per-qubit injected strengths of steps `1..=t` (`[s][l]`), as the circuit
    /// builders take them.
    pub fn strengths_up_to(&self, t: usize) -> Vec<Vec<f64>> {
        (1..=t).map(|s| self.strengths(s)).collect()
    }

    /// What the device reaches on qubit `l` of the list after `t` steps if its floor is exactly
    /// `floors[l]`: `prod_s (1 - beta'_{s,l}) (1 - p_l)`. It equals the designed
    /// `alphabar_t` unless a step up to `t` is unreachable.
    pub fn achieved_alphabar(&self, l: usize, t: usize) -> f64 {
        (1..=t).map(|s| (1.0 - self.injected[l].beta(s)) * (1.0 - self.floors[l])).product()
    }
}

/// Compensates the floors `floors[l]` of `qubits[l]` in `schedule` (see the module docs).
/// Floors must be in `[0, 1)`.
pub fn compensate(schedule: &Schedule, qubits: &[usize], floors: &[f64]) -> Result<Compensation> {
    check_qubits(qubits, usize::MAX)?;
    if floors.len() != qubits.len() {
        return Err(Error::DimensionMismatch {
            what: "floors per qubit",
            expected: qubits.len(),
            got: floors.len(),
        });
    }
    let mut injected = Vec::with_capacity(qubits.len());
    let mut unreachable = Vec::new();
    for (&qubit, &p) in qubits.iter().zip(floors) {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::InvalidConfig {
                reason: format!("the floor {p} of qubit {qubit} must be in [0, 1)"),
            });
        }
        let betas = schedule
            .betas()
            .iter()
            .enumerate()
            .map(|(i, &beta)| {
                if beta < p {
                    unreachable.push(UnreachableStep {
                        qubit,
                        step: i + 1,
                        beta,
                        floor: p,
                        excess: p - beta,
                    });
                    0.0
                } else {
                    (1.0 - (1.0 - beta) / (1.0 - p)).clamp(0.0, 1.0)
                }
            })
            .collect();
        injected.push(Schedule::custom(betas)?);
    }
    Ok(Compensation {
        qubits: qubits.to_vec(),
        floors: floors.to_vec(),
        injected,
        designed: schedule.clone(),
        unreachable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use qhw_mitigation::noise_floor::subtract_noise_floor;

    #[test]
    fn agrees_with_the_subtraction_where_every_step_is_reachable() {
        let s = Schedule::cosine(50, 0.008).unwrap();
        let c = compensate(&s, &[3, 1], &[8.6e-4, 0.0]).unwrap();
        assert!(c.is_exact());
        let reference = subtract_noise_floor(&s, 8.6e-4).unwrap();
        for t in 1..=50 {
            assert!((c.injected[0].beta(t) - reference.beta(t)).abs() < 1e-15);
            assert_eq!(c.injected[1].beta(t), s.beta(t));
            assert!((c.achieved_alphabar(0, t) - s.alphabar(t)).abs() < 1e-12);
        }
        assert_eq!(c.strengths_up_to(2).len(), 2);
    }

    #[test]
    fn unreachable_steps_are_clamped_and_reported() {
        // Cosine with 100 steps starts below 1e-3 per step.
        let s = Schedule::cosine(100, 0.008).unwrap();
        let p = 1e-3;
        let c = compensate(&s, &[0], &[p]).unwrap();
        assert!(!c.is_exact());
        let first = c.unreachable[0];
        assert_eq!((first.qubit, first.step), (0, 1));
        assert!((first.excess - (p - s.beta(1))).abs() < 1e-15);
        for u in &c.unreachable {
            assert_eq!(c.injected[0].beta(u.step), 0.0);
            assert!(s.beta(u.step) < p);
        }
        // The device overshoots by the excess of the clamped steps, and only by that.
        let t = c.unreachable.iter().map(|u| u.step).max().unwrap();
        let overshoot: f64 =
            c.unreachable.iter().map(|u| (1.0 - u.floor) / (1.0 - u.beta)).product();
        assert!((c.achieved_alphabar(0, t) - s.alphabar(t) * overshoot).abs() < 1e-12);
        assert!(compensate(&s, &[0], &[1.0]).is_err());
        assert!(compensate(&s, &[0], &[f64::NAN]).is_err());
        assert!(matches!(compensate(&s, &[], &[]), Err(Error::NoQubits)));
        assert!(compensate(&s, &[0, 1], &[0.0]).is_err());
    }
}
