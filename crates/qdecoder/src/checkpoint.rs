//! Model files: every model of this crate (and the classical models built on it) is stored in
//! the workspace's framed format ([`qfile::Format`]: magic, version, length, FNV-1a checksum,
//! bincode payload), written atomically. Each kind of model has its own magic, so loading a
//! file of another kind is a typed error that names both, before anything is decoded.

use std::path::Path;

use qfile::Format;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The format of a bare [`Sequential`](crate::nn::network::Sequential) network.
pub const NETWORK_FORMAT: Format = Format::new(*b"QDECNETW", 1, "qdecoder network");

/// The format of a [`Classifier`](crate::classifier::Classifier).
pub const CLASSIFIER_FORMAT: Format = Format::new(*b"QDECCLAS", 1, "qdecoder classifier");

/// The format of an [`Encoder`](crate::encoder::Encoder).
pub const ENCODER_FORMAT: Format = Format::new(*b"QDECENCO", 1, "qdecoder encoder");

/// The format of a [`Decoder`](crate::decoder::Decoder).
pub const DECODER_FORMAT: Format = Format::new(*b"QDECDECO", 1, "qdecoder decoder");

/// The format of an [`Autoencoder`](crate::autoencoder::Autoencoder).
pub const AUTOENCODER_FORMAT: Format = Format::new(*b"QDECAUTO", 1, "qdecoder autoencoder");

/// A model that can be stored in a model file.
pub trait Checkpoint: Serialize + DeserializeOwned {
    /// Its file format (magic, version, name).
    const FORMAT: Format;

    /// Writes the model to `path` atomically (temporary file + rename).
    fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(Self::FORMAT.save(path.as_ref(), self)?)
    }

    /// Reads a model written by [`save`](Self::save).
    fn load(path: impl AsRef<Path>) -> Result<Self> {
        Ok(Self::FORMAT.load(path.as_ref())?)
    }
}

/// Whether a `load_or_train` call found a usable cached model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheStatus {
    /// The cached model was loaded.
    Loaded,
    /// A model was trained and cached; `reason` says why the cache was not used.
    Trained {
        /// Why the cache could not be used (missing, stale or unreadable).
        reason: String,
    },
}

/// Loads the model cached at `path` unless `stale` objects to it (returning why), otherwise
/// runs `train` and caches the result atomically.
///
/// An unreadable cache (corrupt, truncated, from another format version) is not an error: the
/// model is derived data, so it is retrained and the reason is reported in the [`CacheStatus`].
/// Failing to write the new cache is an error. `train` may fail with the caller's own error
/// type `E` (any that a qdecoder [`Error`] converts into), which is returned unchanged.
pub fn load_or_train<T: Checkpoint, E: From<Error>>(
    path: &Path,
    stale: impl FnOnce(&T) -> Option<String>,
    train: impl FnOnce() -> std::result::Result<T, E>,
) -> std::result::Result<(T, CacheStatus), E> {
    let reason = if path.exists() {
        match T::load(path) {
            Ok(model) => match stale(&model) {
                None => return Ok((model, CacheStatus::Loaded)),
                Some(reason) => reason,
            },
            Err(e) => format!("the cache is unreadable ({e})"),
        }
    } else {
        format!("no cached model at {}", path.display())
    };
    let model = train()?;
    model.save(path)?;
    Ok((model, CacheStatus::Trained { reason }))
}
