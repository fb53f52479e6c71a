//! `StateVector::apply_circuit_to_amplitudes`: the raw-slice entry point of the engine gives what
//! `apply_circuit` gives, on unnormalised blocks too, and rejects what it cannot run.

use qsim_core::circuit::{Circuit, Param};
use qsim_core::pauli::PauliString;
use qsim_core::state::StateVector;
use qsim_core::{Complex64, Error};

#[test]
fn raw_amplitudes_match_apply_circuit_including_scale() {
    for n in [1usize, 3, 14, 15] {
        let mut c = Circuit::new(n);
        for q in 0..n {
            c.h(q).unwrap().ry(q, Param::var(0)).unwrap();
        }
        for q in 0..n - 1 {
            c.cx(q, q + 1).unwrap().rz(q + 1, 0.3).unwrap();
        }
        let mut psi = StateVector::new(n).unwrap();
        psi.apply_circuit(&c, &[0.7]).unwrap();
        // A block of a larger state is not normalised: scale the start by 0.5.
        let mut raw = vec![Complex64::new(0.0, 0.0); 1 << n];
        raw[0] = Complex64::new(0.5, 0.0);
        StateVector::apply_circuit_to_amplitudes(&mut raw, &c, &[0.7]).unwrap();
        let worst =
            raw.iter().zip(psi.amplitudes()).map(|(a, b)| (a - b * 0.5).norm()).fold(0.0, f64::max);
        assert!(worst < 1e-14, "n = {n}: deviation {worst:e}");
    }
}

#[test]
fn raw_amplitudes_reject_wrong_length_and_measurement() {
    let mut c = Circuit::with_clbits(2, 1);
    c.h(0).unwrap();
    let mut three = vec![Complex64::new(1.0, 0.0); 3];
    let err = StateVector::apply_circuit_to_amplitudes(&mut three, &c, &[]).unwrap_err();
    assert!(matches!(err, Error::DimensionMismatch { expected: 4, got: 3, .. }));
    c.measure(0, 0).unwrap();
    let mut four = vec![Complex64::new(0.5, 0.0); 4];
    let err = StateVector::apply_circuit_to_amplitudes(&mut four, &c, &[]).unwrap_err();
    assert!(matches!(err, Error::NonUnitaryOperation { .. }));
}

#[test]
fn pauli_masks_name_the_letters() {
    let p = PauliString::parse("X0 Y2 Z5").unwrap();
    assert_eq!(p.masks(), (0b101, 0b100100));
}
