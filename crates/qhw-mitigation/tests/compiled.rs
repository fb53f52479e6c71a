//! `CompiledBackend` on the IBM Kolkata file: logical circuits with gates between any qubits give
//! the ideal distribution at error scale 0, the job's clock is that of the compiled circuits, and
//! readout calibration through it sees the path's device qubits under logical indices.

use qhw_mitigation::Error;
use qhw_mitigation::backend::{Backend, ExactBackend, IdealBackend};
use qhw_mitigation::calibration::{TensoredMethod, calibrate_tensored};
use qhw_mitigation::compiled::CompiledBackend;
use qhw_mitigation::device::schedule::circuit_duration_ns;
use qhw_mitigation::device::{DeviceCalibration, NoisyDevice};
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::layout::best_path;
use qsim_core::circuit::{Circuit, Param};

fn kolkata() -> DeviceCalibration {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/calibration/ibm_kolkata_27q.json");
    DeviceCalibration::from_file(path).unwrap()
}

/// Kolkata without any error (gates, relaxation, readout).
fn noiseless_kolkata() -> DeviceCalibration {
    let cal = kolkata().scaled(0.0).unwrap();
    assert!(cal.qubits.iter().all(|q| q.readout_p1_given_0 == 0.0 && q.readout_p0_given_1 == 0.0));
    cal
}

