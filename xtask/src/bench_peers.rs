//! `cargo xtask bench-peers`: qsim-core against Qulacs, Qiskit Aer and PennyLane Lightning on
//! the same workloads, every simulator in a fresh process at 1 and at 2 threads.
//!
//! Steps:
//! 1. create (or reuse) the virtual environment `.venv-peers/` and install the pinned peers of
//!    `xtask/peers/requirements.txt` ([`crate::python`]);
//! 2. build our side, the `bench_workloads` example of the examples package;
//! 3. write the workload file `<target>/bench-peers/workload.json`: seeded angles, qubit counts,
//!    gate-loop lengths and repeat counts, read by every side so all run the same work;
//! 4. run each simulator on each selected workload at each thread count (`OMP_NUM_THREADS`,
//!    `QULACS_NUM_THREADS`, `RAYON_NUM_THREADS` ...), one process each, which writes a [`Report`];
//! 5. compare the checksums (statevector amplitudes, `<Z_0 Z_{n-1}>`, gradients) across all
//!    simulators, print the tables ([`table`]) and write them to `<target>/bench-peers.md`.
//!
//! The timing rules every side follows are in `xtask/peers/common.py` and
//! `examples/bench_workloads.rs`: one untimed warm-up run, best of R timed runs, construction
//! outside the timed region.

mod table;

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::{Value, json};

/// Help text of the command.
pub const USAGE: &str = "usage: cargo xtask bench-peers [--quick] [--only WORKLOAD,...]

Runs qsim-core and its peers (Qulacs, Qiskit Aer, PennyLane Lightning, installed from PyPI into
.venv-peers/) on the same workloads, each in a fresh process at 1 and 2 threads, and prints a
markdown table per workload with the ratio ours/peer (also written to <target>/bench-peers.md).

Options:
  --quick            skip the 24-qubit cases
  --only LIST        comma-separated subset of: staircase, adjoint, gates, batch
  -h, --help         this text";

/// Seed of every angle in the workload file.
const SEED: u64 = 20_261_125;
/// Depth of the staircase circuit.
const LAYERS: usize = 15;
/// Qubit counts of the staircase workload.
const STAIRCASE_QUBITS: [usize; 3] = [10, 20, 24];
/// Qubit count of the gradient workload (300 parameters).
const GRADIENT_QUBITS: usize = 10;
/// Qubit counts of the single-gate workloads.
const GATE_QUBITS: [usize; 4] = [10, 16, 20, 24];
/// Angle of the single-qubit gate.
const GATE_ANGLE: f64 = 0.3;
/// Amplitudes touched per timed gate loop: small states apply the gate many times in one loop
/// (2^26 / 2^n applications) so the timed region is far above the timer's resolution.
const GATE_LOOP_AMPLITUDES: usize = 1 << 26;
/// Qubit count and size of the batch workload.
const BATCH_QUBITS: usize = 10;
const BATCH_SIZE: usize = 1000;
/// Timed runs per case (after one warm-up run).
const REPEATS: usize = 5;
/// Timed runs of the 24-qubit staircase (seconds each on every simulator).
const REPEATS_STAIRCASE_24: usize = 2;
/// Timed runs of 24-qubit gates and of the batch (each run is already 1,000 circuits).
const REPEATS_GATES_24: usize = 3;
const REPEATS_BATCH: usize = 3;
/// Thread counts every simulator runs at.
const THREADS: [usize; 2] = [1, 2];
/// Variables that fix a process's thread count: OpenMP (Qulacs, Aer, Lightning), Qulacs' own,
/// rayon (ours), and the BLAS libraries numpy may load.
const THREAD_VARIABLES: [&str; 5] = [
    "OMP_NUM_THREADS",
    "QULACS_NUM_THREADS",
    "RAYON_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
];
/// Largest deviation of a checksum from qsim-core's before the run fails.
const CHECK_TOLERANCE: f64 = 1e-8;

