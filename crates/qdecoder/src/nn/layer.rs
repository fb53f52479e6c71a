//! Layers: dense (fully connected), element-wise activations, softmax, and the Bloch-sphere map.
//!
//! Every layer works on a batch at once: a matrix whose columns are the samples (features x
//! batch), so a dense layer is one matrix product (nalgebra hands it to `matrixmultiply`'s SIMD
//! `sgemm`). `backward` takes the layer's input, its output and the gradient of the loss with
//! respect to the output, and returns the parameter gradient (dense layers only) and, if asked, the
//! gradient with respect to the input.

use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A fully connected layer `y = W x + b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DenseRecord", into = "DenseRecord")]
pub struct Dense {
    weights: DMatrix<f32>,
    bias: DVector<f32>,
}

/// How to draw a dense layer's initial weights (biases start at zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Init {
    /// Uniform in `+-sqrt(6 / fan_in)` (He et al.), for layers followed by a ReLU.
    #[default]
    He,
    /// Uniform in `+-sqrt(3 / fan_in)` (LeCun), unit output variance for linear outputs.
    LeCun,
}

impl Dense {
    /// A layer from `inputs` to `outputs` features with random weights drawn by `init`.
    pub fn new(inputs: usize, outputs: usize, init: Init, rng: &mut impl Rng) -> Result<Self> {
        if inputs == 0 || outputs == 0 {
            return Err(Error::InvalidConfig {
                field: "layer sizes",
                reason: format!("a dense layer needs positive sizes, got {inputs} -> {outputs}"),
            });
        }
        let numerator = match init {
            Init::He => 6.0,
            Init::LeCun => 3.0,
        };
        let limit = (numerator / inputs as f32).sqrt();
        let weights = DMatrix::from_fn(outputs, inputs, |_, _| rng.random_range(-limit..limit));
        Ok(Dense { weights, bias: DVector::zeros(outputs) })
    }

    /// A layer with the given weights (outputs x inputs) and bias (outputs).
    pub fn from_parts(weights: DMatrix<f32>, bias: DVector<f32>) -> Result<Self> {
        if weights.nrows() != bias.len() {
            return Err(Error::DimensionMismatch {
                what: "dense bias (one per output)",
                expected: weights.nrows(),
                got: bias.len(),
            });
        }
        if weights.is_empty() {
            return Err(Error::InvalidModel { reason: "dense layer with no weights".into() });
        }
        if weights.iter().chain(bias.iter()).any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "dense layer parameters" });
        }
        Ok(Dense { weights, bias })
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        self.weights.ncols()
    }

    /// Number of output features.
    pub fn outputs(&self) -> usize {
        self.weights.nrows()
    }

    /// The weight matrix (outputs x inputs).
    pub fn weights(&self) -> &DMatrix<f32> {
        &self.weights
    }

    /// The bias vector.
    pub fn bias(&self) -> &DVector<f32> {
        &self.bias
    }

    /// Mutable access to the weights and bias, for optimisers.
    pub(crate) fn parameters_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        (self.weights.as_mut_slice(), self.bias.as_mut_slice())
    }

    fn forward(&self, x: &DMatrix<f32>) -> DMatrix<f32> {
        let mut y = &self.weights * x;
        for mut column in y.column_iter_mut() {
            column += &self.bias;
        }
        y
    }

    fn backward(
        &self,
        x: &DMatrix<f32>,
        dy: &DMatrix<f32>,
        need_input_grad: bool,
    ) -> (DenseGradient, Option<DMatrix<f32>>) {
        // nalgebra's `tr_mul` is a loop of dot products; an explicit transpose copy lets both
        // products go through the blocked sgemm, which is far faster at these sizes.
        let weights = dy * x.transpose();
        let bias = dy.column_sum();
        let dx = need_input_grad.then(|| self.weights.transpose() * dy);
        (DenseGradient { weights, bias }, dx)
    }
}

/// The serialised form of [`Dense`]: plain vectors, validated on load.
#[derive(Serialize, Deserialize)]
struct DenseRecord {
    inputs: u32,
    outputs: u32,
    /// Column-major `outputs x inputs`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl From<Dense> for DenseRecord {
    fn from(d: Dense) -> Self {
        DenseRecord {
            inputs: d.inputs() as u32,
            outputs: d.outputs() as u32,
            weights: d.weights.as_slice().to_vec(),
            bias: d.bias.as_slice().to_vec(),
        }
    }
}

impl TryFrom<DenseRecord> for Dense {
    type Error = Error;

    fn try_from(r: DenseRecord) -> Result<Self> {
        let (rows, cols) = (r.outputs as usize, r.inputs as usize);
        if r.weights.len() != rows * cols {
            return Err(Error::DimensionMismatch {
                what: "stored dense weights",
                expected: rows * cols,
                got: r.weights.len(),
            });
        }
        Dense::from_parts(DMatrix::from_vec(rows, cols, r.weights), DVector::from_vec(r.bias))
    }
}

/// The gradient of a loss with respect to one dense layer's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseGradient {
    /// Gradient of the weights (outputs x inputs).
    pub weights: DMatrix<f32>,
    /// Gradient of the bias.
    pub bias: DVector<f32>,
}

/// Parameter-free element-wise or per-sample activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `exp(x_i) / sum_j exp(x_j)` over the features of each sample.
    Softmax,
}

/// The logistic function, computed without overflow for large `|x|`.
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Replaces each column by its softmax (shifted by the column maximum, so it never overflows).
pub fn softmax_columns(m: &mut DMatrix<f32>) {
    for mut column in m.column_iter_mut() {
        let max = column.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in column.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        column /= sum;
    }
}

impl Activation {
    fn forward(self, x: &DMatrix<f32>) -> DMatrix<f32> {
        match self {
            Activation::Relu => x.map(|v| v.max(0.0)),
            Activation::Sigmoid => x.map(sigmoid),
            Activation::Tanh => x.map(f32::tanh),
            Activation::Softmax => {
                let mut y = x.clone();
                softmax_columns(&mut y);
                y
            }
        }
    }

    fn backward(self, x: &DMatrix<f32>, y: &DMatrix<f32>, dy: &DMatrix<f32>) -> DMatrix<f32> {
        match self {
            Activation::Relu => dy.zip_map(x, |g, v| if v > 0.0 { g } else { 0.0 }),
            Activation::Sigmoid => dy.zip_map(y, |g, s| g * s * (1.0 - s)),
            Activation::Tanh => dy.zip_map(y, |g, t| g * (1.0 - t * t)),
            Activation::Softmax => {
                // dx_i = y_i (dy_i - sum_j dy_j y_j): the Jacobian diag(y) - y y^T applied to dy.
                let mut dx = dy.clone();
                for ((mut dx_col, y_col), dy_col) in
                    dx.column_iter_mut().zip(y.column_iter()).zip(dy.column_iter())
                {
                    let dot = dy_col.dot(&y_col);
                    for (d, &s) in dx_col.iter_mut().zip(y_col.iter()) {
                        *d = s * (*d - dot);
                    }
                }
                dx
            }
        }
    }
}

/// One layer of a [`Sequential`](crate::nn::network::Sequential) network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Layer {
    /// A fully connected layer.
    Dense(Dense),
    /// A parameter-free activation.
    Activation(Activation),
    /// Per-qubit angles to Bloch vectors: input `(theta_q, phi_q)` at rows `2q, 2q+1`, output
    /// `(sin t cos p, sin t sin p, cos t)` = `(<X>, <Y>, <Z>)` at rows `3q..3q+3`.
    Bloch,
}

impl Layer {
    /// The number of output features for `inputs` input features, or an error if they do not fit.
    pub fn output_dim(&self, inputs: usize) -> Result<usize> {
        match self {
            Layer::Dense(d) if d.inputs() == inputs => Ok(d.outputs()),
            Layer::Dense(d) => Err(Error::InvalidModel {
                reason: format!("dense layer takes {} inputs, gets {inputs}", d.inputs()),
            }),
            Layer::Activation(_) => Ok(inputs),
            Layer::Bloch if inputs % 2 == 0 && inputs > 0 => Ok(inputs / 2 * 3),
            Layer::Bloch => Err(Error::InvalidModel {
                reason: format!(
                    "Bloch layer needs a positive even number of angles, gets {inputs}"
                ),
            }),
        }
    }

    /// Applies the layer to a batch (one sample per column); errors if the rows do not fit.
    pub fn forward(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.output_dim(x.nrows())?;
        Ok(match self {
            Layer::Dense(d) => d.forward(x),
            Layer::Activation(a) => a.forward(x),
            Layer::Bloch => bloch_forward(x),
        })
    }

    /// Back-propagates `dy` (gradient at the output `y = forward(x)`): returns the parameter
    /// gradient of a dense layer and, if `need_input_grad`, the gradient at the input.
    pub fn backward(
        &self,
        x: &DMatrix<f32>,
        y: &DMatrix<f32>,
        dy: &DMatrix<f32>,
        need_input_grad: bool,
    ) -> Result<(Option<DenseGradient>, Option<DMatrix<f32>>)> {
        let rows = self.output_dim(x.nrows())?;
        if y.shape() != (rows, x.ncols()) || dy.shape() != y.shape() {
            return Err(Error::DimensionMismatch {
                what: "layer output and output-gradient entries",
                expected: rows * x.ncols(),
                got: if y.shape() != (rows, x.ncols()) { y.len() } else { dy.len() },
            });
        }
        Ok(match self {
            Layer::Dense(d) => {
                let (g, dx) = d.backward(x, dy, need_input_grad);
                (Some(g), dx)
            }
            Layer::Activation(a) => (None, need_input_grad.then(|| a.backward(x, y, dy))),
            Layer::Bloch => (None, need_input_grad.then(|| bloch_backward(x, dy))),
        })
    }
}

fn bloch_forward(x: &DMatrix<f32>) -> DMatrix<f32> {
    let qubits = x.nrows() / 2;
    let mut y = DMatrix::zeros(3 * qubits, x.ncols());
    for (x_col, mut y_col) in x.column_iter().zip(y.column_iter_mut()) {
        for q in 0..qubits {
            let (st, ct) = x_col[2 * q].sin_cos();
            let (sp, cp) = x_col[2 * q + 1].sin_cos();
            y_col[3 * q] = st * cp;
            y_col[3 * q + 1] = st * sp;
            y_col[3 * q + 2] = ct;
        }
    }
    y
}

fn bloch_backward(x: &DMatrix<f32>, dy: &DMatrix<f32>) -> DMatrix<f32> {
    let qubits = x.nrows() / 2;
    let mut dx = DMatrix::zeros(x.nrows(), x.ncols());
    for ((x_col, dy_col), mut dx_col) in
        x.column_iter().zip(dy.column_iter()).zip(dx.column_iter_mut())
    {
        for q in 0..qubits {
            let (st, ct) = x_col[2 * q].sin_cos();
            let (sp, cp) = x_col[2 * q + 1].sin_cos();
            let (gx, gy, gz) = (dy_col[3 * q], dy_col[3 * q + 1], dy_col[3 * q + 2]);
            dx_col[2 * q] = gx * ct * cp + gy * ct * sp - gz * st;
            dx_col[2 * q + 1] = -gx * st * sp + gy * st * cp;
        }
    }
    dx
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Checks `backward` of `layer` against central finite differences of `sum(w .* forward(x))`
    /// with respect to the input (and, for dense layers, the parameters).
    fn check_layer(layer: Layer, inputs: usize, seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Keep inputs away from the ReLU kink so finite differences are meaningful.
        let x = DMatrix::from_fn(inputs, 3, |_, _| {
            let v: f32 = rng.random_range(0.1..1.2);
            if rng.random::<bool>() { v } else { -v }
        });
        let y = layer.forward(&x).unwrap();
        let w = DMatrix::from_fn(y.nrows(), y.ncols(), |_, _| rng.random_range(-1.0f32..1.0));
        let objective = |layer: &Layer, x: &DMatrix<f32>| -> f64 {
            layer
                .forward(x)
                .unwrap()
                .iter()
                .zip(w.iter())
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum()
        };
        let (grad, dx) = layer.backward(&x, &y, &w, true).unwrap();
        let dx = dx.unwrap();
        let eps = 1e-2f32;
        for i in 0..x.len() {
            let (mut plus, mut minus) = (x.clone(), x.clone());
            plus[i] += eps;
            minus[i] -= eps;
            let numeric =
                (objective(&layer, &plus) - objective(&layer, &minus)) / f64::from(2.0 * eps);
            let analytic = f64::from(dx[i]);
            assert!(
                (numeric - analytic).abs() < 2e-3 * (1.0 + numeric.abs()),
                "{layer:?} input {i}: numeric {numeric}, analytic {analytic}"
            );
        }
        if let (Layer::Dense(d), Some(g)) = (&layer, grad) {
            for i in 0..d.weights.len() {
                let (mut plus, mut minus) = (d.clone(), d.clone());
                plus.weights[i] += eps;
                minus.weights[i] -= eps;
                let numeric = (objective(&Layer::Dense(plus), &x)
                    - objective(&Layer::Dense(minus), &x))
                    / f64::from(2.0 * eps);
                assert!((numeric - f64::from(g.weights[i])).abs() < 2e-3 * (1.0 + numeric.abs()));
            }
            for i in 0..d.bias.len() {
                let (mut plus, mut minus) = (d.clone(), d.clone());
                plus.bias[i] += eps;
                minus.bias[i] -= eps;
                let numeric = (objective(&Layer::Dense(plus), &x)
                    - objective(&Layer::Dense(minus), &x))
                    / f64::from(2.0 * eps);
                assert!((numeric - f64::from(g.bias[i])).abs() < 2e-3 * (1.0 + numeric.abs()));
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut dense = Dense::new(5, 4, Init::LeCun, &mut rng).unwrap();
        dense.bias = DVector::from_fn(4, |_, _| rng.random_range(-0.5..0.5));
        check_layer(Layer::Dense(dense), 5, 2);
        check_layer(Layer::Activation(Activation::Relu), 6, 3);
        check_layer(Layer::Activation(Activation::Sigmoid), 6, 4);
        check_layer(Layer::Activation(Activation::Tanh), 6, 5);
        check_layer(Layer::Activation(Activation::Softmax), 6, 6);
        check_layer(Layer::Bloch, 6, 7);
    }

    #[test]
    fn bloch_vectors_are_unit_length() {
        let x = DMatrix::from_column_slice(4, 1, &[0.3, -2.0, 2.5, 0.7]);
        let y = Layer::Bloch.forward(&x).unwrap();
        for q in 0..2 {
            let norm: f32 = (0..3).map(|k| y[3 * q + k].powi(2)).sum();
            assert!((norm - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn softmax_is_stable_for_large_logits() {
        let mut m = DMatrix::from_column_slice(3, 1, &[1000.0, 999.0, -1000.0]);
        softmax_columns(&mut m);
        assert!(m.iter().all(|v| v.is_finite()));
        assert!((m.sum() - 1.0).abs() < 1e-6);
    }
}
