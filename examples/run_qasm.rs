//! Runs an OpenQASM 2.0 file on the `qsim-core` state-vector simulator and prints the final
//! state, the best wall time, and optionally measurement counts.
//!
//! ```sh
//! cargo run --release --example run_qasm -- testdata/qasm-reference/case1_000.qasm --output json
//! cargo run --release --example run_qasm -- circuit.qasm --shots 1000 --repeat 5 --seed 7
//! cargo run --release --example run_qasm -- testdata/noisy-reference/noisy5_000.qasm \
//!     --density-matrix --noise-p1 0.0817 --noise-gamma 0.0586 --noise-p2 0.1192 --output json
//! cargo run --release --example run_qasm -- --help
//! cargo build --release --features mpi --example run_qasm
//! mpirun -np 4 target/release/examples/run_qasm circuit.qasm --mpi --output json
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use qchannels::noise_model::NoiseModel;
use qdiff_examples::error_line::run_main;
use qsim_core::Complex64;
use qsim_core::circuit::Circuit;
use qsim_core::density::DensityMatrix;
use qsim_core::measure::bitstring;
use qsim_core::qasm;
use qsim_core::state::StateVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde::ser::SerializeSeq;

// `--mpi`: the state distributed over the MPI ranks (feature `mpi`).
#[cfg(feature = "mpi")]
#[path = "run_qasm_mpi.rs"]
mod run_qasm_mpi;

/// How many amplitudes and count entries the text output lists.
const TEXT_ROWS: usize = 32;

const ABOUT: &str = "Run an OpenQASM 2.0 file on the qsim-core state-vector simulator.";

const LONG_ABOUT: &str = "\
Run an OpenQASM 2.0 file on the qsim-core state-vector simulator.

The file is parsed first (not timed), then simulated --repeat times, each time on a freshly
allocated |0...0> state; best_seconds is the best wall time of one simulation (allocating the
state plus running the circuit).

Conventions: bit i of an amplitude's index is qubit i, with several qreg registers concatenated
in declaration order (as in Qiskit). Bitstrings put qubit 0 (or classical bit 0) rightmost, as
Qiskit prints counts.

Circuits without measure or reset: `amplitudes` is the final state, and --shots N draws N
Born-rule samples of all qubits from it (counts are keyed by the bitstring of every qubit).

Circuits with measure or reset: each run draws the mid-circuit outcomes from a random number
generator seeded by --seed, so `amplitudes` is the post-measurement state of that one seeded
run. --shots N runs the whole circuit N times (one generator seeded by --seed, drawn from shot
after shot, so the first shot is the reported run) and counts the final classical register
(all creg registers concatenated, clbit 0 rightmost; bits never measured read 0).

Output: --output text (the default) prints a readable summary. --output json prints exactly one
JSON object: {\"num_qubits\": n, \"amplitudes\": [[re, im], ...], \"best_seconds\": t}, plus
\"counts\": {\"bitstring\": count, ...} with --shots.

Density-matrix mode (--density-matrix): the circuit runs exactly on a density matrix. With the
noise flags, after every 1-qubit gate depolarizing --noise-p1 then amplitude damping
--noise-gamma is applied to its qubit, and after every 2-qubit gate two-qubit depolarizing
--noise-p2 to its qubits (the model of testdata/noisy-reference); all default to 0. Measurement is
non-selective there (the qubit is dephased, no outcome drawn) and reset is the reset channel.
The JSON object then holds \"density_matrix\" as rows of [re, im] pairs (bit i of a row or column
index is qubit i) instead of \"amplitudes\", and --shots samples all qubits from its diagonal.

MPI (--mpi, in a build with --features mpi, under mpirun): the state is split over the ranks
(qsim-mpi); every rank reads the file, rank 0 prints exactly what one process prints (the
amplitudes gathered in the same order) and a line on stderr with the ranks, the swaps, the bytes
exchanged and their lower bound. With --mpi-schedule as-one-process (the default) the output is
byte for byte one process's (the timing excepted); with fewest-exchanges gates run in another
order, fewer bytes move, and numbers agree to about 1e-16. --density-matrix is not distributed.

Errors (an unreadable file, an OpenQASM error with its line and column, a register too large to
simulate) are printed to stderr, and the exit status is 1.";

