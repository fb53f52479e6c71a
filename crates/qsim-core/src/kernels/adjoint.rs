//! Adjoint transition kernels: one pass over the state and the co-state that collects the
//! transition matrix of a run's qubit (or pair) and un-applies the run to both.

use num_complex::Complex64;

use super::lanes::{Lanes, LanesFn, dispatch};
use super::one_qubit::Complex2x2;
use super::two_qubit::{Dense4x4, XPairs4x4, couples_only_x_pairs};
use super::walk::{PairOp, QuadOp, as_f64};

/// One pass of the adjoint method over a run of single-qubit gates on qubit `q`: returns the
/// transition matrix `R_ij = sum conj(lambda_i) phi_j` over the pairs of qubit `q` (row-major),
/// from which `<lambda| M_q |phi> = sum_ij M_ij R_ij` for every generator `M` of the run, then
/// applies `undo` to both vectors. Four accumulators whatever the number of generators, and
/// each pair read once for all of it: that is what makes the backward sweep cheap.
pub(crate) fn adjoint_run_1q(
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q: usize,
    undo: &[Complex64; 4],
) -> [Complex64; 4] {
    dispatch(AdjointRun1q { phi, lambda, q, undo })
}

/// [`adjoint_run_1q_with`] as a [`LanesFn`], for [`dispatch`].
struct AdjointRun1q<'a> {
    phi: &'a mut [Complex64],
    lambda: &'a mut [Complex64],
    q: usize,
    undo: &'a [Complex64; 4],
}

impl LanesFn for AdjointRun1q<'_> {
    type Output = [Complex64; 4];

    #[inline(always)]
    fn call<S: Lanes>(self, s: S) -> [Complex64; 4] {
        adjoint_run_1q_with(s, self.phi, self.lambda, self.q, self.undo)
    }
}

/// With `l = [lr, li, ..]` and `x = [xr, xi, ..]`: `conj(l) x` has real part `lr xr + li xi`
/// (the lane sum of `l * x`) and imaginary part `lr xi - li xr` (the alternating lane sum of
/// `l * swap_re_im(x)`). The kernel accumulates the lane products and sums lanes once at the end.
#[inline(always)]
pub(super) fn adjoint_run_1q_with<S: Lanes>(
    s: S,
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q: usize,
    undo: &[Complex64; 4],
) -> [Complex64; 4] {
    let op = Complex2x2::new(s, undo);
    let zero = s.splat(0.0);
    // re[k], im[k]: lane products of R entry k = (i, j) in row-major order.
    let (mut re, mut im) = ([zero; 4], [zero; 4]);
    let (p, l) = (as_f64(phi), as_f64(lambda));
    if q == 0 {
        // One vector holds a whole pair: x = [x0, x1], la = [l0, l1]. With the halves swapped,
        // la * x pairs l0 with x0 (entry 00) and l1 with x1 (11); la * swap_halves(x) pairs
        // l0 with x1 (01) and l1 with x0 (10).
        for (pv, lv) in p.chunks_exact_mut(4).zip(l.chunks_exact_mut(4)) {
            let (x, la) = (s.load(pv), s.load(lv));
            let h = s.swap_halves(x);
            re[0] = s.mul_add(la, x, re[0]);
            im[0] = s.mul_add(la, s.swap_re_im(x), im[0]);
            re[1] = s.mul_add(la, h, re[1]);
            im[1] = s.mul_add(la, s.swap_re_im(h), im[1]);
            s.store(pv, op.packed(s, x));
            s.store(lv, op.packed(s, la));
        }
        let [d_re, d_im, o_re, o_im] = [re[0], im[0], re[1], im[1]].map(|v| lanes_of(s, v));
        let first = |v: [f64; 4]| (v[0] + v[1], v[0] - v[1]);
        let second = |v: [f64; 4]| (v[2] + v[3], v[2] - v[3]);
        let entry = |(r, _): (f64, f64), (_, i): (f64, f64)| Complex64::new(r, i);
        return [
            entry(first(d_re), first(d_im)),
            entry(first(o_re), first(o_im)),
            entry(second(o_re), second(o_im)),
            entry(second(d_re), second(d_im)),
        ];
    }
    let half = 2usize << q; // doubles in half a block
    for (pb, lb) in p.chunks_exact_mut(2 * half).zip(l.chunks_exact_mut(2 * half)) {
        let (p0, p1) = pb.split_at_mut(half);
        let (l0, l1) = lb.split_at_mut(half);
        let runs = p0.chunks_exact_mut(4).zip(p1.chunks_exact_mut(4));
        for ((a, b), (c, d)) in runs.zip(l0.chunks_exact_mut(4).zip(l1.chunks_exact_mut(4))) {
            let (x, y, la, lb) = (s.load(a), s.load(b), s.load(c), s.load(d));
            let (xs, ys) = (s.swap_re_im(x), s.swap_re_im(y));
            re[0] = s.mul_add(la, x, re[0]);
            im[0] = s.mul_add(la, xs, im[0]);
            re[1] = s.mul_add(la, y, re[1]);
            im[1] = s.mul_add(la, ys, im[1]);
            re[2] = s.mul_add(lb, x, re[2]);
            im[2] = s.mul_add(lb, xs, im[2]);
            re[3] = s.mul_add(lb, y, re[3]);
            im[3] = s.mul_add(lb, ys, im[3]);
            let (nx, ny) = op.pair(s, x, y);
            s.store(a, nx);
            s.store(b, ny);
            let (nla, nlb) = op.pair(s, la, lb);
            s.store(c, nla);
            s.store(d, nlb);
        }
    }
    std::array::from_fn(|k| {
        let (r, i) = (lanes_of(s, re[k]), lanes_of(s, im[k]));
        Complex64::new(r[0] + r[1] + r[2] + r[3], (i[0] - i[1]) + (i[2] - i[3]))
    })
}

