//! Training the reverse process.
//!
//! Three losses, chosen by [`Loss`] (the maths is in `docs/model.md`):
//! - [`Loss::ChainMmd`]: distribution-level. Run the whole reverse chain from a batch of random
//!   seeds (trajectories), read out every final state, and minimise the MMD between those
//!   features and the features of a batch of encoded images. Gradients are pathwise through
//!   every step (see [`crate::reverse`]).
//! - [`Loss::StepMmd`]: per step (QuDDPM-style). Pick a step `t`, apply `R_t` to forward samples
//!   at `t` and match the output features to forward samples at `t - 1`.
//! - [`Loss::DenoisingFidelity`]: per sample. For a forward pair `(s_{t-1}, s_t)`, maximise
//!   `F = <s_{t-1}| R_t(|s_t><s_t|) |s_{t-1}>`, computed exactly from the purified output
//!   `U(t) (s_t ⊗ |0>)` as the expectation of `|s_{t-1}><s_{t-1}| ⊗ I_anc`, with an adjoint
//!   gradient.
//!
//! Reproducibility: iteration `k` draws everything from an RNG seeded by `(seed, k)`, and each
//! sample in the batch from an RNG seeded by `(iteration seed, sample index)`, so results do not
//! depend on the thread count, and resuming from a checkpoint gives exactly the parameters of
//! an uninterrupted run.

use std::path::Path;

use num_complex::Complex64;
use qansatz_mps::ansatz::Init;
use qansatz_mps::embedding::ConditionalConfig;
use qansatz_mps::optim::Adam;
use qfile::Format;
use qrandom::streams::{TRAIN_BATCH_SEEDS, TRAIN_INIT, TRAIN_ITERATION, TRAIN_SAMPLE};
use qsim_core::gradient;
use qsim_core::state::StateVector;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::EncodedData;
use crate::error::{Error, Result};
use crate::features::{FeatureMmd, MarginalMmd, MmdKernel, Readout};
use crate::forward::ForwardProcess;
use crate::reverse::ReverseModel;
use crate::sample;

/// The format of training checkpoints (magic `QDIFFCKP`; version 3 added the moving average and
/// the per-qubit MMD term, version 4 the fingerprint of the training data).
pub const CHECKPOINT_FORMAT: Format =
    Format::new(*b"QDIFFCKP", 4, "qdiffusion training checkpoint");

/// The training objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Loss {
    /// MMD between the features of whole-chain outputs and of encoded images.
    ChainMmd {
        /// The kernel.
        kernel: MmdKernel,
    },
    /// MMD, per step, between `R_t` of forward samples at `t` and forward samples at `t - 1`.
    StepMmd {
        /// The kernel.
        kernel: MmdKernel,
    },
    /// `1 - F`, the denoising infidelity of one step on forward pairs.
    DenoisingFidelity,
}

/// Training settings (the MNIST example's flags map onto these).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Adam steps.
    pub iterations: usize,
    /// Generated samples (chain runs or step applications) per iteration.
    pub batch: usize,
    /// Encoded images (or forward samples) the generated ones are compared with, per iteration.
    pub data_batch: usize,
    /// Adam step size. All steps share the angles (through the embedding), so a change acts `T`
    /// times along the chain: keep this small.
    pub learning_rate: f64,
    /// Learning rate at the last iteration: the rate decays from `learning_rate` along a half
    /// cosine (equal to it: constant). The chain-MMD's FID moves by several points between
    /// nearby iterations at a constant rate; the decay lets the last iterations settle.
    pub final_learning_rate: f64,
    /// The objective.
    pub loss: Loss,
    /// What is read out of the final states.
    pub readout: Readout,
    /// An extra per-qubit MMD term for the MMD losses (Bloch readout only); `None`: none.
    pub marginal: Option<MarginalMmd>,
    /// Initial angles.
    pub init: Init,
    /// Decay of an exponential moving average of the parameters (bias-corrected, as Adam's
    /// moments), which sampling then uses instead of the last iterate; `None`: the last iterate.
    /// The chain-MMD's gradient comes from a few dozen chains, so single iterates scatter
    /// around the optimum; the average sits closer to it.
    pub ema: Option<f64>,
    /// Seed of every random draw of training.
    pub seed: u64,
    /// Write a checkpoint every this many iterations (0: never).
    pub checkpoint_every: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            iterations: 200,
            batch: 32,
            data_batch: 1000,
            learning_rate: 0.005,
            final_learning_rate: 0.005,
            loss: Loss::ChainMmd {
                kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0, 4.0, 8.0] },
            },
            readout: Readout::Bloch,
            marginal: None,
            init: Init::NearIdentity { scale: 0.005 },
            ema: None,
            seed: 1,
            checkpoint_every: 25,
        }
    }
}

