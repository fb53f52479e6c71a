//! `qdiff-benches`: end-to-end criterion benches of the quantum diffusion model, and the
//! workloads they share.
//!
//! The benches (`cargo bench -p qdiff-benches`, or `cargo bench` for every bench of the
//! workspace) time the model at the MNIST experiment's size, [`ModelConfig::default()`]: 10
//! system qubits, 2 ancillas, 50 steps, one ansatz layer per step. The workloads here need no
//! files: the training data is synthetic, a fixed-seed set of product states.
//!
//! The per-crate benches (qsim-core's gates, circuits, gradients and batches; qchannels'
//! channels; qdecoder's network training) stay in their crates.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

use qdiff_examples::mnist::config::QuantumConfig;
use qdiffusion::data::EncodedData;
use qdiffusion::forward::ForwardProcess;
use qdiffusion::model::ModelConfig;
use qdiffusion::reverse::ReverseModel;
use qdiffusion::sample;
use qdiffusion::train::TrainConfig;

/// Seed of every random draw of the workloads.
pub const SEED: u64 = 20_260_501;

/// Synthetic training images: as many as the MNIST training split the experiment encodes.
pub const IMAGES: usize = 8_000;

/// The MNIST model: its forward process and reverse model ([`ModelConfig::default()`]).
pub fn mnist_model() -> (ForwardProcess, ReverseModel) {
    let config = ModelConfig::default();
    let forward = config.forward_process().expect("the default model's forward process");
    let reverse = config.reverse_model().expect("the default model's reverse model");
    (forward, reverse)
}

/// The MNIST experiment's training settings (`QuantumConfig::default()` of the examples
/// package: chain MMD, batch 32, data batch 256), without checkpoints.
pub fn mnist_training() -> TrainConfig {
    TrainConfig { checkpoint_every: 0, ..QuantumConfig::default().train }
}

/// [`IMAGES`] synthetic images of `qubits` qubits: Haar-random product states from [`SEED`],
/// in the latent encoding's form (Bloch angles per qubit).
pub fn synthetic_data(qubits: usize) -> EncodedData {
    EncodedData::Product(sample::seed_angles(qubits, IMAGES, SEED))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures the bench docs state.
    #[test]
    fn the_workloads_are_mnist_sized() {
        let (forward, reverse) = mnist_model();
        assert_eq!((reverse.num_system(), reverse.num_ancillas(), reverse.steps()), (10, 2, 50));
        assert_eq!(forward.steps(), 50);
        let circuit = reverse.model().circuit();
        assert_eq!(circuit.num_qubits(), 12);
        // One layer plus the final block: 24 RY, 24 RZ, 21 RXX and 21 RYY, one angle each.
        assert_eq!((circuit.gate_count(), circuit.num_params()), (90, 90));
        assert_eq!(reverse.model().num_params(), 810);
        let train = mnist_training();
        assert_eq!((train.batch, train.data_batch), (32, 256));
        assert!(matches!(
            train.loss,
            qdiffusion::train::Loss::Ensembles { terms, .. } if terms.end == 1.0 && terms.levels == 1.0
        ));
        assert_eq!(synthetic_data(10).num_qubits(), 10);
    }
}
