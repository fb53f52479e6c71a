//! Readout-error mitigation from Python: `qhw-mitigation`'s tensored readout model, its
//! calibration from the counts of basis-state circuits, and its corrections (M3 in the subspace
//! of observed bitstrings, the exact tensored inverse), with the quasi-distribution helpers an
//! mthree-like API needs (`nearest_probability_distribution`, diagonal expectation values).
//!
//! Counts and quasi-distributions cross the boundary as dicts keyed by bitstrings written the
//! Qiskit way (bit 0 rightmost); bit `l` of a model is the `l`-th qubit it was built for.
//! `qdiff.qiskit.ReadoutMitigation` is the Python class on top of this module.

use std::collections::{BTreeMap, HashMap};

use pyo3::prelude::*;
use qhw_mitigation::correction::{Correction, mitigate};
use qhw_mitigation::counts::{Counts, QuasiDistribution, parse_bitstring};
use qhw_mitigation::m3::{M3Options, M3Solver, m3_correct};
use qhw_mitigation::readout::TensoredReadout;

use crate::error::{invalid, to_py};

/// Adds this module's classes and functions to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ReadoutModel>()?;
    m.add_function(wrap_pyfunction!(nearest_probability_distribution, m)?)?;
    m.add_function(wrap_pyfunction!(diagonal_expectation, m)?)?;
    Ok(())
}

/// A 2x2 confusion matrix `[[P(0|0), P(0|1)], [P(1|0), P(1|1)]]` (column = prepared bit).
type Confusion = [[f64; 2]; 2];

/// Independent (tensored) readout errors: one 2x2 confusion matrix per bit.
///
/// `confusion[l]` is `[[P(0|0), P(0|1)], [P(1|0), P(1|1)]]` of bit `l` (column = prepared
/// bit, as Qiskit and mthree write it); entries are probabilities, columns sum to 1 and every
/// matrix is invertible, or the constructor raises `QdiffError`.
///
/// >>> model = ReadoutModel([[[0.98, 0.05], [0.02, 0.95]]])
/// >>> quasi, iterations, residual = model.m3({"0": 900, "1": 100})
#[pyclass(module = "qdiff._native", frozen)]
pub struct ReadoutModel {
    /// The wrapped model.
    pub inner: TensoredReadout,
}

#[pymethods]
impl ReadoutModel {
    /// The model of the confusion matrices `confusion` (bit 0 first).
    #[new]
    fn new(confusion: Vec<Confusion>) -> PyResult<Self> {
        if confusion.is_empty() {
            return Err(invalid("a readout model needs at least one confusion matrix"));
        }
        TensoredReadout::new(confusion).map(|inner| ReadoutModel { inner }).map_err(to_py)
    }

    /// The model of the flip probabilities `(P(1|0), P(0|1))` of each bit.
    #[staticmethod]
    fn from_flips(flips: Vec<(f64, f64)>) -> PyResult<Self> {
        if flips.is_empty() {
            return Err(invalid("a readout model needs at least one bit"));
        }
        TensoredReadout::from_flips(&flips).map(|inner| ReadoutModel { inner }).map_err(to_py)
    }

    /// Estimates the confusion matrices of `num_qubits` bits from calibration circuits.
    ///
    /// `records` holds one `(prepared, counts)` pair per circuit: `prepared` is the basis state
    /// the circuit prepared, a string of `num_qubits` characters (bit 0 rightmost) of `0`, `1`
    /// or `-` (a bit whose outcomes this circuit does not calibrate), and `counts` maps the read
    /// bitstrings (all `num_qubits` bits) to shots. `P(r|p)` of bit `l` is the fraction of the
    /// shots of the circuits that prepared `p` on bit `l` in which bit `l` read `r`; with
    /// balanced strings (every bit prepared in 0 and in 1 equally often) this is mthree's
    /// "balanced" estimate, with one bit per circuit its "independent" one.
    #[staticmethod]
    fn from_calibration(
        py: Python<'_>,
        num_qubits: usize,
        records: Vec<(String, HashMap<String, f64>)>,
    ) -> PyResult<Self> {
        let records = records
            .iter()
            .map(|(prepared, counts)| Ok((prepared.as_str(), counts_from(num_qubits, counts)?)))
            .collect::<PyResult<Vec<_>>>()?;
        py.detach(|| estimate_confusions(num_qubits, &records))
            .and_then(|c| TensoredReadout::new(c).map_err(to_py))
            .map(|inner| ReadoutModel { inner })
    }

