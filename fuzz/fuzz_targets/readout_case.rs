//! Readout-mitigation case files (`qhw_mitigation::readout_case::ReadoutCase::from_json`), the
//! format of `testdata/rem-reference`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qhw_mitigation::readout_case::ReadoutCase;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ReadoutCase::from_json(text);
    }
});
