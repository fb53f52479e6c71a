//! The headline experiment: quantum diffusion on MNIST beside classical DDPMs (on pixels, and in
//! the quantum model's own latent space with the same decoder).
//!
//! ```sh
//! cargo run --release --example mnist_diffusion                 # the full run (< 30 min)
//! cargo run --release --example mnist_diffusion -- --quick      # every stage, small (~1 min)
//! cargo run --release --example mnist_diffusion -- --resume     # continue an interrupted run
//! cargo run --release --example mnist_diffusion -- --split validation --out out/variants/NAME
//! ```
//!
//! Trains what it needs on the 7,000 training digits left after holding out the 1,000 validation
//! digits (or loads what it trained before: the classical models are cached in `out/cache/`, the
//! quantum model is checkpointed in the output folder), draws the same number of samples from
//! every model, scores them with FID on our classifier features (not Inception-FID) against the
//! 2,000 test digits (or, with `--split validation`, the 1,000 validation digits: for every
//! choice), prints the results table and writes `out/mnist_diffusion/`:
//! `samples_quantum.png`, `samples_classical.png`, `samples_latent_ddim50.png`,
//! `samples_{quantum,ablation,ddpm1000,ddim50,latent_ddpm1000,latent_ddim50}.idx` and
//! `metrics.json`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use qansatz_mps::ansatz::{AncillaCoupling, Entangler};
use qansatz_mps::embedding::Conditioning;
use qdecoder::dataset::VALIDATION_SIZE;
use qdiff_examples::mnist::config::{Encoding, EvalSplit, ExperimentConfig, ShotSampling};
use qdiff_examples::mnist::event::Event;
use qdiff_examples::mnist::run::{self, Paths, RunOptions};
use qdiff_examples::{single_threaded_candle, workspace};
use qdiffusion::features::MmdKernel;
use qdiffusion::train::Loss;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Quantum diffusion on MNIST (10 qubits, 50 steps) beside classical DDPMs on pixels and on the
/// quantum model's latent features, scored by FID on our classifier features.
#[derive(Parser, Debug)]
#[command(about, long_about)]
struct Args {
    /// Run every stage small (about a minute): a smoke test, not a result.
    #[arg(long)]
    quick: bool,
    /// Continue the quantum training from its checkpoint in the output folder.
    #[arg(long)]
    resume: bool,
    /// Diffusion steps T of the quantum model [default: 50].
    #[arg(long)]
    steps: Option<usize>,
    /// System qubits [default: 10].
    #[arg(long)]
    qubits: Option<usize>,
    /// Ancillas, reset after every step [default: 2].
    #[arg(long)]
    ancillas: Option<usize>,
    /// Ansatz layers per step [default: 1].
    #[arg(long)]
    layers: Option<usize>,
    /// Training iterations of the quantum model [default: 100].
    #[arg(long)]
    iterations: Option<usize>,
    /// The training objective of the quantum model: the MMD between whole-chain outputs and
    /// data (ignores the forward process), the per-step MMD between `R_t` of forward samples at
    /// `t` and forward samples at `t - 1` (teacher forcing), or the per-sample denoising
    /// fidelity of one step.
    #[arg(long, value_enum, default_value_t = LossArg::ChainMmd)]
    loss: LossArg,
    /// The MMD kernel of the MMD losses: the Gaussian mixture (scales 1, 2, 4, 8; 0.01 to 0.08
    /// for the amplitude encoding) or the distance kernel (the energy distance).
    #[arg(long, value_enum, default_value_t = KernelArg::Gaussian)]
    kernel: KernelArg,
    /// Add a per-qubit MMD term with this weight to the chain MMD (Gaussian scales 0.25, 0.5
    /// and 1 on each qubit's Bloch vectors).
    #[arg(long)]
    marginal_weight: Option<f64>,
    /// Chain trajectories per training iteration [default: 32]; the cost of training grows
    /// linearly with it.
    #[arg(long)]
    batch: Option<usize>,
    /// Sample with an exponential moving average of the parameters with this decay (0.9
    /// averages about the last 10 iterations) instead of the last iterate.
    #[arg(long)]
    ema: Option<f64>,
    /// How the ancillas couple to the system qubits.
    #[arg(long, value_enum, default_value_t = CouplingArg::Spread)]
    coupling: CouplingArg,
    /// Entangling layer between neighbouring qubits.
    #[arg(long, value_enum, default_value_t = EntanglerArg::Xy)]
    entangler: EntanglerArg,
    /// Also sample the first `--shot-samples` seeds with this many shots per basis through an
    /// ideal-sampler backend with readout mitigation (as on hardware: estimates the channel
    /// average; about 20 ms per shot of a 12-qubit, 50-step chain).
    #[arg(long)]
    shots: Option<u64>,
    /// Seeds sampled with shots (`--quick` always samples 16 seeds with 32 shots).
    #[arg(long, default_value_t = 20)]
    shot_samples: usize,
    /// Skip the classical DDPM baselines, pixel and latent (quantum variants only; no DDPM rows
    /// or files).
    #[arg(long)]
    no_baseline: bool,
    /// Per-step independent angles instead of the sinusoidal time embedding.
    #[arg(long, conflicts_with = "time_features")]
    per_step: bool,
    /// Sinusoidal features of the time embedding [default: 8]; the angles are an affine map of
    /// them, so this sets the conditioning's capacity at no simulation cost.
    #[arg(long)]
    time_features: Option<usize>,
    /// How images become states.
    #[arg(long, value_enum, default_value_t = EncodingArg::Latent)]
    encoding: EncodingArg,
    /// Seed of sampling (the training seed is `--train-seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Seed of the quantum training.
    #[arg(long)]
    train_seed: Option<u64>,
    /// The digits the samples are scored against: `validation` (1,000 training digits held out;
    /// for every choice) or `test` (2,000; to report a chosen configuration once).
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    split: SplitArg,
    /// Samples per model [default: the size of the split, quick: 200].
    #[arg(long)]
    samples: Option<usize>,
    /// MNIST directory [default: <workspace>/data/mnist].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Output directory [default: <workspace>/out/mnist_diffusion, quick: .../mnist_diffusion_quick].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Cache of the classical models [default: <workspace>/out/cache].
    #[arg(long)]
    cache: Option<PathBuf>,
}

