//! The reverse chain: trajectories are valid states, and the pathwise gradient through a whole
//! trajectory (normalisation, projection onto the sampled ancilla outcome, circuit, embedding)
//! equals finite differences taken at the same sampled outcomes.

use num_complex::Complex64;
use qansatz_mps::ansatz::{AnsatzConfig, Block, Entangler, Init};
use qansatz_mps::embedding::{ConditionalAnsatz, Conditioning};
use qchannels::schedule::Schedule;
use qchannels::trajectory::haar_random_product_state;
use qdiffusion::features::Readout;
use qdiffusion::forward::{ForwardProcess, NoiseKind};
use qdiffusion::reverse::ReverseModel;
use qsim_core::density::DensityMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn model(ancillas: usize, conditioning: Conditioning) -> ReverseModel {
    let config = AnsatzConfig {
        num_qubits: 3,
        num_ancillas: ancillas,
        layers: 2,
        block: Block::RyRz,
        entangler: Entangler::Staircase,
        final_block: true,
        ancilla_coupling: Default::default(),
    };
    ReverseModel::new(ConditionalAnsatz::new(config, conditioning, 4).unwrap()).unwrap()
}

#[test]
fn chain_gradient_equals_finite_differences_at_fixed_outcomes() {
    for (ancillas, conditioning) in
        [(1, Conditioning::Embedded { dim: 3 }), (2, Conditioning::PerStep)]
    {
        let m = model(ancillas, conditioning);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut params = m.model().init_params(Init::Uniform { scale: 2.0 }, &mut rng);
        for (i, p) in params.iter_mut().enumerate() {
            *p += 0.1 * (i as f64 * 0.61).sin();
        }
        let seed = haar_random_product_state(3, &mut rng).unwrap();
        let w: Vec<f64> = (0..9).map(|i| (i as f64 * 1.1).cos()).collect();
        // The same trajectory seed in every evaluation keeps the sampled outcomes fixed.
        let loss = |p: &[f64]| -> f64 {
            let (psi, _) =
                m.run_chain(p, &seed, &mut ChaCha8Rng::seed_from_u64(77), false).unwrap();
            Readout::Bloch.features(psi.amplitudes()).iter().zip(&w).map(|(f, w)| f * w).sum()
        };
        let (psi, tape) =
            m.run_chain(&params, &seed, &mut ChaCha8Rng::seed_from_u64(77), true).unwrap();
        assert_eq!(tape.len(), 4);
        let g = Readout::Bloch.cotangent(psi.amplitudes(), &w);
        let mut grad = vec![0.0; params.len()];
        m.backprop_chain(&params, &tape, g, &mut grad).unwrap();
        let h = 1e-6;
        let mut checked = 0;
        for j in (0..params.len()).step_by(5) {
            let (mut plus, mut minus) = (params.clone(), params.clone());
            plus[j] += h;
            minus[j] -= h;
            let fd = (loss(&plus) - loss(&minus)) / (2.0 * h);
            assert!(
                (fd - grad[j]).abs() < 1e-6,
                "k = {ancillas}, param {j}: fd {fd} vs {}",
                grad[j]
            );
            checked += 1;
        }
        assert!(checked > 5);
    }
}

