//! A feed-forward network: a validated stack of layers with batched forward and backward passes.

use nalgebra::DMatrix;
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::nn::layer::{Activation, Dense, DenseGradient, Init, Layer};

/// Columns per task when inference runs in parallel: large enough for an efficient matrix product,
/// small enough to give both cores work on a few hundred samples.
/// Columns per chunk of [`Sequential::predict_to`]: each chunk of a batch is computed on its own,
/// so a caller that splits a batch at multiples of it gets the same bits.
pub const PREDICT_CHUNK: usize = 256;

/// A stack of layers applied in order to batches (one sample per column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SequentialRecord", into = "SequentialRecord")]
pub struct Sequential {
    input_dim: usize,
    layers: Vec<Layer>,
}

/// The serialised form of [`Sequential`], checked for consistent sizes on load.
#[derive(Serialize, Deserialize)]
struct SequentialRecord {
    input_dim: u32,
    layers: Vec<Layer>,
}

impl From<Sequential> for SequentialRecord {
    fn from(s: Sequential) -> Self {
        SequentialRecord { input_dim: s.input_dim as u32, layers: s.layers }
    }
}

impl TryFrom<SequentialRecord> for Sequential {
    type Error = Error;

    fn try_from(r: SequentialRecord) -> Result<Self> {
        Sequential::new(r.input_dim as usize, r.layers)
    }
}

impl Checkpoint for Sequential {
    const FORMAT: qfile::Format = crate::checkpoint::NETWORK_FORMAT;
}

/// Everything a forward pass computed, kept for the backward pass.
#[derive(Debug, Clone)]
pub struct Trace {
    /// `activations[0]` is the input, `activations[i + 1]` the output of layer `i`.
    activations: Vec<DMatrix<f32>>,
}

impl Trace {
    /// The network's output.
    pub fn output(&self) -> &DMatrix<f32> {
        // A trace always holds at least the input.
        &self.activations[self.activations.len() - 1]
    }

    /// The output of layer `i` (`i = 0` is the first layer), or the input for `None`.
    pub fn activation(&self, layer: Option<usize>) -> Option<&DMatrix<f32>> {
        match layer {
            None => self.activations.first(),
            Some(i) => self.activations.get(i + 1),
        }
    }
}

/// Parameter gradients of a [`Sequential`], one entry per layer (`None` for parameter-free ones).
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    layers: Vec<Option<DenseGradient>>,
}

impl Gradients {
    /// The gradient of layer `i`, if it has parameters.
    pub fn layer(&self, i: usize) -> Option<&DenseGradient> {
        self.layers.get(i).and_then(Option::as_ref)
    }

    /// Adds `other * scale` to `self`; both must come from the same network.
    pub fn add_scaled(&mut self, other: &Gradients, scale: f32) -> Result<()> {
        let mismatch = || Error::InvalidModel { reason: "gradients of different networks".into() };
        if self.layers.len() != other.layers.len() {
            return Err(mismatch());
        }
        for (a, b) in self.layers.iter_mut().zip(&other.layers) {
            match (a, b) {
                (Some(a), Some(b))
                    if a.weights.shape() == b.weights.shape() && a.bias.len() == b.bias.len() =>
                {
                    a.weights.zip_apply(&b.weights, |x, y| *x += scale * y);
                    a.bias.zip_apply(&b.bias, |x, y| *x += scale * y);
                }
                (None, None) => {}
                _ => return Err(mismatch()),
            }
        }
        Ok(())
    }

    /// Multiplies every gradient by `scale`.
    pub fn scale(&mut self, scale: f32) {
        for g in self.layers.iter_mut().flatten() {
            g.weights *= scale;
            g.bias *= scale;
        }
    }

    /// All gradient entries, layer by layer (weights then bias).
    pub fn iter(&self) -> impl Iterator<Item = f32> + '_ {
        self.layers.iter().flatten().flat_map(|g| g.weights.iter().chain(g.bias.iter()).copied())
    }
}

impl Sequential {
    /// A network taking `input_dim` features through `layers`; errors if the sizes do not chain.
    pub fn new(input_dim: usize, layers: Vec<Layer>) -> Result<Self> {
        if input_dim == 0 {
            return Err(Error::InvalidModel {
                reason: "a network needs at least one input".into(),
            });
        }
        let mut dim = input_dim;
        for (i, layer) in layers.iter().enumerate() {
            dim = layer
                .output_dim(dim)
                .map_err(|e| Error::InvalidModel { reason: format!("layer {i}: {e}") })?;
        }
        Ok(Sequential { input_dim, layers })
    }

