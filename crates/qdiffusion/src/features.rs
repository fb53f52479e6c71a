//! What is read out of a final state, and the cotangent that takes a gradient of those numbers
//! back to the state.
//!
//! - [`Readout::Bloch`]: per-qubit `<X>, <Y>, <Z>` (`3n` numbers), what the latent decoder reads;
//! - [`Readout::Born`]: the Born distribution over all `2^n` outcomes, what the amplitude
//!   encoding decodes into pixels.

use num_complex::Complex64;
use serde::{Deserialize, Serialize};

/// A readout of a pure state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Readout {
    /// Per-qubit Bloch vectors, qubit-major: `[<X_0>, <Y_0>, <Z_0>, <X_1>, ...]`.
    Bloch,
    /// Born probabilities of every basis state.
    Born,
}

impl Readout {
    /// Number of features for `n` qubits.
    pub fn dim(self, n: usize) -> usize {
        match self {
            Readout::Bloch => 3 * n,
            Readout::Born => 1 << n,
        }
    }

    /// The features of the pure state `amps`.
    pub fn features(self, amps: &[Complex64]) -> Vec<f64> {
        match self {
            Readout::Born => amps.iter().map(|a| a.norm_sqr()).collect(),
            Readout::Bloch => {
                let n = amps.len().trailing_zeros() as usize;
                let mut f = vec![0.0; 3 * n];
                for q in 0..n {
                    let half = 1usize << q;
                    let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
                    for block in amps.chunks_exact(2 * half) {
                        let (lo, hi) = block.split_at(half);
                        for (a, b) in lo.iter().zip(hi) {
                            // <X> = 2 Re(a* b), <Y> = 2 Im(a* b), <Z> = |a|^2 - |b|^2.
                            let c = a.conj() * b;
                            x += 2.0 * c.re;
                            y += 2.0 * c.im;
                            z += a.norm_sqr() - b.norm_sqr();
                        }
                    }
                    f[3 * q..3 * q + 3].copy_from_slice(&[x, y, z]);
                }
                f
            }
        }
    }

    /// The state cotangent `g` (with `dL = 2 Re <g|d psi>`) for feature gradient `df = dL/df`.
    pub fn cotangent(self, amps: &[Complex64], df: &[f64]) -> Vec<Complex64> {
        match self {
            // dp_k = 2 Re(conj(psi_k) dpsi_k): g_k = (dL/dp_k) psi_k.
            Readout::Born => amps.iter().zip(df).map(|(a, d)| a * *d).collect(),
            // Each feature is <P> for a Pauli P on one qubit: g = sum_q (dX X_q + dY Y_q + dZ Z_q) psi.
            Readout::Bloch => {
                let n = amps.len().trailing_zeros() as usize;
                let mut g = vec![Complex64::new(0.0, 0.0); amps.len()];
                let i = Complex64::new(0.0, 1.0);
                for q in 0..n {
                    let (dx, dy, dz) = (df[3 * q], df[3 * q + 1], df[3 * q + 2]);
                    let half = 1usize << q;
                    for (gb, ab) in g.chunks_exact_mut(2 * half).zip(amps.chunks_exact(2 * half)) {
                        let (g0, g1) = gb.split_at_mut(half);
                        let (a0, a1) = ab.split_at(half);
                        for j in 0..half {
                            // X|a0,a1> = |a1,a0>; Y = (-i a1, i a0); Z = (a0, -a1).
                            g0[j] += a1[j] * dx - i * a1[j] * dy + a0[j] * dz;
                            g1[j] += a0[j] * dx + i * a0[j] * dy - a1[j] * dz;
                        }
                    }
                }
                g
            }
        }
    }
}

/// The kernel of a [`FeatureMmd`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MmdKernel {
    /// A mixture of Gaussians `k(x, y) = mean over s of exp(-|x - y|^2 / (2 s^2))`.
    Gaussian {
        /// Length scales `s`.
        scales: Vec<f64>,
    },
    /// The distance kernel `k(x, y) = -|x - y|`: MMD^2 is then the energy distance, whose
    /// gradients keep their size however far apart the two sets are (Gaussian kernels vanish
    /// when the distances exceed their scales, as they quickly do in tens of dimensions).
    Energy,
}

/// An MMD term on every qubit's own features (its marginal distribution), added to a loss on the
/// joint features: in 30 dimensions a Gaussian kernel barely sees how each qubit's Bloch vectors
/// are distributed, yet the decoder's images depend on exactly that.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarginalMmd {
    /// The kernel on one qubit's features.
    pub kernel: MmdKernel,
    /// Weight of the sum over qubits.
    pub weight: f64,
}

/// Squared MMD between point sets, with its gradient.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureMmd {
    /// The kernel.
    pub kernel: MmdKernel,
}

