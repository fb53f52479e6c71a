//! The pixel DDPM baseline of the MNIST experiment: a DDPM whose noise predictor is a small
//! convolutional U-Net (crate `qddpm-unet`), sampled with 1,000 ancestral steps and with 50 DDIM
//! steps, scored by FID on our classifier features.
//!
//! ```sh
//! cargo run --release --example ddpm_baseline
//! cargo run --release --example ddpm_baseline -- --split validation --epochs 20  # for choices
//! ```
//!
//! Trains the model on the 7,000 training digits (or loads it from
//! `out/cache/ddpm_unet.bin` if it was trained there with the same configuration and data; the
//! MNIST experiment shares this cache), draws 2,000 samples with each sampler, writes them as IDX
//! files and PNG grids (the first 100, labelled with the classifier's digit) to
//! `out/ddpm_baseline/`, and prints a JSON summary: FID against the held-out digits (test, or
//! validation with `--split validation`), mean classifier confidence, class histogram, seconds
//! for training and for each sampler, parameters, seeds.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use nalgebra::DMatrix;
use qddpm_unet::config::UnetDdpmConfig;
use qddpm_unet::model::UnetDdpm;
use qdecoder::checkpoint::CacheStatus;
use qdecoder::dataset::{ImageSet, VALIDATION_SIZE};
use qdecoder::image::{GridConfig, write_png_grid};
use qdecoder::score::Evaluator;
use qdiff_examples::error_line::run_main;
use qdiff_examples::progress::PlainProgress;
use qdiff_examples::scoring::{Scoring, ScoringArgs};
use qdiff_examples::{single_threaded_candle, workspace};
use qdiffusion::baseline::sample::{AncestralVariance, Sampler};
use serde_json::json;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Train (or load) the U-Net DDPM baseline, sample with DDPM-1000 and DDIM-50, and score the
/// samples (FID on our classifier features, not Inception-FID).
#[derive(Parser, Debug)]
#[command(about, long_about)]
struct Args {
    #[command(flatten)]
    scoring: ScoringArgs,
    /// Model cache, reused when the configuration and data match
    /// [default: <workspace>/out/cache/ddpm_unet.bin for the default configuration,
    /// ddpm_unet_custom.bin otherwise].
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Output directory for the IDX files, PNG grids and summary
    /// [default: <workspace>/out/ddpm_baseline].
    #[arg(long)]
    out: Option<PathBuf>,
    /// The digits the samples are scored against: `validation` (the 1,000 held out of the
    /// training split, for every choice) or `test` (the 2,000 test digits, to report).
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    split: SplitArg,
    /// Seed of the sampling noise (the training seed is `--train-seed`).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Samples per sampler [default: as many as the scoring split has digits].
    #[arg(long)]
    samples: Option<usize>,
    /// DDIM steps.
    #[arg(long, default_value_t = 50)]
    ddim_steps: usize,
    /// Skip the 1,000-step ancestral sampler (quick experiments: DDIM only).
    #[arg(long)]
    skip_ancestral: bool,
    /// Variance of the ancestral sampler's noise.
    #[arg(long, value_enum, default_value_t = VarianceArg::Posterior)]
    variance: VarianceArg,
    /// Clip the denoised estimate to [-1, 1] during sampling.
    #[arg(long)]
    clip: bool,
    /// Training epochs [default: UnetDdpmConfig::default()].
    #[arg(long)]
    epochs: Option<usize>,
    /// Channels of each level, finest first, comma separated [default: UnetDdpmConfig::default()].
    #[arg(long, value_delimiter = ',')]
    channels: Option<Vec<usize>>,
    /// Residual blocks per level [default: UnetDdpmConfig::default()].
    #[arg(long)]
    blocks: Option<usize>,
    /// Pixels per side folded into channels at the input [default: UnetDdpmConfig::default()].
    #[arg(long)]
    patch: Option<usize>,
    /// Groups of the group normalisations [default: UnetDdpmConfig::default()].
    #[arg(long)]
    groups: Option<usize>,
    /// Mini-batch size [default: UnetDdpmConfig::default()].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Peak learning rate [default: UnetDdpmConfig::default()].
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Decay of the weights' moving average [default: UnetDdpmConfig::default()].
    #[arg(long)]
    ema_decay: Option<f64>,
    /// Training seed [default: UnetDdpmConfig::default()].
    #[arg(long)]
    train_seed: Option<u64>,
}

/// The command-line spelling of the scoring split.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SplitArg {
    /// The 1,000 validation digits.
    Validation,
    /// The 2,000 test digits.
    Test,
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
    fn config(&self) -> UnetDdpmConfig {
        let mut c = UnetDdpmConfig::default();
        let (net, train) = (&mut c.network, &mut c.train);
        if let Some(v) = self.epochs {
            train.epochs = v;
        }
        if let Some(v) = &self.channels {
            net.channels = v.clone();
        }
        if let Some(v) = self.blocks {
            net.blocks = v;
        }
        if let Some(v) = self.patch {
            net.patch = v;
        }
        if let Some(v) = self.groups {
            net.groups = v;
        }
        if let Some(v) = self.batch_size {
            train.batch_size = v;
        }
        if let Some(v) = self.learning_rate {
            train.learning_rate = v;
        }
        if let Some(v) = self.ema_decay {
            train.ema_decay = v;
        }
        if let Some(v) = self.train_seed {
            train.seed = v;
        }
        c
    }
}