    /// Number of bits the model covers.
    #[getter]
    fn num_qubits(&self) -> usize {
        self.inner.confusions().len()
    }

    /// The confusion matrices, bit 0 first.
    fn confusions(&self) -> Vec<Confusion> {
        self.inner.confusions().to_vec()
    }

    /// The model of the bits `bits` only, in that order (bit `l` of the result is `bits[l]`).
    fn for_qubits(&self, bits: Vec<usize>) -> PyResult<ReadoutModel> {
        if bits.is_empty() {
            return Err(invalid("for_qubits needs at least one bit"));
        }
        self.inner.for_qubits(&bits).map(|inner| ReadoutModel { inner }).map_err(to_py)
    }

    /// The exact inverse of the tensored assignment matrix applied to the frequencies of
    /// `counts`, over all `2^n` bitstrings (at most 22 bits): quasi-probabilities that may be
    /// negative.
    fn tensored_inverse(
        &self,
        py: Python<'_>,
        counts: HashMap<String, f64>,
    ) -> PyResult<BTreeMap<String, f64>> {
        let counts = counts_from(self.num_qubits(), &counts)?;
        py.detach(|| mitigate(&self.inner, &counts, &Correction::Inverse))
            .map(|q| q.to_bitstrings())
            .map_err(to_py)
    }

    /// The M3 quasi-probabilities of `counts` (on its observed bitstrings), coupling bitstrings
    /// up to Hamming `distance` apart (None: all pairs). `method` is `"direct"` (LU of the
    /// reduced matrix) or `"iterative"` (GMRES to the relative residual `tolerance` in at most
    /// `max_iterations` steps). Returns `(quasi, iterations, relative_residual)`.
    #[pyo3(signature = (counts, distance = None, method = "direct", tolerance = 1e-12, max_iterations = 500))]
    fn m3(
        &self,
        py: Python<'_>,
        counts: HashMap<String, f64>,
        distance: Option<usize>,
        method: &str,
        tolerance: f64,
        max_iterations: usize,
    ) -> PyResult<(BTreeMap<String, f64>, usize, f64)> {
        let solver = match method {
            "direct" => M3Solver::Direct,
            "iterative" => M3Solver::Gmres { tolerance, max_iterations },
            other => {
                return Err(invalid(format!(
                    "unknown M3 method `{other}`: use \"direct\" or \"iterative\""
                )));
            }
        };
        let counts = counts_from(self.num_qubits(), &counts)?;
        let result = py
            .detach(|| m3_correct(&self.inner, &counts, &M3Options { distance, solver }))
            .map_err(to_py)?;
        Ok((result.quasi.to_bitstrings(), result.iterations, result.relative_residual))
    }

    /// The readout-corrected `<Z...Z>` on the bits `bits`, straight from `counts` (the same value
    /// as the parity of [`Self::tensored_inverse`], in one pass over the observed bitstrings).
    fn mitigated_parity(&self, counts: HashMap<String, f64>, bits: Vec<usize>) -> PyResult<f64> {
        let counts = counts_from(self.num_qubits(), &counts)?;
        let mut mask = 0usize;
        for b in bits {
            if b >= self.num_qubits() {
                return Err(invalid(format!(
                    "bit {b} is out of range for a model of {} bits",
                    self.num_qubits()
                )));
            }
            mask |= 1 << b;
        }
        self.inner.parity(&counts, mask).map_err(to_py)
    }

    fn __repr__(&self) -> String {
        format!("ReadoutModel({:?})", self.inner.confusions())
    }
}

/// The probability distribution closest to the quasi-distribution `quasi` in Euclidean
/// distance (Smolin, Gambetta and Smith 2012), on the same bitstrings (zeros dropped).
#[pyfunction]
fn nearest_probability_distribution(
    quasi: HashMap<String, f64>,
) -> PyResult<BTreeMap<String, f64>> {
    Ok(quasi_from(&quasi)?.nearest_probability().to_bitstrings())
}

