//! Training the reverse process from counts alone, as on hardware: shot-estimated features,
//! parameter-shift gradients with antithetic pairing, readout mitigation, and the shifted
//! circuits of several timesteps batched into one job.
//!
//! # One iteration
//!
//! 1. Draw `batch` Haar-random seeds, `data_batch` data points and `timesteps_per_iteration`
//!    distinct steps `t` (all from the iteration's random stream).
//! 2. Forward: every seed's chain measured in X, Y and Z ([`crate::hardware`]), `shots`
//!    each; readout-corrected Bloch features `f_i`; the loss `D(f, data)` and its gradient
//!    `g_i = dD/df_i` ([`crate::distance`]).
//! 3. Gradient: for every drawn step `t`, every seed and basis, the chain with step `t`'s
//!    angles free and every other step bound, shifted by the parameter-shift rule
//!    ([`qhw_mitigation::shot_gradient::shift_terms`]). The `+` and `-` runs of a term share the
//!    seed (the pairing a device allows: [`qhw_mitigation::shot_gradient`]), so the spread of
//!    the features over seeds cancels in their difference. A term adds
//!    `weight * sum_q g_i[q, basis] (<Z_q>_+ - <Z_q>_-)` (readout-corrected parities) to its
//!    angle of step `t`; the angle gradients go to the parameters through the timestep
//!    embedding ([`qansatz_mps::embedding::ConditionalAnsatz::backprop`]). Steps are a random
//!    subset, so their sum is scaled by `T / timesteps_per_iteration`: unbiased for the full
//!    gradient of the shot-estimated loss's linearisation.
//! 4. With a level term (weight [`ShotTrainConfig::levels`]): one level `l` in `1..T` drawn
//!    per iteration; the chains stopped at `l` ([`crate::hardware::chain_circuit_to_level`])
//!    measured like the forward chains, against forward samples of the same data points at `l`
//!    made by the device itself: the data state prepared by one gate per qubit, `l` injection
//!    layers with the strengths the caller passes (with noise-floor compensation, the schedule
//!    minus the device's own per-step noise: [`crate::injection`]), one Pauli draw per data
//!    point, measured in X, Y and Z with readout correction. The steps `t > l` get
//!    parameter-shift pairs of the stopped chains too, weighted by the level distance's
//!    gradient.
//! 5. An Adam step (half-cosine step size, as [`crate::train`]).
//!
//! The forward circuits (and the level term's) and all the shifted circuits of an iteration go
//! in one job ("coherent batching" of the timesteps); [`ShotTraining`] also reports what a forward job and one job
//! per timestep would have cost (the same circuits and shots, more jobs and so more latency).
//!
//! The backend sees logical circuits on qubits `0..n+k` (system first): to run on a device,
//! wrap it in a backend that compiles each circuit onto its qubits (as a provider's transpiler
//! does). Readout calibration runs once, on logical qubits `0..n`, before the first iteration;
//! this is right when the chain's routing leaves the system qubits where they started (no
//! swaps, as with ancillas coupled to the end of the line).

use qansatz_mps::ansatz::Init;
use qansatz_mps::optim::Adam;
use qhw_mitigation::backend::Backend;
use qhw_mitigation::calibration::{TensoredMethod, calibrate_tensored};
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::readout::TensoredReadout;
use qhw_mitigation::shot_gradient::shift_terms;
use qrandom::streams::{SHOT_TRAIN_ITERATION, SHOT_TRAIN_JOB, TRAIN_INIT};
use qsim_core::circuit::Circuit;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::data::{EncodedData, haar_angles};
use crate::distance::{Distance, MmdKernel};
use crate::error::{Error, Result};
use crate::features::Readout;
use crate::hardware::{Basis, bloch_from_counts, chain_circuit_to_level};
use crate::injection::{Axis, PauliDraw, data_forward_circuit};
use crate::reverse::ReverseModel;
use crate::train::cosine_learning_rate;

