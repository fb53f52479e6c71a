//! The Python environments of the tools (the peers of `bench-peers`, the plots of `plots`): a
//! virtual environment created once with `python3 -m venv`
//! and kept in step with a pinned requirements file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Lines of pip's output quoted in an error.
const ERROR_TAIL_LINES: usize = 20;

/// Creates `venv` if needed, installs every requirement whose pinned version is missing, and
/// returns the environment's Python interpreter.
pub fn prepare(venv: &Path, requirements: &Path) -> Result<PathBuf, String> {
    let python = interpreter(venv);
    if !python.exists() {
        eprintln!("xtask: creating the virtual environment {}", venv.display());
        let output = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .output()
            .map_err(|e| format!("could not start python3 (is Python 3 installed?): {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "`python3 -m venv {}` failed (on Debian/Ubuntu the venv module is the \
                 python3-venv package):\n{}",
                venv.display(),
                tail(&output)
            ));
        }
    }
    let pins = read_pins(requirements)?;
    let installed = installed_versions(&python, &pins)?;
    let missing: Vec<&Pin> = pins
        .iter()
        .zip(&installed)
        .filter(|(pin, have)| have.as_deref() != Some(pin.version.as_str()))
        .map(|(pin, _)| pin)
        .collect();
    if missing.is_empty() {
        eprintln!("xtask: requirements already installed in {}", venv.display());
    }
    for pin in missing {
        eprintln!("xtask: pip install {}=={}", pin.name, pin.version);
        // One package at a time for a precise error; the whole file as constraints keeps the
        // versions of the others.
        let output = Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-c"])
            .arg(requirements)
            .arg(format!("{}=={}", pin.name, pin.version))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("could not start {}: {e}", python.display()))?;
        if !output.status.success() {
            return Err(format!("pip could not install {}: {}", pin.name, tail(&output)));
        }
    }
    Ok(python)
}

/// The interpreter inside a virtual environment.
fn interpreter(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// A `name==version` line of the requirements file.
struct Pin {
    name: String,
    version: String,
}

fn read_pins(requirements: &Path) -> Result<Vec<Pin>, String> {
    let text = std::fs::read_to_string(requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once("==") {
            Some((name, version)) => {
                Ok(Pin { name: name.trim().to_string(), version: version.trim().to_string() })
            }
            None => {
                Err(format!("{}: {line:?} is not pinned as name==version", requirements.display()))
            }
        })
        .collect()
}

/// The installed version of each pinned package (None where it is not installed).
fn installed_versions(python: &Path, pins: &[Pin]) -> Result<Vec<Option<String>>, String> {
    const SCRIPT: &str = "import sys\nfrom importlib.metadata import version, PackageNotFoundError\n\
                          for name in sys.argv[1:]:\n    try:\n        print(version(name))\n    \
                          except PackageNotFoundError:\n        print('-')\n";
    let output = Command::new(python)
        .args(["-c", SCRIPT])
        .args(pins.iter().map(|p| p.name.as_str()))
        .output()
        .map_err(|e| format!("could not start {}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!("{} does not run: {}", python.display(), tail(&output)));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let versions: Vec<Option<String>> =
        text.lines().map(|v| (v != "-").then(|| v.to_string())).collect();
    if versions.len() != pins.len() {
        return Err(format!("unexpected answer from {}: {text}", python.display()));
    }
    Ok(versions)
}

/// The last lines of a failed process's stderr (or stdout when stderr is empty).
fn tail(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let text =
        if stderr.trim().is_empty() { String::from_utf8_lossy(&output.stdout) } else { stderr };
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(ERROR_TAIL_LINES)..].join("\n")
}
