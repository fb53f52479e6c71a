//! The model files of `qdecoder` (network, classifier, encoder, decoder, autoencoder): the first
//! byte picks the model, the rest is framed or raw (see `qdiff_fuzz::framed_or_raw`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qdecoder::autoencoder::Autoencoder;
use qdecoder::checkpoint::Checkpoint;
use qdecoder::classifier::Classifier;
use qdecoder::decoder::Decoder;
use qdecoder::encoder::Encoder;
use qdecoder::nn::network::Sequential;
use qdiff_fuzz::{framed_or_raw, input_path};

/// Decodes `data` as a `T` model file.
fn decode<T: Checkpoint>(data: &[u8]) {
    let _ = T::FORMAT.decode::<T>(&framed_or_raw(&T::FORMAT, data), input_path());
}

fuzz_target!(|data: &[u8]| {
    let Some((model, rest)) = data.split_first() else { return };
    match model % 5 {
        0 => decode::<Sequential>(rest),
        1 => decode::<Classifier>(rest),
        2 => decode::<Encoder>(rest),
        3 => decode::<Decoder>(rest),
        _ => decode::<Autoencoder>(rest),
    }
});
