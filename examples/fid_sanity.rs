//! Shows that FID on our classifier features behaves: its floors on real data, and how it grows
//! as samples are degraded (noise, blur, missing classes, garbage).
//!
//! ```sh
//! cargo run --release --example fid_sanity
//! ```
//!
//! Prints a markdown table (the one in docs/results.md) and writes some of the sets as IDX files
//! so `cargo run --release --example score_samples -- FILE.idx` can be checked against it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use nalgebra::DMatrix;
use qdecoder::dataset::{IMAGE_SIDE, ImageSet};
use qdecoder::fid::{FeatureStatistics, frechet_distance};
use qdiff_examples::error_line::run_main;
use qdiff_examples::scoring::{Scoring, ScoringArgs};
use qdiff_examples::workspace;
use qrandom::distributions::standard_normal_f32;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Measure FID floors and FID of degraded sample sets (FID on our classifier features).
#[derive(Parser, Debug)]
#[command(about, long_about)]
struct Args {
    #[command(flatten)]
    scoring: ScoringArgs,
    /// Where to write IDX copies of some sets [default: <workspace>/out/fid-sanity].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of the subsets and the noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Adds Gaussian noise of standard deviation `sigma` to every pixel, clamped to [0, 1].
fn noisy(images: &DMatrix<f32>, sigma: f32, rng: &mut ChaCha8Rng) -> DMatrix<f32> {
    images.map(|v| (v + sigma * standard_normal_f32(rng)).clamp(0.0, 1.0))
}

/// Gaussian blur of standard deviation `sigma` pixels (separable, zero outside the image).
fn blurred(images: &DMatrix<f32>, sigma: f32) -> DMatrix<f32> {
    let radius = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> =
        (-radius..=radius).map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp()).collect();
    let total: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / total).collect();
    let side = IMAGE_SIDE as isize;
    let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
        let mut out = vec![0.0; src.len()];
        for r in 0..side {
            for c in 0..side {
                let mut acc = 0.0;
                for (k, w) in kernel.iter().enumerate() {
                    let d = k as isize - radius;
                    let (rr, cc) = if horizontal { (r, c + d) } else { (r + d, c) };
                    if (0..side).contains(&rr) && (0..side).contains(&cc) {
                        acc += w * src[(rr * side + cc) as usize];
                    }
                }
                out[(r * side + c) as usize] = acc;
            }
        }
        out
    };
    let mut out = images.clone();
    for mut col in out.column_iter_mut() {
        let h = pass(col.as_slice(), true);
        col.copy_from_slice(&pass(&h, false));
    }
    out
}

fn main() -> ExitCode {
    run_main(report)
}

/// Scores the real digits and their degradations, printing the table.
fn report() -> Result<(), qdecoder::Error> {
    let args = Args::parse();
    let out = args.out.unwrap_or_else(|| workspace().join("out/fid-sanity"));
    let Scoring { mnist, evaluator, classifier_status, .. } = args.scoring.load(|_| {})?;
    eprintln!("classifier: {classifier_status:?}");
    let accuracy = evaluator.classifier().accuracy(&mnist.test)?;
    let test = mnist.test.images().to_matrix();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);

    println!("Held-out accuracy of the FID classifier: {:.2}%\n", 100.0 * accuracy);
    println!("| set | n | reference | FID | mean confidence | classes with >= 5% |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str,
               images: &DMatrix<f32>,
               reference: &str,
               fid: Option<f64>|
     -> Result<(), qdecoder::Error> {
        let s = evaluator.score(images)?;
        let covered = s.class_histogram.iter().filter(|&&f| f >= 0.05).count();
        println!(
            "| {name} | {} | {reference} | {:.3} | {:.3} | {covered} |",
            s.n,
            fid.unwrap_or(s.fid),
            s.mean_confidence
        );
        Ok(())
    };

    // Floors: real images against real images.
    let mut order: Vec<usize> = (0..mnist.test.len()).collect();
    order.shuffle(&mut rng);
    let (a, b) = order.split_at(order.len() / 2);
    let half_a = mnist.test.images().select(a)?.to_matrix();
    let half_b = mnist.test.images().select(b)?.to_matrix();
    let features = |m: &DMatrix<f32>| -> Result<FeatureStatistics, qdecoder::Error> {
        FeatureStatistics::from_features(&evaluator.classifier().features(m)?)
    };
    let halves = frechet_distance(&features(&half_a)?, &features(&half_b)?)?;
    row("test, random half A", &half_a, "test half B (1000)", Some(halves))?;
    let mut train_order: Vec<usize> = (0..mnist.train.len()).collect();
    train_order.shuffle(&mut rng);
    let train2000_set = mnist.train.images().select(&train_order[..2000])?;
    let train2000 = train2000_set.to_matrix();
    row("train, random 2000", &train2000, "test (2000)", None)?;
    row("train, all", &mnist.train.images().to_matrix(), "test (2000)", None)?;
    row("test itself", &test, "test (2000)", None)?;

    // Degradations of the same 2000 training images.
    std::fs::create_dir_all(&out)
        .map_err(|e| qdecoder::Error::Io { path: out.clone(), source: e })?;
    train2000_set.write_idx(out.join("train2000.idx"))?;
    for sigma in [0.05f32, 0.1, 0.2, 0.4] {
        let m = noisy(&train2000, sigma, &mut rng);
        row(&format!("train 2000 + Gaussian noise sigma {sigma}"), &m, "test (2000)", None)?;
        if sigma == 0.2 {
            ImageSet::from_matrix(&m)?.write_idx(out.join("train2000_noise0.2.idx"))?;
        }
    }
    for sigma in [0.5f32, 1.0, 2.0] {
        let m = blurred(&train2000, sigma);
        row(&format!("train 2000, Gaussian blur sigma {sigma} px"), &m, "test (2000)", None)?;
        if sigma == 1.0 {
            ImageSet::from_matrix(&m)?.write_idx(out.join("train2000_blur1.idx"))?;
        }
    }
    let low: Vec<usize> =
        train_order.iter().copied().filter(|&i| mnist.train.labels()[i] < 5).take(2000).collect();
    row(
        "train, digits 0-4 only",
        &mnist.train.images().select(&low)?.to_matrix(),
        "test (2000)",
        None,
    )?;
    let ones: Vec<usize> =
        train_order.iter().copied().filter(|&i| mnist.train.labels()[i] == 1).collect();
    row(
        "train, digit 1 only",
        &mnist.train.images().select(&ones)?.to_matrix(),
        "test (2000)",
        None,
    )?;
    let uniform = DMatrix::from_fn(784, 2000, |_, _| rng.random::<f32>());
    row("uniform random pixels", &uniform, "test (2000)", None)?;
    eprintln!("IDX copies written to {}", out.display());
    Ok(())
}
