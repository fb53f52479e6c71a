//! Parameter files: a conditional ansatz and its parameters, in the workspace's framed format
//! ([`qfile::Format`]: magic, version, length, checksum, bincode payload), written atomically.

use std::path::Path;

use qfile::Format;

use crate::embedding::{ConditionalAnsatz, ConditionalConfig};
use crate::error::{Error, Result};

/// The format of parameter files (magic `QDIFFPAR`).
pub const FORMAT: Format = Format::new(*b"QDIFFPAR", 1, "qansatz-mps parameter file");

/// A conditional ansatz and its parameters, as stored on disk.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParameterFile {
    /// The shape, conditioning and number of steps.
    pub config: ConditionalConfig,
    /// The parameter vector (layout: see [`crate::embedding`]).
    pub params: Vec<f64>,
}

/// Saves a model's parameters atomically.
pub fn save_params(path: &Path, model: &ConditionalAnsatz, params: &[f64]) -> Result<()> {
    if params.len() != model.num_params() {
        return Err(Error::DimensionMismatch {
            what: "parameters",
            expected: model.num_params(),
            got: params.len(),
        });
    }
    FORMAT.save(path, &ParameterFile { config: model.config(), params: params.to_vec() })?;
    Ok(())
}

/// Loads a model and its parameters ([`decode_params`] of the file's bytes, read up to
/// [`qfile::MAX_FRAMED_FILE_LEN`]).
pub fn load_params(path: &Path) -> Result<(ConditionalAnsatz, Vec<f64>)> {
    decode_params(&qfile::read_limited(path, qfile::MAX_FRAMED_FILE_LEN)?, path)
}

/// Decodes the bytes of a parameter file, checking the configuration (against the limits of
/// [`ConditionalAnsatz::new`]) and the parameter count; `path` only labels errors.
pub fn decode_params(bytes: &[u8], path: &Path) -> Result<(ConditionalAnsatz, Vec<f64>)> {
    let file: ParameterFile = FORMAT.decode(bytes, path)?;
    let model = ConditionalAnsatz::from_config(&file.config)?;
    if file.params.len() != model.num_params() {
        return Err(Error::InconsistentFile {
            path: path.display().to_string(),
            reason: format!(
                "{} parameters for a model that has {}",
                file.params.len(),
                model.num_params()
            ),
        });
    }
    Ok((model, file.params))
}
