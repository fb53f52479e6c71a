//! Public-API tests of the ansatz, its time conditioning, the parameter files and the MMD loss.

use qansatz_mps::Error;
use qansatz_mps::ansatz::{AncillaCoupling, Ansatz, AnsatzConfig, Block, Entangler, Init};
use qansatz_mps::born::{MixtureKernel, bars_and_stripes};
use qansatz_mps::embedding::{ConditionalAnsatz, Conditioning};
use qansatz_mps::params::{load_params, save_params};
use qsim_core::Complex64;
use qsim_core::gradient::vjp;
use qsim_core::pauli::{PauliString, PauliSum};
use qsim_core::state::StateVector;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn model(conditioning: Conditioning) -> ConditionalAnsatz {
    let config = AnsatzConfig {
        num_qubits: 4,
        num_ancillas: 1,
        layers: 3,
        block: Block::ZyzEuler,
        entangler: Entangler::Staircase,
        final_block: true,
        // Spread couplings, so the gradient tests cover the ancilla XY gates too.
        ancilla_coupling: AncillaCoupling::Spread,
    };
    ConditionalAnsatz::new(config, conditioning, 20).unwrap()
}

/// `<Z_0 Z_4> + 0.5 <X_2>` at step `t`, and its gradient with respect to the model parameters
/// through the adjoint method and the chain rule.
fn loss_and_grad(m: &ConditionalAnsatz, params: &[f64], t: usize) -> (f64, Vec<f64>) {
    let mut o = PauliSum::new();
    o.add(1.0, PauliString::parse("Z0 Z4").unwrap()).unwrap();
    o.add(0.5, PauliString::parse("X2").unwrap()).unwrap();
    let angles = m.angles(params, t).unwrap();
    let mut psi = StateVector::new(5).unwrap();
    psi.apply_circuit(m.circuit(), &angles).unwrap();
    let value = o.expectation(psi.amplitudes()).unwrap();
    let cotangent: Vec<Complex64> = o.apply(psi.amplitudes()).unwrap();
    let dangles = vjp(m.circuit(), &angles, psi, cotangent).unwrap();
    let mut grad = vec![0.0; params.len()];
    m.backprop(t, &dangles, &mut grad).unwrap();
    (value, grad)
}

#[test]
fn conditioned_gradients_equal_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for conditioning in
        [Conditioning::Embedded { dim: 5 }, Conditioning::PerStep, Conditioning::None]
    {
        let m = model(conditioning);
        let mut params = m.init_params(Init::Uniform { scale: 1.5 }, &mut rng);
        // Non-zero embedding weights, so the V part of the chain rule is exercised.
        for (i, p) in params.iter_mut().enumerate() {
            *p += 0.05 * ((i as f64) * 0.37).sin();
        }
        let t = 7;
        let (_, grad) = loss_and_grad(&m, &params, t);
        let h = 1e-6;
        for j in (0..params.len()).step_by(7) {
            let (mut plus, mut minus) = (params.clone(), params.clone());
            plus[j] += h;
            minus[j] -= h;
            let fd = (loss_and_grad(&m, &plus, t).0 - loss_and_grad(&m, &minus, t).0) / (2.0 * h);
            assert!((grad[j] - fd).abs() < 1e-7, "{conditioning:?} param {j}: {} vs {fd}", grad[j]);
        }
    }
}

#[test]
fn embedded_angles_change_with_the_step_and_per_step_angles_are_independent() {
    let m = model(Conditioning::Embedded { dim: 4 });
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut params = m.init_params(Init::Uniform { scale: 1.0 }, &mut rng);
    assert_eq!(m.angles(&params, 1).unwrap(), m.angles(&params, 20).unwrap(), "V starts at zero");
    let last = params.len() - 1;
    params[last] = 0.3;
    assert_ne!(m.angles(&params, 1).unwrap(), m.angles(&params, 20).unwrap());
    assert!(matches!(m.angles(&params, 0), Err(Error::TimestepOutOfRange { .. })));
    assert!(matches!(m.angles(&params, 21), Err(Error::TimestepOutOfRange { .. })));
    assert!(matches!(m.angles(&params[1..], 3), Err(Error::DimensionMismatch { .. })));
}

