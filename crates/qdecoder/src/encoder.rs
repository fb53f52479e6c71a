//! Encoders from images to 10-qubit states (the encodings are described in `docs/model.md`).
//!
//! - [`Encoder::Pca`] and [`Encoder::Learned`] are the **latent** encodings: each image becomes a
//!   product state, one angle pair `(theta_q, phi_q)` per qubit. The PCA encoder maps the top
//!   standardised principal components through a logistic squashing to angles; the learned one is
//!   a network trained end to end with its decoder ([`crate::autoencoder`]).
//! - [`Encoder::Amplitude`] is the **amplitude** encoding: the image padded to 32 x 32 = 1024
//!   pixels with `a_k = sqrt(x_k / sum x)`, so its Born distribution is the normalised image.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::dataset::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::error::{Error, Result};
use crate::nn::layer::{Layer, sigmoid};
use crate::nn::network::Sequential;
use crate::pca::Pca;
use crate::state::{ProductState, QubitAngles, check_qubits};
use crate::statistics::{Statistics, StatisticsKind};

/// Qubits of the amplitude encoding (2^10 = 1024 = 32 x 32 pixels).
pub const AMPLITUDE_QUBITS: usize = 10;

/// Side of the padded image of the amplitude encoding.
pub const AMPLITUDE_SIDE: usize = 32;

/// Scale that makes the logistic function approximate the standard normal CDF.
const LOGISTIC_SCALE: f32 = 1.702;

/// PCA coordinates squashed to Bloch angles.
///
/// Qubit `q` gets `theta_q = pi * s(1.702 z_q)` from the `q`-th standardised component `z_q`,
/// `s` the logistic function (close to the normal CDF, so `theta` spreads evenly over `(0, pi)` on
/// the data). With `phase` on, `phi_q = pi * (2 s(1.702 z_{n+q}) - 1)` carries component `n + q`;
/// otherwise `phi_q = 0` (the real-amplitude encoding of the feasibility study). The strongest
/// components sit in `theta`, the part a computational-basis measurement sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PcaEncoderRecord", into = "PcaEncoderRecord")]
pub struct PcaEncoder {
    pca: Pca,
    num_qubits: usize,
    phase: bool,
}

/// The serialised form of [`PcaEncoder`], checked on load.
#[derive(Serialize, Deserialize)]
struct PcaEncoderRecord {
    pca: Pca,
    num_qubits: u32,
    phase: bool,
}

impl From<PcaEncoder> for PcaEncoderRecord {
    fn from(e: PcaEncoder) -> Self {
        PcaEncoderRecord { pca: e.pca, num_qubits: e.num_qubits as u32, phase: e.phase }
    }
}

impl TryFrom<PcaEncoderRecord> for PcaEncoder {
    type Error = Error;

    fn try_from(r: PcaEncoderRecord) -> Result<Self> {
        let n = r.num_qubits as usize;
        check_qubits(n)?;
        let components = if r.phase { 2 * n } else { n };
        if r.pca.dim() != IMAGE_PIXELS || r.pca.components() != components {
            return Err(Error::InvalidModel {
                reason: format!(
                    "a PCA encoder of {n} qubits needs {components} components of 784 pixels, has {} of {}",
                    r.pca.components(),
                    r.pca.dim()
                ),
            });
        }
        Ok(PcaEncoder { pca: r.pca, num_qubits: n, phase: r.phase })
    }
}

impl PcaEncoder {
    /// Fits the PCA on `images` (784 x N intensities) for `num_qubits` qubits, with or without
    /// the phase angles.
    pub fn fit(images: &DMatrix<f32>, num_qubits: usize, phase: bool) -> Result<Self> {
        check_qubits(num_qubits)?;
        let components = if phase { 2 * num_qubits } else { num_qubits };
        Ok(PcaEncoder { pca: Pca::fit(images, components)?, num_qubits, phase })
    }

    /// The fitted PCA.
    pub fn pca(&self) -> &Pca {
        &self.pca
    }

    /// Whether the phase angles carry components.
    pub fn phase(&self) -> bool {
        self.phase
    }

