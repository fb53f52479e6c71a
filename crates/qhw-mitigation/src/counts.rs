//! Measurement records: integer counts per outcome, and the (quasi-)probabilities mitigation
//! turns them into.
//!
//! Outcomes are integers whose bit `i` is classical bit `i` (or qubit `i` when a circuit measures
//! every qubit), the little-endian convention of `qsim-core`. As text they are written Qiskit's
//! way, bit 0 rightmost ([`qsim_core::measure::bitstring`]).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The widest outcome this crate keys by integer.
pub const MAX_BITS: usize = 63;

/// Parses a bitstring written with bit 0 rightmost into its integer outcome.
pub fn parse_bitstring(text: &str, num_bits: usize) -> Result<usize> {
    let bad = |reason: String| Error::InvalidBitstring { bitstring: text.to_string(), reason };
    if text.len() != num_bits {
        return Err(bad(format!("expected {num_bits} bits, got {}", text.len())));
    }
    if num_bits > MAX_BITS {
        return Err(bad(format!("more than {MAX_BITS} bits")));
    }
    let mut index = 0usize;
    for (pos, ch) in text.chars().enumerate() {
        let bit = match ch {
            '0' => 0,
            '1' => 1,
            other => return Err(bad(format!("character `{other}` at position {pos}"))),
        };
        index |= bit << (num_bits - 1 - pos);
    }
    Ok(index)
}

fn check_width(num_bits: usize) -> Result<()> {
    if num_bits > MAX_BITS {
        return Err(Error::TooManyQubits { what: "an outcome key", max: MAX_BITS, got: num_bits });
    }
    Ok(())
}

/// Shots per outcome of one circuit execution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    num_bits: usize,
    counts: BTreeMap<usize, u64>,
}

impl Counts {
    /// An empty table for outcomes of `num_bits` bits.
    pub fn new(num_bits: usize) -> Result<Self> {
        check_width(num_bits)?;
        Ok(Self { num_bits, counts: BTreeMap::new() })
    }

    /// A table from `(outcome, count)` pairs; outcomes must fit in `num_bits` bits.
    pub fn from_pairs(
        num_bits: usize,
        pairs: impl IntoIterator<Item = (usize, u64)>,
    ) -> Result<Self> {
        let mut c = Self::new(num_bits)?;
        for (outcome, n) in pairs {
            c.add(outcome, n)?;
        }
        Ok(c)
    }

    /// A table from Qiskit-style bitstring keys (bit 0 rightmost), all of length `num_bits`.
    pub fn from_bitstrings<'a>(
        num_bits: usize,
        pairs: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Result<Self> {
        let mut c = Self::new(num_bits)?;
        for (key, n) in pairs {
            c.add(parse_bitstring(key, num_bits)?, n)?;
        }
        Ok(c)
    }

    /// Adds `n` shots of `outcome`.
    pub fn add(&mut self, outcome: usize, n: u64) -> Result<()> {
        if self.num_bits < usize::BITS as usize && outcome >> self.num_bits != 0 {
            return Err(Error::InvalidBitstring {
                bitstring: format!("{outcome:#b}"),
                reason: format!("outcome does not fit in {} bits", self.num_bits),
            });
        }
        if n > 0 {
            let c = self.counts.entry(outcome).or_insert(0);
            *c = c.saturating_add(n);
        }
        Ok(())
    }

    /// Bits per outcome.
    pub fn num_bits(&self) -> usize {
        self.num_bits
    }

    /// Total shots.
    pub fn shots(&self) -> u64 {
        self.counts.values().fold(0u64, |t, &n| t.saturating_add(n))
    }

    /// Number of distinct outcomes seen.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when no shot was recorded.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Shots of `outcome` (0 if never seen).
    pub fn get(&self, outcome: usize) -> u64 {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    /// `(outcome, count)` in increasing outcome order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.counts.iter().map(|(&k, &v)| (k, v))
    }

    /// Observed frequencies `(outcome, count / shots)`; an error when there are no shots.
    pub fn frequencies(&self) -> Result<Vec<(usize, f64)>> {
        let shots = self.shots();
        if shots == 0 {
            return Err(Error::EmptyCounts);
        }
        Ok(self.iter().map(|(k, v)| (k, v as f64 / shots as f64)).collect())
    }

    /// Frequencies over all `2^num_bits` outcomes (for dense methods; at most 26 bits).
    pub fn dense_frequencies(&self) -> Result<Vec<f64>> {
        if self.num_bits > 26 {
            return Err(Error::TooManyQubits {
                what: "dense frequencies",
                max: 26,
                got: self.num_bits,
            });
        }
        let mut p = vec![0.0; 1 << self.num_bits];
        for (k, f) in self.frequencies()? {
            p[k] = f;
        }
        Ok(p)
    }

    /// The counts of a subset of bits: entry bit `l` is bit `bits[l]` of the original outcome.
    pub fn marginal(&self, bits: &[usize]) -> Result<Counts> {
        for (i, &b) in bits.iter().enumerate() {
            if b >= self.num_bits {
                return Err(Error::UnknownQubit { qubit: b, num_qubits: self.num_bits });
            }
            if bits[..i].contains(&b) {
                return Err(Error::InvalidConfig { reason: format!("bit {b} listed twice") });
            }
        }
        let mut out = Counts::new(bits.len())?;
        for (k, v) in self.iter() {
            let j = bits.iter().enumerate().map(|(l, &b)| ((k >> b) & 1) << l).sum();
            out.add(j, v)?;
        }
        Ok(out)
    }

    /// The table keyed by Qiskit-style bitstrings (bit 0 rightmost).
    pub fn to_bitstrings(&self) -> BTreeMap<String, u64> {
        self.iter().map(|(k, v)| (qsim_core::measure::bitstring(k, self.num_bits), v)).collect()
    }

