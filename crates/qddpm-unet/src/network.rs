//! The U-Net noise predictor `eps(x_t, t)` (Ronneberger et al. 2015, in the form of Ho et al.
//! 2020, scaled down to MNIST and to a CPU).
//!
//! Tensors are channels-last (`[batch, height, width, channels]`), and every convolution is one
//! matrix product: the 3 x 3 neighbourhoods of the zero-padded input are gathered side by side
//! (`[batch * height * width, 9 * channels]`, [`crate::ops`]) and multiplied by the
//! `[9 * channels, out]` kernel. That keeps the forward and the backward pass inside candle's
//! matrix product, which on this CPU trains faster than its direct convolution kernels
//! (docs/architecture.md has the measurement).
//!
//! The path of an image:
//!
//! 1. pixel unshuffle: `patch x patch` blocks become channels (`28 x 28 x 1` to `14 x 14 x 4`
//!    for `patch = 2`), and a 3 x 3 convolution lifts them to the first level's channels;
//! 2. down: at each level, residual blocks, then (except at the coarsest) the activations are
//!    kept for the skip connection and average-pooled 2 x 2;
//! 3. up: from the second-coarsest level to the finest, nearest-neighbour upsampling, the kept
//!    activations concatenated as extra channels, residual blocks;
//! 4. out: group norm, SiLU, a 3 x 3 convolution to `patch^2` channels (zero at
//!    initialisation), pixel shuffle back to `28 x 28`.
//!
//! A residual block is `x + conv(SiLU(norm(conv(SiLU(norm(x))) + W SiLU(e))))`, with a 1 x 1
//! convolution on the skip when the width changes and its second convolution zero at
//! initialisation (so each block starts as the identity). `e` is the timestep's embedding: the
//! sinusoidal features of `t` through a two-layer MLP with SiLU, shared by all blocks, each
//! adding its own projection `W` of it to its channels.

use candle_core::{D, Device, Tensor};
use qdecoder::dataset::IMAGE_SIDE;
use qdiffusion::baseline::embedding::timestep_embedding;

use crate::config::UnetConfig;
use crate::error::{Error, Result};

/// Epsilon of the group normalisations.
const NORM_EPS: f32 = 1e-5;

/// How a weight starts before training.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// Normal with mean zero and this standard deviation.
    Normal(f32),
    /// Every entry this value.
    Constant(f32),
}

/// Where the network's weights come from, in the fixed order in which it asks for them: drawn
/// fresh, or read back from a model file.
pub trait WeightSource {
    /// The next weight, of `shape`; `init` says how a fresh one starts.
    fn next(&mut self, shape: &[usize], init: Init) -> Result<Tensor>;
}

/// A 3 x 3 convolution with padding 1, or a 1 x 1 one.
#[derive(Debug, Clone)]
struct Conv {
    /// `[k * k * in, out]`, rows ordered by kernel row, kernel column, input channel.
    weight: Tensor,
    bias: Tensor,
    kernel: usize,
}

