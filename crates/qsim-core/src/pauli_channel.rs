//! Channels that mix Pauli conjugations, `rho -> sum_P p_P P rho P^dagger` on one or two
//! qubits (depolarizing, dephasing, bit and phase flips), applied without a dense
//! superoperator.
//!
//! With `P = X^x Z^z` (up to a phase, which cancels), `(P rho P^dagger)[i][j] = (-1)^(z.(i^j))
//! rho[i^x][j^x]`. So the channel maps the entry at local row `r` and column `c` to
//! `sum_x w[r^c][x] rho[r^x][c^x]` with real weights `w[d][x] = sum_z p(x, z) (-1)^(z.d)`:
//! `4^k` weights, `2^k` real-times-complex products per entry, where the dense superoperator
//! costs `4^k` complex products (16 against 4 for two qubits). A [`PauliChannel`] is read off any
//! superoperator of that shape, so callers keep building channels as superoperators and take
//! this path when it applies; the map is its own adjoint (its superoperator is real and
//! symmetric), so a backward pass uses it unchanged.
//!
//! ```
//! use qsim_core::density::superoperator;
//! use qsim_core::gate::Gate;
//! use qsim_core::pauli_channel::PauliChannel;
//! // Phase flip with probability 0.1.
//! let (i, z) = (Gate::Id.matrix(&[])?, Gate::Z.matrix(&[])?);
//! let s = superoperator(&[i.scale(0.9f64.sqrt().into()), z.scale(0.1f64.sqrt().into())]);
//! let flip = PauliChannel::from_superoperator(&s).expect("a Pauli channel");
//! // |+><+| loses 20% of its coherence.
//! let mut rho = vec![0.5.into(); 4];
//! flip.apply(&mut rho, 1, &[0])?;
//! assert!((rho[1].re - 0.4).abs() < 1e-15);
//! # Ok::<(), qsim_core::Error>(())
//! ```

use crate::Complex64;
use crate::circuit::check_distinct_in_range;
use crate::circuit::matrix::Matrix;
use crate::error::{Error, Result};

/// Largest number of qubits a [`PauliChannel`] acts on.
pub const MAX_QUBITS: usize = 2;

/// Entries of a superoperator that must vanish for the Pauli form may be this far from zero
/// (rounding of the Kraus products it was built from), relative to its largest entry.
const ZERO_TOLERANCE: f64 = 1e-13;

/// A channel on `k <= 2` qubits that only mixes Pauli conjugations (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct PauliChannel {
    num_qubits: usize,
    /// `w[d][x]` at index `d * 2^k + x`.
    weights: Vec<f64>,
}

impl PauliChannel {
    /// The Pauli form of a superoperator on `k <= 2` qubits (layout of
    /// [`crate::density::superoperator`]), or `None` when it has another shape: an entry that
    /// links `(r, c)` to `(r', c')` with `r ^ r' != c ^ c'`, a complex one, or two that should
    /// agree and do not (up to rounding).
    pub fn from_superoperator(s: &Matrix) -> Option<Self> {
        if s.num_qubits() % 2 != 0 || s.num_qubits() / 2 > MAX_QUBITS {
            return None;
        }
        let k = s.num_qubits() / 2;
        let dim = 1usize << k;
        let mask = dim - 1;
        let scale = s.as_slice().iter().map(|v| v.norm()).fold(0.0, f64::max).max(1.0);
        let tolerance = ZERO_TOLERANCE * scale;
        let mut weights: Vec<Option<f64>> = vec![None; dim * dim];
        for out in 0..dim * dim {
            let (c, r) = (out & mask, out >> k);
            for input in 0..dim * dim {
                let (c_in, r_in) = (input & mask, input >> k);
                let v = s.get(out, input);
                let x = r ^ r_in;
                if x != c ^ c_in {
                    if v.norm() > tolerance {
                        return None;
                    }
                    continue;
                }
                if v.im.abs() > tolerance {
                    return None;
                }
                let slot = &mut weights[(r ^ c) * dim + x];
                match slot {
                    Some(w) if (*w - v.re).abs() > tolerance => return None,
                    Some(_) => {}
                    None => *slot = Some(v.re),
                }
            }
        }
        Some(Self {
            num_qubits: k,
            weights: weights.into_iter().map(Option::unwrap_or_default).collect(),
        })
    }

