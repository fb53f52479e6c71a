//! Training the reverse process.
//!
//! Two objectives, chosen by [`Loss`] (the maths is in `docs/model.md`):
//! - [`Loss::Ensembles`]: distribution-level, a weighted sum of [`Terms`], each a [`Distance`]
//!   between an ensemble of generated states and an ensemble of data or forward-process
//!   samples: the end of the chain against the data (a generator that sees only the forward
//!   process's end point), the chain's states at every noise level against the forward
//!   process there, one step on forward samples (teacher forcing), and one step on the chain's
//!   own states (sequential, as QuDDPM trains). Gradients are pathwise through the steps (see
//!   [`crate::reverse`]).
//! - [`Loss::DenoisingFidelity`]: per sample. For a forward pair `(s_{t-1}, s_t)`, maximise
//!   `F = <s_{t-1}| R_t(|s_t><s_t|) |s_{t-1}>`, computed exactly from the purified output
//!   `U(t) (s_t ⊗ |0>)` as the expectation of `|s_{t-1}><s_{t-1}| ⊗ I_anc`, with an adjoint
//!   gradient.
//!
//! Reproducibility: iteration `k` draws everything from an RNG seeded by `(seed, k)`, and each
//! sample in the batch from an RNG seeded by `(iteration seed, sample index)`, so results do not
//! depend on the thread count, and resuming from a checkpoint gives exactly the parameters of
//! an uninterrupted run.
//!
//! Data parallelism: the `_on` methods ([`Trainer::train_on`], [`Trainer::step_on`],
//! [`Trainer::loss_and_gradient_on`]) split every iteration's `B` samples over the ranks of a
//! [`Collective`] in contiguous blocks ([`qcomm::block`]). Each rank runs and backpropagates its
//! block; the read-out features (what the distances couple) and the per-sample gradients are
//! gathered in global sample order, every rank evaluates the distances on all the features and
//! sums the gradients in that order, exactly as one process does. The parameters are therefore
//! bit-identical on every rank and for every number of ranks; the plain methods are the
//! one-rank case ([`SingleProcess`]).

mod loss;
mod share;

pub use loss::{Loss, Terms};
pub use share::{check_agreement, share_state};

use std::path::Path;

use qansatz_mps::ansatz::Init;
use qansatz_mps::embedding::{ConditionalAnsatz, ConditionalConfig};
use qansatz_mps::optim::Adam;
use qcomm::{Collective, SingleProcess};
use qfile::Format;
use qrandom::streams::{TRAIN_INIT, TRAIN_ITERATION};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::EncodedData;
use crate::distance::{Distance, MarginalMmd, MmdKernel};
use crate::error::{Error, Result};
use crate::features::Readout;
use crate::forward::ForwardProcess;
use crate::reverse::ReverseModel;

/// The format of training checkpoints (magic `QDIFFCKP`; version 3 added the moving average and
/// the per-qubit MMD term, version 4 the fingerprint of the training data, version 5 the
/// weighted ensemble terms of [`Loss::Ensembles`]).
pub const CHECKPOINT_FORMAT: Format =
    Format::new(*b"QDIFFCKP", 5, "qdiffusion training checkpoint");

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
    /// cosine (equal to it: constant). The end-of-chain MMD's FID moves by several points between
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
    /// The ensemble losses' gradient comes from a few dozen chains, so single iterates scatter
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
            loss: Loss::Ensembles {
                distance: Distance::Mmd {
                    kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0, 4.0, 8.0] },
                },
                terms: Terms::END,
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

