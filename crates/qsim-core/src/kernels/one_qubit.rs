//! Single-qubit matrices as pair operations, and two of them fused into one pass.

use num_complex::Complex64;

use super::lanes::{Coef, Lanes, cdot, coef, coef2};
use super::walk::{PairOp, QuadOp, for_quads};

/// A real 2x2 matrix: real and imaginary lanes are treated alike.
pub(super) struct Real2x2<V> {
    /// The four entries, each broadcast.
    m: [V; 4],
    /// For `packed`: `[m00, m00, m11, m11]` and `[m01, m01, m10, m10]`.
    diag: V,
    anti: V,
}

impl<V> Real2x2<V> {
    #[inline(always)]
    pub(super) fn new<S: Lanes<V = V>>(s: S, m: &[f64; 4]) -> Self {
        Real2x2 {
            m: m.map(|x| s.splat(x)),
            diag: s.pack([m[0], m[0], m[3], m[3]]),
            anti: s.pack([m[1], m[1], m[2], m[2]]),
        }
    }
}

impl<S: Lanes> PairOp<S> for Real2x2<S::V> {
    #[inline(always)]
    fn pair(&self, s: S, a: S::V, b: S::V) -> (S::V, S::V) {
        let [m00, m01, m10, m11] = self.m;
        (s.mul_add(m00, a, s.mul(m01, b)), s.mul_add(m10, a, s.mul(m11, b)))
    }
    #[inline(always)]
    fn packed(&self, s: S, v: S::V) -> S::V {
        // [a, b] -> [m00 a + m01 b, m11 b + m10 a]: the partner is the other half of the vector.
        s.mul_add(self.diag, v, s.mul(self.anti, s.swap_halves(v)))
    }
}

/// A complex 2x2 matrix.
pub(super) struct Complex2x2<V> {
    m: [Coef<V>; 4],
    /// For `packed`: `[m00 | m11]` and `[m01 | m10]` (first | second complex lane).
    diag: Coef<V>,
    anti: Coef<V>,
}

impl<V> Complex2x2<V> {
    #[inline(always)]
    pub(super) fn new<S: Lanes<V = V>>(s: S, m: &[Complex64; 4]) -> Self {
        Complex2x2 {
            m: m.map(|z| coef(s, z)),
            diag: coef2(s, m[0], m[3]),
            anti: coef2(s, m[1], m[2]),
        }
    }
}

impl<S: Lanes> PairOp<S> for Complex2x2<S::V> {
    #[inline(always)]
    fn pair(&self, s: S, a: S::V, b: S::V) -> (S::V, S::V) {
        let (x, xs) = ([a, b], [s.swap_re_im(a), s.swap_re_im(b)]);
        let [m00, m01, m10, m11] = self.m;
        (cdot(s, &[m00, m01], &x, &xs), cdot(s, &[m10, m11], &x, &xs))
    }
    #[inline(always)]
    fn packed(&self, s: S, v: S::V) -> S::V {
        let h = s.swap_halves(v);
        cdot(s, &[self.diag, self.anti], &[v, h], &[s.swap_re_im(v), s.swap_re_im(h)])
    }
}

/// X: exchanges the members of each pair.
pub(super) struct Exchange;

impl<S: Lanes> PairOp<S> for Exchange {
    #[inline(always)]
    fn pair(&self, _: S, a: S::V, b: S::V) -> (S::V, S::V) {
        (b, a)
    }
    #[inline(always)]
    fn packed(&self, s: S, v: S::V) -> S::V {
        s.swap_halves(v)
    }
}

/// `a` on qubit `qa`, then `b` on qubit `qb != qa`, in one pass over groups of four.
#[inline(always)]
pub(super) fn two_1q<S: Lanes, A: PairOp<S>, B: PairOp<S>>(
    s: S,
    amps: &mut [Complex64],
    qa: usize,
    a: &A,
    qb: usize,
    b: &B,
) {
    if qa < qb {
        for_quads(s, amps, qa, qb, 0, &Both::<A, B, true> { low: a, high: b });
    } else {
        for_quads(s, amps, qb, qa, 0, &Both::<B, A, false> { low: b, high: a });
    }
}

