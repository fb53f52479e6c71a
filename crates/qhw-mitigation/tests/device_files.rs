//! The device-file extensions: the shipped IBM files, gate-time overrides, virtual Z, faulty
//! qubits, and the error-scale knob ([`DeviceCalibration::scaled`]).

use std::path::PathBuf;

use qhw_mitigation::Error;
use qhw_mitigation::backend::{Backend, ExactBackend};
use qhw_mitigation::device::{DeviceCalibration, GateTimeOverride, NoisyDevice, Relaxation};
use qhw_mitigation::experiment::Experiment;
use qsim_core::circuit::{Circuit, Param};
use qsim_core::gate::Gate;

fn file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("calibration").join(name)
}

const SHIPPED: [&str; 3] =
    ["example_device.json", "ibm_kolkata_27q.json", "ibm_washington_127q.json"];

fn exact(device: &NoisyDevice, c: Circuit) -> Vec<f64> {
    device.outcome_distribution(&Experiment::fixed(c, 0)).unwrap().dense().unwrap()
}

/// Two coupled qubits, no readout error, 1q depolarizing 0.01, T1 = 50 us, T2 = 40 us.
fn two_qubits() -> DeviceCalibration {
    let mut cal = DeviceCalibration::default();
    cal.qubits.truncate(2);
    cal.couplers.truncate(1);
    for q in &mut cal.qubits {
        q.readout_p1_given_0 = 0.0;
        q.readout_p0_given_1 = 0.0;
        q.gate_error_1q = 0.01;
        q.relaxation = Some(Relaxation::T1T2 { t1_us: 50.0, t2_us: 40.0 });
    }
    cal
}

#[test]
fn the_ibm_files_load_and_round_trip() {
    let kolkata = DeviceCalibration::from_file(file("ibm_kolkata_27q.json")).unwrap();
    let washington = DeviceCalibration::from_file(file("ibm_washington_127q.json")).unwrap();
    assert_eq!(kolkata.qubits.len(), 27);
    assert_eq!(washington.qubits.len(), 127);
    for cal in [&kolkata, &washington] {
        assert!(cal.virtual_z);
        assert!(cal.source.contains("qiskit-ibm-runtime"));
        assert!(!cal.gate_time_overrides.is_empty());
        assert_eq!(DeviceCalibration::from_json(&cal.to_json().unwrap()).unwrap(), *cal);
        for q in &cal.qubits {
            let Some(Relaxation::T1T2 { t1_us, t2_us }) = q.relaxation else { panic!() };
            assert!(t2_us <= 2.0 * t1_us);
        }
    }
    assert_eq!(kolkata.couplers.len(), 28);
    assert!(kolkata.faulty_qubits.is_empty());
    assert_eq!(washington.faulty_qubits, vec![12, 109]);
    let device = NoisyDevice::new(washington).unwrap();
    assert!(device.coupling_map().iter().all(|p| !p.contains(&12) && !p.contains(&109)));
    assert_eq!(device.faulty_qubits(), &[12, 109]);
}

#[test]
fn faulty_qubits_are_refused_and_the_rest_runs() {
    let device = NoisyDevice::from_file(file("ibm_washington_127q.json")).unwrap();
    let mut c = Circuit::with_clbits(127, 1);
    c.x(109).unwrap().measure(109, 0).unwrap();
    let err = device.run(&[Experiment::fixed(c, 10)], 0).unwrap_err();
    assert!(matches!(err, Error::FaultyQubit { qubit: 109, .. }), "{err}");
    // Without `measure` every qubit is read, the faulty ones included.
    let c = Circuit::new(13);
    assert!(matches!(
        device.run(&[Experiment::fixed(c, 10)], 0),
        Err(Error::FaultyQubit { qubit: 12, .. })
    ));
    let mut c = Circuit::with_clbits(127, 2);
    c.x(110).unwrap().cx(110, 118).unwrap().measure(110, 0).unwrap().measure(118, 1).unwrap();
    let p = exact(&device, c);
    assert!(p[0b11] > 0.9, "{p:?}");
    let cal = DeviceCalibration { faulty_qubits: vec![1, 1], ..DeviceCalibration::default() };
    assert!(matches!(NoisyDevice::new(cal), Err(Error::InvalidCalibration { .. })));
    let cal = DeviceCalibration { faulty_qubits: vec![7], ..DeviceCalibration::default() };
    assert!(matches!(NoisyDevice::new(cal), Err(Error::UnknownQubit { qubit: 7, .. })));
}

