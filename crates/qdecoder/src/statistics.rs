//! Measurement statistics of a qubit register, exact or estimated from shots, as decoder input.
//!
//! Two kinds are supported:
//!
//! - [`Statistics::Born`]: the distribution over the `2^n` computational-basis outcomes (exact
//!   probabilities, or frequencies from `S` shots);
//! - [`Statistics::Bloch`]: per-qubit `(<X>, <Y>, <Z>)`, estimated from `S` shots in each of the
//!   three measurement bases.
//!
//! Shot noise is sampled honestly: `S` shots of a Born distribution are one multinomial draw
//! (split into conditional binomials, so the cost does not grow with `S`), and a Bloch component
//! estimated from `S` shots is `2k/S - 1` with `k ~ Binomial(S, (1 + <P>) / 2)`. Each component's
//! distribution is exact for any state; for entangled states the components measured in the same
//! basis would also be correlated, which the independent draws here do not model (for the
//! product states the decoder trains on they are independent).

use rand::Rng;
use rand_distr::{Binomial, Distribution};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::{MAX_QUBITS, ProductState, check_qubits};

/// Which statistics a decoder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatisticsKind {
    /// The `2^n`-outcome Born distribution (or its shot estimate).
    Born,
    /// Per-qubit `(<X>, <Y>, <Z>)` (or their shot estimates).
    Bloch,
}

impl StatisticsKind {
    /// A human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            StatisticsKind::Born => "Born-distribution",
            StatisticsKind::Bloch => "per-qubit expectation",
        }
    }

    /// Length of the decoder input vector for `num_qubits` qubits (`2^n` or `3n`).
    pub fn input_dim(self, num_qubits: usize) -> usize {
        match self {
            StatisticsKind::Born => 1 << num_qubits,
            StatisticsKind::Bloch => 3 * num_qubits,
        }
    }
}

/// Measurement statistics of one register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Statistics {
    /// Probabilities (or frequencies) of the `2^n` outcomes, little-endian basis order. Decoders
    /// accept any finite values here, including the small negative quasi-probabilities of
    /// readout-error mitigation.
    Born(Vec<f64>),
    /// Per-qubit `[<X>, <Y>, <Z>]`, qubit 0 first.
    Bloch(Vec<[f64; 3]>),
}

impl Statistics {
    /// The exact statistics of `kind` for a product state.
    pub fn exact(state: &ProductState, kind: StatisticsKind) -> Statistics {
        match kind {
            StatisticsKind::Born => Statistics::Born(state.born_distribution()),
            StatisticsKind::Bloch => Statistics::Bloch(state.bloch_vectors()),
        }
    }