#[test]
fn mmd_is_zero_for_identical_distributions_and_positive_otherwise() {
    let k = MixtureKernel::new(vec![0.25, 4.0]).unwrap();
    let patterns = bars_and_stripes(3, 3);
    let mut q = vec![0.0; 512];
    for &x in &patterns {
        q[x] = 1.0 / patterns.len() as f64;
    }
    assert!(k.mmd2(&q, &q).abs() < 1e-15);
    let uniform = vec![1.0 / 512.0; 512];
    assert!(k.mmd2(&uniform, &q) > 1e-3);
    // Moving a little mass is still seen.
    let mut moved = q.clone();
    moved[patterns[0]] -= 0.01;
    moved[patterns[0] ^ 1] += 0.01;
    assert!(k.mmd2(&moved, &q) > 0.0);
    assert!(MixtureKernel::new(vec![]).is_err());
    assert!(MixtureKernel::new(vec![-1.0]).is_err());
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("qansatz-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn parameter_files_round_trip_exactly() {
    let m = model(Conditioning::Embedded { dim: 3 });
    let params: Vec<f64> =
        (0..m.num_params()).map(|i| (i as f64 * 1.234_567).sin() * 1e-3 + i as f64).collect();
    let path = temp("round_trip.qpar");
    save_params(&path, &m, &params).unwrap();
    let (back, loaded) = load_params(&path).unwrap();
    assert_eq!(loaded, params, "bit-exact");
    assert_eq!(back.config(), m.config());
    assert!(matches!(save_params(&path, &m, &params[1..]), Err(Error::DimensionMismatch { .. })));
}

#[test]
fn corrupt_or_truncated_files_are_typed_errors() {
    let m = model(Conditioning::PerStep);
    let params = vec![0.25; m.num_params()];
    let path = temp("corrupt.qpar");
    save_params(&path, &m, &params).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let truncated = temp("truncated.qpar");
    std::fs::write(&truncated, &bytes[..bytes.len() - 10]).unwrap();
    assert!(matches!(load_params(&truncated), Err(Error::File(qfile::Error::Truncated { .. }))));

    let header_only = temp("header.qpar");
    std::fs::write(&header_only, &bytes[..5]).unwrap();
    assert!(matches!(load_params(&header_only), Err(Error::File(qfile::Error::Truncated { .. }))));

    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let corrupt = temp("flipped.qpar");
    std::fs::write(&corrupt, &flipped).unwrap();
    let err = load_params(&corrupt).unwrap_err();
    assert!(matches!(&err, Error::File(qfile::Error::ChecksumMismatch { .. })), "{err}");

    let mut wrong_magic = bytes;
    wrong_magic[0] = b'X';
    let other = temp("magic.qpar");
    std::fs::write(&other, &wrong_magic).unwrap();
    assert!(matches!(load_params(&other), Err(Error::File(qfile::Error::WrongMagic { .. }))));

    assert!(matches!(
        load_params(&temp("missing.qpar")),
        Err(Error::File(qfile::Error::Io { .. }))
    ));
}

#[test]
fn qasm_export_reads_back_to_the_same_state() {
    let m = model(Conditioning::Embedded { dim: 2 });
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut params = m.init_params(Init::Uniform { scale: 3.0 }, &mut rng);
    params.iter_mut().skip(m.ansatz().num_angles()).for_each(|v| *v = 0.2);
    let t = 13;
    let circuit = qsim_core::qasm::parse(&m.to_qasm(&params, t).unwrap()).unwrap();
    let mut a = StateVector::new(5).unwrap();
    a.apply_circuit(&circuit, &[]).unwrap();
    let mut b = StateVector::new(5).unwrap();
    b.apply_circuit(m.circuit(), &m.angles(&params, t).unwrap()).unwrap();
    assert!(a.fidelity(&b).unwrap() > 1.0 - 1e-12);
    let worst =
        a.amplitudes().iter().zip(b.amplitudes()).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max);
    assert!(worst < 1e-12, "global phase included: {worst:e}");
}

#[test]
fn spread_couplings_add_two_angles_per_system_qubit_and_are_identity_at_zero() {
    let config = AnsatzConfig {
        num_qubits: 5,
        num_ancillas: 2,
        layers: 2,
        block: Block::Ry,
        entangler: Entangler::StaircaseXy,
        final_block: false,
        ancilla_coupling: AncillaCoupling::Spread,
    };
    let chain =
        Ansatz::new(AnsatzConfig { ancilla_coupling: AncillaCoupling::Chain, ..config }).unwrap();
    let spread = Ansatz::new(config).unwrap();
    assert_eq!(spread.num_angles(), chain.num_angles() + 2 * 5 * 2);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut amps: Vec<Complex64> = (0..1 << 7)
        .map(|_| Complex64::new(rng.random::<f64>() - 0.5, rng.random::<f64>() - 0.5))
        .collect();
    let norm = amps.iter().map(|a| a.norm_sqr()).sum::<f64>().sqrt();
    amps.iter_mut().for_each(|a| *a /= norm);
    let input = StateVector::from_amplitudes(amps).unwrap();
    let mut psi = input.clone();
    psi.apply_circuit(spread.circuit(), &vec![0.0; spread.num_angles()]).unwrap();
    for (a, b) in psi.amplitudes().iter().zip(input.amplitudes()) {
        assert!((a - b).norm() < 1e-12);
    }
}
