//! Shot-based sampling through a backend: the circuit of a sample has exactly the channel-averaged
//! outcome distribution of the reverse chain (the mean over ancilla outcomes, not one
//! trajectory); shot estimates converge to it at the rate the shot count sets; on the example
//! noisy device readout mitigation brings them closer to it; bad input is a typed error.

use std::path::PathBuf;

use qansatz_mps::ansatz::{AnsatzConfig, Block, Entangler, Init};
use qansatz_mps::embedding::{ConditionalAnsatz, Conditioning};
use qdiffusion::Error;
use qdiffusion::data::qubit_state;
use qdiffusion::features::Readout;
use qdiffusion::hardware::{
    Basis, Mitigation, ShotConfig, bloch_from_counts, chain_circuit, estimate_bloch,
};
use qdiffusion::reverse::ReverseModel;
use qdiffusion::sample::{self, seed_angles};
use qhw_mitigation::backend::{Backend, ExactBackend, IdealBackend};
use qhw_mitigation::calibration::TensoredMethod;
use qhw_mitigation::counts::Counts;
use qhw_mitigation::device::NoisyDevice;
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::readout::TensoredReadout;
use qsim_core::circuit::Operation;
use qsim_core::state::StateVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A staircase model with independent random angles per step (so the step order matters).
fn model(num_system: usize, num_ancillas: usize, steps: usize) -> (ReverseModel, Vec<f64>) {
    let config = AnsatzConfig {
        num_qubits: num_system,
        num_ancillas,
        layers: 1,
        block: Block::RyRz,
        entangler: Entangler::Staircase,
        final_block: true,
        ancilla_coupling: Default::default(),
    };
    let reverse =
        ReverseModel::new(ConditionalAnsatz::new(config, Conditioning::PerStep, steps).unwrap())
            .unwrap();
    let params = reverse
        .model()
        .init_params(Init::Uniform { scale: 2.5 }, &mut ChaCha8Rng::seed_from_u64(11));
    (reverse, params)
}

fn seed_state(angles: &[(f64, f64)]) -> StateVector {
    StateVector::product(&angles.iter().map(|&a| qubit_state(a)).collect::<Vec<_>>()).unwrap()
}

/// The exact channel average of the Bloch features: every ancilla-outcome branch of the chain,
/// run in the order `steps`, weighted by its probability.
fn channel_bloch(
    reverse: &ReverseModel,
    params: &[f64],
    seed: &StateVector,
    steps: impl Iterator<Item = usize>,
) -> Vec<f64> {
    let d = 1usize << reverse.num_system();
    let mut branches = vec![(1.0, seed.clone())];
    for t in steps {
        let mut next = Vec::new();
        for (w, psi) in &branches {
            let full = reverse.purified_step(params, t, psi).unwrap();
            for block in full.amplitudes().chunks_exact(d) {
                let p: f64 = block.iter().map(|a| a.norm_sqr()).sum();
                if p > 1e-300 {
                    let kept = block.iter().map(|a| a / p.sqrt()).collect();
                    next.push((w * p, StateVector::from_amplitudes(kept).unwrap()));
                }
            }
        }
        branches = next;
    }
    let mut f = vec![0.0; 3 * reverse.num_system()];
    for (w, psi) in &branches {
        for (a, b) in f.iter_mut().zip(Readout::Bloch.features(psi.amplitudes())) {
            *a += w * b;
        }
    }
    f
}