    /// Born frequencies from outcome counts (index = basis state, little-endian).
    pub fn born_from_counts(counts: &[u64]) -> Result<Statistics> {
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return Err(Error::TooFewSamples { what: "Born frequencies", min: 1, got: 0 });
        }
        let s = Statistics::Born(counts.iter().map(|&c| c as f64 / total as f64).collect());
        s.num_qubits()?;
        Ok(s)
    }

    /// The kind of these statistics.
    pub fn kind(&self) -> StatisticsKind {
        match self {
            Statistics::Born(_) => StatisticsKind::Born,
            Statistics::Bloch(_) => StatisticsKind::Bloch,
        }
    }

    /// Number of qubits described (errors if a Born vector's length is not a power of two).
    pub fn num_qubits(&self) -> Result<usize> {
        let n = match self {
            Statistics::Born(p) => {
                if !p.len().is_power_of_two() || p.len() < 2 {
                    return Err(Error::DimensionMismatch {
                        what: "Born distribution length (a power of two, at least 2)",
                        expected: p.len().next_power_of_two().max(2),
                        got: p.len(),
                    });
                }
                p.len().trailing_zeros() as usize
            }
            Statistics::Bloch(v) => v.len(),
        };
        check_qubits(n)?;
        Ok(n)
    }

    /// The decoder input: `2^n * p` for a Born distribution (so the uniform distribution is the
    /// all-ones vector), the `3n` expectations for Bloch statistics. Errors on non-finite values.
    pub fn to_features(&self) -> Result<Vec<f32>> {
        let n = self.num_qubits()?;
        let values: Vec<f32> = match self {
            Statistics::Born(p) => {
                let scale = (1u64 << n) as f64;
                p.iter().map(|&v| (v * scale) as f32).collect()
            }
            Statistics::Bloch(v) => v.iter().flat_map(|b| b.map(|x| x as f32)).collect(),
        };
        if values.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "statistics" });
        }
        Ok(values)
    }

    /// Rescales every non-zero Bloch vector to unit length: the pure product state pointing the
    /// same way. Decoders are trained on pure product states; the reduced states of an entangled
    /// or partly depolarized register have shorter vectors, which decode badly unless projected
    /// (see docs/results.md). Born statistics and zero vectors are returned unchanged.
    pub fn project_to_sphere(&self) -> Statistics {
        match self {
            Statistics::Born(p) => Statistics::Born(p.clone()),
            Statistics::Bloch(v) => Statistics::Bloch(
                v.iter()
                    .map(|b| {
                        let norm = (b[0] * b[0] + b[1] * b[1] + b[2] * b[2]).sqrt();
                        if norm > 0.0 && norm.is_finite() { b.map(|x| x / norm) } else { *b }
                    })
                    .collect(),
            ),
        }
    }

    /// Treats `self` as exact and returns the estimate from `shots` shots (per basis for Bloch
    /// statistics): a multinomial draw for a Born distribution, binomial draws for expectations.
    ///
    /// A Born vector must be a distribution (entries >= -1e-9 and summing to 1 within 1e-6;
    /// tiny negatives count as zero); expectations must lie in [-1, 1] within 1e-9.
    pub fn sample_shots(&self, shots: u64, rng: &mut impl Rng) -> Result<Statistics> {
        if shots == 0 {
            return Err(Error::InvalidConfig {
                field: "shots",
                reason: "must be at least 1".into(),
            });
        }
        self.num_qubits()?;
        match self {
            Statistics::Born(p) => {
                let counts = multinomial(p, shots, rng)?;
                Ok(Statistics::Born(counts.iter().map(|&c| c as f64 / shots as f64).collect()))
            }
            Statistics::Bloch(vectors) => {
                let mut out = Vec::with_capacity(vectors.len());
                for v in vectors {
                    let mut e = [0.0; 3];
                    for (estimate, &exact) in e.iter_mut().zip(v) {
                        if !exact.is_finite() || exact.abs() > 1.0 + 1e-9 {
                            return Err(Error::InvalidDistribution {
                                reason: format!("expectation {exact} is outside [-1, 1]"),
                            });
                        }
                        let p_plus = ((1.0 + exact) / 2.0).clamp(0.0, 1.0);
                        let k = binomial(shots, p_plus, rng)?;
                        *estimate = 2.0 * k as f64 / shots as f64 - 1.0;
                    }
                    out.push(e);
                }
                Ok(Statistics::Bloch(out))
            }
        }
    }
}

/// One draw of `Binomial(n, p)`.
fn binomial(n: u64, p: f64, rng: &mut impl Rng) -> Result<u64> {
    let d = Binomial::new(n, p)
        .map_err(|e| Error::InvalidDistribution { reason: format!("binomial({n}, {p}): {e}") })?;
    Ok(d.sample(rng))
}

