//! `cargo xtask devices`: regenerates the IBM device files
//! (`crates/qhw-mitigation/calibration/ibm_*.json`) from the calibration snapshots that
//! qiskit-ibm-runtime ships with its fake backends (`xtask/devices/convert.py`), then the Aer
//! references of `testdata/device-crosscheck/` that `tests/device_crosscheck.rs` compares the
//! devices against (`xtask/devices/crosscheck.py`). The Python environment `.venv-devices/` is
//! created on first use with the pinned `xtask/devices/requirements.txt`; the tests never need
//! it. `docs/devices.md` describes the conversion and the measured differences from Aer.

use std::path::Path;
use std::process::Command;

use crate::workspace_root;

/// Runs `python script args...`, failing if it fails.
fn run_script(python: &Path, script: &Path, args: &[&Path]) -> Result<(), String> {
    eprintln!("+ {} {}", python.display(), script.display());
    let status = Command::new(python)
        .arg(script)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("could not run {}: {e}", python.display()))?;
    if status.success() { Ok(()) } else { Err(format!("{} failed ({status})", script.display())) }
}

/// Converts the snapshots, then writes the Aer cross-check references.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(extra) = args.first() {
        return Err(format!("`devices` takes no arguments, got {extra}"));
    }
    let root = workspace_root();
    let scripts = root.join("xtask/devices");
    let python =
        crate::python::prepare(&root.join(".venv-devices"), &scripts.join("requirements.txt"))?;
    let calibration = root.join("crates/qhw-mitigation/calibration");
    run_script(&python, &scripts.join("convert.py"), &[&calibration])?;
    run_script(
        &python,
        &scripts.join("crosscheck.py"),
        &[&calibration, &root.join("testdata/device-crosscheck")],
    )
}
