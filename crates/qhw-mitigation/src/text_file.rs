//! Reading a whole text file (a calibration or a readout case) after checking its length.

use std::path::Path;

use crate::error::{Error, Result};

/// The text of `path`: [`Error::FileTooLarge`] if it is over `limit` bytes, [`Error::File`] if
/// it cannot be read or is not UTF-8.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String> {
    let shown = || path.display().to_string();
    let bytes = qfile::read_limited(path, limit).map_err(|e| match e {
        qfile::Error::FileTooLarge { len, limit, .. } => {
            Error::FileTooLarge { path: shown(), len, limit }
        }
        other => Error::File { path: shown(), reason: other.to_string() },
    })?;
    String::from_utf8(bytes).map_err(|e| Error::File { path: shown(), reason: e.to_string() })
}
