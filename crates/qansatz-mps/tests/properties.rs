//! Property tests over random ansatz shapes, time conditionings and parameters: the adjoint
//! gradient through the time embedding equals central finite differences, the angle and
//! embedding maps stay in their documented ranges, and parameter files round trip bit for bit
//! while damaged ones are errors.

use proptest::prelude::*;
use qansatz_mps::Error;
use qansatz_mps::ansatz::{AncillaCoupling, AnsatzConfig, Block, Entangler, Init};
use qansatz_mps::embedding::{ConditionalAnsatz, Conditioning, sinusoidal_features};
use qansatz_mps::params::{load_params, save_params};
use qsim_core::gradient::vjp;
use qsim_core::pauli::{PauliString, PauliSum};
use qsim_core::state::StateVector;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Every single-qubit block.
fn block() -> impl Strategy<Value = Block> {
    prop_oneof![Just(Block::RyRz), Just(Block::ZyzEuler), Just(Block::Ry)]
}

/// Every entangling pattern.
fn entangler() -> impl Strategy<Value = Entangler> {
    prop_oneof![
        Just(Entangler::Staircase),
        Just(Entangler::Brickwork),
        Just(Entangler::StaircaseXy)
    ]
}

/// Every time conditioning, with up to 4 embedding features.
fn conditioning() -> impl Strategy<Value = Conditioning> {
    prop_oneof![
        (1usize..=4).prop_map(|dim| Conditioning::Embedded { dim }),
        Just(Conditioning::PerStep),
        Just(Conditioning::None),
    ]
}

/// A small random ansatz (at most 4 qubits in all, so each simulation is cheap).
fn ansatz_config() -> impl Strategy<Value = AnsatzConfig> {
    (1usize..=3, 0usize..=2, 1usize..=3, block(), entangler(), any::<bool>(), any::<bool>())
        .prop_filter("at most 4 qubits", |(n, k, ..)| n + k <= 4)
        .prop_map(|(num_qubits, num_ancillas, layers, block, entangler, final_block, spread)| {
            AnsatzConfig {
                num_qubits,
                num_ancillas,
                layers,
                block,
                entangler,
                final_block,
                ancilla_coupling: if spread {
                    AncillaCoupling::Spread
                } else {
                    AncillaCoupling::Chain
                },
            }
        })
}

/// A random conditional ansatz on `1..=6` steps, with a step `t` in `1..=steps`.
fn model_and_step() -> impl Strategy<Value = (ConditionalAnsatz, usize)> {
    (ansatz_config(), conditioning(), 1usize..=6).prop_flat_map(|(config, conditioning, steps)| {
        let model = ConditionalAnsatz::new(config, conditioning, steps).expect("a valid shape");
        (Just(model), 1..=steps)
    })
}

/// Parameters uniform in `[-pi, pi]`, embedding weights included (not the zero ones
/// `init_params` gives), so every part of the chain rule is exercised.
fn random_params(model: &ConditionalAnsatz, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pi = std::f64::consts::PI;
    (0..model.num_params()).map(|_| rng.random_range(-pi..=pi)).collect()
}

/// A random observable on `qubits` qubits: three Pauli strings with coefficients in `[-1, 1]`.
fn random_observable(qubits: usize, seed: u64) -> PauliSum {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut o = PauliSum::new();
    for _ in 0..3 {
        let pairs: Vec<(usize, char)> = (0..qubits)
            .filter_map(|q| match rng.random_range(0..4) {
                0 => None,
                p => Some((q, ['X', 'Y', 'Z'][p - 1])),
            })
            .collect();
        let pauli = PauliString::from_pairs(&pairs).expect("distinct qubits");
        o.add(rng.random_range(-1.0..=1.0), pauli).expect("a Pauli string in range");
    }
    o
}

/// `<psi(t)|O|psi(t)>` with `psi(t)` the ansatz at step `t` applied to `|0...0>`.
fn expectation(model: &ConditionalAnsatz, o: &PauliSum, params: &[f64], t: usize) -> f64 {
    let angles = model.angles(params, t).unwrap();
    let mut psi = StateVector::new(model.ansatz().total_qubits()).unwrap();
    psi.apply_circuit(model.circuit(), &angles).unwrap();
    o.expectation(psi.amplitudes()).unwrap()
}

/// The parameter gradient of [`expectation`]: adjoint method for the angles, then the chain
/// rule of the time conditioning ([`ConditionalAnsatz::backprop`]).
fn adjoint_gradient(model: &ConditionalAnsatz, o: &PauliSum, params: &[f64], t: usize) -> Vec<f64> {
    let angles = model.angles(params, t).unwrap();
    let mut psi = StateVector::new(model.ansatz().total_qubits()).unwrap();
    psi.apply_circuit(model.circuit(), &angles).unwrap();
    let cotangent = o.apply(psi.amplitudes()).unwrap();
    let dangles = vjp(model.circuit(), &angles, psi, cotangent).unwrap();
    let mut grad = vec![0.0; params.len()];
    model.backprop(t, &dangles, &mut grad).unwrap();
    grad
}

