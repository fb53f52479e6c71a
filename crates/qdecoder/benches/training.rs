//! Training throughput (images per second) of the FID classifier, the decoders and the
//! autoencoder, each for one epoch over 1,024 MNIST training images with the default network
//! sizes and batch size.
//!
//! ```sh
//! cargo bench -p qdecoder --bench training
//! ```

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qdecoder::autoencoder::{Autoencoder, AutoencoderConfig};
use qdecoder::classifier::{Classifier, ClassifierConfig};
use qdecoder::dataset::{LabeledImages, Mnist};
use qdecoder::decoder::{Decoder, DecoderConfig};
use qdecoder::encoder::{Encoder, PcaEncoder};
use qdecoder::statistics::StatisticsKind;

const IMAGES: usize = 1024;

fn subset() -> LabeledImages {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    let mnist = Mnist::load(dir).expect("the bundled MNIST subset in data/mnist");
    mnist.train.select(&(0..IMAGES).collect::<Vec<_>>()).expect("1,024 of 8,000 images")
}

fn training(c: &mut Criterion) {
    let data = subset();
    let mut group = c.benchmark_group("training");
    group.sample_size(10);
    group.throughput(Throughput::Elements(IMAGES as u64));

    let mut classifier = ClassifierConfig::default();
    classifier.train.epochs = 1;
    group.bench_function("classifier", |b| {
        b.iter(|| black_box(Classifier::train(&data, &classifier, |_| {}).expect("training")))
    });

    let pca = Encoder::Pca(PcaEncoder::fit(&data.images().to_matrix(), 10, true).expect("PCA"));
    for (name, kind) in [
        ("decoder_bloch_1000shots", StatisticsKind::Bloch),
        ("decoder_born_1000shots", StatisticsKind::Born),
    ] {
        let mut config = DecoderConfig { kind, shots: Some(1000), ..DecoderConfig::default() };
        config.train.epochs = 1;
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(Decoder::train(data.images(), &pca, &config, |_| {}).expect("training"))
            })
        });
    }

    let mut autoencoder = AutoencoderConfig::default();
    autoencoder.train.epochs = 1;
    group.bench_function("autoencoder_1000shots", |b| {
        b.iter(|| {
            black_box(Autoencoder::train(data.images(), &autoencoder, |_| {}).expect("training"))
        })
    });
    group.finish();
}

criterion_group!(benches, training);
criterion_main!(benches);
