//! `qfile`: the one home of file formats in the qdiff workspace.
//!
//! - [`atomic`]: [`write_atomic`], so that a crash or a concurrent reader never sees half a file;
//! - [`frame`]: [`Format`], the framed file every model, parameter set and training checkpoint
//!   of the workspace is stored in (magic, version, length, checksum, then a bincode payload);
//! - [`read`]: [`read_limited`], reading a whole file after checking its length against a limit;
//! - [`limit`]: [`OverLimit`], the error of an input that declares more than a documented limit;
//! - [`fingerprint`](mod@fingerprint): [`Fingerprint`], the hash that both checks those
//!   payloads and tells data sets apart in caches;
//! - [`lock`]: [`DirLock`], one process at a time per output folder (a stale lock left by a
//!   killed process is taken over), with its own errors ([`LockError`]).
//!
//! Every crate that writes or reads its own files goes through here, so there is one temporary-
//! file scheme, one header, one checksum and one set of errors ([`Error`]) that name the file and
//! say what is wrong with it. This crate sits at the bottom of the stack next to `qrandom`.
//!
//! ```
//! use qfile::Format;
//! let format = Format::new(*b"EXAMPLE1", 1, "example file");
//! let path = std::env::temp_dir().join(format!("qfile-doc-{}.bin", std::process::id()));
//! format.save(&path, &vec![1.5f64, -2.0])?;
//! let back: Vec<f64> = format.load(&path)?;
//! assert_eq!(back, [1.5, -2.0]);
//! // Another format's reader refuses the file with a typed error naming it.
//! let other = Format::new(*b"EXAMPLE2", 1, "other file");
//! assert!(matches!(other.load::<Vec<f64>>(&path), Err(qfile::Error::WrongMagic { .. })));
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), qfile::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod atomic;
pub mod error;
pub mod fingerprint;
pub mod frame;
pub mod limit;
pub mod lock;
pub mod read;

pub use atomic::{remove_leftovers, write_atomic};
pub use error::{Error, Result};
pub use fingerprint::{Fingerprint, fingerprint};
pub use frame::Format;
pub use limit::OverLimit;
pub use lock::{DirLock, Holder, LockError};
pub use read::{MAX_FRAMED_FILE_LEN, read_limited};
