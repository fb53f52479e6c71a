//! The device program (`mixed::device`) against the device itself: on the IBM Kolkata model,
//! the Bloch vectors the program computes match those of the compiled circuits the device runs
//! (their exact outcome distributions, readout error removed): to 1e-12 without noise, which
//! checks routing, decompositions and positions, and within the size of the pulse-noise
//! placement difference with it.

use qansatz_mps::ansatz::Init;
use qdiffusion::hardware::{Basis, chain_circuit};
use qdiffusion::mixed::device::device_program;
use qdiffusion::model::ModelConfig;
use qdiffusion::reverse::ReverseModel;
use qdiffusion::sample::seed_angles;
use qhw_mitigation::backend::ExactBackend;
use qhw_mitigation::device::{DeviceCalibration, NoisyDevice};
use qhw_mitigation::experiment::Experiment;
use qhw_mitigation::layout::{best_path, compile_on_path};
use rand::SeedableRng;

fn kolkata() -> DeviceCalibration {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../qhw-mitigation/calibration/ibm_kolkata_27q.json");
    DeviceCalibration::from_file(path).unwrap()
}

/// The calibration without readout error (the program leaves readout to mitigation).
fn without_readout(mut cal: DeviceCalibration) -> DeviceCalibration {
    for q in &mut cal.qubits {
        q.readout_p1_given_0 = 0.0;
        q.readout_p0_given_1 = 0.0;
    }
    cal
}

fn model_and_params() -> (ReverseModel, Vec<f64>) {
    // Ancillas coupled to every system qubit (the MNIST model's coupling), so routing swaps.
    let model = ModelConfig { qubits: 3, ancillas: 1, steps: 3, ..ModelConfig::default() }
        .reverse_model()
        .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut p = model.model().init_params(Init::Uniform { scale: 1.5 }, &mut rng);
    p.iter_mut().enumerate().for_each(|(i, x)| *x += 0.03 * (i % 5) as f64);
    (model, p)
}

/// Bloch vectors of the system qubits from the device's exact distributions of the compiled
/// X, Y and Z circuits.
fn device_bloch(
    device: &NoisyDevice,
    path: &[usize],
    model: &ReverseModel,
    p: &[f64],
    seed: &[(f64, f64)],
) -> Vec<f64> {
    let n = model.num_system();
    let mut f = vec![0.0; 3 * n];
    for (b, basis) in Basis::ALL.into_iter().enumerate() {
        let logical = chain_circuit(model, p, seed, basis).unwrap();
        let placed = compile_on_path(&logical, device.calibration(), path).unwrap();
        let dist = device.outcome_distribution(&Experiment::fixed(placed.circuit, 0)).unwrap();
        let probs = dist.dense().unwrap();
        for q in 0..n {
            f[3 * q + b] = probs
                .iter()
                .enumerate()
                .map(|(k, pk)| if k >> q & 1 == 0 { *pk } else { -*pk })
                .sum();
        }
    }
    f
}

#[test]
fn without_noise_the_program_is_the_device_exactly() {
    let cal = without_readout(kolkata()).scaled(0.0).unwrap();
    let (model, p) = model_and_params();
    let path = best_path(&cal, 4).unwrap();
    let device = NoisyDevice::new(cal).unwrap();
    let dp = device_program(&model, &device, &path).unwrap();
    assert!(dp.swaps > 0, "the coupling needs swaps on a line");
    for seed in seed_angles(3, 3, 9) {
        let want = device_bloch(&device, &path, &model, &p, &seed);
        let got = dp.program.features(&model, &p, &seed).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }
}

#[test]
fn with_noise_the_program_is_close_to_the_device() {
    let cal = without_readout(kolkata());
    let (model, p) = model_and_params();
    let path = best_path(&cal, 4).unwrap();
    let device = NoisyDevice::new(cal.clone()).unwrap();
    let dp = device_program(&model, &device, &path).unwrap();
    let exact = qdiffusion::mixed::MixedProgram::exact(&model).unwrap();
    let (mut worst, mut noise_effect): (f64, f64) = (0.0, 0.0);
    for seed in seed_angles(3, 3, 10) {
        let want = device_bloch(&device, &path, &model, &p, &seed);
        let got = dp.program.features(&model, &p, &seed).unwrap();
        let ideal = exact.features(&model, &p, &seed).unwrap();
        for ((g, w), i) in got.iter().zip(&want).zip(&ideal) {
            worst = worst.max((g - w).abs());
            noise_effect = noise_effect.max((w - i).abs());
        }
    }
    println!(
        "path {path:?}: {} swaps, {} cx, {} pulse pairs per chain; largest |program - device| \
         {worst:.2e}, largest |device - noiseless| {noise_effect:.2e}",
        dp.swaps, dp.cx, dp.pulse_pairs
    );
    // The program places each pulse's noise at the end of its run: a difference far below
    // the noise itself.
    assert!(worst < 0.1 * noise_effect, "{worst} vs noise {noise_effect}");
}