    /// A multilayer perceptron with layer sizes `sizes` (input first), `hidden` after every dense
    /// layer but the last, and no activation on the output (losses take logits).
    pub fn mlp(sizes: &[usize], hidden: Activation, rng: &mut impl Rng) -> Result<Self> {
        if sizes.len() < 2 {
            return Err(Error::InvalidConfig {
                field: "sizes",
                reason: "an MLP needs an input and an output size".into(),
            });
        }
        let init = if hidden == Activation::Relu { Init::He } else { Init::LeCun };
        let mut layers = Vec::new();
        for (i, pair) in sizes.windows(2).enumerate() {
            let last = i + 2 == sizes.len();
            layers.push(Layer::Dense(Dense::new(
                pair[0],
                pair[1],
                if last { Init::LeCun } else { init },
                rng,
            )?));
            if !last {
                layers.push(Layer::Activation(hidden));
            }
        }
        Sequential::new(sizes[0], layers)
    }

    /// Appends `other`'s layers after this network's (the sizes must chain).
    pub fn then(self, other: Sequential) -> Result<Self> {
        if self.output_dim() != other.input_dim {
            return Err(Error::InvalidModel {
                reason: format!(
                    "cannot chain a network with {} outputs into one with {} inputs",
                    self.output_dim(),
                    other.input_dim
                ),
            });
        }
        let mut layers = self.layers;
        layers.extend(other.layers);
        Sequential::new(self.input_dim, layers)
    }

    /// Number of input features.
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// Number of output features.
    pub fn output_dim(&self) -> usize {
        self.output_dim_after(self.layers.len())
    }

