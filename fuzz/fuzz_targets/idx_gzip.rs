//! Gzip-compressed IDX files: gzip is recognised by its first two bytes (`1f 8b`), so inputs
//! without them are skipped and the seeds are compressed slices of MNIST.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qdecoder::idx::IdxArray;
use qdiff_fuzz::input_path;

fuzz_target!(|data: &[u8]| {
    if data.starts_with(&[0x1f, 0x8b]) {
        let _ = IdxArray::from_file_bytes(data, input_path());
    }
});
