//! Bad input gives a typed error.

use qchannels::Error;
use qchannels::channel::Channel;
use qchannels::readout::ReadoutError;
use qchannels::standard;
use qsim_core::Complex64;
use qsim_core::density::DensityMatrix;
use qsim_core::matrix::Matrix;

fn m(entries: [f64; 4]) -> Matrix {
    Matrix::new(1, entries.iter().map(|&x| Complex64::new(x, 0.0)).collect()).unwrap()
}

#[test]
fn non_trace_preserving_kraus_sets_are_rejected() {
    let half = m([0.5, 0.0, 0.0, 0.5]);
    assert!(matches!(Channel::from_kraus(vec![half]), Err(Error::NotTracePreserving { .. })));
    assert!(matches!(Channel::from_kraus(vec![]), Err(Error::DimensionMismatch { .. })));
    assert!(matches!(
        Channel::from_kraus(vec![Matrix::identity(1), Matrix::identity(2)]),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn non_completely_positive_maps_are_rejected() {
    // The transpose map is positive and trace preserving but not completely positive.
    let mut s = vec![Complex64::new(0.0, 0.0); 16];
    for r in 0..2 {
        for c in 0..2 {
            // L(rho)[r][c] = rho[c][r]: S[(c + 2r), (r + 2c)] = 1.
            s[(c + 2 * r) * 4 + (r + 2 * c)] = Complex64::new(1.0, 0.0);
        }
    }
    let transpose = Matrix::new(2, s).unwrap();
    assert!(matches!(
        Channel::from_superoperator(1, transpose),
        Err(Error::NotCompletelyPositive { .. })
    ));
    // Scaling a valid superoperator breaks trace preservation.
    let scaled =
        standard::depolarizing(0.2).unwrap().superoperator().scale(Complex64::new(1.1, 0.0));
    assert!(matches!(
        Channel::from_superoperator(1, scaled),
        Err(Error::NotTracePreserving { .. })
    ));
}

#[test]
fn probabilities_outside_zero_one_are_rejected() {
    assert!(matches!(standard::depolarizing(-0.01), Err(Error::InvalidProbability { .. })));
    assert!(matches!(
        standard::depolarizing_global(2, 1.01),
        Err(Error::InvalidProbability { .. })
    ));
    assert!(matches!(
        Channel::pauli(1, vec![0.5, 0.5, 0.5, -0.5]),
        Err(Error::InvalidProbability { .. })
    ));
    assert!(matches!(
        Channel::pauli(1, vec![0.5, 0.1, 0.1, 0.1]),
        Err(Error::NotNormalized { .. })
    ));
    assert!(matches!(
        ReadoutError::from_flips(&[(0.1, 2.0)]),
        Err(Error::InvalidProbability { .. })
    ));
}

#[test]
fn qubits_out_of_range_or_mismatched_are_rejected() {
    let mut rho = DensityMatrix::new(2).unwrap();
    let dep = standard::depolarizing(0.1).unwrap();
    assert!(matches!(
        dep.apply(&mut rho, &[2]),
        Err(Error::Sim(qsim_core::Error::QubitOutOfRange { .. }))
    ));
    assert!(matches!(dep.apply(&mut rho, &[0, 1]), Err(Error::DimensionMismatch { .. })));
    assert!(matches!(dep.apply_to_each(&mut rho, &[0, 5]), Err(Error::Sim(_))));
    let two = standard::depolarizing_global(2, 0.1).unwrap();
    assert!(matches!(
        two.apply(&mut rho, &[1, 1]),
        Err(Error::Sim(qsim_core::Error::DuplicateQubit { .. }))
    ));
}
