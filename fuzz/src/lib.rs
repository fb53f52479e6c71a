//! What the fuzz targets share.
//!
//! The framed files of `qfile` end their header with a checksum of the payload, so arbitrary
//! bytes almost never get past it to the payload decoder. The checkpoint targets therefore read
//! their input through [`framed_or_raw`]: an even first byte frames the rest as a valid payload
//! (exercising the bincode decoding and the model's own checks), an odd one passes the rest as
//! the whole file (exercising the header checks).

use std::path::Path;

use qfile::Format;

/// The path the targets' errors are labelled with.
pub const INPUT: &str = "fuzz-input";

/// The file bytes a checkpoint target decodes from the fuzzer's `data` (see the crate docs).
pub fn framed_or_raw(format: &Format, data: &[u8]) -> Vec<u8> {
    match data.split_first() {
        Some((selector, rest)) if selector % 2 == 0 => format.frame(rest),
        Some((_, rest)) => rest.to_vec(),
        None => Vec::new(),
    }
}

/// [`INPUT`] as a path.
pub fn input_path() -> &'static Path {
    Path::new(INPUT)
}