impl TrainConfig {
    /// The parameters training starts from: `model`'s initial parameters drawn with `init` from
    /// the training seed (what [`Trainer::init_state`] holds before the first iteration).
    pub fn initial_params(&self, model: &ConditionalAnsatz) -> Vec<f64> {
        let mut rng = TRAIN_INIT.rng(self.seed, 0);
        model.init_params(self.init, &mut rng)
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

/// What a checkpoint file holds: the model and training configuration it was written for, the
/// fingerprint of the training data, and the [`TrainState`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointFile {
    model: ConditionalConfig,
    train: TrainConfig,
    /// [`EncodedData::fingerprint`] of the data it was trained on.
    data: u64,
    state: TrainState,
}

impl CheckpointFile {
    /// Decodes the bytes of a checkpoint file ([`CHECKPOINT_FORMAT`]) and checks that its state
    /// is self-consistent (the optimiser's moments and the moving average, if any, are as long
    /// as the parameters); `path` only labels errors.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Self> {
        let file: CheckpointFile = CHECKPOINT_FORMAT.decode(bytes, path)?;
        let state = &file.state;
        let n = state.params.len();
        if (!state.adam.is_empty() && state.adam.len() != n)
            || (!state.average.is_empty() && state.average.len() != n)
        {
            return Err(Error::Resume {
                path: path.display().to_string(),
                reason: format!(
                    "its optimiser ({}) or moving average ({}) does not fit its {n} parameters",
                    state.adam.len(),
                    state.average.len()
                ),
            });
        }
        Ok(file)
    }

    /// The training state it holds.
    pub fn state(&self) -> &TrainState {
        &self.state
    }

    /// The configuration of the model it was written for (rebuild the model with
    /// [`ConditionalAnsatz::from_config`]).
    pub fn model_config(&self) -> &ConditionalConfig {
        &self.model
    }

    /// The training settings it was written with.
    pub fn train_config(&self) -> &TrainConfig {
        &self.train
    }

    /// [`EncodedData::fingerprint`] of the data it was trained on.
    pub fn data_fingerprint(&self) -> u64 {
        self.data
    }

    /// Writes it to `path` atomically ([`CHECKPOINT_FORMAT`]).
    pub fn save(&self, path: &Path) -> Result<()> {
        CHECKPOINT_FORMAT.save(path, self)?;
        Ok(())
    }
}

