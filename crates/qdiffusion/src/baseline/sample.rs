//! Sampling: ancestral DDPM through all `T` steps (Ho et al., algorithm 2) and deterministic DDIM
//! (Song et al. 2021, `eta = 0`) on a subsequence of steps.
//!
//! Both samplers first estimate the clean image from the predicted noise,
//! `x0_hat = (x_t - sqrt(1 - alphabar_t) eps) / sqrt(alphabar_t)`, optionally clipped to the data
//! range [-1, 1] (Ho et al.'s code does this; it stops an early, poor estimate from throwing the
//! chain out of range). Then:
//!
//! - **ancestral**: `x_{t-1} = c0 x0_hat + c1 x_t + sigma_t z` with the posterior mean
//!   coefficients `c0 = sqrt(alphabar_{t-1}) beta_t / (1 - alphabar_t)` and
//!   `c1 = sqrt(1 - beta_t) (1 - alphabar_{t-1}) / (1 - alphabar_t)`, `z ~ N(0, I)` except at
//!   `t = 1`; without clipping this is Ho et al.'s `(x_t - beta_t / sqrt(1 - alphabar_t) eps) /
//!   sqrt(1 - beta_t)`;
//! - **DDIM** from `t` to an earlier `s`: `x_s = sqrt(alphabar_s) x0_hat + sqrt(1 - alphabar_s)
//!   eps_hat`, where `eps_hat` is the noise implied by `x_t` and the (clipped) `x0_hat`. With the
//!   true noise every `x0_hat` is the true `x_0`, so the chain returns it exactly.
//!
//! Images are processed in fixed chunks of columns, each with its own random stream seeded from
//! the caller's generator, and the chunks run in parallel: the samples depend on the seed and the
//! number of images, never on the number of threads.

use nalgebra::DMatrix;
use qrandom::distributions::standard_normal_f32;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::baseline::model::{Ddpm, to_intensities};
use crate::baseline::schedule::{NoiseSchedule, check_same_shape};
use crate::error::{Error, Result};

/// Columns per parallel sampling task: wide enough for efficient matrix products, narrow enough
/// that 2,000 images give both cores several tasks.
pub const SAMPLE_CHUNK: usize = 256;

/// Anything that predicts the noise in `x_t` (one image per column) at step `t`.
pub trait NoisePredictor: Sync {
    /// The predicted noise, same shape as `x_t`.
    fn predict_noise(&self, x_t: &DMatrix<f32>, t: usize) -> Result<DMatrix<f32>>;
}

/// The variance `sigma_t^2` of the noise added by an ancestral step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AncestralVariance {
    /// The true posterior's `beta_t (1 - alphabar_{t-1}) / (1 - alphabar_t)` (exact when `x_0`
    /// is a point).
    Posterior,
    /// `beta_t` (exact when `x_0` is standard normal); Ho et al. found both equally good.
    Beta,
}

/// A sampling method.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Sampler {
    /// Ancestral DDPM sampling through every step `T, T-1, ..., 1`.
    Ancestral {
        /// The variance of the noise added at each step.
        variance: AncestralVariance,
        /// Clip `x0_hat` to [-1, 1] at each step.
        clip_denoised: bool,
    },
    /// Ancestral sampling through `steps` evenly spaced steps (DDIM's subsequence), each jump
    /// from a visited step `t` to the next visited `s < t` taken as one ancestral step of the
    /// respaced schedule `beta' = 1 - alphabar_t / alphabar_s` (Nichol and Dhariwal's
    /// respacing): a DDPM with `steps` steps from a model trained with `T`.
    Respaced {
        /// Number of network evaluations (at most `T`).
        steps: usize,
        /// The variance of the noise added at each step.
        variance: AncestralVariance,
        /// Clip `x0_hat` to [-1, 1] at each step.
        clip_denoised: bool,
    },
    /// Deterministic DDIM (`eta = 0`) through `steps` evenly spaced steps `1 + k T / steps`.
    Ddim {
        /// Number of network evaluations (at most `T`).
        steps: usize,
        /// Clip `x0_hat` to [-1, 1] at each step.
        clip_denoised: bool,
    },
}