impl Conv {
    fn new(
        source: &mut dyn WeightSource,
        inputs: usize,
        outputs: usize,
        kernel: usize,
        zero: bool,
    ) -> Result<Self> {
        let fan_in = kernel * kernel * inputs;
        let init =
            if zero { Init::Constant(0.0) } else { Init::Normal((1.0 / fan_in as f32).sqrt()) };
        Ok(Conv {
            weight: source.next(&[fan_in, outputs], init)?,
            bias: source.next(&[outputs], Init::Constant(0.0))?,
            kernel,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (b, h, w, c) = x.dims4()?;
        let columns =
            if self.kernel == 1 { x.reshape((b * h * w, c))? } else { crate::ops::im2col(x)? };
        let out = columns.matmul(&self.weight)?.broadcast_add(&self.bias)?;
        Ok(out.reshape((b, h, w, ()))?)
    }
}

/// A dense layer on `[batch, in]`.
#[derive(Debug, Clone)]
struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Linear {
    fn new(source: &mut dyn WeightSource, inputs: usize, outputs: usize) -> Result<Self> {
        Ok(Linear {
            weight: source.next(&[inputs, outputs], Init::Normal((1.0 / inputs as f32).sqrt()))?,
            bias: source.next(&[outputs], Init::Constant(0.0))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.matmul(&self.weight)?.broadcast_add(&self.bias)?)
    }
}

/// Group normalisation over channels-last activations, with a learned scale and shift per
/// channel (Wu and He 2018).
#[derive(Debug, Clone)]
struct GroupNorm {
    scale: Tensor,
    shift: Tensor,
    groups: usize,
}

impl GroupNorm {
    fn new(source: &mut dyn WeightSource, channels: usize, groups: usize) -> Result<Self> {
        Ok(GroupNorm {
            scale: source.next(&[channels], Init::Constant(1.0))?,
            shift: source.next(&[channels], Init::Constant(0.0))?,
            groups,
        })
    }

    /// `silu(norm(x))`.
    fn forward_silu(&self, x: &Tensor) -> Result<Tensor> {
        Ok(crate::ops::group_norm_silu(x, &self.scale, &self.shift, self.groups, NORM_EPS)?)
    }
}

/// A residual block conditioned on the timestep.
#[derive(Debug, Clone)]
struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv,
    time: Linear,
    norm2: GroupNorm,
    conv2: Conv,
    skip: Option<Conv>,
}

impl ResBlock {
    fn new(
        source: &mut dyn WeightSource,
        inputs: usize,
        outputs: usize,
        config: &UnetConfig,
    ) -> Result<Self> {
        Ok(ResBlock {
            norm1: GroupNorm::new(source, inputs, config.groups)?,
            conv1: Conv::new(source, inputs, outputs, 3, false)?,
            time: Linear::new(source, config.time_width, outputs)?,
            norm2: GroupNorm::new(source, outputs, config.groups)?,
            conv2: Conv::new(source, outputs, outputs, 3, true)?,
            skip: if inputs == outputs {
                None
            } else {
                Some(Conv::new(source, inputs, outputs, 1, false)?)
            },
        })
    }

    /// `x` is `[b, h, w, in]`, `time` the SiLU of the timestep embedding, `[b, time_width]`.
    fn forward(&self, x: &Tensor, time: &Tensor) -> Result<Tensor> {
        let h = self.conv1.forward(&self.norm1.forward_silu(x)?)?;
        let (b, _, _, c) = h.dims4()?;
        let h = h.broadcast_add(&self.time.forward(time)?.reshape((b, 1, 1, c))?)?;
        let h = self.conv2.forward(&self.norm2.forward_silu(&h)?)?;
        let x = match &self.skip {
            Some(skip) => skip.forward(x)?,
            None => x.clone(),
        };
        Ok((x + h)?)
    }
}

/// The U-Net: its blocks and weights (see the module documentation for the path of an image).
#[derive(Debug, Clone)]
pub struct Unet {
    config: UnetConfig,
    time_in: Linear,
    time_out: Linear,
    stem: Conv,
    /// Per level, finest first.
    down: Vec<Vec<ResBlock>>,
    /// Per level but the coarsest, finest first (run coarse to fine).
    up: Vec<Vec<ResBlock>>,
    out_norm: GroupNorm,
    out_conv: Conv,
    /// Every weight, in the order they were asked for.
    weights: Vec<Tensor>,
}

/// Records every weight a [`WeightSource`] hands out.
struct Recording<'a> {
    inner: &'a mut dyn WeightSource,
    seen: Vec<Tensor>,
}

impl WeightSource for Recording<'_> {
    fn next(&mut self, shape: &[usize], init: Init) -> Result<Tensor> {
        let t = self.inner.next(shape, init)?;
        if t.dims() != shape {
            return Err(Error::InvalidModel {
                reason: format!(
                    "weight {} has shape {:?}, expected {shape:?}",
                    self.seen.len(),
                    t.dims()
                ),
            });
        }
        self.seen.push(t.clone());
        Ok(t)
    }
}

