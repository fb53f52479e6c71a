//! The shipped IBM device files against Qiskit Aer (`testdata/device-crosscheck/`, written by
//! `cargo xtask devices`): for each device and each of its ten circuits, our exact outcome
//! distribution against Aer's three references, and shots against exact probabilities.
//!
//! Bounds (total-variation distance, TVD), from the sizes measured when the references were
//! made (`docs/devices.md` has the table):
//! - against Aer running the noise model rebuilt from our device file: the same model on two
//!   simulators, so only rounding differs (measured below 1e-12); bound 1e-9;
//! - against Aer's `NoiseModel.from_backend` (with the snapshot's asymmetric readout): the one
//!   modelling difference is that our couplers merge the two cx directions (mean error and
//!   duration, the depolarizing parameter derived from them), which moves up to 1e-3 of
//!   probability on these circuits; bound 2e-3 (1e-9 for the circuits without cx, where the
//!   models are identical);
//! - against plain `from_backend`, whose readout on these fakes is symmetric (the mean of the
//!   two flips): up to 2e-2 measured; bound 3e-2, and it must exceed the asymmetric case's
//!   TVD, so that the test notices if the readout conventions ever coincide.
//!
//! Shots: 20,000 of ours against Aer's exact probabilities, and Aer's 20,000 against ours,
//! each a Pearson chi-square test (bins expected below 5 pooled) under a five-sigma threshold
//! (Wilson-Hilferty quantile), far above the shift the 1e-3 model difference causes.

use std::collections::HashMap;
use std::path::PathBuf;

use qhw_mitigation::backend::{Backend, ExactBackend};
use qhw_mitigation::device::NoisyDevice;
use qhw_mitigation::experiment::Experiment;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    name: String,
    qasm: String,
    aer: Vec<f64>,
    aer_symmetric_readout: Vec<f64>,
    aer_file_model: Vec<f64>,
    aer_counts: HashMap<String, u64>,
    shots: u64,
    num_bits: usize,
}

#[derive(Deserialize)]
struct Reference {
    device: String,
    cases: Vec<Case>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tvd(p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len());
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// Pearson's statistic of `counts` against `probs`, with the bins expected below 5 pooled,
/// and its five-sigma threshold.
fn chi_square(counts: &[u64], probs: &[f64]) -> (f64, f64) {
    let n: u64 = counts.iter().sum();
    let n = n as f64;
    let (mut stat, mut bins) = (0.0, 0usize);
    let (mut pooled_obs, mut pooled_exp) = (0.0, 0.0);
    for (&c, &p) in counts.iter().zip(probs) {
        let e = n * p;
        if e >= 5.0 {
            stat += (c as f64 - e).powi(2) / e;
            bins += 1;
        } else {
            pooled_obs += c as f64;
            pooled_exp += e;
        }
    }
    if pooled_exp >= 5.0 {
        stat += (pooled_obs - pooled_exp).powi(2) / pooled_exp;
        bins += 1;
    } else {
        // Too little expected mass to test: it must be small in the counts too.
        assert!(pooled_obs <= 5.0 + 10.0 * pooled_exp.sqrt() + 10.0, "{pooled_obs} in rare bins");
    }
    let df = (bins.max(2) - 1) as f64;
    let z = 5.0;
    let threshold = df * (1.0 - 2.0 / (9.0 * df) + z * (2.0 / (9.0 * df)).sqrt()).powi(3);
    (stat, threshold)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn shipped_devices_match_qiskit_aer() {
    let dir = repo().join("testdata/device-crosscheck");
    for stem in ["ibm_kolkata_27q", "ibm_washington_127q"] {
        let text = std::fs::read_to_string(dir.join(format!("{stem}.json"))).unwrap();
        let reference: Reference = serde_json::from_str(&text).unwrap();
        let device = NoisyDevice::from_file(
            repo().join("crates/qhw-mitigation/calibration").join(&reference.device),
        )
        .unwrap();
        assert!(reference.cases.len() >= 10);
        let (mut vs_from_backend, mut vs_symmetric) = (Vec::new(), Vec::new());
        for (i, case) in reference.cases.iter().enumerate() {
            let circuit = qsim_core::qasm::parse(&case.qasm).unwrap();
            let experiment = Experiment::fixed(circuit, case.shots);
            let ours = device.outcome_distribution(&experiment).unwrap().dense().unwrap();
            assert_eq!(ours.len(), 1 << case.num_bits, "{stem}/{}", case.name);
            let d_file = tvd(&ours, &case.aer_file_model);
            let d_aer = tvd(&ours, &case.aer);
            let d_sym = tvd(&ours, &case.aer_symmetric_readout);
            eprintln!(
                "{stem} {:<18} TVD: file model {d_file:.1e}, from_backend {d_aer:.1e}, \
                 symmetric readout {d_sym:.1e}",
                case.name
            );
            assert!(d_file < 1e-9, "{stem}/{}: {d_file} against Aer on our model", case.name);
            assert!(d_aer < 2e-3, "{stem}/{}: {d_aer} against from_backend", case.name);
            if !case.qasm.contains("cx ") {
                // No two-qubit gate, so no merged directions: the models are identical.
                assert!(d_aer < 1e-9, "{stem}/{}: {d_aer} without cx", case.name);
            }
            assert!(d_sym < 3e-2 && d_sym > d_aer, "{stem}/{}: {d_sym}", case.name);
            vs_from_backend.push(d_aer);
            vs_symmetric.push(d_sym);

            // Our shots against Aer's exact probabilities.
            let counts = &device.run(&[experiment], 100 + i as u64).unwrap().counts[0];
            let ours_sampled: Vec<u64> = (0..ours.len()).map(|k| counts.get(k)).collect();
            let (stat, limit) = chi_square(&ours_sampled, &case.aer);
            assert!(stat < limit, "{stem}/{}: our shots, chi2 {stat} >= {limit}", case.name);
            // Aer's shots against our exact probabilities.
            let mut aer_sampled = vec![0u64; ours.len()];
            for (k, &n) in &case.aer_counts {
                aer_sampled[k.parse::<usize>().unwrap()] += n;
            }
            assert_eq!(aer_sampled.iter().sum::<u64>(), case.shots);
            let (stat, limit) = chi_square(&aer_sampled, &ours);
            assert!(stat < limit, "{stem}/{}: Aer's shots, chi2 {stat} >= {limit}", case.name);
        }
        eprintln!(
            "{stem}: TVD against from_backend max {:.1e} median {:.1e}; against symmetric \
             readout max {:.1e} median {:.1e}",
            vs_from_backend.iter().copied().fold(0.0, f64::max),
            median(vs_from_backend.clone()),
            vs_symmetric.iter().copied().fold(0.0, f64::max),
            median(vs_symmetric.clone()),
        );
    }
}
