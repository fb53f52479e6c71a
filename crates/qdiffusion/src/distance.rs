//! Distances between two point sets, the generated features and the data features, with their
//! gradients with respect to the generated points: what the distribution-level losses minimise.
//!
//! - [`FeatureMmd`]: the unbiased squared maximum mean discrepancy with a kernel ([`MmdKernel`]:
//!   a Gaussian mixture, or the distance kernel, for which it is the energy distance);
//! - [`sliced_wasserstein`]: the squared sliced 2-Wasserstein distance, over random directions;
//! - [`Distance`]: the choice between them, as a loss configures it.

use qrandom::distributions::standard_normal;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A distance between point sets, as a training loss uses it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Distance {
    /// The squared MMD with a kernel.
    Mmd {
        /// The kernel.
        kernel: MmdKernel,
    },
    /// The squared sliced 2-Wasserstein distance over this many random directions, drawn anew
    /// for every evaluation.
    SlicedWasserstein {
        /// Random directions per evaluation.
        projections: usize,
    },
}

impl Distance {
    /// The distance between `generated` (N >= 2 points) and `data` (M >= 2) and its gradient
    /// with respect to every generated point; `seed` draws the directions of the sliced
    /// Wasserstein distance (the MMD ignores it).
    pub fn loss_and_grad(
        &self,
        generated: &[Vec<f64>],
        data: &[Vec<f64>],
        seed: u64,
    ) -> (f64, Vec<Vec<f64>>) {
        match self {
            Distance::Mmd { kernel } => {
                FeatureMmd { kernel: kernel.clone() }.loss_and_grad(generated, data)
            }
            Distance::SlicedWasserstein { projections } => {
                sliced_wasserstein(generated, data, *projections, seed)
            }
        }
    }
}

