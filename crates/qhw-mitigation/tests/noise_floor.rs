//! The noise floor measured with mirror circuits recovers a known injected per-qubit
//! depolarizing strength per layer, and a noiseless device reads zero.

use qhw_mitigation::device::{
    CouplerCalibration, DeviceCalibration, NoisyDevice, QubitCalibration,
};
use qhw_mitigation::noise_floor::{
    DecayMetric, NoiseFloorConfig, chain_pairs, estimate_noise_floor,
};

/// A line of `n` qubits whose only gate noise is depolarizing `p` after every one-qubit gate, so
/// each layer (one `u` per qubit, then CNOTs) adds exactly local depolarizing `p` per qubit;
/// readout errors of a few percent on top.
fn injected_device(n: usize, p: f64) -> NoisyDevice {
    let qubits = (0..n)
        .map(|q| QubitCalibration {
            readout_p1_given_0: 0.01 + 0.005 * q as f64,
            readout_p0_given_1: 0.03 + 0.01 * q as f64,
            gate_error_1q: p,
            relaxation: None,
        })
        .collect();
    let couplers =
        (1..n).map(|q| CouplerCalibration { qubits: [q - 1, q], gate_error_2q: 0.0 }).collect();
    NoisyDevice::new(DeviceCalibration {
        name: format!("injected-{p}"),
        qubits,
        couplers,
        ..DeviceCalibration::default()
    })
    .unwrap()
}

#[test]
fn noise_floor_recovers_the_injected_strength_within_ten_percent() {
    for (n, p) in [(4usize, 0.01), (3, 0.02), (5, 0.005)] {
        let device = injected_device(n, p);
        for metric in [DecayMetric::Polarization, DecayMetric::Survival] {
            let config = NoiseFloorConfig { metric, ..NoiseFloorConfig::default() };
            let est = estimate_noise_floor(&device, n, &chain_pairs(n), &config, 2024).unwrap();
            let rel = (est.p_hw - p).abs() / p;
            println!(
                "n={n} injected p={p} metric={metric:?}: p_hw={:.5} (relative error {:.3}), A={:.3}, points={:?}",
                est.p_hw,
                rel,
                est.amplitude,
                est.points
                    .iter()
                    .map(|q| (q.depth, (q.mean * 1e4).round() / 1e4))
                    .collect::<Vec<_>>()
            );
            assert!(
                rel < 0.10,
                "n={n} p={p} {metric:?}: estimate {} is {:.1}% off",
                est.p_hw,
                100.0 * rel
            );
        }
    }
}

#[test]
fn a_device_with_readout_errors_only_has_a_zero_floor() {
    let device = injected_device(3, 0.0);
    let est =
        estimate_noise_floor(&device, 3, &chain_pairs(3), &NoiseFloorConfig::default(), 5).unwrap();
    println!("readout-only device: p_hw = {:e}", est.p_hw);
    assert!(est.p_hw < 5e-4, "p_hw = {}", est.p_hw);
}

#[test]
fn the_example_device_floor_against_a_fifty_step_cosine_schedule() {
    use qchannels::schedule::Schedule;
    use qhw_mitigation::Error;
    use qhw_mitigation::noise_floor::subtract_noise_floor;
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("calibration/example_device.json");
    let device = NoisyDevice::from_file(path).unwrap();
    // Qubits 0-1-2 are a coupled path on the example device's H-shaped map.
    let est =
        estimate_noise_floor(&device, 3, &chain_pairs(3), &NoiseFloorConfig::default(), 8).unwrap();
    let schedule = Schedule::cosine(50, 0.008).unwrap();
    for layers in [1, 15] {
        let p = est.per_step(layers);
        match subtract_noise_floor(&schedule, p) {
            Ok(s) => println!(
                "example device: p_hw = {:.5} per layer; {layers} layer(s) per step add {p:.5}; beta_1 {:.5} -> {:.5}",
                est.p_hw,
                schedule.beta(1),
                s.beta(1)
            ),
            Err(Error::NoiseFloorExceedsStep { step, beta, excess, .. }) => println!(
                "example device: p_hw = {:.5} per layer; {layers} layer(s) per step add {p:.5}, more than step {step} asks for (beta = {beta:.5}, excess {excess:.5})",
                est.p_hw
            ),
            Err(e) => panic!("{e}"),
        }
    }
    assert!(est.p_hw > 0.0 && est.p_hw < 0.05, "p_hw = {}", est.p_hw);
}

/// With two-qubit depolarizing `p2` on each CNOT as well, a layer's process fidelity is
/// `(1 - 3 p1/4)^n (1 - 15 p2/16)^(n-1)`; the per-qubit strength with that fidelity is the
/// known answer.
#[test]
fn noise_floor_with_two_qubit_errors_matches_the_layer_fidelity() {
    let (n, p1, p2) = (4usize, 0.002, 0.01);
    let mut cal = injected_device(n, p1).calibration().clone();
    for c in &mut cal.couplers {
        c.gate_error_2q = p2;
    }
    let device = NoisyDevice::new(cal).unwrap();
    let fidelity = (1.0 - 0.75 * p1).powi(n as i32) * (1.0 - 15.0 / 16.0 * p2).powi(n as i32 - 1);
    let expected = 4.0 / 3.0 * (1.0 - fidelity.powf(1.0 / n as f64));
    for metric in [DecayMetric::Polarization, DecayMetric::Survival] {
        let config = NoiseFloorConfig { metric, ..NoiseFloorConfig::default() };
        let est = estimate_noise_floor(&device, n, &chain_pairs(n), &config, 77).unwrap();
        let rel = (est.p_hw - expected).abs() / expected;
        println!(
            "n={n} p1={p1} p2={p2}: expected per-qubit {expected:.5}, {metric:?} estimate {:.5} (relative error {rel:.3})",
            est.p_hw
        );
        assert!(rel < 0.10, "{metric:?}: {} vs {expected}", est.p_hw);
    }
}
