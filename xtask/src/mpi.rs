//! `cargo xtask ci`, step mpi: the distributed state vector (`qsim-mpi`) under `mpirun`.
//!
//! Skipped, with the reason, if `mpirun` is not on the path (`.ci/run` installs OpenMPI). Else:
//! 1. builds `qsim-mpi`'s `mpi_check` and `run_qasm` with `--features mpi` and runs `qsim-mpi`'s
//!    unit tests;
//! 2. runs `mpi_check` (Qiskit references, random circuits, readout, measurement; it exits
//!    non-zero on a mismatch) at 2, 4 and 8 ranks;
//! 3. compares `run_qasm --mpi --output json` at 1, 2 and 4 ranks with one process on reference
//!    circuits (with shots) and on a 16-qubit circuit with mid-circuit measurement (cache-blocked
//!    stages): with the default schedule (as one process) the outputs must be byte-identical,
//!    `best_seconds` excepted; with `--mpi-schedule fewest-exchanges` the outputs with every
//!    number masked must be byte-identical (same keys, order and formatting) and the numbers
//!    must agree to [`TOLERANCE`]. (The text output is not compared: amplitudes of equal size
//!    may swap rows.)

use std::path::Path;
use std::process::Command;

/// How far a number of the MPI output may be from one process's.
const TOLERANCE: f64 = 1e-12;

/// The `mpirun` prefixes of the checks: rank counts and flags.
const LAUNCHES: [&[&str]; 3] = [
    &["--allow-run-as-root", "-np", "2"],
    &["--allow-run-as-root", "--oversubscribe", "-np", "4"],
    &["--allow-run-as-root", "--oversubscribe", "-np", "8"],
];

/// Reference circuits `run_qasm --mpi` is compared on (widths 12, 10 and 8, with shots).
const CASES: [&str; 3] = ["case1_001", "case1_022", "case1_009"];

