//! Every case of `testdata/rem-reference` matches the exact tensored inverse to 1e-9 and mthree
//! 3.0's `apply_correction(..., distance=n, method="direct")` to 1e-5 on every observed outcome.

use std::collections::BTreeMap;
use std::path::PathBuf;

use qhw_mitigation::correction::{Correction, mitigate};
use qhw_mitigation::counts::{Counts, parse_bitstring};
use qhw_mitigation::m3::{M3Options, M3Solver, m3_correct};
use qhw_mitigation::readout::TensoredReadout;
use qhw_mitigation::readout_case::{ReadoutCase, number_map};
use serde_json::Value;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rem-reference")
}

/// A `{bitstring: number}` answer (a JSON object or the text of a Python dict).
fn answer_map(value: &Value) -> BTreeMap<String, f64> {
    number_map(value).unwrap_or_else(|e| panic!("unreadable answer: {e}"))
}

struct Case {
    name: String,
    n: usize,
    model: TensoredReadout,
    counts: Counts,
    tensored: BTreeMap<String, f64>,
    m3: BTreeMap<String, f64>,
}

fn cases() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(reference_dir())
        .expect("testdata/rem-reference exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let json: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let ReadoutCase { model, counts } = ReadoutCase::from_file(&path).unwrap();
            Case {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                n: json["num_qubits"].as_u64().unwrap() as usize,
                model,
                counts,
                tensored: answer_map(&json["tensored_inverse"]),
                m3: answer_map(&json["m3_distance_n"]),
            }
        })
        .collect()
}

#[test]
fn python_dict_strings_parse_like_json_objects() {
    let m =
        answer_map(&Value::String("{'01': np.float64(-0.25), '10': 1.25e-3, \"11\": 0.5}".into()));
    assert_eq!(m["01"], -0.25);
    assert_eq!(m["10"], 1.25e-3);
    assert_eq!(m["11"], 0.5);
}

#[test]
fn every_case_matches_the_tensored_inverse_to_1e_9() {
    let cases = cases();
    assert_eq!(cases.len(), 20, "the reference set has 20 cases");
    let mut worst = 0.0f64;
    for case in &cases {
        let q = mitigate(&case.model, &case.counts, &Correction::Inverse).unwrap();
        assert_eq!(case.tensored.len(), 1 << case.n, "{}", case.name);
        for (key, expected) in &case.tensored {
            let got = q.get(parse_bitstring(key, case.n).unwrap());
            let err = (got - expected).abs();
            worst = worst.max(err);
            assert!(err < 1e-9, "{} {key}: {got} vs {expected}", case.name);
        }
    }
    println!("tensored inverse: worst |ours - reference| over 20 cases = {worst:e}");
}

#[test]
fn every_case_matches_mthree_to_1e_5_with_gmres_and_direct() {
    let mut worst = [0.0f64; 2];
    for case in cases() {
        for (s, solver) in [M3Solver::default(), M3Solver::Direct].into_iter().enumerate() {
            let r = m3_correct(&case.model, &case.counts, &M3Options { distance: None, solver })
                .unwrap();
            assert_eq!(r.quasi.len(), case.m3.len(), "{}", case.name);
            for (key, expected) in &case.m3 {
                let got = r.quasi.get(parse_bitstring(key, case.n).unwrap());
                let err = (got - expected).abs();
                worst[s] = worst[s].max(err);
                assert!(err < 1e-5, "{} {key}: {got} vs {expected} ({solver:?})", case.name);
            }
            assert!(r.relative_residual < 1e-11, "{}: residual {}", case.name, r.relative_residual);
        }
    }
    println!("M3 vs mthree: worst |ours - reference| GMRES {:e}, direct {:e}", worst[0], worst[1]);
}
