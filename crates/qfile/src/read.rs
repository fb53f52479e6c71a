//! Reading whole files with a size limit checked before anything is allocated.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest file [`read_limited`] is asked to read by the framed format's
/// [`load`](crate::Format::load): 1 GiB, far above the largest model or checkpoint of the
/// workspace (the U-Net DDPM is tens of megabytes), so a path pointing at the wrong file fails
/// fast instead of filling memory.
pub const MAX_FRAMED_FILE_LEN: u64 = 1 << 30;

/// The bytes of `path`, or [`Error::FileTooLarge`] if it holds more than `limit` bytes.
///
/// The length is checked from the file's metadata before reading, and the read itself stops
/// after `limit + 1` bytes, so a file that grows (or a device file that reports no size) cannot
/// make it allocate more.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let declared = file.metadata().map_err(io)?.len();
    let too_large = |len| Error::FileTooLarge { path: path.to_path_buf(), len, limit };
    if declared > limit {
        return Err(too_large(declared));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_within_the_limit_and_refuses_a_longer_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ten.bin");
        std::fs::write(&path, [7u8; 10]).unwrap();
        assert_eq!(read_limited(&path, 10).unwrap(), [7u8; 10]);
        let err = read_limited(&path, 9).unwrap_err();
        assert!(matches!(err, Error::FileTooLarge { len: 10, limit: 9, .. }), "{err}");
        assert!(err.to_string().contains("10 bytes (limit 9)"), "{err}");
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read_limited(&dir.path().join("none"), 1), Err(Error::Io { .. })));
    }
}
