//! Parameter-shift gradients estimated from counts, with the shifted runs paired through the
//! circuits' classical randomness: the only pairing a device allows.
//!
//! # What is estimated
//!
//! A [`RandomizedCircuit`] is a family of circuits indexed by classical random numbers
//! `u in [0, 1)^m` that the caller draws (the input state of a generative model, the Pauli
//! gates that inject a forward process's noise, a randomized-compiling twirl). For each draw it
//! gives one or more measured [`Setting`]s: a parametrised circuit and a diagonal observable
//! on its read bits. The target is the gradient of `E_u [sum_s <O_s>(theta; u)]`. The
//! parameter-shift rule writes each component as a weighted difference of expectation values
//! at shifted angles, `(E(+pi/2) - E(-pi/2)) / 2` (four terms for controlled rotations), and
//! every `E` is a mean over the counts of one circuit run on the backend.
//!
//! # Pairing
//!
//! Shots of two different circuits on a device are independent: its randomness is quantum,
//! and nothing a user submits couples the outcome of one shot of the `+shift` circuit to one of
//! the `-shift` circuit. What the user does control is the classical randomness, and that can
//! be shared ([`Pairing`]):
//! - [`Pairing::Independent`]: the `+shift` and `-shift` runs of every draw use draws of their
//!   own, so the spread of `<O>(theta; u)` over `u` enters both means;
//! - [`Pairing::Antithetic`]: both runs use the same draw, so the `+shift` and `-shift` runs
//!   are an antithetic pair for the difference (positively correlated terms of opposite sign):
//!   the part of the spread over `u` that the shift does not change cancels;
//! - [`Pairing::AntitheticMirrored`]: shared draws that also come in mirrored pairs `u` and
//!   `1 - u` (for a seed state drawn from `u`, the partner is its reflection), which helps when
//!   the shifted difference is odd under the mirror and hurts when it is even: measure it.
//!
//! All three are unbiased (each run on its own keeps its distribution); they differ only in
//! variance, which [`compare_pairings`] measures from counts. For a circuit without classical
//! randomness (`num_uniforms() == 0`) the three coincide: no pairing can reduce shot noise on a
//! device. (An earlier version of this module coupled the shots themselves through shared
//! uniforms on the exact outcome distributions, which only a simulator can do.)
//!
//! # Cost
//!
//! A gradient costs `draws x settings x (shift terms) x 2` circuits of `shots` shots each, all
//! submitted as one job ([`GradientEstimate`] reports circuits, shots, jobs and device time).
//! Readout error is corrected per parity with a tensored model ([`TensoredReadout::parity`]) when
//! one is given.

use qrandom::distributions::uniform;
use qrandom::streams::{SHOT_GRADIENT_DRAWS, SHOT_GRADIENT_JOBS, SHOT_GRADIENT_MINUS_DRAWS};
use qsim_core::circuit::{Circuit, Operation, Param};
use qsim_core::gate::ShiftRule;
use qsim_core::pauli::PauliSum;
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::counts::Counts;
use crate::error::{Error, Result};
use crate::experiment::Experiment;
use crate::readout::TensoredReadout;

/// How the classical random draws of the `+shift` and `-shift` runs are related.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pairing {
    /// Each shifted run has draws of its own.
    Independent,
    /// The `+shift` and `-shift` runs of a draw share it.
    #[default]
    Antithetic,
    /// Shared draws, in mirrored pairs `u` and `1 - u`.
    AntitheticMirrored,
}

impl Pairing {
    /// The three pairings, weakest first.
    pub const ALL: [Pairing; 3] =
        [Pairing::Independent, Pairing::Antithetic, Pairing::AntitheticMirrored];
}

/// One measured setting: a parametrised circuit and a diagonal observable on its read bits.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// The circuit (parameters as `Param::Ref`); it measures into classical bits, or, without
    /// `measure` operations, every qubit is read (bit `q` = qubit `q`).
    pub circuit: Circuit,
    /// `sum_j c_j Z_{mask_j}` on the read bits as `(c_j, mask_j)`.
    pub observable: Vec<(f64, usize)>,
}

/// A family of circuits indexed by classical random numbers.
pub trait RandomizedCircuit: Sync {
    /// Parameters of the family's circuits.
    fn num_params(&self) -> usize;
    /// Uniform numbers one draw needs (0: no classical randomness).
    fn num_uniforms(&self) -> usize;
    /// The settings of draw `uniforms` (length [`RandomizedCircuit::num_uniforms`]).
    fn settings(&self, uniforms: &[f64]) -> Result<Vec<Setting>>;
}

