//! Times qsim-core on the workload file of `cargo xtask bench-peers`: our side of the peer
//! comparison, run in a fresh process exactly like each Python peer script.
//!
//! ```sh
//! cargo run --release --example bench_workloads -- \
//!     --workload target/bench-peers/workload.json --only staircase --output ours.json
//! ```
//!
//! The workload file (written by xtask) holds the angles, qubit counts and repeat counts; the
//! report (JSON) holds, per case, the best time and every timed run, plus checksums of the
//! computed states that xtask compares across simulators. Set the thread count with
//! `RAYON_NUM_THREADS`. Timing rules, the same on every side: one untimed warm-up run, then
//! `repeats` timed runs, best kept; circuit construction is outside the timed region, state
//! allocation inside it (peers cannot separate it), except for single gates, which act on a
//! state allocated beforehand.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use qdiff_examples::error_line::run_main;
use qsim_core::batch::run_batch;
use qsim_core::gate::Gate;
use qsim_core::gradient::adjoint_gradient;
use qsim_core::state::StateVector;
use serde::{Deserialize, Serialize};
use serde_json::json;

// The one definition of the benchmark circuits, shared with the criterion benches.
#[path = "../crates/qsim-core/benches/workloads.rs"]
mod workloads;

type AnyResult<T> = Result<T, Box<dyn Error>>;

/// Number of leading amplitudes reported as a checksum of a statevector.
const CHECK_AMPLITUDES: usize = 8;

/// The workload file written by `cargo xtask bench-peers` (only the selected sections present).
#[derive(Deserialize)]
struct WorkloadFile {
    layers: usize,
    staircase: Option<StaircaseSpec>,
    adjoint: Option<AdjointSpec>,
    gates: Option<GatesSpec>,
    batch: Option<BatchSpec>,
}

#[derive(Deserialize)]
struct StaircaseSpec {
    cases: Vec<StaircaseCase>,
}

#[derive(Deserialize)]
struct StaircaseCase {
    num_qubits: usize,
    repeats: usize,
    theta: Vec<f64>,
}

#[derive(Deserialize)]
struct AdjointSpec {
    num_qubits: usize,
    repeats: usize,
    theta: Vec<f64>,
}

#[derive(Deserialize)]
struct GatesSpec {
    angle: f64,
    cases: Vec<GateCase>,
}

#[derive(Deserialize)]
struct GateCase {
    num_qubits: usize,
    applications: usize,
    repeats: usize,
}

#[derive(Deserialize)]
struct BatchSpec {
    num_qubits: usize,
    repeats: usize,
    thetas: Vec<Vec<f64>>,
}

/// The report, in the schema every side writes (see `xtask/src/bench_peers.rs`).
#[derive(Serialize)]
struct Report {
    simulator: String,
    versions: BTreeMap<String, String>,
    threads: usize,
    results: Vec<Measurement>,
}

/// One timed case.
#[derive(Serialize)]
struct Measurement {
    workload: &'static str,
    num_qubits: usize,
    label: String,
    reference_only: bool,
    /// Best time of one unit of work (one gate application for gate workloads).
    best_seconds: f64,
    /// Every timed run, in the same unit.
    times: Vec<f64>,
    note: String,
    check: Option<serde_json::Value>,
}

struct Args {
    workload: PathBuf,
    only: String,
    output: PathBuf,
}

const USAGE: &str =
    "usage: bench_workloads --workload FILE.json --only staircase|adjoint|gates|batch \
--output REPORT.json

Times qsim-core on one workload of `cargo xtask bench-peers` (which writes FILE.json and runs this
example once per workload and thread count; set threads with RAYON_NUM_THREADS).";

fn parse_args() -> AnyResult<Option<Args>> {
    let mut workload = None;
    let mut only = None;
    let mut output = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value (see --help)"));
        match arg.as_str() {
            "--workload" => workload = Some(PathBuf::from(value()?)),
            "--only" => only = Some(value()?),
            "--output" => output = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Ok(None),
            _ => return Err(format!("unknown argument {arg:?} (see --help)").into()),
        }
    }
    match (workload, only, output) {
        (Some(workload), Some(only), Some(output)) => Ok(Some(Args { workload, only, output })),
        _ => Err("--workload, --only and --output are required (see --help)".into()),
    }
}

fn main() -> ExitCode {
    run_main(bench)
}

/// Runs the workload file's section and writes the timings.
fn bench() -> AnyResult<()> {
    let Some(args) = parse_args()? else {
        println!("{USAGE}");
        return Ok(());
    };
    let text = std::fs::read_to_string(&args.workload)
        .map_err(|e| format!("cannot read {}: {e}", args.workload.display()))?;
    let file: WorkloadFile = serde_json::from_str(&text).map_err(|e| {
        format!("{} is not a bench-peers workload file: {e}", args.workload.display())
    })?;

    let missing = || format!("{} has no {:?} section", args.workload.display(), args.only);
    let results = match args.only.as_str() {
        "staircase" => staircase(file.staircase.as_ref().ok_or_else(missing)?, file.layers)?,
        "adjoint" => adjoint(file.adjoint.as_ref().ok_or_else(missing)?, file.layers)?,
        "gates" => gates(file.gates.as_ref().ok_or_else(missing)?)?,
        "batch" => batch(file.batch.as_ref().ok_or_else(missing)?, file.layers)?,
        other => return Err(format!("unknown workload {other:?} (see --help)").into()),
    };
    let report = Report {
        simulator: "qsim-core".into(),
        versions: BTreeMap::from([("qsim-core".into(), qsim_core_version())]),
        threads: rayon::current_num_threads(),
        results,
    };
    std::fs::write(&args.output, serde_json::to_string_pretty(&report)?)
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
    eprintln!("bench_workloads: wrote {}", args.output.display());
    Ok(())
}