impl Sampler {
    /// Ancestral sampling with the defaults used for the reported figures: no clipping. Our
    /// preconditioned MLP passes nearly saturated pixels almost straight through at low noise,
    /// so clipping `x0_hat` cuts one side of their noise at every step and drags them towards
    /// grey; over 1,000 steps that bias becomes speckle (pixel FID 198 clipped, 109 unclipped
    /// on 500 samples; docs/results.md).
    pub fn ddpm() -> Self {
        Sampler::Ancestral { variance: AncestralVariance::Posterior, clip_denoised: false }
    }

    /// Respaced ancestral sampling on `steps` steps with the defaults of [`Sampler::ddpm`];
    /// `respaced(T)` visits every step, as [`Sampler::ddpm`] does.
    pub fn respaced(steps: usize) -> Self {
        Sampler::Respaced { steps, variance: AncestralVariance::Posterior, clip_denoised: false }
    }

    /// DDIM on `steps` steps with the defaults used for the reported figures (no clipping, as
    /// [`Sampler::ddpm`]).
    pub fn ddim(steps: usize) -> Self {
        Sampler::Ddim { steps, clip_denoised: false }
    }

    /// The steps the sampler visits, latest first, for a schedule of `total` steps.
    ///
    /// DDIM uses `1 + k * total / steps` for `k = steps-1, ..., 0` (Song et al.'s "uniform"
    /// subsequence, as in their code): the last network call is at `t = 1`, where the remaining
    /// noise is smallest, and the first at `1 + total - total / steps`, where the signal left
    /// (`sqrt(alphabar)` about 0.008 for the default schedule) is negligible.
    pub fn timesteps(&self, total: usize) -> Result<Vec<usize>> {
        match *self {
            Sampler::Ancestral { .. } => Ok((1..=total).rev().collect()),
            Sampler::Ddim { steps, .. } | Sampler::Respaced { steps, .. } => {
                if steps == 0 || steps > total {
                    return Err(Error::InvalidConfig {
                        reason: format!("DDIM or respacing needs 1 to {total} steps, got {steps}"),
                    });
                }
                Ok((0..steps).rev().map(|k| 1 + k * total / steps).collect())
            }
        }
    }

    fn clips(&self) -> bool {
        match *self {
            Sampler::Ancestral { clip_denoised, .. }
            | Sampler::Respaced { clip_denoised, .. }
            | Sampler::Ddim { clip_denoised, .. } => clip_denoised,
        }
    }
}

/// `x0_hat` from `x_t` and predicted noise `eps` at step `t` (in place into `x_t`'s copy).
fn estimate_x0(
    schedule: &NoiseSchedule,
    x_t: &DMatrix<f32>,
    eps: &DMatrix<f32>,
    t: usize,
    clip: bool,
) -> Result<DMatrix<f32>> {
    check_same_shape("predicted noise entries (same shape as x_t)", x_t, eps)?;
    let ab = schedule.alpha_bar(t)?;
    let (inv_signal, spread) = ((1.0 / ab.sqrt()) as f32, (1.0 - ab).sqrt() as f32);
    Ok(x_t.zip_map(eps, |x, e| {
        let x0 = inv_signal * (x - spread * e);
        if clip { x0.clamp(-1.0, 1.0) } else { x0 }
    }))
}

/// One deterministic DDIM step (`eta = 0`) from step `t` to the earlier step `s` (`0 <= s < t`).
pub fn ddim_step(
    schedule: &NoiseSchedule,
    x_t: &DMatrix<f32>,
    eps: &DMatrix<f32>,
    t: usize,
    s: usize,
    clip_denoised: bool,
) -> Result<DMatrix<f32>> {
    if s >= t {
        return Err(Error::InvalidConfig {
            reason: format!("a DDIM step goes to an earlier step, got {t} -> {s}"),
        });
    }
    let x0 = estimate_x0(schedule, x_t, eps, t, clip_denoised)?;
    let (ab_t, ab_s) = (schedule.alpha_bar(t)?, schedule.alpha_bar(s)?);
    let (signal_t, inv_spread_t) = (ab_t.sqrt() as f32, (1.0 / (1.0 - ab_t).sqrt()) as f32);
    let (signal_s, spread_s) = (ab_s.sqrt() as f32, (1.0 - ab_s).sqrt() as f32);
    let mut out = x0;
    out.zip_apply(x_t, |x0, x| {
        // The noise consistent with x_t and the (possibly clipped) x0_hat; equal to eps without
        // clipping.
        let e = inv_spread_t * (x - signal_t * *x0);
        *x0 = signal_s * *x0 + spread_s * e;
    });
    Ok(out)
}

