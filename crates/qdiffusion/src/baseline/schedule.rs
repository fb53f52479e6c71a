//! The variance schedule of a Gaussian diffusion and its forward (noising) process.
//!
//! Steps are numbered as in Ho et al. (2020): `x_0` is the data, `x_t` for `t = 1..=T` the noised
//! images, `q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)`. Composing the steps gives the
//! closed form `q(x_t | x_0) = N(sqrt(alphabar_t) x_0, (1 - alphabar_t) I)` with
//! `alphabar_t = prod_{s <= t} (1 - beta_s)`, which training uses to jump to any `t` at once.
//! The products are accumulated in `f64` (a thousand factors near one lose digits in `f32`).

use nalgebra::DMatrix;
use qfile::OverLimit;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The most steps a [`NoiseSchedule`] may have: 100 000, a hundred times the usual 1 000, so a
/// step count read from a damaged model file cannot make it allocate without bound.
pub const MAX_STEPS: usize = 100_000;

/// A variance schedule `beta_1..beta_T` with its cumulative products `alphabar_t`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseSchedule {
    /// `betas[t - 1] = beta_t`.
    betas: Vec<f64>,
    /// `alpha_bars[t] = alphabar_t`, with `alpha_bars[0] = 1` for the clean data.
    alpha_bars: Vec<f64>,
}

impl NoiseSchedule {
    /// The linear schedule of Ho et al.: `beta_t` evenly spaced from `beta_start` (at `t = 1`) to
    /// `beta_end` (at `t = T`) over `steps = T` steps (at most [`MAX_STEPS`]).
    pub fn linear(steps: usize, beta_start: f64, beta_end: f64) -> Result<Self> {
        if steps == 0 {
            return Err(Error::InvalidConfig {
                reason: "a schedule needs at least one step".into(),
            });
        }
        let what = || "the noise schedule declares".into();
        OverLimit::check(what, steps as u64, "steps", MAX_STEPS as u64)?;
        let valid = |b: f64| b.is_finite() && b > 0.0 && b < 1.0;
        if !valid(beta_start) || !valid(beta_end) {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "betas must lie in (0, 1), got beta_start {beta_start}, beta_end {beta_end}"
                ),
            });
        }
        let betas: Vec<f64> = (0..steps)
            .map(|i| {
                let f = if steps == 1 { 0.0 } else { i as f64 / (steps - 1) as f64 };
                beta_start + f * (beta_end - beta_start)
            })
            .collect();
        let mut alpha_bars = Vec::with_capacity(steps + 1);
        alpha_bars.push(1.0);
        for &b in &betas {
            let last = alpha_bars[alpha_bars.len() - 1];
            alpha_bars.push(last * (1.0 - b));
        }
        Ok(NoiseSchedule { betas, alpha_bars })
    }

    /// Number of diffusion steps `T`.
    pub fn steps(&self) -> usize {
        self.betas.len()
    }

    fn check_step(&self, t: usize, allow_zero: bool) -> Result<()> {
        if t > self.steps() || (t == 0 && !allow_zero) {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "diffusion step {t} outside {}..={}",
                    usize::from(!allow_zero),
                    self.steps()
                ),
            });
        }
        Ok(())
    }

    /// `beta_t` for `t` in `1..=T`.
    pub fn beta(&self, t: usize) -> Result<f64> {
        self.check_step(t, false)?;
        Ok(self.betas[t - 1])
    }

    /// `alphabar_t` for `t` in `0..=T` (`alphabar_0 = 1`).
    pub fn alpha_bar(&self, t: usize) -> Result<f64> {
        self.check_step(t, true)?;
        Ok(self.alpha_bars[t])
    }

    /// Variance of the true posterior `q(x_{t-1} | x_t, x_0)`:
    /// `beta_t (1 - alphabar_{t-1}) / (1 - alphabar_t)` for `t` in `1..=T`.
    pub fn posterior_variance(&self, t: usize) -> Result<f64> {
        self.check_step(t, false)?;
        Ok(self.betas[t - 1] * (1.0 - self.alpha_bars[t - 1]) / (1.0 - self.alpha_bars[t]))
    }

    /// The closed-form jump `x_t = sqrt(alphabar_t) x_0 + sqrt(1 - alphabar_t) noise`, column `j`
    /// at step `steps[j]` (`0..=T`); `noise` holds standard normal draws of the same shape as `x0`.
    pub fn diffuse(
        &self,
        x0: &DMatrix<f32>,
        steps: &[usize],
        noise: &DMatrix<f32>,
    ) -> Result<DMatrix<f32>> {
        check_same_shape("noise entries (same shape as the images)", x0, noise)?;
        if steps.len() != x0.ncols() {
            return Err(Error::DimensionMismatch {
                what: "diffusion steps (one per image column)",
                expected: x0.ncols(),
                got: steps.len(),
            });
        }
        let mut out = x0.clone();
        for ((mut column, noise), &t) in out.column_iter_mut().zip(noise.column_iter()).zip(steps) {
            let ab = self.alpha_bar(t)?;
            let (signal, spread) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
            column.zip_apply(&noise, |x, e| *x = signal * *x + spread * e);
        }
        Ok(out)
    }

    /// One forward step `x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) noise` at step `t` in
    /// `1..=T`, applied to every column.
    pub fn forward_step(
        &self,
        x_prev: &DMatrix<f32>,
        t: usize,
        noise: &DMatrix<f32>,
    ) -> Result<DMatrix<f32>> {
        check_same_shape("noise entries (same shape as the images)", x_prev, noise)?;
        let beta = self.beta(t)?;
        let (keep, spread) = ((1.0 - beta).sqrt() as f32, beta.sqrt() as f32);
        Ok(x_prev.zip_map(noise, |x, e| keep * x + spread * e))
    }
}

