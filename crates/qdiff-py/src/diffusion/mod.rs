//! The quantum diffusion model from Python (`qdiff.diffusion`): build, load, save, sample and
//! train `qdiffusion` models; read the MNIST example's outputs (checkpoints, sample files,
//! MNIST itself); decode samples to images; and score them with FID on the project's
//! classifier features, exactly as the example does.
//!
//! Everything here calls the library crates (`qdiffusion`, `qdecoder`, `qansatz-mps`,
//! `qfile`); nothing re-implements them. Layout: [`convert`] (arrays and settings at the
//! boundary), [`data`] (IDX and MNIST), [`codec`] (encodings and decoding), [`evaluate`] (FID),
//! [`model`] (`ModelConfig`, `DiffusionModel`).

use pyo3::prelude::*;

pub mod codec;
pub mod convert;
pub mod data;
pub mod evaluate;
pub mod model;

/// Adds the diffusion classes and functions to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<model::PyModelConfig>()?;
    m.add_class::<model::DiffusionModel>()?;
    m.add_class::<codec::Autoencoder>()?;
    m.add_class::<evaluate::Classifier>()?;
    m.add_class::<evaluate::Evaluator>()?;
    m.add_function(wrap_pyfunction!(model::default_train_settings, m)?)?;
    m.add_function(wrap_pyfunction!(codec::decode, m)?)?;
    m.add_function(wrap_pyfunction!(codec::encode_amplitudes, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate::fid, m)?)?;
    m.add_function(wrap_pyfunction!(data::load_mnist, m)?)?;
    m.add_function(wrap_pyfunction!(data::read_idx, m)?)?;
    m.add_function(wrap_pyfunction!(data::write_idx, m)?)?;
    Ok(())
}
