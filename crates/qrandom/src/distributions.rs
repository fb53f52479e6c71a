//! Draws from the distributions the workspace uses.
//!
//! The `f64` draws are defined here bit by bit (not delegated to `rand`'s generic
//! implementations) because their exact values are part of what a seed reproduces: the Haar
//! seeds of diffusion sampling, the outcomes of trajectories and shots, the initial angles.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// A uniform draw in `[0, 1)`: the top 53 bits of one `u64`, so every value is a multiple of
/// `2^-53` and exactly representable.
pub fn uniform<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw in `f64` (Box-Muller on two uniform draws, the cosine branch).
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = 1.0 - uniform(rng); // in (0, 1], so the logarithm is finite
    let u2 = uniform(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A standard normal draw in `f32` (the ziggurat method of `rand_distr`): the noise of the
/// classical networks, where millions of draws per epoch make speed matter more than a
/// hand-written definition.
pub fn standard_normal_f32<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    StandardNormal.sample(rng)
}

/// Draws an index with probability proportional to `weights` (non-negative, with a positive
/// sum): one uniform draw, scaled by the total and walked down the weights.
///
/// Rounding can leave the scaled draw at the very top of the last interval; it then goes to the
/// last index with a positive weight, never to one with weight zero. All-zero weights give 0.
pub fn weighted_index<R: Rng + ?Sized>(weights: &[f64], rng: &mut R) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = uniform(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn uniform_spans_the_unit_interval_in_steps_of_two_to_the_minus_53() {
        struct Fixed(u64);
        impl rand::TryRng for Fixed {
            type Error = std::convert::Infallible;
            fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
                Ok(self.0 as u32)
            }
            fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
                Ok(self.0)
            }
            fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
                Ok(())
            }
        }
        assert_eq!(uniform(&mut Fixed(0)), 0.0);
        assert_eq!(uniform(&mut Fixed(1 << 11)), 2f64.powi(-53));
        assert_eq!(uniform(&mut Fixed(u64::MAX)), 1.0 - 2f64.powi(-53));
    }

    #[test]
    fn normal_draws_have_unit_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let n = 200_000;
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for _ in 0..n {
            let x = standard_normal(&mut rng);
            sum += x;
            sum_sq += x * x;
        }
        let mean = sum / n as f64;
        let variance = sum_sq / n as f64 - mean * mean;
        // Standard errors: 1/sqrt(n) = 0.0022 for the mean, sqrt(2/n) = 0.0032 for the variance.
        assert!(mean.abs() < 0.011, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.016, "variance {variance}");
        let m32 = (0..n).map(|_| f64::from(standard_normal_f32(&mut rng))).sum::<f64>() / n as f64;
        assert!(m32.abs() < 0.011, "f32 mean {m32}");
    }

    #[test]
    fn weighted_index_follows_the_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let weights = [0.1, 0.0, 0.6, 0.3];
        let n = 100_000;
        let mut counts = [0usize; 4];
        for _ in 0..n {
            counts[weighted_index(&weights, &mut rng)] += 1;
        }
        assert_eq!(counts[1], 0, "a zero weight is never drawn");
        for (c, w) in counts.iter().zip(weights) {
            // Five binomial standard errors.
            let tolerance = 5.0 * (w * (1.0 - w) / n as f64).sqrt();
            assert!((*c as f64 / n as f64 - w).abs() <= tolerance + 1e-12, "{counts:?}");
        }
    }

    proptest! {
        #[test]
        fn weighted_index_never_returns_a_zero_weight(
            weights in prop::collection::vec(prop_oneof![Just(0.0), 1e-300..1e3f64], 1..12),
            seed in any::<u64>(),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0.0));
            let i = weighted_index(&weights, &mut ChaCha8Rng::seed_from_u64(seed));
            prop_assert!(i < weights.len());
            prop_assert!(weights[i] > 0.0);
        }
    }
}
