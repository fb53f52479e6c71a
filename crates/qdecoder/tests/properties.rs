//! Property tests: FID, the IDX format, product-state statistics and shot sampling.

use nalgebra::DMatrix;
use proptest::prelude::*;
use qdecoder::dataset::ImageSet;
use qdecoder::fid::{FeatureStatistics, frechet_distance};
use qdecoder::idx::IdxArray;
use qdecoder::state::{ProductState, QubitAngles};
use qdecoder::statistics::{Statistics, multinomial};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// A random feature set: `n` samples of dimension `dim` (columns), correlated through a random
/// mixing matrix, with entries of order one.
fn features(seed: u64, dim: usize, n: usize) -> DMatrix<f32> {
    use rand::RngExt;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mix = DMatrix::from_fn(dim, dim, |_, _| rng.random_range(-1.0f32..1.0));
    let z = DMatrix::from_fn(dim, n, |_, _| rng.random_range(-1.0f32..1.0));
    mix * z
}

fn stats(m: &DMatrix<f32>) -> FeatureStatistics {
    FeatureStatistics::from_features(m).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn fid_of_a_set_with_itself_is_zero(seed in any::<u64>(), dim in 1usize..40, extra in 2usize..80) {
        let x = features(seed, dim, dim + extra);
        let s = stats(&x);
        let d = frechet_distance(&s, &s).unwrap();
        let scale = s.covariance().trace();
        prop_assert!(d >= 0.0);
        prop_assert!(d <= 1e-9 * (1.0 + scale), "FID(X, X) = {d}, trace {scale}");
    }

    #[test]
    fn fid_is_symmetric_and_non_negative(a in any::<u64>(), b in any::<u64>(), dim in 1usize..30) {
        let x = stats(&features(a, dim, 3 * dim + 5));
        let y = stats(&(features(b, dim, 2 * dim + 7).map(|v| 1.5 * v + 0.3)));
        let (dxy, dyx) = (frechet_distance(&x, &y).unwrap(), frechet_distance(&y, &x).unwrap());
        prop_assert!(dxy >= 0.0 && dyx >= 0.0);
        prop_assert!((dxy - dyx).abs() <= 1e-8 * (1.0 + dxy), "{dxy} vs {dyx}");
    }

    #[test]
    fn fid_grows_as_one_set_is_shifted(seed in any::<u64>(), dim in 1usize..30) {
        // Same covariance, means |c| apart: FID = |c|^2 exactly, so it grows with the shift.
        let x = features(seed, dim, 2 * dim + 10);
        let s = stats(&x);
        let mut last = frechet_distance(&s, &s).unwrap();
        for step in 1..=4 {
            let shift = 0.25 * step as f32;
            let shifted = stats(&x.map(|v| v + shift));
            let d = frechet_distance(&s, &shifted).unwrap();
            let exact = f64::from(shift).powi(2) * dim as f64;
            prop_assert!(d > last);
            prop_assert!((d - exact).abs() <= 1e-6 * (1.0 + exact) + 1e-6 * s.covariance().trace(),
                "shift {shift}: {d} vs {exact}");
            last = d;
        }
    }

    #[test]
    fn idx_round_trips(dims in prop::collection::vec(1usize..6, 1..4), seed in any::<u8>()) {
        let n: usize = dims.iter().product();
        let data: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(seed)).collect();
        let a = IdxArray::new(dims, data).unwrap();
        prop_assert_eq!(IdxArray::parse(&a.to_bytes(), Path::new("mem")).unwrap(), a);
    }

    #[test]
    fn image_sets_round_trip_through_matrices(pixels in prop::collection::vec(any::<u8>(), 784..=784)) {
        let set = ImageSet::new(pixels).unwrap();
        prop_assert_eq!(ImageSet::from_matrix(&set.to_matrix()).unwrap(), set);
    }

    #[test]
    fn born_distribution_matches_the_bloch_vectors(angles in prop::collection::vec(-7.0f64..7.0, 2..=16)) {
        let even = &angles[..angles.len() / 2 * 2];
        let state = ProductState::from_flat_angles(even).unwrap();
        let p = state.born_distribution();
        prop_assert_eq!(p.len(), 1 << state.num_qubits());
        prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        prop_assert!(p.iter().all(|&v| v >= 0.0));
        // The marginal <Z_q> of the distribution equals the Bloch z-component.
        for (q, b) in state.bloch_vectors().iter().enumerate() {
            let z: f64 = p.iter().enumerate().map(|(k, v)| if k >> q & 1 == 0 { *v } else { -v }).sum();
            prop_assert!((z - b[2]).abs() < 1e-12);
        }
        // Canonical angles describe the same state.
        for a in state.qubits() {
            let c = QubitAngles::from_bloch_vector(a.bloch_vector());
            let (u, v) = (a.bloch_vector(), c.bloch_vector());
            prop_assert!((0..3).all(|i| (u[i] - v[i]).abs() < 1e-12));
        }
    }

    #[test]
    fn shot_estimates_are_valid_statistics(
        angles in prop::collection::vec(0.0f64..6.3, 4..=4),
        shots in 1u64..5000,
        seed in any::<u64>(),
    ) {
        let state = ProductState::from_flat_angles(&angles).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let p = state.born_distribution();
        let counts = multinomial(&p, shots, &mut rng).unwrap();
        prop_assert_eq!(counts.iter().sum::<u64>(), shots);
        prop_assert!(counts.iter().zip(&p).all(|(&c, &q)| q > 0.0 || c == 0));
        match Statistics::Bloch(state.bloch_vectors()).sample_shots(shots, &mut rng).unwrap() {
            Statistics::Bloch(v) => {
                for e in v.iter().flatten() {
                    prop_assert!(e.abs() <= 1.0);
                    // An S-shot estimate is a multiple of 2/S away from -1.
                    let k = (e + 1.0) * shots as f64 / 2.0;
                    prop_assert!((k - k.round()).abs() < 1e-6);
                }
            }
            Statistics::Born(_) => prop_assert!(false, "kind changed"),
        }
    }
}