    fn encode(&self, images: &DMatrix<f32>) -> Result<Vec<ProductState>> {
        let z = self.pca.project(images)?;
        let n = self.num_qubits;
        z.column_iter()
            .map(|col| {
                let angles = (0..n)
                    .map(|q| QubitAngles {
                        theta: f64::from(std::f32::consts::PI * sigmoid(LOGISTIC_SCALE * col[q])),
                        phi: if self.phase {
                            f64::from(
                                std::f32::consts::PI
                                    * (2.0 * sigmoid(LOGISTIC_SCALE * col[n + q]) - 1.0),
                            )
                        } else {
                            0.0
                        },
                    })
                    .collect();
                ProductState::new(angles)
            })
            .collect()
    }

    /// Inverts the angle map and the PCA: the PCA reconstruction of the encoded image (a
    /// closed-form decoder to compare learned decoders with).
    pub fn reconstruct(&self, states: &[ProductState]) -> Result<DMatrix<f32>> {
        let n = self.num_qubits;
        let logit = |s: f64| -> f32 {
            let s = s.clamp(1e-6, 1.0 - 1e-6);
            ((s / (1.0 - s)).ln() as f32) / LOGISTIC_SCALE
        };
        let mut z = DMatrix::zeros(self.pca.components(), states.len());
        for (mut col, state) in z.column_iter_mut().zip(states) {
            if state.num_qubits() != n {
                return Err(Error::DimensionMismatch {
                    what: "qubits of a state to reconstruct",
                    expected: n,
                    got: state.num_qubits(),
                });
            }
            for (q, a) in state.qubits().iter().enumerate() {
                // Canonical angles: theta in [0, pi], phi in (-pi, pi].
                let c = QubitAngles::from_bloch_vector(a.bloch_vector());
                col[q] = logit(c.theta / std::f64::consts::PI);
                if self.phase {
                    col[n + q] = logit((c.phi / std::f64::consts::PI + 1.0) / 2.0);
                }
            }
        }
        self.pca.reconstruct(&z)
    }
}

/// A network from images to per-qubit Bloch vectors (its last layer is [`Layer::Bloch`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Sequential", into = "Sequential")]
pub struct LearnedEncoder {
    network: Sequential,
}

impl From<LearnedEncoder> for Sequential {
    fn from(e: LearnedEncoder) -> Self {
        e.network
    }
}

impl TryFrom<Sequential> for LearnedEncoder {
    type Error = Error;

    fn try_from(network: Sequential) -> Result<Self> {
        LearnedEncoder::new(network)
    }
}

impl LearnedEncoder {
    /// Wraps a network taking 784 pixels and ending in a [`Layer::Bloch`].
    pub fn new(network: Sequential) -> Result<Self> {
        if network.input_dim() != IMAGE_PIXELS
            || !matches!(network.layers().last(), Some(Layer::Bloch))
        {
            return Err(Error::InvalidModel {
                reason: "a learned encoder takes 784 pixels and ends in a Bloch layer".into(),
            });
        }
        check_qubits(network.output_dim() / 3)?;
        Ok(LearnedEncoder { network })
    }

    /// The network (pixels to Bloch vectors).
    pub fn network(&self) -> &Sequential {
        &self.network
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.network.output_dim() / 3
    }

    /// Bloch vectors `[X_0, Y_0, Z_0, X_1, ...]` of images, one column per image.
    pub fn bloch_vectors(&self, images: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.network.predict(images)
    }
}

/// An encoder from images to states of [`Encoder::num_qubits`] qubits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Encoder {
    /// PCA components squashed to angles.
    Pca(PcaEncoder),
    /// A learned network to angles.
    Learned(LearnedEncoder),
    /// Pixels as amplitudes (not a product state).
    Amplitude,
}

impl Checkpoint for Encoder {
    const FORMAT: qfile::Format = crate::checkpoint::ENCODER_FORMAT;
}

fn check_images(images: &DMatrix<f32>) -> Result<()> {
    if images.nrows() != IMAGE_PIXELS {
        return Err(Error::DimensionMismatch {
            what: "image rows (784 pixels per column)",
            expected: IMAGE_PIXELS,
            got: images.nrows(),
        });
    }
    if images.iter().any(|v| !v.is_finite()) {
        return Err(Error::NonFinite { what: "images" });
    }
    Ok(())
}