/// A single circuit and observable, without classical randomness.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedCircuit {
    setting: Setting,
}

impl FixedCircuit {
    /// `circuit` (every qubit read) and a diagonal `observable` (sums of `Z` strings).
    pub fn new(circuit: Circuit, observable: &PauliSum) -> Result<Self> {
        if observable.min_qubits() > circuit.num_qubits() {
            return Err(Error::UnknownQubit {
                qubit: observable.min_qubits() - 1,
                num_qubits: circuit.num_qubits(),
            });
        }
        Ok(Self { setting: Setting { circuit, observable: diagonal_terms(observable)? } })
    }
}

impl RandomizedCircuit for FixedCircuit {
    fn num_params(&self) -> usize {
        self.setting.circuit.num_params()
    }

    fn num_uniforms(&self) -> usize {
        0
    }

    fn settings(&self, _uniforms: &[f64]) -> Result<Vec<Setting>> {
        Ok(vec![self.setting.clone()])
    }
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

/// How a gradient is estimated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientConfig {
    /// Classical draws per gradient (even for [`Pairing::AntitheticMirrored`]).
    pub draws: usize,
    /// Shots per shifted circuit.
    pub shots: u64,
    /// How the shifted runs share draws.
    pub pairing: Pairing,
}

/// A gradient estimated from counts, and what it cost on the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientEstimate {
    /// One component per parameter.
    pub gradient: Vec<f64>,
    /// Circuits run.
    pub circuits: usize,
    /// Shots taken, all circuits together.
    pub shots: u64,
    /// Jobs submitted.
    pub jobs: usize,
    /// Device seconds of those jobs.
    pub device_seconds: f64,
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

/// One term of the parameter-shift rule: both shifted circuits (bound) and the term's weight:
/// the term adds `weight (E(plus) - E(minus))` to component `index` of the gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct ShiftTerm {
    /// The parameter.
    pub index: usize,
    /// The circuit with this occurrence of the parameter shifted up.
    pub plus: Circuit,
    /// The circuit with it shifted down.
    pub minus: Circuit,
    /// The rule's weight times the reference's scale.
    pub weight: f64,
}

/// Every term of the parameter-shift rule of `circuit` at `theta`: one per occurrence of a
/// parameter reference (two for the four-term rule of controlled rotations), weights including
/// the reference's scale.
pub fn shift_terms(circuit: &Circuit, theta: &[f64]) -> Result<Vec<ShiftTerm>> {
    let bound = circuit.bind(theta)?;
    let h = std::f64::consts::FRAC_PI_2;
    let s2 = std::f64::consts::SQRT_2;
    let mut terms = Vec::new();
    for (i, op) in circuit.ops().iter().enumerate() {
        let Operation::Gate { gate, params, .. } = op else { continue };
        for (k, p) in params.iter().enumerate() {
            let Param::Ref { index, scale } = *p else { continue };
            let rule: Vec<(f64, f64)> = match gate.shift_rule(k) {
                ShiftRule::TwoTerm => vec![(h, 0.5)],
                ShiftRule::FourTerm => {
                    vec![(h, (s2 + 1.0) / (4.0 * s2)), (3.0 * h, -(s2 - 1.0) / (4.0 * s2))]
                }
            };
            for (delta, weight) in rule {
                terms.push(ShiftTerm {
                    index,
                    plus: shifted(&bound, i, k, delta)?,
                    minus: shifted(&bound, i, k, -delta)?,
                    weight: weight * scale,
                });
            }
        }
    }
    Ok(terms)
}

/// What the counts of one shifted run add to the gradient: `weight <observable>` to component
/// `index`.
struct Contribution {
    index: usize,
    weight: f64,
    observable: Vec<(f64, usize)>,
}

/// The observable's mean over `counts`, corrected for readout error when a model is given.
fn observable_mean(
    counts: &Counts,
    observable: &[(f64, usize)],
    readout: Option<&TensoredReadout>,
) -> Result<f64> {
    observable
        .iter()
        .map(|&(c, mask)| {
            Ok(c * match readout {
                Some(model) => model.parity(counts, mask)?,
                None => counts.parity_expectation(mask)?,
            })
        })
        .sum()
}

