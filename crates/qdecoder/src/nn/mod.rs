//! Small dense networks on nalgebra, trained on the CPU.
//!
//! - [`layer`] holds dense layers, activations, softmax and the Bloch-sphere map;
//! - [`network`] holds [`Sequential`](network::Sequential) stacks with batched forward and
//!   backward passes;
//! - [`loss`] holds mean squared error and binary / categorical cross-entropy (on logits);
//! - [`optim`] holds Adam;
//! - [`train`] holds seeded mini-batches, the learning-rate schedule and data-parallel gradients.
//!
//! Everything is `f32`: see the crate documentation for why.

pub mod layer;
pub mod loss;
pub mod network;
pub mod optim;
pub mod train;