/// Errors unless `a` and `b` have the same shape.
pub(crate) fn check_same_shape(
    what: &'static str,
    a: &DMatrix<f32>,
    b: &DMatrix<f32>,
) -> Result<()> {
    if a.shape() != b.shape() {
        // Report the element counts: the shapes differ in rows, columns or both.
        return Err(Error::DimensionMismatch { what, expected: a.len(), got: b.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_count_over_the_limit_names_it() {
        let err = NoiseSchedule::linear(MAX_STEPS + 1, 1e-4, 0.02).unwrap_err();
        assert!(matches!(&err, Error::TooLarge(l) if l.limit == 100_000), "{err}");
        assert_eq!(err.to_string(), "the noise schedule declares 100001 steps (limit 100000)");
        assert_eq!(NoiseSchedule::linear(MAX_STEPS, 1e-4, 0.02).unwrap().steps(), MAX_STEPS);
    }

    #[test]
    fn linear_schedule_matches_ho_et_al() {
        let s = NoiseSchedule::linear(1000, 1e-4, 0.02).unwrap();
        assert_eq!(s.steps(), 1000);
        assert_eq!(s.beta(1).unwrap(), 1e-4);
        assert!((s.beta(1000).unwrap() - 0.02).abs() < 1e-15);
        assert_eq!(s.alpha_bar(0).unwrap(), 1.0);
        assert!((s.alpha_bar(1).unwrap() - (1.0 - 1e-4)).abs() < 1e-15);
        // Nearly all signal is gone at T: alphabar_T = exp(sum ln(1 - beta)) is about 4e-5.
        let last = s.alpha_bar(1000).unwrap();
        assert!(last > 1e-5 && last < 1e-4, "alphabar_T = {last}");
        // The posterior variance at t = 1 is zero: x_0 is known given x_1 and x_0.
        assert_eq!(s.posterior_variance(1).unwrap(), 0.0);
    }

    #[test]
    fn rejects_bad_steps_and_betas() {
        assert!(NoiseSchedule::linear(0, 1e-4, 0.02).is_err());
        assert!(NoiseSchedule::linear(10, 0.0, 0.02).is_err());
        assert!(NoiseSchedule::linear(10, 1e-4, 1.0).is_err());
        assert!(NoiseSchedule::linear(10, f64::NAN, 0.02).is_err());
        let s = NoiseSchedule::linear(10, 1e-4, 0.02).unwrap();
        assert!(s.beta(0).is_err() && s.beta(11).is_err() && s.alpha_bar(11).is_err());
        let x = DMatrix::zeros(3, 2);
        assert!(s.diffuse(&x, &[1], &x).is_err());
        assert!(s.diffuse(&x, &[1, 11], &x).is_err());
        assert!(s.forward_step(&x, 1, &DMatrix::zeros(3, 1)).is_err());
    }
}
