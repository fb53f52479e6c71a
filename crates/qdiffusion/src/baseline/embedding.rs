//! The sinusoidal timestep embedding of the noise predictor (Vaswani et al. 2017, as used by
//! Ho et al. 2020).
//!
//! Step `t` becomes `dim` features: `sin(t w_i)` in the first half and `cos(t w_i)` in the second,
//! with frequencies `w_i = 10000^(-i / (dim / 2))` running geometrically from 1 down to 1/10000
//! radians per step. The low frequencies say roughly where in the chain a step is, the high ones
//! tell neighbouring steps apart; every feature lies in [-1, 1], the same scale as the pixels.

use qfile::OverLimit;

use crate::error::{Error, Result};

/// The largest wavelength scale of the frequency ladder (the Transformer's choice).
const MAX_PERIOD: f64 = 10_000.0;

/// The widest timestep embedding [`timestep_embedding`] builds: 65 536 features, hundreds of
/// times the widths in use, so a damaged model file cannot make it allocate without bound.
pub const MAX_EMBEDDING_DIM: usize = 1 << 16;

/// The `dim` features of step `t` (`dim` even, positive and at most [`MAX_EMBEDDING_DIM`]).
pub fn timestep_embedding(t: usize, dim: usize) -> Result<Vec<f32>> {
    if dim == 0 || dim % 2 != 0 {
        return Err(Error::InvalidConfig {
            reason: format!("the timestep embedding needs a positive even dimension, got {dim}"),
        });
    }
    let what = || "the timestep embedding declares".into();
    OverLimit::check(what, dim as u64, "features", MAX_EMBEDDING_DIM as u64)?;
    let half = dim / 2;
    let mut out = vec![0.0; dim];
    for i in 0..half {
        // f64 for the phase: t w_i reaches 1000 radians, where f32 keeps only 4 decimal digits.
        let frequency = MAX_PERIOD.powf(-(i as f64) / half as f64);
        let (s, c) = (t as f64 * frequency).sin_cos();
        out[i] = s as f32;
        out[half + i] = c as f32;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_width_over_the_limit_names_it() {
        let err = timestep_embedding(3, usize::MAX - 1).unwrap_err();
        assert!(matches!(&err, Error::TooLarge(l) if l.limit == MAX_EMBEDDING_DIM as u64));
        assert!(err.to_string().ends_with("features (limit 65536)"), "{err}");
        assert_eq!(timestep_embedding(3, MAX_EMBEDDING_DIM).unwrap().len(), MAX_EMBEDDING_DIM);
    }

    #[test]
    fn features_are_bounded_and_tell_steps_apart() {
        let a = timestep_embedding(10, 32).unwrap();
        let b = timestep_embedding(11, 32).unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.iter().all(|v| v.abs() <= 1.0));
        // The first frequency is 1 rad per step: sin(10) and cos(10).
        assert!((a[0] - 10f32.sin()).abs() < 1e-6 && (a[16] - 10f32.cos()).abs() < 1e-6);
        let distance: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum();
        assert!(distance > 0.1);
        assert!(timestep_embedding(1, 0).is_err() && timestep_embedding(1, 7).is_err());
    }
}
