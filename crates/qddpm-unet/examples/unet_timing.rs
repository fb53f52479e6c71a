//! Times what chose this crate's implementation (docs/architecture.md): a stack of four 3 x 3
//! convolutions with group norm and SiLU, forward and backward, written with candle's own
//! `conv2d` and with this crate's im2col and fused group-norm operations; then one training step
//! and one forward pass of the default U-Net.
//!
//! ```sh
//! CANDLE_NUM_THREADS=1 cargo run --release -p qddpm-unet --example unet_timing
//! ```
//!
//! One thread (`RAYON_NUM_THREADS=1` as well) measures the cost per core; the machine's other
//! jobs make single runs noisy, so each figure is the best of five.

use std::time::Instant;

use candle_core::{Device, Result, Tensor, Var};
use qddpm_unet::config::UnetConfig;
use qddpm_unet::network::{FreshWeights, StoredWeights, Unet};
use qddpm_unet::ops::{group_norm_silu, im2col};
use rand::SeedableRng;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The best of five runs of `f`, in seconds.
fn best_of_five(mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// Group norm (8 groups) then SiLU with candle's element-wise operations, channels first.
fn group_norm_silu_nchw(x: &Tensor) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    let grouped = x.reshape((b, 8, c / 8 * h * w))?;
    let centred = grouped.broadcast_sub(&grouped.mean_keepdim(2)?)?;
    let variance = centred.sqr()?.mean_keepdim(2)?;
    centred.broadcast_div(&(variance + 1e-5)?.sqrt()?)?.reshape((b, c, h, w))?.silu()
}

fn main() -> Result<()> {
    let dev = Device::Cpu;
    let (batch, channels, side) = (64, 32, 14);
    let scale = (1.0 / (9.0 * channels as f64)).sqrt();
    let kernels: Vec<Var> = (0..4)
        .map(|_| {
            Var::from_tensor(
                &(Tensor::randn(0f32, 1.0, (channels, channels, 3, 3), &dev)? * scale)?,
            )
        })
        .collect::<Result<_>>()?;
    let x = Tensor::randn(0f32, 1.0, (batch, channels, side, side), &dev)?;
    let candle_conv = best_of_five(|| {
        let mut h = x.clone();
        for k in &kernels {
            h = (group_norm_silu_nchw(&h)?.conv2d(k.as_tensor(), 1, 1, 1, 1)? + &h)?;
        }
        h.sqr()?.mean_all()?.backward().map(|_| ())
    })?;
    let matrices: Vec<Var> = (0..4)
        .map(|_| {
            Var::from_tensor(&(Tensor::randn(0f32, 1.0, (9 * channels, channels), &dev)? * scale)?)
        })
        .collect::<Result<_>>()?;
    let (ones, zeros) = (
        Tensor::ones(channels, candle_core::DType::F32, &dev)?,
        Tensor::zeros(channels, candle_core::DType::F32, &dev)?,
    );
    let x = Tensor::randn(0f32, 1.0, (batch, side, side, channels), &dev)?;
    let ours = best_of_five(|| {
        let mut h = x.clone();
        for m in &matrices {
            let a = group_norm_silu(&h, &ones, &zeros, 8, 1e-5)?;
            h = (im2col(&a)?.matmul(m.as_tensor())?.reshape((batch, side, side, channels))? + &h)?;
        }
        h.sqr()?.mean_all()?.backward().map(|_| ())
    })?;
    let flops = 3.0 * 4.0 * 2.0 * (9 * channels * channels * side * side * batch) as f64;
    println!(
        "4 convolutions {channels} -> {channels} at {side} x {side}, batch {batch}, forward + backward:"
    );
    println!(
        "  candle conv2d + element-wise group norm: {:.3} s ({:.1} GFLOP/s)",
        candle_conv,
        flops / candle_conv / 1e9
    );
    println!(
        "  im2col + matmul + fused group norm:      {:.3} s ({:.1} GFLOP/s)",
        ours,
        flops / ours / 1e9
    );

    let config = UnetConfig::default();
    let mut fresh = FreshWeights::new(rand_chacha::ChaCha8Rng::seed_from_u64(1), true);
    let net = Unet::new(&config, &mut fresh).map_err(|e| candle_core::Error::Msg(e.to_string()))?;
    let chunk = 16;
    let x = Tensor::randn(0f32, 1.0, (chunk, 28, 28), &dev)?;
    let steps: Vec<usize> = (0..chunk).map(|i| 1 + 61 * i).collect();
    let step = best_of_five(|| {
        let y = net.forward(&x, &steps).map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        (y - &x)?.sqr()?.mean_all()?.backward().map(|_| ())
    })?;
    let stored: Vec<(Vec<usize>, Vec<f32>)> = net
        .weights()
        .iter()
        .map(|t| Ok((t.dims().to_vec(), t.flatten_all()?.to_vec1()?)))
        .collect::<Result<_>>()?;
    let frozen = Unet::new(&config, &mut StoredWeights::new(&stored))
        .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
    let forward = best_of_five(|| {
        frozen.forward(&x, &steps).map(|_| ()).map_err(|e| candle_core::Error::Msg(e.to_string()))
    })?;
    println!(
        "default U-Net {:?} ({} parameters, {:.1} MFLOP per image):",
        config.channels,
        net.num_parameters(),
        config.flops_per_image() as f64 / 1e6
    );
    println!(
        "  training, forward + backward of {chunk} images: {:.1} ms ({:.2} ms per image)",
        step * 1e3,
        step * 1e3 / chunk as f64
    );
    println!(
        "  sampling, forward of {chunk} images: {:.1} ms ({:.3} ms per image)",
        forward * 1e3,
        forward * 1e3 / chunk as f64
    );
    Ok(())
}