/// Single-qubit operations on both bits of a group: `low` pairs members `(0, 1)` and `(2, 3)`,
/// `high` pairs `(0, 2)` and `(1, 3)`; `LOW_FIRST` keeps the program's order.
struct Both<'a, L, H, const LOW_FIRST: bool> {
    low: &'a L,
    high: &'a H,
}

impl<S: Lanes, L: PairOp<S>, H: PairOp<S>, const LOW_FIRST: bool> QuadOp<S>
    for Both<'_, L, H, LOW_FIRST>
{
    #[inline(always)]
    fn quad(&self, s: S, x: [S::V; 4]) -> [S::V; 4] {
        let [mut x0, mut x1, mut x2, mut x3] = x;
        if LOW_FIRST {
            (x0, x1) = self.low.pair(s, x0, x1);
            (x2, x3) = self.low.pair(s, x2, x3);
        }
        (x0, x2) = self.high.pair(s, x0, x2);
        (x1, x3) = self.high.pair(s, x1, x3);
        if !LOW_FIRST {
            (x0, x1) = self.low.pair(s, x0, x1);
            (x2, x3) = self.low.pair(s, x2, x3);
        }
        [x0, x1, x2, x3]
    }
    #[inline(always)]
    fn packed(&self, s: S, v: [S::V; 2]) -> [S::V; 2] {
        // The low qubit is bit 0: each vector holds one of its pairs.
        let [mut v0, mut v1] = v;
        if LOW_FIRST {
            (v0, v1) = (self.low.packed(s, v0), self.low.packed(s, v1));
        }
        (v0, v1) = self.high.pair(s, v0, v1);
        if !LOW_FIRST {
            (v0, v1) = (self.low.packed(s, v0), self.low.packed(s, v1));
        }
        [v0, v1]
    }
}
#[cfg(test)]
mod tests {
    use crate::kernels::program::Kernel;
    use crate::kernels::reference::{c, check};

    const N: usize = 6;

    #[test]
    fn single_qubit_kernels_agree_with_the_reference_on_every_qubit() {
        let m1 = [c(0.6, 0.1), c(-0.3, 0.7), c(0.2, -0.5), c(0.9, 0.4)];
        let r1 = [0.6, -0.8, 0.8, 0.6];
        let x = [c(0., 0.), c(1., 0.), c(1., 0.), c(0., 0.)];
        for q in 0..N {
            check(N, Kernel::Dense1 { q, m: m1 }, &[q], 0, &m1);
            check(N, Kernel::Real1 { q, m: r1 }, &[q], 0, &r1.map(|v| c(v, 0.0)));
            check(N, Kernel::Flip { cmask: 0, t: q }, &[q], 0, &x);
            for d in [[c(0.6, 0.8), c(0.0, -1.0)], [c(1.0, 0.0), c(0.28, 0.96)]] {
                let m = [d[0], c(0., 0.), c(0., 0.), d[1]];
                check(N, Kernel::Diag1 { q, d }, &[q], 0, &m);
            }
        }
    }

    /// Controls above, below and on bit 0 of the target, alone and together.
    #[test]
    fn controlled_single_qubit_kernels_agree_with_the_reference() {
        let m1 = [c(0.6, 0.1), c(-0.3, 0.7), c(0.2, -0.5), c(0.9, 0.4)];
        let x = [c(0., 0.), c(1., 0.), c(1., 0.), c(0., 0.)];
        for t in 0..N {
            for cmask in 1usize..1 << N {
                if cmask & (1 << t) != 0 || cmask.count_ones() > 2 {
                    continue;
                }
                check(N, Kernel::Flip { cmask, t }, &[t], cmask, &x);
                let dense = Kernel::Dense { cmask, targets: vec![t], m: m1.to_vec().into() };
                check(N, dense, &[t], cmask, &m1);
            }
        }
    }
}
