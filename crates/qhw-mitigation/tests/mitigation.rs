//! On the example device, readout-mitigated expectation values are closer to the ideal ones
//! than raw ones, for every correction; the least-squares correction is a distribution.

use std::path::PathBuf;

use qhw_mitigation::backend::{Backend, ExactBackend, IdealBackend};
use qhw_mitigation::calibration::{TensoredMethod, calibrate_tensored};
use qhw_mitigation::correction::{Correction, mitigate};
use qhw_mitigation::device::NoisyDevice;
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::m3::M3Options;
use qsim_core::circuit::Circuit;

fn device() -> NoisyDevice {
    NoisyDevice::from_file(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("calibration/example_device.json"),
    )
    .unwrap()
}

/// Shallow circuits on qubits 0-3 of the example device (couplers 0-1, 1-2, 1-3).
fn circuits() -> Vec<Circuit> {
    let mut out = Vec::new();
    let mut ghz = Circuit::new(4);
    ghz.h(1).unwrap().cx(1, 0).unwrap().cx(1, 2).unwrap().cx(1, 3).unwrap();
    out.push(ghz);
    let mut flips = Circuit::new(4);
    flips.x(0).unwrap().x(2).unwrap().x(3).unwrap();
    out.push(flips);
    for k in 0..4 {
        let mut c = Circuit::new(4);
        for q in 0..4 {
            c.ry(q, 0.4 + 0.7 * q as f64 + 0.9 * k as f64).unwrap();
        }
        c.cx(1, 0).unwrap().cx(1, 2).unwrap().cx(3, 1).unwrap();
        for q in 0..4 {
            c.rx(q, 0.3 * (q + k) as f64).unwrap();
        }
        out.push(c);
    }
    out
}

#[test]
fn mitigated_expectation_values_are_closer_to_ideal_than_raw() {
    let device = device();
    let ideal = IdealBackend::new(4);
    let calibration =
        calibrate_tensored(&device, &[0, 1, 2, 3], 20_000, TensoredMethod::ZerosAndOnes, 1)
            .unwrap();
    let shots = 8_000;
    let experiments: Vec<Experiment> =
        circuits().into_iter().map(|c| Experiment::fixed(c, shots)).collect();
    let job = device.run(&experiments, 2).unwrap();
    // Observables: every Z_i, every neighbouring Z_i Z_j, and Z0 Z1 Z2 Z3.
    let masks: Vec<usize> = vec![0b0001, 0b0010, 0b0100, 0b1000, 0b0011, 0b0110, 0b1100, 0b1111];
    let corrections = [
        ("inverse", Correction::Inverse),
        ("least_squares", Correction::LeastSquares),
        ("m3", Correction::M3(M3Options::default())),
    ];
    let mut raw_error = 0.0;
    let mut mitigated_error = [0.0; 3];
    let mut terms = 0;
    for (e, counts) in experiments.iter().zip(&job.counts) {
        let exact = ideal.outcome_distribution(e).unwrap().dense().unwrap();
        let quasi: Vec<_> = corrections
            .iter()
            .map(|(_, c)| mitigate(&calibration.model, counts, c).unwrap())
            .collect();
        let ls = &quasi[1];
        assert!(ls.iter().all(|(_, w)| w >= 0.0) && (ls.total() - 1.0).abs() < 1e-9);
        for &mask in &masks {
            let truth: f64 = exact
                .iter()
                .enumerate()
                .map(|(k, p)| qhw_mitigation::counts::parity_sign(k, mask) * p)
                .sum();
            raw_error += (counts.parity_expectation(mask).unwrap() - truth).abs();
            for (i, q) in quasi.iter().enumerate() {
                mitigated_error[i] += (q.parity_expectation(mask) - truth).abs();
            }
            terms += 1;
        }
    }
    let raw = raw_error / terms as f64;
    println!("mean |<Z..Z> - ideal| over {terms} expectation values: raw {raw:.4}");
    for (i, (name, _)) in corrections.iter().enumerate() {
        let m = mitigated_error[i] / terms as f64;
        println!("  {name}: {m:.4} (error reduced {:.2}x)", raw / m);
        assert!(m < raw, "{name} did not help: {m} vs raw {raw}");
    }
}
