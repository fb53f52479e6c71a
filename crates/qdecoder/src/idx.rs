//! The IDX file format of MNIST: reading (raw or gzip) and writing unsigned-byte arrays.
//!
//! An IDX file is a 4-byte magic number `00 00 TT NN` (element type `TT`, `NN` dimensions), `NN`
//! big-endian `u32` dimension sizes, then the elements in row-major order. MNIST and every sample
//! set this workspace writes use unsigned bytes (`TT = 0x08`), the only element type read here.
//! Files are recognised as gzip by their content (`1f 8b`), not by their name.

use std::io::Read;
use std::path::Path;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::error::{Error, Result};
use qfile::{OverLimit, write_atomic};

/// The IDX element type code of unsigned bytes.
const TYPE_U8: u8 = 0x08;

/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The most items (the first dimension: images or labels) an IDX file may declare: 10 million,
/// about 140 times MNIST's 70 000.
pub const MAX_IDX_ITEMS: u64 = 10_000_000;

/// The most elements (bytes of data, the product of all dimensions) an IDX file may declare:
/// 2^30, about 20 times the 47 million of MNIST's training images.
pub const MAX_IDX_ELEMENTS: u64 = 1 << 30;

/// The longest IDX header: the magic number and 255 dimension sizes.
const MAX_IDX_HEADER_BYTES: u64 = 4 + 4 * 255;

/// The longest file [`IdxArray::read`] reads (compressed or not): a header and
/// [`MAX_IDX_ELEMENTS`] bytes of data.
pub const MAX_IDX_FILE_BYTES: u64 = MAX_IDX_HEADER_BYTES + MAX_IDX_ELEMENTS;

/// An n-dimensional array of unsigned bytes as stored in an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    dims: Vec<usize>,
    data: Vec<u8>,
}

impl IdxArray {
    /// Wraps `data` with shape `dims`, checking that the sizes agree.
    pub fn new(dims: Vec<usize>, data: Vec<u8>) -> Result<Self> {
        if dims.is_empty() || dims.len() > 255 {
            return Err(Error::InvalidConfig {
                field: "dims",
                reason: format!("an IDX array has 1 to 255 dimensions, got {}", dims.len()),
            });
        }
        if let Some(&d) = dims.iter().find(|&&d| u32::try_from(d).is_err()) {
            return Err(Error::InvalidConfig {
                field: "dims",
                reason: format!("dimension {d} does not fit the 32-bit IDX header"),
            });
        }
        let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        match expected {
            Some(n) if n == data.len() => Ok(IdxArray { dims, data }),
            _ => Err(Error::DimensionMismatch {
                what: "IDX array elements",
                expected: expected.unwrap_or(usize::MAX),
                got: data.len(),
            }),
        }
    }

    /// The dimension sizes, outermost first.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Splits the array into its dimensions and elements.
    pub fn into_parts(self) -> (Vec<usize>, Vec<u8>) {
        (self.dims, self.data)
    }