/// The four lanes of `v`.
#[inline(always)]
fn lanes_of<S: Lanes>(s: S, v: S::V) -> [f64; 4] {
    let mut out = [0.0; 4];
    s.store(&mut out, v);
    out
}

/// `<bra| M_q |ket>` for a 2x2 matrix `m` on qubit `q`, serially.
pub(crate) fn matrix_element_1q(
    bra: &[Complex64],
    ket: &[Complex64],
    q: usize,
    m: &[Complex64; 4],
) -> Complex64 {
    dispatch(MatrixElement1q { bra, ket, q, m })
}

/// [`matrix_element_1q_with`] as a [`LanesFn`], for [`dispatch`]: scalar code that ignores the
/// lanes, which the AVX2 build may vectorise with wider registers (same results: Rust never
/// fuses a multiply and an add on its own).
struct MatrixElement1q<'a> {
    bra: &'a [Complex64],
    ket: &'a [Complex64],
    q: usize,
    m: &'a [Complex64; 4],
}

impl LanesFn for MatrixElement1q<'_> {
    type Output = Complex64;

    #[inline(always)]
    fn call<S: Lanes>(self, _: S) -> Complex64 {
        matrix_element_1q_with(self.bra, self.ket, self.q, self.m)
    }
}

/// The body of [`matrix_element_1q`].
#[inline(always)]
fn matrix_element_1q_with(
    bra: &[Complex64],
    ket: &[Complex64],
    q: usize,
    m: &[Complex64; 4],
) -> Complex64 {
    let half = 1usize << q;
    // Two accumulators per half keep the dependency chains short.
    let mut acc = [Complex64::new(0.0, 0.0); 2];
    for (b, k) in bra.chunks_exact(2 * half).zip(ket.chunks_exact(2 * half)) {
        let (b0, b1) = b.split_at(half);
        let (k0, k1) = k.split_at(half);
        for j in 0..half {
            let (x, y) = (k0[j], k1[j]);
            acc[0] += b0[j].conj() * (m[0] * x + m[1] * y);
            acc[1] += b1[j].conj() * (m[2] * x + m[3] * y);
        }
    }
    acc[0] + acc[1]
}