/// `sum_s w_s <s|O|s>` for the diagonal operator `operator` (a string of `I`, `Z`, `0`, `1`,
/// one per bit, bit 0 rightmost; `0` and `1` are the projectors onto that bit value). An empty
/// string means `Z` on every bit. Weights need not sum to 1 (no renormalisation).
#[pyfunction]
fn diagonal_expectation(quasi: HashMap<String, f64>, operator: &str) -> PyResult<f64> {
    let q = quasi_from(&quasi)?;
    let n = q.num_bits();
    let ops: Vec<u8> = if operator.is_empty() { vec![b'Z'; n] } else { operator.bytes().collect() };
    if ops.len() != n {
        return Err(invalid(format!(
            "the operator `{operator}` has {} letters for bitstrings of {n} bits",
            ops.len()
        )));
    }
    // (mask of Z bits, mask of projected bits, required values of the projected bits)
    let (mut z, mut proj, mut want) = (0usize, 0usize, 0usize);
    for (pos, &c) in ops.iter().enumerate() {
        let bit = 1usize << (n - 1 - pos);
        match c.to_ascii_uppercase() {
            b'I' => {}
            b'Z' => z |= bit,
            b'0' => proj |= bit,
            b'1' => {
                proj |= bit;
                want |= bit;
            }
            other => {
                return Err(invalid(format!(
                    "operator letter `{}` is not one of I, Z, 0, 1",
                    other as char
                )));
            }
        }
    }
    Ok(q.iter()
        .filter(|&(k, _)| k & proj == want)
        .map(|(k, w)| qhw_mitigation::counts::parity_sign(k, z) * w)
        .sum())
}

/// Counts of `num_bits`-bit bitstrings from a dict of bitstring -> shots (whole, non-negative
/// numbers).
fn counts_from(num_bits: usize, counts: &HashMap<String, f64>) -> PyResult<Counts> {
    if counts.is_empty() {
        return Err(invalid("the counts are empty"));
    }
    let mut out = Counts::new(num_bits).map_err(to_py)?;
    for (key, &shots) in counts {
        if !(shots.is_finite() && shots >= 0.0 && shots.fract() == 0.0) {
            return Err(invalid(format!(
                "counts of `{key}` is {shots}: counts are whole numbers of shots >= 0"
            )));
        }
        out.add(parse_bitstring(key, num_bits).map_err(to_py)?, shots as u64).map_err(to_py)?;
    }
    if out.shots() == 0 {
        return Err(invalid("the counts have no shots"));
    }
    Ok(out)
}

/// A quasi-distribution from a dict of bitstring -> weight (all keys of one length).
fn quasi_from(quasi: &HashMap<String, f64>) -> PyResult<QuasiDistribution> {
    let n = quasi
        .keys()
        .next()
        .map(String::len)
        .ok_or_else(|| invalid("the quasi-distribution is empty"))?;
    let pairs = quasi
        .iter()
        .map(|(k, &w)| {
            if !w.is_finite() {
                return Err(invalid(format!("the weight of `{k}` is {w}")));
            }
            Ok((parse_bitstring(k, n).map_err(to_py)?, w))
        })
        .collect::<PyResult<Vec<_>>>()?;
    QuasiDistribution::from_pairs(n, pairs).map_err(to_py)
}

