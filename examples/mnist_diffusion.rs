//! The headline experiment: quantum diffusion on MNIST beside classical DDPMs (on pixels, and in
//! the quantum model's own latent space with the same decoder).
//!
//! ```sh
//! cargo run --release --example mnist_diffusion                 # the full run (< 30 min)
//! cargo run --release --example mnist_diffusion -- --quick      # every stage, small (~1 min)
//! cargo run --release --example mnist_diffusion -- --resume     # continue an interrupted run
//! cargo run --release --example mnist_diffusion -- --split validation --out out/variants/NAME
//! # Data-parallel quantum training and sampling over 4 MPI ranks (results identical to one
//! # process); rank 0 does the rest and writes every file:
//! cargo build --release --features mpi --example mnist_diffusion
//! mpirun -np 4 target/release/examples/mnist_diffusion --quick
//! ```
//!
//! Trains what it needs on the 7,000 training digits left after holding out the 1,000 validation
//! digits (or loads what it trained before: the classical models are cached in `out/cache/`, the
//! quantum model is checkpointed in the output folder), draws the same number of samples from
//! every model, scores them with FID on our classifier features (not Inception-FID) against the
//! 2,000 test digits (or, with `--split validation`, the 1,000 validation digits: for every
//! choice), prints the results table and writes `out/mnist_diffusion/`:
//! `samples_NAME.idx` (every sample) and `samples_NAME.png` (the first 100, labelled with the
//! classifier's digit) for NAME in quantum, ablation, ddpm1000, ddim50, latent_ddpm1000,
//! latent_ddim50, latent_matched_ddpm1000, latent_matched_ddim50 (named by the samplers' step
//! counts), and `metrics.json` (every row, the configuration, the training losses).

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use qansatz_mps::ansatz::{AncillaCoupling, Entangler};
use qansatz_mps::embedding::Conditioning;
use qcomm::Collective;
use qdecoder::dataset::VALIDATION_SIZE;
#[cfg(feature = "mpi")]
use qdiff_examples::error_line::one_line;
use qdiff_examples::error_line::run_main;
use qdiff_examples::mnist::config::{Encoding, EvalSplit, ExperimentConfig, ShotSampling};
use qdiff_examples::mnist::event::Event;
use qdiff_examples::mnist::run::{self, Paths, RunOptions};
use qdiff_examples::progress::EventProgress;
use qdiff_examples::{lock_output_folder, single_threaded_candle, workspace};
use qdiffusion::distance::{Distance, MarginalMmd, MmdKernel};
use qdiffusion::train::{Loss, Terms};

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
    /// The training objective of the quantum model: weighted distances between ensembles of
    /// states (`--end-weight`, `--levels-weight`, `--teacher-weight`, `--sequential-weight`),
    /// or the per-sample denoising fidelity of one step on forward pairs.
    #[arg(long, value_enum, default_value_t = LossArg::Ensembles)]
    loss: LossArg,
    /// The distance between ensembles: MMD with a Gaussian mixture kernel (scales 1, 2, 4, 8;
    /// 0.01 to 0.08 for the amplitude encoding), MMD with the distance kernel (the energy
    /// distance), or the sliced 2-Wasserstein distance (`--projections` directions).
    #[arg(long, value_enum, default_value_t = DistanceArg::Gaussian)]
    distance: DistanceArg,
    /// Random directions of the sliced Wasserstein distance, per evaluation.
    #[arg(long, default_value_t = 64)]
    projections: usize,
    /// Weight of the end-of-chain term: the chain's final states against the data [default: 1].
    #[arg(long)]
    end_weight: Option<f64>,
    /// Weight of the level terms: the chain's states after every step `t` against the forward
    /// process at `t - 1`, averaged over the levels, gradients through the chain [default: 0].
    #[arg(long)]
    levels_weight: Option<f64>,
    /// Weight of the teacher-forcing term: one random step on forward samples at `t` against
    /// forward samples at `t - 1` [default: 0].
    #[arg(long)]
    teacher_weight: Option<f64>,
    /// Weight of the sequential term (QuDDPM's): one random step on the chain's own states at
    /// `t` against forward samples at `t - 1`, the chain before it held fixed [default: 0].
    #[arg(long)]
    sequential_weight: Option<f64>,
    /// Encoded images (or forward samples) each generated ensemble is compared with, per term
    /// and iteration [default: 256].
    #[arg(long)]
    data_batch: Option<usize>,
    /// Adam step size at the first iteration [default: 0.01].
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Adam step size at the last iteration, reached along a half cosine [default: 0.001].
    #[arg(long)]
    final_learning_rate: Option<f64>,
    /// Add a per-qubit MMD term with this weight to every ensemble term (Gaussian scales 0.25, 0.5
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
    /// Seeds sampled with shots (`--quick` samples 16 seeds with 32 shots, latent encoding only).
    #[arg(long, default_value_t = 20)]
    shot_samples: usize,
    /// Skip the classical DDPM baselines, pixel and latent (quantum variants only; no DDPM rows
    /// or files).
    #[arg(long)]
    no_baseline: bool,
    /// Score the quantum model every N training iterations (FID against the run's split, the
    /// run's sampling seeds), for the curve in metrics.json.
    #[arg(long)]
    curve_every: Option<usize>,
    /// DDIM steps of the classical DDPMs [default: 50].
    #[arg(long)]
    ddim_steps: Option<usize>,
    /// Ancestral steps of the classical DDPMs, respacing their 1,000-step schedule
    /// [default: all 1,000].
    #[arg(long)]
    ancestral_steps: Option<usize>,
    /// Skip the pixel DDPM only (the latent baselines still run).
    #[arg(long)]
    no_pixel_baseline: bool,
    /// Hidden layers of the parameter-matched latent DDPM (their common width is set to match
    /// the quantum model's parameter count) [default: 2].
    #[arg(long)]
    matched_layers: Option<usize>,
    /// Timestep features of the parameter-matched latent DDPM [default: 8].
    #[arg(long)]
    matched_time_features: Option<usize>,
    /// Training epochs of the parameter-matched latent DDPM [default: 400].
    #[arg(long)]
    matched_epochs: Option<usize>,
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
    /// Weighted distances between ensembles of states.
    Ensembles,
    /// Denoising fidelity of one step on forward pairs.
    DenoisingFidelity,
}