const EXAMPLES: &str = "\
Examples:
  cargo run --release --example run_qasm -- testdata/qasm-reference/case1_000.qasm --output json
  cargo run --release --example run_qasm -- circuit.qasm --shots 1000 --repeat 5 --seed 7";

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Output {
    /// A readable summary: timing, the largest amplitudes, the most frequent outcomes.
    Text,
    /// One JSON object with every amplitude (and counts with --shots).
    Json,
}

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "run_qasm", about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
struct Args {
    /// The OpenQASM 2.0 file to run.
    file: PathBuf,
    /// Number of shots: Born-rule samples of the final state, or whole reruns of circuits with
    /// measure or reset (see --help).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    shots: Option<u64>,
    /// Number of timed simulations; the best time is reported.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    repeat: u64,
    /// Seed of the random number generator (ChaCha8) used for shots and mid-circuit measurement.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// Simulate a density matrix (exact mixed state) instead of a state vector.
    #[arg(long)]
    density_matrix: bool,
    /// Depolarizing strength after every 1-qubit gate (density-matrix mode).
    #[arg(long, default_value_t = 0.0, requires = "density_matrix")]
    noise_p1: f64,
    /// Amplitude damping after every 1-qubit gate, after the depolarizing (density-matrix mode).
    #[arg(long, default_value_t = 0.0, requires = "density_matrix")]
    noise_gamma: f64,
    /// Two-qubit depolarizing strength after every 2-qubit gate (density-matrix mode).
    #[arg(long, default_value_t = 0.0, requires = "density_matrix")]
    noise_p2: f64,
    /// Distribute the state over the MPI ranks (build with --features mpi, run under mpirun).
    #[arg(long, conflicts_with = "density_matrix")]
    mpi: bool,
    /// How --mpi schedules the circuit: as-one-process gives exactly one process's output;
    /// fewest-exchanges moves less data but agrees only to rounding (see --help).
    #[arg(long, value_enum, default_value_t = MpiSchedule::AsOneProcess, requires = "mpi")]
    mpi_schedule: MpiSchedule,
}

/// `--mpi-schedule` (qsim-mpi's `Schedule`).
#[derive(Clone, Copy, Debug, ValueEnum)]
enum MpiSchedule {
    /// The engine's cache-blocking stages on every slice: the same bits as one process.
    AsOneProcess,
    /// Light cones of local gates, global qubits swapped in only when mixed.
    FewestExchanges,
}

/// The simulated final state.
enum Final {
    Pure(StateVector),
    Mixed(DensityMatrix),
    /// A distributed state in text mode: only what the text lists, gathered without the state.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    Largest(Largest),
}

/// How many amplitudes are non-zero and the largest of them (what the text output lists).
struct Largest {
    nonzero: usize,
    /// `(index, amplitude)`, largest `|a|^2` first, ties by index; at most [`TEXT_ROWS`].
    rows: Vec<(usize, Complex64)>,
}

/// Amplitudes with `|a|^2` above this count as non-zero in the text output.
const NONZERO: f64 = 1e-24;

/// What one invocation found.
struct Outcome {
    circuit: Circuit,
    state: Final,
    best_seconds: f64,
    counts: Option<BTreeMap<String, u64>>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = if args.mpi { run_mpi(&args) } else { run(&args).map(Some) };
    // Under MPI only rank 0 has an outcome to print.
    run_main(|| outcome.and_then(|outcome| outcome.map_or(Ok(()), |o| print(&args, &o))))
}

#[cfg(feature = "mpi")]
fn run_mpi(args: &Args) -> Result<Option<Outcome>, String> {
    run_qasm_mpi::run(args)
}

#[cfg(not(feature = "mpi"))]
fn run_mpi(_: &Args) -> Result<Option<Outcome>, String> {
    Err("--mpi needs a build with MPI: cargo build --release --features mpi --example run_qasm"
        .into())
}

/// The circuit of `args.file`, or an error naming the file.
fn load_circuit(args: &Args) -> Result<Circuit, String> {
    let file = args.file.display();
    let source =
        std::fs::read_to_string(&args.file).map_err(|e| format!("cannot read {file}: {e}"))?;
    qasm::parse(&source).map_err(|e| format!("{file}: {e}"))
}