/// The two-qubit version of [`adjoint_run_1q`] on positions `q0 != q1`: returns the 4x4
/// transition matrix `R_rc = sum conj(lambda_r) phi_c` over the groups of the pair (member bit 0
/// is `q0`, row-major), then applies `undo` (same order) to both vectors, in one pass.
pub(crate) fn adjoint_run_2q(
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q0: usize,
    q1: usize,
    undo: &[Complex64; 16],
) -> [Complex64; 16] {
    dispatch(AdjointRun2q { phi, lambda, q0, q1, undo })
}

/// [`adjoint_run_2q_with`] as a [`LanesFn`], for [`dispatch`].
struct AdjointRun2q<'a> {
    phi: &'a mut [Complex64],
    lambda: &'a mut [Complex64],
    q0: usize,
    q1: usize,
    undo: &'a [Complex64; 16],
}

impl LanesFn for AdjointRun2q<'_> {
    type Output = [Complex64; 16];

    #[inline(always)]
    fn call<S: Lanes>(self, s: S) -> [Complex64; 16] {
        adjoint_run_2q_with(s, self.phi, self.lambda, self.q0, self.q1, self.undo)
    }
}

/// Works with member bit 0 on the lower position, as [`dense_2q`] does, and maps `R` back.
#[inline(always)]
pub(super) fn adjoint_run_2q_with<S: Lanes>(
    s: S,
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q0: usize,
    q1: usize,
    undo: &[Complex64; 16],
) -> [Complex64; 16] {
    let swap_bits = |k: usize| ((k & 1) << 1) | ((k >> 1) & 1);
    // An involution: entry `e` in the caller's order is entry `order(e)` in the low-first one.
    let order = |e: usize| if q0 < q1 { e } else { 4 * swap_bits(e / 4) + swap_bits(e % 4) };
    let m: [Complex64; 16] = std::array::from_fn(|e| undo[order(e)]);
    let (l, h) = (q0.min(q1), q0.max(q1));
    let r = if couples_only_x_pairs(&m) {
        transition_quads(s, phi, lambda, l, h, &XPairs4x4::new(s, &m))
    } else {
        transition_quads(s, phi, lambda, l, h, &Dense4x4::new(s, &m))
    };
    std::array::from_fn(|e| r[order(e)])
}