/// Where training stands: enough to resume exactly (what a checkpoint stores).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Iterations done.
    iteration: usize,
    /// The parameters.
    params: Vec<f64>,
    /// The optimiser with its moments.
    adam: Adam,
    /// The loss of every iteration so far.
    losses: Vec<f64>,
    /// The moving average of the parameters (empty when the configuration keeps none).
    average: Vec<f64>,
}

impl TrainState {
    /// Iterations done.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The current parameters (the last iterate).
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// The loss of every iteration so far.
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }

    /// The parameters to sample with: the moving average if there is one, else the last
    /// iterate.
    pub fn sampling_params(&self) -> &[f64] {
        if self.average.is_empty() { &self.params } else { &self.average }
    }
}

/// What a checkpoint file holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CheckpointFile {
    model: ConditionalConfig,
    train: TrainConfig,
    /// [`EncodedData::fingerprint`] of the data it was trained on.
    data: u64,
    state: TrainState,
}

/// Trains a reverse model on encoded data.
pub struct Trainer<'a> {
    reverse: &'a ReverseModel,
    forward: &'a ForwardProcess,
    data: &'a EncodedData,
    config: TrainConfig,
    /// Readout features of every encoded image (the targets of the chain loss).
    data_features: Vec<Vec<f64>>,
    /// [`EncodedData::fingerprint`] of `data`, recorded in checkpoints.
    data_fingerprint: u64,
}

