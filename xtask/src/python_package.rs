//! `cargo xtask python`: the Python package `qdiff` built as a wheel and tested with pytest, and
//! `cargo xtask bench-interfaces`: its speed through PennyLane and Qiskit against their own
//! simulators.
//!
//! Both use the virtual environment `.venv-python/` with the pins of
//! `python/requirements-test.txt` ([`crate::python`]), then:
//! 1. `maturin build --release` of `python/` (the crate `crates/qdiff-py`) into
//!    `<target>/wheels/`, sharing the workspace's target folder, so only the extension module
//!    and pyo3 are compiled on top of what `cargo test --release` built;
//! 2. `pip install --force-reinstall --no-deps` of that wheel (the wheel a user gets, not an
//!    editable install);
//! 3. `python -m pytest python/tests` (extra arguments go to pytest), or the interface benchmark
//!    `python/benches/interfaces.py`.
//!
//! `ci` also builds the package the way `pip install ./python` does (`pip wheel ./python`: the
//! PEP 517 build in an isolated environment with the `build-system` requirements of
//! `pyproject.toml`), so that path cannot rot unseen.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::workspace_root;

/// The pinned requirements of the package's tests and benchmark.
const REQUIREMENTS: &str = "python/requirements-test.txt";

/// The `ci` step: build, install and run the whole pytest suite, then the `pip install ./python`
/// build.
pub fn ci_step() -> Result<(), String> {
    run(&[])?;
    let root = workspace_root();
    let python = crate::python::prepare(&root.join(".venv-python"), &root.join(REQUIREMENTS))?;
    let out = target_dir(&root).join("wheels-pep517");
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "wheel", "--disable-pip-version-check", "--quiet", "--no-deps"])
        .arg("--wheel-dir")
        .arg(&out)
        .arg("./python");
    checked(&mut pip, &root, "pip wheel ./python (the build behind `pip install ./python`)")
}

/// `cargo xtask python [PYTEST ARGS...]`.
pub fn run(pytest_args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let python = install(&root)?;
    let mut command = Command::new(&python);
    command.args(["-m", "pytest", "python/tests", "-q", "-p", "no:cacheprovider"]);
    command.args(pytest_args);
    checked(&mut command, &root, "pytest")
}

/// `cargo xtask bench-interfaces [ARGS...]`: the arguments go to `python/benches/interfaces.py`.
pub fn bench_interfaces(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let python = install(&root)?;
    let output = target_dir(&root).join("bench-interfaces");
    let mut command = Command::new(&python);
    command.arg("python/benches/interfaces.py").arg("--output").arg(&output).args(args);
    checked(&mut command, &root, "the interface benchmark")
}

/// Prepares the environment, builds the wheel and installs it; returns the interpreter.
fn install(root: &Path) -> Result<PathBuf, String> {
    let python = crate::python::prepare(&root.join(".venv-python"), &root.join(REQUIREMENTS))?;
    let wheels = target_dir(root).join("wheels");
    // One wheel in the folder, the one just built.
    if let Ok(entries) = std::fs::read_dir(&wheels) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with("qdiff-") {
                std::fs::remove_file(entry.path())
                    .map_err(|e| format!("cannot remove {}: {e}", entry.path().display()))?;
            }
        }
    }
    let maturin = python.with_file_name(if cfg!(windows) { "maturin.exe" } else { "maturin" });
    let mut build = Command::new(&maturin);
    build.args(["build", "--release", "--out"]).arg(&wheels);
    checked(&mut build, &root.join("python"), "maturin build")?;
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| format!("cannot list {}: {e}", wheels.display()))?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("qdiff-")))
        .ok_or_else(|| format!("maturin wrote no qdiff wheel into {}", wheels.display()))?;
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet"])
        .args(["--force-reinstall", "--no-deps"])
        .arg(&wheel);
    checked(&mut pip, root, "pip install of the wheel")?;
    Ok(python)
}

/// The workspace's target folder (`CARGO_TARGET_DIR` if set).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Runs `command` in `dir` (no bytecode files written into the tree), failing if it fails.
fn checked(command: &mut Command, dir: &Path, what: &str) -> Result<(), String> {
    eprintln!("+ {what}: {command:?}");
    let status = command
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .map_err(|e| format!("could not start {what}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}