    /// Reads an IDX file of unsigned bytes, gzip-compressed or raw.
    ///
    /// Errors name the file: [`Error::Io`] if it cannot be read, [`Error::File`] if it is over
    /// [`MAX_IDX_FILE_BYTES`], and those of [`from_file_bytes`](Self::from_file_bytes).
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let raw = qfile::read_limited(path, MAX_IDX_FILE_BYTES).map_err(|e| match e {
            qfile::Error::Io { path, source } => Error::Io { path, source },
            other => Error::File(other),
        })?;
        Self::from_file_bytes(&raw, path)
    }

    /// Parses the bytes of an IDX file, gzip-compressed (recognised by its first two bytes,
    /// `1f 8b`) or raw; `path` only labels errors.
    ///
    /// Errors: [`Error::Gzip`] for a corrupt or cut-off gzip stream, [`Error::TooLarge`] for a
    /// stream that decompresses to more than an IDX file within the limits can hold, and those
    /// of [`parse`](Self::parse).
    pub fn from_file_bytes(raw: &[u8], path: &Path) -> Result<Self> {
        if !raw.starts_with(&GZIP_MAGIC) {
            return Self::parse(raw, path);
        }
        let limit = MAX_IDX_HEADER_BYTES + MAX_IDX_ELEMENTS;
        let mut bytes = Vec::new();
        MultiGzDecoder::new(raw)
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Gzip { path: path.to_path_buf(), source })?;
        let what = || format!("{}: gzip stream decompresses to at least", path.display());
        OverLimit::check(what, bytes.len() as u64, "bytes", limit)?;
        Self::parse(&bytes, path)
    }

    /// Parses the bytes of an (uncompressed) IDX file; `path` only labels errors.
    ///
    /// The header is checked against [`MAX_IDX_ITEMS`] and [`MAX_IDX_ELEMENTS`]
    /// ([`Error::TooLarge`]) before the data is copied.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let invalid =
            |reason: String| Error::InvalidFile { path: path.to_path_buf(), format: "IDX", reason };
        if bytes.len() < 4 {
            return Err(invalid(format!("{} bytes, too short for the magic number", bytes.len())));
        }
        if bytes[0] != 0 || bytes[1] != 0 {
            return Err(invalid(format!(
                "bad magic number {:02x} {:02x} {:02x} {:02x} (expected 00 00 08 NN)",
                bytes[0], bytes[1], bytes[2], bytes[3]
            )));
        }
        if bytes[2] != TYPE_U8 {
            return Err(invalid(format!(
                "element type 0x{:02x} is not supported (only unsigned bytes, 0x08)",
                bytes[2]
            )));
        }
        let ndims = usize::from(bytes[3]);
        if ndims == 0 {
            return Err(invalid("zero dimensions".into()));
        }
        let header_len = 4 + 4 * ndims;
        if bytes.len() < header_len {
            return Err(invalid(format!(
                "{} bytes, too short for a header of {ndims} dimensions",
                bytes.len()
            )));
        }
        let dims: Vec<usize> = bytes[4..header_len]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
            .collect();
        let header = || format!("{}: IDX header declares", path.display());
        OverLimit::check(header, dims[0] as u64, "items", MAX_IDX_ITEMS)?;
        // Saturating: a product past u64 is past the limit too.
        let expected = dims.iter().fold(1u64, |acc, &d| acc.saturating_mul(d as u64));
        OverLimit::check(header, expected, "elements", MAX_IDX_ELEMENTS)?;
        let found = (bytes.len() - header_len) as u64;
        if found < expected {
            return Err(Error::Truncated { path: path.to_path_buf(), expected, found });
        }
        if found > expected {
            return Err(invalid(format!(
                "{} bytes after the data announced by dimensions {dims:?}",
                found - expected
            )));
        }
        Ok(IdxArray { dims, data: bytes[header_len..].to_vec() })
    }

    /// Serialises the array to IDX bytes (uncompressed).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 4 * self.dims.len() + self.data.len());
        // `new` and `parse` guarantee 1..=255 dimensions that each fit in u32.
        out.extend_from_slice(&[0, 0, TYPE_U8, self.dims.len() as u8]);
        for &d in &self.dims {
            out.extend_from_slice(&(d as u32).to_be_bytes());
        }
        out.extend_from_slice(&self.data);
        out
    }

    /// Writes the array to `path` atomically, gzip-compressed if the name ends in `.gz`.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes();
        if path.extension().is_some_and(|e| e == "gz") {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
            std::io::Write::write_all(&mut encoder, &bytes).map_err(|e| Error::io(path, e))?;
            let compressed = encoder.finish().map_err(|e| Error::io(path, e))?;
            Ok(write_atomic(path, &compressed)?)
        } else {
            Ok(write_atomic(path, &bytes)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_bytes() {
        let a = IdxArray::new(vec![2, 3], vec![1, 2, 3, 4, 5, 6]).unwrap();
        let b = IdxArray::parse(&a.to_bytes(), Path::new("mem")).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_inconsistent_shapes() {
        assert!(IdxArray::new(vec![2, 3], vec![0; 5]).is_err());
        assert!(IdxArray::new(vec![], vec![]).is_err());
    }

    #[test]
    fn parse_errors_are_typed() {
        let p = Path::new("x.idx");
        let good = IdxArray::new(vec![2, 2], vec![0; 4]).unwrap().to_bytes();
        let truncated = &good[..good.len() - 1];
        assert!(matches!(IdxArray::parse(truncated, p), Err(Error::Truncated { .. })));
        let mut magic = good.clone();
        magic[0] = 1;
        assert!(matches!(IdxArray::parse(&magic, p), Err(Error::InvalidFile { .. })));
        let mut kind = good.clone();
        kind[2] = 0x0d;
        assert!(matches!(IdxArray::parse(&kind, p), Err(Error::InvalidFile { .. })));
        let mut extra = good;
        extra.push(0);
        assert!(matches!(IdxArray::parse(&extra, p), Err(Error::InvalidFile { .. })));
        assert!(matches!(IdxArray::parse(&[0, 0], p), Err(Error::InvalidFile { .. })));
    }

    /// A header of dimensions `dims` with no data after it.
    fn header(dims: &[u32]) -> Vec<u8> {
        let mut bytes = vec![0, 0, TYPE_U8, dims.len() as u8];
        dims.iter().for_each(|d| bytes.extend_from_slice(&d.to_be_bytes()));
        bytes
    }

    #[test]
    fn a_header_declaring_too_many_items_names_the_limit() {
        let err = IdxArray::parse(&header(&[u32::MAX, 28, 28]), Path::new("x.idx")).unwrap_err();
        assert!(
            matches!(&err, Error::TooLarge(l) if l.found == 4294967295 && l.limit == MAX_IDX_ITEMS)
        );
        assert_eq!(err.to_string(), "x.idx: IDX header declares 4294967295 items (limit 10000000)");
    }

    #[test]
    fn a_header_declaring_too_many_elements_names_the_limit() {
        // Few items, but 2^32 * 2^32 * 1000 elements: the product saturates.
        let err =
            IdxArray::parse(&header(&[1000, u32::MAX, u32::MAX]), Path::new("x.idx")).unwrap_err();
        assert!(matches!(&err, Error::TooLarge(l) if l.unit == "elements" && l.found == u64::MAX));
        let err = IdxArray::parse(&header(&[1 << 20, 1 << 11]), Path::new("x.idx")).unwrap_err();
        assert!(matches!(&err, Error::TooLarge(l) if l.found == 0x8000_0000), "{err}");
    }

    #[test]
    fn a_gzip_stream_that_decompresses_past_the_limit_is_refused() {
        // 2^30 + 1100 zero bytes compress to about a megabyte.
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..1025 {
            std::io::Write::write_all(&mut encoder, &zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        let err = IdxArray::from_file_bytes(&bomb, Path::new("bomb.gz")).unwrap_err();
        assert!(matches!(&err, Error::TooLarge(l) if l.unit == "bytes"), "{err}");
    }

    #[test]
    fn gzip_is_recognised_by_content() {
        let a = IdxArray::new(vec![2, 2], vec![1, 2, 3, 4]).unwrap();
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        std::io::Write::write_all(&mut encoder, &a.to_bytes()).unwrap();
        let gz = encoder.finish().unwrap();
        assert_eq!(IdxArray::from_file_bytes(&gz, Path::new("no-extension")).unwrap(), a);
        assert_eq!(IdxArray::from_file_bytes(&a.to_bytes(), Path::new("x.gz")).unwrap(), a);
    }

    #[test]
    fn a_file_over_the_read_limit_is_refused_before_reading() {
        let path = std::env::temp_dir().join(format!("qdecoder-big-{}.idx", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_IDX_FILE_BYTES + 1).unwrap(); // sparse: no disk space is used
        let err = IdxArray::read(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(err, Error::File(qfile::Error::FileTooLarge { .. })), "{err}");
    }
}