/// How a model is trained from counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShotTrainConfig {
    /// Adam steps.
    pub iterations: usize,
    /// Seeds per iteration.
    pub batch: usize,
    /// Data points per iteration.
    pub data_batch: usize,
    /// Shots per circuit (forward and shifted).
    pub shots: u64,
    /// Steps whose angles get a gradient in each iteration.
    pub timesteps_per_iteration: usize,
    /// Weight of the level term (0: the end term only). Each iteration draws one level
    /// uniformly from `1..T` and compares the chains stopped there with forward samples of the
    /// data that the device makes at that level.
    pub levels: f64,
    /// Shots per readout-calibration circuit.
    pub calibration_shots: u64,
    /// Initial step size.
    pub learning_rate: f64,
    /// Step size at the last iteration.
    pub final_learning_rate: f64,
    /// The distance between the seeds' features and the data.
    pub distance: Distance,
    /// Initial parameters.
    pub init: Init,
    /// Seed of initialisation, batches and jobs.
    pub seed: u64,
}

impl Default for ShotTrainConfig {
    fn default() -> Self {
        Self {
            iterations: 30,
            batch: 8,
            data_batch: 64,
            shots: 256,
            timesteps_per_iteration: 2,
            levels: 0.0,
            calibration_shots: 8192,
            learning_rate: 0.03,
            final_learning_rate: 0.005,
            distance: Distance::Mmd {
                kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0, 4.0, 8.0] },
            },
            init: Init::NearIdentity { scale: 0.005 },
            seed: 1,
        }
    }
}

/// What training from counts produced and cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShotTraining {
    /// Final parameters.
    pub params: Vec<f64>,
    /// The shot-estimated loss of every iteration (before its step).
    pub losses: Vec<f64>,
    /// Circuits run (calibration included).
    pub circuits: usize,
    /// Shots taken (calibration included).
    pub shots: u64,
    /// Jobs submitted: calibration, then one per iteration.
    pub jobs: usize,
    /// Jobs the same work needs with a forward job and one gradient job per timestep.
    pub jobs_unbatched: usize,
    /// Device seconds of the submitted jobs.
    pub device_seconds: f64,
    /// Device seconds with one gradient job per timestep (the extra jobs' latency added).
    pub device_seconds_unbatched: f64,
}

/// One `(+, -)` pair of shifted runs of a gradient job: step `t`'s `angle`, the rule's
/// `weight`, which seed and which basis.
struct ShiftedPair {
    /// Whether the pair's chain stops at the level (else it runs to the end).
    level: bool,
    t: usize,
    angle: usize,
    weight: f64,
    seed: usize,
    basis: usize,
}

/// Per-qubit parities `<Z_q>` of `counts`, readout-corrected.
fn parities(
    counts: &qhw_mitigation::counts::Counts,
    readout: &TensoredReadout,
    n: usize,
) -> Result<Vec<f64>> {
    (0..n).map(|q| Ok(readout.parity(counts, 1 << q)?)).collect()
}

/// What one iteration's estimate needs besides the model and the batch.
#[derive(Clone, Copy, Debug)]
pub struct StepSettings<'a> {
    /// The distance between features and data.
    pub distance: &'a Distance,
    /// The steps whose angles get a gradient (the sum is scaled by `T / steps.len()`).
    pub steps: &'a [usize],
    /// Shots per circuit.
    pub shots: u64,
    /// Readout correction of the system qubits (bit `q` = system qubit `q`).
    pub readout: &'a TensoredReadout,
    /// Seed of the jobs.
    pub seed: u64,
    /// The iteration (selects the jobs' random streams).
    pub iteration: usize,
    /// The level term, if any.
    pub level: Option<LevelTerm<'a>>,
}

/// The level term of one iteration: the chains stopped at `level` against forward samples of
/// the data at `level` that the device makes itself (see the module documentation).
#[derive(Clone, Copy, Debug)]
pub struct LevelTerm<'a> {
    /// The level `1..T` the chains stop at.
    pub level: usize,
    /// Its weight in the loss.
    pub weight: f64,
    /// The targets' circuits, measured on the system qubits: for every data point its forward
    /// circuit at `level` in X, Y and Z, in that order
    /// ([`crate::injection::data_forward_circuit`], one Pauli draw per data point).
    pub target_circuits: &'a [Circuit],
}

