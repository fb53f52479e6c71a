//! Readout-mitigation case files, the format of `testdata/rem-reference`: a qubit count, one
//! confusion matrix per qubit and the observed counts (what the `mitigate_readout` example reads).
//!
//! ```json
//! {"num_qubits": 2,
//!  "confusion": [[[0.98, 0.05], [0.02, 0.95]], [[0.97, 0.04], [0.03, 0.96]]],
//!  "counts": {"00": 480, "01": 20, "10": 30, "11": 470}}
//! ```
//!
//! `confusion[q]` is `[[P(0|0), P(0|1)], [P(1|0), P(1|1)]]` (column = prepared bit); `counts`
//! maps bitstrings (qubit 0 rightmost) to shots, as a JSON object or as the text of a Python
//! dict (`"{'00': 480, '01': np.int64(20)}"`). Other fields are ignored.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::counts::Counts;
use crate::error::{Error, Result};
use crate::readout::{MAX_DENSE_QUBITS, TensoredReadout};
use crate::text_file::read_text;

/// The longest case file [`ReadoutCase::from_file`] reads: 64 MiB (the reference cases are a few
/// kilobytes).
pub const MAX_CASE_FILE_BYTES: u64 = 64 << 20;

/// The most qubits a case may declare: [`MAX_DENSE_QUBITS`], since a case is mitigated over all
/// `2^n` bitstrings.
pub const MAX_CASE_QUBITS: usize = MAX_DENSE_QUBITS;

/// One case: the readout model of its confusion matrices and its counts.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadoutCase {
    /// The tensored readout model of the case's confusion matrices.
    pub model: TensoredReadout,
    /// The observed counts, keyed by outcome.
    pub counts: Counts,
}

impl ReadoutCase {
    /// Reads a case file of at most [`MAX_CASE_FILE_BYTES`]; errors name the file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let p = path.as_ref();
        Self::from_json(&read_text(p, MAX_CASE_FILE_BYTES)?).map_err(|e| match e {
            Error::File { reason, .. } => Error::File { path: p.display().to_string(), reason },
            other => other,
        })
    }

    /// Reads a case from JSON text: [`Error::File`] (path `<json>`) for a missing or malformed
    /// field, [`Error::TooManyQubits`] past [`MAX_CASE_QUBITS`], and the errors of
    /// [`TensoredReadout::new`] and [`Counts::from_bitstrings`] for bad numbers or keys.
    pub fn from_json(text: &str) -> Result<Self> {
        let bad = |reason: String| Error::File { path: "<json>".into(), reason };
        let json: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let n = json["num_qubits"].as_u64().ok_or_else(|| bad("missing num_qubits".into()))?;
        if n > MAX_CASE_QUBITS as u64 {
            return Err(Error::TooManyQubits {
                what: "a readout case",
                max: MAX_CASE_QUBITS,
                got: usize::try_from(n).unwrap_or(usize::MAX),
            });
        }
        let n = n as usize;
        let confusion: Vec<[[f64; 2]; 2]> = serde_json::from_value(json["confusion"].clone())
            .map_err(|e| bad(format!("confusion: {e}")))?;
        if confusion.len() != n {
            return Err(bad(format!("{} confusion matrices for {n} qubits", confusion.len())));
        }
        let model = TensoredReadout::new(confusion)?;
        let raw = number_map(&json["counts"]).map_err(|reason| bad(format!("counts: {reason}")))?;
        let mut pairs = Vec::with_capacity(raw.len());
        for (k, v) in &raw {
            if !(v.fract() == 0.0 && *v >= 0.0 && *v <= u64::MAX as f64) {
                return Err(bad(format!("counts: `{k}` has {v} shots")));
            }
            pairs.push((k.as_str(), *v as u64));
        }
        let counts = Counts::from_bitstrings(n, pairs)?;
        Ok(Self { model, counts })
    }
}

/// Reads `{bitstring: number}` from a JSON object or from the text of a Python dict (single or
/// double quotes, `np.float64(...)`, `np.float32(...)` or `np.int64(...)` around numbers), as the
/// reference files store counts and mitigated answers; the error says which entry is bad.
pub fn number_map(value: &Value) -> std::result::Result<BTreeMap<String, f64>, String> {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                v.as_f64().map(|x| (k.clone(), x)).ok_or(format!("`{k}` is not a number"))
            })
            .collect(),
        Value::String(text) => {
            let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
            inner
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|entry| {
                    let (k, v) = entry.split_once(':').ok_or(format!("`{entry}`"))?;
                    let key = k.trim().trim_matches(|c| c == '\'' || c == '"').to_string();
                    let v = v.trim();
                    let v = v
                        .strip_prefix("np.float64(")
                        .or_else(|| v.strip_prefix("np.float32("))
                        .or_else(|| v.strip_prefix("np.int64("))
                        .map(|s| s.trim_end_matches(')'))
                        .unwrap_or(v);
                    let x = v.parse::<f64>().map_err(|_| format!("`{v}` is not a number"))?;
                    Ok((key, x))
                })
                .collect()
        }
        _ => Err("neither an object nor a dict string".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = r#"{"num_qubits": 1, "confusion": [[[0.9, 0.2], [0.1, 0.8]]],
                           "counts": {"0": 70, "1": 30}, "note": "ignored"}"#;

    #[test]
    fn reads_objects_and_python_dict_text() {
        let case = ReadoutCase::from_json(CASE).unwrap();
        assert_eq!((case.counts.get(0), case.counts.get(1)), (70, 30));
        let dict = CASE.replace(r#"{"0": 70, "1": 30}"#, r#""{'0': np.int64(70), '1': 30}""#);
        assert_eq!(ReadoutCase::from_json(&dict).unwrap(), case);
    }

    #[test]
    fn malformed_cases_are_file_errors() {
        for text in [
            "[",
            r#"{"confusion": []}"#,
            &CASE.replace(r#""num_qubits": 1"#, r#""num_qubits": 2"#),
            &CASE.replace("70", "7.5"),
            &CASE.replace("70", "-1"),
            &CASE.replace(r#"{"0": 70, "1": 30}"#, "3"),
        ] {
            assert!(matches!(ReadoutCase::from_json(text), Err(Error::File { .. })), "{text}");
        }
    }

    #[test]
    fn too_many_qubits_names_the_limit() {
        let text = CASE.replace(r#""num_qubits": 1"#, r#""num_qubits": 18446744073709551615"#);
        let err = ReadoutCase::from_json(&text).unwrap_err();
        assert!(matches!(err, Error::TooManyQubits { max: MAX_CASE_QUBITS, .. }), "{err}");
        assert!(err.to_string().contains("at most 22 qubits"), "{err}");
    }
}
