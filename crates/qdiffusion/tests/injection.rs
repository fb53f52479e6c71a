//! Noise-floor compensation of the forward process on a simulated device: the per-step floor
//! estimated from counts matches the device's true floor; with compensation the forward process
//! reaches the designed `alphabar`, without it the device adds its floor on top; a noiseless
//! backend has no floor; bad input is a typed error.

use std::time::Instant;

use qchannels::schedule::Schedule;
use qdiffusion::Error;
use qdiffusion::injection::{
    ForwardNoiseConfig, ForwardNoiseReport, StepFloorConfig, estimate_step_floor,
    measure_forward_noise, mirror_step_floor, true_step_floor,
};
use qhw_mitigation::backend::IdealBackend;
use qhw_mitigation::device::{DeviceCalibration, NoisyDevice};
use qhw_mitigation::noise_floor::NoiseFloorConfig;

const QUBITS: [usize; 5] = [0, 1, 2, 3, 4];

#[test]
fn the_floor_from_counts_matches_the_true_floor_on_the_default_device() {
    let start = Instant::now();
    let calibration = DeviceCalibration::default();
    let device = NoisyDevice::new(calibration.clone()).unwrap();
    let config = StepFloorConfig { seed: 11, ..StepFloorConfig::default() };
    let estimate = estimate_step_floor(&device, &QUBITS, &config).unwrap();
    let truth = true_step_floor(&calibration, &QUBITS).unwrap();
    let true_mean = truth.iter().sum::<f64>() / truth.len() as f64;
    eprintln!(
        "floor: estimate {:.4e} +- {:.1e}, true {:.4e} ({:.1}%); per qubit {:?}",
        estimate.mean,
        estimate.mean_std_error,
        true_mean,
        100.0 * (estimate.mean / true_mean - 1.0),
        estimate.per_qubit.iter().map(|q| (q.p, q.std_error)).collect::<Vec<_>>()
    );
    assert!((estimate.mean - true_mean).abs() < 0.1 * true_mean);
    assert!((estimate.mean - true_mean).abs() < 4.0 * estimate.mean_std_error);
    for (q, t) in estimate.per_qubit.iter().zip(&truth) {
        assert!((q.p - t).abs() < 5.0 * q.std_error, "qubit {}: {} vs {t}", q.qubit, q.p);
    }
    let mirror_config = NoiseFloorConfig {
        depths: vec![1, 50, 100, 200],
        circuits_per_depth: 8,
        shots: 4000,
        ..NoiseFloorConfig::default()
    };
    // The mirror-circuit estimator on one-gate layers measures the same twirled floor.
    let mirror = mirror_step_floor(&device, 5, &mirror_config, 3).unwrap();
    eprintln!("mirror: {:.4e}; took {:.2?}", mirror.p_hw, start.elapsed());
    assert!((mirror.p_hw - true_mean).abs() < 0.15 * true_mean);
}

/// Prints the table of a forward-noise report (visible with `--nocapture`).
fn print_table(report: &ForwardNoiseReport) {
    eprintln!("   t  beta_t   alphabar | compensated alphabar_eff (beta_eff) | uncompensated");
    for r in &report.rows {
        let b = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.5}"));
        eprintln!(
            "{:4}  {:7}  {:.4}  | {:.4} +- {:.4} ({:7}) | {:.4} +- {:.4} ({:7})",
            r.t,
            b(r.beta_interval),
            r.alpha_bar,
            r.compensated.alpha_bar,
            r.compensated.std_error,
            b(r.compensated.beta),
            r.uncompensated.alpha_bar,
            r.uncompensated.std_error,
            b(r.uncompensated.beta),
        );
    }
}

