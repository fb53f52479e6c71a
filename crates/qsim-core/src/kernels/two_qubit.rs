//! Two-qubit matrices as quad operations: dense 4x4, and the two-term kernel for matrices that
//! only couple `00 <-> 11` and `01 <-> 10`.

use num_complex::Complex64;

use super::lanes::{Coef, Lanes, cdot, coef, coef2};
use super::walk::{QuadOp, for_quads};

/// A dense 4x4 matrix on positions `q0 != q1` (bit 0 of its index = `q0`) where every bit of
/// `cmask` is set. The pair is ordered so that bit 0 is the lower position (swapping the roles of
/// the qubits exchanges matrix indices 1 and 2); matrices that only couple `00 <-> 11` and
/// `01 <-> 10` (XX, YY and XY couplings) take the two-term kernel.
#[inline(always)]
pub(super) fn dense_2q<S: Lanes>(
    s: S,
    amps: &mut [Complex64],
    q0: usize,
    q1: usize,
    cmask: usize,
    m: &[Complex64],
) {
    let swap_bits = |k: usize| ((k & 1) << 1) | ((k >> 1) & 1);
    let m: [Complex64; 16] = if q0 < q1 {
        std::array::from_fn(|e| m[e])
    } else {
        std::array::from_fn(|e| m[4 * swap_bits(e / 4) + swap_bits(e % 4)])
    };
    let (l, h) = (q0.min(q1), q0.max(q1));
    if couples_only_x_pairs(&m) {
        for_quads(s, amps, l, h, cmask, &XPairs4x4::new(s, &m));
    } else {
        for_quads(s, amps, l, h, cmask, &Dense4x4::new(s, &m));
    }
}

/// True if `m` only couples members `0 <-> 3` and `1 <-> 2` (the [`XPairs4x4`] structure).
pub(super) fn couples_only_x_pairs(m: &[Complex64; 16]) -> bool {
    (0..16).all(|e| matches!((e / 4) ^ (e % 4), 0 | 3) || m[e] == Complex64::new(0.0, 0.0))
}

/// A general 4x4 matrix: every output is a four-term complex dot product.
pub(super) struct Dense4x4<V> {
    /// Row `r`: the entries `m[r][c]`, broadcast.
    rows: [[Coef<V>; 4]; 4],
    /// For `packed`, output vector `R` (rows `2R`, `2R + 1`) from inputs `[v0, swap(v0), v1,
    /// swap(v1)]`: lane `L` of input `2C + S` holds member `2C + (L ^ S)`, so its coefficient is
    /// `m[2R + L][2C + (L ^ S)]`.
    packed: [[Coef<V>; 4]; 2],
}

impl<V> Dense4x4<V> {
    #[inline(always)]
    pub(super) fn new<S: Lanes<V = V>>(s: S, m: &[Complex64; 16]) -> Self {
        let at = |r: usize, c: usize| m[4 * r + c];
        Dense4x4 {
            rows: std::array::from_fn(|r| std::array::from_fn(|c| coef(s, at(r, c)))),
            packed: std::array::from_fn(|big_r| {
                std::array::from_fn(|input| {
                    let (c, swapped) = (input / 2, input % 2);
                    let lane = |l: usize| at(2 * big_r + l, 2 * c + (l ^ swapped));
                    coef2(s, lane(0), lane(1))
                })
            }),
        }
    }
}

impl<S: Lanes> QuadOp<S> for Dense4x4<S::V> {
    #[inline(always)]
    fn quad(&self, s: S, x: [S::V; 4]) -> [S::V; 4] {
        let xs = [s.swap_re_im(x[0]), s.swap_re_im(x[1]), s.swap_re_im(x[2]), s.swap_re_im(x[3])];
        let rows = &self.rows;
        [
            cdot(s, &rows[0], &x, &xs),
            cdot(s, &rows[1], &x, &xs),
            cdot(s, &rows[2], &x, &xs),
            cdot(s, &rows[3], &x, &xs),
        ]
    }
    #[inline(always)]
    fn packed(&self, s: S, v: [S::V; 2]) -> [S::V; 2] {
        let y = [v[0], s.swap_halves(v[0]), v[1], s.swap_halves(v[1])];
        let ys = [s.swap_re_im(y[0]), s.swap_re_im(y[1]), s.swap_re_im(y[2]), s.swap_re_im(y[3])];
        [cdot(s, &self.packed[0], &y, &ys), cdot(s, &self.packed[1], &y, &ys)]
    }
}

