//! The training objectives and how one iteration evaluates them: the ensemble terms along the
//! chain (end of chain, every level, teacher forcing, sequential) and the denoising fidelity.

use std::ops::Range;

use num_complex::Complex64;
use qcomm::{Collective, block, gather_rows};
use qrandom::streams::{TRAIN_BATCH_SEEDS, TRAIN_PROJECTIONS, TRAIN_SAMPLE, TRAIN_TEACHER_SAMPLE};
use qsim_core::gradient;
use qsim_core::state::StateVector;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Trainer;
use crate::distance::{Distance, FeatureMmd};
use crate::error::{Error, Result};
use crate::reverse::ChainTape;
use crate::sample;

/// The training objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Loss {
    /// A weighted sum of distances between ensembles of states ([`Terms`]).
    Ensembles {
        /// The distance between two ensembles' read-out features.
        distance: Distance,
        /// Which ensembles are compared, and with what weights.
        terms: Terms,
    },
    /// `1 - F`, the denoising infidelity of one step on forward pairs.
    DenoisingFidelity,
}

/// The weights of the ensemble terms of [`Loss::Ensembles`]; a zero weight skips its term and
/// its cost. `B` (the batch) states are generated per term, each compared with `D` (the data
/// batch) data or forward samples.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Terms {
    /// End of chain: chains run from Haar-random product seeds (what the forward process ends
    /// in), their final states against encoded images. The forward process enters only through
    /// its end point: alone, this trains the chain as a generator, not as a denoiser.
    pub end: f64,
    /// Every level: the same chains' states after each step `t` against forward samples at
    /// `t - 1`, averaged over the `T` levels (level 1 is the end of the chain). Gradients flow
    /// through every step before the level, in the same backward pass as the end term.
    pub levels: f64,
    /// Teacher forcing: one random step `t` applied to forward samples at `t`, against forward
    /// samples at `t - 1`; gradients through that step only.
    pub teacher: f64,
    /// Sequential, as QuDDPM trains: one random step `t` applied to the chain's own states at
    /// `t` (the seeds run through steps `T..t+1`, held fixed), against forward samples at
    /// `t - 1`; gradients through step `t` only.
    pub sequential: f64,
}

impl Terms {
    /// The end-of-chain term alone: the MMD generator, which ignores the forward process but
    /// for its end point.
    pub const END: Terms = Terms { end: 1.0, levels: 0.0, teacher: 0.0, sequential: 0.0 };

    /// Checks that every weight is finite and non-negative and at least one is positive.
    pub fn validate(&self) -> Result<()> {
        let weights = [self.end, self.levels, self.teacher, self.sequential];
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
            || weights.iter().all(|w| *w == 0.0)
        {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "loss weights {self:?} must be finite and non-negative, and one positive"
                ),
            });
        }
        Ok(())
    }

    /// True if the terms use the forward process beyond its end point.
    pub fn uses_forward_process(&self) -> bool {
        self.levels > 0.0 || self.teacher > 0.0 || self.sequential > 0.0
    }
}

impl Loss {
    /// Checks the weights and the distance's settings.
    pub fn validate(&self) -> Result<()> {
        match self {
            Loss::Ensembles { distance, terms } => {
                if let Distance::SlicedWasserstein { projections: 0 } = distance {
                    return Err(Error::InvalidConfig {
                        reason: "the sliced Wasserstein distance needs at least one direction"
                            .into(),
                    });
                }
                terms.validate()
            }
            Loss::DenoisingFidelity => Ok(()),
        }
    }
}

/// Where the inputs of a one-step term come from.
#[derive(Clone, Copy, Debug)]
enum StepInputs {
    /// Forward samples at `t` (teacher forcing).
    Forward,
    /// The chain's own states at `t`, from the iteration's seeds.
    Chain,
}

/// Generated final states with what their backpropagation needs.
type Outputs<T> = Vec<(StateVector, T)>;

/// A distance's value and its gradient with respect to every generated feature vector.
type DistanceAndGradient = (f64, Vec<Vec<f64>>);

