//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! Commands:
//! - `ci`: what CI runs (`.ci/run` calls it on a clean clone). In order, stopping at the first
//!   step that fails:
//!   1. `cargo fmt --all -- --check`: formatting;
//!   2. `cargo clippy --workspace --all-targets -- -D warnings`: lints, as errors, on every
//!      target of every package (libraries, tests, examples, benches);
//!   3. `cargo doc --workspace --no-deps` with `RUSTDOCFLAGS="-D warnings"`: broken intra-doc
//!      links and every other rustdoc warning, as errors;
//!   4. the structure checks of [`structure`]: no module circles, no conflict marker, no source
//!      file over 800 lines, no mention of files outside the repository;
//!   5. `cargo test --workspace --release`: unit, integration and doc tests.
//!   6. [`crash_test`]: the MNIST training killed with SIGKILL at random moments and resumed to
//!      byte-identical files, a second run on a folder in use refused, read-only and full
//!      output folders refused cleanly.
//!   7. [`python_package`]: the Python package `qdiff` built as a wheel with maturin in the
//!      virtual environment `.venv-python/` (created with pinned PennyLane, Qiskit, Aer,
//!      pytest), installed, and its pytest suite run.
//!   8. [`mpi`]: the distributed state vector under `mpirun` at 2, 4 and 8 ranks, and
//!      `run_qasm --mpi` against one process (skipped, saying why, without `mpirun`).
//!   9. [`mpi_train`]: the MNIST training under `mpirun` with 1 to 4 ranks (skipped, saying why,
//!      without `mpirun`).
//!
//!   The criterion benches are compiled by step 2 but not run (`cargo bench` runs them; they
//!   take minutes). There is no step for `#[ignore]`d tests: there are none, and the step that
//!   ran them ran zero tests, so it was removed. If the clippy or rustfmt component is missing
//!   and `rustup` is available, `ci` installs it first.
//! - `check-structure`: step 4 alone.
//! - `mpi`: step 8 alone.
//! - `python [PYTEST ARGS...]`: step 7 alone (see [`python_package`]).
//! - `bench-interfaces [ARGS...]`: `qdiff.qubit` against `lightning.qubit` and `default.qubit`,
//!   and qdiff's Qiskit Estimator against Aer's, through the interfaces (see
//!   [`python_package`]).
//! - `bench-peers`: qsim-core against Qulacs, Qiskit Aer and PennyLane Lightning (see
//!   [`bench_peers`]).
//! - `plots`: the figures of `docs/results.md` from the MNIST runs' `metrics.json` files (see
//!   [`plots`]).
//! - `mpi-train-test`: the MNIST training under `mpirun` with 1 to 4 ranks, bit-identical, resumed
//!   with another number of ranks, and with a rank killed (see [`mpi_train`]).
//! - `crash-test [--seed N]`: step 6 alone (see [`crash_test`]).
//! - `devices`: the IBM device files of `qhw-mitigation` from qiskit-ibm-runtime's calibration
//!   snapshots, and their Qiskit Aer cross-check references (see [`devices`]).
//! - `deny`: `cargo deny check licenses bans sources` against `deny.toml`, if cargo-deny is
//!   installed (see [`deny`]; not a `ci` step, as CI has no cargo-deny).
//! - `fuzz --seconds N [--target NAME]... [--jobs J]`: the cargo-fuzz targets of `fuzz/` for `N`
//!   seconds each, with a summary line per target (see [`fuzz`]). Not part of `ci`: it takes
//!   minutes per target and needs the nightly toolchain.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

mod bench_peers;
mod crash_test;
mod deny;
mod devices;
mod fuzz;
mod mpi;
mod mpi_train;
mod plots;
mod process;
mod python;
mod python_package;
mod structure;

