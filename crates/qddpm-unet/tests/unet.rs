//! The U-Net DDPM end to end on small synthetic images: shapes, training, determinism, the
//! model file, sampling.

use candle_core::{Device, Tensor, Var};
use nalgebra::DMatrix;
use qddpm_unet::config::{UnetConfig, UnetDdpmConfig};
use qddpm_unet::model::UnetDdpm;
use qddpm_unet::network::{FreshWeights, Unet};
use qddpm_unet::ops::group_norm_silu;
use qdiffusion::baseline::sample::Sampler;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// `n` images in the model range: a bright square of random size and place on a dark ground.
fn squares(n: usize, seed: u64) -> DMatrix<f32> {
    use rand::RngExt;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = DMatrix::from_element(784, n, -1.0f32);
    for j in 0..n {
        let side = rng.random_range(6..14);
        let (top, left) = (rng.random_range(2..26 - side), rng.random_range(2..26 - side));
        for y in top..top + side {
            for x in left..left + side {
                out[(y * 28 + x, j)] = 1.0;
            }
        }
    }
    out
}

/// A tiny model and schedule that train in a second.
fn tiny() -> UnetDdpmConfig {
    let mut c = UnetDdpmConfig::quick();
    c.steps = 50;
    c.train.batch_size = 16;
    c.train.chunk_size = 8;
    c.train.epochs = 2;
    c
}