/// Every term below splits the batch's `B` samples over the ranks of `comm` ([`block`]): a rank
/// generates and backpropagates the samples of its block only. What couples the samples is
/// gathered in global sample order (their read-out features, then their gradients), so the
/// distances and the sums over samples are taken by every rank exactly as one process takes
/// them (the level terms' distances are split over the ranks by level, and gathered). Random draws that are not per sample (targets, steps, images) are made by every rank
/// from the iteration's generator in the same order.
impl Trainer<'_> {
    /// The weighted ensemble terms and their gradient.
    pub(super) fn ensembles(
        &self,
        comm: &dyn Collective,
        distance: &Distance,
        terms: &Terms,
        params: &[f64],
        rng: &mut ChaCha8Rng,
        iteration_seed: u64,
    ) -> Result<(f64, Vec<f64>)> {
        let mut loss = 0.0;
        let mut grad = vec![0.0; params.len()];
        let mut add = |weight: f64, (l, g): (f64, Vec<f64>)| {
            loss += weight * l;
            grad.iter_mut().zip(g).for_each(|(a, b)| *a += weight * b);
        };
        if terms.end > 0.0 || terms.levels > 0.0 {
            add(1.0, self.chain_terms(comm, distance, terms, params, rng, iteration_seed)?);
        }
        for (weight, inputs) in
            [(terms.teacher, StepInputs::Forward), (terms.sequential, StepInputs::Chain)]
        {
            if weight > 0.0 {
                let term = self.step_term(comm, distance, inputs, params, rng, iteration_seed)?;
                add(weight, term);
            }
        }
        Ok((loss, grad))
    }

    /// The samples of this rank's block of the batch.
    fn my_block(&self, comm: &dyn Collective) -> Range<usize> {
        block(self.config.batch, comm.rank(), comm.size())
    }

    /// The end and level terms, already weighted: `B` chains from the iteration's seeds, one
    /// backward pass through each.
    fn chain_terms(
        &self,
        comm: &dyn Collective,
        distance: &Distance,
        terms: &Terms,
        params: &[f64],
        rng: &mut ChaCha8Rng,
        iteration_seed: u64,
    ) -> Result<(f64, Vec<f64>)> {
        let n = self.reverse.num_system();
        let steps = self.reverse.steps();
        let readout = self.config.readout;
        let batch = self.config.batch;
        let mine = self.my_block(comm);
        let seeds = sample::seeds(n, batch, TRAIN_BATCH_SEEDS.seed(iteration_seed, 0))?;
        let targets = self.data_batch(rng);
        let runs = seeds[mine.clone()]
            .par_iter()
            .zip(mine.clone())
            .map(|(s, i)| {
                let mut r = TRAIN_SAMPLE.rng(iteration_seed, i as u64);
                self.reverse.run_chain(params, s, &mut r, true)
            })
            .collect::<Result<Vec<_>>>()?;
        // level_states[c][t - 1]: this rank's chain c after step t (t = 1 is the end).
        let level_states: Vec<Vec<Vec<Complex64>>> = if terms.levels > 0.0 {
            runs.par_iter()
                .map(|(_, tape)| (1..=steps).map(|t| tape.records()[steps - t].output()).collect())
                .collect()
        } else {
            Vec::new()
        };
        // One row per chain: the end's features (if that term is on), then every level's.
        let local_rows: Vec<Vec<f64>> = (0..runs.len())
            .into_par_iter()
            .map(|c| {
                let mut row = Vec::new();
                if terms.end > 0.0 {
                    row.extend(readout.features(runs[c].0.amplitudes()));
                }
                for state in level_states.get(c).into_iter().flatten() {
                    row.extend(readout.features(state));
                }
                row
            })
            .collect();
        let rows = gather_rows(comm, &local_rows, batch)?;
        let dim = readout.dim(n);
        let features_at = |slot: usize| -> Vec<Vec<f64>> {
            rows.iter().map(|row| row[slot * dim..(slot + 1) * dim].to_vec()).collect()
        };
        // cotangents[c][j]: this rank's chain c, the output of its j-th step (t = T - j).
        let mut cotangents: Vec<Vec<Option<Vec<Complex64>>>> =
            runs.iter().map(|(_, tape)| vec![None; tape.len()]).collect();
        let mut loss = 0.0;
        let mut inject = |weight: f64, j: usize, states: &[&[Complex64]], dfs: &[Vec<f64>]| {
            for ((levels, psi), df) in cotangents.iter_mut().zip(states).zip(dfs) {
                let mut g = readout.cotangent(psi, df);
                g.iter_mut().for_each(|a| *a *= weight);
                match &mut levels[j] {
                    Some(existing) => existing.iter_mut().zip(&g).for_each(|(a, b)| *a += b),
                    slot => *slot = Some(g),
                }
            }
        };
        if terms.end > 0.0 {
            let seed = TRAIN_PROJECTIONS.seed(iteration_seed, 0);
            let (l, dfs) = self.feature_distance(distance, &features_at(0), &targets, seed);
            loss += terms.end * l;
            let finals: Vec<&[Complex64]> = runs.iter().map(|(psi, _)| psi.amplitudes()).collect();
            inject(terms.end, steps - 1, &finals, &dfs[mine.clone()]);
        }
        if terms.levels > 0.0 {
            let weight = terms.levels / steps as f64;
            let first = usize::from(terms.end > 0.0);
            // The targets in a fixed order from the iteration's generator, then the levels'
            // distances in parallel, each level's on one rank (a block of the levels per rank),
            // gathered: one row per level, its distance then its feature gradients.
            let level_targets: Vec<Vec<Vec<f64>>> =
                (1..=steps).map(|t| self.forward_targets(t - 1, rng)).collect::<Result<_>>()?;
            let my_levels = block(steps, comm.rank(), comm.size());
            let local_levels: Vec<Vec<f64>> = my_levels
                .into_par_iter()
                .map(|level| {
                    let seed = TRAIN_PROJECTIONS.seed(iteration_seed, level as u64 + 1);
                    let targets = &level_targets[level];
                    let (l, dfs) =
                        self.feature_distance(distance, &features_at(first + level), targets, seed);
                    std::iter::once(l).chain(dfs.into_iter().flatten()).collect()
                })
                .collect();
            let levels: Vec<DistanceAndGradient> = gather_rows(comm, &local_levels, steps)?
                .into_iter()
                .map(|row| (row[0], row[1..].chunks_exact(dim).map(<[f64]>::to_vec).collect()))
                .collect();
            for (t, (l, dfs)) in (1..=steps).zip(levels) {
                loss += weight * l;
                let states: Vec<&[Complex64]> =
                    level_states.iter().map(|chain| chain[t - 1].as_slice()).collect();
                inject(weight, steps - t, &states, &dfs[mine.clone()]);
            }
        }
        // The backward pass runs the chains in groups, side by side (`backprop_chains`), the
        // groups in parallel; the per-chain gradients are gathered and summed in chain order.
        let group = gradient::STATES_PER_BATCH;
        let mut groups: Vec<Vec<Vec<Option<Vec<Complex64>>>>> = Vec::new();
        let mut cotangents = cotangents.into_iter().peekable();
        while cotangents.peek().is_some() {
            groups.push(cotangents.by_ref().take(group).collect());
        }
        let parts = runs
            .par_chunks(group)
            .zip(groups)
            .map(|(chains, levels)| {
                let tapes: Vec<&ChainTape> = chains.iter().map(|(_, tape)| tape).collect();
                let mut grads = vec![vec![0.0; params.len()]; chains.len()];
                self.reverse.backprop_chains(params, &tapes, levels, &mut grads)?;
                Ok(grads)
            })
            .collect::<Result<Vec<_>>>()?;
        let local: Vec<Vec<f64>> = parts.into_iter().flatten().collect();
        Ok((loss, self.sum_gradients(gather_rows(comm, &local, batch)?)))
    }

    /// One step `t` (drawn at random) applied to `B` inputs at `t`, against forward samples at
    /// `t - 1`; gradients through that step only.
    fn step_term(
        &self,
        comm: &dyn Collective,
        distance: &Distance,
        inputs: StepInputs,
        params: &[f64],
        rng: &mut ChaCha8Rng,
        iteration_seed: u64,
    ) -> Result<(f64, Vec<f64>)> {
        let steps = self.reverse.steps();
        let t = rng.random_range(1..=steps);
        let n = self.reverse.num_system();
        let batch = self.config.batch;
        let mine = self.my_block(comm);
        let outs = match inputs {
            StepInputs::Forward => {
                let images: Vec<usize> =
                    (0..batch).map(|_| rng.random_range(0..self.data.len())).collect();
                images[mine.clone()]
                    .par_iter()
                    .zip(mine)
                    .map(|(&image, i)| {
                        let mut r = TRAIN_TEACHER_SAMPLE.rng(iteration_seed, i as u64);
                        let input = self.data.forward_state(self.forward, image, t, &mut r)?;
                        self.reverse.step(params, t, &input, &mut r)
                    })
                    .collect::<Result<Vec<_>>>()?
            }
            StepInputs::Chain => {
                // The iteration's seeds and trajectories: the states the end term's chains pass
                // through at `t`.
                let seeds = sample::seeds(n, batch, TRAIN_BATCH_SEEDS.seed(iteration_seed, 0))?;
                seeds[mine.clone()]
                    .par_iter()
                    .zip(mine)
                    .map(|(s, i)| {
                        let mut r = TRAIN_SAMPLE.rng(iteration_seed, i as u64);
                        let input = if t < steps {
                            self.reverse.run_steps(params, s, steps, t + 1, &mut r, false)?.0
                        } else {
                            s.clone()
                        };
                        self.reverse.step(params, t, &input, &mut r)
                    })
                    .collect::<Result<Vec<_>>>()?
            }
        };
        let targets = self.forward_targets(t - 1, rng)?;
        let member = steps as u64 + if matches!(inputs, StepInputs::Forward) { 1 } else { 2 };
        let seed = TRAIN_PROJECTIONS.seed(iteration_seed, member);
        let backprop = |record: &_, g, grad: &mut [f64]| {
            // The cotangent of the step's input state is not needed here.
            self.reverse.backprop_step(params, record, g, grad).map(drop)
        };
        self.distance_and_gradient(comm, distance, params, &outs, &targets, seed, backprop)
    }

    /// `D` forward samples at step `t` of random training images, read out.
    fn forward_targets(&self, t: usize, rng: &mut ChaCha8Rng) -> Result<Vec<Vec<f64>>> {
        (0..self.config.data_batch)
            .map(|_| {
                let image = rng.random_range(0..self.data.len());
                self.data.forward_features(self.forward, image, t, self.config.readout, rng)
            })
            .collect()
    }

    /// The distance (plus the per-qubit MMD term, if configured) between the generated
    /// `features` and `targets`, with its gradient with respect to every generated feature.
    fn feature_distance(
        &self,
        distance: &Distance,
        features: &[Vec<f64>],
        targets: &[Vec<f64>],
        seed: u64,
    ) -> DistanceAndGradient {
        let (mut loss, mut dfs) = distance.loss_and_grad(features, targets, seed);
        if let Some(marginal) = &self.config.marginal {
            let (extra, grads) = FeatureMmd { kernel: marginal.kernel.clone() }
                .marginal_loss_and_grad(features, targets, 3);
            loss += marginal.weight * extra;
            for (all, part) in dfs.iter_mut().zip(grads) {
                for (a, p) in all.iter_mut().zip(part) {
                    *a += marginal.weight * p;
                }
            }
        }
        (loss, dfs)
    }

    /// [`Trainer::feature_distance`] of the batch's outputs and `targets`, and its parameter
    /// gradient. `outputs` are this rank's block (states with what their backpropagation
    /// needs); their features are gathered, each output's feature cotangent is pulled back
    /// through `backprop`, in parallel, and the gathered parts are summed in sample order.
    #[allow(clippy::too_many_arguments)]
    fn distance_and_gradient<T: Sync>(
        &self,
        comm: &dyn Collective,
        distance: &Distance,
        params: &[f64],
        outputs: &Outputs<T>,
        targets: &[Vec<f64>],
        seed: u64,
        backprop: impl Fn(&T, Vec<Complex64>, &mut [f64]) -> Result<()> + Sync,
    ) -> Result<(f64, Vec<f64>)> {
        let readout = self.config.readout;
        let batch = self.config.batch;
        let local: Vec<Vec<f64>> =
            outputs.iter().map(|(psi, _)| readout.features(psi.amplitudes())).collect();
        let features = gather_rows(comm, &local, batch)?;
        let (loss, dfs) = self.feature_distance(distance, &features, targets, seed);
        let parts = outputs
            .par_iter()
            .zip(dfs[self.my_block(comm)].par_iter())
            .map(|((psi, record), df)| {
                let mut g = vec![0.0; params.len()];
                backprop(record, readout.cotangent(psi.amplitudes(), df), &mut g)?;
                Ok(g)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((loss, self.sum_gradients(gather_rows(comm, &parts, batch)?)))
    }

    fn sum_gradients(&self, parts: Vec<Vec<f64>>) -> Vec<f64> {
        let mut grad = vec![0.0; self.reverse.model().num_params()];
        for g in parts {
            for (a, b) in grad.iter_mut().zip(g) {
                *a += b;
            }
        }
        grad
    }

    fn data_batch(&self, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
        (0..self.config.data_batch)
            .map(|_| self.data_features[rng.random_range(0..self.data.len())].clone())
            .collect()
    }

    /// The denoising infidelity `1 - F` over a batch of forward pairs, and its gradient.
    pub(super) fn denoising_fidelity(
        &self,
        comm: &dyn Collective,
        params: &[f64],
        rng: &mut ChaCha8Rng,
        iteration_seed: u64,
    ) -> Result<(f64, Vec<f64>)> {
        let steps = self.reverse.steps();
        let examples: Vec<(usize, usize, u64)> = (0..self.config.batch)
            .map(|i| {
                (
                    rng.random_range(0..self.data.len()),
                    rng.random_range(1..=steps),
                    TRAIN_SAMPLE.seed(iteration_seed, i as u64),
                )
            })
            .collect();
        let model = self.reverse.model();
        let d = 1usize << self.reverse.num_system();
        let scale = 1.0 / examples.len() as f64;
        let results = examples[self.my_block(comm)]
            .par_iter()
            .map(|&(image, t, seed)| {
                let mut r = ChaCha8Rng::seed_from_u64(seed);
                let previous = self.data.forward_state(self.forward, image, t - 1, &mut r)?;
                let mut current = previous.clone();
                self.forward.step(&mut current, t, &mut r)?;
                let psi = self.reverse.purified_step(params, t, &current)?;
                // F = sum over ancilla blocks b of |<s|psi_b>|^2; dF/d<psi| = (|s><s| ⊗ I) psi.
                let s = previous.amplitudes();
                let mut fidelity = 0.0;
                let mut cotangent = vec![Complex64::new(0.0, 0.0); psi.amplitudes().len()];
                for (block, out) in
                    psi.amplitudes().chunks_exact(d).zip(cotangent.chunks_exact_mut(d))
                {
                    let overlap: Complex64 = s.iter().zip(block).map(|(a, b)| a.conj() * b).sum();
                    fidelity += overlap.norm_sqr();
                    for (o, a) in out.iter_mut().zip(s) {
                        *o = -a * overlap * scale;
                    }
                }
                let angles = model.angles(params, t)?;
                let dangles = gradient::vjp(model.circuit(), &angles, psi, cotangent)?;
                let mut g = vec![0.0; params.len()];
                model.backprop(t, &dangles, &mut g)?;
                // One row per example: its fidelity, then its gradient.
                g.insert(0, fidelity);
                Ok(g)
            })
            .collect::<Result<Vec<_>>>()?;
        let rows = gather_rows(comm, &results, examples.len())?;
        let mean_fidelity = rows.iter().map(|row| row[0]).sum::<f64>() * scale;
        let grads = rows.into_iter().map(|mut row| row.split_off(1)).collect();
        Ok((1.0 - mean_fidelity, self.sum_gradients(grads)))
    }
}