impl Encoder {
    /// Number of qubits of the encoded states.
    pub fn num_qubits(&self) -> usize {
        match self {
            Encoder::Pca(p) => p.num_qubits,
            Encoder::Learned(l) => l.num_qubits(),
            Encoder::Amplitude => AMPLITUDE_QUBITS,
        }
    }

    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Encoder::Pca(p) if p.phase => "PCA -> (theta, phi)",
            Encoder::Pca(_) => "PCA -> theta",
            Encoder::Learned(_) => "learned (autoencoder)",
            Encoder::Amplitude => "amplitude",
        }
    }

    /// The product state of each image (784 x N intensities in [0, 1]), with canonical angles.
    ///
    /// Errors with [`Error::NotAProductEncoding`] for the amplitude encoding.
    pub fn encode(&self, images: &DMatrix<f32>) -> Result<Vec<ProductState>> {
        check_images(images)?;
        match self {
            Encoder::Pca(p) => p.encode(images),
            Encoder::Learned(l) => {
                let bloch = l.bloch_vectors(images)?;
                bloch
                    .column_iter()
                    .map(|col| {
                        let angles = col
                            .as_slice()
                            .chunks_exact(3)
                            .map(|v| {
                                QubitAngles::from_bloch_vector([
                                    f64::from(v[0]),
                                    f64::from(v[1]),
                                    f64::from(v[2]),
                                ])
                            })
                            .collect();
                        ProductState::new(angles)
                    })
                    .collect()
            }
            Encoder::Amplitude => Err(Error::NotAProductEncoding),
        }
    }

    /// The exact statistics of `kind` of each image's encoded state.
    pub fn statistics(
        &self,
        images: &DMatrix<f32>,
        kind: StatisticsKind,
    ) -> Result<Vec<Statistics>> {
        check_images(images)?;
        match self {
            Encoder::Amplitude => images
                .column_iter()
                .map(|col| {
                    let a = amplitude_state(col.as_slice())?;
                    Ok(match kind {
                        StatisticsKind::Born => Statistics::Born(a.iter().map(|v| v * v).collect()),
                        StatisticsKind::Bloch => Statistics::Bloch(real_state_bloch_vectors(&a)),
                    })
                })
                .collect(),
            _ => Ok(self.encode(images)?.iter().map(|s| Statistics::exact(s, kind)).collect()),
        }
    }
}

/// The amplitude encoding of one image (784 intensities): 1024 real, non-negative amplitudes
/// `sqrt(x_k / sum x)` of the image padded to 32 x 32 (2 background pixels on every side),
/// index `k = 32 * row + column`, so qubits 0-4 address the column and qubits 5-9 the row.
pub fn amplitude_state(image: &[f32]) -> Result<Vec<f64>> {
    if image.len() != IMAGE_PIXELS {
        return Err(Error::DimensionMismatch {
            what: "image pixels",
            expected: IMAGE_PIXELS,
            got: image.len(),
        });
    }
    if image.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return Err(Error::NonFinite { what: "image intensities (finite and non-negative)" });
    }
    let total: f64 = image.iter().map(|&v| f64::from(v)).sum();
    if total <= 0.0 {
        return Err(Error::InvalidDistribution {
            reason: "a blank image has no amplitude encoding".into(),
        });
    }
    let pad = (AMPLITUDE_SIDE - IMAGE_SIDE) / 2;
    let mut a = vec![0.0; AMPLITUDE_SIDE * AMPLITUDE_SIDE];
    for r in 0..IMAGE_SIDE {
        for c in 0..IMAGE_SIDE {
            a[(r + pad) * AMPLITUDE_SIDE + c + pad] =
                (f64::from(image[r * IMAGE_SIDE + c]) / total).sqrt();
        }
    }
    Ok(a)
}

/// [`amplitude_image`] of every Born distribution of `distributions` (1024 outcomes each):
/// 784 x N intensities, one column per distribution.
pub fn amplitude_images(distributions: &[Vec<f64>]) -> Result<DMatrix<f32>> {
    let mut out = DMatrix::<f32>::zeros(IMAGE_PIXELS, distributions.len());
    for (mut column, p) in out.column_iter_mut().zip(distributions) {
        column.copy_from_slice(&amplitude_image(p)?);
    }
    Ok(out)
}