#[test]
fn virtual_z_gates_are_noiseless_and_id_is_not() {
    let mut cal = two_qubits();
    let mut c = Circuit::new(1);
    c.h(0).unwrap();
    for _ in 0..20 {
        c.rz(0, 0.1)
            .unwrap()
            .p(0, 0.2)
            .unwrap()
            .gate(Gate::U1, &[0], &[Param::Fixed(0.1)])
            .unwrap();
        c.z(0).unwrap();
        c.s(0).unwrap().sdg(0).unwrap().t(0).unwrap().tdg(0).unwrap();
    }
    c.h(0).unwrap();
    let noisy = exact(&NoisyDevice::new(cal.clone()).unwrap(), c.clone());
    cal.virtual_z = true;
    let device = NoisyDevice::new(cal.clone()).unwrap();
    let virtual_z = exact(&device, c);
    // Only the two h gates are noisy now: the same as h, one rz of the total angle (20 times
    // 0.1 + 0.2 + 0.1 + pi, up to a global phase), h.
    let mut hh = Circuit::new(1);
    hh.h(0).unwrap().rz(0, 8.0).unwrap().h(0).unwrap();
    let reference = exact(&device, hh.clone());
    let ideal = hh;
    let ideal = exact(&NoisyDevice::new(two_qubits().scaled(0.0).unwrap()).unwrap(), ideal);
    assert!((virtual_z[1] - reference[1]).abs() < 1e-14, "{virtual_z:?} vs {reference:?}");
    assert!((reference[1] - ideal[1]).abs() > 1e-4);
    assert!((noisy[1] - virtual_z[1]).abs() > 1e-2, "{noisy:?} vs {virtual_z:?}");
    // id is a physical gate: relaxation and depolarizing after each.
    let mut x = Circuit::new(1);
    x.x(0).unwrap();
    let mut xid = x.clone();
    for _ in 0..50 {
        xid.gate(Gate::Id, &[0], &[]).unwrap();
    }
    assert!(exact(&device, xid)[0] > exact(&device, x)[0] + 0.01);
}

#[test]
fn virtual_z_trajectories_agree_with_the_exact_distribution() {
    let mut cal = DeviceCalibration { virtual_z: true, ..DeviceCalibration::default() };
    let exact_device = NoisyDevice::new(cal.clone()).unwrap();
    cal.simulation.density_matrix_max_qubits = 1;
    let trajectories = NoisyDevice::new(cal).unwrap();
    let mut c = Circuit::new(2);
    c.h(0).unwrap().x(1).unwrap();
    for _ in 0..30 {
        c.rz(0, 0.7).unwrap().t(1).unwrap().gate(Gate::Id, &[1], &[]).unwrap();
    }
    c.cx(0, 1).unwrap().h(0).unwrap();
    let p = exact(&exact_device, c.clone());
    let shots = 20_000;
    let counts = &trajectories.run(&[Experiment::fixed(c, shots)], 5).unwrap().counts[0];
    for (k, pk) in p.iter().enumerate() {
        let f = counts.get(k) as f64 / shots as f64;
        let sigma = (pk * (1.0 - pk) / shots as f64).sqrt();
        assert!((f - pk).abs() < 5.0 * sigma + 1e-3, "outcome {k}: {f} vs {pk}");
    }
}

