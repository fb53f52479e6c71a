//! Training checkpoints of `qdiffusion` (`qdiffusion::train::CheckpointFile::decode`), framed or
//! raw (see `qdiff_fuzz::framed_or_raw`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qdiff_fuzz::{framed_or_raw, input_path};
use qdiffusion::train::{CHECKPOINT_FORMAT, CheckpointFile};

fuzz_target!(|data: &[u8]| {
    let _ = CheckpointFile::decode(&framed_or_raw(&CHECKPOINT_FORMAT, data), input_path());
});
