//! Property tests over random schedules, small random models and random training states: the
//! forward process's closed-form jump equals composing its single steps, the chain gradients
//! (pathwise on trajectories, and exact on the density-matrix channel) equal central finite
//! differences, and checkpoints round trip bit for bit.

use num_complex::Complex64;
use proptest::prelude::*;
use qansatz_mps::ansatz::{AncillaCoupling, Entangler, Init};
use qansatz_mps::embedding::Conditioning;
use qchannels::schedule::Schedule;
use qchannels::standard;
use qchannels::trajectory::haar_random_product_state;
use qdiffusion::Error;
use qdiffusion::data::{EncodedData, haar_angles};
use qdiffusion::distance::{Distance, MarginalMmd, MmdKernel};
use qdiffusion::features::Readout;
use qdiffusion::forward::{ForwardProcess, NoiseKind};
use qdiffusion::mixed::MixedProgram;
use qdiffusion::model::ModelConfig;
use qdiffusion::reverse::{ChainTape, ReverseModel};
use qdiffusion::train::{Loss, Terms, TrainConfig, TrainState, Trainer};
use qsim_core::density::DensityMatrix;
use qsim_core::state::StateVector;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A schedule of 1 to 8 steps: arbitrary strengths in `[0, 1]` (full depolarization included),
/// linear, or cosine.
fn schedule() -> impl Strategy<Value = Schedule> {
    prop_oneof![
        prop::collection::vec(prop_oneof![0.0f64..=1.0, Just(0.0), Just(1.0)], 1..=8)
            .prop_map(|betas| Schedule::custom(betas).expect("strengths in [0, 1]")),
        (1usize..=8, 0.0f64..=0.5, 0.0f64..=1.0).prop_map(|(steps, start, end)| {
            Schedule::linear(steps, start, end).expect("strengths in [0, 1]")
        }),
        (1usize..=8, 0.0f64..=0.1)
            .prop_map(|(steps, offset)| Schedule::cosine(steps, offset).expect("a schedule")),
    ]
}

/// A random density matrix on `n` qubits: a mixture of two random (entangled) pure states.
fn random_density(n: usize, seed: u64) -> DensityMatrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pure = || {
        let amps: Vec<Complex64> = (0..1 << n)
            .map(|_| Complex64::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)))
            .collect();
        let norm = amps.iter().map(|a| a.norm_sqr()).sum::<f64>().sqrt();
        let psi = StateVector::from_amplitudes(amps.iter().map(|a| a / norm).collect()).unwrap();
        DensityMatrix::from_state_vector(&psi).unwrap()
    };
    let (a, b) = (pure(), pure());
    let p = rng.random_range(0.0..=1.0);
    let mixed = a.as_slice().iter().zip(b.as_slice()).map(|(x, y)| x * p + y * (1.0 - p)).collect();
    DensityMatrix::from_matrix(n, mixed).unwrap()
}

/// A small random diffusion model: at most 4 qubits in all, 1 to 3 steps.
fn model_config() -> impl Strategy<Value = ModelConfig> {
    let entangler = prop_oneof![
        Just(Entangler::Staircase),
        Just(Entangler::Brickwork),
        Just(Entangler::StaircaseXy)
    ];
    let conditioning = prop_oneof![
        (1usize..=3).prop_map(|dim| Conditioning::Embedded { dim }),
        Just(Conditioning::PerStep),
        Just(Conditioning::None),
    ];
    (1usize..=3, 0usize..=2, 1usize..=3, 1usize..=2, entangler, any::<bool>(), conditioning)
        .prop_filter("at most 4 qubits", |(n, k, ..)| n + k <= 4)
        .prop_map(|(qubits, ancillas, steps, layers, entangler, spread, conditioning)| {
            ModelConfig {
                qubits,
                ancillas,
                steps,
                layers,
                entangler,
                ancilla_coupling: if spread {
                    AncillaCoupling::Spread
                } else {
                    AncillaCoupling::Chain
                },
                conditioning,
                cosine_offset: 0.008,
            }
        })
}

/// Parameters uniform in `[-1, 1]`, embedding weights included.
fn random_params(model: &ReverseModel, rng: &mut ChaCha8Rng) -> Vec<f64> {
    (0..model.model().num_params()).map(|_| rng.random_range(-1.0..=1.0)).collect()
}

/// `n` weights uniform in `[-1, 1]`.
fn random_weights(n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..=1.0)).collect()
}