/// Inverse of the amplitude encoding's pixel layout: the 28 x 28 image inside a 1024-outcome
/// distribution, rescaled so its brightest pixel is 1 (the encoding loses the overall intensity).
pub fn amplitude_image(distribution: &[f64]) -> Result<Vec<f32>> {
    if distribution.len() != AMPLITUDE_SIDE * AMPLITUDE_SIDE {
        return Err(Error::DimensionMismatch {
            what: "amplitude-encoding distribution length",
            expected: AMPLITUDE_SIDE * AMPLITUDE_SIDE,
            got: distribution.len(),
        });
    }
    let pad = (AMPLITUDE_SIDE - IMAGE_SIDE) / 2;
    let mut image: Vec<f32> = (0..IMAGE_PIXELS)
        .map(|i| {
            let (r, c) = (i / IMAGE_SIDE, i % IMAGE_SIDE);
            distribution[(r + pad) * AMPLITUDE_SIDE + c + pad].max(0.0) as f32
        })
        .collect();
    let max = image.iter().copied().fold(0.0f32, f32::max);
    if max > 0.0 {
        image.iter_mut().for_each(|v| *v /= max);
    }
    Ok(image)
}

/// Per-qubit Bloch vectors of a real state vector `a` (little-endian): `<X_q> = sum_k a_k
/// a_(k xor 2^q)`, `<Y_q> = 0`, `<Z_q> = sum_k a_k^2 (-1)^(bit q of k)`.
fn real_state_bloch_vectors(a: &[f64]) -> Vec<[f64; 3]> {
    let n = a.len().trailing_zeros() as usize;
    (0..n)
        .map(|q| {
            let bit = 1 << q;
            let (mut x, mut z) = (0.0, 0.0);
            for (k, &ak) in a.iter().enumerate() {
                x += ak * a[k ^ bit];
                z += if k & bit == 0 { ak * ak } else { -ak * ak };
            }
            [x, 0.0, z]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amplitude_encoding_round_trips_the_image_shape() {
        let image: Vec<f32> = (0..IMAGE_PIXELS).map(|i| ((i * 13) % 7) as f32 / 6.0).collect();
        let a = amplitude_state(&image).unwrap();
        let p: Vec<f64> = a.iter().map(|v| v * v).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let back = amplitude_image(&p).unwrap();
        let max = image.iter().copied().fold(0.0f32, f32::max);
        for (b, x) in back.iter().zip(&image) {
            assert!((b - x / max).abs() < 1e-5);
        }
        assert!(amplitude_state(&vec![0.0; IMAGE_PIXELS]).is_err());
    }

    #[test]
    fn amplitude_images_decode_every_distribution_as_one_column() {
        let image = |k: usize| -> Vec<f32> {
            (0..IMAGE_PIXELS).map(|i| ((i * (k + 2)) % 7) as f32 / 6.0).collect()
        };
        let distributions: Vec<Vec<f64>> = (0..3)
            .map(|k| amplitude_state(&image(k)).unwrap().iter().map(|a| a * a).collect())
            .collect();
        let images = amplitude_images(&distributions).unwrap();
        assert_eq!(images.shape(), (IMAGE_PIXELS, 3));
        for (k, p) in distributions.iter().enumerate() {
            assert_eq!(images.column(k).as_slice(), amplitude_image(p).unwrap().as_slice());
        }
        assert!(amplitude_images(&[vec![0.5; 10]]).is_err());
    }

    #[test]
    fn real_state_bloch_vectors_of_a_product_state() {
        // |+> on qubit 0, |1> on qubit 1: amplitudes at indices 0b10 and 0b11.
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let v = real_state_bloch_vectors(&[0.0, 0.0, h, h]);
        assert!((v[0][0] - 1.0).abs() < 1e-12 && v[0][2].abs() < 1e-12);
        assert!(v[1][0].abs() < 1e-12 && (v[1][2] + 1.0).abs() < 1e-12);
    }
}