/// The loss and parameter gradient of one batch, estimated from counts, and their cost.
#[derive(Clone, Debug, PartialEq)]
pub struct StepEstimate {
    /// The distance between the shot-estimated features and the data.
    pub loss: f64,
    /// The parameter-shift gradient.
    pub gradient: Vec<f64>,
    /// Circuits run (forward and shifted).
    pub circuits: usize,
    /// Shots taken.
    pub shots: u64,
    /// Device seconds of the job.
    pub device_seconds: f64,
}

/// Steps 2 and 3 of the module documentation for one batch, in one job: the forward circuits
/// (with a level term: the chains stopped at its level and the targets' forward circuits too)
/// and every shifted circuit of `settings.steps` (the shifted circuits do not depend on the
/// forward results; only their weights `g` do, and those are applied after the job).
pub fn estimate_step(
    backend: &dyn Backend,
    reverse: &ReverseModel,
    params: &[f64],
    seeds: &[Vec<(f64, f64)>],
    targets: &[Vec<f64>],
    settings: &StepSettings<'_>,
) -> Result<StepEstimate> {
    let (n, steps) = (reverse.num_system(), reverse.steps());
    let model = reverse.model();
    let shots = settings.shots;
    let level = settings.level.as_ref();
    if let Some(term) = level {
        if term.level == 0 || term.level >= steps {
            return Err(Error::InvalidConfig {
                reason: format!("a level term at level {} of {steps} steps", term.level),
            });
        }
        if term.target_circuits.is_empty() || term.target_circuits.len() % 3 != 0 {
            return Err(Error::DimensionMismatch {
                what: "target circuits of the level term (three per data point)",
                expected: 3 * (term.target_circuits.len() / 3).max(1),
                got: term.target_circuits.len(),
            });
        }
    }
    // The chains' stopping levels: 0 (the end term) and the level term's.
    let stops: Vec<usize> = std::iter::once(0).chain(level.map(|l| l.level)).collect();
    let mut forward = Vec::with_capacity(3 * seeds.len() * stops.len());
    for &stop in &stops {
        for s in seeds {
            for basis in Basis::ALL {
                let circuit = chain_circuit_to_level(reverse, params, s, basis, stop, None)?;
                forward.push(Experiment::fixed(circuit, shots));
            }
        }
    }
    if let Some(term) = level {
        forward.extend(term.target_circuits.iter().map(|c| Experiment::fixed(c.clone(), shots)));
    }
    let mut experiments = Vec::new();
    let mut terms: Vec<ShiftedPair> = Vec::new();
    for &t in settings.steps {
        let angles = model.angles(params, t)?;
        for &stop in stops.iter().filter(|&&stop| stop < t) {
            for (i, s) in seeds.iter().enumerate() {
                for (b, basis) in Basis::ALL.into_iter().enumerate() {
                    let circuit = chain_circuit_to_level(reverse, params, s, basis, stop, Some(t))?;
                    for term in shift_terms(&circuit, &angles)? {
                        experiments.push(Experiment::fixed(term.plus, shots));
                        experiments.push(Experiment::fixed(term.minus, shots));
                        terms.push(ShiftedPair {
                            level: stop > 0,
                            t,
                            angle: term.index,
                            weight: term.weight,
                            seed: i,
                            basis: b,
                        });
                    }
                }
            }
        }
    }
    // One job: the forward circuits first, then every shifted circuit of every chosen step.
    let it = settings.iteration as u64;
    let forward_len = forward.len();
    let shifted_len = experiments.len();
    let mut all = forward;
    all.extend(experiments);
    let job = backend.run(&all, SHOT_TRAIN_JOB.seed(settings.seed, it))?;
    let (forward_counts, shifted_counts) = job.counts.split_at(forward_len);
    let features: Vec<Vec<f64>> = forward_counts
        .chunks_exact(3)
        .map(|c| bloch_from_counts(c, Some(settings.readout)))
        .collect::<Result<_>>()?;
    let (end_features, rest) = features.split_at(seeds.len());
    let (mut loss, end_df) = settings.distance.loss_and_grad(end_features, targets, it);
    // `g[level][seed]`: the loss's gradient with respect to the seed's features at the end
    // (index 0) and at the level (index 1), weights included.
    let mut g = vec![end_df];
    if let Some(term) = level {
        let (chain_features, level_targets) = rest.split_at(seeds.len());
        let (l, df) = settings.distance.loss_and_grad(chain_features, level_targets, it);
        loss += term.weight * l;
        g.push(df.into_iter().map(|d| d.into_iter().map(|x| term.weight * x).collect()).collect());
    }
    let mut dangles = vec![vec![0.0; model.ansatz().num_angles()]; steps + 1];
    for (term, pair) in terms.iter().zip(shifted_counts.chunks_exact(2)) {
        let plus = parities(&pair[0], settings.readout, n)?;
        let minus = parities(&pair[1], settings.readout, n)?;
        let g = &g[usize::from(term.level)][term.seed];
        let directional: f64 = (0..n).map(|q| g[3 * q + term.basis] * (plus[q] - minus[q])).sum();
        dangles[term.t][term.angle] += term.weight * directional;
    }
    let scale = steps as f64 / settings.steps.len() as f64;
    let mut gradient = vec![0.0; params.len()];
    for &t in settings.steps {
        let d: Vec<f64> = dangles[t].iter().map(|x| x * scale).collect();
        model.backprop(t, &d, &mut gradient)?;
    }
    let circuits = forward_len + shifted_len;
    Ok(StepEstimate {
        loss,
        gradient,
        circuits,
        shots: circuits as u64 * shots,
        device_seconds: job.device_seconds,
    })
}

