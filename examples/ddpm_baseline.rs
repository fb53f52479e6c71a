//! The classical baseline of the MNIST experiment: a DDPM with an MLP noise predictor, sampled
//! with 1,000 ancestral steps and with 50 DDIM steps, scored by FID on our classifier features.
//!
//! ```sh
//! cargo run --release --example ddpm_baseline
//! ```
//!
//! Trains the model (or loads it from `out/cache/ddpm_baseline.bin` if it was trained there with
//! the same configuration and data), draws 2,000 samples with each sampler, writes them as IDX
//! files and PNG grids (the first 100, labelled with the classifier's digit) to
//! `out/ddpm_baseline/`, and prints a JSON summary: FID against the 2,000 held-out images, mean
//! classifier confidence, class histogram, seconds for training and for each sampler, seeds.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use nalgebra::DMatrix;
use qdecoder::checkpoint::CacheStatus;
use qdecoder::dataset::{IMAGE_PIXELS, ImageSet, VALIDATION_SIZE};
use qdecoder::image::{GridConfig, write_png_grid};
use qdecoder::score::Evaluator;
use qdiff_examples::scoring::{Scoring, ScoringArgs};
use qdiff_examples::workspace;
use qdiffusion::Result;
use qdiffusion::baseline::model::{Ddpm, DdpmConfig, Prediction};
use qdiffusion::baseline::sample::{AncestralVariance, Sampler};
use serde_json::json;

/// Train (or load) the classical DDPM baseline, sample with DDPM-1000 and DDIM-50, and score the
/// samples (FID on our classifier features, not Inception-FID).
#[derive(Parser, Debug)]
#[command(about, long_about)]
struct Args {
    #[command(flatten)]
    scoring: ScoringArgs,
    /// Model cache, reused when the configuration and data match
    /// [default: <workspace>/out/cache/ddpm_baseline.bin].
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Output directory for the IDX files, PNG grids and summary
    /// [default: <workspace>/out/ddpm_baseline].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of the sampling noise (the training seed is `--train-seed`).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Samples per sampler (FID is compared at equal n; the held-out split has 2,000).
    #[arg(long, default_value_t = 2000)]
    samples: usize,
    /// DDIM steps.
    #[arg(long, default_value_t = 50)]
    ddim_steps: usize,
    /// Skip the 1,000-step ancestral sampler (quick experiments: DDIM only).
    #[arg(long)]
    skip_ancestral: bool,
    /// Variance of the ancestral sampler's noise.
    #[arg(long, value_enum, default_value_t = VarianceArg::Posterior)]
    variance: VarianceArg,
    /// Do not clip the denoised estimate to [-1, 1] during sampling.
    #[arg(long)]
    no_clip: bool,
    /// Training epochs [default: DdpmConfig::default()].
    #[arg(long)]
    epochs: Option<usize>,
    /// Hidden layer widths, comma separated [default: DdpmConfig::default()].
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// Timestep embedding dimension [default: DdpmConfig::default()].
    #[arg(long)]
    time_dim: Option<usize>,
    /// Mini-batch size [default: DdpmConfig::default()].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Initial learning rate [default: DdpmConfig::default()].
    #[arg(long)]
    learning_rate: Option<f32>,
    /// Training seed [default: DdpmConfig::default()].
    #[arg(long)]
    train_seed: Option<u64>,
    /// Plain MLP noise predictor, without preconditioning or skip (ablation).
    #[arg(long)]
    plain_mlp: bool,
    /// MLP noise predictor on top of the per-pixel Gaussian's noise prediction (ablation).
    #[arg(long, conflicts_with = "plain_mlp")]
    gaussian_skip: bool,
}

/// The command-line spelling of [`AncestralVariance`].
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum VarianceArg {
    /// The true posterior variance beta-tilde.
    Posterior,
    /// beta_t.
    Beta,
}