/// The batched backward pass gives every chain exactly (bit for bit) the gradient of the
/// one-chain pass, with more chains than one batch holds and the XY staircase with spread
/// ancilla couplings (whose pair runs take the batched kernels).
#[test]
fn backprop_chains_equals_backprop_chain_per_chain() {
    let config = AnsatzConfig {
        num_qubits: 4,
        num_ancillas: 2,
        layers: 1,
        block: Block::RyRz,
        entangler: Entangler::StaircaseXy,
        final_block: true,
        ancilla_coupling: qansatz_mps::ansatz::AncillaCoupling::Spread,
    };
    let conditioning = Conditioning::Embedded { dim: 3 };
    let m = ReverseModel::new(ConditionalAnsatz::new(config, conditioning, 5).unwrap()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let params = m.model().init_params(Init::Uniform { scale: 1.5 }, &mut rng);
    let w: Vec<f64> = (0..12).map(|i| (i as f64 * 0.7).sin()).collect();
    let runs: Vec<_> = (0..11)
        .map(|i| {
            let seed = haar_random_product_state(4, &mut rng).unwrap();
            m.run_chain(&params, &seed, &mut ChaCha8Rng::seed_from_u64(i), true).unwrap()
        })
        .collect();
    // Cotangents on the final states of the even chains and on a scattering of levels of all:
    // some chains start later than others, and the batch must give each its own result.
    let levels: Vec<Vec<Option<Vec<Complex64>>>> = runs
        .iter()
        .enumerate()
        .map(|(i, (psi, tape))| {
            let last = tape.len() - 1;
            (0..tape.len())
                .map(|j| match j {
                    _ if j == last && i % 2 == 0 => {
                        Some(Readout::Bloch.cotangent(psi.amplitudes(), &w))
                    }
                    _ if (i + j) % 3 == 0 => {
                        let state = tape.records()[j].output();
                        Some(Readout::Bloch.cotangent(&state, &w))
                    }
                    _ => None,
                })
                .collect()
        })
        .collect();
    let tapes: Vec<_> = runs.iter().map(|(_, tape)| tape).collect();
    let mut many = vec![vec![0.0; params.len()]; runs.len()];
    m.backprop_chains(&params, &tapes, levels.clone(), &mut many).unwrap();
    for ((tape, chain), batched) in tapes.iter().zip(levels).zip(&many) {
        let mut one = vec![0.0; params.len()];
        m.backprop_levels(&params, tape, chain, &mut one).unwrap();
        assert_eq!(&one, batched);
    }
    // The final-state form is the levels form with only the last entry.
    let (psi, tape) = &runs[0];
    let g = Readout::Bloch.cotangent(psi.amplitudes(), &w);
    let (mut by_chain, mut by_levels) = (vec![0.0; params.len()], vec![0.0; params.len()]);
    m.backprop_chain(&params, tape, g.clone(), &mut by_chain).unwrap();
    let mut only_last = vec![None; tape.len()];
    only_last[tape.len() - 1] = Some(g);
    m.backprop_chains(&params, &[tape], vec![only_last], std::slice::from_mut(&mut by_levels))
        .unwrap();
    assert_eq!(by_chain, by_levels);
}

#[test]
fn trajectories_are_normalised_and_average_to_the_exact_channel() {
    // The average of |psi><psi| over trajectories of one step equals Tr_anc[U (rho ⊗ |0><0|) U^dagger].
    let m = model(1, Conditioning::None);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let params = m.model().init_params(Init::Uniform { scale: 3.0 }, &mut rng);
    let seed = haar_random_product_state(3, &mut rng).unwrap();
    let full = m.purified_step(&params, 2, &seed).unwrap();
    let exact = DensityMatrix::from_state_vector(&full).unwrap().partial_trace(&[0, 1, 2]).unwrap();
    let n_traj = 20_000;
    let mut avg = vec![qsim_core::Complex64::new(0.0, 0.0); 64];
    for _ in 0..n_traj {
        let (psi, _) = m.step(&params, 2, &seed, &mut rng).unwrap();
        assert!((psi.norm_sqr() - 1.0).abs() < 1e-12);
        let a = psi.amplitudes();
        for r in 0..8 {
            for c in 0..8 {
                avg[r * 8 + c] += a[r] * a[c].conj() / n_traj as f64;
            }
        }
    }
    let worst = avg.iter().zip(exact.as_slice()).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max);
    // Entries of |psi><psi| are bounded by 1: 5 standard errors of a mean of 20,000 is 0.035.
    assert!(worst < 5.0 / (n_traj as f64).sqrt(), "{worst}");
}

#[test]
fn forward_jump_matches_exact_closed_form_on_average() {
    let schedule = Schedule::cosine(10, 0.008).unwrap();
    for kind in [NoiseKind::Local, NoiseKind::Global] {
        let fp = ForwardProcess::new(schedule.clone(), kind);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let x0 = haar_random_product_state(2, &mut rng).unwrap();
        let exact = fp.exact_at(&DensityMatrix::from_state_vector(&x0).unwrap(), 4).unwrap();
        let n_traj = 20_000;
        let mut avg = vec![qsim_core::Complex64::new(0.0, 0.0); 16];
        for _ in 0..n_traj {
            let psi = fp.sample_at(&x0, 4, &mut rng).unwrap();
            let a = psi.amplitudes();
            for r in 0..4 {
                for c in 0..4 {
                    avg[r * 4 + c] += a[r] * a[c].conj() / n_traj as f64;
                }
            }
        }
        let worst =
            avg.iter().zip(exact.as_slice()).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max);
        assert!(worst < 5.0 / (n_traj as f64).sqrt(), "{kind:?}: {worst}");
    }
}

#[test]
fn xy_staircase_at_zero_angles_is_the_identity_channel() {
    let config = AnsatzConfig {
        num_qubits: 4,
        num_ancillas: 2,
        layers: 3,
        block: Block::RyRz,
        entangler: Entangler::StaircaseXy,
        final_block: true,
        ancilla_coupling: Default::default(),
    };
    let m = ReverseModel::new(
        ConditionalAnsatz::new(config, Conditioning::Embedded { dim: 2 }, 5).unwrap(),
    )
    .unwrap();
    let params = vec![0.0; m.model().num_params()];
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let seed = haar_random_product_state(4, &mut rng).unwrap();
    let (out, _) = m.run_chain(&params, &seed, &mut rng, false).unwrap();
    assert!(out.fidelity(&seed).unwrap() > 1.0 - 1e-12);
}