/// The squared sliced 2-Wasserstein distance between the empirical distributions of
/// `generated` (N points) and `data` (M points), averaged over `projections` directions drawn
/// uniformly on the sphere from `seed`, with its gradient with respect to the generated points.
///
/// On each direction `u` both sets are projected (`x . u`) and sorted; the generated point of
/// rank `r` is matched with the data quantile at level `(r + 1/2) / N` (the data point of rank
/// `floor((r + 1/2) M / N)`), and the squared differences are averaged. In one dimension this
/// matching is the optimal transport plan, so each term is the exact squared 2-Wasserstein
/// distance between the projected sets (for `M` a multiple of `N`; otherwise its quantile
/// approximation). The gradient holds the ranks fixed: it is exact wherever no two projections
/// tie. Unlike a Gaussian-kernel MMD, its gradient does not fade when the sets are far apart.
pub fn sliced_wasserstein(
    generated: &[Vec<f64>],
    data: &[Vec<f64>],
    projections: usize,
    seed: u64,
) -> (f64, Vec<Vec<f64>>) {
    let dim = generated.first().map_or(0, Vec::len);
    let mut grads = vec![vec![0.0; dim]; generated.len()];
    if generated.is_empty() || data.is_empty() || projections == 0 || dim == 0 {
        return (0.0, grads);
    }
    let (n, m) = (generated.len(), data.len());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let project = |points: &[Vec<f64>], u: &[f64]| -> Vec<f64> {
        points.iter().map(|x| x.iter().zip(u).map(|(a, b)| a * b).sum()).collect()
    };
    let mut total = 0.0;
    for _ in 0..projections {
        let mut u: Vec<f64> = (0..dim).map(|_| standard_normal(&mut rng)).collect();
        let norm = u.iter().map(|a| a * a).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
        u.iter_mut().for_each(|a| *a /= norm);
        let px = project(generated, &u);
        let mut py = project(data, &u);
        py.sort_by(f64::total_cmp);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| px[a].total_cmp(&px[b]).then(a.cmp(&b)));
        for (rank, &a) in order.iter().enumerate() {
            let target = py[((2 * rank + 1) * m / (2 * n)).min(m - 1)];
            let diff = px[a] - target;
            total += diff * diff;
            let f = 2.0 * diff / (n * projections) as f64;
            for (g, ui) in grads[a].iter_mut().zip(&u) {
                *g += f * ui;
            }
        }
    }
    (total / (n * projections) as f64, grads)
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

    /// An unbiased estimate of MMD^2 between `generated` (N >= 2 points) and `data` (M >= 2),
    /// and its gradient with respect to every generated point. The generated-generated and
    /// generated-data terms average over all pairs; the data-data term, which does not depend
    /// on the generated points, averages over the `M / 2` disjoint consecutive pairs, so the
    /// cost is `O(N^2 + N M)`, not `O(M^2)`.
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
        // The data-data term has no gradient: estimated, without bias, from disjoint pairs
        // (y_0, y_1), (y_2, y_3), ... in O(M) instead of O(M^2) kernel evaluations.
        let pairs = data.len() / 2;
        let yy_mean =
            data.chunks_exact(2).map(|p| self.kernel(&p[0], &p[1]).0).sum::<f64>() / pairs as f64;
        let loss = xx / (n * (n - 1.0)) + yy_mean - 2.0 * xy / (n * m);
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
        // Two halves of one independent sample: the estimate is unbiased, so its mean over
        // many samples is zero within its standard error.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let estimates: Vec<f64> = (0..200)
            .map(|_| {
                let same: Vec<Vec<f64>> = (0..100)
                    .map(|_| {
                        vec![qrandom::distributions::uniform(&mut rng), standard_normal(&mut rng)]
                    })
                    .collect();
                mmd.loss_and_grad(&same[..50], &same[50..]).0
            })
            .collect();
        let k = estimates.len() as f64;
        let mean = estimates.iter().sum::<f64>() / k;
        let sd = (estimates.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
        assert!(mean.abs() < 4.0 * sd / k.sqrt(), "mean {mean}, standard error {}", sd / k.sqrt());
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

    #[test]
    fn sliced_wasserstein_gradient_matches_finite_differences() {
        let generated: Vec<Vec<f64>> =
            (0..6).map(|i| (0..4).map(|j| ((i * 4 + j) as f64 * 0.77).sin()).collect()).collect();
        let data: Vec<Vec<f64>> =
            (0..12).map(|i| (0..4).map(|j| ((i * 7 + j) as f64 * 0.31).cos()).collect()).collect();
        let distance = Distance::SlicedWasserstein { projections: 5 };
        let (_, grads) = distance.loss_and_grad(&generated, &data, 3);
        let h = 1e-7;
        for i in 0..generated.len() {
            for d in 0..4 {
                let (mut plus, mut minus) = (generated.clone(), generated.clone());
                plus[i][d] += h;
                minus[i][d] -= h;
                let fd = (distance.loss_and_grad(&plus, &data, 3).0
                    - distance.loss_and_grad(&minus, &data, 3).0)
                    / (2.0 * h);
                assert!((fd - grads[i][d]).abs() < 1e-6, "{fd} vs {}", grads[i][d]);
            }
        }
    }

    #[test]
    fn sliced_wasserstein_of_a_shift_is_the_squared_shift_projected() {
        // Shifting every point by s changes each projection by s . u, so the distance is the
        // mean of (s . u)^2 over the directions: |s|^2 / dim in expectation, and exactly zero
        // for identical sets.
        let data: Vec<Vec<f64>> =
            (0..50).map(|i| (0..3).map(|j| ((i * 3 + j) as f64 * 0.57).sin()).collect()).collect();
        let (same, _) = sliced_wasserstein(&data, &data, 8, 1);
        assert_eq!(same, 0.0);
        let shifted: Vec<Vec<f64>> =
            data.iter().map(|x| vec![x[0] + 0.3, x[1] - 0.4, x[2]]).collect();
        let (d, _) = sliced_wasserstein(&shifted, &data, 4000, 2);
        let expected = (0.3f64 * 0.3 + 0.4 * 0.4) / 3.0;
        assert!((d - expected).abs() < 0.05 * expected, "{d} vs {expected}");
    }
}
