//! The dedicated kernel for single-qubit Pauli channels on many qubits (`Channel::apply_to_each`
//! on a Pauli channel, e.g. a local depolarizing step) against the general superoperator path.

use proptest::prelude::*;
use qchannels::channel::Channel;
use qchannels::standard;
use qsim_core::density::DensityMatrix;

mod common;

/// A random mixed state of `n` qubits (see [`common::random_state`]).
fn random_state(n: usize, seed: u64) -> DensityMatrix {
    common::random_state(n, seed, 4)
}

/// The same channel held as Kraus operators, so it takes the general (superoperator) path.
fn general(channel: &Channel) -> Channel {
    Channel::from_kraus(channel.kraus()).unwrap()
}

fn max_diff(a: &DensityMatrix, b: &DensityMatrix) -> f64 {
    a.as_slice().iter().zip(b.as_slice()).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max)
}

/// Fast and general path on copies of `rho`; returns the largest entry difference.
fn compare(channel: &Channel, rho: &DensityMatrix, qubits: &[usize]) -> f64 {
    let mut fast = rho.clone();
    let mut slow = rho.clone();
    channel.apply_to_each(&mut fast, qubits).unwrap();
    general(channel).apply_to_each(&mut slow, qubits).unwrap();
    max_diff(&fast, &slow)
}

#[test]
fn local_depolarizing_matches_the_superoperator_path() {
    // Up to 8 qubits (one pass of the kernel; its unit tests force smaller blocks, i.e. several
    // passes, against an entrywise reference).
    for n in 1..=8 {
        let all: Vec<usize> = (0..n).collect();
        let evens: Vec<usize> = (0..n).step_by(2).collect();
        let top: Vec<usize> = vec![n - 1];
        let reversed: Vec<usize> = (0..n).rev().collect();
        let rho = random_state(n, 11 * n as u64);
        for p in [0.0, 0.05, 0.3, 0.75, 1.0] {
            let channel = standard::depolarizing(p).unwrap();
            for qubits in [&all, &evens, &top, &reversed] {
                let worst = compare(&channel, &rho, qubits);
                assert!(worst < 1e-12, "n = {n}, p = {p}, qubits {qubits:?}: {worst:e}");
            }
        }
    }
}

#[test]
fn the_repository_convention_holds_entry_by_entry() {
    // rho -> (1 - p) rho + p (I/2 ⊗ Tr_q rho) on qubit q: entries diagonal in q mix with weights
    // 1 - p/2 and p/2, the others scale by 1 - p.
    let (n, q, p) = (4, 2, 0.3);
    let rho = random_state(n, 5);
    let mut out = rho.clone();
    standard::depolarizing(p).unwrap().apply_to_each(&mut out, &[q]).unwrap();
    let bit = 1 << q;
    for r in 0..1 << n {
        for c in 0..1 << n {
            let expected = if (r ^ c) & bit == 0 {
                rho.get(r, c) * (1.0 - p / 2.0) + rho.get(r ^ bit, c ^ bit) * (p / 2.0)
            } else {
                rho.get(r, c) * (1.0 - p)
            };
            assert!((out.get(r, c) - expected).norm() < 1e-15, "entry ({r}, {c})");
        }
    }
}

#[test]
fn depolarizing_at_strength_one_on_every_qubit_gives_the_maximally_mixed_state() {
    for n in 1..=7 {
        let mut rho = random_state(n, 3);
        standard::depolarizing(1.0)
            .unwrap()
            .apply_to_each(&mut rho, &(0..n).collect::<Vec<_>>())
            .unwrap();
        assert!(max_diff(&rho, &DensityMatrix::maximally_mixed(n).unwrap()) < 1e-14);
    }
}

#[test]
fn other_pauli_channels_and_repeated_qubits_match_the_superoperator_path() {
    let channels = [
        standard::dephasing(0.4).unwrap(),
        standard::bit_flip(0.2).unwrap(),
        standard::phase_flip(0.7).unwrap(),
        standard::pauli(0.1, 0.25, 0.05).unwrap(),
        standard::depolarizing(0.2)
            .unwrap()
            .compose(&standard::pauli(0.3, 0.0, 0.1).unwrap())
            .unwrap(),
    ];
    for (i, channel) in channels.iter().enumerate() {
        for n in [1, 3, 5, 8] {
            let qubits: Vec<usize> = (0..n).chain([0, n - 1]).collect();
            let worst = compare(channel, &random_state(n, 100 + i as u64), &qubits);
            assert!(worst < 1e-12, "channel {i}, n = {n}: {worst:e}");
        }
    }
    // `apply` on one qubit takes the kernel too.
    let channel = standard::depolarizing(0.35).unwrap();
    let mut fast = random_state(3, 9);
    let mut slow = fast.clone();
    channel.apply(&mut fast, &[1]).unwrap();
    general(&channel).apply(&mut slow, &[1]).unwrap();
    assert!(max_diff(&fast, &slow) < 1e-12);
}

#[test]
fn out_of_range_qubits_are_errors_and_leave_the_state_alone() {
    let mut rho = random_state(3, 1);
    let before = rho.clone();
    let dep = standard::depolarizing(0.1).unwrap();
    assert!(matches!(
        dep.apply_to_each(&mut rho, &[0, 3]),
        Err(qchannels::Error::Sim(qsim_core::Error::QubitOutOfRange { qubit: 3, num_qubits: 3 }))
    ));
    assert_eq!(rho, before);
    assert!(matches!(
        dep.apply_to_each(&mut rho, &[]),
        Err(qchannels::Error::DimensionMismatch { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_subsets_and_strengths_match(n in 1usize..=7, mask in 0u32..128, p in 0.0f64..=1.0, seed in 0u64..1000) {
        let qubits: Vec<usize> = (0..n).filter(|q| mask & (1 << q) != 0).collect();
        prop_assume!(!qubits.is_empty());
        let worst = compare(&standard::depolarizing(p).unwrap(), &random_state(n, seed), &qubits);
        prop_assert!(worst < 1e-12, "max deviation {worst:e}");
    }
}