fn run(args: &Args) -> Result<Outcome, String> {
    let file = args.file.display();
    let circuit = load_circuit(args)?;
    let simulation_error = |e: qsim_core::Error| format!("cannot simulate {file}: {e}");
    let n = circuit.num_qubits();
    if args.density_matrix {
        return run_density_matrix(args, circuit);
    }

    // One timed simulation: a fresh state, and for measured circuits a fresh generator, so that
    // every repeat computes the same state.
    let simulate = || -> Result<(StateVector, f64), String> {
        let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
        let start = Instant::now();
        let mut psi = StateVector::new(n).map_err(simulation_error)?;
        if circuit.is_unitary() {
            psi.apply_circuit(&circuit, &[]).map_err(simulation_error)?;
        } else {
            psi.run(&circuit, &[], &mut rng).map_err(simulation_error)?;
        }
        Ok((psi, start.elapsed().as_secs_f64()))
    };
    let (mut state, mut best_seconds) = simulate()?;
    for _ in 1..args.repeat {
        let (psi, seconds) = simulate()?;
        (state, best_seconds) = (psi, best_seconds.min(seconds));
    }

    let counts = match args.shots {
        None => None,
        Some(shots) => {
            let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
            let mut counts = BTreeMap::new();
            if circuit.is_unitary() {
                let shots = usize::try_from(shots).map_err(|e| e.to_string())?;
                for (index, count) in
                    state.sample_counts(shots, &mut rng).map_err(simulation_error)?
                {
                    counts.insert(bitstring(index, n), count as u64);
                }
            } else {
                for _ in 0..shots {
                    let mut psi = StateVector::new(n).map_err(simulation_error)?;
                    let bits = psi.run(&circuit, &[], &mut rng).map_err(simulation_error)?;
                    *counts.entry(register_bitstring(&bits)).or_insert(0) += 1;
                }
            }
            Some(counts)
        }
    };
    Ok(Outcome { circuit, state: Final::Pure(state), best_seconds, counts })
}

/// Density-matrix mode: the exact noisy run, timed like the state-vector one.
fn run_density_matrix(args: &Args, circuit: Circuit) -> Result<Outcome, String> {
    let file = args.file.display();
    let model =
        NoiseModel::depolarizing_and_damping(args.noise_p1, args.noise_gamma, args.noise_p2)
            .map_err(|e| format!("invalid noise: {e}"))?;
    let n = circuit.num_qubits();
    let simulate = || -> Result<(DensityMatrix, f64), String> {
        let start = Instant::now();
        let mut rho = DensityMatrix::new(n).map_err(|e| format!("cannot simulate {file}: {e}"))?;
        model.run(&circuit, &[], &mut rho).map_err(|e| format!("cannot simulate {file}: {e}"))?;
        Ok((rho, start.elapsed().as_secs_f64()))
    };
    let (mut rho, mut best_seconds) = simulate()?;
    for _ in 1..args.repeat {
        let (next, seconds) = simulate()?;
        (rho, best_seconds) = (next, best_seconds.min(seconds));
    }
    let counts = match args.shots {
        None => None,
        Some(shots) => {
            let shots = usize::try_from(shots).map_err(|e| e.to_string())?;
            let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
            let mut counts = BTreeMap::new();
            for index in rho.sample(shots, &mut rng).map_err(|e| format!("cannot sample: {e}"))? {
                *counts.entry(bitstring(index, n)).or_insert(0) += 1;
            }
            Some(counts)
        }
    };
    Ok(Outcome { circuit, state: Final::Mixed(rho), best_seconds, counts })
}

/// The classical register with clbit 0 rightmost, for any register width (`bitstring` takes a
/// `usize` index, which would limit registers to 64 bits).
fn register_bitstring(bits: &[bool]) -> String {
    bits.iter().rev().map(|&b| if b { '1' } else { '0' }).collect()
}

/// Serialises amplitudes as `[[re, im], ...]` without copying them into a second vector.
struct Amplitudes<'a>(&'a [Complex64]);

impl Serialize for Amplitudes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            seq.serialize_element(&[a.re, a.im])?;
        }
        seq.end()
    }
}

/// Serialises a row-major density matrix as rows of `[re, im]` pairs.
struct Rows<'a>(&'a DensityMatrix);

impl Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.0.dim();
        let mut seq = serializer.serialize_seq(Some(d))?;
        for row in self.0.as_slice().chunks_exact(d) {
            seq.serialize_element(&Amplitudes(row))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Report<'a> {
    num_qubits: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    amplitudes: Option<Amplitudes<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    density_matrix: Option<Rows<'a>>,
    best_seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    counts: Option<&'a BTreeMap<String, u64>>,
}

fn print(args: &Args, outcome: &Outcome) -> Result<(), String> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let write_error = |e: std::io::Error| format!("cannot write the output: {e}");
    match args.output {
        Output::Json => {
            let (amplitudes, density_matrix, num_qubits) = match &outcome.state {
                Final::Pure(psi) => (Some(Amplitudes(psi.amplitudes())), None, psi.num_qubits()),
                Final::Mixed(rho) => (None, Some(Rows(rho)), rho.num_qubits()),
                Final::Largest(_) => return Err("JSON output needs every amplitude".into()),
            };
            let report = Report {
                num_qubits,
                amplitudes,
                density_matrix,
                best_seconds: outcome.best_seconds,
                counts: outcome.counts.as_ref(),
            };
            serde_json::to_writer(&mut out, &report)
                .map_err(|e| format!("cannot write the output: {e}"))?;
            writeln!(out).map_err(write_error)?;
        }
        Output::Text => print_text(&mut out, args, outcome).map_err(write_error)?,
    }
    out.flush().map_err(write_error)
}