/// Whether an `mpirun` that answers `--version` is on the `PATH`.
pub fn mpirun_available() -> bool {
    Command::new("mpirun").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Runs the step at `root`.
pub fn run(root: &Path) -> Result<(), String> {
    if !mpirun_available() {
        eprintln!(
            "mpi: skipped: `mpirun` is not on the path (install OpenMPI: apt-get install \
             libopenmpi-dev openmpi-bin libclang-dev; .ci/run does)"
        );
        return Ok(());
    }
    super::cargo(&[
        "build",
        "--release",
        "-p",
        "qsim-mpi",
        "--features",
        "mpi",
        "--example",
        "mpi_check",
    ])?;
    super::cargo(&[
        "build",
        "--release",
        "-p",
        "qdiff-examples",
        "--features",
        "mpi",
        "--example",
        "run_qasm",
    ])?;
    super::cargo(&["test", "--release", "-p", "qsim-mpi", "--features", "mpi"])?;
    let examples = root.join("target/release/examples");
    let check = examples.join("mpi_check");
    for launch in LAUNCHES {
        let mut args: Vec<&str> = launch.to_vec();
        args.push(check.to_str().ok_or("non-UTF-8 target path")?);
        let out = command("mpirun", &args, root)?;
        print!("{out}");
    }
    compare_run_qasm(root, &examples.join("run_qasm"))
}

/// Runs `program` with `args` in `dir`; its stdout, or an error with its stderr.
fn command(program: &str, args: &[&str], dir: &Path) -> Result<String, String> {
    eprintln!("+ {program} {}", args.join(" "));
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{program} {}` failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{program}: output is not UTF-8: {e}"))
}

/// Step 3: `run_qasm --mpi` against one process.
fn compare_run_qasm(root: &Path, run_qasm: &Path) -> Result<(), String> {
    let program = run_qasm.to_str().ok_or("non-UTF-8 target path")?;
    let wide = root.join("target/mpi-check-measured.qasm");
    std::fs::write(&wide, measured_circuit(16)).map_err(|e| format!("{}: {e}", wide.display()))?;
    let mut files: Vec<String> =
        CASES.iter().map(|case| format!("testdata/qasm-reference/{case}.qasm")).collect();
    files.push(wide.to_str().ok_or("non-UTF-8 target path")?.to_string());
    let (mut exact, mut rounded, mut worst) = (0, 0, 0.0f64);
    for file in &files {
        let flags = [file.as_str(), "--output", "json", "--shots", "200", "--seed", "5"];
        let single = command(program, &flags, root)?;
        for ranks in ["1", "2", "4"] {
            for schedule in ["as-one-process", "fewest-exchanges"] {
                let mut args =
                    vec!["--allow-run-as-root", "--oversubscribe", "-np", ranks, program];
                args.extend(flags);
                args.extend(["--mpi", "--mpi-schedule", schedule]);
                let distributed = command("mpirun", &args, root)?;
                let what = format!("run_qasm {file} --output json at {ranks} ranks, {schedule}");
                let (deviation, identical) = compare(&single, &distributed, &what)?;
                if schedule == "as-one-process" {
                    if !identical {
                        return Err(format!(
                            "{what}: not byte-identical to one process's output \
                             (numbers differ by up to {deviation:e})"
                        ));
                    }
                    exact += 1;
                } else {
                    rounded += 1;
                    worst = worst.max(deviation);
                }
            }
        }
    }
    eprintln!(
        "mpi: run_qasm --mpi matches one process: {exact} runs as one process byte-identical \
         (timing excepted), {rounded} runs with fewest exchanges within {worst:e}"
    );
    Ok(())
}

/// OpenQASM for a layered circuit on `n` qubits with mid-circuit measurement and reset, wide
/// enough for the engine's cache-blocked stages.
fn measured_circuit(n: usize) -> String {
    let mut text = format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{n}];\ncreg c[3];\n");
    for layer in 0..4 {
        for q in 0..n {
            let angle = 0.3 + 0.17 * (layer * n + q) as f64;
            text += &format!("ry({angle}) q[{q}];\nrz({}) q[{q}];\n", -0.5 * angle);
        }
        for q in 1..n {
            text += &format!("cx q[{}],q[{q}];\n", q - 1);
        }
        if layer == 1 {
            text += &format!("measure q[{}] -> c[0];\nreset q[0];\n", n - 1);
        }
    }
    text += &format!("measure q[1] -> c[1];\nmeasure q[{}] -> c[2];\n", n - 2);
    text
}

/// Compares two outputs: skeletons (numbers masked) must be equal, numbers within
/// [`TOLERANCE`] (the timing excepted). Returns the worst deviation and whether the outputs are
/// byte-identical apart from the timing.
fn compare(single: &str, distributed: &str, what: &str) -> Result<(f64, bool), String> {
    let (a, b) = (without_timing(single), without_timing(distributed));
    let ((skeleton_a, numbers_a), (skeleton_b, numbers_b)) = (split_numbers(&a), split_numbers(&b));
    if skeleton_a != skeleton_b || numbers_a.len() != numbers_b.len() {
        return Err(format!(
            "{what}: the output differs from one process's beyond its numbers:\n{single}\n{distributed}"
        ));
    }
    let mut worst = 0.0f64;
    for (x, y) in numbers_a.iter().zip(&numbers_b) {
        let (x, y): (f64, f64) = match (x.parse(), y.parse()) {
            (Ok(x), Ok(y)) => (x, y),
            _ => return Err(format!("{what}: unreadable numbers {x} and {y}")),
        };
        worst = worst.max((x - y).abs());
    }
    if worst > TOLERANCE {
        return Err(format!("{what}: a number is off by {worst:e}"));
    }
    Ok((worst, a == b))
}

/// The output with JSON's `"best_seconds":t` masked.
fn without_timing(output: &str) -> String {
    let mut text = String::new();
    for line in output.lines() {
        match line.find("\"best_seconds\":") {
            Some(at) => {
                let start = at + "\"best_seconds\":".len();
                let end = line[start..].find([',', '}']).map_or(line.len(), |e| start + e);
                text.push_str(&line[..start]);
                text.push('#');
                text.push_str(&line[end..]);
            }
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

/// Splits text into its skeleton (every number replaced by `#`) and the numbers in order. A
/// number starts with a digit or a sign followed by a digit and runs over digits, `.`, `e`, `E`
/// and signs after an exponent; digits inside words or quoted bitstrings of `0`/`1` count too,
/// which is harmless: both outputs are split the same way.
fn split_numbers(text: &str) -> (String, Vec<String>) {
    let bytes = text.as_bytes();
    let (mut skeleton, mut numbers) = (String::new(), Vec::new());
    let mut i = 0;
    while i < bytes.len() {
        let signed = (bytes[i] == b'-' || bytes[i] == b'+')
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if bytes[i].is_ascii_digit() || signed {
            let start = i;
            i += 1;
            while i < bytes.len() {
                let c = bytes[i];
                let exponent_sign = (c == b'-' || c == b'+') && matches!(bytes[i - 1], b'e' | b'E');
                if c.is_ascii_digit() || c == b'.' || c == b'e' || c == b'E' || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            numbers.push(text[start..i].to_string());
            skeleton.push('#');
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            skeleton.push(c);
            i += c.len_utf8();
        }
    }
    (skeleton, numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_and_timing_dropped() {
        let (skeleton, numbers) = split_numbers("{\"a\":[[1.5e-3,-2]],\"b\":7}");
        assert_eq!(skeleton, "{\"a\":[[#,#]],\"b\":#}");
        assert_eq!(numbers, ["1.5e-3", "-2", "7"]);
        assert_eq!(
            without_timing("{\"best_seconds\":0.25,\"c\":1}"),
            "{\"best_seconds\":#,\"c\":1}\n"
        );
    }
}
