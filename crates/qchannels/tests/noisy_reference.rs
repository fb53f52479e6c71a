//! Every case of `testdata/noisy-reference` (Qiskit Aer 0.18, density-matrix method) matches to
//! 1e-10 in every entry.

use qchannels::noise_model::NoiseModel;
use qsim_core::Complex64;
use qsim_core::density::DensityMatrix;
use std::path::PathBuf;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/noisy-reference")
}

#[test]
fn every_noisy_reference_case_matches_qiskit_aer() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(reference_dir())
        .expect("testdata/noisy-reference exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "qasm"))
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 24, "the reference set has 24 cases");
    let mut worst_overall = 0.0f64;
    for qasm_path in cases {
        let source = std::fs::read_to_string(&qasm_path).unwrap();
        let circuit = qsim_core::qasm::parse(&source).unwrap();
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(qasm_path.with_extension("json")).unwrap(),
        )
        .unwrap();
        let noise = &json["noise"];
        let (p1, gamma, p2) = (
            noise["p1"].as_f64().unwrap(),
            noise["gamma"].as_f64().unwrap(),
            noise["p2"].as_f64().unwrap(),
        );
        let model = NoiseModel::depolarizing_and_damping(p1, gamma, p2).unwrap();
        let n = json["num_qubits"].as_u64().unwrap() as usize;
        let mut rho = DensityMatrix::new(n).unwrap();
        model.run(&circuit, &[], &mut rho).unwrap();
        let expected: Vec<Complex64> = json["density_matrix"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter())
            .map(|z| Complex64::new(z[0].as_f64().unwrap(), z[1].as_f64().unwrap()))
            .collect();
        assert_eq!(expected.len(), rho.as_slice().len());
        let worst =
            rho.as_slice().iter().zip(&expected).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
        assert!(worst < 1e-10, "{}: max deviation {worst:e}", qasm_path.display());
        worst_overall = worst_overall.max(worst);
    }
    println!("worst deviation over all cases: {worst_overall:e}");
}
