//! Parameter files of `qansatz-mps` (`qansatz_mps::params::decode_params`), framed or raw (see
//! `qdiff_fuzz::framed_or_raw`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qansatz_mps::params::{FORMAT, decode_params};
use qdiff_fuzz::{framed_or_raw, input_path};

fuzz_target!(|data: &[u8]| {
    let _ = decode_params(&framed_or_raw(&FORMAT, data), input_path());
});