/// The draws of one gradient: `(draw of the + runs, draw of the - runs)` per draw.
fn draws(
    family: &dyn RandomizedCircuit,
    config: &GradientConfig,
    seed: u64,
) -> Result<Vec<(Vec<f64>, Vec<f64>)>> {
    if config.draws == 0 || config.shots == 0 {
        return Err(Error::InvalidConfig {
            reason: format!(
                "a shot gradient needs draws and shots (got {} draws of {} shots)",
                config.draws, config.shots
            ),
        });
    }
    if config.pairing == Pairing::AntitheticMirrored && config.draws % 2 == 1 {
        return Err(Error::InvalidConfig {
            reason: format!("mirrored pairing needs an even number of draws, got {}", config.draws),
        });
    }
    let m = family.num_uniforms();
    let mut plus_rng = SHOT_GRADIENT_DRAWS.rng(seed, 0);
    let mut minus_rng = SHOT_GRADIENT_MINUS_DRAWS.rng(seed, 0);
    let fresh =
        |rng: &mut rand_chacha::ChaCha8Rng| -> Vec<f64> { (0..m).map(|_| uniform(rng)).collect() };
    let mut out = Vec::with_capacity(config.draws);
    while out.len() < config.draws {
        let u = fresh(&mut plus_rng);
        match config.pairing {
            Pairing::Independent => out.push((u, fresh(&mut minus_rng))),
            Pairing::Antithetic => out.push((u.clone(), u)),
            Pairing::AntitheticMirrored => {
                let mirror: Vec<f64> = u.iter().map(|x| 1.0 - x).collect();
                out.push((u.clone(), u));
                out.push((mirror.clone(), mirror));
            }
        }
    }
    Ok(out)
}

/// The gradient of `E_u [sum_s <O_s>(theta; u)]` from the counts of one job on `backend`.
///
/// Every shifted circuit of every draw and setting runs for `config.shots` shots; the estimate
/// is the rule's weighted difference of observable means, averaged over the draws. `readout`
/// (indexed by classical bit) corrects each parity for readout error. Reproducible from `seed`.
pub fn estimate_gradient(
    backend: &dyn Backend,
    family: &dyn RandomizedCircuit,
    theta: &[f64],
    config: &GradientConfig,
    readout: Option<&TensoredReadout>,
    seed: u64,
) -> Result<GradientEstimate> {
    if theta.len() != family.num_params() {
        return Err(Error::DimensionMismatch {
            what: "parameters of the gradient",
            expected: family.num_params(),
            got: theta.len(),
        });
    }
    // What each experiment contributes, in submission order.
    let mut terms: Vec<Contribution> = Vec::new();
    let mut experiments = Vec::new();
    for (plus_draw, minus_draw) in draws(family, config, seed)? {
        let plus_settings = family.settings(&plus_draw)?;
        let minus_settings = family.settings(&minus_draw)?;
        if plus_settings.len() != minus_settings.len() {
            return Err(Error::InvalidConfig {
                reason: "a randomized circuit must give the same number of settings per draw"
                    .into(),
            });
        }
        for (sp, sm) in plus_settings.iter().zip(&minus_settings) {
            let plus_terms = shift_terms(&sp.circuit, theta)?;
            let minus_terms = shift_terms(&sm.circuit, theta)?;
            if plus_terms.len() != minus_terms.len() {
                return Err(Error::InvalidConfig {
                    reason: "the settings of two draws must have the same parametrised gates"
                        .into(),
                });
            }
            for (p, m) in plus_terms.into_iter().zip(minus_terms) {
                experiments.push(Experiment::fixed(p.plus, config.shots));
                experiments.push(Experiment::fixed(m.minus, config.shots));
                terms.push(Contribution {
                    index: p.index,
                    weight: p.weight,
                    observable: sp.observable.clone(),
                });
                // The - run reads its own setting's observable.
                terms.push(Contribution {
                    index: m.index,
                    weight: -m.weight,
                    observable: sm.observable.clone(),
                });
            }
        }
    }
    let job = backend.run(&experiments, SHOT_GRADIENT_JOBS.seed(seed))?;
    let mut gradient = vec![0.0; family.num_params()];
    for (term, counts) in terms.iter().zip(&job.counts) {
        gradient[term.index] += term.weight * observable_mean(counts, &term.observable, readout)?;
    }
    let d = config.draws as f64;
    gradient.iter_mut().for_each(|g| *g /= d);
    Ok(GradientEstimate {
        gradient,
        circuits: experiments.len(),
        shots: experiments.len() as u64 * config.shots,
        jobs: 1,
        device_seconds: job.device_seconds,
    })
}