fn print_text(out: &mut impl Write, args: &Args, outcome: &Outcome) -> std::io::Result<()> {
    let c = &outcome.circuit;
    let n = c.num_qubits();
    writeln!(out, "file: {}", args.file.display())?;
    writeln!(
        out,
        "{n} qubits, {} classical bits, {} gates{}",
        c.num_clbits(),
        c.gate_count(),
        if c.is_unitary() { "" } else { " (with measurement or reset)" }
    )?;
    writeln!(out, "best of {} run(s): {:.6} s", args.repeat, outcome.best_seconds)?;

    let computed;
    let largest = match &outcome.state {
        Final::Pure(psi) => {
            computed = largest_amplitudes(psi);
            &computed
        }
        Final::Largest(largest) => largest,
        Final::Mixed(rho) => {
            print_mixed(out, args, rho)?;
            return print_counts(out, args, outcome);
        }
    };
    let what = if c.is_unitary() {
        "final state".to_string()
    } else {
        format!("state after one run with seed {}", args.seed)
    };
    writeln!(
        out,
        "{what}: {} non-zero amplitude(s), largest first{}:",
        largest.nonzero,
        if largest.nonzero > TEXT_ROWS { format!(" (first {TEXT_ROWS})") } else { String::new() }
    )?;
    for &(i, a) in &largest.rows {
        writeln!(
            out,
            "  |{}>  {:+.6} {:+.6}i  p = {:.6}",
            bitstring(i, n),
            a.re,
            a.im,
            a.norm_sqr()
        )?;
    }

    print_counts(out, args, outcome)
}

/// The non-zero count and the largest amplitudes of a state, as the text output lists them.
fn largest_amplitudes(psi: &StateVector) -> Largest {
    let amps = psi.amplitudes();
    let mut nonzero: Vec<usize> =
        (0..amps.len()).filter(|&i| amps[i].norm_sqr() > NONZERO).collect();
    nonzero.sort_by(|&a, &b| amps[b].norm_sqr().total_cmp(&amps[a].norm_sqr()).then(a.cmp(&b)));
    let rows = nonzero.iter().take(TEXT_ROWS).map(|&i| (i, amps[i])).collect();
    Largest { nonzero: nonzero.len(), rows }
}

/// The text summary of a density matrix: trace, purity, largest diagonal entries.
fn print_mixed(out: &mut impl Write, args: &Args, rho: &DensityMatrix) -> std::io::Result<()> {
    let n = rho.num_qubits();
    writeln!(
        out,
        "density matrix (noise p1 = {}, gamma = {}, p2 = {}): trace {:.12}, purity {:.6}",
        args.noise_p1,
        args.noise_gamma,
        args.noise_p2,
        rho.trace().re,
        rho.purity()
    )?;
    let probs = rho.probabilities();
    let mut order: Vec<usize> = (0..probs.len()).filter(|&i| probs[i] > 1e-12).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    writeln!(out, "diagonal (Born probabilities), largest first:")?;
    for &i in order.iter().take(TEXT_ROWS) {
        writeln!(out, "  |{}>  p = {:.6}", bitstring(i, n), probs[i])?;
    }
    Ok(())
}

/// The counts section of the text output.
fn print_counts(out: &mut impl Write, args: &Args, outcome: &Outcome) -> std::io::Result<()> {
    let c = &outcome.circuit;
    let n = c.num_qubits();
    if let (Some(counts), Some(shots)) = (&outcome.counts, args.shots) {
        let mut rows: Vec<(&String, &u64)> = counts.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let of = if c.is_unitary() || args.density_matrix {
            "all qubits"
        } else {
            "the classical register"
        };
        writeln!(
            out,
            "counts of {of} over {shots} shot(s) (seed {}), {} distinct{}:",
            args.seed,
            rows.len(),
            if rows.len() > TEXT_ROWS {
                format!(", most frequent {TEXT_ROWS}")
            } else {
                String::new()
            }
        )?;
        for (bits, count) in rows.into_iter().take(TEXT_ROWS) {
            writeln!(out, "  {bits:>width$}: {count}", width = n.max(1))?;
        }
    }
    Ok(())
}
