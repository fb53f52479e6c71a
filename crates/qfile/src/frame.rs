//! The framed file: one format for every model, parameter set and checkpoint of the workspace.
//!
//! Layout (integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 0..8 | magic: eight bytes naming the kind of file |
//! | 8..12 | format version (`u32`) |
//! | 12..20 | payload length in bytes (`u64`) |
//! | 20..28 | [`Fingerprint`](crate::Fingerprint) (FNV-1a 64) of the payload (`u64`) |
//! | 28.. | payload: a serde value, bincode 2 (standard configuration) |
//!
//! The magic tells kinds of files apart before anything is decoded; the version lets a reader
//! refuse what it does not understand; the length catches truncation before decoding starts;
//! the checksum catches corruption that would still decode (a flipped bit in a weight). Files
//! are written with [`write_atomic`], so a crash leaves the old file or the new one.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::atomic::write_atomic;
use crate::error::{Error, Result};
use crate::fingerprint::fingerprint;
use crate::read::{MAX_FRAMED_FILE_LEN, read_limited};

/// Bytes before the payload.
pub const HEADER_LEN: usize = 28;

/// One kind of framed file: its magic, the version this build writes and reads, and a name for
/// messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    magic: [u8; 8],
    version: u32,
    name: &'static str,
}

impl Format {
    /// A format with `magic`, at `version`, called `name` in errors ("qdecoder classifier").
    pub const fn new(magic: [u8; 8], version: u32, name: &'static str) -> Self {
        Self { magic, version, name }
    }

    /// The magic bytes.
    pub fn magic(&self) -> [u8; 8] {
        self.magic
    }

    /// The version this build writes and reads.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The name used in errors.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The framed bytes of `value`.
    pub fn encode<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>> {
        let payload = bincode::serde::encode_to_vec(value, bincode::config::standard())
            .map_err(|e| Error::Encode { format: self.name, reason: e.to_string() })?;
        Ok(self.frame(&payload))
    }

    /// `payload` behind this format's header (magic, version, its length and checksum), as
    /// [`decode`](Self::decode) expects; fuzzers use it to reach the payload decoder with
    /// arbitrary payloads.
    pub fn frame(&self, payload: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
        bytes.extend_from_slice(&self.magic);
        bytes.extend_from_slice(&self.version.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&fingerprint(payload).to_le_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    /// Parses framed bytes, checking magic, version, length and checksum before decoding;
    /// `path` only labels errors.
    pub fn decode<T: DeserializeOwned>(&self, bytes: &[u8], path: &Path) -> Result<T> {
        let path_buf = || path.to_path_buf();
        let prefix = &bytes[..bytes.len().min(self.magic.len())];
        if prefix != &self.magic[..prefix.len()] {
            return Err(Error::WrongMagic {
                path: path_buf(),
                format: self.name,
                expected: self.magic,
                found: prefix.to_vec(),
            });
        }
        let Some((header, payload)) = bytes.split_first_chunk::<HEADER_LEN>() else {
            return Err(Error::Truncated {
                path: path_buf(),
                format: self.name,
                expected: HEADER_LEN as u64,
                found: bytes.len() as u64,
            });
        };
        let word = |range: std::ops::Range<usize>| -> u64 {
            header[range].iter().rev().fold(0, |acc, &b| (acc << 8) | u64::from(b))
        };
        let version = word(8..12) as u32;
        if version != self.version {
            return Err(Error::UnsupportedVersion {
                path: path_buf(),
                format: self.name,
                found: version,
                supported: self.version,
            });
        }
        let expected = word(12..20);
        let found = payload.len() as u64;
        if found < expected {
            return Err(Error::Truncated {
                path: path_buf(),
                format: self.name,
                // A damaged length field can be near u64::MAX.
                expected: (HEADER_LEN as u64).saturating_add(expected),
                found: bytes.len() as u64,
            });
        }
        if found > expected {
            return Err(Error::TrailingBytes {
                path: path_buf(),
                format: self.name,
                extra: found - expected,
            });
        }
        if fingerprint(payload) != word(20..28) {
            return Err(Error::ChecksumMismatch { path: path_buf(), format: self.name });
        }
        let decode_error =
            |reason: String| Error::Decode { path: path_buf(), format: self.name, reason };
        let (value, used) = bincode::serde::decode_from_slice(payload, bincode::config::standard())
            .map_err(|e| decode_error(e.to_string()))?;
        if used != payload.len() {
            return Err(decode_error(format!("{} payload bytes left over", payload.len() - used)));
        }
        Ok(value)
    }

    /// Writes `value` to `path` atomically.
    pub fn save<T: Serialize + ?Sized>(&self, path: &Path, value: &T) -> Result<()> {
        write_atomic(path, &self.encode(value)?)
    }

    /// Reads a value written by [`save`](Self::save): [`read_limited`] to
    /// [`MAX_FRAMED_FILE_LEN`] bytes, then [`decode`](Self::decode).
    pub fn load<T: DeserializeOwned>(&self, path: &Path) -> Result<T> {
        self.decode(&read_limited(path, MAX_FRAMED_FILE_LEN)?, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FORMAT: Format = Format::new(*b"TESTFILE", 3, "test file");

    fn bytes() -> Vec<u8> {
        FORMAT.encode(&vec![1.5f32, -2.25, 3.0]).unwrap()
    }

    fn decode(bytes: &[u8]) -> Result<Vec<f32>> {
        FORMAT.decode(bytes, Path::new("model.bin"))
    }

    #[test]
    fn round_trips() {
        assert_eq!(decode(&bytes()).unwrap(), [1.5, -2.25, 3.0]);
    }

    #[test]
    fn damage_is_a_typed_error() {
        let good = bytes();
        let other = Format::new(*b"OTHERFMT", 3, "other").encode(&vec![1.5f32]).unwrap();
        assert!(matches!(decode(&other), Err(Error::WrongMagic { .. })));
        assert!(matches!(decode(b"PNG"), Err(Error::WrongMagic { .. })));
        assert!(matches!(decode(&good[..5]), Err(Error::Truncated { expected: 28, .. })));
        assert!(matches!(decode(&good[..good.len() - 2]), Err(Error::Truncated { .. })));
        let mut longer = good.clone();
        longer.push(0);
        assert!(matches!(decode(&longer), Err(Error::TrailingBytes { extra: 1, .. })));
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x10;
        assert!(matches!(decode(&flipped), Err(Error::ChecksumMismatch { .. })));
        let mut version = good.clone();
        version[8] = 99;
        assert!(matches!(decode(&version), Err(Error::UnsupportedVersion { found: 99, .. })));
        // A valid frame around a payload of another type.
        let text = FORMAT.encode("not floats").unwrap();
        assert!(matches!(decode(&text), Err(Error::Decode { .. })));
    }

    #[test]
    fn errors_name_the_file_and_the_format() {
        let message = decode(b"PNG").unwrap_err().to_string();
        assert!(message.contains("model.bin") && message.contains("test file"), "{message}");
    }

    proptest! {
        /// Arbitrary bytes, or a valid file with arbitrary damage, never panic.
        #[test]
        fn any_bytes_give_a_value_or_an_error(
            noise in prop::collection::vec(any::<u8>(), 0..64),
            cut in 0usize..64,
            at in any::<prop::sample::Index>(),
            flip in any::<u8>(),
        ) {
            let _ = decode(&noise);
            let mut damaged = bytes();
            let i = at.index(damaged.len());
            damaged[i] ^= flip;
            damaged.truncate(damaged.len().saturating_sub(cut % 8));
            let _ = decode(&damaged);
        }
    }
}