/// The qsim-core version this example was built against (the workspace version).
fn qsim_core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Runs `work` once untimed, then `repeats` times timed; returns the best and every time
/// (seconds, divided by `per`) and the last run's output. Outputs are dropped untimed.
fn best_of<T>(
    repeats: usize,
    per: usize,
    mut work: impl FnMut() -> qsim_core::Result<T>,
) -> AnyResult<(f64, Vec<f64>, T)> {
    let mut last = Some(work()?);
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        // Free the previous output before the clock starts, as the peer scripts do.
        drop(last.take());
        let start = Instant::now();
        let out = work()?;
        times.push(start.elapsed().as_secs_f64() / per as f64);
        last = Some(out);
    }
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let last = last.ok_or("no run")?;
    Ok((best, times, last))
}

/// `<Z_0 Z_{n-1}>` and the leading amplitudes of `psi`, as the checksum every side reports.
fn state_check(psi: &StateVector) -> AnyResult<serde_json::Value> {
    let zz = psi.expectation(&workloads::zz_observable(psi.num_qubits())?)?;
    let amplitudes: Vec<[f64; 2]> =
        psi.amplitudes().iter().take(CHECK_AMPLITUDES).map(|a| [a.re, a.im]).collect();
    Ok(json!({ "zz": zz, "amplitudes": amplitudes }))
}

fn staircase(spec: &StaircaseSpec, layers: usize) -> AnyResult<Vec<Measurement>> {
    let mut results = Vec::new();
    for case in &spec.cases {
        let n = case.num_qubits;
        let circuit = workloads::staircase(n, layers)?;
        eprintln!("bench_workloads: staircase, {n} qubits");
        let (best_seconds, times, psi) = best_of(case.repeats, 1, || {
            let mut psi = StateVector::new(n)?;
            psi.apply_circuit(&circuit, &case.theta)?;
            Ok(psi)
        })?;
        results.push(Measurement {
            workload: "staircase",
            num_qubits: n,
            label: "qsim-core (StateVector::apply_circuit)".into(),
            reference_only: false,
            best_seconds,
            times,
            note: String::new(),
            check: Some(state_check(&psi)?),
        });
    }
    Ok(results)
}

fn adjoint(spec: &AdjointSpec, layers: usize) -> AnyResult<Vec<Measurement>> {
    let n = spec.num_qubits;
    let circuit = workloads::staircase(n, layers)?;
    let zz = workloads::zz_observable(n)?;
    eprintln!("bench_workloads: adjoint gradient, {n} qubits");
    let (best_seconds, times, (value, gradient)) =
        best_of(spec.repeats, 1, || adjoint_gradient(&circuit, &spec.theta, &zz))?;
    Ok(vec![Measurement {
        workload: "adjoint",
        num_qubits: n,
        label: "qsim-core (gradient::adjoint_gradient)".into(),
        reference_only: false,
        best_seconds,
        times,
        note: String::new(),
        check: Some(json!({ "value": value, "gradient": gradient })),
    }])
}

fn gates(spec: &GatesSpec) -> AnyResult<Vec<Measurement>> {
    let mut results = Vec::new();
    for case in &spec.cases {
        let n = case.num_qubits;
        let kinds: [(&'static str, Gate, Vec<usize>, Vec<f64>); 2] = [
            ("gate_1q", Gate::Rx, vec![n / 2], vec![spec.angle]),
            ("gate_2q", Gate::Cx, vec![n / 2 - 1, n / 2], vec![]),
        ];
        for (workload, gate, qubits, params) in kinds {
            eprintln!("bench_workloads: {workload}, {n} qubits");
            let mut psi = StateVector::new(n)?;
            let (best_seconds, times, ()) = best_of(case.repeats, case.applications, || {
                for _ in 0..case.applications {
                    psi.apply_gate(gate, &qubits, &params)?;
                }
                Ok(())
            })?;
            results.push(Measurement {
                workload,
                num_qubits: n,
                label: "qsim-core (StateVector::apply_gate)".into(),
                reference_only: false,
                best_seconds,
                times,
                note: String::new(),
                check: None,
            });
        }
    }
    Ok(results)
}

fn batch(spec: &BatchSpec, layers: usize) -> AnyResult<Vec<Measurement>> {
    let n = spec.num_qubits;
    let circuit = workloads::staircase(n, layers)?;
    let zz = workloads::zz_observable(n)?;
    eprintln!("bench_workloads: batch of {} circuits, {n} qubits", spec.thetas.len());
    let (best_seconds, times, states) =
        best_of(spec.repeats, 1, || run_batch(&circuit, &spec.thetas))?;
    let mut zz_sum = 0.0;
    for psi in &states {
        zz_sum += psi.expectation(&zz)?;
    }
    Ok(vec![Measurement {
        workload: "batch",
        num_qubits: n,
        label: "qsim-core (batch::run_batch)".into(),
        reference_only: false,
        best_seconds,
        times,
        note: String::new(),
        check: Some(json!({ "zz_sum": zz_sum, "count": states.len() })),
    }])
}
