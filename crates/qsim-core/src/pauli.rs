//! Observables: Pauli strings and real-weighted sums of them.

use std::fmt;

use num_complex::Complex64;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A tensor product of Pauli operators, stored as bit masks: qubit `q` carries X if only bit `q`
/// of `x` is set, Z if only bit `q` of `z` is set, and Y if both are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PauliString {
    x: u64,
    z: u64,
}

impl PauliString {
    /// The identity.
    pub fn identity() -> Self {
        Self { x: 0, z: 0 }
    }

    /// Builds a string from `(qubit, letter)` pairs with letters `I`, `X`, `Y`, `Z`.
    pub fn from_pairs(pairs: &[(usize, char)]) -> Result<Self> {
        let mut p = Self::identity();
        for &(q, letter) in pairs {
            let bad = |reason: String| Error::InvalidPauli { text: format!("{pairs:?}"), reason };
            if q >= 64 {
                return Err(bad(format!("qubit {q} is beyond the 64 supported")));
            }
            if ((p.x | p.z) >> q) & 1 == 1 {
                return Err(bad(format!("qubit {q} is named twice")));
            }
            let (x, z) = match letter.to_ascii_uppercase() {
                'I' => (0, 0),
                'X' => (1, 0),
                'Y' => (1, 1),
                'Z' => (0, 1),
                other => return Err(bad(format!("unknown Pauli letter `{other}`"))),
            };
            p.x |= x << q;
            p.z |= z << q;
        }
        Ok(p)
    }

    /// Parses either a dense string in Qiskit order (`"XIZ"`: qubit 0 is the rightmost letter) or
    /// a sparse one (`"Z0 X3"`).
    pub fn parse(text: &str) -> Result<Self> {
        let trimmed = text.trim();
        let bad = |reason: &str| Error::InvalidPauli { text: text.into(), reason: reason.into() };
        if trimmed.is_empty() {
            return Err(bad("empty"));
        }
        if trimmed.chars().any(|c| c.is_ascii_digit()) {
            let mut pairs = Vec::new();
            for token in trimmed.split_whitespace() {
                let mut chars = token.chars();
                let letter = chars.next().ok_or_else(|| bad("empty token"))?;
                let q: usize =
                    chars.as_str().parse().map_err(|_| bad("expected LETTER QUBIT, e.g. Z3"))?;
                pairs.push((q, letter));
            }
            Self::from_pairs(&pairs)
        } else {
            let n = trimmed.chars().count();
            let pairs: Vec<(usize, char)> =
                trimmed.chars().enumerate().map(|(i, c)| (n - 1 - i, c)).collect();
            Self::from_pairs(&pairs)
        }
    }

    /// Z on each of `qubits`.
    pub fn z_on(qubits: &[usize]) -> Result<Self> {
        Self::from_pairs(&qubits.iter().map(|&q| (q, 'Z')).collect::<Vec<_>>())
    }

    /// The bit masks `(x, z)`: qubit `q` carries X if only bit `q` of `x` is set, Z if only bit
    /// `q` of `z` is, and Y if both are (for callers that evaluate strings on their own data
    /// layout, such as a distributed state).
    pub fn masks(&self) -> (u64, u64) {
        (self.x, self.z)
    }

    /// Highest qubit acted on, plus one (0 for the identity).
    pub fn min_qubits(&self) -> usize {
        64 - (self.x | self.z).leading_zeros() as usize
    }

    /// `i^(number of Y)`: the phase that makes `P|k> = phase * (-1)^{|k & z|} |k ^ x>`.
    fn y_phase(&self) -> Complex64 {
        match (self.x & self.z).count_ones() % 4 {
            0 => Complex64::new(1.0, 0.0),
            1 => Complex64::new(0.0, 1.0),
            2 => Complex64::new(-1.0, 0.0),
            _ => Complex64::new(0.0, -1.0),
        }
    }

    fn check(&self, num_qubits: usize) -> Result<()> {
        if self.min_qubits() > num_qubits {
            return Err(Error::QubitOutOfRange { qubit: self.min_qubits() - 1, num_qubits });
        }
        Ok(())
    }

    /// `<psi|P|psi>` for a normalised state (real because P is Hermitian).
    pub fn expectation(&self, amps: &[Complex64]) -> Result<f64> {
        self.check(amps.len().trailing_zeros() as usize)?;
        let (x, z) = (self.x as usize, self.z as usize);
        let sign = |k: usize| if (k & z).count_ones() % 2 == 1 { -1.0 } else { 1.0 };
        let term = |(k, a): (usize, &Complex64)| -> Complex64 { amps[k ^ x].conj() * a * sign(k) };
        let sum: Complex64 = if amps.len() >= crate::kernels::PARALLEL_THRESHOLD {
            amps.par_iter().enumerate().map(term).sum()
        } else {
            amps.iter().enumerate().map(term).sum()
        };
        Ok((sum * self.y_phase()).re)
    }