/// The floor from counts, then the forward process measured with and without compensating it.
fn forward_on_default_device(
    schedule: &Schedule,
    t_values: Vec<usize>,
    seed: u64,
) -> (f64, ForwardNoiseReport) {
    let calibration = DeviceCalibration::default();
    let device = NoisyDevice::new(calibration.clone()).unwrap();
    let floor = estimate_step_floor(
        &device,
        &QUBITS,
        &StepFloorConfig { seed, ..StepFloorConfig::default() },
    )
    .unwrap();
    let config = ForwardNoiseConfig {
        t_values,
        instances: 20,
        shots: 200,
        seed: seed + 1,
        ..ForwardNoiseConfig::default()
    };
    let report =
        measure_forward_noise(&device, &QUBITS, schedule, &floor.floors(), &config).unwrap();
    print_table(&report);
    let truth = true_step_floor(&calibration, &QUBITS).unwrap();
    (truth.iter().sum::<f64>() / truth.len() as f64, report)
}

#[test]
fn compensation_reaches_the_designed_alphabar_at_the_end_and_its_absence_does_not() {
    let start = Instant::now();
    // A gentle schedule: alphabar_T is about 0.7, so the end of the chain still has a signal.
    let schedule = Schedule::linear(50, 2e-3, 1.2e-2).unwrap();
    let (floor, report) = forward_on_default_device(&schedule, vec![10, 25, 50], 21);
    assert!(report.compensation.is_exact());
    let end = report.row(50).unwrap();
    let (comp, uncomp) = (&end.compensated, &end.uncompensated);
    assert!(
        (comp.alpha_bar - end.alpha_bar).abs() < 4.0 * comp.std_error,
        "compensated {} +- {} vs designed {}",
        comp.alpha_bar,
        comp.std_error,
        end.alpha_bar
    );
    // Without compensation the device adds its floor on every step: about (1 - p)^T less.
    assert!(end.alpha_bar - uncomp.alpha_bar > 8.0 * uncomp.std_error);
    let expected = end.alpha_bar * (1.0 - floor).powi(50);
    assert!((uncomp.alpha_bar - expected).abs() < 4.0 * uncomp.std_error);
    // The draws alone inject exactly the compensated (resp. designed) schedule.
    assert!((uncomp.injected_alpha_bar - end.alpha_bar).abs() < 1e-12);
    assert!(comp.injected_alpha_bar > end.alpha_bar);
    // Per step between t = 25 and t = 50, the compensated arm matches the design.
    let beta = comp.beta.unwrap();
    assert!((beta - end.beta_interval.unwrap()).abs() < 4.0 * comp.beta_std_error.unwrap());
    eprintln!("took {:.2?}", start.elapsed());
}

#[test]
fn compensation_holds_along_the_cosine_schedule() {
    let start = Instant::now();
    let schedule = Schedule::cosine(50, 0.008).unwrap();
    let (floor, report) = forward_on_default_device(&schedule, vec![10, 20, 30, 40, 50], 5);
    for r in report.rows.iter().filter(|r| r.alpha_bar > 0.05) {
        let c = &r.compensated;
        assert!((c.alpha_bar - r.alpha_bar).abs() < 4.0 * c.std_error, "t = {}", r.t);
        let u = &r.uncompensated;
        let expected = r.alpha_bar * (1.0 - floor).powi(r.t as i32);
        assert!((u.alpha_bar - expected).abs() < 4.0 * u.std_error, "t = {}", r.t);
    }
    let mid = report.row(20).unwrap();
    assert!(mid.alpha_bar - mid.uncompensated.alpha_bar > 5.0 * mid.uncompensated.std_error);
    // The control variate removes the spread of the draws: far smaller errors than the plain mean.
    assert!(mid.compensated.std_error < 0.2 * mid.compensated.plain_std_error);
    // At T the cosine schedule has fully depolarized: nothing is left to compare.
    assert!(report.row(50).unwrap().compensated.alpha_bar.abs() < 4.0 * 2e-3);

    // With 100 steps the cosine schedule's first steps are below the floor: reported, clamped.
    let long = Schedule::cosine(100, 0.008).unwrap();
    let device = NoisyDevice::new(DeviceCalibration::default()).unwrap();
    let config =
        ForwardNoiseConfig { t_values: vec![2], instances: 2, shots: 50, ..Default::default() };
    let report = measure_forward_noise(&device, &QUBITS, &long, &[floor; 5], &config).unwrap();
    assert!(!report.compensation.is_exact());
    assert!(report.compensation.unreachable.iter().all(|u| u.step == 1 && u.excess > 0.0));
    assert_eq!(report.compensation.unreachable.len(), 5);
    eprintln!("took {:.2?}", start.elapsed());
}