impl Unet {
    /// Builds the network of `config` with weights from `source` (checked against the shapes
    /// the configuration asks for).
    pub fn new(config: &UnetConfig, source: &mut dyn WeightSource) -> Result<Self> {
        config.validate()?;
        let mut rec = Recording { inner: source, seen: Vec::new() };
        let s: &mut dyn WeightSource = &mut rec;
        let c = &config.channels;
        let pp = config.patch * config.patch;
        let time_in = Linear::new(s, config.time_features, config.time_width)?;
        let time_out = Linear::new(s, config.time_width, config.time_width)?;
        let stem = Conv::new(s, pp, c[0], 3, false)?;
        let mut down = Vec::new();
        let mut width = c[0];
        for &channels in c {
            let mut blocks = Vec::new();
            for _ in 0..config.blocks {
                blocks.push(ResBlock::new(s, width, channels, config)?);
                width = channels;
            }
            down.push(blocks);
        }
        let mut up = Vec::new();
        for level in 0..c.len() - 1 {
            let mut blocks = vec![ResBlock::new(s, c[level + 1] + c[level], c[level], config)?];
            for _ in 1..config.blocks {
                blocks.push(ResBlock::new(s, c[level], c[level], config)?);
            }
            up.push(blocks);
        }
        let out_norm = GroupNorm::new(s, c[0], config.groups)?;
        let out_conv = Conv::new(s, c[0], pp, 3, true)?;
        Ok(Unet {
            config: config.clone(),
            time_in,
            time_out,
            stem,
            down,
            up,
            out_norm,
            out_conv,
            weights: rec.seen,
        })
    }

    /// Its configuration.
    pub fn config(&self) -> &UnetConfig {
        &self.config
    }

    /// Every weight tensor, in the order the network asks for them (the order of the model
    /// file, and of [`StoredWeights`]).
    pub fn weights(&self) -> &[Tensor] {
        &self.weights
    }

    /// Number of trained numbers.
    pub fn num_parameters(&self) -> usize {
        self.weights.iter().map(Tensor::elem_count).sum()
    }

    /// The predicted noise for `x_t` (`[batch, 28, 28]`, model range) at steps `steps` (one per
    /// image, each in `1..`): `[batch, 28, 28]`.
    pub fn forward(&self, x_t: &Tensor, steps: &[usize]) -> Result<Tensor> {
        let (b, h, w) = x_t.dims3()?;
        if (h, w) != (IMAGE_SIDE, IMAGE_SIDE) {
            return Err(Error::DimensionMismatch {
                what: "image side",
                expected: IMAGE_SIDE,
                got: h.max(w),
            });
        }
        if steps.len() != b {
            return Err(Error::DimensionMismatch {
                what: "timesteps (one per image)",
                expected: b,
                got: steps.len(),
            });
        }
        let features = self.config.time_features;
        let mut table = Vec::with_capacity(b * features);
        for &t in steps {
            table.extend(timestep_embedding(t, features)?);
        }
        let time = Tensor::from_vec(table, (b, features), x_t.device())?;
        let time = self.time_out.forward(&self.time_in.forward(&time)?.silu()?)?.silu()?;

        let mut h = self.stem.forward(&unshuffle(x_t, self.config.patch)?)?;
        let mut kept = Vec::new();
        for (level, blocks) in self.down.iter().enumerate() {
            for block in blocks {
                h = block.forward(&h, &time)?;
            }
            if level + 1 < self.down.len() {
                kept.push(h.clone());
                h = pool(&h)?;
            }
        }
        for (blocks, skip) in self.up.iter().zip(&kept).rev() {
            h = Tensor::cat(&[&upsample(&h)?, skip], D::Minus1)?;
            for block in blocks {
                h = block.forward(&h, &time)?;
            }
        }
        let out = self.out_conv.forward(&self.out_norm.forward_silu(&h)?)?;
        shuffle(&out, self.config.patch)
    }
}

/// `[b, 28, 28]` to `[b, 28 / p, 28 / p, p * p]`: each `p x p` block's pixels become channels.
fn unshuffle(x: &Tensor, p: usize) -> Result<Tensor> {
    let (b, h, w) = x.dims3()?;
    Ok(x.reshape((b, h / p, p, w / p, p))?.permute((0, 1, 3, 2, 4))?.reshape((
        b,
        h / p,
        w / p,
        p * p,
    ))?)
}

