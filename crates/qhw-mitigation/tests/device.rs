//! Backends: counts keys, reproducibility, the device's noise against `qchannels`' reference
//! noise model, trajectories against exact distributions, calibration files and their errors.

use std::path::PathBuf;

use qchannels::noise_model::NoiseModel;
use qhw_mitigation::Error;
use qhw_mitigation::backend::{Backend, ExactBackend, IdealBackend};
use qhw_mitigation::calibration::{TensoredMethod, calibrate_full, calibrate_tensored};
use qhw_mitigation::device::{
    CouplerCalibration, DeviceCalibration, NoisyDevice, Relaxation, SimulationConfig,
};
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::readout::AssignmentMatrix;
use qsim_core::circuit::{Circuit, Param};
use qsim_core::density::DensityMatrix;

fn example_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("calibration/example_device.json")
}

#[test]
fn the_example_calibration_loads_and_round_trips() {
    let cal = DeviceCalibration::from_file(example_file()).unwrap();
    assert_eq!(cal.qubits.len(), 7);
    let device = NoisyDevice::new(cal.clone()).unwrap();
    assert_eq!(device.coupling_map().len(), 6);
    assert_eq!(DeviceCalibration::from_json(&cal.to_json().unwrap()).unwrap(), cal);
    assert!((device.timing().job_seconds(1000) - (4.0 + 1000.0 * 250e-6)).abs() < 1e-12);
}

#[test]
fn bad_calibration_data_gives_typed_errors() {
    let good = DeviceCalibration::default();
    let mut c = good.clone();
    c.qubits[2].readout_p1_given_0 = 1.3;
    assert!(matches!(NoisyDevice::new(c), Err(Error::InvalidProbability { .. })));
    let mut c = good.clone();
    c.qubits[1].readout_p1_given_0 = 0.4;
    c.qubits[1].readout_p0_given_1 = 0.6;
    assert!(matches!(NoisyDevice::new(c), Err(Error::SingularConfusion { qubit: 1, .. })));
    let mut c = good.clone();
    c.couplers.push(CouplerCalibration { qubits: [4, 9], gate_error_2q: 0.01 });
    assert!(matches!(NoisyDevice::new(c), Err(Error::UnknownQubit { qubit: 9, num_qubits: 5 })));
    let mut c = good.clone();
    c.couplers.push(CouplerCalibration { qubits: [1, 0], gate_error_2q: 0.01 });
    assert!(matches!(NoisyDevice::new(c), Err(Error::InvalidCalibration { .. })));
    let mut c = good.clone();
    c.qubits[0].relaxation = Some(Relaxation::T1T2 { t1_us: 50.0, t2_us: 120.0 });
    assert!(matches!(NoisyDevice::new(c), Err(Error::InvalidCalibration { .. })));
    let mut c = good.clone();
    c.qubits[0].gate_error_1q = f64::NAN;
    assert!(matches!(NoisyDevice::new(c), Err(Error::InvalidProbability { .. })));
    let mut c = good.clone();
    c.simulation = SimulationConfig { density_matrix_max_qubits: 40 };
    assert!(matches!(NoisyDevice::new(c), Err(Error::InvalidConfig { .. })));
    let text = good.to_json().unwrap().replace("\"shot_time_us\"", "\"shot_time_ms\"");
    assert!(matches!(DeviceCalibration::from_json(&text), Err(Error::File { .. })));
    assert!(matches!(
        DeviceCalibration::from_file("/nonexistent/device.json"),
        Err(Error::File { .. })
    ));
}

#[test]
fn devices_reject_uncoupled_pairs_wide_gates_and_missing_qubits() {
    let device = NoisyDevice::new(DeviceCalibration::default()).unwrap();
    let mut c = Circuit::new(5);
    c.cx(0, 2).unwrap();
    let err = device.run(&[Experiment::fixed(c, 10)], 0).unwrap_err();
    assert!(matches!(err, Error::NotCoupled { a: 0, b: 2, .. }), "{err}");
    let mut c = Circuit::new(3);
    c.ccx(0, 1, 2).unwrap();
    assert!(matches!(
        device.run(&[Experiment::fixed(c, 10)], 0),
        Err(Error::UnsupportedOperation { .. })
    ));
    let c = Circuit::new(6);
    assert!(matches!(device.run(&[Experiment::fixed(c, 10)], 0), Err(Error::UnknownQubit { .. })));
    let mut c = Circuit::new(1);
    c.rx(0, Param::var(0)).unwrap();
    assert!(matches!(device.run(&[Experiment::fixed(c, 10)], 0), Err(Error::Sim(_))));
}

