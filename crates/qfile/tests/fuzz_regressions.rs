//! Inputs found by `cargo xtask fuzz` (target `qfile_frame`, and the same bug through the
//! `ansatz_params` and `train_checkpoint` targets), kept so the bugs stay fixed.

use std::path::Path;

use qfile::{Error, Format};

/// The format of the `qfile_frame` fuzz target.
const FORMAT: Format = Format::new(*b"QFUZZFRM", 1, "fuzzed frame");

/// A header whose payload length is `u64::MAX`: the expected file length in the
/// [`Error::Truncated`] message overflowed (a panic in debug builds, a wrong number in release).
#[test]
fn a_payload_length_near_u64_max_is_a_truncated_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/frame-length-overflow.bin");
    let bytes = std::fs::read(&path).unwrap();
    let err = FORMAT.decode::<Vec<f64>>(&bytes, &path).unwrap_err();
    assert!(matches!(err, Error::Truncated { expected: u64::MAX, .. }), "{err}");
}
