//! Parameter-shift gradients estimated from shots, with antithetic coupling of the shifted runs.
//!
//! The parameter-shift rule writes `d<O>/d theta` as a difference of expectation values at
//! shifted angles, `(E(+pi/2) - E(-pi/2)) / 2` (four terms for controlled rotations). On a
//! device each `E` is a mean over shots, and the two means of a difference are usually drawn
//! independently, so their variances add.
//!
//! [`ShotSampling::Antithetic`] draws the shots of the `+shift` run and of the `-shift` run from
//! shared random numbers: shot `i` of the `+` run is the inverse CDF at `u_i` of its outcome
//! distribution with outcomes sorted by increasing observable value, and shot `i` of the `-` run
//! the inverse CDF at `1 - u_i` with outcomes sorted by *decreasing* value. The two orderings
//! cancel: both shots sit at the same quantile of the observable, so `f(X+)` and `f(X-)` are
//! comonotone. By the Frechet-Hoeffding bound this coupling has the largest covariance any
//! coupling of the two distributions can have, and since `Var(mean+ - mean-) = Var+ + Var- -
//! 2 Cov`, the smallest variance of the difference; it is never worse than independent shots
//! (covariance 0) and each run on its own keeps its exact distribution, so the estimate stays
//! unbiased. Using `1 - u` in the same increasing order instead would make the runs
//! countermonotone and *add* variance: the antithetic pair must be taken across opposite
//! orderings. When the shift changes the distribution little (small gradient components, the
//! common case in wide circuits), most shot pairs agree and the difference is nearly
//! noiseless.
//!
//! The uniforms come from the caller's RNG, so this needs the exact outcome distribution
//! ([`ExactBackend`]): a simulator can share random numbers between runs, real hardware cannot
//! (its randomness is quantum). Observables must be diagonal (sums of `Z` strings); rotate the
//! measurement basis in the circuit for others. Circuits must measure every qubit (no `measure`
//! operations), so bit `q` of an outcome is qubit `q`.

use qrandom::distributions::uniform;
use qrandom::stream::CipherStream;
use qrandom::streams::{SHOT_VARIANCE_ANTITHETIC, SHOT_VARIANCE_INDEPENDENT};
use qsim_core::circuit::{Circuit, Operation, Param};
use qsim_core::gate::ShiftRule;
use qsim_core::pauli::PauliSum;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::backend::ExactBackend;
use crate::counts::parity_sign;
use crate::error::{Error, Result};
use crate::experiment::Experiment;

/// How the shots of the shifted runs are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShotSampling {
    /// Every shot of every run independent.
    Independent,
    /// `+shift` and `-shift` runs share antithetic uniforms over opposite orderings.
    #[default]
    Antithetic,
}

/// The diagonal observable `sum_j c_j Z_{mask_j}` as `(coefficient, mask)` terms.
pub fn diagonal_terms(observable: &PauliSum) -> Result<Vec<(f64, usize)>> {
    observable
        .terms()
        .iter()
        .map(|(c, p)| {
            let text = p.to_string();
            if text == "I" {
                return Ok((*c, 0));
            }
            let mut mask = 0usize;
            for token in text.split_whitespace() {
                let (letter, q) = token.split_at(1);
                let q: usize =
                    q.parse().map_err(|_| Error::NonDiagonalObservable { term: text.clone() })?;
                if letter != "Z" || q >= usize::BITS as usize {
                    return Err(Error::NonDiagonalObservable { term: text.clone() });
                }
                mask |= 1 << q;
            }
            Ok((*c, mask))
        })
        .collect()
}

/// One shifted run: the circuit with one parameter slot moved, and its weight in the rule.
struct ShiftPair {
    index: usize,
    plus: Circuit,
    minus: Circuit,
    weight: f64,
}

/// A copy of `bound` with fixed parameter `slot` of operation `op_index` moved by `delta`.
fn shifted(bound: &Circuit, op_index: usize, slot: usize, delta: f64) -> Result<Circuit> {
    let mut c = Circuit::with_clbits(bound.num_qubits(), bound.num_clbits());
    for (i, op) in bound.ops().iter().enumerate() {
        let mut op = op.clone();
        if i == op_index {
            if let Operation::Gate { params, .. } = &mut op {
                if let Some(Param::Fixed(v)) = params.get_mut(slot) {
                    *v += delta;
                }
            }
        }
        c.push(op)?;
    }
    Ok(c)
}

