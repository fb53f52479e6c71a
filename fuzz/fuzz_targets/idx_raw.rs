//! Uncompressed IDX files (`qdecoder::idx::IdxArray::from_file_bytes`, which parses anything not
//! starting with the gzip magic as raw IDX).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qdecoder::idx::IdxArray;
use qdiff_fuzz::input_path;

fuzz_target!(|data: &[u8]| {
    if let Ok(array) = IdxArray::from_file_bytes(data, input_path()) {
        assert_eq!(array.to_bytes(), data, "a parsed IDX file writes back identically");
    }
});