    /// The sample mean of the parity `(-1)^{popcount(outcome & mask)}`: `<Z...Z>` on the bits of
    /// `mask`.
    pub fn parity_expectation(&self, mask: usize) -> Result<f64> {
        Ok(self.frequencies()?.iter().map(|&(k, f)| parity_sign(k, mask) * f).sum())
    }
}

/// `(-1)^{popcount(outcome & mask)}`: the eigenvalue of `Z` on the bits of `mask`.
pub fn parity_sign(outcome: usize, mask: usize) -> f64 {
    if (outcome & mask).count_ones() % 2 == 0 { 1.0 } else { -1.0 }
}

/// A real weight per outcome summing to about 1, possibly negative: what readout correction
/// returns. Sparse: absent outcomes have weight 0.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuasiDistribution {
    num_bits: usize,
    values: BTreeMap<usize, f64>,
}

impl QuasiDistribution {
    /// From `(outcome, weight)` pairs (later duplicates add up).
    pub fn from_pairs(
        num_bits: usize,
        pairs: impl IntoIterator<Item = (usize, f64)>,
    ) -> Result<Self> {
        check_width(num_bits)?;
        let mut values = BTreeMap::new();
        for (k, v) in pairs {
            if num_bits < usize::BITS as usize && k >> num_bits != 0 {
                return Err(Error::DimensionMismatch {
                    what: "outcome bound (2^num_bits)",
                    expected: 1 << num_bits,
                    got: k,
                });
            }
            *values.entry(k).or_insert(0.0) += v;
        }
        Ok(Self { num_bits, values })
    }

    /// From a dense vector over all `2^n` outcomes (index bit `i` = bit `i`).
    pub fn from_dense(values: &[f64]) -> Result<Self> {
        if !values.len().is_power_of_two() {
            return Err(Error::DimensionMismatch {
                what: "dense distribution length (a power of two)",
                expected: values.len().next_power_of_two(),
                got: values.len(),
            });
        }
        let num_bits = values.len().trailing_zeros() as usize;
        Self::from_pairs(num_bits, values.iter().copied().enumerate())
    }

    /// Bits per outcome.
    pub fn num_bits(&self) -> usize {
        self.num_bits
    }

    /// Weight of `outcome` (0 if absent).
    pub fn get(&self, outcome: usize) -> f64 {
        self.values.get(&outcome).copied().unwrap_or(0.0)
    }

    /// `(outcome, weight)` in increasing outcome order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.values.iter().map(|(&k, &v)| (k, v))
    }

    /// Number of stored outcomes.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Sum of all weights.
    pub fn total(&self) -> f64 {
        self.values.values().sum()
    }

    /// Dense vector over all `2^n` outcomes (at most 26 bits).
    pub fn to_dense(&self) -> Result<Vec<f64>> {
        if self.num_bits > 26 {
            return Err(Error::TooManyQubits {
                what: "a dense distribution",
                max: 26,
                got: self.num_bits,
            });
        }
        let mut p = vec![0.0; 1 << self.num_bits];
        for (k, v) in self.iter() {
            p[k] = v;
        }
        Ok(p)
    }

    /// The weights keyed by Qiskit-style bitstrings (bit 0 rightmost).
    pub fn to_bitstrings(&self) -> BTreeMap<String, f64> {
        self.iter().map(|(k, v)| (qsim_core::measure::bitstring(k, self.num_bits), v)).collect()
    }

    /// `sum_k w_k (-1)^{popcount(k & mask)}`: the mitigated `<Z...Z>` on the bits of `mask`.
    pub fn parity_expectation(&self, mask: usize) -> f64 {
        self.iter().map(|(k, w)| parity_sign(k, mask) * w).sum()
    }

    /// The closest probability distribution in Euclidean distance over the stored outcomes
    /// (Smolin, Gambetta and Smith 2012): negative weights are removed and the rest shifted
    /// down by a common amount.
    pub fn nearest_probability(&self) -> QuasiDistribution {
        let values: Vec<f64> = self.values.values().copied().collect();
        let projected = crate::simplex::project_to_simplex(&values);
        let values = self.values.keys().copied().zip(projected).filter(|&(_, v)| v > 0.0).collect();
        QuasiDistribution { num_bits: self.num_bits, values }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitstrings_put_bit_zero_on_the_right() {
        assert_eq!(parse_bitstring("001", 3).unwrap(), 1);
        assert_eq!(parse_bitstring("110", 3).unwrap(), 6);
        assert!(matches!(parse_bitstring("01", 3), Err(Error::InvalidBitstring { .. })));
        assert!(matches!(parse_bitstring("0a1", 3), Err(Error::InvalidBitstring { .. })));
        let c = Counts::from_bitstrings(3, [("110", 3), ("001", 1)]).unwrap();
        assert_eq!(c.to_bitstrings()["110"], 3);
        assert_eq!(c.shots(), 4);
    }

    #[test]
    fn marginals_and_parities() {
        let c = Counts::from_pairs(2, [(0b00, 1), (0b01, 2), (0b11, 1)]).unwrap();
        let m = c.marginal(&[1]).unwrap();
        assert_eq!((m.get(0), m.get(1)), (3, 1));
        // <Z0> = (1 - 2 - 1) / 4
        assert!((c.parity_expectation(0b01).unwrap() + 0.5).abs() < 1e-15);
        assert!(matches!(Counts::new(2).unwrap().frequencies(), Err(Error::EmptyCounts)));
        assert!(Counts::from_pairs(2, [(4, 1)]).is_err());
    }
}