/// The inverse of [`unshuffle`]: `[b, 28 / p, 28 / p, p * p]` to `[b, 28, 28]`.
fn shuffle(x: &Tensor, p: usize) -> Result<Tensor> {
    let (b, h, w, _) = x.dims4()?;
    Ok(x.reshape((b, h, w, p, p))?.permute((0, 1, 3, 2, 4))?.reshape((b, h * p, w * p))?)
}

/// 2 x 2 average pooling, `[b, h, w, c]` to `[b, h / 2, w / 2, c]`.
fn pool(x: &Tensor) -> Result<Tensor> {
    let (b, h, w, c) = x.dims4()?;
    Ok(x.reshape((b, h / 2, 2, w / 2, 2, c))?.mean(4)?.mean(2)?)
}

/// Nearest-neighbour 2x upsampling, `[b, h, w, c]` to `[b, 2h, 2w, c]`.
fn upsample(x: &Tensor) -> Result<Tensor> {
    let (b, h, w, c) = x.dims4()?;
    Ok(x.reshape((b, h, 1, w, 1, c))?.broadcast_as((b, h, 2, w, 2, c))?.contiguous()?.reshape((
        b,
        2 * h,
        2 * w,
        c,
    ))?)
}

/// Fresh weights drawn from a generator (normal entries from qrandom's `f32` normal).
pub struct FreshWeights<R> {
    rng: R,
    device: Device,
    /// Make every weight a trainable [`candle_core::Var`].
    trainable: bool,
    vars: Vec<candle_core::Var>,
}

impl<R: rand::Rng> FreshWeights<R> {
    /// Draws from `rng`; with `trainable`, every weight is a variable the caller can train
    /// (see [`into_vars`](Self::into_vars)).
    pub fn new(rng: R, trainable: bool) -> Self {
        FreshWeights { rng, device: Device::Cpu, trainable, vars: Vec::new() }
    }

    /// The variables handed out (empty unless trainable), in order.
    pub fn into_vars(self) -> Vec<candle_core::Var> {
        self.vars
    }
}

impl<R: rand::Rng> WeightSource for FreshWeights<R> {
    fn next(&mut self, shape: &[usize], init: Init) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = match init {
            Init::Normal(std) => (0..n)
                .map(|_| std * qrandom::distributions::standard_normal_f32(&mut self.rng))
                .collect(),
            Init::Constant(v) => vec![v; n],
        };
        let t = Tensor::from_vec(values, shape, &self.device)?;
        if self.trainable {
            let var = candle_core::Var::from_tensor(&t)?;
            let t = var.as_tensor().clone();
            self.vars.push(var);
            Ok(t)
        } else {
            Ok(t)
        }
    }
}

/// Weights read back in order from stored values (a model file, or the moving average of
/// training).
pub struct StoredWeights<'a> {
    tensors: std::slice::Iter<'a, (Vec<usize>, Vec<f32>)>,
}

impl<'a> StoredWeights<'a> {
    /// Hands out `tensors` (shape, row-major values) in order.
    pub fn new(tensors: &'a [(Vec<usize>, Vec<f32>)]) -> Self {
        StoredWeights { tensors: tensors.iter() }
    }

    /// True if every stored tensor was handed out.
    pub fn is_exhausted(&self) -> bool {
        self.tensors.len() == 0
    }
}

impl WeightSource for StoredWeights<'_> {
    fn next(&mut self, shape: &[usize], _init: Init) -> Result<Tensor> {
        let (stored, values) = self.tensors.next().ok_or_else(|| Error::InvalidModel {
            reason: "the model file has fewer weights than the configuration needs".into(),
        })?;
        let needed = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if stored.as_slice() != shape || needed != Some(values.len()) {
            return Err(Error::InvalidModel {
                reason: format!(
                    "a stored weight has shape {stored:?} ({} values), the configuration needs {shape:?}",
                    values.len()
                ),
            });
        }
        Ok(Tensor::from_slice(values, shape, &Device::Cpu)?)
    }
}