/// The command-line spelling of [`Distance`].
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum DistanceArg {
    /// MMD with a mixture of Gaussian kernels.
    Gaussian,
    /// MMD with the distance kernel: the energy distance.
    Energy,
    /// The sliced 2-Wasserstein distance.
    Sliced,
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
        let distance = match (self.distance, q.encoding) {
            (DistanceArg::Energy, _) => Distance::Mmd { kernel: MmdKernel::Energy },
            (DistanceArg::Sliced, _) => {
                Distance::SlicedWasserstein { projections: self.projections }
            }
            // Born probabilities of 1,024 outcomes are about 1e-3 each: kernel scales to match.
            (DistanceArg::Gaussian, Encoding::Amplitude) => Distance::Mmd {
                kernel: MmdKernel::Gaussian { scales: vec![0.01, 0.02, 0.04, 0.08] },
            },
            (DistanceArg::Gaussian, Encoding::Latent) => {
                Distance::Mmd { kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0, 4.0, 8.0] } }
            }
        };
        let defaults = match &q.train.loss {
            Loss::Ensembles { terms, .. } => *terms,
            Loss::DenoisingFidelity => Terms::END,
        };
        let terms = Terms {
            end: self.end_weight.unwrap_or(defaults.end),
            levels: self.levels_weight.unwrap_or(defaults.levels),
            teacher: self.teacher_weight.unwrap_or(defaults.teacher),
            sequential: self.sequential_weight.unwrap_or(defaults.sequential),
        };
        q.train.loss = match self.loss {
            LossArg::Ensembles => Loss::Ensembles { distance, terms },
            LossArg::DenoisingFidelity => Loss::DenoisingFidelity,
        };
        q.train.data_batch = self.data_batch.unwrap_or(q.train.data_batch);
        q.train.learning_rate = self.learning_rate.unwrap_or(q.train.learning_rate);
        q.train.final_learning_rate =
            self.final_learning_rate.unwrap_or(q.train.final_learning_rate);
        let m = &mut q.model;
        m.steps = self.steps.unwrap_or(m.steps);
        m.qubits = self.qubits.unwrap_or(m.qubits);
        c.autoencoder.num_qubits = m.qubits;
        m.ancillas = self.ancillas.unwrap_or(m.ancillas);
        m.layers = self.layers.unwrap_or(m.layers);
        q.train.iterations = self.iterations.unwrap_or(q.train.iterations);
        q.train.batch = self.batch.unwrap_or(q.train.batch);
        if let Some(weight) = self.marginal_weight {
            q.train.marginal = Some(MarginalMmd {
                kernel: MmdKernel::Gaussian { scales: vec![0.25, 0.5, 1.0] },
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
        c.pixel_baseline = !self.no_pixel_baseline;
        c.ddim_steps = self.ddim_steps.unwrap_or(c.ddim_steps);
        c.curve_every = self.curve_every.or(c.curve_every);
        c.ancestral_steps = self.ancestral_steps.or(c.ancestral_steps);
        if let Some(matched) = &mut c.latent_matched_ddpm {
            if let Some(layers) = self.matched_layers {
                matched.hidden = vec![1; layers];
            }
            matched.time_embedding_dim =
                self.matched_time_features.unwrap_or(matched.time_embedding_dim);
            matched.train.epochs = self.matched_epochs.unwrap_or(matched.train.epochs);
        }
        if let Some(shots) = self.shots {
            c.shots = Some(ShotSampling { shots, samples: self.shot_samples });
        } else if c.quantum.encoding != Encoding::Latent {
            // `--quick` samples with shots by default, which reads Bloch vectors: the amplitude
            // encoding leaves it out unless `--shots` asks for it (and is then refused).
            c.shots = None;
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

fn main() -> ExitCode {
    single_threaded_candle();
    let args = Args::parse();
    run_main(|| experiment_on_ranks(&args))
}

/// Runs the experiment as one rank of the MPI job; a rank that fails ends them all.
#[cfg(feature = "mpi")]
fn experiment_on_ranks(args: &Args) -> Result<(), Box<dyn Error>> {
    let comm = qcomm::Mpi::init()?;
    if let Err(e) = experiment(&comm, args) {
        if comm.size() == 1 {
            return Err(e);
        }
        // The other ranks may be waiting for this one in a collective: end them all.
        eprintln!("error: rank {} of {}: {}", comm.rank(), comm.size(), one_line(&*e));
        comm.abort(1);
    }
    Ok(())
}

/// Runs the experiment in this process.
#[cfg(not(feature = "mpi"))]
fn experiment_on_ranks(args: &Args) -> Result<(), Box<dyn Error>> {
    experiment(&qcomm::SingleProcess, args)
}

/// Runs the experiment as one rank of `comm`; rank 0 holds the output folder's lock, shows
/// progress and prints the results.
fn experiment(comm: &dyn Collective, args: &Args) -> Result<(), Box<dyn Error>> {
    let root = workspace();
    let config = args.config();
    let default_out = if args.quick { "out/mnist_diffusion_quick" } else { "out/mnist_diffusion" };
    let paths = Paths {
        data: args.data.clone().unwrap_or_else(|| root.join("data/mnist")),
        cache: args.cache.clone().unwrap_or_else(|| root.join("out/cache")),
        out: args.out.clone().unwrap_or_else(|| root.join(default_out)),
    };
    // One run per output folder (only rank 0 writes there); released when this returns.
    let _lock = if comm.is_root() { Some(lock_output_folder(&paths.out)?) } else { None };
    let progress = if comm.is_root() { EventProgress::for_stderr() } else { EventProgress::Hidden };
    let mut on_event = |event: Event<'_>| progress.on_event(event);
    let options = RunOptions { resume: args.resume };
    let Some(metrics) = run::run_on(comm, &config, &paths, options, &mut on_event)? else {
        // Not the root: its share of the quantum model is done; rank 0 reports.
        return Ok(());
    };
    progress.finish();
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