/// A workload of the comparison, as named on the command line and in the workload file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    Staircase,
    Adjoint,
    Gates,
    Batch,
}

impl Workload {
    const ALL: [Workload; 4] =
        [Workload::Staircase, Workload::Adjoint, Workload::Gates, Workload::Batch];

    fn name(self) -> &'static str {
        match self {
            Workload::Staircase => "staircase",
            Workload::Adjoint => "adjoint",
            Workload::Gates => "gates",
            Workload::Batch => "batch",
        }
    }
}

/// A simulator of the comparison and how to start it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Simulator {
    QsimCore,
    Qulacs,
    Aer,
    Lightning,
}

impl Simulator {
    const ALL: [Simulator; 4] =
        [Simulator::QsimCore, Simulator::Qulacs, Simulator::Aer, Simulator::Lightning];

    /// Short name for file names and progress lines.
    fn id(self) -> &'static str {
        match self {
            Simulator::QsimCore => "qsim-core",
            Simulator::Qulacs => "qulacs",
            Simulator::Aer => "aer",
            Simulator::Lightning => "lightning",
        }
    }

    /// The peer's script in `xtask/peers/` (None for ours).
    fn script(self) -> Option<&'static str> {
        match self {
            Simulator::QsimCore => None,
            Simulator::Qulacs => Some("qulacs_bench.py"),
            Simulator::Aer => Some("aer_bench.py"),
            Simulator::Lightning => Some("lightning_bench.py"),
        }
    }

    /// Aer has no adjoint gradient; everything else runs everywhere.
    fn runs(self, workload: Workload) -> bool {
        !(self == Simulator::Aer && workload == Workload::Adjoint)
    }
}

/// A report as every side writes it (`examples/bench_workloads.rs`, `xtask/peers/common.py`).
///
/// The files also hold the simulator's display name and every timed run (`times`), for
/// whoever wants to look closer; the tables need only the fields below.
#[derive(Debug, Deserialize)]
struct Report {
    /// Package versions the side ran with.
    versions: BTreeMap<String, String>,
    /// Thread count the side ran with (rayon's for ours, the requested one for peers).
    threads: usize,
    results: Vec<Measurement>,
}

/// One timed case of a [`Report`].
#[derive(Debug, Deserialize)]
struct Measurement {
    /// `staircase`, `adjoint`, `gate_1q`, `gate_2q` or `batch`.
    workload: String,
    num_qubits: usize,
    /// Row label: simulator, version and the API that was timed.
    label: String,
    /// True for rows shown for reference but left out of the targets (Aer's own time).
    reference_only: bool,
    /// Best time of one unit of work (one gate application, one circuit, one batch).
    best_seconds: f64,
    note: String,
    /// Checksum of what was computed, compared across simulators.
    check: Option<Value>,
}

/// One finished process: which simulator, at how many threads, and its report.
#[derive(Debug)]
struct Run {
    simulator: Simulator,
    threads: usize,
    report: Report,
}

struct Options {
    quick: bool,
    only: Vec<Workload>,
}

/// Where things live.
struct Paths {
    root: PathBuf,
    target_dir: PathBuf,
    out_dir: PathBuf,
    venv: PathBuf,
    peers: PathBuf,
}

