//! The pixel DDPM baseline's model files (`qdiffusion::baseline::model::Ddpm`'s framed format,
//! decoded and validated), framed or raw (see `qdiff_fuzz::framed_or_raw`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qdecoder::checkpoint::Checkpoint;
use qdiff_fuzz::{framed_or_raw, input_path};
use qdiffusion::baseline::model::Ddpm;

fuzz_target!(|data: &[u8]| {
    let format = <Ddpm as Checkpoint>::FORMAT;
    let _ = format.decode::<Ddpm>(&framed_or_raw(&format, data), input_path());
});