#[test]
fn gate_time_overrides_set_the_relaxation_of_one_qubit_or_one_coupler() {
    let (t1, ns) = (50.0, 2000.0);
    let mut cal = two_qubits();
    for q in &mut cal.qubits {
        q.gate_error_1q = 0.0;
    }
    cal.couplers[0].gate_error_2q = 0.0;
    cal.gate_time_overrides = vec![
        GateTimeOverride { qubits: vec![1], time_ns: ns },
        GateTimeOverride { qubits: vec![1, 0], time_ns: 2.0 * ns },
    ];
    let device = NoisyDevice::new(cal.clone()).unwrap();
    let decay = |t_ns: f64| 1.0 - (-t_ns * 1e-3 / t1).exp();
    let mut x0 = Circuit::new(1);
    x0.x(0).unwrap();
    assert!((exact(&device, x0)[0] - decay(cal.gate_time_1q_ns)).abs() < 1e-12);
    let mut x1 = Circuit::new(2);
    x1.x(1).unwrap();
    assert!((exact(&device, x1)[0] - decay(ns)).abs() < 1e-12);
    // |11> through a cx is |10>; qubit 0 decays for the coupler's time (and its own x).
    let mut cx = Circuit::new(2);
    cx.x(0).unwrap().cx(0, 1).unwrap();
    let p = exact(&device, cx);
    let survive = (1.0 - decay(cal.gate_time_1q_ns)) * (1.0 - decay(2.0 * ns));
    assert!((p[0b11] + p[0b01] - survive).abs() < 1e-12, "{p:?}");

    let bad = |overrides: Vec<GateTimeOverride>| {
        let mut c = cal.clone();
        c.gate_time_overrides = overrides;
        NoisyDevice::new(c).unwrap_err()
    };
    let o = |qubits: &[usize], time_ns: f64| GateTimeOverride { qubits: qubits.to_vec(), time_ns };
    assert!(matches!(bad(vec![o(&[0], 1.0), o(&[0], 2.0)]), Error::InvalidCalibration { .. }));
    assert!(matches!(
        bad(vec![o(&[0, 1], 1.0), o(&[1, 0], 2.0)]),
        Error::InvalidCalibration { .. }
    ));
    assert!(matches!(bad(vec![o(&[0, 0], 1.0)]), Error::InvalidCalibration { .. }));
    assert!(matches!(bad(vec![o(&[0, 1, 2], 1.0)]), Error::InvalidCalibration { .. }));
    assert!(matches!(bad(vec![o(&[5], 1.0)]), Error::UnknownQubit { qubit: 5, .. }));
    assert!(matches!(bad(vec![o(&[0], -1.0)]), Error::InvalidCalibration { .. }));
    assert!(matches!(bad(vec![o(&[0], f64::NAN)]), Error::InvalidCalibration { .. }));
}

#[test]
fn scale_one_is_the_identity_and_the_shipped_files_scale_from_a_tenth_to_three() {
    for name in SHIPPED {
        let cal = DeviceCalibration::from_file(file(name)).unwrap();
        assert_eq!(cal.scaled(1.0).unwrap(), cal, "{name}");
        for k in 0..=30 {
            let factor = 0.1 * k as f64;
            let scaled = cal.scaled(factor).unwrap_or_else(|e| panic!("{name} x{factor}: {e}"));
            NoisyDevice::new(scaled).unwrap();
        }
    }
}

#[test]
fn scaling_multiplies_every_error_rate_and_nothing_else() {
    let cal = DeviceCalibration::from_file(file("ibm_kolkata_27q.json")).unwrap();
    for factor in [0.1, 0.5, 2.0, 3.0] {
        let s = cal.scaled(factor).unwrap();
        for (a, b) in cal.qubits.iter().zip(&s.qubits) {
            assert_eq!(b.readout_p1_given_0, factor * a.readout_p1_given_0);
            assert_eq!(b.readout_p0_given_1, factor * a.readout_p0_given_1);
            assert_eq!(b.gate_error_1q, factor * a.gate_error_1q);
            let (
                Some(Relaxation::T1T2 { t1_us: t1a, t2_us: t2a }),
                Some(Relaxation::T1T2 { t1_us, t2_us }),
            ) = (&a.relaxation, &b.relaxation)
            else {
                panic!()
            };
            assert!((t1_us * factor - t1a).abs() < 1e-12 * t1a);
            assert!((t2_us * factor - t2a).abs() < 1e-12 * t2a);
            assert!(*t2_us <= 2.0 * t1_us);
        }
        for (a, b) in cal.couplers.iter().zip(&s.couplers) {
            assert_eq!(b.gate_error_2q, factor * a.gate_error_2q);
        }
        assert_eq!(s.gate_time_overrides, cal.gate_time_overrides);
        assert_eq!(
            (s.gate_time_1q_ns, s.gate_time_2q_ns),
            (cal.gate_time_1q_ns, cal.gate_time_2q_ns)
        );
        assert_eq!((s.job_latency_s, s.shot_time_us), (cal.job_latency_s, cal.shot_time_us));
        assert!(s.description.contains("scaled"));
    }
    // Faulty qubits keep their numbers.
    let w = DeviceCalibration::from_file(file("ibm_washington_127q.json")).unwrap();
    assert_eq!(w.scaled(3.0).unwrap().qubits[109], w.qubits[109]);
    // Factor 0 is noiseless: a Bell pair reads 00 or 11 only, half each.
    let device = NoisyDevice::new(cal.scaled(0.0).unwrap()).unwrap();
    let mut bell = Circuit::new(2);
    bell.h(0).unwrap().cx(0, 1).unwrap();
    let p = exact(&device, bell);
    assert!((p[0] - 0.5).abs() < 1e-12 && (p[3] - 0.5).abs() < 1e-12, "{p:?}");
    assert!(device.calibration().qubits.iter().all(|q| q.relaxation.is_none()));
    // Per-gate relaxation strengths scale as rates: s -> 1 - (1 - s)^factor.
    let mut pg = two_qubits();
    pg.qubits[0].relaxation = Some(Relaxation::PerGate {
        amplitude_damping_1q: 0.1,
        dephasing_1q: 0.2,
        amplitude_damping_2q: 0.3,
        dephasing_2q: 0.0,
    });
    let Some(Relaxation::PerGate { amplitude_damping_1q, dephasing_2q, .. }) =
        pg.scaled(2.0).unwrap().qubits[0].relaxation
    else {
        panic!()
    };
    assert!((amplitude_damping_1q - 0.19).abs() < 1e-12 && dephasing_2q == 0.0);
}