/// Trains `reverse` from the counts of `backend` (see the module documentation);
/// `on_iteration(k, loss)` sees every step.
///
/// `injected[s - 1][q]` is the depolarizing strength the device's forward circuits inject on
/// system qubit `q` in step `s` (all `T` steps): the designed schedule, or with noise-floor
/// compensation [`crate::injection::Compensation::strengths_up_to`]. The level term needs it
/// and product-encoded data; without a level term it is not read.
pub fn train_from_counts(
    backend: &dyn Backend,
    reverse: &ReverseModel,
    data: &EncodedData,
    config: &ShotTrainConfig,
    injected: Option<&[Vec<f64>]>,
    mut on_iteration: impl FnMut(usize, f64),
) -> Result<ShotTraining> {
    let (n, steps) = (reverse.num_system(), reverse.steps());
    let k_steps = config.timesteps_per_iteration;
    let level_data = level_term_inputs(config, data, injected, n, steps)?;
    if config.batch < 2 || config.data_batch < 2 || data.len() < 2 || config.shots == 0 {
        return Err(Error::InvalidConfig {
            reason: "shot training needs two seeds, two data points and shots per iteration".into(),
        });
    }
    if k_steps == 0 || k_steps > steps {
        return Err(Error::InvalidConfig {
            reason: format!("{k_steps} timesteps per iteration out of {steps}"),
        });
    }
    let model = reverse.model();
    let mut params = model.init_params(config.init, &mut TRAIN_INIT.rng(config.seed, 0));
    let mut adam = Adam::new(params.len(), config.learning_rate);
    let qubits: Vec<usize> = (0..n).collect();
    let calibration = calibrate_tensored(
        backend,
        &qubits,
        config.calibration_shots,
        TensoredMethod::ZerosAndOnes,
        SHOT_TRAIN_JOB.seed(config.seed, u64::MAX),
    )?;
    let readout = calibration.model;
    let latency = backend.timing().latency_seconds;
    let mut out = ShotTraining {
        params: Vec::new(),
        losses: Vec::with_capacity(config.iterations),
        circuits: 2,
        shots: calibration.shots,
        jobs: 1,
        jobs_unbatched: 1,
        device_seconds: calibration.device_seconds,
        device_seconds_unbatched: calibration.device_seconds,
    };
    for it in 0..config.iterations {
        let mut rng = SHOT_TRAIN_ITERATION.rng(config.seed, it as u64);
        let seeds: Vec<Vec<(f64, f64)>> =
            (0..config.batch).map(|_| (0..n).map(|_| haar_angles(&mut rng)).collect()).collect();
        let images: Vec<usize> =
            (0..config.data_batch).map(|_| rng.random_range(0..data.len())).collect();
        let targets: Vec<Vec<f64>> =
            images.iter().map(|&i| data.features(i, Readout::Bloch)).collect::<Result<_>>()?;
        let mut chosen: Vec<usize> = (1..=steps).collect();
        for i in 0..k_steps {
            let j = rng.random_range(i..steps);
            chosen.swap(i, j);
        }
        chosen.truncate(k_steps);
        chosen.sort_unstable();
        let target_circuits = match &level_data {
            Some((angles, strengths)) => {
                let level = rng.random_range(1..steps);
                let mut circuits = Vec::with_capacity(3 * images.len());
                for &image in &images {
                    let draw = PauliDraw::sample(&strengths[..level], &mut rng)?;
                    for axis in Axis::ALL {
                        circuits.push(data_forward_circuit(
                            n,
                            &qubits,
                            &angles[image],
                            &draw,
                            &vec![axis; n],
                        )?);
                    }
                }
                Some((level, circuits))
            }
            None => None,
        };

        let step = estimate_step(
            backend,
            reverse,
            &params,
            &seeds,
            &targets,
            &StepSettings {
                distance: &config.distance,
                steps: &chosen,
                shots: config.shots,
                readout: &readout,
                seed: config.seed,
                iteration: it,
                level: target_circuits.as_ref().map(|(level, circuits)| LevelTerm {
                    level: *level,
                    weight: config.levels,
                    target_circuits: circuits,
                }),
            },
        )?;
        let grad = step.gradient;
        out.circuits += step.circuits;
        out.shots += step.shots;
        out.jobs += 1;
        out.jobs_unbatched += 1 + k_steps;
        out.device_seconds += step.device_seconds;
        out.device_seconds_unbatched += step.device_seconds + k_steps as f64 * latency;
        let loss = step.loss;

        adam.learning_rate = cosine_learning_rate(
            config.learning_rate,
            config.final_learning_rate,
            it,
            config.iterations,
        );
        adam.step(&mut params, &grad)?;
        out.losses.push(loss);
        on_iteration(it, loss);
    }
    out.params = params;
    Ok(out)
}

