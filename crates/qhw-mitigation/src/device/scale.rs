//! The error-scale knob: the same device with every error rate multiplied by one factor.

use std::collections::HashSet;

use super::calibration::{DeviceCalibration, Relaxation};
use crate::error::{Error, Result};

/// A per-gate relaxation strength `s = 1 - exp(-rate t)` for `factor` times the rate.
fn scale_strength(s: f64, factor: f64) -> f64 {
    1.0 - (1.0 - s).powf(factor)
}

impl DeviceCalibration {
    /// The same device with every error rate multiplied by `factor` (0 = noiseless, 1 = as
    /// calibrated, 2 = twice as noisy).
    ///
    /// Scaled: the readout flip probabilities `P(1|0)` and `P(0|1)`, the one- and two-qubit
    /// depolarizing parameters `gate_error_1q` and `gate_error_2q`, and the relaxation rates:
    /// `T1` and `T2` are divided by `factor` (their ratio, hence `T2 <= 2 T1`, is kept), fixed
    /// per-gate strengths `s` become `1 - (1 - s)^factor` (the strength of `factor` times the
    /// rate over the same time). At `factor = 0` relaxation is removed.
    ///
    /// Not scaled: gate durations (and their overrides), `virtual_z`, the coupling map, job
    /// latency and shot time, the simulation settings, and the numbers of faulty qubits and of
    /// the couplers touching them (nothing can run there, so they stay as recorded; faulty
    /// qubits stay faulty even at `factor = 0`). The name is kept; the description notes the
    /// factor. `factor = 1` returns an exact copy.
    ///
    /// Errors ([`Error::InvalidErrorScale`]): a negative or non-finite factor, a scaled
    /// probability above 1, or a qubit whose scaled flips give `P(1|0) + P(0|1) >= 1` (a
    /// confusion that is singular, or that inverts the bit). Errors of the calibration itself
    /// are returned as [`DeviceCalibration::validate`] gives them.
    ///
    /// ```
    /// use qhw_mitigation::device::DeviceCalibration;
    /// let cal = DeviceCalibration::default();
    /// let worse = cal.scaled(2.0)?;
    /// assert_eq!(worse.qubits[0].gate_error_1q, 2.0 * cal.qubits[0].gate_error_1q);
    /// assert!(cal.scaled(-1.0).is_err());
    /// # Ok::<(), qhw_mitigation::Error>(())
    /// ```
    pub fn scaled(&self, factor: f64) -> Result<DeviceCalibration> {
        let bad = |reason: String| Error::InvalidErrorScale { factor, reason };
        if !(factor.is_finite() && factor >= 0.0) {
            return Err(bad("the factor must be finite and >= 0".into()));
        }
        self.validate()?;
        if factor == 1.0 {
            return Ok(self.clone());
        }
        let probability = |what: String, v: f64| {
            let s = v * factor;
            if s <= 1.0 { Ok(s) } else { Err(bad(format!("{what} = {v} becomes {s} > 1"))) }
        };
        let faulty: HashSet<usize> = self.faulty_qubits.iter().copied().collect();
        let mut out = self.clone();
        for (q, cal) in out.qubits.iter_mut().enumerate() {
            if faulty.contains(&q) {
                continue;
            }
            cal.readout_p1_given_0 =
                probability(format!("P(1|0) of qubit {q}"), cal.readout_p1_given_0)?;
            cal.readout_p0_given_1 =
                probability(format!("P(0|1) of qubit {q}"), cal.readout_p0_given_1)?;
            let flips = cal.readout_p1_given_0 + cal.readout_p0_given_1;
            if flips >= 1.0 {
                return Err(bad(format!(
                    "qubit {q}: scaled readout flips P(1|0) + P(0|1) = {flips} >= 1, so the \
                     confusion is singular or inverts the bit"
                )));
            }
            cal.gate_error_1q =
                probability(format!("gate_error_1q of qubit {q}"), cal.gate_error_1q)?;
            cal.relaxation = match cal.relaxation.take() {
                None => None,
                Some(_) if factor == 0.0 => None,
                Some(Relaxation::T1T2 { t1_us, t2_us }) => {
                    Some(Relaxation::T1T2 { t1_us: t1_us / factor, t2_us: t2_us / factor })
                }
                Some(Relaxation::PerGate {
                    amplitude_damping_1q,
                    dephasing_1q,
                    amplitude_damping_2q,
                    dephasing_2q,
                }) => Some(Relaxation::PerGate {
                    amplitude_damping_1q: scale_strength(amplitude_damping_1q, factor),
                    dephasing_1q: scale_strength(dephasing_1q, factor),
                    amplitude_damping_2q: scale_strength(amplitude_damping_2q, factor),
                    dephasing_2q: scale_strength(dephasing_2q, factor),
                }),
            };
        }
        for c in &mut out.couplers {
            let [a, b] = c.qubits;
            if faulty.contains(&a) || faulty.contains(&b) {
                continue;
            }
            c.gate_error_2q =
                probability(format!("gate_error_2q of coupler ({a}, {b})"), c.gate_error_2q)?;
        }
        let note = format!("Error rates scaled by {factor} (DeviceCalibration::scaled).");
        out.description =
            if out.description.is_empty() { note } else { format!("{} {note}", out.description) };
        out.validate().map_err(|e| bad(format!("the scaled calibration is invalid: {e}")))?;
        Ok(out)
    }
}
