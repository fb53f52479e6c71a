//! Readout-error mitigation of one case in the format of `testdata/rem-reference`: prints the
//! exact tensored inverse over all `2^n` bitstrings and the M3 quasi-probabilities (distance
//! `n`) on the observed ones, as one JSON object.
//!
//! ```sh
//! cargo run --release --example mitigate_readout -- --input testdata/rem-reference/rem3_000.json
//! cargo run --release --example mitigate_readout -- --help
//! ```
//!
//! Output: `{"tensored_inverse": {bitstring: value, ...}, "m3": {bitstring: value, ...}}`, with
//! bitstrings written as in the input (qubit 0 rightmost).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use qdiff_examples::error_line::run_main;
use qhw_mitigation::correction::{Correction, mitigate};
use qhw_mitigation::counts::Counts;
use qhw_mitigation::m3::{M3Options, m3_correct};
use qhw_mitigation::readout::TensoredReadout;
use serde_json::Value;

const LONG_ABOUT: &str = "\
Mitigate readout errors for one case file in the format of testdata/rem-reference.

The case holds `num_qubits`, `confusion` (one [[P(0|0), P(0|1)], [P(1|0), P(1|1)]] matrix per
qubit, column = prepared bit) and `counts` ({bitstring: shots}, qubit 0 rightmost; a JSON object
or the text of a Python dict). Other fields are ignored.

Prints exactly one JSON object:
  tensored_inverse: the exact inverse of the tensor product of the confusion matrices applied to
                    the normalised counts, over all 2^n bitstrings (may be negative);
  m3:               the M3 quasi-probabilities (Nation et al. 2021) on the observed bitstrings,
                    Hamming distance n, reduced matrix with mthree's column renormalisation,
                    solved by preconditioned GMRES to a relative residual of 1e-12.";

/// Command-line flags.
#[derive(Parser, Debug)]
#[command(about = "Readout-error mitigation of one rem-reference case (JSON out).", long_about = LONG_ABOUT)]
struct Args {
    /// The case file (JSON).
    #[arg(long)]
    input: PathBuf,
}

/// Reads `{bitstring: number}` from a JSON object or from the text of a Python dict.
fn number_map(value: &Value, what: &str) -> Result<BTreeMap<String, f64>, String> {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                v.as_f64().map(|x| (k.clone(), x)).ok_or(format!("{what}: `{k}` is not a number"))
            })
            .collect(),
        Value::String(text) => {
            let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
            inner
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|entry| {
                    let (k, v) = entry.split_once(':').ok_or(format!("{what}: `{entry}`"))?;
                    let key = k.trim().trim_matches(|c| c == '\'' || c == '"').to_string();
                    let v = v.trim();
                    let v = v
                        .strip_prefix("np.float64(")
                        .or_else(|| v.strip_prefix("np.int64("))
                        .map(|s| s.trim_end_matches(')'))
                        .unwrap_or(v);
                    let x =
                        v.parse::<f64>().map_err(|_| format!("{what}: `{v}` is not a number"))?;
                    Ok((key, x))
                })
                .collect()
        }
        _ => Err(format!("{what} is neither an object nor a dict string")),
    }
}

fn run(args: &Args) -> Result<String, String> {
    let path = args.input.display();
    let text = std::fs::read_to_string(&args.input).map_err(|e| format!("{path}: {e}"))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let n = json["num_qubits"].as_u64().ok_or(format!("{path}: missing num_qubits"))? as usize;
    let confusion: Vec<[[f64; 2]; 2]> = serde_json::from_value(json["confusion"].clone())
        .map_err(|e| format!("{path}: confusion: {e}"))?;
    if confusion.len() != n {
        return Err(format!("{path}: {} confusion matrices for {n} qubits", confusion.len()));
    }
    let model = TensoredReadout::new(confusion).map_err(|e| e.to_string())?;
    let raw = number_map(&json["counts"], "counts")?;
    let mut pairs = Vec::with_capacity(raw.len());
    for (k, v) in &raw {
        if !(v.fract() == 0.0 && *v >= 0.0) {
            return Err(format!("counts: `{k}` has {v} shots"));
        }
        pairs.push((k.as_str(), *v as u64));
    }
    let counts = Counts::from_bitstrings(n, pairs).map_err(|e| e.to_string())?;
    let tensored = mitigate(&model, &counts, &Correction::Inverse).map_err(|e| e.to_string())?;
    let m3 = m3_correct(&model, &counts, &M3Options::default()).map_err(|e| e.to_string())?;
    let out = serde_json::json!({
        "tensored_inverse": tensored.to_bitstrings(),
        "m3": m3.quasi.to_bitstrings(),
    });
    Ok(out.to_string())
}

fn main() -> ExitCode {
    let args = Args::parse();
    run_main(|| run(&args).map(|json| println!("{json}")))
}