fn main() -> ExitCode {
    single_threaded_candle();
    run_main(baseline)
}

/// Trains or loads the model, samples with each sampler, scores, writes and prints the summary;
/// progress goes to stderr as plain lines (at least every 10 s while a stage runs).
fn baseline() -> qddpm_unet::Result<()> {
    let args = Args::parse();
    let progress = PlainProgress::new();
    let root = workspace();
    let config = args.config();
    let cache = args.cache.clone().unwrap_or_else(|| {
        let name = if config == UnetDdpmConfig::default() {
            "ddpm_unet.bin"
        } else {
            "ddpm_unet_custom.bin"
        };
        root.join("out/cache").join(name)
    });
    let out = args.out.clone().unwrap_or_else(|| root.join("out/ddpm_baseline"));
    progress.stage("FID classifier");
    let Scoring { mnist, evaluator, classifier_status, .. } = args.scoring.load(|_| {})?;
    progress.note(&format!("FID classifier: {classifier_status:?}"));
    // Fitted on the training digits minus the validation split, as in mnist_diffusion (which
    // shares this cache); scored against the split asked for.
    let splits = mnist.split_validation(VALIDATION_SIZE)?;
    let (evaluator, reference) = match args.split {
        SplitArg::Test => (evaluator, "the 2,000 test digits"),
        SplitArg::Validation => (
            Evaluator::new(
                evaluator.classifier().clone(),
                &splits.validation.images().to_matrix(),
            )?,
            "the 1,000 validation digits",
        ),
    };
    let samples = args.samples.unwrap_or(match args.split {
        SplitArg::Test => splits.test.len(),
        SplitArg::Validation => splits.validation.len(),
    });

    progress.stage("U-Net DDPM training");
    progress.note(&format!(
        "U-Net {:?} ({:.1} MFLOP per image), {} epochs, batches of {}, seed {}",
        config.network,
        config.network.flops_per_image() as f64 / 1e6,
        config.train.epochs,
        config.train.batch_size,
        config.train.seed
    ));
    let start = Instant::now();
    let epochs = config.train.epochs;
    let (model, status) = UnetDdpm::load_or_train(&cache, &splits.train, &config, |r| {
        let detail = format!("loss {:.5}, lr {:.2e}, {:.1} s", r.loss, r.learning_rate, r.seconds);
        progress.advance("epoch", r.epoch, epochs, detail);
    })?;
    let train_seconds = start.elapsed().as_secs_f64();
    let (trained, cache_note) = match &status {
        CacheStatus::Loaded => (false, format!("loaded from {}", cache.display())),
        CacheStatus::Trained { reason } => (true, format!("trained ({reason})")),
    };
    progress.note(&format!(
        "model {cache_note} in {train_seconds:.1} s, {} parameters",
        model.num_parameters()
    ));
    // The training objective on the validation digits (never trained on): generalisation.
    let mut loss_rng = qrandom::streams::PIXEL_DDPM_SAMPLING.rng(args.seed, 2);
    let validation_loss =
        model.denoising_loss(&splits.validation.images().to_matrix(), &mut loss_rng)?;
    progress.note(&format!("denoising loss on the validation digits: {validation_loss:.5}"));

    let clip_denoised = args.clip;
    let variance = match args.variance {
        VarianceArg::Posterior => AncestralVariance::Posterior,
        VarianceArg::Beta => AncestralVariance::Beta,
    };
    let mut samplers = Vec::new();
    if !args.skip_ancestral {
        samplers.push((
            0,
            format!("ddpm{}", config.steps),
            Sampler::Ancestral { variance, clip_denoised },
        ));
    }
    samplers.push((
        1,
        format!("ddim{}", args.ddim_steps),
        Sampler::Ddim { steps: args.ddim_steps, clip_denoised },
    ));

    let mut results = serde_json::Map::new();
    for (member, name, sampler) in &samplers {
        // One stream per sampler, so skipping one does not change the other's samples.
        let mut rng = qrandom::streams::PIXEL_DDPM_SAMPLING.rng(args.seed, *member);
        progress.stage(&format!("sampling {samples} images with {name}"));
        let start = Instant::now();
        let images = model.sample(samples, *sampler, &mut rng)?;
        let seconds = start.elapsed().as_secs_f64();
        let score = evaluator.score(&images)?;
        write_outputs(&out, name, &images, &evaluator)?;
        progress.note(&format!("{name}: FID {:.3} in {seconds:.1} s", score.fid));
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
    progress.finish();
    let summary = json!({
        "fid_features": format!("FID on our classifier features (not Inception-FID), against {reference}"),
        "model": {
            "config": config,
            "parameters": model.num_parameters(),
            "flops_per_image": config.network.flops_per_image(),
            "trained": trained,
            "train_seconds": train_seconds,
            "validation_denoising_loss": validation_loss,
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
) -> qddpm_unet::Result<()> {
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