/// One ancestral step from `t` to `t - 1`; `noise` (standard normal, same shape) is ignored at
/// `t = 1`, where the step returns `x0_hat`.
pub fn ancestral_step(
    schedule: &NoiseSchedule,
    x_t: &DMatrix<f32>,
    eps: &DMatrix<f32>,
    t: usize,
    noise: &DMatrix<f32>,
    variance: AncestralVariance,
    clip_denoised: bool,
) -> Result<DMatrix<f32>> {
    check_same_shape("noise entries (same shape as x_t)", x_t, noise)?;
    let x0 = estimate_x0(schedule, x_t, eps, t, clip_denoised)?;
    let beta = schedule.beta(t)?;
    let (ab_t, ab_prev) = (schedule.alpha_bar(t)?, schedule.alpha_bar(t - 1)?);
    let c0 = (ab_prev.sqrt() * beta / (1.0 - ab_t)) as f32;
    let c1 = ((1.0 - beta).sqrt() * (1.0 - ab_prev) / (1.0 - ab_t)) as f32;
    let sigma = if t == 1 {
        0.0
    } else {
        match variance {
            AncestralVariance::Posterior => schedule.posterior_variance(t)?.sqrt() as f32,
            AncestralVariance::Beta => beta.sqrt() as f32,
        }
    };
    let mut out = x0;
    for ((o, &x), &z) in out.iter_mut().zip(x_t.iter()).zip(noise.iter()) {
        *o = c0 * *o + c1 * x + sigma * z;
    }
    Ok(out)
}

/// One ancestral step of the respaced schedule from step `t` to the earlier step `s`: with
/// `beta' = 1 - alphabar_t / alphabar_s`, the step of [`ancestral_step`] with `beta'` in place
/// of `beta_t` and `alphabar_s` in place of `alphabar_{t-1}` (for `s = t - 1` it is that step).
/// `noise` is ignored at `s = 0`, where the step returns `x0_hat`.
#[allow(clippy::too_many_arguments)]
pub fn respaced_step(
    schedule: &NoiseSchedule,
    x_t: &DMatrix<f32>,
    eps: &DMatrix<f32>,
    t: usize,
    s: usize,
    noise: &DMatrix<f32>,
    variance: AncestralVariance,
    clip_denoised: bool,
) -> Result<DMatrix<f32>> {
    if s >= t {
        return Err(Error::InvalidConfig {
            reason: format!("an ancestral step goes to an earlier step, got {t} -> {s}"),
        });
    }
    if s + 1 == t {
        return ancestral_step(schedule, x_t, eps, t, noise, variance, clip_denoised);
    }
    check_same_shape("noise entries (same shape as x_t)", x_t, noise)?;
    let x0 = estimate_x0(schedule, x_t, eps, t, clip_denoised)?;
    let (ab_t, ab_s) = (schedule.alpha_bar(t)?, schedule.alpha_bar(s)?);
    let beta = 1.0 - ab_t / ab_s;
    let c0 = (ab_s.sqrt() * beta / (1.0 - ab_t)) as f32;
    let c1 = ((1.0 - beta).sqrt() * (1.0 - ab_s) / (1.0 - ab_t)) as f32;
    let sigma = if s == 0 {
        0.0
    } else {
        match variance {
            AncestralVariance::Posterior => (beta * (1.0 - ab_s) / (1.0 - ab_t)).sqrt() as f32,
            AncestralVariance::Beta => beta.sqrt() as f32,
        }
    };
    let mut out = x0;
    for ((o, &x), &z) in out.iter_mut().zip(x_t.iter()).zip(noise.iter()) {
        *o = c0 * *o + c1 * x + sigma * z;
    }
    Ok(out)
}