fn reverse_order(reverse: &ReverseModel) -> impl Iterator<Item = usize> {
    (1..=reverse.steps()).rev()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn seed_angles_are_the_sampler_seeds() {
    let angles = seed_angles(4, 5, 99);
    let states = sample::seeds(4, 5, 99).unwrap();
    for (a, s) in angles.iter().zip(&states) {
        assert_eq!(seed_state(a).amplitudes(), s.amplitudes());
    }
}

#[test]
fn the_circuit_has_the_exact_channel_averaged_distribution() {
    let (reverse, params) = model(3, 1, 2);
    let backend = IdealBackend::new(4);
    let seeds = seed_angles(3, 3, 5);
    for s in &seeds {
        let psi = seed_state(s);
        let exact = channel_bloch(&reverse, &params, &psi, reverse_order(&reverse));
        let mut from_circuit = vec![0.0; 9];
        for (b, basis) in Basis::ALL.into_iter().enumerate() {
            let c = chain_circuit(&reverse, &params, s, basis).unwrap();
            assert_eq!((c.num_qubits(), c.num_clbits()), (4, 3));
            let resets = c.ops().iter().filter(|op| matches!(op, Operation::Reset { .. })).count();
            assert_eq!(resets, 2, "one reset of the ancilla per step");
            let p =
                backend.outcome_distribution(&Experiment::fixed(c, 1)).unwrap().dense().unwrap();
            for q in 0..3 {
                from_circuit[3 * q + b] =
                    p.iter().enumerate().map(|(k, w)| if k >> q & 1 == 0 { *w } else { -w }).sum();
            }
        }
        let err = max_abs_diff(&from_circuit, &exact);
        assert!(err < 1e-12, "circuit {from_circuit:?} vs channel {exact:?}");
        // The test can tell the step order apart: t = 1, ..., T gives something else.
        let wrong_order = channel_bloch(&reverse, &params, &psi, 1..=reverse.steps());
        assert!(max_abs_diff(&wrong_order, &exact) > 1e-2);
        // And the mixed state's vectors are shorter than a pure state's.
        assert!(exact.chunks(3).any(|v| v.iter().map(|x| x * x).sum::<f64>() < 0.9));
    }
}

#[test]
fn shot_estimates_converge_to_the_channel_average_not_to_one_trajectory() {
    let (reverse, params) = model(3, 1, 2);
    let backend = IdealBackend::new(4);
    let seeds = seed_angles(3, 4, 21);
    let shots = 20_000;
    // 5 standard deviations of a +-1 mean over `shots` shots at the worst case (variance 1).
    let tol = 5.0 / (shots as f64).sqrt();
    let exact: Vec<Vec<f64>> = seeds
        .iter()
        .map(|s| channel_bloch(&reverse, &params, &seed_state(s), reverse_order(&reverse)))
        .collect();
    for mitigation in [
        Mitigation::None,
        Mitigation::Tensored { calibration_shots: 1000, method: TensoredMethod::ZerosAndOnes },
    ] {
        // Three samples per job: two jobs, the second one partly filled.
        let config = ShotConfig { shots, samples_per_job: 3, mitigation, seed: 3 };
        let est = estimate_bloch(&backend, &reverse, &params, &seeds, &config).unwrap();
        assert_eq!(est.len(), seeds.len());
        for (e, x) in est.iter().zip(&exact) {
            assert_eq!(e.len(), Readout::Bloch.dim(3));
            let err = max_abs_diff(e, x);
            assert!(err < tol, "{mitigation:?}: error {err} > {tol}: {e:?} vs {x:?}");
        }
    }

    // The reference is what `run_chain`'s trajectories average to (5 sigma of 4,000 of them).
    let trajectories = 4_000;
    let psi = seed_state(&seeds[0]);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut mean = vec![0.0; 9];
    for _ in 0..trajectories {
        let (out, _) = reverse.run_chain(&params, &psi, &mut rng, false).unwrap();
        for (m, f) in mean.iter_mut().zip(Readout::Bloch.features(out.amplitudes())) {
            *m += f / trajectories as f64;
        }
    }
    let err = max_abs_diff(&mean, &exact[0]);
    assert!(err < 5.0 / (trajectories as f64).sqrt(), "trajectory mean off by {err}");

    // One trajectory per seed (the simulated sampler) is a different, pure state.
    let states: Vec<StateVector> = seeds.iter().map(|s| seed_state(s)).collect();
    let single = sample::generate(&reverse, &params, &states, 4, Readout::Bloch).unwrap();
    let gap = single.iter().zip(&exact).map(|(a, b)| max_abs_diff(a, b)).fold(0.0, f64::max);
    assert!(gap > 10.0 * tol, "one trajectory happens to match the channel average ({gap})");
}

fn example_device() -> NoisyDevice {
    NoisyDevice::from_file(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../qhw-mitigation/calibration/example_device.json"),
    )
    .unwrap()
}

#[test]
fn readout_mitigation_on_the_example_device_brings_estimates_closer_to_the_channel() {
    // Qubits 0-1-2 of the example device are a coupled line: 2 system qubits, 1 ancilla. One
    // layer per step keeps the gate noise small, so the readout error dominates.
    let (reverse, params) = model(2, 1, 2);
    let device = example_device();
    let seeds = seed_angles(2, 6, 17);
    let exact: Vec<Vec<f64>> = seeds
        .iter()
        .map(|s| channel_bloch(&reverse, &params, &seed_state(s), reverse_order(&reverse)))
        .collect();
    let squared_error = |mitigation| -> f64 {
        // The same job seeds: raw and mitigated estimates share their counts.
        let config = ShotConfig { shots: 20_000, samples_per_job: 6, mitigation, seed: 9 };
        let est = estimate_bloch(&device, &reverse, &params, &seeds, &config).unwrap();
        est.iter().flatten().zip(exact.iter().flatten()).map(|(a, b)| (a - b) * (a - b)).sum()
    };
    let raw = squared_error(Mitigation::None);
    let mitigated = squared_error(Mitigation::Tensored {
        calibration_shots: 50_000,
        method: TensoredMethod::ZerosAndOnes,
    });
    let features = (seeds.len() * 6) as f64;
    println!(
        "example device, {} features: RMS error raw {:.4}, mitigated {:.4}",
        features,
        (raw / features).sqrt(),
        (mitigated / features).sqrt()
    );
    assert!(mitigated < 0.5 * raw, "mitigated {mitigated} vs raw {raw}");
}

#[test]
fn bad_input_is_a_typed_error() {
    let (reverse, params) = model(3, 1, 2);
    let backend = IdealBackend::new(4);
    let seeds = seed_angles(3, 2, 1);
    let config =
        ShotConfig { shots: 100, samples_per_job: 4, mitigation: Mitigation::None, seed: 0 };
    let run = |b: &dyn Backend, p: &[f64], s: &[Vec<(f64, f64)>], c: &ShotConfig| {
        estimate_bloch(b, &reverse, p, s, c)
    };

    assert!(run(&backend, &params, &[], &config).unwrap().is_empty());
    let no_shots = ShotConfig { shots: 0, ..config.clone() };
    assert!(matches!(run(&backend, &params, &seeds, &no_shots), Err(Error::InvalidConfig { .. })));
    let no_batch = ShotConfig { samples_per_job: 0, ..config.clone() };
    assert!(matches!(run(&backend, &params, &seeds, &no_batch), Err(Error::InvalidConfig { .. })));
    assert!(matches!(
        run(&IdealBackend::new(3), &params, &seeds, &config),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(run(&backend, &params[1..], &seeds, &config), Err(Error::Ansatz(_))));
    let short = vec![seeds[0].clone(), seeds[1][..2].to_vec()];
    assert!(matches!(
        run(&backend, &params, &short, &config),
        Err(Error::DimensionMismatch { what: "qubits of a seed", expected: 3, got: 2 })
    ));
    let mut nan = seeds.clone();
    nan[1][2].1 = f64::NAN;
    assert!(matches!(run(&backend, &params, &nan, &config), Err(Error::InvalidConfig { .. })));
    assert!(matches!(
        chain_circuit(&reverse, &params, &seeds[0][..1], Basis::X),
        Err(Error::DimensionMismatch { .. })
    ));
    let no_calibration = ShotConfig {
        mitigation: Mitigation::Tensored { calibration_shots: 0, method: TensoredMethod::PerQubit },
        ..config.clone()
    };
    assert!(matches!(
        run(&backend, &params, &seeds, &no_calibration),
        Err(Error::Hardware(qhw_mitigation::Error::InvalidConfig { .. }))
    ));
    // The example device couples 0-1 and 1-2 but not 2-3: the staircase on 4 qubits needs it.
    assert!(matches!(
        run(&example_device(), &params, &seeds, &config),
        Err(Error::Hardware(qhw_mitigation::Error::NotCoupled { a: 2, b: 3, .. }))
    ));

    let c = |bits, pairs: &[(usize, u64)]| Counts::from_pairs(bits, pairs.iter().copied()).unwrap();
    let good = [c(2, &[(0, 5)]), c(2, &[(1, 5)]), c(2, &[(3, 5)])];
    assert_eq!(bloch_from_counts(&good, None).unwrap().len(), 6);
    assert!(matches!(
        bloch_from_counts(&good[..2], None),
        Err(Error::DimensionMismatch { expected: 3, got: 2, .. })
    ));
    let mixed_widths = [good[0].clone(), c(3, &[(0, 5)]), good[2].clone()];
    assert!(matches!(bloch_from_counts(&mixed_widths, None), Err(Error::DimensionMismatch { .. })));
    let empty = [good[0].clone(), Counts::new(2).unwrap(), good[2].clone()];
    assert!(matches!(
        bloch_from_counts(&empty, None),
        Err(Error::Hardware(qhw_mitigation::Error::EmptyCounts))
    ));
    let one_qubit = TensoredReadout::from_flips(&[(0.01, 0.02)]).unwrap();
    assert!(matches!(
        bloch_from_counts(&good, Some(&one_qubit)),
        Err(Error::DimensionMismatch { .. })
    ));
}