#[test]
fn counts_are_keyed_by_classical_register_or_qubits_and_reproducible() {
    let backend = IdealBackend::new(3);
    let mut all = Circuit::new(3);
    all.x(2).unwrap();
    let mut reg = Circuit::with_clbits(3, 2);
    reg.x(2).unwrap().measure(2, 0).unwrap();
    // Mid-circuit measurement, reset and re-measurement into another bit.
    let mut mid = Circuit::with_clbits(1, 2);
    mid.x(0).unwrap().measure(0, 0).unwrap().reset(0).unwrap().measure(0, 1).unwrap();
    let job = backend
        .run(
            &[Experiment::fixed(all, 50), Experiment::fixed(reg, 50), Experiment::fixed(mid, 50)],
            3,
        )
        .unwrap();
    assert_eq!(job.counts[0].num_bits(), 3);
    assert_eq!(job.counts[0].get(0b100), 50);
    assert_eq!(job.counts[1].num_bits(), 2);
    assert_eq!(job.counts[1].get(0b01), 50);
    assert_eq!(job.counts[2].get(0b01), 50);
    let mut h = Circuit::new(3);
    for q in 0..3 {
        h.h(q).unwrap();
    }
    let e = vec![Experiment::fixed(h.clone(), 500), Experiment::fixed(h, 500)];
    let a = backend.run(&e, 11).unwrap();
    let b = backend.run(&e, 11).unwrap();
    assert_eq!(a.counts, b.counts, "same seed, same counts");
    assert_ne!(a.counts[0], a.counts[1], "experiments draw from different streams");
}

/// A device whose noise is exactly `NoiseModel::depolarizing_and_damping(p1, gamma, p2)` and
/// whose readout is perfect.
fn reference_noise_device(p1: f64, gamma: f64, p2: f64, dm_max: usize) -> NoisyDevice {
    let mut cal = DeviceCalibration::default();
    for q in &mut cal.qubits {
        q.readout_p1_given_0 = 0.0;
        q.readout_p0_given_1 = 0.0;
        q.gate_error_1q = p1;
        q.relaxation = Some(Relaxation::PerGate {
            amplitude_damping_1q: gamma,
            dephasing_1q: 0.0,
            amplitude_damping_2q: 0.0,
            dephasing_2q: 0.0,
        });
    }
    for c in &mut cal.couplers {
        c.gate_error_2q = p2;
    }
    cal.simulation.density_matrix_max_qubits = dm_max;
    NoisyDevice::new(cal).unwrap()
}

fn test_circuit() -> Circuit {
    let mut c = Circuit::new(4);
    c.h(0).unwrap().ry(1, 0.7).unwrap().cx(0, 1).unwrap().rx(2, 1.1).unwrap();
    c.cx(1, 2).unwrap().u(3, 0.4, 0.2, -0.3).unwrap().cx(2, 3).unwrap().rz(0, 0.5).unwrap();
    c.cx(3, 2).unwrap().h(1).unwrap();
    c
}

#[test]
fn the_device_noise_matches_the_qchannels_reference_model() {
    let (p1, gamma, p2) = (0.02, 0.03, 0.05);
    let device = reference_noise_device(p1, gamma, p2, 10);
    let c = test_circuit();
    let ours =
        device.outcome_distribution(&Experiment::fixed(c.clone(), 0)).unwrap().dense().unwrap();
    let mut rho = DensityMatrix::new(4).unwrap();
    NoiseModel::depolarizing_and_damping(p1, gamma, p2).unwrap().run(&c, &[], &mut rho).unwrap();
    let worst =
        ours.iter().zip(rho.probabilities()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-12, "worst difference {worst:e}");
}