impl FeatureMmd {
    /// Returns `k(x, y)` and the scalar `c` with `dk/dx = c (x - y)`.
    fn kernel(&self, x: &[f64], y: &[f64]) -> (f64, f64) {
        let d2: f64 = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
        match &self.kernel {
            MmdKernel::Gaussian { scales } => {
                let m = scales.len() as f64;
                scales.iter().fold((0.0, 0.0), |(k, c), s| {
                    let ks = (-d2 / (2.0 * s * s)).exp() / m;
                    (k + ks, c - ks / (s * s))
                })
            }
            MmdKernel::Energy => {
                let d = d2.sqrt();
                // d|x - y|/dx = (x - y) / |x - y|; zero at coincident points (a subgradient).
                (-d, if d > 0.0 { -1.0 / d } else { 0.0 })
            }
        }
    }

    /// The unbiased estimate of MMD^2 between `generated` (N >= 2 points) and `data` (M >= 2),
    /// and its gradient with respect to every generated point.
    pub fn loss_and_grad(&self, generated: &[Vec<f64>], data: &[Vec<f64>]) -> (f64, Vec<Vec<f64>>) {
        let (n, m) = (generated.len() as f64, data.len() as f64);
        let dim = generated.first().map_or(0, Vec::len);
        let mut grads = vec![vec![0.0; dim]; generated.len()];
        let mut xx = 0.0;
        for i in 0..generated.len() {
            for j in 0..generated.len() {
                if i == j {
                    continue;
                }
                let (k, c) = self.kernel(&generated[i], &generated[j]);
                xx += k;
                // d/dx_i of (1/(N(N-1))) sum_{a != b} k(x_a, x_b): each unordered pair twice.
                let f = c * 2.0 / (n * (n - 1.0));
                for (g, (a, b)) in grads[i].iter_mut().zip(generated[i].iter().zip(&generated[j])) {
                    *g += f * (a - b);
                }
            }
        }
        let mut xy = 0.0;
        for (i, x) in generated.iter().enumerate() {
            for y in data {
                let (k, c) = self.kernel(x, y);
                xy += k;
                let f = -2.0 * c / (n * m);
                for (g, (a, b)) in grads[i].iter_mut().zip(x.iter().zip(y)) {
                    *g += f * (a - b);
                }
            }
        }
        let mut yy = 0.0;
        for (i, y) in data.iter().enumerate() {
            for (j, z) in data.iter().enumerate() {
                if i != j {
                    yy += self.kernel(y, z).0;
                }
            }
        }
        let loss = xx / (n * (n - 1.0)) + yy / (m * (m - 1.0)) - 2.0 * xy / (n * m);
        (loss, grads)
    }

    /// The sum over consecutive groups of `width` coordinates (one qubit's features) of each
    /// group's own [`FeatureMmd::loss_and_grad`], with its gradient.
    pub fn marginal_loss_and_grad(
        &self,
        generated: &[Vec<f64>],
        data: &[Vec<f64>],
        width: usize,
    ) -> (f64, Vec<Vec<f64>>) {
        let dim = generated.first().map_or(0, Vec::len);
        let mut grads = vec![vec![0.0; dim]; generated.len()];
        let mut total = 0.0;
        for start in (0..dim).step_by(width.max(1)) {
            let end = (start + width).min(dim);
            let group = |v: &[Vec<f64>]| -> Vec<Vec<f64>> {
                v.iter().map(|x| x[start..end].to_vec()).collect()
            };
            let (loss, g) = self.loss_and_grad(&group(generated), &group(data));
            total += loss;
            for (all, part) in grads.iter_mut().zip(g) {
                for (a, p) in all[start..end].iter_mut().zip(part) {
                    *a += p;
                }
            }
        }
        (total, grads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(n: usize) -> Vec<Complex64> {
        let v: Vec<Complex64> = (0..1usize << n)
            .map(|i| Complex64::new((i as f64 * 0.7).sin() + 0.2, (i as f64 * 1.3).cos()))
            .collect();
        let norm = v.iter().map(|a| a.norm_sqr()).sum::<f64>().sqrt();
        v.into_iter().map(|a| a / norm).collect()
    }

    #[test]
    fn cotangents_match_finite_differences() {
        let n = 3;
        let psi = state(n);
        let dir: Vec<Complex64> = (0..1usize << n)
            .map(|i| Complex64::new((i as f64).cos(), (i as f64 * 0.4).sin()))
            .collect();
        for readout in [Readout::Bloch, Readout::Born] {
            let w: Vec<f64> = (0..readout.dim(n)).map(|i| (i as f64 * 0.9).sin()).collect();
            let loss = |a: &[Complex64]| -> f64 {
                readout.features(a).iter().zip(&w).map(|(f, w)| f * w).sum()
            };
            let g = readout.cotangent(&psi, &w);
            let h = 1e-6;
            let shifted = |s: f64| -> Vec<Complex64> {
                psi.iter().zip(&dir).map(|(a, b)| a + b * s).collect()
            };
            let fd = (loss(&shifted(h)) - loss(&shifted(-h))) / (2.0 * h);
            let analytic: f64 =
                2.0 * g.iter().zip(&dir).map(|(a, b)| (a.conj() * b).re).sum::<f64>();
            assert!((fd - analytic).abs() < 1e-7, "{readout:?}: {fd} vs {analytic}");
        }
    }

    #[test]
    fn bloch_features_of_a_product_state_are_its_bloch_vectors() {
        // |+> on qubit 0, |1> on qubit 1: (1, 0, 0) and (0, 0, -1).
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let amps = [
            Complex64::new(0.0, 0.0),
            Complex64::new(0.0, 0.0),
            Complex64::new(s, 0.0),
            Complex64::new(s, 0.0),
        ];
        let f = Readout::Bloch.features(&amps);
        let expected = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0];
        assert!(f.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-12), "{f:?}");
    }

