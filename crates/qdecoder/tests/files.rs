//! File handling through the public API: the MNIST loader (gzip, raw, bad files) and model files.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use qdecoder::Error;
use qdecoder::checkpoint::{CacheStatus, Checkpoint, load_or_train};
use qdecoder::dataset::{ImageSet, LabeledImages, Mnist};
use qdecoder::decoder::Decoder;
use qdecoder::encoder::{Encoder, PcaEncoder};
use qdecoder::idx::IdxArray;
use qdecoder::nn::layer::Activation;
use qdecoder::nn::network::Sequential;
use qdecoder::statistics::StatisticsKind;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

/// A fresh directory under the system temp dir, unique per test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qdecoder-test-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Asserts that `result` failed and that its message names `path`.
fn assert_names_file<T: std::fmt::Debug>(result: Result<T, Error>, path: &Path) -> Error {
    let err = result.expect_err("expected an error");
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    assert!(err.to_string().contains(&name), "error `{err}` does not name {name}");
    err
}

#[test]
fn loads_the_bundled_subset() {
    let mnist = Mnist::load(bundled()).unwrap();
    assert_eq!(mnist.train.len(), 8000);
    assert_eq!(mnist.test.len(), 2000);
    // Stratified split: every digit is present in both.
    for split in [&mnist.train, &mnist.test] {
        for digit in 0..10u8 {
            assert!(split.labels().contains(&digit));
        }
    }
}