#[test]
fn trajectories_sample_the_exact_distribution() {
    let exact = reference_noise_device(0.02, 0.03, 0.05, 10);
    let trajectories = reference_noise_device(0.02, 0.03, 0.05, 0);
    let c = test_circuit();
    let p = exact.outcome_distribution(&Experiment::fixed(c.clone(), 0)).unwrap().dense().unwrap();
    assert!(matches!(
        trajectories.outcome_distribution(&Experiment::fixed(c.clone(), 0)),
        Err(Error::NoExactDistribution { .. })
    ));
    let shots = 20_000;
    let counts = &trajectories.run(&[Experiment::fixed(c, shots)], 9).unwrap().counts[0];
    let tvd: f64 =
        (0..16).map(|k| (counts.get(k) as f64 / shots as f64 - p[k]).abs()).sum::<f64>() / 2.0;
    println!("trajectories vs exact, 20000 shots: total variation distance {tvd:.4}");
    assert!(tvd < 0.02, "tvd {tvd}");
}

#[test]
fn readout_calibration_recovers_the_device_confusion() {
    let cal = DeviceCalibration::from_file(example_file()).unwrap();
    let truth = cal.readout_model().unwrap();
    let device = NoisyDevice::new(cal).unwrap();
    let qubits = [0, 1, 2, 3];
    let shots = 40_000;
    for method in [TensoredMethod::ZerosAndOnes, TensoredMethod::PerQubit] {
        let est = calibrate_tensored(&device, &qubits, shots, method, 17).unwrap();
        for (l, &q) in qubits.iter().enumerate() {
            let (a, b) = (est.model.confusion(l).unwrap(), truth.confusion(q).unwrap());
            for (r, c) in [(1, 0), (0, 1)] {
                // Five standard errors of a binomial rate (plus the X gate's own small error).
                let tol = 5.0 * (b[r][c] / shots as f64).sqrt() + 2e-3;
                assert!(
                    (a[r][c] - b[r][c]).abs() < tol,
                    "{method:?} qubit {q}: {} vs {}",
                    a[r][c],
                    b[r][c]
                );
            }
        }
    }
    let full = calibrate_full(&device, &[0, 1], shots, 5).unwrap();
    let sub = truth.for_qubits(&[0, 1]).unwrap();
    for read in 0..4 {
        for prep in 0..4 {
            assert!((full.model.element(read, prep) - sub.element(read, prep)).abs() < 6e-3);
        }
    }
    assert!(matches!(
        calibrate_tensored(&device, &[0, 7], 100, TensoredMethod::ZerosAndOnes, 0),
        Err(Error::UnknownQubit { qubit: 7, .. })
    ));
}

#[test]
fn t1_t2_relaxation_follows_the_analytic_decay() {
    use qhw_mitigation::device::QubitCalibration;
    let (t1, t2, gate_ns) = (10.0, 15.0, 1000.0);
    let cal = DeviceCalibration {
        name: "relaxation".into(),
        qubits: vec![QubitCalibration {
            readout_p1_given_0: 0.0,
            readout_p0_given_1: 0.0,
            gate_error_1q: 0.0,
            relaxation: Some(Relaxation::T1T2 { t1_us: t1, t2_us: t2 }),
        }],
        couplers: vec![],
        gate_time_1q_ns: gate_ns,
        ..DeviceCalibration::default()
    };
    let device = NoisyDevice::new(cal).unwrap();
    let t = gate_ns * 1e-3;
    let gamma = 1.0 - (-t / t1).exp();
    // X then relaxation: |1> decays to |0> with probability gamma.
    let mut x = Circuit::new(1);
    x.x(0).unwrap();
    let p = device.outcome_distribution(&Experiment::fixed(x, 0)).unwrap().dense().unwrap();
    assert!((p[0] - gamma).abs() < 1e-14, "{} vs {gamma}", p[0]);
    // H, relax, H, relax: the coherence after the first gate is exp(-t/T2)/2, so after the
    // second H P(0) = 1/2 + exp(-t/T2)/2, and the last damping moves gamma of P(1) to 0.
    let mut hh = Circuit::new(1);
    hh.h(0).unwrap().h(0).unwrap();
    let p = device.outcome_distribution(&Experiment::fixed(hh, 0)).unwrap().dense().unwrap();
    let p0 = 0.5 + 0.5 * (-t / t2).exp();
    let expected = p0 + gamma * (1.0 - p0);
    assert!((p[0] - expected).abs() < 1e-14, "{} vs {expected}", p[0]);
}