/// A fresh temporary directory (removed when dropped).
fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The adjoint gradient through the time conditioning equals central finite differences in
    /// every parameter.
    ///
    /// Tolerance: every angle enters exactly one rotation `exp(-i theta P / 2)`, and a parameter
    /// moves one angle linearly with slope `1` (`w`, per-step or shared angles) or `e_m(t)`, with
    /// `|e_m| <= 1` (embedding weights `V`). Along one parameter the expectation is therefore
    /// `a + b cos x + c sin x` with `sqrt(b^2 + c^2) <= N = sum |coefficients of O|`, so its
    /// third derivative is at most `N` and the central difference's truncation error at most
    /// `h^2 N / 6 ~ 2e-11 N` for `h = 1e-5`. Each simulated expectation is exact to about
    /// `1e-13 N` (a few dozen gates on at most 16 amplitudes), which the difference divides by
    /// `h`: `~1e-8 N`. `1e-7 (1 + N)` leaves a factor ten above both (in 300 random cases the
    /// largest error was `3e-11 (1 + N)`).
    #[test]
    fn gradients_equal_central_finite_differences(
        (model, t) in model_and_step(),
        param_seed in any::<u64>(),
        observable_seed in any::<u64>(),
    ) {
        let params = random_params(&model, param_seed);
        let o = random_observable(model.ansatz().total_qubits(), observable_seed);
        let norm: f64 = o.terms().iter().map(|(c, _)| c.abs()).sum();
        let grad = adjoint_gradient(&model, &o, &params, t);
        prop_assert_eq!(grad.len(), model.num_params());
        let h = 1e-5;
        for j in 0..params.len() {
            let (mut plus, mut minus) = (params.clone(), params.clone());
            plus[j] += h;
            minus[j] -= h;
            let fd = (expectation(&model, &o, &plus, t) - expectation(&model, &o, &minus, t))
                / (2.0 * h);
            prop_assert!(
                (grad[j] - fd).abs() <= 1e-7 * (1.0 + norm),
                "{:?}, t = {}, parameter {}: adjoint {} vs finite difference {}",
                model.config(), t, j, grad[j], fd
            );
        }
    }

    /// The sinusoidal features lie in `[-1, 1]`, their slowest pair is `(sin, cos)(pi s / 2)`,
    /// monotone over `s` in `[0, 1]`, and each further pair has twice the frequency of the one
    /// before.
    #[test]
    fn sinusoidal_features_stay_in_range(
        dim in 1usize..=12,
        s in 0.0f64..=1.0,
        ds in 1e-6f64..0.5,
    ) {
        let e = sinusoidal_features(s, dim);
        prop_assert_eq!(e.len(), dim);
        prop_assert!(e.iter().all(|x| (-1.0..=1.0).contains(x)), "{:?}", e);
        let quarter = std::f64::consts::FRAC_PI_2 * s;
        prop_assert!((e[0] - quarter.sin()).abs() <= 1e-15);
        prop_assert!((0.0..=1.0).contains(&e[0]), "the slowest sine is non-negative on [0, 1]");
        let later = (s + ds).min(1.0);
        let f = sinusoidal_features(later, dim);
        prop_assert!(f[0] >= e[0], "sin(pi s / 2) rises on [0, 1]");
        if dim > 1 {
            prop_assert!((0.0..=1.0).contains(&e[1]));
            prop_assert!(f[1] <= e[1], "cos(pi s / 2) falls on [0, 1]");
        }
        for m in 2..dim {
            // sin(2x) = 2 sin x cos x and cos(2x) = cos^2 x - sin^2 x, from the pair before.
            let (sine, cosine) = (e[2 * (m / 2) - 2], e[2 * (m / 2) - 1]);
            let doubled =
                if m % 2 == 0 { 2.0 * sine * cosine } else { cosine * cosine - sine * sine };
            prop_assert!((e[m] - doubled).abs() <= 1e-12, "feature {}: {} vs {}", m, e[m], doubled);
        }
    }

    /// The angle map: embedded angles stay within `sum_m |V_im|` of their base `w_i` (the
    /// features are bounded by 1), per-step angles are their step's slice, shared ones the
    /// parameters themselves; `backprop` is the transpose of this (linear) map; steps outside
    /// `1..=T` are errors.
    #[test]
    fn angle_map_stays_in_range_and_backprop_is_its_transpose(
        (model, t) in model_and_step(),
        param_seed in any::<u64>(),
        direction_seed in any::<u64>(),
    ) {
        let params = random_params(&model, param_seed);
        let angles = model.angles(&params, t).unwrap();
        let a = model.ansatz().num_angles();
        prop_assert_eq!(angles.len(), a);
        match model.conditioning() {
            Conditioning::Embedded { dim } => {
                let (w, v) = params.split_at(a);
                for ((theta, wi), vi) in angles.iter().zip(w).zip(v.chunks_exact(dim)) {
                    let reach: f64 = vi.iter().map(|x| x.abs()).sum();
                    prop_assert!((theta - wi).abs() <= reach * (1.0 + 1e-12));
                }
            }
            Conditioning::PerStep => prop_assert_eq!(&angles[..], &params[(t - 1) * a..t * a]),
            Conditioning::None => prop_assert_eq!(&angles, &params),
        }
        // <dangles, J dp> = <J^T dangles, dp>, with J the Jacobian of the angle map (the map is
        // linear, so J dp = angles(dp)).
        let mut rng = ChaCha8Rng::seed_from_u64(direction_seed);
        let dp: Vec<f64> = (0..params.len()).map(|_| rng.random_range(-1.0..=1.0)).collect();
        let dangles: Vec<f64> = (0..a).map(|_| rng.random_range(-1.0..=1.0)).collect();
        let mut grad = vec![0.0; params.len()];
        model.backprop(t, &dangles, &mut grad).unwrap();
        let moved = model.angles(&dp, t).unwrap();
        let forward: f64 = moved.iter().zip(&dangles).map(|(x, y)| x * y).sum();
        let backward: f64 = grad.iter().zip(&dp).map(|(x, y)| x * y).sum();
        prop_assert!(
            (forward - backward).abs() <= 1e-12 * (1.0 + forward.abs()),
            "{} vs {}", forward, backward
        );
        for outside in [0, model.steps() + 1] {
            let err = model.angles(&params, outside);
            prop_assert!(matches!(err, Err(Error::TimestepOutOfRange { .. })), "{:?}", err);
        }
    }

    /// Initial parameters: `Uniform { scale }` angles lie in `[-scale, scale]`, embedding
    /// weights start at zero (so every step starts with the same circuit), and the vector has
    /// the model's length.
    #[test]
    fn initial_angles_stay_in_their_interval(
        (model, t) in model_and_step(),
        scale in 0.0f64..=4.0,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let params = model.init_params(Init::Uniform { scale }, &mut rng);
        prop_assert_eq!(params.len(), model.num_params());
        let a = model.ansatz().num_angles();
        match model.conditioning() {
            Conditioning::Embedded { .. } => {
                prop_assert!(params[..a].iter().all(|x| x.abs() <= scale));
                prop_assert!(params[a..].iter().all(|x| *x == 0.0));
                let first = model.angles(&params, 1).unwrap();
                prop_assert_eq!(model.angles(&params, t).unwrap(), first);
            }
            _ => prop_assert!(params.iter().all(|x| x.abs() <= scale)),
        }
    }

    /// Saving then loading gives the same configuration and bit-identical parameters, whatever
    /// their values (NaN, infinities, subnormals and signed zeros included).
    #[test]
    fn parameter_files_round_trip_bit_for_bit(
        (model, _t) in model_and_step(),
        values in prop::collection::vec(any::<f64>(), 1..64),
    ) {
        let params: Vec<f64> = values.iter().cycle().take(model.num_params()).copied().collect();
        let dir = temp_dir();
        let path = dir.path().join("model.qpar");
        save_params(&path, &model, &params).unwrap();
        let (back, loaded) = load_params(&path).unwrap();
        prop_assert_eq!(back.config(), model.config());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        prop_assert_eq!(bits(&loaded), bits(&params));
    }

    /// A parameter file cut short anywhere, or with any one byte changed, is an error (not a
    /// panic, and not a wrong model).
    #[test]
    fn damaged_parameter_files_are_errors(
        (model, _t) in model_and_step(),
        param_seed in any::<u64>(),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let params = random_params(&model, param_seed);
        let dir = temp_dir();
        let path = dir.path().join("model.qpar");
        save_params(&path, &model, &params).unwrap();
        let bytes = std::fs::read(&path).unwrap();

        let truncated = dir.path().join("truncated.qpar");
        std::fs::write(&truncated, &bytes[..cut.index(bytes.len())]).unwrap();
        let err = load_params(&truncated).unwrap_err();
        prop_assert!(matches!(err, Error::File(_)), "{}", err);

        let mut changed = bytes.clone();
        changed[at.index(bytes.len())] ^= flip;
        let corrupt = dir.path().join("corrupt.qpar");
        std::fs::write(&corrupt, &changed).unwrap();
        let err = load_params(&corrupt).unwrap_err();
        prop_assert!(matches!(err, Error::File(_)), "{}", err);
    }
}