/// Five logical qubits, parametrised, with two-qubit gates between qubits that are not
/// neighbours on a line (0-4, 1-3, 4-1, 0-2, 3-0, 2-4).
fn logical_circuit(measure: bool) -> (Circuit, Vec<f64>) {
    let mut c = if measure { Circuit::with_clbits(5, 3) } else { Circuit::new(5) };
    c.h(0).unwrap().ry(1, Param::var(0)).unwrap().rx(3, Param::var(1)).unwrap();
    c.cx(0, 4).unwrap().rzz(1, 3, Param::var(2)).unwrap().cz(4, 1).unwrap();
    c.swap(0, 2).unwrap().crz(3, 0, Param::var(3)).unwrap().ry(2, 0.4).unwrap();
    c.cp(2, 4, 0.7).unwrap().h(4).unwrap().cx(3, 1).unwrap();
    if measure {
        // Three qubits into permuted bits: counts keep the logical classical register.
        c.measure(4, 0).unwrap().measure(0, 1).unwrap().measure(3, 2).unwrap();
    }
    (c, vec![0.9, -1.3, 0.55, 2.1])
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn compiled_logical_circuits_match_the_ideal_distribution_at_error_zero() {
    let cal = noiseless_kolkata();
    let path = best_path(&cal, 5).unwrap();
    let backend =
        CompiledBackend::new(NoisyDevice::new(cal.clone()).unwrap(), path.clone()).unwrap();
    assert_eq!(backend.num_qubits(), 5);
    assert_eq!(backend.path(), &path[..]);
    let ideal = IdealBackend::new(5);
    for measure in [false, true] {
        let (c, theta) = logical_circuit(measure);
        let e = Experiment::new(c, theta, 20_000);
        let compiled = backend.compile(&e).unwrap();
        assert!(compiled.swaps > 0, "the circuit needs routing");
        // The device runs its basis on the path only.
        for op in compiled.circuit.ops() {
            assert!(op.qubits().iter().all(|q| path.contains(q)), "{op:?} leaves the path");
            assert!(["rz", "sx", "x", "cx", "measure"].contains(&op.name()), "{}", op.name());
        }
        let want = ideal.outcome_distribution(&e).unwrap().dense().unwrap();
        let got = backend.outcome_distribution(&e).unwrap().dense().unwrap();
        let diff = max_diff(&want, &got);
        assert!(diff < 1e-10, "measure = {measure}: {diff:e}");

        // Shots come from the device's counts of the compiled circuit, keyed logically.
        let job = backend.run(std::slice::from_ref(&e), 3).unwrap();
        let freq = job.counts[0].dense_frequencies().unwrap();
        let tvd = want.iter().zip(&freq).map(|(p, f)| (p - f).abs()).sum::<f64>() / 2.0;
        assert!(tvd < 0.03, "measure = {measure}: tvd {tvd}");
        // Its clock: latency plus, per shot, the shot time and the compiled circuit's duration.
        let circuit_ns = circuit_duration_ns(&compiled.circuit, &cal).unwrap();
        assert!(circuit_ns > 1000.0, "a routed circuit of cx: {circuit_ns} ns");
        let expected = cal.job_latency_s + 20_000.0 * (cal.shot_time_us * 1e-6 + circuit_ns * 1e-9);
        assert!(
            (job.device_seconds - expected).abs() < 1e-9,
            "{} vs {expected}",
            job.device_seconds
        );
        assert!((backend.device_seconds(&[e]).unwrap() - expected).abs() < 1e-9);
    }
}

#[test]
fn narrower_circuits_use_the_start_of_the_path() {
    let cal = noiseless_kolkata();
    let backend = CompiledBackend::on_best_path(NoisyDevice::new(cal).unwrap(), 4).unwrap();
    let mut c = Circuit::new(3);
    c.x(0).unwrap().cx(0, 2).unwrap();
    let e = Experiment::fixed(c, 50);
    let compiled = backend.compile(&e).unwrap();
    assert_eq!(compiled.initial_layout, backend.path()[..3]);
    assert_eq!(backend.run(&[e], 1).unwrap().counts[0].get(0b101), 50);
    let mut wide = Circuit::new(5);
    wide.x(4).unwrap();
    assert!(matches!(
        backend.run(&[Experiment::fixed(wide, 1)], 1),
        Err(Error::UnknownQubit { qubit: 4, num_qubits: 4 })
    ));
}

#[test]
fn paths_must_be_coupled_distinct_and_on_the_device() {
    let device = NoisyDevice::new(kolkata()).unwrap();
    let path = best_path(device.calibration(), 3).unwrap();
    let not_coupled = vec![path[0], path[2]];
    assert!(matches!(
        CompiledBackend::new(device.clone(), not_coupled),
        Err(Error::NotCoupled { .. })
    ));
    let twice = vec![path[0], path[1], path[0]];
    assert!(matches!(
        CompiledBackend::new(device.clone(), twice),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        CompiledBackend::new(device.clone(), vec![27]),
        Err(Error::UnknownQubit { qubit: 27, .. })
    ));
    assert!(CompiledBackend::new(device, Vec::new()).is_err());
}

#[test]
fn readout_calibration_through_it_uses_logical_indices() {
    // Noiseless gates, the file's readout errors: the calibrated flips of logical qubits 0 and 1
    // are those of device qubits path[0] and path[1].
    let file = kolkata();
    let mut cal = file.scaled(0.0).unwrap();
    for (q, f) in cal.qubits.iter_mut().zip(&file.qubits) {
        q.readout_p1_given_0 = f.readout_p1_given_0;
        q.readout_p0_given_1 = f.readout_p0_given_1;
    }
    let path = best_path(&file, 3).unwrap();
    let backend = CompiledBackend::new(NoisyDevice::new(cal).unwrap(), path.clone()).unwrap();
    let shots = 40_000;
    let got =
        calibrate_tensored(&backend, &[0, 1], shots, TensoredMethod::ZerosAndOnes, 5).unwrap();
    assert_eq!(got.shots, 2 * shots);
    for (l, &q) in path.iter().enumerate().take(2) {
        let truth = &file.qubits[q];
        let m = got.model.confusion(l).unwrap();
        // m[read][prepared]: P(1|0) = m[1][0], P(0|1) = m[0][1].
        for (est, p) in [(m[1][0], truth.readout_p1_given_0), (m[0][1], truth.readout_p0_given_1)] {
            let sigma = (p * (1.0 - p) / shots as f64).sqrt();
            assert!((est - p).abs() < 5.0 * sigma + 1e-12, "logical {l}: {est} vs {p}");
        }
    }
    // Indices are logical: a 3-qubit path has no qubit 3.
    assert!(matches!(
        calibrate_tensored(&backend, &[3], 10, TensoredMethod::ZerosAndOnes, 5),
        Err(Error::UnknownQubit { qubit: 3, num_qubits: 3 })
    ));
}
