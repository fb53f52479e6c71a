//! One circuit of a job ([`Experiment`]) and the random stream it draws its shots from.

use qsim_core::circuit::Circuit;
use rand_chacha::ChaCha8Rng;

/// One circuit of a job: the circuit, its parameter values, and how many shots to take.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The circuit (parameter references are bound to `theta`).
    pub circuit: Circuit,
    /// Parameter values.
    pub theta: Vec<f64>,
    /// Number of shots.
    pub shots: u64,
}

impl Experiment {
    /// A circuit with parameters `theta`, run for `shots` shots.
    pub fn new(circuit: Circuit, theta: Vec<f64>, shots: u64) -> Self {
        Self { circuit, theta, shots }
    }

    /// A circuit without parameters.
    pub fn fixed(circuit: Circuit, shots: u64) -> Self {
        Self::new(circuit, Vec::new(), shots)
    }
}

/// The random stream of experiment `index` in a job seeded with `seed`
/// ([`qrandom::streams::BACKEND_EXPERIMENT`]): results do not depend on which thread ran which
/// experiment.
pub(crate) fn experiment_rng(seed: u64, index: usize) -> ChaCha8Rng {
    qrandom::streams::BACKEND_EXPERIMENT.rng(seed, index as u64)
}
