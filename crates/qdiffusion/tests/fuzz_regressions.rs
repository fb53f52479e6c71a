//! Inputs found by `cargo xtask fuzz` (target `ddpm_baseline_model`), kept so the bugs stay
//! fixed.

use std::path::Path;

use qdiffusion::Error;
use qdiffusion::baseline::model::Ddpm;

/// A model file whose configuration declares 2^57 diffusion steps: the noise schedule was
/// allocated at that length (an allocation-size abort) before anything else was checked.
#[test]
fn a_model_declaring_a_huge_step_count_is_a_typed_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/ddpm-huge-step-count.bin");
    let err = Ddpm::load(&path).unwrap_err();
    assert!(
        matches!(&err, Error::Decoder(qdecoder::Error::File(qfile::Error::Decode { reason, .. }))
            if reason.contains("steps (limit 100000)")),
        "{err}"
    );
}
