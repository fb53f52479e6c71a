//! `qdiff-examples`: the runnable programs of the workspace and the code they share.
//!
//! Every program is an example of this package (`cargo run --release --example NAME` from the
//! workspace root); each prints `--help`. What more than one program needs lives here:
//!
//! - [`mnist`]: the MNIST experiment end to end (what `mnist_diffusion` runs): caches of the
//!   classical models, encodings, the quantum model, the DDPM baselines, scores, tables and
//!   output files. It is an experiment built on the libraries, not part of them, so users who
//!   depend on `qdiffusion` do not carry it.
//! - [`scoring`]: the flags naming the MNIST data and the FID classifier, and loading both;
//! - [`progress`]: progress on stderr, a bar on a terminal and plain lines in a log;
//! - [`error_line`]: how every program ends on an error (one line `error: ...`, exit code 1);
//! - [`workspace`]: the workspace root, where default data, caches and outputs live.
//!
//! This package is not published.
#![warn(missing_docs)]
#![deny(unsafe_code)]

use std::path::{Path, PathBuf};

use qfile::DirLock;

pub mod error_line;
pub mod mnist;
pub mod nisq;
pub mod progress;
pub mod scoring;

/// Turns off candle's own thread pool for element-wise operations (`CANDLE_NUM_THREADS=1`, unless
/// the environment already sets it): the U-Net's training and sampling run their chunks in
/// parallel on rayon, and candle's pool spin-waits beside them (measured: a third of the time in
/// its barrier on two cores). Call it first thing in `main`, before any thread starts.
#[allow(unsafe_code)]
pub fn single_threaded_candle() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: called at the start of `main`, before the program starts a thread, so no other
        // thread reads or writes the environment concurrently.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
}

/// The workspace root (the folder of the root `Cargo.toml`), where `data/`, `out/` and
/// `testdata/` are found by default.
pub fn workspace() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    root.canonicalize().unwrap_or(root)
}

/// Takes the lock of the output folder `dir` (one run per folder; see [`qfile::lock`]) for as
/// long as the returned lock lives. A lock left by a run that was killed or crashed is taken over
/// with a warning on stderr, and the temporary files of the writes it was killed in are removed
/// ([`qfile::remove_leftovers`]); a folder another run is using is an error naming that run's
/// pid.
pub fn lock_output_folder(dir: &Path) -> Result<DirLock, Box<dyn std::error::Error>> {
    let lock = DirLock::acquire(dir)?;
    if let Some(stale) = lock.recovered() {
        let removed = qfile::remove_leftovers(dir)?;
        let leftovers = match removed.len() {
            0 => String::new(),
            n => format!("; removed {n} temporary file(s) of its unfinished writes"),
        };
        eprintln!(
            "warning: took over the stale lock {} of {stale}, a run that ended without releasing \
             it (killed or crashed){leftovers}",
            lock.path().display()
        );
    }
    Ok(lock)
}