/// Runs `sampler` from `x_start` (the noise at the sampler's first step, one column per sample,
/// 784 rows for pixels) down to `x_0`, returned unclamped in the model's range [-1, 1].
///
/// `rng` seeds one stream per chunk of [`SAMPLE_CHUNK`] columns (DDIM draws nothing from them).
pub fn denoise(
    predictor: &impl NoisePredictor,
    schedule: &NoiseSchedule,
    x_start: &DMatrix<f32>,
    sampler: Sampler,
    rng: &mut impl Rng,
) -> Result<DMatrix<f32>> {
    let steps = sampler.timesteps(schedule.steps())?;
    let n = x_start.ncols();
    let starts: Vec<usize> = (0..n).step_by(SAMPLE_CHUNK).collect();
    let seeds: Vec<u64> = starts.iter().map(|_| rng.next_u64()).collect();
    let clip = sampler.clips();
    let parts: Vec<DMatrix<f32>> = starts
        .par_iter()
        .zip(&seeds)
        .map(|(&start, &seed)| {
            let mut chunk_rng = ChaCha8Rng::seed_from_u64(seed);
            let mut x = x_start.columns(start, SAMPLE_CHUNK.min(n - start)).into_owned();
            for (i, &t) in steps.iter().enumerate() {
                let eps = predictor.predict_noise(&x, t)?;
                x = match sampler {
                    Sampler::Ddim { .. } => {
                        let s = steps.get(i + 1).copied().unwrap_or(0);
                        ddim_step(schedule, &x, &eps, t, s, clip)?
                    }
                    Sampler::Ancestral { variance, .. } => {
                        let noise = if t > 1 {
                            DMatrix::from_fn(x.nrows(), x.ncols(), |_, _| {
                                standard_normal_f32(&mut chunk_rng)
                            })
                        } else {
                            DMatrix::zeros(x.nrows(), x.ncols())
                        };
                        ancestral_step(schedule, &x, &eps, t, &noise, variance, clip)?
                    }
                    Sampler::Respaced { variance, .. } => {
                        let s = steps.get(i + 1).copied().unwrap_or(0);
                        let noise = if s > 0 {
                            DMatrix::from_fn(x.nrows(), x.ncols(), |_, _| {
                                standard_normal_f32(&mut chunk_rng)
                            })
                        } else {
                            DMatrix::zeros(x.nrows(), x.ncols())
                        };
                        respaced_step(schedule, &x, &eps, t, s, &noise, variance, clip)?
                    }
                };
            }
            Ok(x)
        })
        .collect::<Result<_>>()?;
    let mut out = DMatrix::zeros(x_start.nrows(), n);
    for (&start, part) in starts.iter().zip(&parts) {
        out.columns_mut(start, part.ncols()).copy_from(part);
    }
    Ok(out)
}

impl Ddpm {
    /// Draws `n` images with `sampler` from a model trained on images: 784 x `n` intensities in
    /// [0, 1] (clamped), one per column.
    ///
    /// The initial noise and every later draw come from `rng`; DDIM is deterministic given the
    /// initial noise (see [`denoise`] to supply it).
    pub fn sample(&self, n: usize, sampler: Sampler, rng: &mut impl Rng) -> Result<DMatrix<f32>> {
        Ok(to_intensities(&self.sample_model_range(n, sampler, rng)?))
    }