/// A 4x4 matrix that only couples members `0 <-> 3` and `1 <-> 2` (`rxx`, `ryy`, their
/// products): two interleaved 2x2 problems, two terms per output.
pub(super) struct XPairs4x4<V> {
    /// Output `r` from its two inputs in ascending order: `[m00, m03]` and `[m30, m33]` on
    /// `(x0, x3)`, `[m11, m12]` and `[m21, m22]` on `(x1, x2)`.
    rows: [[Coef<V>; 2]; 4],
    /// For `packed`: `[r0, r1] = [m00 | m11] v0 + [m03 | m12] swap(v1)` and
    /// `[r2, r3] = [m22 | m33] v1 + [m21 | m30] swap(v0)`.
    packed: [[Coef<V>; 2]; 2],
}

impl<V> XPairs4x4<V> {
    #[inline(always)]
    pub(super) fn new<S: Lanes<V = V>>(s: S, m: &[Complex64; 16]) -> Self {
        let at = |r: usize, c: usize| m[4 * r + c];
        XPairs4x4 {
            rows: std::array::from_fn(|r| {
                let (c0, c1) = if r == 0 || r == 3 { (0, 3) } else { (1, 2) };
                [coef(s, at(r, c0)), coef(s, at(r, c1))]
            }),
            packed: [
                [coef2(s, at(0, 0), at(1, 1)), coef2(s, at(0, 3), at(1, 2))],
                [coef2(s, at(2, 2), at(3, 3)), coef2(s, at(2, 1), at(3, 0))],
            ],
        }
    }
}

impl<S: Lanes> QuadOp<S> for XPairs4x4<S::V> {
    #[inline(always)]
    fn quad(&self, s: S, x: [S::V; 4]) -> [S::V; 4] {
        let xs = [s.swap_re_im(x[0]), s.swap_re_im(x[1]), s.swap_re_im(x[2]), s.swap_re_im(x[3])];
        let (outer, inner) = ([x[0], x[3]], [x[1], x[2]]);
        let (outer_s, inner_s) = ([xs[0], xs[3]], [xs[1], xs[2]]);
        let c = &self.rows;
        [
            cdot(s, &c[0], &outer, &outer_s),
            cdot(s, &c[1], &inner, &inner_s),
            cdot(s, &c[2], &inner, &inner_s),
            cdot(s, &c[3], &outer, &outer_s),
        ]
    }
    #[inline(always)]
    fn packed(&self, s: S, v: [S::V; 2]) -> [S::V; 2] {
        let (w0, w1) = (s.swap_halves(v[0]), s.swap_halves(v[1]));
        let (y0, y1) = ([v[0], w1], [v[1], w0]);
        let ys0 = [s.swap_re_im(y0[0]), s.swap_re_im(y0[1])];
        let ys1 = [s.swap_re_im(y1[0]), s.swap_re_im(y1[1])];
        [cdot(s, &self.packed[0], &y0, &ys0), cdot(s, &self.packed[1], &y1, &ys1)]
    }
}
#[cfg(test)]
mod tests {
    use num_complex::Complex64;

    use crate::kernels::program::Kernel;
    use crate::kernels::reference::{c, check};

    const N: usize = 6;

    #[test]
    fn two_qubit_kernels_agree_with_the_reference_on_every_pair_order() {
        let dense: Vec<Complex64> =
            (0..16).map(|i| c((i as f64 * 0.3).sin(), (i as f64 * 0.7).cos())).collect();
        // Only 00 <-> 11 and 01 <-> 10 coupled, as in rxx * ryy.
        let xy: Vec<Complex64> = (0..16)
            .map(|e| if matches!((e / 4) ^ (e % 4), 0 | 3) { dense[e] } else { c(0., 0.) })
            .collect();
        for q0 in 0..N {
            for q1 in 0..N {
                if q0 == q1 {
                    continue;
                }
                for m in [&dense, &xy] {
                    let boxed: Box<[Complex64; 16]> = Box::new(m.clone().try_into().unwrap());
                    check(N, Kernel::Dense2 { q0, q1, m: boxed }, &[q0, q1], 0, m);
                    let others = ((1usize << N) - 1) & !(1 << q0) & !(1 << q1);
                    for cmask in [others & 1, others & (1 << 5), others & 0b100101] {
                        let k = Kernel::Dense { cmask, targets: vec![q0, q1], m: m[..].into() };
                        check(N, k, &[q0, q1], cmask, m);
                    }
                }
            }
        }
    }
}
