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
//! - [`workspace`]: the workspace root, where default data, caches and outputs live.
//!
//! This package is not published.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

use std::path::PathBuf;

pub mod mnist;
pub mod scoring;

/// The workspace root (the folder of the root `Cargo.toml`), where `data/`, `out/` and
/// `testdata/` are found by default.
pub fn workspace() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    root.canonicalize().unwrap_or(root)
}