/// The spread of repeated gradient estimates under each pairing, at equal draws and shots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairingComparison {
    /// Per-parameter variance with [`Pairing::Independent`].
    pub independent: Vec<f64>,
    /// Per-parameter variance with [`Pairing::Antithetic`].
    pub antithetic: Vec<f64>,
    /// Per-parameter variance with [`Pairing::AntitheticMirrored`].
    pub mirrored: Vec<f64>,
    /// Per-parameter mean of the estimates, one vector per pairing in [`Pairing::ALL`] order.
    pub means: [Vec<f64>; 3],
    /// `sum(independent) / sum(antithetic)`: the variance reduction of the antithetic estimator.
    pub antithetic_ratio: f64,
    /// `sum(independent) / sum(mirrored)`.
    pub mirrored_ratio: f64,
    /// Shots per gradient estimate (the same for every pairing).
    pub shots_per_estimate: u64,
}

/// Repeats [`estimate_gradient`] `repeats` times per pairing (fresh draws and shots from
/// `seed`, every figure from counts) and reports the variance of every component.
pub fn compare_pairings(
    backend: &dyn Backend,
    family: &dyn RandomizedCircuit,
    theta: &[f64],
    draws: usize,
    shots: u64,
    repeats: usize,
    seed: u64,
) -> Result<PairingComparison> {
    if repeats < 2 {
        return Err(Error::InvalidConfig {
            reason: "a variance needs at least two repeats".into(),
        });
    }
    let mut stats = Vec::with_capacity(3);
    let mut shots_per_estimate = 0;
    for (p, pairing) in Pairing::ALL.into_iter().enumerate() {
        let config = GradientConfig { draws, shots, pairing };
        let runs = (0..repeats)
            .map(|r| {
                let run_seed = qrandom::stream::mix(seed, (p * repeats + r) as u64);
                estimate_gradient(backend, family, theta, &config, None, run_seed)
            })
            .collect::<Result<Vec<_>>>()?;
        shots_per_estimate = runs[0].shots;
        let m = repeats as f64;
        let n = family.num_params();
        let mean: Vec<f64> =
            (0..n).map(|j| runs.iter().map(|g| g.gradient[j]).sum::<f64>() / m).collect();
        let var: Vec<f64> = (0..n)
            .map(|j| {
                runs.iter().map(|g| (g.gradient[j] - mean[j]).powi(2)).sum::<f64>() / (m - 1.0)
            })
            .collect();
        stats.push((mean, var));
    }
    let [(mi, independent), (ma, antithetic), (mm, mirrored)]: [(Vec<f64>, Vec<f64>); 3] =
        stats.try_into().expect("three pairings");
    let total = |v: &[f64]| v.iter().sum::<f64>();
    Ok(PairingComparison {
        antithetic_ratio: total(&independent) / total(&antithetic),
        mirrored_ratio: total(&independent) / total(&mirrored),
        independent,
        antithetic,
        mirrored,
        means: [mi, ma, mm],
        shots_per_estimate,
    })
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

    struct Uniforms(usize);
    impl RandomizedCircuit for Uniforms {
        fn num_params(&self) -> usize {
            0
        }
        fn num_uniforms(&self) -> usize {
            self.0
        }
        fn settings(&self, _: &[f64]) -> Result<Vec<Setting>> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn pairings_share_and_mirror_draws() {
        let family = Uniforms(2);
        let config = |pairing, draws| GradientConfig { draws, shots: 1, pairing };
        let ind = draws(&family, &config(Pairing::Independent, 2), 7).unwrap();
        assert!(ind.iter().all(|(p, m)| p != m));
        let shared = draws(&family, &config(Pairing::Antithetic, 2), 7).unwrap();
        assert!(shared.iter().all(|(p, m)| p == m));
        // The + draws are the same stream whatever the pairing.
        assert_eq!(ind[0].0, shared[0].0);
        let anti = draws(&family, &config(Pairing::AntitheticMirrored, 4), 7).unwrap();
        for k in [0, 2] {
            for (a, b) in anti[k].0.iter().zip(&anti[k + 1].0) {
                assert_eq!(a + b, 1.0);
            }
        }
        assert!(draws(&family, &config(Pairing::AntitheticMirrored, 3), 7).is_err());
        assert!(draws(&family, &config(Pairing::Antithetic, 0), 7).is_err());
    }
}
