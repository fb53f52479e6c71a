//! Data augmentation: small random affine distortions (shift, rotation, scale) of digit images.
//!
//! The held-out digits are drawn, centred and scaled a little differently from the training
//! ones; showing the classifier slightly moved, turned and resized copies of its 8,000 training
//! images every epoch is what lets a plain MLP reach the accuracy target (see `classifier`).

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::dataset::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::error::{Error, Result};

/// Ranges of the random affine distortion; each parameter is drawn uniformly in `+-max`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Augmentation {
    /// Largest translation along each axis, in pixels (sub-pixel shifts are interpolated).
    pub max_shift: f32,
    /// Largest rotation, in degrees.
    pub max_rotation_degrees: f32,
    /// Largest relative change of scale (0.1 = from 90% to 110%).
    pub max_scale: f32,
}

impl Default for Augmentation {
    fn default() -> Self {
        Augmentation { max_shift: 2.0, max_rotation_degrees: 10.0, max_scale: 0.1 }
    }
}

impl Augmentation {
    /// No distortion: images pass through unchanged.
    pub fn none() -> Self {
        Augmentation { max_shift: 0.0, max_rotation_degrees: 0.0, max_scale: 0.0 }
    }

    /// Checks that every range is finite and usable.
    pub fn validate(&self) -> Result<()> {
        let fields = [
            ("augmentation.max_shift", self.max_shift, 14.0),
            ("augmentation.max_rotation_degrees", self.max_rotation_degrees, 180.0),
            ("augmentation.max_scale", self.max_scale, 0.9),
        ];
        for (field, v, max) in fields {
            if !v.is_finite() || !(0.0..=max).contains(&v) {
                return Err(Error::InvalidConfig {
                    field,
                    reason: format!("{v} is not in [0, {max}]"),
                });
            }
        }
        Ok(())
    }

    /// Whether every range is zero.
    pub fn is_identity(&self) -> bool {
        self.max_shift == 0.0 && self.max_rotation_degrees == 0.0 && self.max_scale == 0.0
    }

    /// Writes a randomly distorted copy of `image` (784 bytes) to `out` (784 intensities in
    /// [0, 1]), drawing the distortion from `rng`.
    pub fn apply(&self, image: &[u8], out: &mut [f32], rng: &mut impl Rng) -> Result<()> {
        for (what, len) in [("image pixels", image.len()), ("output pixels", out.len())] {
            if len != IMAGE_PIXELS {
                return Err(Error::DimensionMismatch { what, expected: IMAGE_PIXELS, got: len });
            }
        }
        if self.is_identity() {
            for (o, &p) in out.iter_mut().zip(image) {
                *o = f32::from(p) / 255.0;
            }
            return Ok(());
        }
        let mut uniform = |max: f32| if max > 0.0 { rng.random_range(-max..=max) } else { 0.0 };
        let (dx, dy) = (uniform(self.max_shift), uniform(self.max_shift));
        let angle = uniform(self.max_rotation_degrees).to_radians();
        let scale = 1.0 + uniform(self.max_scale);
        warp(image, out, dx, dy, angle, scale);
        Ok(())
    }
}

/// Inverse-maps every output pixel through the affine map (about the image centre) and samples
/// the source bilinearly, with zero (background) outside the image.
fn warp(image: &[u8], out: &mut [f32], dx: f32, dy: f32, angle: f32, scale: f32) {
    let centre = (IMAGE_SIDE as f32 - 1.0) / 2.0;
    let (sin, cos) = angle.sin_cos();
    let pixel = |r: isize, c: isize| -> f32 {
        if r < 0 || c < 0 || r >= IMAGE_SIDE as isize || c >= IMAGE_SIDE as isize {
            0.0
        } else {
            f32::from(image[r as usize * IMAGE_SIDE + c as usize]) / 255.0
        }
    };
    for r in 0..IMAGE_SIDE {
        for c in 0..IMAGE_SIDE {
            // Output offset from the centre, undo the shift, then the rotation and the scale.
            let (u, v) = (c as f32 - centre - dx, r as f32 - centre - dy);
            let sx = (cos * u + sin * v) / scale + centre;
            let sy = (-sin * u + cos * v) / scale + centre;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            out[r * IMAGE_SIDE + c] = (1.0 - fy)
                * ((1.0 - fx) * pixel(y0, x0) + fx * pixel(y0, x0 + 1))
                + fy * ((1.0 - fx) * pixel(y0 + 1, x0) + fx * pixel(y0 + 1, x0 + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn identity_warp_reproduces_the_image() {
        let image: Vec<u8> = (0..IMAGE_PIXELS).map(|i| (i % 251) as u8).collect();
        let mut out = vec![0.0; IMAGE_PIXELS];
        warp(&image, &mut out, 0.0, 0.0, 0.0, 1.0);
        for (o, &p) in out.iter().zip(&image) {
            assert!((o - f32::from(p) / 255.0).abs() < 1e-6);
        }
    }

    #[test]
    fn integer_shift_moves_pixels() {
        let mut image = vec![0u8; IMAGE_PIXELS];
        image[10 * IMAGE_SIDE + 10] = 255;
        let mut out = vec![0.0; IMAGE_PIXELS];
        warp(&image, &mut out, 2.0, -1.0, 0.0, 1.0);
        assert!((out[9 * IMAGE_SIDE + 12] - 1.0).abs() < 1e-5);
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn random_distortion_is_seeded() {
        let image: Vec<u8> = (0..IMAGE_PIXELS).map(|i| (i * 3 % 256) as u8).collect();
        let aug = Augmentation::default();
        let (mut a, mut b) = (vec![0.0; IMAGE_PIXELS], vec![0.0; IMAGE_PIXELS]);
        aug.apply(&image, &mut a, &mut ChaCha8Rng::seed_from_u64(9)).unwrap();
        aug.apply(&image, &mut b, &mut ChaCha8Rng::seed_from_u64(9)).unwrap();
        assert!(aug.apply(&image[1..], &mut b, &mut ChaCha8Rng::seed_from_u64(9)).is_err());
        assert_eq!(a, b);
        assert!(Augmentation { max_shift: f32::NAN, ..aug }.validate().is_err());
    }
}
