//! The OpenQASM reference cases of `testdata/` (see its README): Qiskit's final statevectors for
//! 40 random circuits in `qasm-reference/` and for 40 programs written by Qiskit's own exporter
//! in `qasm-dumps/`, matched amplitude by amplitude, global phase included.

use std::path::{Path, PathBuf};

use qsim_core::{Complex64, qasm, state::StateVector};

const TOLERANCE: f64 = 1e-9;

fn testdata(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(folder)
}

/// Reads `num_qubits` and the `[re, im]` amplitudes of a reference JSON file.
fn load_reference(path: &Path) -> (usize, Vec<Complex64>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("reference JSON parses");
    let num_qubits = json["num_qubits"].as_u64().expect("num_qubits") as usize;
    let amplitudes = json["amplitudes"]
        .as_array()
        .expect("amplitudes array")
        .iter()
        .map(|pair| {
            let re = pair[0].as_f64().expect("real part");
            let im = pair[1].as_f64().expect("imaginary part");
            Complex64::new(re, im)
        })
        .collect();
    (num_qubits, amplitudes)
}

/// Simulates one case and returns the largest |ours - Qiskit's| over all amplitudes.
fn worst_deviation(qasm_path: &Path) -> Result<f64, String> {
    let source = std::fs::read_to_string(qasm_path).map_err(|e| e.to_string())?;
    let circuit = qasm::parse(&source).map_err(|e| format!("parse: {e}"))?;
    let (num_qubits, expected) = load_reference(&qasm_path.with_extension("json"));
    if circuit.num_qubits() != num_qubits {
        return Err(format!("{} qubits, reference has {num_qubits}", circuit.num_qubits()));
    }
    let mut psi = StateVector::new(num_qubits).map_err(|e| e.to_string())?;
    psi.apply_circuit(&circuit, &[]).map_err(|e| format!("simulate: {e}"))?;
    if psi.amplitudes().len() != expected.len() {
        return Err(format!(
            "{} amplitudes, reference has {}",
            psi.amplitudes().len(),
            expected.len()
        ));
    }
    Ok(psi.amplitudes().iter().zip(&expected).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max))
}

/// Checks every `.qasm` file of `folder` against its `.json` answer and prints the worst
/// deviation; failures list each failing case with its worst deviation.
fn check_folder(folder: &str, expected_cases: usize) {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(testdata(folder))
        .unwrap_or_else(|e| panic!("testdata/{folder}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "qasm"))
        .collect();
    cases.sort();
    assert_eq!(cases.len(), expected_cases, "cases in testdata/{folder}");

    let mut failures = Vec::new();
    let mut overall = 0.0f64;
    for path in &cases {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match worst_deviation(path) {
            Ok(dev) if dev <= TOLERANCE => overall = overall.max(dev),
            Ok(dev) => failures.push(format!("{name}: worst amplitude deviation {dev:e}")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    println!("testdata/{folder}: {} cases, worst amplitude deviation {overall:e}", cases.len());
    assert!(failures.is_empty(), "cases off by more than {TOLERANCE:e}:\n{}", failures.join("\n"));
}

#[test]
fn every_reference_case_matches_qiskit() {
    check_folder("qasm-reference", 40);
}

#[test]
fn programs_written_by_qiskit_read_back_exactly() {
    check_folder("qasm-dumps", 40);
}