impl<'a> Trainer<'a> {
    /// Checks that the pieces fit together and precomputes the data features.
    pub fn new(
        reverse: &'a ReverseModel,
        forward: &'a ForwardProcess,
        data: &'a EncodedData,
        config: TrainConfig,
    ) -> Result<Self> {
        data.validate()?;
        if data.num_qubits() != reverse.num_system() {
            return Err(Error::DimensionMismatch {
                what: "qubits of the data states",
                expected: reverse.num_system(),
                got: data.num_qubits(),
            });
        }
        if forward.steps() != reverse.steps() {
            return Err(Error::DimensionMismatch {
                what: "diffusion steps",
                expected: reverse.steps(),
                got: forward.steps(),
            });
        }
        if config.batch < 2 || config.data_batch < 2 {
            return Err(Error::InvalidConfig {
                reason: "batches need at least two samples (the MMD is unbiased)".into(),
            });
        }
        if config.marginal.is_some() && config.readout != Readout::Bloch {
            return Err(Error::InvalidConfig {
                reason: "the per-qubit MMD term needs the Bloch readout".into(),
            });
        }
        if config.ema.is_some_and(|d| !(0.0..1.0).contains(&d)) {
            return Err(Error::InvalidConfig {
                reason: format!("the moving-average decay {:?} must lie in [0, 1)", config.ema),
            });
        }
        let rates = [config.learning_rate, config.final_learning_rate];
        if rates.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "learning rates {} (first) and {} (last) must be positive",
                    config.learning_rate, config.final_learning_rate
                ),
            });
        }
        let data_features =
            (0..data.len()).map(|i| data.features(i, config.readout)).collect::<Result<_>>()?;
        let data_fingerprint = data.fingerprint();
        Ok(Self { reverse, forward, data, config, data_features, data_fingerprint })
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Initial parameters and optimiser.
    pub fn init_state(&self) -> TrainState {
        let mut rng = TRAIN_INIT.rng(self.config.seed, 0);
        let params = self.reverse.model().init_params(self.config.init, &mut rng);
        let adam = Adam::new(params.len(), self.config.learning_rate);
        TrainState { iteration: 0, params, adam, losses: Vec::new(), average: Vec::new() }
    }

    /// One iteration: loss and gradient at the current parameters, then an Adam step.
    pub fn step(&self, state: &mut TrainState) -> Result<f64> {
        let iteration_seed = TRAIN_ITERATION.seed(self.config.seed, state.iteration as u64);
        let mut rng = ChaCha8Rng::seed_from_u64(iteration_seed);
        let (loss, grad) = match &self.config.loss {
            Loss::ChainMmd { kernel } => {
                self.chain_mmd(kernel, &state.params, &mut rng, iteration_seed)?
            }
            Loss::StepMmd { kernel } => {
                self.step_mmd(kernel, &state.params, &mut rng, iteration_seed)?
            }
            Loss::DenoisingFidelity => {
                self.denoising_fidelity(&state.params, &mut rng, iteration_seed)?
            }
        };
        if grad.iter().any(|g| !g.is_finite()) || !loss.is_finite() {
            return Err(Error::InvalidConfig {
                reason: format!("non-finite loss or gradient at iteration {}", state.iteration),
            });
        }
        state.adam.learning_rate = self.learning_rate_at(state.iteration);
        state.adam.step(&mut state.params, &grad)?;
        state.losses.push(loss);
        state.iteration += 1;
        if let Some(decay) = self.config.ema {
            // Bias-corrected: the weight of the newest iterate is (1 - d) / (1 - d^k), which
            // is 1 at k = 1, so the average needs no initial value.
            let k = state.iteration as i32;
            let weight = (1.0 - decay) / (1.0 - decay.powi(k));
            state.average.resize(state.params.len(), 0.0);
            for (a, p) in state.average.iter_mut().zip(&state.params) {
                *a += weight * (p - *a);
            }
        }
        Ok(loss)
    }

    /// The Adam step size of iteration `k` (from 0): the half-cosine decay from
    /// `learning_rate` to `final_learning_rate` over `iterations`.
    pub fn learning_rate_at(&self, k: usize) -> f64 {
        let (first, last) = (self.config.learning_rate, self.config.final_learning_rate);
        let span = self.config.iterations.saturating_sub(1).max(1) as f64;
        let progress = (k as f64 / span).min(1.0);
        last + (first - last) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
    }

    /// Runs until `config.iterations`, writing a checkpoint to `checkpoint` every
    /// `checkpoint_every` iterations and at the end; `on_iteration` sees every step.
    pub fn train(
        &self,
        state: &mut TrainState,
        checkpoint: Option<&Path>,
        mut on_iteration: impl FnMut(&TrainState),
    ) -> Result<()> {
        while state.iteration < self.config.iterations {
            self.step(state)?;
            on_iteration(state);
            let every = self.config.checkpoint_every;
            let due = every > 0 && state.iteration % every == 0;
            if let Some(path) =
                checkpoint.filter(|_| due || state.iteration == self.config.iterations)
            {
                self.save_checkpoint(path, state)?;
            }
        }
        Ok(())
    }

    /// Writes the state atomically, with the configuration it belongs to.
    pub fn save_checkpoint(&self, path: &Path, state: &TrainState) -> Result<()> {
        let file = CheckpointFile {
            model: self.reverse.model().config(),
            train: self.config.clone(),
            data: self.data_fingerprint,
            state: state.clone(),
        };
        CHECKPOINT_FORMAT.save(path, &file)?;
        Ok(())
    }

    /// Reads a checkpoint written for this model and configuration (the number of iterations
    /// may differ: a run can be extended).
    pub fn load_checkpoint(&self, path: &Path) -> Result<TrainState> {
        let file: CheckpointFile = CHECKPOINT_FORMAT.load(path)?;
        let resume = |reason: &str| Error::Resume {
            path: path.display().to_string(),
            reason: reason.into(),
        };
        if file.model != self.reverse.model().config() {
            return Err(resume("it was written for another model (ansatz, conditioning or steps)"));
        }
        let same = TrainConfig { iterations: self.config.iterations, ..file.train.clone() };
        if same != self.config {
            return Err(resume("it was written with other training settings"));
        }
        if file.data != self.data_fingerprint {
            return Err(resume("it was trained on other data"));
        }
        if file.state.params.len() != self.reverse.model().num_params()
            || file.state.iteration > self.config.iterations
        {
            return Err(resume("its state does not fit this run"));
        }
        Ok(file.state)
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

    fn chain_mmd(
        &self,
        kernel: &MmdKernel,
        params: &[f64],
        rng: &mut ChaCha8Rng,
        iteration_seed: u64,
    ) -> Result<(f64, Vec<f64>)> {
        let n = self.reverse.num_system();
        let seeds = sample::seeds(n, self.config.batch, TRAIN_BATCH_SEEDS.seed(iteration_seed, 0))?;
        let targets = self.data_batch(rng);
        let runs = seeds
            .par_iter()
            .enumerate()
            .map(|(i, s)| {
                let mut r = TRAIN_SAMPLE.rng(iteration_seed, i as u64);
                self.reverse.run_chain(params, s, &mut r, true)
            })
            .collect::<Result<Vec<_>>>()?;
        // The backward pass runs the chains in batches, side by side (see `backprop_chains`).
        let group = gradient::STATES_PER_BATCH;
        self.mmd_and_gradient(kernel, params, &runs, &targets, group, |tapes, cotangents, gs| {
            self.reverse.backprop_chains(params, tapes, cotangents, gs)
        })
    }

    /// The MMD between the read-out features of `outputs` (final states with what their
    /// backpropagation needs) and `targets`, and its gradient: the feature cotangents of each
    /// `group` of consecutive outputs are pulled back together through `backprop` (which adds
    /// each output's gradient into its own vector), groups in parallel, and the parts summed in
    /// the order of the outputs.
    fn mmd_and_gradient<T: Sync>(
        &self,
        kernel: &MmdKernel,
        params: &[f64],
        outputs: &[(StateVector, T)],
        targets: &[Vec<f64>],
        group: usize,
        backprop: impl Fn(&[&T], Vec<Vec<Complex64>>, &mut [Vec<f64>]) -> Result<()> + Sync,
    ) -> Result<(f64, Vec<f64>)> {
        let readout = self.config.readout;
        let features: Vec<Vec<f64>> =
            outputs.iter().map(|(psi, _)| readout.features(psi.amplitudes())).collect();
        let (mut loss, mut dfs) =
            FeatureMmd { kernel: kernel.clone() }.loss_and_grad(&features, targets);
        if let Some(marginal) = &self.config.marginal {
            let (extra, grads) = FeatureMmd { kernel: marginal.kernel.clone() }
                .marginal_loss_and_grad(&features, targets, 3);
            loss += marginal.weight * extra;
            for (all, part) in dfs.iter_mut().zip(grads) {
                for (a, p) in all.iter_mut().zip(part) {
                    *a += marginal.weight * p;
                }
            }
        }
        let parts = outputs
            .par_chunks(group)
            .zip(dfs.par_chunks(group))
            .map(|(outs, dfs)| {
                let records: Vec<&T> = outs.iter().map(|(_, record)| record).collect();
                let cotangents = outs
                    .iter()
                    .zip(dfs)
                    .map(|((psi, _), df)| readout.cotangent(psi.amplitudes(), df))
                    .collect();
                let mut gs = vec![vec![0.0; params.len()]; outs.len()];
                backprop(&records, cotangents, &mut gs)?;
                Ok(gs)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((loss, self.sum_gradients(parts.into_iter().flatten().collect())))
    }

    fn step_mmd(
        &self,
        kernel: &MmdKernel,
        params: &[f64],
        rng: &mut ChaCha8Rng,
        iteration_seed: u64,
    ) -> Result<(f64, Vec<f64>)> {
        let t = rng.random_range(1..=self.reverse.steps());
        let readout = self.config.readout;
        let inputs = (0..self.config.batch)
            .map(|_| {
                self.data.forward_state(self.forward, rng.random_range(0..self.data.len()), t, rng)
            })
            .collect::<Result<Vec<_>>>()?;
        let targets = (0..self.config.data_batch)
            .map(|_| {
                let s = self.data.forward_state(
                    self.forward,
                    rng.random_range(0..self.data.len()),
                    t - 1,
                    rng,
                )?;
                Ok(readout.features(s.amplitudes()))
            })
            .collect::<Result<Vec<_>>>()?;
        let outs = inputs
            .par_iter()
            .enumerate()
            .map(|(i, s)| {
                let mut r = TRAIN_SAMPLE.rng(iteration_seed, i as u64);
                self.reverse.step(params, t, s, &mut r)
            })
            .collect::<Result<Vec<_>>>()?;
        self.mmd_and_gradient(kernel, params, &outs, &targets, 1, |records, cotangents, gs| {
            // One output per group. The cotangent of the step's input state is not needed here.
            for ((record, cotangent), g) in records.iter().zip(cotangents).zip(gs.iter_mut()) {
                self.reverse.backprop_step(params, record, cotangent, g)?;
            }
            Ok(())
        })
    }

    fn denoising_fidelity(
        &self,
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
        let results = examples
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
                Ok((fidelity, g))
            })
            .collect::<Result<Vec<_>>>()?;
        let mean_fidelity = results.iter().map(|(f, _)| f).sum::<f64>() * scale;
        Ok((1.0 - mean_fidelity, self.sum_gradients(results.into_iter().map(|(_, g)| g).collect())))
    }
}
