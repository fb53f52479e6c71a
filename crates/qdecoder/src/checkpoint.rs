//! Model files: a fixed header (magic, format version, model kind, length, CRC-32) and a bincode
//! payload, written atomically.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 0..8 | magic `QDECODER` |
//! | 8..12 | format version (`u32`) |
//! | 12..16 | model kind (`u32`, see [`ModelKind`]) |
//! | 16..24 | payload length in bytes (`u64`) |
//! | 24..28 | CRC-32 of the payload (`u32`) |
//! | 28.. | payload: the model, serde + bincode 2 (standard configuration) |
//!
//! The checksum catches corruption that would still decode (a flipped bit in a weight); the length
//! catches truncation before decoding starts. Every load error names the file.

use std::fs;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::atomic::write_atomic;
use crate::error::{Error, Result};

/// The eight bytes every qdecoder model file starts with.
pub const MAGIC: [u8; 8] = *b"QDECODER";

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

const HEADER_LEN: usize = 28;

/// What a model file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A bare [`Sequential`](crate::nn::network::Sequential) network.
    Network,
    /// A [`Classifier`](crate::classifier::Classifier).
    Classifier,
    /// An [`Encoder`](crate::encoder::Encoder).
    Encoder,
    /// A [`Decoder`](crate::decoder::Decoder).
    Decoder,
    /// An [`Autoencoder`](crate::autoencoder::Autoencoder) (encoder and decoder).
    Autoencoder,
}

impl ModelKind {
    fn code(self) -> u32 {
        match self {
            ModelKind::Network => 1,
            ModelKind::Classifier => 2,
            ModelKind::Encoder => 3,
            ModelKind::Decoder => 4,
            ModelKind::Autoencoder => 5,
        }
    }

    /// A human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Network => "network",
            ModelKind::Classifier => "classifier",
            ModelKind::Encoder => "encoder",
            ModelKind::Decoder => "decoder",
            ModelKind::Autoencoder => "autoencoder",
        }
    }

    fn from_code(code: u32) -> Option<Self> {
        [
            ModelKind::Network,
            ModelKind::Classifier,
            ModelKind::Encoder,
            ModelKind::Decoder,
            ModelKind::Autoencoder,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

/// A model that can be stored in a checkpoint file.
pub trait Checkpoint: Serialize + DeserializeOwned {
    /// The kind recorded in the header.
    const KIND: ModelKind;

    /// Writes the model to `path` atomically (temporary file + rename).
    fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), &encode(self, Self::KIND)?)
    }

    /// Reads a model written by [`save`](Self::save).
    fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
        decode(&bytes, Self::KIND, path)
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
/// Failing to write the new cache is an error.
pub fn load_or_train<T: Checkpoint>(
    path: &Path,
    stale: impl FnOnce(&T) -> Option<String>,
    train: impl FnOnce() -> Result<T>,
) -> Result<(T, CacheStatus)> {
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

/// Serialises `value` with the checkpoint header.
pub fn encode<T: Serialize + ?Sized>(value: &T, kind: ModelKind) -> Result<Vec<u8>> {
    let payload = bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(|e| Error::Encode { what: kind.name(), reason: e.to_string() })?;
    let mut crc = flate2::Crc::new();
    crc.update(&payload);
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&kind.code().to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Parses checkpoint bytes holding a model of `kind`; `path` only labels errors.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], kind: ModelKind, path: &Path) -> Result<T> {
    let invalid = |reason: String| Error::InvalidFile {
        path: path.to_path_buf(),
        format: "qdecoder checkpoint",
        reason,
    };
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(invalid("bad magic number (not a qdecoder model file)".into()));
    }
    if bytes.len() < HEADER_LEN {
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected: HEADER_LEN as u64,
            found: bytes.len() as u64,
        });
    }
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let version = u32_at(8);
    if version != FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let stored_kind = u32_at(12);
    if stored_kind != kind.code() {
        return Err(Error::WrongModelKind {
            path: path.to_path_buf(),
            expected: kind.name(),
            found: ModelKind::from_code(stored_kind)
                .map_or_else(|| format!("unknown kind {stored_kind}"), |k| k.name().to_string()),
        });
    }
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&bytes[16..24]);
    let expected = u64::from_le_bytes(len_bytes);
    let payload = &bytes[HEADER_LEN..];
    let found = payload.len() as u64;
    if found < expected {
        return Err(Error::Truncated { path: path.to_path_buf(), expected, found });
    }
    if found > expected {
        return Err(invalid(format!("{} unexpected bytes after the payload", found - expected)));
    }
    let mut crc = flate2::Crc::new();
    crc.update(payload);
    if crc.sum() != u32_at(24) {
        return Err(invalid("payload checksum mismatch (the file is corrupt)".into()));
    }
    let (value, used) = bincode::serde::decode_from_slice(payload, bincode::config::standard())
        .map_err(|e| invalid(format!("payload does not decode: {e}")))?;
    if used != payload.len() {
        return Err(invalid(format!("{} payload bytes left undecoded", payload.len() - used)));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_damage() {
        let value: Vec<f32> = vec![1.5, -2.25, 3.0];
        let bytes = encode(&value, ModelKind::Network).unwrap();
        let p = Path::new("model.bin");
        let back: Vec<f32> = decode(&bytes, ModelKind::Network, p).unwrap();
        assert_eq!(back, value);

        assert!(matches!(
            decode::<Vec<f32>>(&bytes, ModelKind::Decoder, p),
            Err(Error::WrongModelKind { .. })
        ));
        assert!(matches!(
            decode::<Vec<f32>>(&bytes[..bytes.len() - 2], ModelKind::Network, p),
            Err(Error::Truncated { .. })
        ));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x10;
        assert!(matches!(
            decode::<Vec<f32>>(&flipped, ModelKind::Network, p),
            Err(Error::InvalidFile { .. })
        ));
        let mut version = bytes.clone();
        version[8] = 99;
        assert!(matches!(
            decode::<Vec<f32>>(&version, ModelKind::Network, p),
            Err(Error::UnsupportedVersion { found: 99, .. })
        ));
        assert!(matches!(
            decode::<Vec<f32>>(b"PNG....", ModelKind::Network, p),
            Err(Error::InvalidFile { .. })
        ));
    }
}