    /// Number of features after the first `depth` layers.
    pub fn output_dim_after(&self, depth: usize) -> usize {
        // `new` checked that the sizes chain, so `output_dim` cannot fail here.
        self.layers[..depth.min(self.layers.len())]
            .iter()
            .fold(self.input_dim, |d, l| l.output_dim(d).unwrap_or(d))
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Number of trainable parameters.
    pub fn num_parameters(&self) -> usize {
        self.dense_layers().map(|d| d.weights().len() + d.bias().len()).sum()
    }

    fn dense_layers(&self) -> impl Iterator<Item = &Dense> {
        self.layers.iter().filter_map(|l| match l {
            Layer::Dense(d) => Some(d),
            _ => None,
        })
    }

    /// Mutable dense layers with their positions, for optimisers.
    pub(crate) fn dense_layers_mut(&mut self) -> impl Iterator<Item = (usize, &mut Dense)> {
        self.layers.iter_mut().enumerate().filter_map(|(i, l)| match l {
            Layer::Dense(d) => Some((i, d)),
            _ => None,
        })
    }

    fn check_input(&self, x: &DMatrix<f32>) -> Result<()> {
        if x.nrows() != self.input_dim {
            return Err(Error::DimensionMismatch {
                what: "network input features (rows)",
                expected: self.input_dim,
                got: x.nrows(),
            });
        }
        Ok(())
    }

    /// The output of the first `depth` layers for a batch (`depth = layers().len()` for all).
    pub fn forward_to(&self, x: &DMatrix<f32>, depth: usize) -> Result<DMatrix<f32>> {
        self.check_input(x)?;
        let mut a = x.clone();
        for layer in &self.layers[..depth.min(self.layers.len())] {
            a = layer.forward(&a)?;
        }
        Ok(a)
    }

    /// The network's output for a batch (one sample per column).
    pub fn forward(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.forward_to(x, self.layers.len())
    }

    /// Like [`forward_to`](Self::forward_to), split over column chunks run in parallel; the
    /// result is identical to the sequential one.
    pub fn predict_to(&self, x: &DMatrix<f32>, depth: usize) -> Result<DMatrix<f32>> {
        self.check_input(x)?;
        if x.ncols() <= PREDICT_CHUNK {
            return self.forward_to(x, depth);
        }
        let starts: Vec<usize> = (0..x.ncols()).step_by(PREDICT_CHUNK).collect();
        let parts: Vec<DMatrix<f32>> = starts
            .par_iter()
            .map(|&s| {
                let len = PREDICT_CHUNK.min(x.ncols() - s);
                self.forward_to(&x.columns(s, len).into_owned(), depth)
            })
            .collect::<Result<_>>()?;
        let rows = self.output_dim_after(depth);
        let mut out = DMatrix::zeros(rows, x.ncols());
        for (&s, part) in starts.iter().zip(&parts) {
            out.columns_mut(s, part.ncols()).copy_from(part);
        }
        Ok(out)
    }

    /// The network's output for a batch of any size, computed in parallel chunks.
    pub fn predict(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.predict_to(x, self.layers.len())
    }

    /// A forward pass that keeps every activation for [`backward`](Self::backward).
    pub fn forward_trace(&self, x: DMatrix<f32>) -> Result<Trace> {
        self.check_input(&x)?;
        let mut activations = Vec::with_capacity(self.layers.len() + 1);
        activations.push(x);
        for layer in &self.layers {
            let next = layer.forward(&activations[activations.len() - 1])?;
            activations.push(next);
        }
        Ok(Trace { activations })
    }

    /// Back-propagates `grad_output` (the loss gradient at the output of `trace`): returns the
    /// parameter gradients and, if `need_input_grad`, the gradient at the input.
    pub fn backward(
        &self,
        trace: &Trace,
        grad_output: DMatrix<f32>,
        need_input_grad: bool,
    ) -> Result<(Gradients, Option<DMatrix<f32>>)> {
        let out = trace.output();
        if trace.activations.len() != self.layers.len() + 1 || grad_output.shape() != out.shape() {
            return Err(Error::DimensionMismatch {
                what: "output gradient entries",
                expected: out.len(),
                got: grad_output.len(),
            });
        }
        let mut grads: Vec<Option<DenseGradient>> = vec![None; self.layers.len()];
        let mut dy = grad_output;
        for (i, layer) in self.layers.iter().enumerate().rev() {
            let need = i > 0 || need_input_grad;
            let (g, dx) =
                layer.backward(&trace.activations[i], &trace.activations[i + 1], &dy, need)?;
            grads[i] = g;
            match dx {
                Some(dx) => dy = dx,
                None => return Ok((Gradients { layers: grads }, None)),
            }
        }
        Ok((Gradients { layers: grads }, Some(dy)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::loss::Loss;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn rejects_layers_that_do_not_chain() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let a = Dense::new(3, 4, Init::He, &mut rng).unwrap();
        let b = Dense::new(5, 2, Init::He, &mut rng).unwrap();
        assert!(Sequential::new(3, vec![Layer::Dense(a), Layer::Dense(b)]).is_err());
        assert!(Sequential::new(3, vec![Layer::Bloch]).is_err());
    }

    #[test]
    fn predict_equals_forward() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let net = Sequential::mlp(&[7, 9, 3], Activation::Relu, &mut rng).unwrap();
        let x = DMatrix::from_fn(7, 600, |_, _| rng.random_range(-1.0..1.0));
        assert_eq!(net.predict(&x).unwrap(), net.forward(&x).unwrap());
    }

    /// End-to-end gradient check of a network holding every layer type, under every loss.
    #[test]
    fn network_gradients_match_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let layers = vec![
            Layer::Dense(Dense::new(4, 6, Init::LeCun, &mut rng).unwrap()),
            Layer::Activation(Activation::Tanh),
            Layer::Bloch,
            Layer::Dense(Dense::new(9, 5, Init::LeCun, &mut rng).unwrap()),
            Layer::Activation(Activation::Sigmoid),
            Layer::Dense(Dense::new(5, 3, Init::LeCun, &mut rng).unwrap()),
        ];
        let net = Sequential::new(4, layers).unwrap();
        let x = DMatrix::from_fn(4, 5, |_, _| rng.random_range(-1.0..1.0));
        let targets = [
            (Loss::MeanSquaredError, DMatrix::from_fn(3, 5, |_, _| rng.random_range(-1.0..1.0))),
            (Loss::BinaryCrossEntropy, DMatrix::from_fn(3, 5, |_, _| rng.random_range(0.0..1.0))),
            (
                Loss::CategoricalCrossEntropy,
                DMatrix::from_fn(3, 5, |r, c| if r == c % 3 { 1.0 } else { 0.0 }),
            ),
        ];
        for (loss, t) in targets {
            let trace = net.forward_trace(x.clone()).unwrap();
            let (_, grad) = loss.evaluate(trace.output(), &t).unwrap();
            let (grads, dx) = net.backward(&trace, grad, true).unwrap();
            let dx = dx.unwrap();
            let value = |n: &Sequential, x: &DMatrix<f32>| {
                loss.evaluate(&n.forward(x).unwrap(), &t).unwrap().0
            };
            let eps = 1e-2f32;
            for i in 0..x.len() {
                let (mut p, mut m) = (x.clone(), x.clone());
                p[i] += eps;
                m[i] -= eps;
                let numeric = (value(&net, &p) - value(&net, &m)) / f64::from(2.0 * eps);
                assert!(
                    (numeric - f64::from(dx[i])).abs() < 1e-3 * (1.0 + numeric.abs()),
                    "{loss:?} input {i}: {numeric} vs {}",
                    dx[i]
                );
            }
            // Perturb the first dense layer's weights through the optimiser's view.
            let analytic = grads.layer(0).unwrap().weights.clone();
            for i in 0..analytic.len() {
                let mut p = net.clone();
                let mut m = net.clone();
                p.dense_layers_mut().next().unwrap().1.parameters_mut().0[i] += eps;
                m.dense_layers_mut().next().unwrap().1.parameters_mut().0[i] -= eps;
                let numeric = (value(&p, &x) - value(&m, &x)) / f64::from(2.0 * eps);
                assert!(
                    (numeric - f64::from(analytic[i])).abs() < 1e-3 * (1.0 + numeric.abs()),
                    "{loss:?} weight {i}: {numeric} vs {}",
                    analytic[i]
                );
            }
        }
    }
}
