//! Bad input gives a typed error, never a panic.

use qsim_core::Complex64;
use qsim_core::Error;
use qsim_core::circuit::{Circuit, Param};
use qsim_core::density::DensityMatrix;
use qsim_core::gate::Gate;
use qsim_core::gradient::{adjoint_gradient, parameter_shift_gradient, vjp};
use qsim_core::matrix::Matrix;
use qsim_core::measure::AliasSampler;
use qsim_core::pauli::{PauliString, PauliSum};
use qsim_core::state::StateVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn qubit_out_of_range() {
    let mut psi = StateVector::new(2).unwrap();
    assert!(matches!(
        psi.apply_gate(Gate::H, &[2], &[]),
        Err(Error::QubitOutOfRange { qubit: 2, num_qubits: 2 })
    ));
    assert!(matches!(Circuit::new(2).cx(0, 5), Err(Error::QubitOutOfRange { qubit: 5, .. })));
    let mut wide = Circuit::new(3);
    wide.h(2).unwrap();
    assert!(matches!(psi.apply_circuit(&wide, &[]), Err(Error::QubitOutOfRange { .. })));
    let mut rho = DensityMatrix::new(2).unwrap();
    assert!(matches!(rho.apply_gate(Gate::X, &[7], &[]), Err(Error::QubitOutOfRange { .. })));
    assert!(matches!(psi.marginal_probabilities(&[3]), Err(Error::QubitOutOfRange { .. })));
    let z3 = PauliSum::single(1.0, PauliString::parse("Z3").unwrap()).unwrap();
    assert!(matches!(psi.expectation(&z3), Err(Error::QubitOutOfRange { .. })));
}

#[test]
fn duplicate_qubits() {
    let mut psi = StateVector::new(3).unwrap();
    assert!(matches!(
        psi.apply_gate(Gate::Cx, &[1, 1], &[]),
        Err(Error::DuplicateQubit { qubit: 1 })
    ));
    assert!(matches!(Circuit::new(3).ccx(0, 2, 0), Err(Error::DuplicateQubit { qubit: 0 })));
    let m = Gate::Swap.matrix(&[]).unwrap();
    assert!(matches!(psi.apply_unitary(&[2, 2], &m), Err(Error::DuplicateQubit { .. })));
}

#[test]
fn wrong_parameter_count() {
    let mut psi = StateVector::new(1).unwrap();
    assert!(matches!(
        psi.apply_gate(Gate::U, &[0], &[0.1]),
        Err(Error::ParameterCount { expected: 3, got: 1, .. })
    ));
    assert!(matches!(
        Circuit::new(1).gate(Gate::H, &[0], &[Param::Fixed(0.2)]),
        Err(Error::ParameterCount { .. })
    ));
    let mut c = Circuit::new(1);
    c.rx(0, Param::var(3)).unwrap();
    assert!(matches!(
        psi.apply_circuit(&c, &[0.0]),
        Err(Error::ParameterIndexOutOfRange { index: 3, len: 1 })
    ));
}

#[test]
fn non_finite_angles() {
    let mut psi = StateVector::new(1).unwrap();
    assert!(matches!(
        psi.apply_gate(Gate::Rx, &[0], &[f64::NAN]),
        Err(Error::NonFiniteParameter { .. })
    ));
    assert!(matches!(
        Circuit::new(1).ry(0, f64::NEG_INFINITY),
        Err(Error::NonFiniteParameter { .. })
    ));
    let mut c = Circuit::new(1);
    c.rz(0, Param::var(0)).unwrap();
    assert!(matches!(
        psi.apply_circuit(&c, &[f64::INFINITY]),
        Err(Error::NonFiniteParameter { .. })
    ));
}

#[test]
fn too_many_qubits_for_memory() {
    assert!(matches!(StateVector::new(80), Err(Error::TooManyQubits { .. })));
    // Sizes whose byte count overflows 128 bits are errors too, not arithmetic panics.
    assert!(matches!(StateVector::new(130), Err(Error::TooManyQubits { .. })));
    assert!(matches!(DensityMatrix::new(70), Err(Error::TooManyQubits { .. })));
    // 2^33 amplitudes are 128 GiB: more than this machine has, refused before allocating.
    assert!(matches!(
        StateVector::new(33),
        Err(Error::OutOfMemory { .. } | Error::TooManyQubits { .. })
    ));
    assert!(matches!(DensityMatrix::new(16), Err(Error::TooManyQubits { .. })));
}

#[test]
fn malformed_states_and_matrices() {
    let c = Complex64::new;
    assert!(matches!(
        StateVector::from_amplitudes(vec![c(1.0, 0.0); 3]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        StateVector::from_amplitudes(vec![c(1.0, 0.0); 2]),
        Err(Error::NotNormalized { .. })
    ));
    assert!(matches!(
        StateVector::from_amplitudes(vec![c(f64::NAN, 0.0), c(0.0, 0.0)]),
        Err(Error::NotNormalized { .. })
    ));
    assert!(Matrix::new(1, vec![c(1.0, 0.0); 3]).is_err());
    let not_unitary =
        Matrix::new(1, vec![c(1.0, 0.0), c(1.0, 0.0), c(0.0, 0.0), c(1.0, 0.0)]).unwrap();
    let mut psi = StateVector::new(1).unwrap();
    assert!(matches!(psi.apply_unitary(&[0], &not_unitary), Err(Error::NotUnitary { .. })));
    assert!(matches!(
        psi.apply_unitary(&[0], &Matrix::identity(2)),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn gradient_inputs() {
    let mut c = Circuit::new(2);
    c.ry(0, Param::var(0)).unwrap();
    let z = PauliSum::single(1.0, PauliString::parse("Z0").unwrap()).unwrap();
    let psi = StateVector::new(2).unwrap();
    assert!(matches!(
        vjp(&c, &[0.1], psi.clone(), vec![Complex64::new(0.0, 0.0); 3]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(adjoint_gradient(&c, &[], &z), Err(Error::ParameterIndexOutOfRange { .. })));
    assert!(matches!(
        parameter_shift_gradient(&c, &[f64::NAN], &z),
        Err(Error::NonFiniteParameter { .. })
    ));
}

#[test]
fn measurement_inputs() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    assert!(AliasSampler::new(&[0.5, f64::INFINITY]).is_err());
    let mut psi = StateVector::new(2).unwrap();
    assert!(matches!(psi.measure_qubit(4, &mut rng), Err(Error::QubitOutOfRange { .. })));
    assert!(PauliString::parse("Z0 X").is_err());
    assert!(PauliSum::new().add(f64::NAN, PauliString::identity()).is_err());
    let mut rho = DensityMatrix::new(1).unwrap();
    assert!(matches!(
        rho.apply_kraus(&[0], &[Matrix::identity(2)]),
        Err(Error::DimensionMismatch { .. })
    ));
}
