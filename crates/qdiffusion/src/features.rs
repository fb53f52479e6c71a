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
}