#[test]
fn forward_keeps_the_image_shape_and_rejects_bad_input() {
    for network in [
        UnetConfig { patch: 2, channels: vec![8, 16], groups: 4, ..UnetConfig::default() },
        UnetConfig {
            patch: 1,
            channels: vec![4, 8, 8],
            blocks: 2,
            groups: 4,
            ..UnetConfig::default()
        },
    ] {
        let mut fresh = FreshWeights::new(ChaCha8Rng::seed_from_u64(1), false);
        let net = Unet::new(&network, &mut fresh).unwrap();
        let x = Tensor::zeros((3, 28, 28), candle_core::DType::F32, &Device::Cpu).unwrap();
        let y = net.forward(&x, &[1, 500, 1000]).unwrap();
        assert_eq!(y.dims(), &[3, 28, 28]);
        // The output convolution starts at zero: the untrained network predicts no noise.
        assert_eq!(y.abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap(), 0.0);
        assert!(net.forward(&x, &[1, 2]).is_err());
        let wrong = Tensor::zeros((3, 27, 28), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(net.forward(&wrong, &[1, 2, 3]).is_err());
        assert!(net.num_parameters() > 0);
    }
    let bad = [
        UnetConfig { patch: 3, ..UnetConfig::default() },
        UnetConfig { channels: vec![], ..UnetConfig::default() },
        UnetConfig { channels: vec![8, 16, 16], ..UnetConfig::default() }, // 14 / 4 is no integer
        UnetConfig { groups: 5, ..UnetConfig::default() },
        UnetConfig { blocks: 0, ..UnetConfig::default() },
        UnetConfig { time_features: 7, ..UnetConfig::default() },
        // More levels than a usize has bits, and widths whose sums overflow (found by fuzzing).
        UnetConfig { channels: vec![8; 70], ..UnetConfig::default() },
        UnetConfig { channels: vec![usize::MAX, usize::MAX], patch: 14, ..UnetConfig::default() },
    ];
    for c in bad {
        assert!(c.validate().is_err(), "{c:?}");
    }
}

#[test]
fn group_norm_silu_gradients_match_finite_differences() {
    let dev = Device::Cpu;
    let x0: Vec<f32> = (0..2 * 3 * 2 * 4).map(|i| ((i * 37 % 11) as f32 * 0.31).sin()).collect();
    let x = Var::from_vec(x0.clone(), (2, 3, 2, 4), &dev).unwrap();
    let scale = Var::from_vec(vec![1.0f32, 0.5, -0.7, 1.3], 4, &dev).unwrap();
    let shift = Var::from_vec(vec![0.1f32, -0.2, 0.3, 0.0], 4, &dev).unwrap();
    let weights = Tensor::from_vec(
        (0..48).map(|i| ((i * 13 % 7) as f32 - 3.0) * 0.2).collect::<Vec<f32>>(),
        (2, 3, 2, 4),
        &dev,
    )
    .unwrap();
    let objective = |x: &Tensor, s: &Tensor, b: &Tensor| -> f64 {
        let y = group_norm_silu(x, s, b, 2, 1e-5).unwrap();
        f64::from((y * &weights).unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap())
    };
    let y = group_norm_silu(x.as_tensor(), scale.as_tensor(), shift.as_tensor(), 2, 1e-5).unwrap();
    let grads = (y * &weights).unwrap().sum_all().unwrap().backward().unwrap();
    for var in [&x, &scale, &shift] {
        let analytic: Vec<f32> =
            grads.get(var.as_tensor()).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let base: Vec<f32> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        for i in 0..base.len() {
            let h = 1e-2f32;
            let shifted = |d: f32| {
                let mut v = base.clone();
                v[i] += d;
                let t = Tensor::from_vec(v, var.as_tensor().dims(), &dev).unwrap();
                let (xs, ss, bs) = if std::ptr::eq(var, &x) {
                    (t, scale.as_tensor().clone(), shift.as_tensor().clone())
                } else if std::ptr::eq(var, &scale) {
                    (x.as_tensor().clone(), t, shift.as_tensor().clone())
                } else {
                    (x.as_tensor().clone(), scale.as_tensor().clone(), t)
                };
                objective(&xs, &ss, &bs)
            };
            let numeric = (shifted(h) - shifted(-h)) / (2.0 * f64::from(h));
            let a = f64::from(analytic[i]);
            assert!(
                (a - numeric).abs() < 2e-2 * (1.0 + numeric.abs()),
                "entry {i}: {a} vs {numeric}"
            );
        }
    }
}

#[test]
fn training_lowers_the_loss_and_is_deterministic_for_any_thread_count() {
    let data = squares(64, 3);
    let config = tiny();
    let train_in = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| UnetDdpm::train_on(&data, 42, &config, |_| {}).unwrap())
    };
    let mut losses = Vec::new();
    let one = {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        pool.install(|| UnetDdpm::train_on(&data, 42, &config, |r| losses.push(r.loss)).unwrap())
    };
    let two = train_in(2);
    assert!(one == two, "the trained weights depend on the thread count");
    assert_eq!(one, train_in(1));
    // The untrained network predicts zero noise, a loss of 1; two short epochs must beat that
    // clearly, on the training images and on new ones.
    assert!(losses[1] < 0.8, "epoch losses {losses:?}");
    let images = data.map(|v| (v + 1.0) * 0.5);
    let held_out = squares(64, 4).map(|v| (v + 1.0) * 0.5);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let loss = one.denoising_loss(&held_out, &mut rng).unwrap();
    assert!(loss < 0.8, "held-out loss {loss}");
    assert!(one.denoising_loss(&images, &mut rng).unwrap() < 0.8);

    // Sampling: the same seed gives the same images, and the shapes and range are right.
    let draw = |seed: u64, sampler: Sampler| {
        one.sample(5, sampler, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap()
    };
    let a = draw(1, Sampler::ddim(10));
    assert_eq!(a.shape(), (784, 5));
    assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(a, draw(1, Sampler::ddim(10)));
    assert_ne!(a, draw(2, Sampler::ddim(10)));
    assert_eq!(draw(3, Sampler::ddpm()), draw(3, Sampler::ddpm()));
    // The noise prediction rejects what it cannot take.
    assert!(one.predict_noise_at(&DMatrix::zeros(783, 2), &[1, 1]).is_err());
    assert!(one.predict_noise_at(&DMatrix::zeros(784, 2), &[1]).is_err());
    assert!(one.predict_noise_at(&DMatrix::zeros(784, 1), &[51]).is_err());
    assert!(one.predict_noise_at(&DMatrix::zeros(784, 1), &[0]).is_err());
}