impl Args {
    /// The model configuration: the defaults with any flags applied.
    fn config(&self) -> DdpmConfig {
        let mut c = DdpmConfig::default();
        if let Some(e) = self.epochs {
            c.train.epochs = e;
        }
        if let Some(h) = &self.hidden {
            c.hidden = h.clone();
        }
        if let Some(d) = self.time_dim {
            c.time_embedding_dim = d;
        }
        if let Some(b) = self.batch_size {
            c.train.batch_size = b;
        }
        if let Some(lr) = self.learning_rate {
            c.train.learning_rate = lr;
        }
        if let Some(s) = self.train_seed {
            c.train.seed = s;
        }
        if self.plain_mlp {
            c.gaussian_skip = false;
            c.prediction = Prediction::Noise;
        }
        if self.gaussian_skip {
            c.gaussian_skip = true;
            c.prediction = Prediction::Noise;
        }
        c
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let root = workspace();
    let cache = args.cache.clone().unwrap_or_else(|| root.join("out/cache/ddpm_baseline.bin"));
    let out = args.out.clone().unwrap_or_else(|| root.join("out/ddpm_baseline"));
    let config = args.config();
    let Scoring { mnist, evaluator, classifier_status, .. } = args.scoring.load(|_| {})?;
    eprintln!("FID classifier: {classifier_status:?}");

    eprintln!(
        "DDPM baseline: MLP {:?}, {} epochs, batches of {}, seed {}",
        config.layer_sizes(IMAGE_PIXELS),
        config.train.epochs,
        config.train.batch_size,
        config.train.seed
    );
    let start = Instant::now();
    // Fitted on the training digits minus the validation split, as in mnist_diffusion (which
    // shares this cache).
    let splits = mnist.split_validation(VALIDATION_SIZE)?;
    let (model, status) = Ddpm::load_or_train(&cache, &splits.train, &config, |r| {
        eprintln!(
            "  epoch {:>3}: loss {:.5}, lr {:.2e}, {:.1} s",
            r.epoch, r.loss, r.learning_rate, r.seconds
        );
    })?;
    let train_seconds = start.elapsed().as_secs_f64();
    let (trained, cache_note) = match &status {
        CacheStatus::Loaded => (false, format!("loaded from {}", cache.display())),
        CacheStatus::Trained { reason } => (true, format!("trained ({reason})")),
    };
    eprintln!("model {cache_note} in {train_seconds:.1} s");

    let clip_denoised = !args.no_clip;
    let variance = match args.variance {
        VarianceArg::Posterior => AncestralVariance::Posterior,
        VarianceArg::Beta => AncestralVariance::Beta,
    };
    let mut samplers = Vec::new();
    if !args.skip_ancestral {
        samplers.push((
            format!("ddpm{}", config.steps),
            Sampler::Ancestral { variance, clip_denoised },
        ));
    }
    samplers.push((
        format!("ddim{}", args.ddim_steps),
        Sampler::Ddim { steps: args.ddim_steps, clip_denoised },
    ));

    let mut results = serde_json::Map::new();
    for (k, (name, sampler)) in samplers.iter().enumerate() {
        // One stream per sampler, so skipping one does not change the other's samples.
        let member = k as u64 + u64::from(args.skip_ancestral);
        let mut rng = qrandom::streams::PIXEL_DDPM_SAMPLING.rng(args.seed, member);
        eprintln!("sampling {} images with {name}...", args.samples);
        let start = Instant::now();
        let images = model.sample(args.samples, *sampler, &mut rng)?;
        let seconds = start.elapsed().as_secs_f64();
        let score = evaluator.score(&images)?;
        write_outputs(&out, name, &images, &evaluator)?;
        eprintln!("  {name}: FID {:.3} in {seconds:.1} s", score.fid);
        results.insert(
            name.clone(),
            json!({
                "sampler": sampler,
                "fid": score.fid,
                "mean_confidence": score.mean_confidence,
                "class_histogram": score.class_histogram,
                "n": score.n,
                "seconds": seconds,
                "seed": args.seed,
            }),
        );
    }
    let summary = json!({
        "fid_features": "FID on our classifier features (not Inception-FID), against the 2,000 held-out images",
        "model": {
            "config": config,
            "parameters": model.network().num_parameters(),
            "trained": trained,
            "train_seconds": train_seconds,
            "cache": cache.display().to_string(),
        },
        "samplers": results,
    });
    let text = serde_json::to_string_pretty(&summary)
        .map_err(|e| qdecoder::Error::Encode { what: "summary", reason: e.to_string() })?;
    qfile::write_atomic(&out.join("summary.json"), text.as_bytes())?;
    println!("{text}");
    eprintln!("outputs in {}", out.display());
    Ok(())
}

/// Writes `images` as `samples_<name>.idx` (all) and `samples_<name>.png` (the first 100, each
/// labelled with the classifier's digit).
fn write_outputs(
    out: &std::path::Path,
    name: &str,
    images: &DMatrix<f32>,
    evaluator: &Evaluator,
) -> Result<()> {
    let set = ImageSet::from_matrix(images)?;
    set.write_idx(out.join(format!("samples_{name}.idx")))?;
    let shown = images.ncols().min(100);
    let first = images.columns(0, shown).into_owned();
    let labels = evaluator.classifier().predict(&first)?;
    let grid = ImageSet::from_matrix(&first)?;
    write_png_grid(
        out.join(format!("samples_{name}.png")),
        &grid,
        Some(&labels),
        &GridConfig::default(),
    )?;
    Ok(())
}