/// Runs the command with the arguments after `bench-peers`.
pub fn run(args: &[String]) -> Result<(), String> {
    let Some(options) = parse_options(args)? else {
        println!("{USAGE}");
        return Ok(());
    };
    let command = std::iter::once("cargo xtask bench-peers")
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let paths = locate()?;
    let load_before = table::load_average();

    let python = crate::python::prepare(&paths.venv, &paths.peers.join("requirements.txt"))?;
    let ours = build_ours(&paths.root)?;
    std::fs::create_dir_all(&paths.out_dir)
        .map_err(|e| format!("cannot create {}: {e}", paths.out_dir.display()))?;
    let workload_file = paths.out_dir.join("workload.json");
    write_workload(&options, &workload_file)?;

    let mut runs = Vec::new();
    let mut failures = Vec::new();
    for &workload in &options.only {
        for threads in THREADS {
            for simulator in Simulator::ALL.into_iter().filter(|s| s.runs(workload)) {
                let program = match simulator {
                    Simulator::QsimCore => &ours,
                    _ => &python,
                };
                match run_one(simulator, workload, threads, program, &paths, &workload_file) {
                    Ok(report) => runs.push(Run { simulator, threads, report }),
                    Err(e) => {
                        eprintln!("bench-peers: {e}");
                        failures.push(e);
                    }
                }
            }
        }
    }

    let context = table::Context { command, load_before, load_after: table::load_average() };
    let outcome = table::render(&runs, &failures, &context);
    println!("{}", outcome.markdown);
    let md = paths.target_dir.join("bench-peers.md");
    std::fs::write(&md, &outcome.markdown)
        .map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    eprintln!("bench-peers: wrote {}", md.display());
    if outcome.problems.is_empty() {
        Ok(())
    } else {
        Err(format!("bench-peers found problems:\n  {}", outcome.problems.join("\n  ")))
    }
}

fn parse_options(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options { quick: false, only: Workload::ALL.to_vec() };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--only" => {
                let list = args.next().ok_or_else(|| format!("--only needs a list\n\n{USAGE}"))?;
                options.only = Vec::new();
                for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let workload = Workload::ALL
                        .into_iter()
                        .find(|w| w.name() == name)
                        .ok_or_else(|| format!("unknown workload {name:?}\n\n{USAGE}"))?;
                    if !options.only.contains(&workload) {
                        options.only.push(workload);
                    }
                }
                if options.only.is_empty() {
                    return Err(format!("--only needs at least one workload\n\n{USAGE}"));
                }
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok(Some(options))
}

/// Finds the workspace root and the target directory (honouring `CARGO_TARGET_DIR` and cargo
/// configuration) through `cargo metadata`.
fn locate() -> Result<Paths, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
        .arg(&manifest)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("`cargo metadata` failed ({})", output.status));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`cargo metadata` printed something unexpected: {e}"))?;
    let field = |name: &str| {
        metadata[name]
            .as_str()
            .map(PathBuf::from)
            .ok_or_else(|| format!("`cargo metadata` has no {name}"))
    };
    let root = field("workspace_root")?;
    let target_dir = field("target_directory")?;
    Ok(Paths {
        out_dir: target_dir.join("bench-peers"),
        venv: root.join(".venv-peers"),
        peers: root.join("xtask").join("peers"),
        root,
        target_dir,
    })
}

/// Builds the `bench_workloads` example in release mode and returns its path.
fn build_ours(root: &Path) -> Result<PathBuf, String> {
    let args = [
        "build",
        "--release",
        "--package",
        "qdiff-examples",
        "--example",
        "bench_workloads",
        "--message-format=json-render-diagnostics",
    ];
    eprintln!("+ cargo {}", args.join(" "));
    let output = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("building the bench_workloads example failed ({})", output.status));
    }
    // The last line per artifact names the executable; cargo picks the target directory.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact")
        .filter(|msg| msg["target"]["name"] == "bench_workloads")
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built bench_workloads but did not say where".to_string())
}

/// `count` angles uniform in `[-pi, pi)` from the stream `stream` of the workload seed.
fn angles(stream: u64, count: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    rng.set_stream(stream);
    (0..count).map(|_| rng.random_range(-PI..PI)).collect()
}

