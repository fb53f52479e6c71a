//! The framed file header of `qfile` (magic, version, length, checksum) around a payload of
//! floats, the commonest payload: `qfile::Format::decode` on the raw bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qdiff_fuzz::input_path;
use qfile::Format;

/// A format for the target (the seeds are written with it).
const FORMAT: Format = Format::new(*b"QFUZZFRM", 1, "fuzzed frame");

fuzz_target!(|data: &[u8]| {
    let _ = FORMAT.decode::<Vec<f64>>(data, input_path());
});