/// The step size of iteration `k` (from 0) of `iterations`: a half-cosine decay from `first`
/// to `last` (every trainer of this crate uses it).
pub fn cosine_learning_rate(first: f64, last: f64, k: usize, iterations: usize) -> f64 {
    let span = iterations.saturating_sub(1).max(1) as f64;
    let progress = (k as f64 / span).min(1.0);
    last + (first - last) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
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
        config.loss.validate()?;
        if config.batch < 2 || config.data_batch < 2 {
            return Err(Error::InvalidConfig {
                reason: "batches need at least two samples (the MMD estimate is unbiased)".into(),
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
        let params = self.config.initial_params(self.reverse.model());
        let adam = Adam::new(params.len(), self.config.learning_rate);
        TrainState { iteration: 0, params, adam, losses: Vec::new(), average: Vec::new() }
    }

    /// The loss of iteration `iteration` at `params`, and its gradient: what [`Trainer::step`]
    /// follows. Every random draw comes from `(seed, iteration)`, so for fixed arguments this is
    /// a deterministic function of `params` (ancilla outcomes are drawn by thresholds on fixed
    /// random numbers), and the gradient is its derivative wherever no outcome flips.
    pub fn loss_and_gradient(&self, params: &[f64], iteration: usize) -> Result<(f64, Vec<f64>)> {
        self.loss_and_gradient_on(&SingleProcess, params, iteration)
    }

    /// [`Trainer::loss_and_gradient`] with the batch split over the ranks of `comm` (a
    /// collective: every rank calls it with the same arguments); every rank gets the whole
    /// loss and gradient, bit-identical to the one-process result.
    pub fn loss_and_gradient_on(
        &self,
        comm: &dyn Collective,
        params: &[f64],
        iteration: usize,
    ) -> Result<(f64, Vec<f64>)> {
        let expected = self.reverse.model().num_params();
        if params.len() != expected {
            return Err(Error::DimensionMismatch {
                what: "parameters",
                expected,
                got: params.len(),
            });
        }
        let iteration_seed = TRAIN_ITERATION.seed(self.config.seed, iteration as u64);
        let mut rng = ChaCha8Rng::seed_from_u64(iteration_seed);
        match &self.config.loss {
            Loss::Ensembles { distance, terms } => {
                self.ensembles(comm, distance, terms, params, &mut rng, iteration_seed)
            }
            Loss::DenoisingFidelity => {
                self.denoising_fidelity(comm, params, &mut rng, iteration_seed)
            }
        }
    }

    /// One iteration: loss and gradient at the current parameters, then an Adam step.
    pub fn step(&self, state: &mut TrainState) -> Result<f64> {
        self.step_on(&SingleProcess, state)
    }

    /// [`Trainer::step`] with the batch split over the ranks of `comm` (see
    /// [`Trainer::loss_and_gradient_on`]); every rank's state takes the same step.
    pub fn step_on(&self, comm: &dyn Collective, state: &mut TrainState) -> Result<f64> {
        let (loss, grad) = self.loss_and_gradient_on(comm, &state.params, state.iteration)?;
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
        cosine_learning_rate(
            self.config.learning_rate,
            self.config.final_learning_rate,
            k,
            self.config.iterations,
        )
    }

    /// Runs until `config.iterations`, writing a checkpoint to `checkpoint` every
    /// `checkpoint_every` iterations and at the end; `on_iteration` sees every step.
    pub fn train(
        &self,
        state: &mut TrainState,
        checkpoint: Option<&Path>,
        mut on_iteration: impl FnMut(&TrainState),
    ) -> Result<()> {
        self.train_on(&SingleProcess, state, checkpoint, |s| {
            on_iteration(s);
            Ok(())
        })
    }

    /// [`Trainer::train`] with every iteration's batch split over the ranks of `comm` (see
    /// [`Trainer::loss_and_gradient_on`]). Every rank starts from the same state (e.g. from
    /// [`share_state`]) and ends with the same one; only the root (rank 0) writes checkpoints.
    /// With more than one rank, the ranks first check that they hold the same training data
    /// and state, and at the end that their parameters agree ([`check_agreement`]).
    ///
    /// `on_iteration` sees every step (after its checkpoint); an error from it ends training at
    /// once with that error. It may call collectives of its own if every rank's does the same.
    pub fn train_on(
        &self,
        comm: &dyn Collective,
        state: &mut TrainState,
        checkpoint: Option<&Path>,
        mut on_iteration: impl FnMut(&TrainState) -> Result<()>,
    ) -> Result<()> {
        if comm.size() > 1 {
            share::agree(comm, "the training data", self.data_fingerprint)?;
            check_agreement(comm, state)?;
        }
        while state.iteration < self.config.iterations {
            self.step_on(comm, state)?;
            let every = self.config.checkpoint_every;
            let due = every > 0 && state.iteration % every == 0;
            if let Some(path) = checkpoint
                .filter(|_| comm.is_root() && (due || state.iteration == self.config.iterations))
            {
                self.save_checkpoint(path, state)?;
            }
            on_iteration(state)?;
        }
        if comm.size() > 1 {
            check_agreement(comm, state)?;
        }
        Ok(())
    }

    /// Writes the state atomically, with the configuration it belongs to.
    pub fn save_checkpoint(&self, path: &Path, state: &TrainState) -> Result<()> {
        self.checkpoint(state).save(path)
    }

    /// What [`Trainer::save_checkpoint`] writes: `state` with this run's model, settings and
    /// data fingerprint.
    pub fn checkpoint(&self, state: &TrainState) -> CheckpointFile {
        CheckpointFile {
            model: self.reverse.model().config(),
            train: self.config.clone(),
            data: self.data_fingerprint,
            state: state.clone(),
        }
    }

    /// Reads a checkpoint written for this model and configuration (the number of iterations
    /// may differ: a run can be extended): [`CheckpointFile::decode`] of the file's bytes, read
    /// up to [`qfile::MAX_FRAMED_FILE_LEN`], then the checks against this run.
    pub fn load_checkpoint(&self, path: &Path) -> Result<TrainState> {
        let bytes = qfile::read_limited(path, qfile::MAX_FRAMED_FILE_LEN)?;
        let file = CheckpointFile::decode(&bytes, path)?;
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
}