    #[test]
    fn mmd_gradient_matches_finite_differences_and_vanishes_on_identical_sets() {
        for mmd in [
            FeatureMmd { kernel: MmdKernel::Gaussian { scales: vec![0.5, 2.0] } },
            FeatureMmd { kernel: MmdKernel::Energy },
        ] {
            let generated: Vec<Vec<f64>> = (0..5)
                .map(|i| (0..3).map(|j| ((i * 3 + j) as f64 * 0.77).sin()).collect())
                .collect();
            let data: Vec<Vec<f64>> = (0..6)
                .map(|i| (0..3).map(|j| ((i * 5 + j) as f64 * 0.31).cos()).collect())
                .collect();
            let (_, grads) = mmd.loss_and_grad(&generated, &data);
            let h = 1e-6;
            for i in 0..generated.len() {
                for d in 0..3 {
                    let (mut plus, mut minus) = (generated.clone(), generated.clone());
                    plus[i][d] += h;
                    minus[i][d] -= h;
                    let fd = (mmd.loss_and_grad(&plus, &data).0
                        - mmd.loss_and_grad(&minus, &data).0)
                        / (2.0 * h);
                    assert!((fd - grads[i][d]).abs() < 1e-7, "{fd} vs {}", grads[i][d]);
                }
            }
        }
        let mmd = FeatureMmd { kernel: MmdKernel::Gaussian { scales: vec![0.5, 2.0] } };
        // Two halves of the same large sample: the unbiased estimate is near zero.
        let same: Vec<Vec<f64>> = (0..400)
            .map(|i| vec![(i as f64 * 0.618).fract(), (i as f64 * 0.414).fract()])
            .collect();
        let (loss, _) = mmd.loss_and_grad(&same[..200], &same[200..]);
        assert!(loss.abs() < 5e-3, "{loss}");
    }

    #[test]
    fn marginal_mmd_is_the_sum_over_groups_and_its_gradient_matches_finite_differences() {
        let mmd = FeatureMmd { kernel: MmdKernel::Gaussian { scales: vec![0.25, 1.0] } };
        let points = |count: usize, a: f64| -> Vec<Vec<f64>> {
            (0..count).map(|i| (0..6).map(|j| ((i * 6 + j) as f64 * a).sin()).collect()).collect()
        };
        let (generated, data) = (points(4, 0.77), points(5, 0.31));
        let (loss, grads) = mmd.marginal_loss_and_grad(&generated, &data, 3);
        let group = |v: &[Vec<f64>], r: std::ops::Range<usize>| -> Vec<Vec<f64>> {
            v.iter().map(|x| x[r.clone()].to_vec()).collect()
        };
        let by_hand = mmd.loss_and_grad(&group(&generated, 0..3), &group(&data, 0..3)).0
            + mmd.loss_and_grad(&group(&generated, 3..6), &group(&data, 3..6)).0;
        assert!((loss - by_hand).abs() < 1e-14, "{loss} vs {by_hand}");
        let h = 1e-6;
        for i in 0..generated.len() {
            for d in 0..6 {
                let (mut plus, mut minus) = (generated.clone(), generated.clone());
                plus[i][d] += h;
                minus[i][d] -= h;
                let fd = (mmd.marginal_loss_and_grad(&plus, &data, 3).0
                    - mmd.marginal_loss_and_grad(&minus, &data, 3).0)
                    / (2.0 * h);
                assert!((fd - grads[i][d]).abs() < 1e-7, "{fd} vs {}", grads[i][d]);
            }
        }
    }
}