#[test]
fn bad_scale_factors_are_typed_errors() {
    let cal = DeviceCalibration::default();
    for factor in [-0.5, f64::NAN, f64::INFINITY] {
        assert!(matches!(cal.scaled(factor), Err(Error::InvalidErrorScale { .. })), "{factor}");
    }
    // gate_error_1q = 5e-4: a probability above 1 from factor 2001 on.
    let err = cal.scaled(2500.0).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidErrorScale { reason, .. } if reason.contains("> 1")),
        "{err}"
    );
    // Readout flips 0.015 + 0.03: their sum reaches 1 at factor 22.2, before any probability
    // passes 1 (the gate error does at 2000).
    let err = cal.scaled(23.0).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidErrorScale { reason, .. } if reason.contains("singular")),
        "{err}"
    );
    assert!(cal.scaled(22.0).is_ok());
    // An invalid calibration is reported as such, not as a scale error.
    let mut bad = cal.clone();
    bad.qubits[0].gate_error_1q = 2.0;
    assert!(matches!(bad.scaled(0.5), Err(Error::InvalidProbability { .. })));
}

#[test]
fn readout_and_reset_times_are_optional_and_enter_the_device_clock() {
    // Files without the fields (all shipped ones) load with readout and reset of 0 ns.
    for name in SHIPPED {
        let cal = DeviceCalibration::from_file(file(name)).unwrap();
        assert_eq!((cal.readout_time_ns, cal.reset_time_ns), (None, None), "{name}");
        assert_eq!((cal.readout_time_ns(), cal.reset_time_ns()), (0.0, 0.0));
    }
    let cal = DeviceCalibration { readout_time_ns: Some(1000.0), ..two_qubits() };
    assert_eq!(cal.reset_time_ns(), 1000.0, "reset defaults to the readout time");
    let cal = DeviceCalibration { reset_time_ns: Some(600.0), ..cal };
    let text = cal.to_json().unwrap();
    assert!(text.contains("\"readout_time_ns\": 1000.0") && text.contains("\"reset_time_ns\""));
    assert_eq!(DeviceCalibration::from_json(&text).unwrap(), cal);
    let device = NoisyDevice::new(cal.clone()).unwrap();
    let mut c = Circuit::with_clbits(2, 2);
    c.x(0).unwrap().measure(0, 0).unwrap().reset(0).unwrap().cx(0, 1).unwrap();
    c.measure(1, 1).unwrap();
    // x 0 -> 35, measure 35 -> 1035, reset 1035 -> 1635, cx 1635 -> 1935, measure -> 2935 ns.
    let job = device.run(&[Experiment::fixed(c, 1000)], 1).unwrap();
    let want = cal.job_latency_s + 1000.0 * (cal.shot_time_us * 1e-6 + 2935e-9);
    assert!((job.device_seconds - want).abs() < 1e-9, "{} vs {want}", job.device_seconds);
    let bad = DeviceCalibration { reset_time_ns: Some(f64::NAN), ..two_qubits() };
    assert!(matches!(NoisyDevice::new(bad), Err(Error::InvalidCalibration { .. })));
}