/// Outcome counts of `shots` draws from `probabilities`: a multinomial sample, drawn as a chain
/// of conditional binomials `n_k ~ Binomial(remaining, p_k / remaining mass)`.
pub fn multinomial(probabilities: &[f64], shots: u64, rng: &mut impl Rng) -> Result<Vec<u64>> {
    if probabilities.len() > 1 << MAX_QUBITS {
        return Err(Error::DimensionMismatch {
            what: "outcomes of a distribution",
            expected: 1 << MAX_QUBITS,
            got: probabilities.len(),
        });
    }
    if let Some(bad) = probabilities.iter().find(|p| !p.is_finite() || **p < -1e-9) {
        return Err(Error::InvalidDistribution {
            reason: format!("entry {bad} is negative or not finite"),
        });
    }
    let total: f64 = probabilities.iter().map(|p| p.max(0.0)).sum();
    if (total - 1.0).abs() > 1e-6 {
        return Err(Error::InvalidDistribution {
            reason: format!("entries sum to {total}, not 1"),
        });
    }
    let mut counts = vec![0u64; probabilities.len()];
    let mut remaining = shots;
    let mut mass = total;
    for (count, &p) in counts.iter_mut().zip(probabilities) {
        if remaining == 0 {
            break;
        }
        let p = p.max(0.0);
        if p <= 0.0 {
            continue;
        }
        let conditional = if mass > 0.0 { (p / mass).clamp(0.0, 1.0) } else { 1.0 };
        let k = binomial(remaining, conditional, rng)?;
        *count = k;
        remaining -= k;
        mass -= p;
    }
    // Rounding can leave `mass` a hair above zero with shots unassigned; they belong to the last
    // outcome with positive probability.
    if remaining > 0 {
        if let Some(i) = probabilities.iter().rposition(|&p| p > 0.0) {
            counts[i] += remaining;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn multinomial_counts_sum_to_shots_and_match_probabilities() {
        let p = [0.1, 0.0, 0.6, 0.3];
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut totals = [0u64; 4];
        for _ in 0..200 {
            let c = multinomial(&p, 1000, &mut rng).unwrap();
            assert_eq!(c.iter().sum::<u64>(), 1000);
            assert_eq!(c[1], 0);
            for (t, v) in totals.iter_mut().zip(&c) {
                *t += v;
            }
        }
        for (t, q) in totals.iter().zip(&p) {
            // 200k shots: the standard error of a frequency is below 0.0012.
            assert!((*t as f64 / 200_000.0 - q).abs() < 0.006);
        }
    }

    #[test]
    fn bloch_shot_estimates_are_unbiased_with_binomial_variance() {
        let exact = Statistics::Bloch(vec![[0.6, -0.8, 0.0]]);
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let shots = 100;
        let samples: Vec<f64> = (0..4000)
            .map(|_| match exact.sample_shots(shots, &mut rng).unwrap() {
                Statistics::Bloch(v) => v[0][0],
                Statistics::Born(_) => unreachable!("Bloch in, Bloch out"),
            })
            .collect();
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        let var = samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / samples.len() as f64;
        // Var(2k/S - 1) = (1 - <X>^2) / S = 0.0064.
        assert!((mean - 0.6).abs() < 0.01, "mean {mean}");
        assert!((var - 0.0064).abs() < 0.0008, "variance {var}");
    }

    #[test]
    fn projection_keeps_directions_and_unit_vectors() {
        let s = Statistics::Bloch(vec![[0.3, 0.0, -0.4], [0.0, 0.0, 0.0], [0.6, 0.0, 0.8]]);
        let Statistics::Bloch(p) = s.project_to_sphere() else {
            unreachable!("Bloch in, Bloch out")
        };
        assert!((p[0][0] - 0.6).abs() < 1e-12 && (p[0][2] + 0.8).abs() < 1e-12);
        assert_eq!(p[1], [0.0; 3]);
        assert!((p[2][0] - 0.6).abs() < 1e-12);
    }

    #[test]
    fn rejects_invalid_inputs() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        assert!(Statistics::Born(vec![0.5, 0.6]).sample_shots(10, &mut rng).is_err());
        assert!(Statistics::Born(vec![1.0, 0.0, 0.0]).num_qubits().is_err());
        assert!(Statistics::Bloch(vec![[0.0, 0.0, 1.5]]).sample_shots(10, &mut rng).is_err());
        assert!(Statistics::Born(vec![0.5, 0.5]).sample_shots(0, &mut rng).is_err());
        assert!(Statistics::Bloch(vec![[f64::NAN, 0.0, 0.0]]).to_features().is_err());
        assert!(Statistics::born_from_counts(&[0, 0]).is_err());
    }
}
