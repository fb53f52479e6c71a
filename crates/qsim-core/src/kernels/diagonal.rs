//! Diagonal kernels: phases on one qubit, factorised tables over many, and the general case.

use num_complex::Complex64;

use super::lanes::{Coef, Lanes, cmul, cmul_packed, coef, coef2};
use super::walk::as_f64;

/// Multiplies every amplitude of `x` by `c`.
#[inline(always)]
fn scale<S: Lanes>(s: S, x: &mut [f64], c: Coef<S::V>) {
    for v in x.chunks_exact_mut(4) {
        s.store(v, cmul(s, c, s.load(v)));
    }
}

/// `diag(d0, d1)` on qubit `q`; a unit `d0` (phase gates) leaves the first halves untouched.
#[inline(always)]
pub(super) fn diag_1q<S: Lanes>(s: S, amps: &mut [Complex64], q: usize, d: &[Complex64; 2]) {
    let x = as_f64(amps);
    if q == 0 {
        // Each vector is [bit clear, bit set]: one coefficient per lane.
        scale(s, x, coef2(s, d[0], d[1]));
        return;
    }
    let half = 2usize << q;
    let skip_lo = d[0] == Complex64::new(1.0, 0.0);
    let (c0, c1) = (coef(s, d[0]), coef(s, d[1]));
    for block in x.chunks_exact_mut(2 * half) {
        let (lo, hi) = block.split_at_mut(half);
        if !skip_lo {
            scale(s, lo, c0);
        }
        scale(s, hi, c1);
    }
}

/// Multiplies each amplitude by `lo[i & (2^bits - 1)] * hi[i >> bits]`. The `lo` table is read
/// two entries (one vector) at a time in step with the amplitudes.
#[inline(always)]
pub(super) fn diag<S: Lanes>(
    s: S,
    amps: &mut [Complex64],
    bits: usize,
    lo: &[Complex64],
    hi: &[Complex64],
) {
    let t: &[f64] = bytemuck::cast_slice(lo);
    for (h, chunk) in amps.chunks_mut(1 << bits).enumerate() {
        let x = as_f64(chunk);
        let factor = hi.get(h).map(|&z| coef(s, z));
        match (lo.is_empty(), factor) {
            (true, None) => {}
            (true, Some(c)) => scale(s, x, c),
            (false, None) => {
                for (v, d) in x.chunks_exact_mut(4).zip(t.chunks_exact(4)) {
                    s.store(v, cmul_packed(s, s.load(d), s.load(v)));
                }
            }
            (false, Some(c)) => {
                for (v, d) in x.chunks_exact_mut(4).zip(t.chunks_exact(4)) {
                    let d = cmul(s, c, s.load(d));
                    s.store(v, cmul_packed(s, d, s.load(v)));
                }
            }
        }
    }
}

/// Diagonal over arbitrary positions: the slow general case (mixed factors).
#[inline(always)]
pub(super) fn diag_k(amps: &mut [Complex64], qubits: &[usize], table: &[Complex64]) {
    for (i, a) in amps.iter_mut().enumerate() {
        let j: usize = qubits.iter().enumerate().map(|(l, &q)| ((i >> q) & 1) << l).sum();
        *a *= table[j];
    }
}
#[cfg(test)]
mod tests {
    use num_complex::Complex64;

    use crate::kernels::program::Kernel;
    use crate::kernels::reference::{c, check};

    const N: usize = 6;

    #[test]
    fn diag_with_both_tables_multiplies_both_factors() {
        let lo: Vec<Complex64> =
            (0..8).map(|i| Complex64::from_polar(1.0, i as f64 * 0.3)).collect();
        let hi: Vec<Complex64> =
            (0..8).map(|i| Complex64::from_polar(1.0, -(i as f64) * 0.7)).collect();
        let full = |lo: &[Complex64], hi: &[Complex64]| -> Vec<Complex64> {
            (0..1usize << N)
                .map(|i| {
                    let l = lo.get(i & 7).copied().unwrap_or(c(1., 0.));
                    l * hi.get(i >> 3).copied().unwrap_or(c(1., 0.))
                })
                .collect()
        };
        for (lo, hi) in [(lo.clone(), hi.clone()), (lo.clone(), vec![]), (vec![], hi.clone())] {
            let table = full(&lo, &hi);
            let m: Vec<Complex64> = (0..1usize << (2 * N))
                .map(|e| if e >> N == e & ((1 << N) - 1) { table[e >> N] } else { c(0., 0.) })
                .collect();
            let targets: Vec<usize> = (0..N).collect();
            check(N, Kernel::Diag { bits: 3, lo, hi }, &targets, 0, &m);
        }
    }
}
