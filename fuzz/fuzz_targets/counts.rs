//! Counts keyed by bitstrings (`qhw_mitigation::counts::Counts::from_bitstrings` and
//! `parse_bitstring`): the first byte is the outcome width, each further line `BITSTRING SHOTS`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qhw_mitigation::counts::Counts;

fuzz_target!(|data: &[u8]| {
    let Some((&width, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let pairs: Vec<(&str, u64)> = text
        .lines()
        .filter_map(|line| {
            let (key, shots) = line.split_once(' ')?;
            Some((key, shots.trim().parse().ok()?))
        })
        .collect();
    if let Ok(counts) = Counts::from_bitstrings(usize::from(width % 72), pairs) {
        let _ = counts.frequencies();
        let _ = counts.to_bitstrings();
    }
});
