//! U-Net DDPM model files of `qddpm-unet` (`UnetDdpm`'s framed format, decoded and validated
//! against its configuration), framed or raw (see `qdiff_fuzz::framed_or_raw`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qddpm_unet::UnetDdpm;
use qdecoder::checkpoint::Checkpoint;
use qdiff_fuzz::{framed_or_raw, input_path};

fuzz_target!(|data: &[u8]| {
    let format = <UnetDdpm as Checkpoint>::FORMAT;
    let _ = format.decode::<UnetDdpm>(&framed_or_raw(&format, data), input_path());
});