    /// Adds `coeff * P|psi>` into `out`.
    pub fn apply_add(&self, coeff: f64, amps: &[Complex64], out: &mut [Complex64]) -> Result<()> {
        self.check(amps.len().trailing_zeros() as usize)?;
        let (x, z) = (self.x as usize, self.z as usize);
        let phase = self.y_phase() * coeff;
        for (k, a) in amps.iter().enumerate() {
            let s = if (k & z).count_ones() % 2 == 1 { -phase } else { phase };
            out[k ^ x] += s * a;
        }
        Ok(())
    }

    /// `Tr(rho P)` for a row-major `2^n x 2^n` density matrix.
    pub fn expectation_density(&self, rho: &[Complex64], num_qubits: usize) -> Result<f64> {
        self.check(num_qubits)?;
        let d = 1usize << num_qubits;
        let (x, z) = (self.x as usize, self.z as usize);
        let mut sum = Complex64::new(0.0, 0.0);
        for k in 0..d {
            let s = if (k & z).count_ones() % 2 == 1 { -1.0 } else { 1.0 };
            sum += rho[k * d + (k ^ x)] * s;
        }
        Ok((sum * self.y_phase()).re)
    }
}

impl fmt::Display for PauliString {
    /// Sparse form, e.g. `Z0 X3`; `I` for the identity.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.x | self.z == 0 {
            return write!(f, "I");
        }
        let mut first = true;
        for q in 0..64 {
            let letter = match ((self.x >> q) & 1, (self.z >> q) & 1) {
                (1, 0) => 'X',
                (1, 1) => 'Y',
                (0, 1) => 'Z',
                _ => continue,
            };
            write!(f, "{}{letter}{q}", if first { "" } else { " " })?;
            first = false;
        }
        Ok(())
    }
}

/// A Hermitian observable `sum_j c_j P_j` with real coefficients.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PauliSum {
    terms: Vec<(f64, PauliString)>,
}

impl PauliSum {
    /// The zero observable.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `coeff * pauli` (coefficients must be finite).
    pub fn add(&mut self, coeff: f64, pauli: PauliString) -> Result<&mut Self> {
        if !coeff.is_finite() {
            return Err(Error::InvalidPauli {
                text: pauli.to_string(),
                reason: format!("coefficient {coeff}"),
            });
        }
        self.terms.push((coeff, pauli));
        Ok(self)
    }

    /// A single term.
    pub fn single(coeff: f64, pauli: PauliString) -> Result<Self> {
        let mut s = Self::new();
        s.add(coeff, pauli)?;
        Ok(s)
    }

    /// The terms.
    pub fn terms(&self) -> &[(f64, PauliString)] {
        &self.terms
    }

    /// Highest qubit acted on, plus one.
    pub fn min_qubits(&self) -> usize {
        self.terms.iter().map(|(_, p)| p.min_qubits()).max().unwrap_or(0)
    }

    /// `<psi|O|psi>`.
    pub fn expectation(&self, amps: &[Complex64]) -> Result<f64> {
        self.terms.iter().map(|(c, p)| Ok(c * p.expectation(amps)?)).sum()
    }

    /// `O|psi>`.
    pub fn apply(&self, amps: &[Complex64]) -> Result<Vec<Complex64>> {
        let mut out = vec![Complex64::new(0.0, 0.0); amps.len()];
        for (c, p) in &self.terms {
            p.apply_add(*c, amps, &mut out)?;
        }
        Ok(out)
    }

    /// `Tr(rho O)` for a row-major density matrix.
    pub fn expectation_density(&self, rho: &[Complex64], num_qubits: usize) -> Result<f64> {
        self.terms.iter().map(|(c, p)| Ok(c * p.expectation_density(rho, num_qubits)?)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dense_and_sparse_forms() {
        let a = PauliString::parse("XIZ").unwrap();
        let b = PauliString::parse("Z0 X2").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "Z0 X2");
        assert!(PauliString::parse("Q1").is_err());
        assert!(PauliString::parse("Z1 Z1").is_err());
        assert!(PauliString::parse("").is_err());
    }

    #[test]
    fn y_expectation_of_plus_i_state() {
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let amps = [Complex64::new(s, 0.0), Complex64::new(0.0, s)];
        let y = PauliString::parse("Y").unwrap();
        assert!((y.expectation(&amps).unwrap() - 1.0).abs() < 1e-15);
        assert!(PauliString::parse("Y1").unwrap().expectation(&amps).is_err());
    }
}