/// Every (+, -) pair of the parameter-shift rule, with its weight times the reference scale.
fn shift_pairs(circuit: &Circuit, theta: &[f64]) -> Result<Vec<ShiftPair>> {
    let bound = circuit.bind(theta)?;
    let h = std::f64::consts::FRAC_PI_2;
    let s2 = std::f64::consts::SQRT_2;
    let mut pairs = Vec::new();
    for (i, op) in circuit.ops().iter().enumerate() {
        let Operation::Gate { gate, params, .. } = op else { continue };
        for (k, p) in params.iter().enumerate() {
            let Param::Ref { index, scale } = *p else { continue };
            let terms: Vec<(f64, f64)> = match gate.shift_rule(k) {
                ShiftRule::TwoTerm => vec![(h, 0.5)],
                ShiftRule::FourTerm => {
                    vec![(h, (s2 + 1.0) / (4.0 * s2)), (3.0 * h, -(s2 - 1.0) / (4.0 * s2))]
                }
            };
            for (delta, weight) in terms {
                pairs.push(ShiftPair {
                    index,
                    plus: shifted(&bound, i, k, delta)?,
                    minus: shifted(&bound, i, k, -delta)?,
                    weight: weight * scale,
                });
            }
        }
    }
    Ok(pairs)
}

/// Outcomes sorted by observable value, their values, and the cumulative distribution.
struct Quantiles {
    values: Vec<f64>,
    cdf: Vec<f64>,
}

impl Quantiles {
    fn new(probs: &[f64], f: &[f64], descending: bool) -> Self {
        let mut order: Vec<usize> = (0..probs.len()).filter(|&k| probs[k] > 0.0).collect();
        order.sort_by(|&a, &b| f[a].total_cmp(&f[b]).then(a.cmp(&b)));
        if descending {
            order.reverse();
        }
        let mut acc = 0.0;
        let cdf = order
            .iter()
            .map(|&k| {
                acc += probs[k];
                acc
            })
            .collect::<Vec<f64>>();
        let total = acc;
        Self {
            values: order.iter().map(|&k| f[k]).collect(),
            cdf: cdf.iter().map(|c| c / total).collect(),
        }
    }

    /// Observable value of the outcome at quantile `u`.
    fn at(&self, u: f64) -> f64 {
        let i = self.cdf.partition_point(|&c| c <= u).min(self.values.len() - 1);
        self.values[i]
    }
}

/// The gradient of `<observable>` at `theta` estimated from `shots` shots per shifted circuit.
pub fn shot_gradient<R: Rng + ?Sized>(
    backend: &dyn ExactBackend,
    circuit: &Circuit,
    theta: &[f64],
    observable: &PauliSum,
    shots: u64,
    sampling: ShotSampling,
    rng: &mut R,
) -> Result<Vec<f64>> {
    let prepared = Prepared::new(backend, circuit, theta, observable)?;
    prepared.sample(shots, sampling, rng)
}

/// The shifted distributions of one gradient, computed once and sampled many times.
struct Prepared {
    num_params: usize,
    /// (parameter index, weight, + quantiles ascending, + descending, - ascending, - descending)
    pairs: Vec<(usize, f64, [Quantiles; 2], [Quantiles; 2])>,
}

