//! Inputs found by `cargo xtask fuzz` (target `unet_model`), kept so the bugs stay fixed.

use std::path::Path;

use qddpm_unet::{Error, UnetDdpm};

/// A model file whose configuration has more levels than a `usize` has bits: checking that the
/// levels divide the image side shifted `1` out of range (a panic in debug builds).
#[test]
fn a_model_with_too_many_levels_is_a_typed_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/unet-too-many-levels.bin");
    let err = UnetDdpm::load(&path).unwrap_err();
    assert!(
        matches!(&err, Error::Decoder(qdecoder::Error::File(qfile::Error::Decode { reason, .. }))
            if reason.contains("levels")),
        "{err}"
    );
}
