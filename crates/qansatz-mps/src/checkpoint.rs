//! Framed, checksummed, atomically written files for parameters and training state.
//!
//! Layout: 8-byte magic, format version (u32 LE), payload length (u64 LE), FNV-1a 64 checksum
//! of the payload (u64 LE), then the payload (bincode of a serde value). Writing goes to a
//! temporary file in the same directory, which is synced and renamed over the target, so a crash
//! leaves either the old file or the new one, never half of one.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::embedding::{ConditionalAnsatz, ConditionalConfig};
use crate::error::{Error, Result};

const HEADER: usize = 8 + 4 + 8 + 8;

/// Magic of parameter files written by [`save_params`].
pub const PARAMS_MAGIC: [u8; 8] = *b"QDIFFPAR";

/// Current version of the parameter file format.
pub const PARAMS_VERSION: u32 = 1;

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), source }
}

/// Writes `bytes` to `path` atomically (temporary file, sync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable where the platform allows it.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_error(path, e)
    })
}

/// Serialises `value` in a framed file with `magic` and `version`, atomically.
pub fn save<T: Serialize>(path: &Path, magic: [u8; 8], version: u32, value: &T) -> Result<()> {
    let payload =
        bincode::serde::encode_to_vec(value, bincode::config::standard()).map_err(|e| {
            Error::BadFile { path: path.display().to_string(), reason: format!("encode: {e}") }
        })?;
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.extend_from_slice(&magic);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&fnv1a(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    write_atomic(path, &bytes)
}

/// Reads a framed file, checking magic, version, length and checksum before decoding.
pub fn load<T: DeserializeOwned>(path: &Path, magic: [u8; 8], version: u32) -> Result<T> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    let bad = |reason: String| Error::BadFile { path: path.display().to_string(), reason };
    if bytes.len() < HEADER {
        return Err(bad(format!("truncated: {} bytes, the header alone is {HEADER}", bytes.len())));
    }
    if bytes[..8] != magic {
        return Err(bad(format!(
            "wrong magic {:?}, expected {:?}",
            &bytes[..8],
            std::str::from_utf8(&magic).unwrap_or("?")
        )));
    }
    let found = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if found != version {
        return Err(bad(format!("format version {found}, this build reads version {version}")));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes")) as usize;
    let checksum = u64::from_le_bytes(bytes[20..28].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER..];
    if payload.len() != len {
        return Err(bad(format!(
            "truncated or padded: payload is {} bytes, header says {len}",
            payload.len()
        )));
    }
    if fnv1a(payload) != checksum {
        return Err(bad("checksum mismatch: the file is corrupt".into()));
    }
    let (value, used) = bincode::serde::decode_from_slice(payload, bincode::config::standard())
        .map_err(|e| bad(format!("decode: {e}")))?;
    if used != len {
        return Err(bad(format!("{} trailing bytes after the payload", len - used)));
    }
    Ok(value)
}

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
    save(
        path,
        PARAMS_MAGIC,
        PARAMS_VERSION,
        &ParameterFile { config: model.config(), params: params.to_vec() },
    )
}

/// Loads a model and its parameters, checking the parameter count against the configuration.
pub fn load_params(path: &Path) -> Result<(ConditionalAnsatz, Vec<f64>)> {
    let file: ParameterFile = load(path, PARAMS_MAGIC, PARAMS_VERSION)?;
    let model = ConditionalAnsatz::from_config(&file.config)?;
    if file.params.len() != model.num_params() {
        return Err(Error::BadFile {
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