    /// Draws `n` samples with `sampler` in the model's range, unclamped:
    /// [`data_dim`](Ddpm::data_dim) x `n`, one per column (for data other than images, such as
    /// latent features); [`sample`](Self::sample) is this mapped to intensities.
    pub fn sample_model_range(
        &self,
        n: usize,
        sampler: Sampler,
        rng: &mut impl Rng,
    ) -> Result<DMatrix<f32>> {
        let x_start = DMatrix::from_fn(self.data_dim(), n, |_, _| standard_normal_f32(rng));
        denoise(self, self.schedule(), &x_start, sampler, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddim_visits_evenly_spaced_steps_down_to_one() {
        let s = Sampler::ddim(50).timesteps(1000).unwrap();
        assert_eq!(s.len(), 50);
        assert_eq!((s[0], s[1], s[48], s[49]), (981, 961, 21, 1));
        assert_eq!(Sampler::ddpm().timesteps(3).unwrap(), vec![3, 2, 1]);
        assert!(Sampler::ddim(0).timesteps(10).is_err());
        assert!(Sampler::ddim(11).timesteps(10).is_err());
        assert_eq!(Sampler::ddim(10).timesteps(10).unwrap(), (1..=10).rev().collect::<Vec<_>>());
    }

    #[test]
    fn respaced_steps_are_ancestral_steps_of_the_respaced_schedule() {
        let schedule = NoiseSchedule::linear(100, 1e-4, 0.02).unwrap();
        let x = DMatrix::from_fn(4, 3, |r, c| (r as f32 - 1.5) * 0.7 + c as f32 * 0.2);
        let eps = DMatrix::from_fn(4, 3, |r, c| ((r * 3 + c) as f32 * 0.9).sin());
        let noise = DMatrix::from_fn(4, 3, |r, c| ((r * 5 + c) as f32 * 0.4).cos());
        let v = AncestralVariance::Posterior;
        // One step apart: exactly the ancestral step.
        let a = respaced_step(&schedule, &x, &eps, 40, 39, &noise, v, false).unwrap();
        assert_eq!(a, ancestral_step(&schedule, &x, &eps, 40, &noise, v, false).unwrap());
        // A jump t -> s with the true noise and no added noise lands on the posterior mean,
        // sqrt(alphabar_s) x0 + sqrt(1 - alphabar_s - sigma^2) eps (DDPM's marginal at s).
        let x0 = DMatrix::from_fn(4, 3, |r, c| ((r + 2 * c) as f32 * 0.3).sin());
        let (ab_t, ab_s) = (schedule.alpha_bar(40).unwrap(), schedule.alpha_bar(20).unwrap());
        let x_t =
            x0.zip_map(&eps, |a, e| (ab_t.sqrt() as f32) * a + ((1.0 - ab_t).sqrt() as f32) * e);
        let zero = DMatrix::zeros(4, 3);
        let jump = respaced_step(&schedule, &x_t, &eps, 40, 20, &zero, v, false).unwrap();
        let sigma2 = (1.0 - ab_t / ab_s) * (1.0 - ab_s) / (1.0 - ab_t);
        let (signal, spread) = (ab_s.sqrt() as f32, (1.0 - ab_s - sigma2).sqrt() as f32);
        for ((p, a), e) in jump.iter().zip(x0.iter()).zip(eps.iter()) {
            assert!((p - (signal * a + spread * e)).abs() < 1e-5, "{p}");
        }
        assert!(respaced_step(&schedule, &x, &eps, 20, 20, &noise, v, false).is_err());
        let visited = Sampler::respaced(4).timesteps(100).unwrap();
        assert_eq!(visited, Sampler::ddim(4).timesteps(100).unwrap());
    }

    #[test]
    fn unclipped_ancestral_mean_is_ho_et_al_eps_form() {
        let schedule = NoiseSchedule::linear(100, 1e-4, 0.02).unwrap();
        let x = DMatrix::from_fn(4, 3, |r, c| (r as f32 - 1.5) * 0.7 + c as f32 * 0.2);
        let eps = DMatrix::from_fn(4, 3, |r, c| ((r * 3 + c) as f32 * 0.9).sin());
        let zero = DMatrix::zeros(4, 3);
        for t in [2, 37, 100] {
            let ours =
                ancestral_step(&schedule, &x, &eps, t, &zero, AncestralVariance::Posterior, false)
                    .unwrap();
            let beta = schedule.beta(t).unwrap();
            let ab = schedule.alpha_bar(t).unwrap();
            let k = (beta / (1.0 - ab).sqrt()) as f32;
            let scale = (1.0 / (1.0 - beta).sqrt()) as f32;
            let ho = x.zip_map(&eps, |x, e| scale * (x - k * e));
            for (a, b) in ours.iter().zip(ho.iter()) {
                assert!((a - b).abs() < 1e-5, "t = {t}: {a} vs {b}");
            }
        }
    }
}