/// One trajectory of the chain from `seed` with the ancilla draws of `chain_seed`: the final
/// state and its tape.
fn chain(
    model: &ReverseModel,
    params: &[f64],
    seed: &StateVector,
    chain_seed: u64,
) -> (StateVector, ChainTape) {
    model.run_chain(params, seed, &mut ChaCha8Rng::seed_from_u64(chain_seed), true).unwrap()
}

/// The sampled ancilla outcomes of a tape.
fn outcomes(tape: &ChainTape) -> Vec<usize> {
    tape.records().iter().map(|r| r.outcome()).collect()
}

/// A random valid training configuration.
fn train_config() -> impl Strategy<Value = TrainConfig> {
    let kernel = prop_oneof![
        prop::collection::vec(0.1f64..4.0, 1..=3).prop_map(|scales| MmdKernel::Gaussian { scales }),
        Just(MmdKernel::Energy),
    ];
    let distance = prop_oneof![
        kernel.clone().prop_map(|kernel| Distance::Mmd { kernel }),
        (1usize..=8).prop_map(|projections| Distance::SlicedWasserstein { projections }),
    ];
    let terms = (0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..=1.0).prop_map(
        |(end, levels, teacher, sequential)| Terms { end: end + 1e-3, levels, teacher, sequential },
    );
    let loss = prop_oneof![
        (distance, terms).prop_map(|(distance, terms)| Loss::Ensembles { distance, terms }),
        Just(Loss::DenoisingFidelity),
    ];
    let marginal = prop::option::of(
        (kernel, 0.0f64..=1.0).prop_map(|(kernel, weight)| MarginalMmd { kernel, weight }),
    );
    let init = prop_oneof![
        (0.0f64..=3.0).prop_map(|scale| Init::Uniform { scale }),
        (0.0f64..=0.1).prop_map(|scale| Init::NearIdentity { scale }),
    ];
    let rates = (1e-4f64..0.1, 1e-4f64..0.1);
    (
        1usize..=20,
        2usize..=8,
        2usize..=8,
        rates,
        loss,
        marginal,
        init,
        prop::option::of(0.0f64..0.999),
    )
        .prop_flat_map(
            move |(iterations, batch, data_batch, (first, last), loss, marginal, init, ema)| {
                (any::<u64>(), 0usize..=5).prop_map(move |(seed, checkpoint_every)| TrainConfig {
                    iterations,
                    batch,
                    data_batch,
                    learning_rate: first,
                    final_learning_rate: last,
                    loss: loss.clone(),
                    readout: Readout::Bloch,
                    marginal: marginal.clone(),
                    init,
                    ema,
                    seed,
                    checkpoint_every,
                })
            },
        )
}