#[test]
fn loads_raw_files_with_either_spelling() {
    let mnist = Mnist::load(bundled()).unwrap();
    let dir = scratch("raw");
    let small_train = mnist.train.select(&[0, 1, 2]).unwrap();
    let small_test = mnist.test.select(&[5, 6]).unwrap();
    // Raw files, the `.idx3` spelling some mirrors use for the training split.
    small_train.images().write_idx(dir.join("train-images.idx3-ubyte")).unwrap();
    IdxArray::new(vec![3], small_train.labels().to_vec())
        .unwrap()
        .write(dir.join("train-labels.idx1-ubyte"))
        .unwrap();
    small_test.images().write_idx(dir.join("t10k-images-idx3-ubyte")).unwrap();
    IdxArray::new(vec![2], small_test.labels().to_vec())
        .unwrap()
        .write(dir.join("t10k-labels-idx1-ubyte.gz"))
        .unwrap();
    let loaded = Mnist::load(&dir).unwrap();
    assert_eq!(loaded.train, small_train);
    assert_eq!(loaded.test, small_test);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rejects_bad_files_naming_them() {
    let dir = scratch("bad");
    let good = ImageSet::new(vec![7; 2 * 784]).unwrap();
    let good_path = dir.join("good.idx");
    good.write_idx(&good_path).unwrap();
    let bytes = fs::read(&good_path).unwrap();

    let truncated = dir.join("truncated-images.idx");
    fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    let e = assert_names_file(ImageSet::read_idx(&truncated), &truncated);
    assert!(matches!(e, Error::Truncated { expected: 1568, found: 1468, .. }), "{e:?}");

    let truncated_gz = dir.join("truncated-images.idx.gz");
    fs::write(&truncated_gz, gzip(&bytes[..bytes.len() - 100])).unwrap();
    assert!(matches!(
        assert_names_file(ImageSet::read_idx(&truncated_gz), &truncated_gz),
        Error::Truncated { .. }
    ));

    let magic = dir.join("bad-magic.idx");
    let mut m = bytes.clone();
    m[0] = 0x42;
    fs::write(&magic, &m).unwrap();
    assert!(matches!(
        assert_names_file(ImageSet::read_idx(&magic), &magic),
        Error::InvalidFile { .. }
    ));

    let dims = dir.join("wrong-dims.idx");
    IdxArray::new(vec![2, 28, 27], vec![0; 2 * 28 * 27]).unwrap().write(&dims).unwrap();
    assert!(matches!(
        assert_names_file(ImageSet::read_idx(&dims), &dims),
        Error::WrongDimensions { .. }
    ));

    let corrupt = dir.join("corrupt.idx.gz");
    let mut gz = gzip(&bytes);
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 16] {
        *b ^= 0xa5;
    }
    fs::write(&corrupt, &gz).unwrap();
    assert!(matches!(
        assert_names_file(ImageSet::read_idx(&corrupt), &corrupt),
        Error::Gzip { .. }
    ));

    let cut_gz = dir.join("cut.idx.gz");
    let gz = gzip(&bytes);
    fs::write(&cut_gz, &gz[..gz.len() / 2]).unwrap();
    assert!(matches!(assert_names_file(ImageSet::read_idx(&cut_gz), &cut_gz), Error::Gzip { .. }));

    let missing = dir.join("missing.idx");
    assert!(matches!(assert_names_file(ImageSet::read_idx(&missing), &missing), Error::Io { .. }));

    // Labels: wrong count and out-of-range values.
    let labels = dir.join("labels.idx");
    IdxArray::new(vec![3], vec![1, 2, 3]).unwrap().write(&labels).unwrap();
    assert!(matches!(
        assert_names_file(LabeledImages::read_idx(&good_path, &labels), &labels),
        Error::InvalidLabels { .. }
    ));
    IdxArray::new(vec![2], vec![1, 12]).unwrap().write(&labels).unwrap();
    assert!(matches!(
        assert_names_file(LabeledImages::read_idx(&good_path, &labels), &labels),
        Error::InvalidLabels { .. }
    ));

    // A directory without MNIST files names the directory and the names it tried.
    let e = Mnist::load(&dir).unwrap_err();
    assert!(
        matches!(e, Error::MissingFile { .. }) && e.to_string().contains("train-images-idx3-ubyte")
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn models_round_trip_exactly_and_reject_damage() {
    let dir = scratch("models");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let net = Sequential::mlp(&[30, 16, 784], Activation::Relu, &mut rng).unwrap();
    let decoder = Decoder::new(StatisticsKind::Bloch, 10, net.clone()).unwrap();
    let path = dir.join("decoder.bin");
    decoder.save(&path).unwrap();
    assert_eq!(Decoder::load(&path).unwrap(), decoder);

    let net_path = dir.join("net.bin");
    net.save(&net_path).unwrap();
    assert_eq!(Sequential::load(&net_path).unwrap(), net);

    let images = nalgebra::DMatrix::from_fn(784, 50, |_, _| rng.random::<f32>());
    let encoder = Encoder::Pca(PcaEncoder::fit(&images, 4, true).unwrap());
    let enc_path = dir.join("encoder.bin");
    encoder.save(&enc_path).unwrap();
    let back = Encoder::load(&enc_path).unwrap();
    assert_eq!(back, encoder);
    assert_eq!(back.encode(&images).unwrap(), encoder.encode(&images).unwrap());

    // A model of another kind, a truncated file, a flipped bit.
    assert!(matches!(
        assert_names_file(Decoder::load(&net_path), &net_path),
        Error::File(qfile::Error::WrongMagic { .. })
    ));
    let bytes = fs::read(&path).unwrap();
    let cut = dir.join("cut.bin");
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(
        assert_names_file(Decoder::load(&cut), &cut),
        Error::File(qfile::Error::Truncated { .. })
    ));
    let flipped = dir.join("flipped.bin");
    let mut f = bytes.clone();
    let i = f.len() - 5;
    f[i] ^= 1;
    fs::write(&flipped, &f).unwrap();
    assert!(matches!(
        assert_names_file(Decoder::load(&flipped), &flipped),
        Error::File(qfile::Error::ChecksumMismatch { .. })
    ));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn load_or_train_caches_and_retrains_when_unreadable() {
    let dir = scratch("cache");
    let path = dir.join("nested").join("net.bin");
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let net = Sequential::mlp(&[3, 2], Activation::Relu, &mut rng).unwrap();
    let fresh = || -> qdecoder::Result<Sequential> { Ok(net.clone()) };
    let (a, status) = load_or_train(&path, |_: &Sequential| None, fresh).unwrap();
    assert!(matches!(status, CacheStatus::Trained { .. }));
    let never = || -> qdecoder::Result<Sequential> { panic!("must not retrain") };
    let (b, status) = load_or_train(&path, |_: &Sequential| None, never).unwrap();
    assert_eq!(status, CacheStatus::Loaded);
    assert_eq!(a, b);
    // A stale model is retrained, and so is a corrupt file.
    let (_, status) = load_or_train(&path, |_: &Sequential| Some("stale".into()), fresh).unwrap();
    assert_eq!(status, CacheStatus::Trained { reason: "stale".into() });
    fs::write(&path, b"garbage").unwrap();
    let (_, status) = load_or_train(&path, |_: &Sequential| None, fresh).unwrap();
    assert!(matches!(status, CacheStatus::Trained { reason } if reason.contains("unreadable")));
    // A training failure of the caller's own error type comes back unchanged.
    #[derive(Debug, PartialEq)]
    enum Caller {
        Failed(u8),
        File,
    }
    impl From<qdecoder::Error> for Caller {
        fn from(_: qdecoder::Error) -> Self {
            Caller::File
        }
    }
    let failing = || -> Result<Sequential, Caller> { Err(Caller::Failed(7)) };
    let stale = |_: &Sequential| Some("retrain".to_string());
    assert_eq!(load_or_train(&path, stale, failing).unwrap_err(), Caller::Failed(7));
    assert_eq!(Sequential::load(&path).unwrap(), net);
    fs::remove_dir_all(&dir).unwrap();
}
