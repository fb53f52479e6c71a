//! The error type of `qfile`: every variant names the file and what is wrong with it.

use std::path::PathBuf;

use thiserror::Error;

/// What can go wrong writing or reading a file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused to read the file.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An atomic write failed (the folder is read-only, full, or cannot be created); the file
    /// that was there is untouched.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is longer than the reader accepts (see [`read_limited`](crate::read_limited)).
    #[error("{path}: the file is {len} bytes (limit {limit})")]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its length in bytes (at least `limit + 1` if it grew while being read).
        len: u64,
        /// The most bytes the reader accepts.
        limit: u64,
    },
    /// The path has no file name (it ends in `..` or is a root).
    #[error("{path}: not a file path")]
    NotAFilePath {
        /// The path.
        path: PathBuf,
    },
    /// The file does not start with this format's magic bytes: it is another kind of file.
    #[error("{path}: not a {format} (starts with {found:?}, expected {expected:?})", found = String::from_utf8_lossy(found), expected = String::from_utf8_lossy(expected))]
    WrongMagic {
        /// The file.
        path: PathBuf,
        /// The format that was expected.
        format: &'static str,
        /// Its magic bytes.
        expected: [u8; 8],
        /// The first bytes of the file (fewer than eight if the file is shorter).
        found: Vec<u8>,
    },
    /// The file was written in a version of the format this build does not read.
    #[error("{path}: {format} version {found}, this build reads version {supported}")]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The format.
        format: &'static str,
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The file ends before its header or payload does (an interrupted copy).
    #[error("{path}: truncated {format}: {found} bytes where {expected} were expected")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The format.
        format: &'static str,
        /// Bytes the header promises (or the header's own length).
        expected: u64,
        /// Bytes there are.
        found: u64,
    },
    /// The file goes on after the payload its header announces.
    #[error("{path}: {extra} unexpected bytes after the payload of a {format}")]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// The format.
        format: &'static str,
        /// How many bytes too many.
        extra: u64,
    },
    /// The payload does not match its checksum: the file is corrupt.
    #[error("{path}: the {format} is corrupt (payload checksum mismatch)")]
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// The format.
        format: &'static str,
    },
    /// The payload has the right checksum but does not decode as the expected value (written by
    /// a different program, or a different version of the stored type).
    #[error("{path}: the payload of the {format} does not decode: {reason}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// The format.
        format: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// A value could not be serialised.
    #[error("cannot encode a {format}: {reason}")]
    Encode {
        /// The format.
        format: &'static str,
        /// The encoder's message.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`](enum@Error).
pub type Result<T> = std::result::Result<T, Error>;
