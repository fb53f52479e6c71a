//! Coherent batching: circuits packed onto disjoint blocks unpack to their own counts, and the
//! device clock shows the speed-up of one job and of packing over one job per circuit.

use qhw_mitigation::backend::{Backend, ExactBackend, IdealBackend, JobTiming};
use qhw_mitigation::batching::{BatchStrategy, pack_disjoint, run_batch};
use qhw_mitigation::device::{CouplerCalibration, DeviceCalibration, NoisyDevice};
use qhw_mitigation::experiment::Experiment;
use qsim_core::circuit::{Circuit, Param};

/// One reverse step of a 3-qubit staircase ansatz at diffusion timestep `t` (angles depend on
/// t, as with a timestep embedding).
fn timestep_circuit(t: usize) -> (Circuit, Vec<f64>) {
    let mut c = Circuit::new(3);
    for q in 0..3 {
        c.ry(q, Param::var(q)).unwrap();
    }
    c.cx(0, 1).unwrap().cx(1, 2).unwrap();
    let theta = (0..3).map(|q| 0.3 + 0.25 * t as f64 + 0.4 * q as f64).collect();
    (c, theta)
}

/// A 12-qubit line with the default device's error rates.
fn wide_device() -> NoisyDevice {
    let mut cal = DeviceCalibration::default();
    cal.name = "line-12".into();
    cal.qubits = vec![cal.qubits[0].clone(); 12];
    cal.couplers =
        (0..11).map(|q| CouplerCalibration { qubits: [q, q + 1], gate_error_2q: 1e-2 }).collect();
    NoisyDevice::new(cal).unwrap()
}

#[test]
fn packed_blocks_unpack_to_each_circuits_exact_distribution() {
    let ideal = IdealBackend::new(12);
    let items: Vec<(Circuit, Vec<f64>)> = (1..=4).map(timestep_circuit).collect();
    let packs = pack_disjoint(&items, 12).unwrap();
    assert_eq!(packs.len(), 1);
    assert_eq!(packs[0].blocks.len(), 4);
    let wide = ideal.outcome_distribution(&Experiment::fixed(packs[0].circuit.clone(), 0)).unwrap();
    let joint = wide.dense().unwrap();
    for (i, (c, theta)) in items.iter().enumerate() {
        let solo = ideal
            .outcome_distribution(&Experiment::new(c.clone(), theta.clone(), 0))
            .unwrap()
            .dense()
            .unwrap();
        let b = packs[0].blocks[i];
        let mut marginal = vec![0.0; 8];
        for (k, p) in joint.iter().enumerate() {
            marginal[(k >> b.bit_offset) & 7] += p;
        }
        let worst = solo.iter().zip(&marginal).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-14, "block {i}: {worst:e}");
    }
    // Too many for one wide circuit: a second one is opened.
    let many: Vec<_> = (1..=5).map(timestep_circuit).collect();
    assert_eq!(pack_disjoint(&many, 12).unwrap().len(), 2);
}

#[test]
fn batching_speeds_up_on_the_device_clock() {
    let device = wide_device();
    let shots = 4000;
    let experiments: Vec<Experiment> = (1..=8)
        .map(|t| {
            let (c, theta) = timestep_circuit(t);
            Experiment::new(c, theta, shots)
        })
        .collect();
    let runs: Vec<_> =
        [BatchStrategy::Sequential, BatchStrategy::OneJob, BatchStrategy::DisjointBlocks]
            .into_iter()
            .map(|s| run_batch(&device, &experiments, s, 99).unwrap())
            .collect();
    let seq = runs[0].device_seconds;
    for r in &runs {
        println!(
            "{:?}: {} job(s), device {:.3} s (speed-up {:.2}x), host {:.4} s",
            r.strategy,
            r.jobs,
            r.device_seconds,
            seq / r.device_seconds,
            r.host_seconds
        );
        assert_eq!(r.counts.len(), 8);
        assert!(r.counts.iter().all(|c| c.shots() == shots && c.num_bits() == 3));
    }
    // Every shot costs the 250 us repetition time plus its circuit: the three ry in parallel
    // (35 ns), cx(0, 1) (300 ns), cx(1, 2) (300 ns): 635 ns (the default device has no readout
    // time). A packed circuit runs its blocks side by side, so it lasts 635 ns too.
    let t = device.timing();
    let circuit_s = 635e-9;
    assert!((device.circuit_seconds(&experiments[0]).unwrap() - circuit_s).abs() < 1e-15);
    let shot_s = t.seconds_per_shot + circuit_s;
    let job = |total_shots: u64| t.latency_seconds + total_shots as f64 * shot_s;
    assert!((runs[0].device_seconds - 8.0 * job(shots)).abs() < 1e-9);
    assert!((runs[1].device_seconds - job(8 * shots)).abs() < 1e-9);
    assert!((device.device_seconds(&experiments).unwrap() - job(8 * shots)).abs() < 1e-9);
    // Four blocks fit on 12 qubits: two wide circuits of 4000 shots in one job.
    assert!((runs[2].device_seconds - job(2 * shots)).abs() < 1e-9);
    // Each packed block still follows its own circuit's distribution (blocks on qubits 3k..3k+2).
    for (i, e) in experiments.iter().enumerate() {
        let p = device.outcome_distribution(e).unwrap().dense().unwrap();
        let c = &runs[2].counts[i];
        let tvd: f64 =
            (0..8).map(|k| (c.get(k) as f64 / shots as f64 - p[k]).abs()).sum::<f64>() / 2.0;
        assert!(tvd < 0.05, "timestep {}: tvd {tvd}", i + 1);
    }
}

#[test]
fn an_ideal_backend_reports_the_timing_it_is_given() {
    let timing = JobTiming { latency_seconds: 1.5, seconds_per_shot: 1e-4 };
    let b = IdealBackend::new(2).with_timing(timing).unwrap();
    let mut c = Circuit::new(2);
    c.h(0).unwrap();
    let job = b.run(&[Experiment::fixed(c, 1000)], 0).unwrap();
    assert!((job.device_seconds - 1.6).abs() < 1e-12);
    assert!(
        IdealBackend::new(1)
            .with_timing(JobTiming { latency_seconds: -1.0, seconds_per_shot: 0.0 })
            .is_err()
    );
}