#[test]
fn a_noiseless_backend_has_no_floor() {
    let ideal = IdealBackend::new(3);
    let estimate = estimate_step_floor(&ideal, &[2, 0], &StepFloorConfig::default()).unwrap();
    eprintln!(
        "ideal floor {:?}",
        estimate.per_qubit.iter().map(|q| (q.p, q.std_error)).collect::<Vec<_>>()
    );
    assert!(estimate.mean.abs() < 1e-6);
    // The forward process then injects exactly the schedule, and the device adds nothing.
    let schedule = Schedule::linear(20, 0.01, 0.05).unwrap();
    let config =
        ForwardNoiseConfig { t_values: vec![20], instances: 10, shots: 100, ..Default::default() };
    let report =
        measure_forward_noise(&ideal, &[2, 0], &schedule, &estimate.floors(), &config).unwrap();
    let end = report.row(20).unwrap();
    assert!(report.compensation.is_exact());
    for arm in [&end.compensated, &end.uncompensated] {
        assert!((arm.alpha_bar - end.alpha_bar).abs() < 4.0 * arm.std_error.max(1e-9));
    }
    assert_eq!(estimate.floors().len(), 2);
}

#[test]
fn bad_input_is_a_typed_error() {
    let ideal = IdealBackend::new(3);
    let config = StepFloorConfig::default();
    assert!(matches!(estimate_step_floor(&ideal, &[], &config), Err(Error::NoQubits)));
    assert!(matches!(
        estimate_step_floor(&ideal, &[0, 3], &config),
        Err(Error::UnknownQubit { qubit: 3, num_qubits: 3 })
    ));
    assert!(matches!(
        estimate_step_floor(&ideal, &[1, 1], &config),
        Err(Error::DuplicateQubit { qubit: 1 })
    ));
    let no_shots = StepFloorConfig { shots: 0, ..StepFloorConfig::default() };
    assert!(matches!(estimate_step_floor(&ideal, &[0], &no_shots), Err(Error::ZeroShots { .. })));
    let one_depth = StepFloorConfig { depths: vec![10, 10], ..StepFloorConfig::default() };
    assert!(matches!(
        estimate_step_floor(&ideal, &[0], &one_depth),
        Err(Error::InvalidConfig { .. })
    ));
    let schedule = Schedule::cosine(10, 0.008).unwrap();
    let forward = ForwardNoiseConfig::default();
    assert!(matches!(
        measure_forward_noise(&ideal, &[], &schedule, &[], &forward),
        Err(Error::NoQubits)
    ));
    assert!(matches!(
        measure_forward_noise(&ideal, &[5], &schedule, &[0.0], &forward),
        Err(Error::UnknownQubit { qubit: 5, .. })
    ));
    let no_shots = ForwardNoiseConfig { shots: 0, ..ForwardNoiseConfig::default() };
    assert!(matches!(
        measure_forward_noise(&ideal, &[0], &schedule, &[0.0], &no_shots),
        Err(Error::ZeroShots { .. })
    ));
    let beyond = ForwardNoiseConfig { t_values: vec![11], ..ForwardNoiseConfig::default() };
    assert!(matches!(
        measure_forward_noise(&ideal, &[0], &schedule, &[0.0], &beyond),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        measure_forward_noise(&ideal, &[0, 1], &schedule, &[0.0], &forward),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        true_step_floor(&DeviceCalibration::default(), &[7]),
        Err(Error::UnknownQubit { .. })
    ));
    assert!(matches!(
        mirror_step_floor(&ideal, 0, &NoiseFloorConfig::default(), 1),
        Err(Error::NoQubits)
    ));
}