/// Finite doubles of every kind: normal, subnormal, signed zeros.
fn finite() -> impl Strategy<Value = f64> {
    use prop::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

/// A training state that fits `num_params` parameters and `iterations` iterations, built through
/// its public serialised form from arbitrary finite values (`TrainState`'s fields are private:
/// this reaches states that a few real steps would not, e.g. subnormal moments).
fn train_state(
    num_params: usize,
    iterations: usize,
    with_average: bool,
    values: &[f64],
    seed: u64,
) -> TrainState {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pick = |n: usize| -> Vec<f64> {
        (0..n).map(|_| values[rng.random_range(0..values.len())]).collect()
    };
    let iteration = seed as usize % (iterations + 1);
    let (params, m, v, losses) =
        (pick(num_params), pick(num_params), pick(num_params), pick(iteration));
    let average = if with_average { pick(num_params) } else { Vec::new() };
    let [learning_rate, beta1, beta2, epsilon] = pick(4).try_into().expect("four values");
    serde_json::from_value(serde_json::json!({
        "iteration": iteration,
        "params": params,
        "adam": {
            "learning_rate": learning_rate,
            "beta1": beta1,
            "beta2": beta2,
            "epsilon": epsilon,
            "m": m,
            "v": v,
            "t": iteration as u64,
        },
        "losses": losses,
        "average": average,
    }))
    .expect("the serialised form of a training state")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The closed-form state at step `t` (one depolarizing channel of strength
    /// `1 - alphabar_t`) equals applying the `t` single-step channels in turn, for local and
    /// global noise. Each step's channel moves every entry by at most a few roundings (entries
    /// are bounded by 1), so 8 steps stay within `1e-13`.
    #[test]
    fn forward_closed_form_equals_composed_steps(
        schedule in schedule(),
        n in 1usize..=3,
        global in any::<bool>(),
        t_pick in any::<prop::sample::Index>(),
        state_seed in any::<u64>(),
    ) {
        let t = t_pick.index(schedule.steps() + 1);
        let kind = if global { NoiseKind::Global } else { NoiseKind::Local };
        let forward = ForwardProcess::new(schedule.clone(), kind);
        let rho0 = random_density(n, state_seed);
        let jumped = forward.exact_at(&rho0, t).unwrap();

        let qubits: Vec<usize> = (0..n).collect();
        let mut stepped = rho0.clone();
        for s in 1..=t {
            match kind {
                NoiseKind::Local => {
                    schedule.step_channel(s).unwrap().apply_to_each(&mut stepped, &qubits).unwrap()
                }
                NoiseKind::Global => standard::depolarizing_global(n, schedule.beta(s))
                    .unwrap()
                    .apply(&mut stepped, &qubits)
                    .unwrap(),
            }
        }
        let worst = (jumped.as_slice().iter().zip(stepped.as_slice()))
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        prop_assert!(worst <= 1e-13, "t = {}, {:?}: |jump - steps| = {:e}", t, kind, worst);
        // The strength itself: 1 - prod (1 - beta_s), in [0, 1] and non-decreasing in t.
        let survival: f64 = (1..=t).map(|s| 1.0 - schedule.beta(s)).product();
        let strength = schedule.cumulative_strength(t);
        prop_assert!((strength - (1.0 - survival)).abs() <= 1e-15 * (t as f64 + 1.0));
        prop_assert!((0.0..=1.0).contains(&strength));
        prop_assert!(t == 0 || schedule.cumulative_strength(t - 1) <= strength);
    }

    /// The pathwise gradient of a weighted sum of the final Bloch vectors, through a whole
    /// trajectory (normalisations, projections onto the sampled outcomes, circuits, time
    /// conditioning), equals central finite differences at the same sampled outcomes. A
    /// parameter whose shifted runs draw another outcome (its threshold lies within `h` of a
    /// cumulative probability, which happens with probability `~1e-5` per step) is a different
    /// function there and is skipped; at least half the parameters must be checked.
    ///
    /// Tolerance: with the outcomes fixed, the loss is a smooth function whose derivatives grow
    /// like inverse powers of the kept blocks' norms; blocks are kept with probability equal to
    /// their squared norm, so small norms are rare but possible. The central difference's
    /// truncation error is `h^2 |f'''| / 6` and its rounding error `~1e-15 N / h` (`N` the sum of
    /// the weights, which bounds the loss): with `h = 1e-5`, `1e-11 |f'''|` and `1e-10 N`. The
    /// bound `1e-6 (N + |gradient|)` allows third derivatives up to `~1e5` times the first,
    /// far beyond what a kept block of probability above `~1e-3` gives (in 400 random cases the
    /// largest error was `5e-10 (N + |gradient|)`), and the gradient scaled by `1 + 1e-4`
    /// fails it.
    #[test]
    fn chain_gradient_equals_finite_differences_at_fixed_outcomes(
        config in model_config(),
        seed in any::<u64>(),
    ) {
        let model = config.reverse_model().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let params = random_params(&model, &mut rng);
        let start = haar_random_product_state(config.qubits, &mut rng).unwrap();
        let w = random_weights(3 * config.qubits, &mut rng);
        let norm: f64 = w.iter().map(|x| x.abs()).sum();
        let chain_seed = rng.random();
        let (psi, tape) = chain(&model, &params, &start, chain_seed);
        let g = Readout::Bloch.cotangent(psi.amplitudes(), &w);
        let mut grad = vec![0.0; params.len()];
        model.backprop_chain(&params, &tape, g, &mut grad).unwrap();

        let h = 1e-5;
        let at = |p: &[f64]| -> (f64, Vec<usize>) {
            let (psi, tape) = chain(&model, p, &start, chain_seed);
            let features = Readout::Bloch.features(psi.amplitudes());
            let f = features.iter().zip(&w).map(|(x, y)| x * y).sum();
            (f, outcomes(&tape))
        };
        let base = outcomes(&tape);
        let mut checked = 0;
        for j in 0..params.len() {
            let (mut plus, mut minus) = (params.clone(), params.clone());
            plus[j] += h;
            minus[j] -= h;
            let ((up, up_outcomes), (down, down_outcomes)) = (at(&plus), at(&minus));
            if up_outcomes != base || down_outcomes != base {
                continue;
            }
            checked += 1;
            let fd = (up - down) / (2.0 * h);
            prop_assert!(
                (fd - grad[j]).abs() <= 1e-6 * (norm + grad[j].abs()),
                "{:?}, parameter {}: pathwise {} vs finite difference {}", config, j, grad[j], fd
            );
        }
        prop_assert!(2 * checked >= params.len(), "{} of {} checked", checked, params.len());
    }

    /// The adjoint gradient of the density-matrix chain's training loss (the MMD between the
    /// exact channel averages of random seeds and random data features) equals central finite
    /// differences.
    ///
    /// Tolerance: no outcome is sampled, so along one parameter the final density matrix is a
    /// trigonometric polynomial of degree at most `T <= 3` (the parameter's angle enters once per
    /// step, in `U rho U^dagger`), and the features with it; the Gaussian MMD composes it with
    /// smooth functions of bounded derivatives (features lie in `[-1, 1]`, scales are 1 and
    /// 2). Its third derivative is a few hundred at most, the truncation error with `h = 1e-5`
    /// below `1e-8`, the rounding error `~1e-14 / h = 1e-9`; `1e-7 (1 + |gradient|)` is ten times
    /// both (in 400 random cases the largest error was `2.5e-10 (1 + |gradient|)`).
    #[test]
    fn mixed_chain_gradient_equals_finite_differences(
        config in model_config(),
        seed in any::<u64>(),
    ) {
        let model = config.reverse_model().unwrap();
        let program = MixedProgram::exact(&model).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let params = random_params(&model, &mut rng);
        let seeds: Vec<Vec<(f64, f64)>> =
            (0..2).map(|_| (0..config.qubits).map(|_| haar_angles(&mut rng)).collect()).collect();
        let data: Vec<Vec<f64>> =
            (0..3).map(|_| random_weights(3 * config.qubits, &mut rng)).collect();
        let distance = Distance::Mmd { kernel: MmdKernel::Gaussian { scales: vec![1.0, 2.0] } };
        let loss =
            |p: &[f64]| program.loss_and_gradient(&model, p, &seeds, &data, &distance, 0).unwrap();
        let (_, grad) = loss(&params);
        let h = 1e-5;
        for j in 0..params.len() {
            let (mut plus, mut minus) = (params.clone(), params.clone());
            plus[j] += h;
            minus[j] -= h;
            let fd = (loss(&plus).0 - loss(&minus).0) / (2.0 * h);
            prop_assert!(
                (fd - grad[j]).abs() <= 1e-7 * (1.0 + grad[j].abs()),
                "{:?}, parameter {}: adjoint {} vs finite difference {}", config, j, grad[j], fd
            );
        }
    }

    /// A checkpoint of any training state that fits the run loads back identical, bit for bit
    /// (every double, signed zeros and subnormals included); a trainer with another seed
    /// refuses it, and a checkpoint cut short or with one byte changed is an error.
    #[test]
    fn checkpoints_round_trip_bit_for_bit(
        model in model_config(),
        config in train_config(),
        values in prop::collection::vec(finite(), 1..32),
        with_average in any::<bool>(),
        state_seed in any::<u64>(),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let (reverse, forward) = (model.reverse_model().unwrap(), model.forward_process().unwrap());
        let mut rng = ChaCha8Rng::seed_from_u64(state_seed);
        let data = EncodedData::Product(
            (0..3).map(|_| (0..model.qubits).map(|_| haar_angles(&mut rng)).collect()).collect(),
        );
        let trainer = Trainer::new(&reverse, &forward, &data, config.clone()).unwrap();
        let num_params = reverse.model().num_params();
        let state = train_state(num_params, config.iterations, with_average, &values, state_seed);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint.bin");
        trainer.save_checkpoint(&path, &state).unwrap();
        let loaded = trainer.load_checkpoint(&path).unwrap();
        prop_assert_eq!(&loaded, &state);
        // The shortest round-trip text of a finite double names its bits (and -0.0 apart from
        // 0.0), so equal JSON is bit-identical, Adam's private moments included.
        let text = |s: &TrainState| serde_json::to_string(s).unwrap();
        prop_assert_eq!(text(&loaded), text(&state));

        let reseeded = TrainConfig { seed: config.seed.wrapping_add(1), ..config };
        let other = Trainer::new(&reverse, &forward, &data, reseeded).unwrap();
        let refused = other.load_checkpoint(&path);
        prop_assert!(matches!(refused, Err(Error::Resume { .. })), "{:?}", refused);

        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..cut.index(bytes.len())]).unwrap();
        prop_assert!(matches!(trainer.load_checkpoint(&path), Err(Error::File(_))));
        let mut changed = bytes.clone();
        changed[at.index(bytes.len())] ^= flip;
        std::fs::write(&path, &changed).unwrap();
        prop_assert!(matches!(trainer.load_checkpoint(&path), Err(Error::File(_))));
    }
}