/// Writes the workload file: only the selected workloads, without 24 qubits under `--quick`.
/// Each case draws its angles from its own random stream, so a selection never changes them.
fn write_workload(options: &Options, path: &Path) -> Result<(), String> {
    let keep = |n: &usize| !options.quick || *n < 24;
    let params = |n: usize| 2 * n * LAYERS;
    let mut file = json!({
        "format": "qdiff-bench-peers/1",
        "seed": SEED,
        "layers": LAYERS,
        "parameter_order": "layer l, qubit q of n: theta[2 (l n + q)] is RY(q), \
                            theta[2 (l n + q) + 1] is RZ(q); then CX(0,1) ... CX(n-2,n-1)",
    });
    for workload in &options.only {
        let section = match workload {
            Workload::Staircase => {
                let cases: Vec<Value> = STAIRCASE_QUBITS
                    .into_iter()
                    .filter(keep)
                    .map(|n| {
                        json!({
                            "num_qubits": n,
                            "repeats": if n >= 24 { REPEATS_STAIRCASE_24 } else { REPEATS },
                            "theta": angles(n as u64, params(n)),
                        })
                    })
                    .collect();
                json!({ "cases": cases })
            }
            Workload::Adjoint => json!({
                "num_qubits": GRADIENT_QUBITS,
                "repeats": REPEATS,
                "theta": angles(100 + GRADIENT_QUBITS as u64, params(GRADIENT_QUBITS)),
            }),
            Workload::Gates => {
                let cases: Vec<Value> = GATE_QUBITS
                    .into_iter()
                    .filter(keep)
                    .map(|n| {
                        json!({
                            "num_qubits": n,
                            "applications": (GATE_LOOP_AMPLITUDES >> n).max(1),
                            "repeats": if n >= 24 { REPEATS_GATES_24 } else { REPEATS },
                        })
                    })
                    .collect();
                json!({ "angle": GATE_ANGLE, "cases": cases })
            }
            Workload::Batch => {
                let all = angles(200, BATCH_SIZE * params(BATCH_QUBITS));
                let thetas: Vec<&[f64]> = all.chunks(params(BATCH_QUBITS)).collect();
                json!({ "num_qubits": BATCH_QUBITS, "repeats": REPEATS_BATCH, "thetas": thetas })
            }
        };
        file[workload.name()] = section;
    }
    let text = serde_json::to_string(&file).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Runs one simulator on one workload at `threads` threads in a fresh process.
fn run_one(
    simulator: Simulator,
    workload: Workload,
    threads: usize,
    program: &Path,
    paths: &Paths,
    workload_file: &Path,
) -> Result<Report, String> {
    let what = format!("{} on {} at {threads} thread(s)", simulator.id(), workload.name());
    let output =
        paths.out_dir.join(format!("{}-{}-{threads}t.json", simulator.id(), workload.name()));
    // A stale report must never stand in for a failed run.
    let _ = std::fs::remove_file(&output);
    let mut command = Command::new(program);
    if let Some(script) = simulator.script() {
        command.arg(paths.peers.join(script)).arg("--threads").arg(threads.to_string());
        // Keep xtask/peers/ free of __pycache__.
        command.env("PYTHONDONTWRITEBYTECODE", "1");
    }
    command
        .arg("--workload")
        .arg(workload_file)
        .arg("--only")
        .arg(workload.name())
        .arg("--output")
        .arg(&output);
    for variable in THREAD_VARIABLES {
        command.env(variable, threads.to_string());
    }
    eprintln!("bench-peers: {what}");
    let start = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{what}: could not start {}: {e}", program.display()))?;
    if !status.success() {
        return Err(format!("{what} failed ({status})"));
    }
    let text = std::fs::read_to_string(&output)
        .map_err(|e| format!("{what}: no report at {}: {e}", output.display()))?;
    let report: Report = serde_json::from_str(&text)
        .map_err(|e| format!("{what}: unreadable report {}: {e}", output.display()))?;
    if report.threads != threads {
        return Err(format!("{what}: the process ran with {} threads", report.threads));
    }
    eprintln!("bench-peers: {what} took {:.1} s", start.elapsed().as_secs_f64());
    Ok(report)
}