/// `R_rc = sum conj(lambda_r) phi_c` over the groups of positions `l < h` (member bit 0 = `l`),
/// then `op` on both vectors. The lane products are accumulated as in [`adjoint_run_1q_with`]:
/// `re` holds `lambda * phi`, `im` holds `lambda * swap_re_im(phi)`.
#[inline(always)]
fn transition_quads<S: Lanes, O: QuadOp<S>>(
    s: S,
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    l: usize,
    h: usize,
    op: &O,
) -> [Complex64; 16] {
    let zero = s.splat(0.0);
    let (mut re, mut im) = ([zero; 16], [zero; 16]);
    let (half_l, half_h) = (2usize << l, 2usize << h); // doubles
    let blocks =
        as_f64(phi).chunks_exact_mut(2 * half_h).zip(as_f64(lambda).chunks_exact_mut(2 * half_h));
    for (pb, lb) in blocks {
        let (p0, p1) = pb.split_at_mut(half_h);
        let (l0, l1) = lb.split_at_mut(half_h);
        if l == 0 {
            // x = [[x0, x1], [x2, x3]] of one group, y likewise. y[a] * x[b] pairs member 2a
            // with 2b and 2a + 1 with 2b + 1 (slot 4a + 2b); with the halves of x[b] swapped,
            // 2a with 2b + 1 and 2a + 1 with 2b (slot 4a + 2b + 1).
            for j in (0..half_h).step_by(4) {
                let x = [s.load(&p0[j..j + 4]), s.load(&p1[j..j + 4])];
                let y = [s.load(&l0[j..j + 4]), s.load(&l1[j..j + 4])];
                for (a, &ya) in y.iter().enumerate() {
                    for (b, &xb) in x.iter().enumerate() {
                        let slot = 4 * a + 2 * b;
                        let w = s.swap_halves(xb);
                        re[slot] = s.mul_add(ya, xb, re[slot]);
                        im[slot] = s.mul_add(ya, s.swap_re_im(xb), im[slot]);
                        re[slot + 1] = s.mul_add(ya, w, re[slot + 1]);
                        im[slot + 1] = s.mul_add(ya, s.swap_re_im(w), im[slot + 1]);
                    }
                }
                let (nx, ny) = (op.packed(s, x), op.packed(s, y));
                s.store(&mut p0[j..j + 4], nx[0]);
                s.store(&mut p1[j..j + 4], nx[1]);
                s.store(&mut l0[j..j + 4], ny[0]);
                s.store(&mut l1[j..j + 4], ny[1]);
            }
            continue;
        }
        for start in (0..half_h).step_by(2 * half_l) {
            for j in (start..start + half_l).step_by(4) {
                let k = j + half_l;
                let x = [
                    s.load(&p0[j..j + 4]),
                    s.load(&p0[k..k + 4]),
                    s.load(&p1[j..j + 4]),
                    s.load(&p1[k..k + 4]),
                ];
                let y = [
                    s.load(&l0[j..j + 4]),
                    s.load(&l0[k..k + 4]),
                    s.load(&l1[j..j + 4]),
                    s.load(&l1[k..k + 4]),
                ];
                let xs = x.map(|v| s.swap_re_im(v));
                for r in 0..4 {
                    for c in 0..4 {
                        re[4 * r + c] = s.mul_add(y[r], x[c], re[4 * r + c]);
                        im[4 * r + c] = s.mul_add(y[r], xs[c], im[4 * r + c]);
                    }
                }
                let (nx, ny) = (op.quad(s, x), op.quad(s, y));
                s.store(&mut p0[j..j + 4], nx[0]);
                s.store(&mut p0[k..k + 4], nx[1]);
                s.store(&mut p1[j..j + 4], nx[2]);
                s.store(&mut p1[k..k + 4], nx[3]);
                s.store(&mut l0[j..j + 4], ny[0]);
                s.store(&mut l0[k..k + 4], ny[1]);
                s.store(&mut l1[j..j + 4], ny[2]);
                s.store(&mut l1[k..k + 4], ny[3]);
            }
        }
    }
    let sums: [[f64; 4]; 32] =
        std::array::from_fn(|i| lanes_of(s, if i < 16 { re[i] } else { im[i - 16] }));
    let whole = |v: [f64; 4], w: [f64; 4]| {
        Complex64::new(v[0] + v[1] + v[2] + v[3], (w[0] - w[1]) + (w[2] - w[3]))
    };
    let first = |v: [f64; 4], w: [f64; 4]| Complex64::new(v[0] + v[1], w[0] - w[1]);
    let second = |v: [f64; 4], w: [f64; 4]| Complex64::new(v[2] + v[3], w[2] - w[3]);
    if l > 0 {
        return std::array::from_fn(|e| whole(sums[e], sums[16 + e]));
    }
    let mut r = [Complex64::new(0.0, 0.0); 16];
    for a in 0..2 {
        for b in 0..2 {
            let slot = 4 * a + 2 * b;
            let (d, o) = ((sums[slot], sums[16 + slot]), (sums[slot + 1], sums[17 + slot]));
            r[4 * (2 * a) + 2 * b] = first(d.0, d.1);
            r[4 * (2 * a + 1) + 2 * b + 1] = second(d.0, d.1);
            r[4 * (2 * a) + 2 * b + 1] = first(o.0, o.1);
            r[4 * (2 * a + 1) + 2 * b] = second(o.0, o.1);
        }
    }
    r
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::lanes::Portable;
    use crate::kernels::reference::{c, state};

    #[test]
    fn adjoint_runs_return_the_transition_matrix_and_undo_both_vectors() {
        const N: usize = 5;
        let lambda0: Vec<Complex64> = state(N).iter().map(|z| z * c(0.3, -1.1) + 0.2).collect();
        let matrix = |e: usize| c((e as f64 * 0.7).cos(), (e as f64 * 1.3).sin());
        let dense: [Complex64; 16] = std::array::from_fn(matrix);
        let x_pairs: [Complex64; 16] = std::array::from_fn(|e| {
            if matches!((e / 4) ^ (e % 4), 0 | 3) { matrix(e) } else { c(0.0, 0.0) }
        });
        // Reference: group members by explicit bit tests, matrix applied member by member.
        let reference = |qubits: &[usize], m: &[Complex64]| {
            let dim = 1 << qubits.len();
            let (mut phi, mut lambda) = (state(N), lambda0.clone());
            let mut r = vec![c(0.0, 0.0); dim * dim];
            let mask: usize = qubits.iter().map(|q| 1 << q).sum();
            for base in (0..1usize << N).filter(|i| i & mask == 0) {
                let idx: Vec<usize> = (0..dim)
                    .map(|k| {
                        base | qubits
                            .iter()
                            .enumerate()
                            .map(|(b, q)| ((k >> b) & 1) << q)
                            .sum::<usize>()
                    })
                    .collect();
                for (e, entry) in r.iter_mut().enumerate() {
                    *entry += lambda[idx[e / dim]].conj() * phi[idx[e % dim]];
                }
                for v in [&mut phi, &mut lambda] {
                    let old: Vec<Complex64> = idx.iter().map(|&i| v[i]).collect();
                    for (row, &i) in idx.iter().enumerate() {
                        v[i] = (0..dim).map(|col| m[dim * row + col] * old[col]).sum();
                    }
                }
            }
            (r, phi, lambda)
        };
        let close = |a: &[Complex64], b: &[Complex64]| {
            a.iter().zip(b).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max) < 1e-12
        };
        for q in 0..N {
            let m = [dense[0], dense[1], dense[4], dense[5]];
            let (r, phi, lambda) = reference(&[q], &m);
            let (mut p, mut l) = (state(N), lambda0.clone());
            let got = adjoint_run_1q(&mut p, &mut l, q, &m);
            let (mut pp, mut lp) = (state(N), lambda0.clone());
            let portable = adjoint_run_1q_with(Portable, &mut pp, &mut lp, q, &m);
            for (g, (p, l)) in [(got, (p, l)), (portable, (pp, lp))] {
                assert!(close(&g, &r) && close(&p, &phi) && close(&l, &lambda), "qubit {q}");
            }
        }
        for (q0, q1) in [(0, 1), (1, 0), (0, 3), (3, 0), (1, 4), (4, 2)] {
            for m in [&dense, &x_pairs] {
                let (r, phi, lambda) = reference(&[q0, q1], m);
                let (mut p, mut l) = (state(N), lambda0.clone());
                let got = adjoint_run_2q(&mut p, &mut l, q0, q1, m);
                let (mut pp, mut lp) = (state(N), lambda0.clone());
                let portable = adjoint_run_2q_with(Portable, &mut pp, &mut lp, q0, q1, m);
                for (g, (p, l)) in [(got, (p, l)), (portable, (pp, lp))] {
                    assert!(close(&g, &r), "R on ({q0}, {q1})");
                    assert!(close(&p, &phi) && close(&l, &lambda), "undo on ({q0}, {q1})");
                }
            }
        }
    }
}