/// The product-state angles of the data and the injected strengths, when the configuration has
/// a level term (checked against the model).
#[allow(clippy::type_complexity)]
fn level_term_inputs<'a>(
    config: &ShotTrainConfig,
    data: &'a EncodedData,
    injected: Option<&'a [Vec<f64>]>,
    n: usize,
    steps: usize,
) -> Result<Option<(&'a [Vec<(f64, f64)>], &'a [Vec<f64>])>> {
    if !(config.levels.is_finite() && config.levels >= 0.0) {
        return Err(Error::InvalidConfig {
            reason: format!("the level term's weight {} must be finite and >= 0", config.levels),
        });
    }
    if config.levels == 0.0 {
        return Ok(None);
    }
    if steps < 2 {
        return Err(Error::InvalidConfig {
            reason: "a level term needs a chain of at least two steps".into(),
        });
    }
    let EncodedData::Product(angles) = data else {
        return Err(Error::InvalidConfig {
            reason: "a level term prepares the data on the device: it needs product-encoded data"
                .into(),
        });
    };
    let strengths = injected.ok_or_else(|| Error::InvalidConfig {
        reason: "a level term needs the strengths the device's forward circuits inject".into(),
    })?;
    if strengths.len() != steps {
        return Err(Error::DimensionMismatch {
            what: "steps of the injected strengths",
            expected: steps,
            got: strengths.len(),
        });
    }
    if let Some(row) = strengths.iter().find(|row| row.len() != n) {
        return Err(Error::DimensionMismatch {
            what: "qubits of a step's injected strengths",
            expected: n,
            got: row.len(),
        });
    }
    Ok(Some((angles, strengths)))
}