/// Pools the calibration records into per-bit confusion matrices (see
/// [`ReadoutModel::from_calibration`]).
fn estimate_confusions(num_bits: usize, records: &[(&str, Counts)]) -> PyResult<Vec<Confusion>> {
    if num_bits == 0 {
        return Err(invalid("a calibration needs at least one bit"));
    }
    if records.is_empty() {
        return Err(invalid("a calibration needs the counts of at least one circuit"));
    }
    // shots[l][prepared][read]
    let mut shots = vec![[[0u64; 2]; 2]; num_bits];
    for (prepared, counts) in records {
        if prepared.chars().count() != num_bits {
            return Err(invalid(format!(
                "the prepared state `{prepared}` has {} characters for {num_bits} bits",
                prepared.chars().count()
            )));
        }
        for (pos, c) in prepared.chars().enumerate() {
            let l = num_bits - 1 - pos;
            let p = match c {
                '0' => 0,
                '1' => 1,
                '-' => continue,
                other => {
                    return Err(invalid(format!(
                        "prepared state `{prepared}`: `{other}` is not 0, 1 or -"
                    )));
                }
            };
            for (outcome, n) in counts.iter() {
                let cell = &mut shots[l][p][(outcome >> l) & 1];
                *cell = cell.saturating_add(n);
            }
        }
    }
    shots
        .iter()
        .enumerate()
        .map(|(l, s)| {
            let mut m = [[0.0; 2]; 2];
            for p in 0..2 {
                let total = s[p][0].saturating_add(s[p][1]);
                if total == 0 {
                    return Err(invalid(format!(
                        "no calibration circuit prepared bit {l} in |{p}>: its confusion matrix \
                         cannot be estimated"
                    )));
                }
                m[0][p] = s[p][0] as f64 / total as f64;
                m[1][p] = s[p][1] as f64 / total as f64;
            }
            Ok(m)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(num_bits: usize, pairs: &[(&str, f64)]) -> Counts {
        let map: HashMap<String, f64> = pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect();
        counts_from(num_bits, &map).unwrap()
    }

    #[test]
    fn calibration_pools_the_shots_of_every_circuit_that_prepared_a_bit() {
        // Bit 0: prepared 0 in both circuits (3 + 1 wrong of 200), prepared 1 nowhere but the
        // second; bit 1 is `-` in the second circuit, so only the first counts for it.
        let records = [
            ("00", counts(2, &[("00", 95.0), ("01", 3.0), ("10", 2.0)])),
            ("-0", counts(2, &[("00", 50.0), ("01", 1.0), ("11", 49.0)])),
            ("11", counts(2, &[("11", 90.0), ("10", 6.0), ("01", 4.0)])),
        ];
        let m = estimate_confusions(2, &records).unwrap();
        assert!((m[0][1][0] - 53.0 / 200.0).abs() < 1e-15); // P(1|0) of bit 0: 3 + 1 + 49 of 200
        assert!((m[0][0][1] - 6.0 / 100.0).abs() < 1e-15); // P(0|1) of bit 0
        assert!((m[1][1][0] - 2.0 / 100.0).abs() < 1e-15); // P(1|0) of bit 1: first circuit only
        assert!((m[1][0][1] - 4.0 / 100.0).abs() < 1e-15); // P(0|1) of bit 1
        for [top, bottom] in &m {
            assert!(top.iter().zip(bottom).all(|(a, b)| (a + b - 1.0).abs() < 1e-15));
        }
    }

    #[test]
    fn bad_calibrations_and_counts_are_errors_not_panics() {
        let zeros = counts(1, &[("0", 10.0)]);
        assert!(estimate_confusions(1, &[("0", zeros.clone())]).is_err()); // never prepared 1
        assert!(estimate_confusions(1, &[("01", zeros.clone())]).is_err()); // wrong length
        assert!(estimate_confusions(1, &[("2", zeros.clone())]).is_err()); // not 0, 1 or -
        assert!(estimate_confusions(1, &[]).is_err());
        assert!(estimate_confusions(0, &[("", zeros)]).is_err());
        let map = |pairs: &[(&str, f64)]| -> HashMap<String, f64> {
            pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
        };
        assert!(counts_from(2, &map(&[])).is_err());
        assert!(counts_from(2, &map(&[("001", 1.0)])).is_err());
        assert!(counts_from(2, &map(&[("01", -1.0)])).is_err());
        assert!(counts_from(2, &map(&[("01", 0.5)])).is_err());
        assert!(counts_from(2, &map(&[("01", 0.0)])).is_err()); // no shots at all
        assert!(counts_from(70, &map(&[("01", 1.0)])).is_err());
        assert!(quasi_from(&map(&[])).is_err());
        assert!(quasi_from(&map(&[("01", 0.5), ("1", 0.5)])).is_err());
        assert!(quasi_from(&map(&[("01", f64::NAN)])).is_err());
    }
}
