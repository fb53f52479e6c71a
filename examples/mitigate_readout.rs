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

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use qdiff_examples::error_line::run_main;
use qhw_mitigation::correction::{Correction, mitigate};
use qhw_mitigation::m3::{M3Options, m3_correct};
use qhw_mitigation::readout_case::ReadoutCase;

const LONG_ABOUT: &str = "\
Mitigate readout errors for one case file in the format of testdata/rem-reference.

The case holds `num_qubits` (at most 22), `confusion` (one [[P(0|0), P(0|1)], [P(1|0), P(1|1)]]
matrix per qubit, column = prepared bit) and `counts` ({bitstring: shots}, qubit 0 rightmost; a
JSON object or the text of a Python dict). Other fields are ignored.

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

fn run(args: &Args) -> Result<String, String> {
    let ReadoutCase { model, counts } =
        ReadoutCase::from_file(&args.input).map_err(|e| e.to_string())?;
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
