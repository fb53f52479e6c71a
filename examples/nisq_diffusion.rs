//! The MNIST diffusion model on a calibrated noisy device: trained exactly and through the
//! device's noise, deployed on the device (shots per basis, mid-circuit ancilla resets, readout
//! mitigation), decoded and scored.
//!
//! ```sh
//! cargo run --release --example nisq_diffusion                      # IBM Kolkata snapshot
//! cargo run --release --example nisq_diffusion -- --quick           # every stage, small
//! cargo run --release --example nisq_diffusion -- --error-scale 0.3 --out out/nisq/scale0.3
//! cargo run --release --example nisq_diffusion -- --device crates/qhw-mitigation/calibration/ibm_washington_127q.json
//! ```
//!
//! Writes `out/nisq_diffusion/`: `samples_NAME.idx` (every sample, 28x28 IDX) and
//! `samples_NAME.png` (the first 100, labelled with the classifier's digit) for NAME in
//! `exact`, `device_noise_unaware`, `device_noise_aware` and their `_no_rem` variants, and
//! `metrics.json` (every row, the targets' keys, the noise floor, the forward process against
//! its design, device costs, training losses, the configuration). See
//! `qdiff_examples::nisq` for what each row is.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use qdiff_examples::error_line::run_main;
use qdiff_examples::mnist::config::EvalSplit;
use qdiff_examples::mnist::event::Event;
use qdiff_examples::mnist::run::Paths;
use qdiff_examples::nisq::config::NisqConfig;
use qdiff_examples::nisq::run;
use qdiff_examples::progress::EventProgress;
use qdiff_examples::workspace;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The MNIST diffusion model trained and sampled through a calibrated noisy device.
#[derive(Parser, Debug)]
#[command(about, long_about)]
struct Args {
    /// Device calibration file [default: the IBM Kolkata snapshot].
    #[arg(long)]
    device: Option<PathBuf>,
    /// Multiply every error rate of the device by this (0.1 to 3 for sweeps).
    #[arg(long, default_value_t = 1.0)]
    error_scale: f64,
    /// Every stage, small (well under a minute): a smoke test, not a result.
    #[arg(long)]
    quick: bool,
    /// Digits to score against: `test` (the reported figures) or `validation` (for choices).
    #[arg(long, value_enum)]
    split: Option<SplitArg>,
    /// Samples per row [default: 500].
    #[arg(long)]
    samples: Option<usize>,
    /// Shots per sample and basis [default: 1024].
    #[arg(long)]
    shots: Option<u64>,
    /// Training iterations of both models [default: 60].
    #[arg(long)]
    iterations: Option<usize>,
    /// Skip training from counts (its stage takes a few minutes; error-scale sweeps skip it).
    #[arg(long)]
    no_shot_training: bool,
    /// Iterations of training from counts [default: 30].
    #[arg(long)]
    shot_iterations: Option<usize>,
    /// Weight of the level term of the extra models trained from counts with it (0: no such
    /// models) [default: 0.25].
    #[arg(long)]
    shot_levels: Option<f64>,
    /// Output folder [default: <workspace>/out/nisq_diffusion].
    #[arg(long)]
    out: Option<PathBuf>,
    /// MNIST folder [default: <workspace>/data/mnist].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Cache of the classical models [default: <workspace>/out/cache].
    #[arg(long)]
    cache: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum SplitArg {
    Test,
    Validation,
}

impl Args {
    fn config(&self) -> NisqConfig {
        let mut c = if self.quick { NisqConfig::quick() } else { NisqConfig::default() };
        let root = workspace();
        c.device = root.join(self.device.clone().unwrap_or(c.device));
        c.error_scale = self.error_scale;
        if let Some(s) = self.split {
            c.split = match s {
                SplitArg::Test => EvalSplit::Test,
                SplitArg::Validation => EvalSplit::Validation,
            };
        }
        if let Some(n) = self.samples {
            c.samples = n;
        }
        if let Some(s) = self.shots {
            c.shots = s;
        }
        if let Some(i) = self.iterations {
            c.train.iterations = i;
        }
        if let Some(shot) = &mut c.shot_training {
            if let Some(i) = self.shot_iterations {
                shot.train.iterations = i;
            }
            if let Some(w) = self.shot_levels {
                shot.level_weight = w;
            }
        }
        if self.no_shot_training {
            c.shot_training = None;
        }
        c
    }
}

fn main() -> ExitCode {
    run_main(experiment)
}

/// Runs the experiment, showing its progress, and prints the table.
fn experiment() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let config = args.config();
    let root = workspace();
    let default_out = if args.quick { "out/nisq_diffusion_quick" } else { "out/nisq_diffusion" };
    let paths = Paths {
        data: args.data.clone().unwrap_or_else(|| root.join("data/mnist")),
        cache: args.cache.clone().unwrap_or_else(|| root.join("out/cache")),
        out: args.out.clone().unwrap_or_else(|| root.join(default_out)),
    };
    let progress = EventProgress::for_stderr();
    let mut on_event = |event: Event<'_>| progress.on_event(event);
    let metrics = run::run(&config, &paths, &mut on_event)?;
    progress.finish();
    let text = serde_json::to_string_pretty(&metrics)?;
    qfile::write_atomic(&paths.out.join("metrics.json"), text.as_bytes())?;
    print!("{}", metrics.table());
    println!("total {:.0} s; outputs in {}", metrics.seconds, paths.out.display());
    Ok(())
}