const USAGE: &str = "usage: cargo xtask <ci | check-structure | mpi | mpi-train-test | crash-test | python | bench-peers | bench-interfaces | plots | devices | deny | fuzz>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("check-structure") => structure::run(&workspace_root()),
        Some("mpi") => mpi::run(&workspace_root()),
        Some("bench-peers") => bench_peers::run(&args[1..]),
        Some("plots") => plots::run(&args[1..]),
        Some("devices") => devices::run(&args[1..]),
        Some("mpi-train-test") => mpi_train::run(&args[1..]),
        Some("crash-test") => crash_test::run(&args[1..]),
        Some("deny") => deny::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("python") => python_package::run(&args[1..]),
        Some("bench-interfaces") => python_package::bench_interfaces(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this package).
fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// Runs `cargo` with `args` (and the environment variables `env`) at the workspace root,
/// failing if it fails.
fn cargo_with_env(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let shown: String = env.iter().map(|(k, v)| format!("{k}=\"{v}\" ")).collect();
    let command = format!("{shown}cargo {}", args.join(" "));
    eprintln!("+ {command}");
    let status = Command::new(env!("CARGO"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{command}` failed ({status})")) }
}

/// Runs `cargo` with `args` at the workspace root, failing if it fails.
fn cargo(args: &[&str]) -> Result<(), String> {
    cargo_with_env(args, &[])
}

/// Runs `cmd` silently; true if it started and succeeded.
fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// True if `cargo <subcommand> --version` runs: the subcommand is installed.
fn has_cargo_subcommand(subcommand: &str) -> bool {
    succeeds(Command::new(env!("CARGO")).args([subcommand, "--version"]))
}

/// Makes sure `cargo <subcommand>` exists, installing the rustup component if it is missing
/// and rustup is there to install it.
fn ensure_component(subcommand: &str, component: &str) -> Result<(), String> {
    if has_cargo_subcommand(subcommand) {
        return Ok(());
    }
    eprintln!("+ rustup component add {component}   (`cargo {subcommand}` is missing)");
    if succeeds(Command::new("rustup").args(["component", "add", component])) {
        return Ok(());
    }
    Err(format!(
        "`cargo {subcommand}` is not installed and `rustup component add {component}` did not \
         install it; install the {component} component of the toolchain"
    ))
}

/// One step of `ci`.
struct Step {
    name: &'static str,
    run: fn() -> Result<(), String>,
}

const STEPS: [Step; 9] = [
    Step {
        name: "formatting",
        run: || {
            ensure_component("fmt", "rustfmt")?;
            cargo(&["fmt", "--all", "--", "--check"])
                .map_err(|e| format!("{e}: run `cargo fmt --all`"))
        },
    },
    Step {
        name: "clippy",
        run: || {
            ensure_component("clippy", "clippy")?;
            cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
                .map_err(|e| format!("{e}: fix the clippy warnings above"))
        },
    },
    Step {
        name: "rustdoc",
        run: || {
            cargo_with_env(&["doc", "--workspace", "--no-deps"], &[("RUSTDOCFLAGS", "-D warnings")])
                .map_err(|e| format!("{e}: fix the rustdoc warnings above"))
        },
    },
    Step { name: "structure", run: || structure::run(&workspace_root()) },
    Step { name: "tests", run: || cargo(&["test", "--workspace", "--release"]) },
    Step { name: "crash-test", run: crash_test::ci_step },
    Step { name: "python", run: python_package::ci_step },
    Step { name: "mpi", run: || mpi::run(&workspace_root()) },
    Step { name: "mpi-train", run: mpi_train::ci_step },
];

fn ci() -> Result<(), String> {
    let start = Instant::now();
    let mut times: Vec<(&str, Duration)> = Vec::new();
    for (i, step) in STEPS.iter().enumerate() {
        eprintln!("== ci step {}/{}: {}", i + 1, STEPS.len(), step.name);
        let began = Instant::now();
        let result = (step.run)();
        times.push((step.name, began.elapsed()));
        if let Err(e) = result {
            return Err(format!("ci step {}/{} ({}) failed: {e}", i + 1, STEPS.len(), step.name));
        }
    }
    let summary: Vec<String> =
        times.iter().map(|(name, t)| format!("{name} {:.0} s", t.as_secs_f64())).collect();
    eprintln!("== ci passed in {:.0} s ({})", start.elapsed().as_secs_f64(), summary.join(", "));
    Ok(())
}
