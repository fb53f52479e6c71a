//! The Adam optimiser (Kingma and Ba), with optional decoupled weight decay (AdamW).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::nn::network::{Gradients, Sequential};

/// Adam's hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Decay of the first-moment (mean) estimate.
    pub beta1: f32,
    /// Decay of the second-moment (uncentred variance) estimate.
    pub beta2: f32,
    /// Added to the root of the second moment to avoid division by zero.
    pub epsilon: f32,
    /// Decoupled weight decay per unit learning rate (AdamW); applied to weights, not biases.
    pub weight_decay: f32,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weight_decay: 0.0 }
    }
}

/// Adam's state for one network: moment estimates for every parameter and the step count.
#[derive(Debug, Clone)]
pub struct Adam {
    config: AdamConfig,
    steps: u32,
    /// Per dense layer: (first moment, second moment) of the weights, then of the bias.
    moments: Vec<[Vec<f32>; 4]>,
}

impl Adam {
    /// A fresh optimiser; its state is sized on the first step.
    pub fn new(config: AdamConfig) -> Self {
        Adam { config, steps: 0, moments: Vec::new() }
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Applies one update with step size `learning_rate` to `network` from `grads` (computed on
    /// the same network).
    pub fn step(
        &mut self,
        network: &mut Sequential,
        grads: &Gradients,
        learning_rate: f32,
    ) -> Result<()> {
        if !learning_rate.is_finite() || learning_rate < 0.0 {
            return Err(Error::InvalidConfig {
                field: "learning_rate",
                reason: format!("must be finite and non-negative, got {learning_rate}"),
            });
        }
        let AdamConfig { beta1, beta2, epsilon, weight_decay } = self.config;
        self.steps += 1;
        let t = self.steps as i32;
        let correction1 = 1.0 - beta1.powi(t);
        let correction2 = 1.0 - beta2.powi(t);
        let step = learning_rate * correction2.sqrt() / correction1;
        for (slot, (index, dense)) in network.dense_layers_mut().enumerate() {
            let grad = grads.layer(index).ok_or_else(|| Error::InvalidModel {
                reason: format!("no gradient for dense layer {index}"),
            })?;
            let (weights, bias) = dense.parameters_mut();
            if grad.weights.len() != weights.len() || grad.bias.len() != bias.len() {
                return Err(Error::InvalidModel {
                    reason: format!("gradient of layer {index} does not match its parameters"),
                });
            }
            if self.moments.len() <= slot {
                self.moments.push([
                    vec![0.0; weights.len()],
                    vec![0.0; weights.len()],
                    vec![0.0; bias.len()],
                    vec![0.0; bias.len()],
                ]);
            }
            let [mw, vw, mb, vb] = &mut self.moments[slot];
            let decay = 1.0 - learning_rate * weight_decay;
            update(weights, grad.weights.as_slice(), mw, vw, beta1, beta2, step, epsilon, decay);
            update(bias, grad.bias.as_slice(), mb, vb, beta1, beta2, step, epsilon, 1.0);
        }
        Ok(())
    }
}

/// One Adam update of a parameter tensor (the bias corrections are folded into `step`).
#[allow(clippy::too_many_arguments)]
fn update(
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    beta1: f32,
    beta2: f32,
    step: f32,
    epsilon: f32,
    decay: f32,
) {
    for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = beta1 * *m + (1.0 - beta1) * g;
        *v = beta2 * *v + (1.0 - beta2) * g * g;
        *p = *p * decay - step * *m / (v.sqrt() + epsilon);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::layer::Activation;
    use crate::nn::loss::Loss;
    use nalgebra::DMatrix;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn first_step_moves_each_parameter_by_the_learning_rate() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut net = Sequential::mlp(&[2, 2], Activation::Relu, &mut rng).unwrap();
        let before = net.clone();
        let x = DMatrix::from_column_slice(2, 1, &[1.0, -1.0]);
        let t = DMatrix::from_column_slice(2, 1, &[3.0, -3.0]);
        let trace = net.forward_trace(x).unwrap();
        let (_, g) = Loss::MeanSquaredError.evaluate(trace.output(), &t).unwrap();
        let (grads, _) = net.backward(&trace, g, false).unwrap();
        let mut adam = Adam::new(AdamConfig::default());
        adam.step(&mut net, &grads, 0.01).unwrap();
        let (crate::nn::layer::Layer::Dense(a), crate::nn::layer::Layer::Dense(b)) =
            (&before.layers()[0], &net.layers()[0])
        else {
            unreachable!("mlp starts with a dense layer")
        };
        for (x, y) in a.weights().iter().zip(b.weights().iter()) {
            assert!(((x - y).abs() - 0.01).abs() < 1e-4);
        }
    }

    #[test]
    fn minimises_a_regression() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut net = Sequential::mlp(&[1, 16, 1], Activation::Tanh, &mut rng).unwrap();
        let x = DMatrix::from_fn(1, 32, |_, c| c as f32 / 16.0 - 1.0);
        let t = x.map(|v| (3.0 * v).sin());
        let mut adam = Adam::new(AdamConfig::default());
        let mut last = f64::INFINITY;
        for _ in 0..2000 {
            let trace = net.forward_trace(x.clone()).unwrap();
            let (loss, g) = Loss::MeanSquaredError.evaluate(trace.output(), &t).unwrap();
            let (grads, _) = net.backward(&trace, g, false).unwrap();
            adam.step(&mut net, &grads, 0.01).unwrap();
            last = loss;
        }
        assert!(last < 1e-2, "loss {last}");
    }
}