#[test]
fn the_model_file_round_trips_and_bad_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unet.bin");
    let mut config = tiny();
    config.train.epochs = 1;
    let data = squares(16, 5);
    let model = UnetDdpm::train_on(&data, 7, &config, |_| {}).unwrap();
    model.save(&path).unwrap();
    let back = UnetDdpm::load(&path).unwrap();
    assert!(back == model);
    let x = squares(3, 6);
    assert_eq!(
        back.predict_noise_at(&x, &[1, 20, 50]).unwrap(),
        model.predict_noise_at(&x, &[1, 20, 50]).unwrap()
    );
    assert_eq!(back.num_parameters(), model.num_parameters());
    assert_eq!(back.train_fingerprint(), 7);

    // A flipped byte fails the checksum; a truncated file is an error too.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    assert!(UnetDdpm::load(&path).is_err());
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(UnetDdpm::load(&path).is_err());
    assert!(UnetDdpm::load(dir.path().join("missing.bin")).is_err());

    // Weights that do not fit the configuration are refused.
    let weights: Vec<_> = model
        .network()
        .weights()
        .iter()
        .map(|t| (t.dims().to_vec(), t.flatten_all().unwrap().to_vec1::<f32>().unwrap()))
        .collect();
    assert!(
        UnetDdpm::from_parts(config.clone(), weights.clone(), model.prior().cloned(), 7).is_ok()
    );
    assert!(
        UnetDdpm::from_parts(config.clone(), weights[1..].to_vec(), model.prior().cloned(), 7)
            .is_err()
    );
    let mut wrong = weights.clone();
    wrong[0].0 = vec![wrong[0].1.len()];
    assert!(UnetDdpm::from_parts(config.clone(), wrong, model.prior().cloned(), 7).is_err());
    let mut nan = weights;
    nan[0].1[0] = f32::NAN;
    assert!(UnetDdpm::from_parts(config.clone(), nan.clone(), model.prior().cloned(), 7).is_err());

    // A prior must come exactly when the configuration asks for one.
    assert!(UnetDdpm::from_parts(config.clone(), nan, None, 7).is_err());
    assert!(config.gaussian_skip && model.prior().is_some());
    let mut plain = config.clone();
    plain.gaussian_skip = false;
    let weights: Vec<_> = model
        .network()
        .weights()
        .iter()
        .map(|t| (t.dims().to_vec(), t.flatten_all().unwrap().to_vec1::<f32>().unwrap()))
        .collect();
    assert!(UnetDdpm::from_parts(plain.clone(), weights.clone(), None, 7).is_ok());
    assert!(UnetDdpm::from_parts(plain, weights, model.prior().cloned(), 7).is_err());

    // load_or_train: trains and caches once, then loads; another configuration retrains.
    let cache = dir.path().join("cache.bin");
    let labelled = qdecoder::dataset::LabeledImages::new(
        qdecoder::dataset::ImageSet::from_matrix(&data.map(|v| (v + 1.0) * 0.5)).unwrap(),
        vec![0; 16],
    )
    .unwrap();
    let (first, status) = UnetDdpm::load_or_train(&cache, &labelled, &config, |_| {}).unwrap();
    assert!(matches!(status, qdecoder::checkpoint::CacheStatus::Trained { .. }));
    let (again, status) = UnetDdpm::load_or_train(&cache, &labelled, &config, |_| {}).unwrap();
    assert_eq!(status, qdecoder::checkpoint::CacheStatus::Loaded);
    assert!(first == again);
    let mut other = config.clone();
    other.train.seed += 1;
    let (_, status) = UnetDdpm::load_or_train(&cache, &labelled, &other, |_| {}).unwrap();
    assert!(matches!(status, qdecoder::checkpoint::CacheStatus::Trained { .. }));
}

#[test]
fn bad_training_input_is_a_typed_error() {
    let config = tiny();
    assert!(UnetDdpm::train_on(&DMatrix::zeros(783, 4), 0, &config, |_| {}).is_err());
    assert!(UnetDdpm::train_on(&DMatrix::zeros(784, 0), 0, &config, |_| {}).is_err());
    let mut bad = config.clone();
    bad.train.learning_rate = f64::NAN;
    assert!(UnetDdpm::train_on(&squares(4, 1), 0, &bad, |_| {}).is_err());
    let mut bad = config;
    bad.beta_end = 1e-5;
    assert!(bad.validate().is_err());
}