    /// Qubits the channel acts on.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Applies the channel to `qubits` of an operator on `num_qubits` qubits stored as
    /// [`crate::operator`] stores them (row-major; the map commutes with transposition, so a
    /// column-major operator works too).
    pub fn apply(&self, data: &mut [Complex64], num_qubits: usize, qubits: &[usize]) -> Result<()> {
        // The data exists, so only a length that does not match can be wrong.
        let len = u32::try_from(num_qubits)
            .ok()
            .and_then(|k| k.checked_mul(2))
            .and_then(|bits| 1usize.checked_shl(bits))
            .unwrap_or(0);
        if data.len() != len {
            return Err(Error::DimensionMismatch {
                what: "operator entries",
                expected: len,
                got: data.len(),
            });
        }
        check_distinct_in_range(qubits, num_qubits)?;
        if qubits.len() != self.num_qubits {
            return Err(Error::DimensionMismatch {
                what: "qubits of the Pauli channel",
                expected: self.num_qubits,
                got: qubits.len(),
            });
        }
        match self.num_qubits {
            0 => {}
            1 => self.apply_k::<1, 4>(data, num_qubits, qubits),
            _ => self.apply_k::<2, 16>(data, num_qubits, qubits),
        }
        Ok(())
    }

    /// The kernel for `K` qubits, `E = 4^K` entries per block.
    fn apply_k<const K: usize, const E: usize>(
        &self,
        data: &mut [Complex64],
        num_qubits: usize,
        qubits: &[usize],
    ) {
        let dim = 1usize << K;
        // Entry (r, c) of a block sits at `base + offsets[r * dim + c]`: column bits at the
        // qubits, row bits `num_qubits` above them.
        let spread = |bits: usize, shift: usize| -> usize {
            qubits.iter().enumerate().map(|(l, &q)| ((bits >> l) & 1) << (q + shift)).sum()
        };
        let mut offsets = [0usize; E];
        for (i, o) in offsets.iter_mut().enumerate() {
            *o = spread(i / dim, num_qubits) + spread(i % dim, 0);
        }
        let mut positions: Vec<usize> = qubits.iter().flat_map(|&q| [q, q + num_qubits]).collect();
        positions.sort_unstable();
        let w = &self.weights;
        let mut block = [Complex64::new(0.0, 0.0); E];
        for b in 0..data.len() >> (2 * K) {
            let mut base = b;
            for &p in &positions {
                base = ((base >> p) << (p + 1)) | (base & ((1usize << p) - 1));
            }
            for (e, o) in block.iter_mut().zip(&offsets) {
                *e = data[base + o];
            }
            for r in 0..dim {
                for c in 0..dim {
                    let d = r ^ c;
                    let row = &w[d * dim..(d + 1) * dim];
                    let mut acc = Complex64::new(0.0, 0.0);
                    for (x, &wx) in row.iter().enumerate() {
                        acc += block[(r ^ x) * dim + (c ^ x)] * wx;
                    }
                    data[base + offsets[r * dim + c]] = acc;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::density::superoperator;
    use crate::gate::Gate;
    use crate::operator::apply_superoperator;

    fn random_operator(n: usize, salt: f64) -> Vec<Complex64> {
        (0..1usize << (2 * n))
            .map(|i| Complex64::new((i as f64 * 0.37 + salt).sin(), (i as f64 * 0.11 - salt).cos()))
            .collect()
    }

    fn scaled(m: &Matrix, a: f64) -> Matrix {
        m.scale(a.into())
    }

    fn paulis() -> Vec<Matrix> {
        [Gate::Id, Gate::X, Gate::Y, Gate::Z].iter().map(|g| g.matrix(&[]).unwrap()).collect()
    }

    /// Kraus operators `sqrt(p_i) P_i` of a two-qubit Pauli channel with uneven probabilities.
    fn two_qubit_kraus() -> Vec<Matrix> {
        let p = paulis();
        let raw: Vec<f64> = (0..16).map(|i| 1.0 + (i as f64 * 0.7).sin().abs()).collect();
        let total: f64 = raw.iter().sum();
        let mut kraus = Vec::new();
        for (i, w) in raw.iter().enumerate() {
            let m = scaled(&p[i % 4].kron_low(&p[i / 4]), (w / total).sqrt());
            kraus.push(m);
        }
        kraus
    }

    #[test]
    fn matches_the_dense_superoperator_on_any_operator() {
        let kraus = two_qubit_kraus();
        let s = superoperator(&kraus);
        let channel = PauliChannel::from_superoperator(&s).expect("Pauli form");
        for qubits in [[0, 2], [3, 1], [2, 3]] {
            let mut fast = random_operator(4, 0.3);
            let mut dense = fast.clone();
            channel.apply(&mut fast, 4, &qubits).unwrap();
            apply_superoperator(&mut dense, 4, &qubits, &s).unwrap();
            for (a, b) in fast.iter().zip(&dense) {
                assert!((a - b).norm() < 1e-14, "{qubits:?}");
            }
        }
        let one = superoperator(&[
            scaled(&paulis()[0], 0.7f64.sqrt()),
            scaled(&paulis()[2], 0.2f64.sqrt()),
            scaled(&paulis()[3], 0.1f64.sqrt()),
        ]);
        let channel = PauliChannel::from_superoperator(&one).expect("Pauli form");
        let mut fast = random_operator(3, 1.1);
        let mut dense = fast.clone();
        channel.apply(&mut fast, 3, &[1]).unwrap();
        apply_superoperator(&mut dense, 3, &[1], &one).unwrap();
        for (a, b) in fast.iter().zip(&dense) {
            assert!((a - b).norm() < 1e-14);
        }
    }

    #[test]
    fn is_its_own_adjoint() {
        let s = superoperator(&two_qubit_kraus());
        assert!(
            s.adjoint().as_slice().iter().zip(s.as_slice()).all(|(a, b)| (a - b).norm() < 1e-15)
        );
    }

    #[test]
    fn other_channels_have_no_pauli_form() {
        // Amplitude damping moves population from |1> to |0>: not a Pauli mixture.
        let g = 0.2f64;
        let k0 = Matrix::new(1, vec![1.0.into(), 0.0.into(), 0.0.into(), (1.0 - g).sqrt().into()])
            .unwrap();
        let k1 = Matrix::new(1, vec![0.0.into(), g.sqrt().into(), 0.0.into(), 0.0.into()]).unwrap();
        assert!(PauliChannel::from_superoperator(&superoperator(&[k0, k1])).is_none());
        // A unitary that is not a Pauli.
        let h = Gate::H.matrix(&[]).unwrap();
        assert!(PauliChannel::from_superoperator(&superoperator(&[h])).is_none());
        // Three qubits are beyond the kernel.
        let i3 = paulis()[0].kron_low(&paulis()[0]).kron_low(&paulis()[0]);
        assert!(PauliChannel::from_superoperator(&superoperator(&[i3])).is_none());
    }

    #[test]
    fn rejects_wrong_sizes() {
        let s = superoperator(&two_qubit_kraus());
        let channel = PauliChannel::from_superoperator(&s).unwrap();
        let mut data = random_operator(3, 0.0);
        assert!(channel.apply(&mut data, 3, &[0]).is_err());
        assert!(channel.apply(&mut data, 3, &[0, 0]).is_err());
        assert!(channel.apply(&mut data, 3, &[0, 3]).is_err());
        assert!(channel.apply(&mut data[..8], 3, &[0, 1]).is_err());
        assert!(channel.apply(&mut data, usize::MAX, &[0, 1]).is_err());
    }
}