/// The command-line spelling of [`Encoding`].
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum EncodingArg {
    /// Learned latent product state, per-qubit Bloch decoder.
    Latent,
    /// Amplitudes of the 32 x 32 padded image.
    Amplitude,
}

/// The command-line spelling of [`Loss`].
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum LossArg {
    /// MMD between the chain's final states and the data.
    ChainMmd,
    /// MMD per step on forward samples (teacher forcing).
    StepMmd,
    /// Denoising fidelity of one step on forward pairs.
    DenoisingFidelity,
}

/// The command-line spelling of [`MmdKernel`].
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum KernelArg {
    /// Mixture of Gaussian kernels.
    Gaussian,
    /// The distance kernel: MMD^2 is the energy distance.
    Energy,
}

/// The command-line spelling of [`EvalSplit`].
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum SplitArg {
    /// The 1,000 validation digits held out of the training split.
    Validation,
    /// The 2,000 test digits.
    Test,
}

/// The command-line spelling of [`AncillaCoupling`].
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum CouplingArg {
    /// XY couplings between every system qubit and an ancilla in every layer.
    Spread,
    /// Ancillas only as the last links of the staircase (they touch the last system qubit).
    Chain,
}

/// The command-line spelling of [`Entangler`].
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum EntanglerArg {
    /// Trainable RXX-RYY staircase (the identity at zero angles).
    Xy,
    /// CNOT staircase.
    Cnot,
}