impl Prepared {
    fn new(
        backend: &dyn ExactBackend,
        circuit: &Circuit,
        theta: &[f64],
        observable: &PauliSum,
    ) -> Result<Self> {
        if circuit.ops().iter().any(|op| matches!(op, Operation::Measure { .. })) {
            return Err(Error::InvalidConfig {
                reason:
                    "shot gradients need circuits without measure operations (all qubits are read)"
                        .into(),
            });
        }
        let terms = diagonal_terms(observable)?;
        if observable.min_qubits() > circuit.num_qubits() {
            return Err(Error::UnknownQubit {
                qubit: observable.min_qubits() - 1,
                num_qubits: circuit.num_qubits(),
            });
        }
        let dim = 1usize << circuit.num_qubits();
        let f: Vec<f64> =
            (0..dim).map(|k| terms.iter().map(|&(c, m)| c * parity_sign(k, m)).sum()).collect();
        let quantiles = |c: &Circuit| -> Result<[Quantiles; 2]> {
            let p = backend.outcome_distribution(&Experiment::fixed(c.clone(), 0))?.dense()?;
            Ok([Quantiles::new(&p, &f, false), Quantiles::new(&p, &f, true)])
        };
        let pairs = shift_pairs(circuit, theta)?
            .into_iter()
            .map(|s| Ok((s.index, s.weight, quantiles(&s.plus)?, quantiles(&s.minus)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { num_params: circuit.num_params(), pairs })
    }

    fn sample<R: Rng + ?Sized>(
        &self,
        shots: u64,
        sampling: ShotSampling,
        rng: &mut R,
    ) -> Result<Vec<f64>> {
        if shots == 0 {
            return Err(Error::InvalidConfig {
                reason: "shot gradients need at least one shot".into(),
            });
        }
        let mut grad = vec![0.0; self.num_params];
        for (index, weight, plus, minus) in &self.pairs {
            let (mut sp, mut sm) = (0.0, 0.0);
            for _ in 0..shots {
                let u = uniform(rng);
                match sampling {
                    ShotSampling::Independent => {
                        sp += plus[0].at(u);
                        sm += minus[0].at(uniform(rng));
                    }
                    ShotSampling::Antithetic => {
                        sp += plus[0].at(u);
                        sm += minus[1].at(1.0 - u);
                    }
                }
            }
            grad[*index] += weight * (sp - sm) / shots as f64;
        }
        Ok(grad)
    }
}

/// Variances of the shot gradient under both samplings, at equal shots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VarianceComparison {
    /// Per-parameter variance with independent shots.
    pub independent: Vec<f64>,
    /// Per-parameter variance with antithetic shots.
    pub antithetic: Vec<f64>,
    /// `sum(independent) / sum(antithetic)`: the variance reduction.
    pub ratio: f64,
    /// Per-parameter mean of the antithetic estimates (unbiasedness check).
    pub antithetic_mean: Vec<f64>,
}

/// Repeats the estimate `repeats` times with each sampling (fresh random numbers, seeded) and
/// reports the variance of every gradient component.
pub fn compare_sampling(
    backend: &dyn ExactBackend,
    circuit: &Circuit,
    theta: &[f64],
    observable: &PauliSum,
    shots: u64,
    repeats: usize,
    seed: u64,
) -> Result<VarianceComparison> {
    if repeats < 2 {
        return Err(Error::InvalidConfig {
            reason: "a variance needs at least two repeats".into(),
        });
    }
    let prepared = Prepared::new(backend, circuit, theta, observable)?;
    let stats = |sampling: ShotSampling, stream: CipherStream| -> Result<(Vec<f64>, Vec<f64>)> {
        let mut rng = stream.rng(seed, 0);
        let runs = (0..repeats)
            .map(|_| prepared.sample(shots, sampling, &mut rng))
            .collect::<Result<Vec<_>>>()?;
        let m = repeats as f64;
        let mean: Vec<f64> =
            (0..prepared.num_params).map(|j| runs.iter().map(|g| g[j]).sum::<f64>() / m).collect();
        let var = (0..prepared.num_params)
            .map(|j| runs.iter().map(|g| (g[j] - mean[j]).powi(2)).sum::<f64>() / (m - 1.0))
            .collect();
        Ok((mean, var))
    };
    let (_, independent) = stats(ShotSampling::Independent, SHOT_VARIANCE_INDEPENDENT)?;
    let (antithetic_mean, antithetic) = stats(ShotSampling::Antithetic, SHOT_VARIANCE_ANTITHETIC)?;
    let ratio = independent.iter().sum::<f64>() / antithetic.iter().sum::<f64>();
    Ok(VarianceComparison { independent, antithetic, ratio, antithetic_mean })
}

#[cfg(test)]
mod tests {
    use super::*;
    use qsim_core::pauli::PauliString;

    #[test]
    fn only_diagonal_observables_are_accepted() {
        let mut o = PauliSum::new();
        o.add(0.5, PauliString::parse("Z0 Z2").unwrap()).unwrap();
        o.add(1.0, PauliString::identity()).unwrap();
        assert_eq!(diagonal_terms(&o).unwrap(), vec![(0.5, 0b101), (1.0, 0)]);
        let x = PauliSum::single(1.0, PauliString::parse("X1").unwrap()).unwrap();
        assert!(matches!(diagonal_terms(&x), Err(Error::NonDiagonalObservable { .. })));
    }

    #[test]
    fn quantiles_follow_the_cdf() {
        let q = Quantiles::new(&[0.25, 0.75], &[1.0, -1.0], false);
        assert_eq!(q.at(0.1), -1.0);
        assert_eq!(q.at(0.8), 1.0);
        let d = Quantiles::new(&[0.25, 0.75], &[1.0, -1.0], true);
        assert_eq!(d.at(0.1), 1.0);
    }
}
