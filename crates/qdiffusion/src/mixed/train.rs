//! Training a reverse process through a [`MixedProgram`]: the channel-averaged output of every
//! seed, with or without a device's noise inside, against the data by a distance, with Adam.
//!
//! Each iteration draws `batch` Haar-random seeds and `data_batch` data points (with
//! replacement) from its own random stream, so a run is reproducible from its seed and does
//! not depend on the thread count. The step size decays from `learning_rate` to
//! `final_learning_rate` on a half cosine, as [`crate::train`] does. The initial parameters
//! are [`crate::train`]'s for the same seed and initialisation, so a noiseless and a noise-aware
//! program trained with one configuration start from the same point and see the same batches.

use qansatz_mps::ansatz::Init;
use qansatz_mps::optim::Adam;
use qrandom::streams::{MIXED_TRAIN_ITERATION, TRAIN_INIT};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::data::{EncodedData, haar_angles};
use crate::distance::{Distance, MmdKernel};
use crate::error::{Error, Result};
use crate::features::Readout;
use crate::mixed::MixedProgram;
use crate::reverse::ReverseModel;
use crate::train::cosine_learning_rate;

/// How a program's model is trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MixedTrainConfig {
    /// Adam steps.
    pub iterations: usize,
    /// Seeds per iteration.
    pub batch: usize,
    /// Data points per iteration.
    pub data_batch: usize,
    /// Initial step size.
    pub learning_rate: f64,
    /// Step size at the last iteration.
    pub final_learning_rate: f64,
    /// The distance between the seeds' outputs and the data (Bloch features).
    pub distance: Distance,
    /// Initial parameters.
    pub init: Init,
    /// Seed of initialisation and batches.
    pub seed: u64,
}

impl Default for MixedTrainConfig {
    /// The MNIST model's kernel, initialisation and step sizes.
    fn default() -> Self {
        Self {
            iterations: 60,
            batch: 16,
            data_batch: 128,
            learning_rate: 0.01,
            final_learning_rate: 0.001,
            distance: Distance::Mmd {
                kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0, 4.0, 8.0] },
            },
            init: Init::NearIdentity { scale: 0.005 },
            seed: 1,
        }
    }
}

/// The trained parameters and the loss of every iteration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MixedTraining {
    /// Final parameters.
    pub params: Vec<f64>,
    /// Loss before each step.
    pub losses: Vec<f64>,
}

/// The initial parameters of `model` for `config` (those [`crate::train`] starts from).
pub fn initial_params(model: &ReverseModel, config: &MixedTrainConfig) -> Vec<f64> {
    model.model().init_params(config.init, &mut TRAIN_INIT.rng(config.seed, 0))
}

/// Trains `model`'s parameters through `program` on `data` (product states; their Bloch
/// features are the targets); `on_iteration(k, loss)` sees every step.
pub fn train_mixed(
    program: &MixedProgram,
    model: &ReverseModel,
    data: &EncodedData,
    config: &MixedTrainConfig,
    mut on_iteration: impl FnMut(usize, f64),
) -> Result<MixedTraining> {
    if config.batch < 2 || config.data_batch < 2 || data.len() < 2 {
        return Err(Error::InvalidConfig {
            reason: format!(
                "a distance needs at least two points on each side (batch {}, data batch {}, \
                 {} data points)",
                config.batch,
                config.data_batch,
                data.len()
            ),
        });
    }
    let n = model.num_system();
    let mut params = initial_params(model, config);
    let mut adam = Adam::new(params.len(), config.learning_rate);
    let mut losses = Vec::with_capacity(config.iterations);
    for k in 0..config.iterations {
        let mut rng = MIXED_TRAIN_ITERATION.rng(config.seed, 2 * k as u64);
        let seeds: Vec<Vec<(f64, f64)>> =
            (0..config.batch).map(|_| (0..n).map(|_| haar_angles(&mut rng)).collect()).collect();
        let mut rng = MIXED_TRAIN_ITERATION.rng(config.seed, 2 * k as u64 + 1);
        let targets: Vec<Vec<f64>> = (0..config.data_batch)
            .map(|_| data.features(rng.random_range(0..data.len()), Readout::Bloch))
            .collect::<Result<_>>()?;
        let (loss, grad) = program.loss_and_gradient(
            model,
            &params,
            &seeds,
            &targets,
            &config.distance,
            k as u64,
        )?;
        adam.learning_rate = cosine_learning_rate(
            config.learning_rate,
            config.final_learning_rate,
            k,
            config.iterations,
        );
        adam.step(&mut params, &grad)?;
        losses.push(loss);
        on_iteration(k, loss);
    }
    Ok(MixedTraining { params, losses })
}
