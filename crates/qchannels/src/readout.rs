//! Readout error: a classical confusion of measured bits, independent per qubit.

use rand::Rng;

use crate::error::{Error, Result, check_probability};

/// Per-qubit readout confusion. `confusion[q] = [[P(0|0), P(0|1)], [P(1|0), P(1|1)]]`: column =
/// prepared bit, row = read bit (each column sums to 1), as in Qiskit and mthree.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadoutError {
    confusion: Vec<[[f64; 2]; 2]>,
}

impl ReadoutError {
    /// Checks every entry is a probability and every column sums to 1.
    pub fn new(confusion: Vec<[[f64; 2]; 2]>) -> Result<Self> {
        for m in &confusion {
            for row in m {
                for &p in row {
                    check_probability("readout confusion entry", p)?;
                }
            }
            for (top, bottom) in m[0].iter().zip(&m[1]) {
                let sum = top + bottom;
                if (sum - 1.0).abs() > 1e-12 {
                    return Err(Error::NotNormalized { what: "readout confusion column", sum });
                }
            }
        }
        Ok(Self { confusion })
    }

    /// From flip probabilities per qubit: `(P(1|0), P(0|1))`.
    pub fn from_flips(flips: &[(f64, f64)]) -> Result<Self> {
        let confusion = flips
            .iter()
            .map(|&(p10, p01)| {
                let (a, b) = (check_probability("P(1|0)", p10)?, check_probability("P(0|1)", p01)?);
                Ok([[1.0 - a, b], [a, 1.0 - b]])
            })
            .collect::<Result<Vec<_>>>()?;
        Self::new(confusion)
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.confusion.len()
    }

    /// The confusion matrix of qubit `q`.
    pub fn confusion(&self, q: usize) -> Option<[[f64; 2]; 2]> {
        self.confusion.get(q).copied()
    }

    /// The distribution of read outcomes given the distribution of true outcomes (`2^n`
    /// entries, bit `q` of the index = qubit `q`).
    pub fn apply_to_probabilities(&self, probs: &[f64]) -> Result<Vec<f64>> {
        let n = self.num_qubits();
        if probs.len() != 1 << n {
            return Err(Error::DimensionMismatch {
                what: "probabilities (2^n)",
                expected: 1 << n,
                got: probs.len(),
            });
        }
        let mut p = probs.to_vec();
        for (q, m) in self.confusion.iter().enumerate() {
            let half = 1usize << q;
            for block in p.chunks_exact_mut(2 * half) {
                let (lo, hi) = block.split_at_mut(half);
                for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                    let (x, y) = (*a, *b);
                    *a = m[0][0] * x + m[0][1] * y;
                    *b = m[1][0] * x + m[1][1] * y;
                }
            }
        }
        Ok(p)
    }

    /// A read of the true outcome `outcome`: each bit flips with its qubit's probability.
    pub fn corrupt<R: Rng + ?Sized>(&self, outcome: usize, rng: &mut R) -> usize {
        let mut read = outcome;
        for (q, m) in self.confusion.iter().enumerate() {
            let bit = (outcome >> q) & 1;
            let flip = if bit == 0 { m[1][0] } else { m[0][1] };
            if qrandom::distributions::uniform(rng) < flip {
                read ^= 1 << q;
            }
        }
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_is_validated_and_applied_per_qubit() {
        assert!(ReadoutError::new(vec![[[0.9, 0.2], [0.2, 0.8]]]).is_err());
        assert!(ReadoutError::from_flips(&[(1.5, 0.0)]).is_err());
        let r = ReadoutError::from_flips(&[(0.1, 0.2), (0.0, 0.0)]).unwrap();
        let read = r.apply_to_probabilities(&[1.0, 0.0, 0.0, 0.0]).unwrap();
        assert!((read[0] - 0.9).abs() < 1e-15 && (read[1] - 0.1).abs() < 1e-15);
        assert!(r.apply_to_probabilities(&[1.0]).is_err());
    }
}
