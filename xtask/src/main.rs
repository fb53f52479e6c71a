//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! Commands:
//! - `ci`: what CI runs: formatting check, the workspace tests in release mode, and the
//!   `#[ignore]`d heavy numerics tests.
//! - `bench-peers`: qsim-core against Qulacs, Qiskit Aer and PennyLane Lightning (see
//!   [`bench_peers`]).

use std::process::{Command, ExitCode};

mod bench_peers;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench-peers") => bench_peers::run(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <ci | bench-peers>");
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

/// Runs `cargo` with `args`, failing if it fails.
fn cargo(args: &[&str]) -> Result<(), String> {
    eprintln!("+ cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

fn ci() -> Result<(), String> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&["test", "--workspace", "--release"])?;
    cargo(&["test", "--workspace", "--release", "--", "--ignored"])?;
    Ok(())
}