impl Args {
    fn config(&self) -> ExperimentConfig {
        let mut c =
            if self.quick { ExperimentConfig::quick() } else { ExperimentConfig::default() };
        let q = &mut c.quantum;
        q.encoding = match self.encoding {
            EncodingArg::Latent => Encoding::Latent,
            EncodingArg::Amplitude => Encoding::Amplitude,
        };
        let kernel = match (self.kernel, q.encoding) {
            (KernelArg::Energy, _) => MmdKernel::Energy,
            // Born probabilities of 1,024 outcomes are about 1e-3 each: kernel scales to match.
            (KernelArg::Gaussian, Encoding::Amplitude) => {
                MmdKernel::Gaussian { scales: vec![0.01, 0.02, 0.04, 0.08] }
            }
            (KernelArg::Gaussian, Encoding::Latent) => {
                MmdKernel::Gaussian { scales: vec![1.0, 2.0, 4.0, 8.0] }
            }
        };
        q.train.loss = match self.loss {
            LossArg::ChainMmd => Loss::ChainMmd { kernel },
            LossArg::StepMmd => Loss::StepMmd { kernel },
            LossArg::DenoisingFidelity => Loss::DenoisingFidelity,
        };
        let m = &mut q.model;
        m.steps = self.steps.unwrap_or(m.steps);
        m.qubits = self.qubits.unwrap_or(m.qubits);
        c.autoencoder.num_qubits = m.qubits;
        m.ancillas = self.ancillas.unwrap_or(m.ancillas);
        m.layers = self.layers.unwrap_or(m.layers);
        q.train.iterations = self.iterations.unwrap_or(q.train.iterations);
        q.train.batch = self.batch.unwrap_or(q.train.batch);
        if let Some(weight) = self.marginal_weight {
            q.train.marginal = Some(qdiffusion::features::MarginalMmd {
                kernel: qdiffusion::features::MmdKernel::Gaussian { scales: vec![0.25, 0.5, 1.0] },
                weight,
            });
        }
        q.train.seed = self.train_seed.unwrap_or(q.train.seed);
        q.train.ema = self.ema.or(q.train.ema);
        q.model.ancilla_coupling = match self.coupling {
            CouplingArg::Spread => AncillaCoupling::Spread,
            CouplingArg::Chain => AncillaCoupling::Chain,
        };
        q.model.entangler = match self.entangler {
            EntanglerArg::Xy => Entangler::StaircaseXy,
            EntanglerArg::Cnot => Entangler::Staircase,
        };
        if self.per_step {
            q.model.conditioning = Conditioning::PerStep;
        }
        if let Some(dim) = self.time_features {
            q.model.conditioning = Conditioning::Embedded { dim };
        }
        c.classical_baseline = !self.no_baseline;
        if let Some(shots) = self.shots {
            c.shots = Some(ShotSampling { shots, samples: self.shot_samples });
        }
        c.seed = self.seed.unwrap_or(c.seed);
        c.split = match self.split {
            SplitArg::Validation => EvalSplit::Validation,
            SplitArg::Test => EvalSplit::Test,
        };
        let split_size = match c.split {
            EvalSplit::Validation => VALIDATION_SIZE,
            EvalSplit::Test => c.samples,
        };
        c.samples = self.samples.unwrap_or(if self.quick { c.samples } else { split_size });
        c
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    single_threaded_candle();
    let args = Args::parse();
    let root = workspace();
    let config = args.config();
    let default_out = if args.quick { "out/mnist_diffusion_quick" } else { "out/mnist_diffusion" };
    let paths = Paths {
        data: args.data.clone().unwrap_or_else(|| root.join("data/mnist")),
        cache: args.cache.clone().unwrap_or_else(|| root.join("out/cache")),
        out: args.out.clone().unwrap_or_else(|| root.join(default_out)),
    };
    let bar = ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(200));
    let spinner = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")?;
    let counter = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {prefix} {bar:30} {pos}/{len} {msg} (ETA {eta})",
    )?;
    let mut on_event = |event: Event<'_>| match event {
        Event::Stage(name) => {
            bar.set_style(spinner.clone());
            bar.set_message(name.to_string());
        }
        Event::Note(text) => bar.println(format!("  {text}")),
        Event::Epoch { model, report, epochs } => {
            bar.set_style(counter.clone());
            bar.set_prefix(model.to_string());
            bar.set_length(epochs as u64);
            bar.set_position(report.epoch as u64);
            bar.set_message(format!("loss {:.4}", report.loss));
        }
        Event::Iteration { done, total, loss } => {
            if bar.length() != Some(total as u64) || done <= 1 {
                bar.set_style(counter.clone());
                bar.set_prefix("quantum");
                bar.set_length(total as u64);
                bar.reset_eta();
            }
            bar.set_position(done as u64);
            bar.set_message(format!("MMD {loss:.5}"));
        }
    };
    let metrics = run::run(&config, &paths, RunOptions { resume: args.resume }, &mut on_event)?;
    bar.finish_and_clear();
    println!("{}", metrics.fid_features);
    println!();
    print!("{}", metrics.table());
    println!();
    println!("quantum / ablation FID: {:.3}", metrics.quantum_over_ablation);
    if let Some(ratio) = metrics.quantum_over_ddpm {
        println!("quantum / DDPM-{} FID: {ratio:.3}", config.ddpm.steps);
    }
    if let Some(ratio) = metrics.quantum_over_latent_ddim {
        println!(
            "quantum / latent DDIM-{} FID: {ratio:.3} (same features and decoder)",
            config.ddim_steps
        );
    }
    println!(
        "seeds: sampling {}, quantum training {}; total {:.0} s; outputs in {}",
        config.seed,
        config.quantum.train.seed,
        metrics.total_seconds,
        paths.out.display()
    );
    Ok(())
}
