//! `cargo xtask plots [--runs DIR] [--nisq-runs DIR] [--out DIR]`: the figures of
//! `docs/results.md` (FID against sampling steps, against trainable parameters, along training,
//! and against a device's error scale), drawn by `xtask/plots/plots.py` with matplotlib from the
//! `metrics.json` files of MNIST runs (default `out/sweeps/`, where
//! `scripts/validation_sweeps.sh` writes them) and of `nisq_diffusion` runs (default
//! `out/nisq/`, where `scripts/nisq_error_sweep.sh` writes them) into `docs/img/`. The
//! Python environment `.venv-plots/` is created on first use with the pinned
//! `xtask/plots/requirements.txt`; the main example and the tests never need it.

use std::process::Command;

use crate::workspace_root;

/// Runs the plotting script on the runs folder.
pub fn run(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let mut runs = root.join("out/sweeps");
    let mut out = root.join("docs/img");
    let mut nisq = root.join("out/nisq");
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--runs" => runs = value.into(),
            "--out" => out = value.into(),
            "--nisq-runs" => nisq = value.into(),
            other => {
                return Err(format!(
                    "unknown flag {other} (expected --runs, --nisq-runs or --out)"
                ));
            }
        }
    }
    let python = crate::python::prepare(
        &root.join(".venv-plots"),
        &root.join("xtask/plots/requirements.txt"),
    )?;
    let status = Command::new(&python)
        .arg(root.join("xtask/plots/plots.py"))
        .arg("--runs")
        .arg(&runs)
        .arg("--out")
        .arg(&out)
        .arg("--nisq-runs")
        .arg(&nisq)
        .status()
        .map_err(|e| format!("could not run {}: {e}", python.display()))?;
    if status.success() { Ok(()) } else { Err(format!("plots.py failed ({status})")) }
}
