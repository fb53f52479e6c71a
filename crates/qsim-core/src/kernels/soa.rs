//! Eight states side by side ("chains in lanes"): the adjoint transition kernels for a batch of
//! states that run the same gates with the same angles.
//!
//! Layout: amplitude `a` of the eight states is one [`Amps8`], the real parts of the eight
//! states then their imaginary parts, so every gate coefficient is a broadcast and complex
//! arithmetic needs no shuffles; with AVX-512 one register holds one part of one amplitude of
//! all eight states.
//!
//! The kernels reproduce the interleaved kernels of `adjoint` operation for operation: every
//! output is the same chain of (fused or unfused) multiply-adds on the same operands, and every
//! transition-matrix entry is summed with the same partial sums in the same order (the
//! interleaved kernels keep one partial sum per vector lane: real times real, imaginary times
//! imaginary, and so on, separately for amplitudes at even and odd positions when the vector
//! holds two members of different groups). So a state's results here are bit-identical to the
//! interleaved kernels' on that state alone, on every instruction set: [`dispatch_soa`] chooses
//! fused multiply-adds exactly where [`super::lanes::dispatch`] does (AVX2 and FMA present).

use num_complex::Complex64;

use super::two_qubit::couples_only_x_pairs;

/// States per batch.
pub(crate) const LANES: usize = 8;

/// One amplitude of [`LANES`] states: real parts, then imaginary parts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(64))]
pub(crate) struct Amps8 {
    /// Real parts, one per state.
    pub(crate) re: [f64; LANES],
    /// Imaginary parts, one per state.
    pub(crate) im: [f64; LANES],
}

/// Fills `buf` with `states` side by side (state `k` in lane `k`, lanes past them zero).
pub(crate) fn pack_lanes(buf: &mut [Amps8], states: &[&[Complex64]]) {
    assert!(states.len() <= LANES && states.iter().all(|s| s.len() == buf.len()));
    for (a, out) in buf.iter_mut().enumerate() {
        *out = Amps8::default();
        for (k, s) in states.iter().enumerate() {
            out.re[k] = s[a].re;
            out.im[k] = s[a].im;
        }
    }
}

/// Lane `l` of `buf` as an interleaved state.
pub(crate) fn lane(buf: &[Amps8], l: usize) -> Vec<Complex64> {
    buf.iter().map(|a| Complex64::new(a.re[l], a.im[l])).collect()
}

/// Writes the interleaved state `v` into lane `l` of `buf`.
pub(crate) fn set_lane(buf: &mut [Amps8], l: usize, v: &[Complex64]) {
    for (a, z) in buf.iter_mut().zip(v) {
        a.re[l] = z.re;
        a.im[l] = z.im;
    }
}

/// How a multiply-add rounds: once (fused, where the CPU has FMA) or twice.
pub(crate) trait Arith: Copy {
    /// `a * b + c`.
    fn fma(a: f64, b: f64, c: f64) -> f64;
    /// `a * b - c`.
    fn fms(a: f64, b: f64, c: f64) -> f64;
}

/// Fused multiply-adds, one rounding (as `_mm256_fmadd_pd` and `_mm256_fmaddsub_pd`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fused;

impl Arith for Fused {
    #[inline(always)]
    fn fma(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn fms(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, -c)
    }
}

/// A multiply, then an add: what the portable lanes compute.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unfused;

impl Arith for Unfused {
    #[inline(always)]
    fn fma(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
    #[inline(always)]
    fn fms(a: f64, b: f64, c: f64) -> f64 {
        a * b - c
    }
}

/// A computation written once for both roundings: what [`dispatch_soa`] runs.
pub(crate) trait SoaFn {
    /// What the computation returns.
    type Output;
    /// Runs the computation with multiply-adds rounded as `A` does.
    fn call<A: Arith>(self) -> Self::Output;
}

/// Runs `f` fused, compiled for AVX-512 when the CPU has it (else for AVX2), when the CPU has
/// AVX2 and FMA, the condition under which the interleaved kernels use FMA; unfused otherwise.
#[inline]
pub(crate) fn dispatch_soa<F: SoaFn>(f: F) -> F::Output {
    #[cfg(target_arch = "x86_64")]
    {
        let fma = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        if fma && std::is_x86_feature_detected!("avx512f") {
            // SAFETY: `with_avx512` only requires the features it enables (AVX-512F, AVX2,
            // FMA), all detected on this CPU just above.
            return unsafe { with_avx512(f) };
        }
        if fma {
            // SAFETY: `with_avx2_fma` only requires AVX2 and FMA, detected just above.
            return unsafe { with_avx2_fma(f) };
        }
    }
    f.call::<Unfused>()
}

/// `f`, fused, compiled with AVX-512F (eight `f64` per register).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn with_avx512<F: SoaFn>(f: F) -> F::Output {
    f.call::<Fused>()
}

/// `f`, fused, compiled with AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn with_avx2_fma<F: SoaFn>(f: F) -> F::Output {
    f.call::<Fused>()
}

/// Partial sums of one transition-matrix entry `sum conj(l) x`, per state: `rr` of `l.re x.re`,
/// `ii` of `l.im x.im`, `ri` of `l.re x.im`, `ir` of `l.im x.re` (the lanes of the interleaved
/// kernels' `l * x` and `l * swap_re_im(x)` accumulators).
#[derive(Clone, Copy, Default)]
struct Acc {
    rr: [f64; LANES],
    ii: [f64; LANES],
    ri: [f64; LANES],
    ir: [f64; LANES],
}

impl Acc {
    #[inline(always)]
    fn add<A: Arith>(&mut self, l: &Amps8, x: &Amps8) {
        for k in 0..LANES {
            self.rr[k] = A::fma(l.re[k], x.re[k], self.rr[k]);
            self.ii[k] = A::fma(l.im[k], x.im[k], self.ii[k]);
            self.ri[k] = A::fma(l.re[k], x.im[k], self.ri[k]);
            self.ir[k] = A::fma(l.im[k], x.re[k], self.ir[k]);
        }
    }

    /// The entry of state `k` from one partial sum per lane: `(rr + ii, ri - ir)`.
    fn single(&self, k: usize) -> Complex64 {
        Complex64::new(self.rr[k] + self.ii[k], self.ri[k] - self.ir[k])
    }

    /// The entry of state `k` from the partial sums of even (`self`) and odd (`odd`) positions,
    /// combined as the interleaved kernels combine their four lanes.
    fn paired(&self, odd: &Acc, k: usize) -> Complex64 {
        Complex64::new(
            self.rr[k] + self.ii[k] + odd.rr[k] + odd.ii[k],
            (self.ri[k] - self.ir[k]) + (odd.ri[k] - odd.ir[k]),
        )
    }
}

/// `first.0 * first.1 + last.0 * last.1` per state, as the interleaved `cdot` of two terms
/// computes it: the imaginary parts of the coefficients chain first (from `last`), then one
/// multiply-subtract (real) or multiply-add (imaginary) with `last`, then `first`.
#[inline(always)]
fn cdot2<A: Arith>(first: (Complex64, &Amps8), last: (Complex64, &Amps8)) -> Amps8 {
    let ((cf, xf), (cl, xl)) = (first, last);
    let mut out = Amps8::default();
    for k in 0..LANES {
        let qa = A::fma(cf.im, xf.im[k], cl.im * xl.im[k]);
        out.re[k] = A::fma(cf.re, xf.re[k], A::fms(cl.re, xl.re[k], qa));
        let qb = A::fma(cf.im, xf.re[k], cl.im * xl.re[k]);
        out.im[k] = A::fma(cf.re, xf.im[k], A::fma(cl.re, xl.im[k], qb));
    }
    out
}

/// The batched [`super::adjoint_run_1q`]: for each of the [`LANES`] states, the transition
/// matrix of qubit `q` (row-major) before `undo`, which is then applied to both buffers.
pub(crate) fn adjoint_run_1q_lanes(
    phi: &mut [Amps8],
    lambda: &mut [Amps8],
    q: usize,
    undo: &[Complex64; 4],
) -> [[Complex64; 4]; LANES] {
    dispatch_soa(Run1q { phi, lambda, q, undo })
}

/// [`adjoint_run_1q_lanes_with`] as a [`SoaFn`].
struct Run1q<'a> {
    phi: &'a mut [Amps8],
    lambda: &'a mut [Amps8],
    q: usize,
    undo: &'a [Complex64; 4],
}

impl SoaFn for Run1q<'_> {
    type Output = [[Complex64; 4]; LANES];

    #[inline(always)]
    fn call<A: Arith>(self) -> Self::Output {
        adjoint_run_1q_lanes_with::<A>(self.phi, self.lambda, self.q, self.undo)
    }
}

/// The body of [`adjoint_run_1q_lanes`] (entries: `0 = (l0, x0)`, `1 = (l0, x1)`,
/// `2 = (l1, x0)`, `3 = (l1, x1)` for the pair members `0` and `1`).
#[inline(always)]
pub(crate) fn adjoint_run_1q_lanes_with<A: Arith>(
    phi: &mut [Amps8],
    lambda: &mut [Amps8],
    q: usize,
    undo: &[Complex64; 4],
) -> [[Complex64; 4]; LANES] {
    let [m00, m01, m10, m11] = *undo;
    if q == 0 {
        // The interleaved kernel holds a whole pair per vector: one partial sum per lane.
        let (mut a0, mut a1, mut a2, mut a3) =
            (Acc::default(), Acc::default(), Acc::default(), Acc::default());
        for (p, l) in phi.chunks_exact_mut(2).zip(lambda.chunks_exact_mut(2)) {
            let (x0, x1, l0, l1) = (p[0], p[1], l[0], l[1]);
            a0.add::<A>(&l0, &x0);
            a1.add::<A>(&l0, &x1);
            a2.add::<A>(&l1, &x0);
            a3.add::<A>(&l1, &x1);
            // `packed`: the second member's row is taken in the order (m11 x1, m10 x0).
            p[0] = cdot2::<A>((m00, &x0), (m01, &x1));
            p[1] = cdot2::<A>((m11, &x1), (m10, &x0));
            l[0] = cdot2::<A>((m00, &l0), (m01, &l1));
            l[1] = cdot2::<A>((m11, &l1), (m10, &l0));
        }
        let acc = [a0, a1, a2, a3];
        return std::array::from_fn(|k| std::array::from_fn(|e| acc[e].single(k)));
    }
    let half = 1usize << q;
    // Even and odd positions have separate partial sums: one sweep each.
    let even = sweep_1q::<A>(phi, lambda, half, 0, undo);
    let odd = sweep_1q::<A>(phi, lambda, half, 1, undo);
    let acc = [even, odd];
    let [even, odd] = acc;
    std::array::from_fn(|k| std::array::from_fn(|e| even[e].paired(&odd[e], k)))
}

/// The pairs of qubit `2^q = half` whose position in their half-block has `parity`: their
/// four partial sums (local, so that they stay in registers), and the undo.
#[inline(always)]
fn sweep_1q<A: Arith>(
    phi: &mut [Amps8],
    lambda: &mut [Amps8],
    half: usize,
    parity: usize,
    undo: &[Complex64; 4],
) -> [Acc; 4] {
    let [m00, m01, m10, m11] = *undo;
    let (mut a0, mut a1, mut a2, mut a3) =
        (Acc::default(), Acc::default(), Acc::default(), Acc::default());
    for (pb, lb) in phi.chunks_exact_mut(2 * half).zip(lambda.chunks_exact_mut(2 * half)) {
        let (p0, p1) = pb.split_at_mut(half);
        let (l0, l1) = lb.split_at_mut(half);
        let (p0, p1, l0, l1) =
            (&mut p0[parity..], &mut p1[parity..], &mut l0[parity..], &mut l1[parity..]);
        for (((a, b), c), d) in p0
            .iter_mut()
            .step_by(2)
            .zip(p1.iter_mut().step_by(2))
            .zip(l0.iter_mut().step_by(2))
            .zip(l1.iter_mut().step_by(2))
        {
            let (x, y, la, lb) = (*a, *b, *c, *d);
            a0.add::<A>(&la, &x);
            a1.add::<A>(&la, &y);
            a2.add::<A>(&lb, &x);
            a3.add::<A>(&lb, &y);
            *a = cdot2::<A>((m00, &x), (m01, &y));
            *b = cdot2::<A>((m10, &x), (m11, &y));
            *c = cdot2::<A>((m00, &la), (m01, &lb));
            *d = cdot2::<A>((m10, &la), (m11, &lb));
        }
    }
    [a0, a1, a2, a3]
}

/// The batched [`super::adjoint_run_2q`] for an `undo` that only couples members `0 <-> 3` and
/// `1 <-> 2` (XX and YY rotations and their products): the eight entries of that pattern (the
/// others are returned as zero), for callers that `need` (row-major in the order `(q0, q1)`)
/// no others. `None` (nothing done) for any other matrix or need.
pub(crate) fn adjoint_run_2q_lanes(
    phi: &mut [Amps8],
    lambda: &mut [Amps8],
    q0: usize,
    q1: usize,
    undo: &[Complex64; 16],
    needed: &[bool; 16],
) -> Option<[[Complex64; 16]; LANES]> {
    let swap_bits = |k: usize| ((k & 1) << 1) | ((k >> 1) & 1);
    // As in `adjoint_run_2q_with`: entry `e` in the caller's order is `order(e)` low-first.
    let order = |e: usize| if q0 < q1 { e } else { 4 * swap_bits(e / 4) + swap_bits(e % 4) };
    let m: [Complex64; 16] = std::array::from_fn(|e| undo[order(e)]);
    let x_pair = |e: usize| matches!((e / 4) ^ (e % 4), 0 | 3);
    if !couples_only_x_pairs(&m) || (0..16).any(|e| needed[e] && !x_pair(order(e))) {
        return None;
    }
    let (l, h) = (q0.min(q1), q0.max(q1));
    let r = dispatch_soa(Run2q { phi, lambda, l, h, m: &m });
    Some(std::array::from_fn(|k| std::array::from_fn(|e| r[k][order(e)])))
}

/// [`transition_x_pairs`] as a [`SoaFn`].
struct Run2q<'a> {
    phi: &'a mut [Amps8],
    lambda: &'a mut [Amps8],
    l: usize,
    h: usize,
    m: &'a [Complex64; 16],
}

impl SoaFn for Run2q<'_> {
    type Output = [[Complex64; 16]; LANES];

    #[inline(always)]
    fn call<A: Arith>(self) -> Self::Output {
        transition_x_pairs::<A>(self.phi, self.lambda, self.l, self.h, self.m)
    }
}

/// The x-pair entries of the transition matrix on positions `l < h` (member bit 0 = `l`), then
/// the x-pair matrix `m` on both buffers: members `(0, 3)` and `(1, 2)` are two independent
/// problems, swept one after the other (and, for `l > 0`, even and odd positions apart, as the
/// interleaved kernel keeps their partial sums apart).
#[inline(always)]
pub(crate) fn transition_x_pairs<A: Arith>(
    phi: &mut [Amps8],
    lambda: &mut [Amps8],
    l: usize,
    h: usize,
    m: &[Complex64; 16],
) -> [[Complex64; 16]; LANES] {
    let at = |r: usize, c: usize| m[4 * r + c];
    let half_l = 1usize << l;
    // Per problem `(a, b)`: the accumulators of entries (a, a), (a, b), (b, a), (b, b).
    let problems = [(0usize, 3usize), (1, 2)];
    let mut acc = [[[Acc::default(); 4]; 2]; 2];
    for (problem, &(a, b)) in problems.iter().enumerate() {
        // Member a (h bit 0) sits in the low half of a block at offset `oa`, member b (h bit 1)
        // in the high half at `ob`.
        let (oa, ob) = if a == 0 { (0, half_l) } else { (half_l, 0) };
        let (maa, mab, mba, mbb) = (at(a, a), at(a, b), at(b, a), at(b, b));
        let coefs = [maa, mab, mba, mbb];
        if l == 0 {
            acc[problem][0] = sweep_x_pair::<A, true>(phi, lambda, l, h, 0, (oa, ob), &coefs);
        } else {
            for (parity, acc) in acc[problem].iter_mut().enumerate() {
                *acc = sweep_x_pair::<A, false>(phi, lambda, l, h, parity, (oa, ob), &coefs);
            }
        }
    }
    std::array::from_fn(|k| {
        let mut r = [Complex64::new(0.0, 0.0); 16];
        for (problem, &(a, b)) in problems.iter().enumerate() {
            let entries = [(a, a), (a, b), (b, a), (b, b)];
            for (slot, &(row, col)) in entries.iter().enumerate() {
                let [even, odd] = &acc[problem];
                r[4 * row + col] =
                    if l == 0 { even[slot].single(k) } else { even[slot].paired(&odd[slot], k) };
            }
        }
        r
    })
}

/// One x-pair problem (members `a`, in the low half at offset `oa`, and `b`, in the high half at
/// `ob`, of each group on positions `l < h`) over the groups whose position has `parity` (all
/// groups when `PACKED`, i.e. `l = 0`): the partial sums of entries (a, a), (a, b), (b, a),
/// (b, b), and the undo. Output a is `maa xa + mab xb` (terms in that order, as the interleaved
/// kernels take them) in both forms; output b is `mba xa + mbb xb` in the quad form (`l > 0`)
/// and `mbb xb + mba xa` in the packed form (`l = 0`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn sweep_x_pair<A: Arith, const PACKED: bool>(
    phi: &mut [Amps8],
    lambda: &mut [Amps8],
    l: usize,
    h: usize,
    parity: usize,
    (oa, ob): (usize, usize),
    coefs: &[Complex64; 4],
) -> [Acc; 4] {
    let [maa, mab, mba, mbb] = *coefs;
    let out_b = |va: &Amps8, vb: &Amps8| {
        if PACKED { cdot2::<A>((mbb, vb), (mba, va)) } else { cdot2::<A>((mba, va), (mbb, vb)) }
    };
    let (half_l, half_h) = (1usize << l, 1usize << h);
    let (mut a0, mut a1, mut a2, mut a3) =
        (Acc::default(), Acc::default(), Acc::default(), Acc::default());
    for (pb, lb) in phi.chunks_exact_mut(2 * half_h).zip(lambda.chunks_exact_mut(2 * half_h)) {
        let (p0, p1) = pb.split_at_mut(half_h);
        let (l0, l1) = lb.split_at_mut(half_h);
        for start in (0..half_h).step_by(2 * half_l) {
            let end = if PACKED { start + 1 } else { start + half_l };
            for j in (start + parity..end).step_by(if PACKED { 1 } else { 2 }) {
                let (xa, xb, ya, yb) = (p0[j + oa], p1[j + ob], l0[j + oa], l1[j + ob]);
                a0.add::<A>(&ya, &xa);
                a1.add::<A>(&ya, &xb);
                a2.add::<A>(&yb, &xa);
                a3.add::<A>(&yb, &xb);
                p0[j + oa] = cdot2::<A>((maa, &xa), (mab, &xb));
                p1[j + ob] = out_b(&xa, &xb);
                l0[j + oa] = cdot2::<A>((maa, &ya), (mab, &yb));
                l1[j + ob] = out_b(&ya, &yb);
            }
        }
    }
    [a0, a1, a2, a3]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::adjoint::{
        adjoint_run_1q, adjoint_run_1q_with, adjoint_run_2q, adjoint_run_2q_with,
    };
    use crate::kernels::lanes::Portable;
    use crate::kernels::reference::c;

    /// Eight different unnormalised states of `n` qubits, and eight co-states.
    fn states(n: usize) -> (Vec<Vec<Complex64>>, Vec<Vec<Complex64>>) {
        let make = |seed: f64| -> Vec<Vec<Complex64>> {
            (0..LANES)
                .map(|k| {
                    let s = seed + 0.61 * k as f64;
                    (0..1usize << n)
                        .map(|i| c((i as f64 * 0.37 + s).sin(), (i as f64 * (0.11 + s)).cos()))
                        .collect()
                })
                .collect()
        };
        (make(0.3), make(1.7))
    }

    fn pack(v: &[Vec<Complex64>]) -> Vec<Amps8> {
        let mut buf = vec![Amps8::default(); v[0].len()];
        for (k, s) in v.iter().enumerate() {
            set_lane(&mut buf, k, s);
        }
        buf
    }

    /// Both roundings, against the interleaved kernel on each state alone: bit for bit.
    #[test]
    fn batched_1q_runs_match_the_interleaved_kernel_exactly() {
        for n in [3, 6] {
            let (phis, lambdas) = states(n);
            let undo = [c(0.6, -0.2), c(0.3, 0.7), c(-0.1, 0.75), c(0.62, 0.05)];
            for q in 0..n {
                let (mut p, mut l) = (pack(&phis), pack(&lambdas));
                let fused = adjoint_run_1q_lanes(&mut p, &mut l, q, &undo);
                let (mut pu, mut lu) = (pack(&phis), pack(&lambdas));
                let unfused = adjoint_run_1q_lanes_with::<Unfused>(&mut pu, &mut lu, q, &undo);
                for k in 0..LANES {
                    let (mut pk, mut lk) = (phis[k].clone(), lambdas[k].clone());
                    let r = adjoint_run_1q(&mut pk, &mut lk, q, &undo);
                    assert_eq!(fused[k], r, "R, n {n} qubit {q} state {k}");
                    assert_eq!((lane(&p, k), lane(&l, k)), (pk, lk), "undo, qubit {q}");
                    let (mut pk, mut lk) = (phis[k].clone(), lambdas[k].clone());
                    let r = adjoint_run_1q_with(Portable, &mut pk, &mut lk, q, &undo);
                    assert_eq!(unfused[k], r, "portable R, n {n} qubit {q} state {k}");
                    assert_eq!((lane(&pu, k), lane(&lu, k)), (pk, lk), "portable undo");
                }
            }
        }
    }

    #[test]
    fn batched_x_pair_runs_match_the_interleaved_kernel_exactly() {
        let n = 6;
        let (phis, lambdas) = states(n);
        let x_pair = |e: usize| matches!((e / 4) ^ (e % 4), 0 | 3);
        let m: [Complex64; 16] = std::array::from_fn(|e| {
            if x_pair(e) { c((e as f64 * 0.7).cos(), (e as f64 * 1.3).sin()) } else { c(0., 0.) }
        });
        let needed: [bool; 16] = std::array::from_fn(x_pair);
        for q0 in 0..n {
            for q1 in (0..n).filter(|&q| q != q0) {
                let (mut p, mut l) = (pack(&phis), pack(&lambdas));
                let fused =
                    adjoint_run_2q_lanes(&mut p, &mut l, q0, q1, &m, &needed).expect("x pairs");
                let (mut pu, mut lu) = (pack(&phis), pack(&lambdas));
                let (lo, hi) = (q0.min(q1), q0.max(q1));
                // Through the kernel's own entry point, in the low-first order it works in.
                let swap_bits = |k: usize| ((k & 1) << 1) | ((k >> 1) & 1);
                let order =
                    |e: usize| if q0 < q1 { e } else { 4 * swap_bits(e / 4) + swap_bits(e % 4) };
                let low_first: [Complex64; 16] = std::array::from_fn(|e| m[order(e)]);
                let unfused = transition_x_pairs::<Unfused>(&mut pu, &mut lu, lo, hi, &low_first);
                for k in 0..LANES {
                    let pattern = |r: [Complex64; 16]| -> [Complex64; 16] {
                        std::array::from_fn(|e| if needed[e] { r[e] } else { c(0., 0.) })
                    };
                    let (mut pk, mut lk) = (phis[k].clone(), lambdas[k].clone());
                    let r = adjoint_run_2q(&mut pk, &mut lk, q0, q1, &m);
                    assert_eq!(fused[k], pattern(r), "R on ({q0}, {q1}), state {k}");
                    assert_eq!((lane(&p, k), lane(&l, k)), (pk, lk), "undo on ({q0}, {q1})");
                    let (mut pk, mut lk) = (phis[k].clone(), lambdas[k].clone());
                    let r = adjoint_run_2q_with(Portable, &mut pk, &mut lk, q0, q1, &m);
                    let r: [Complex64; 16] = std::array::from_fn(|e| r[order(e)]);
                    assert_eq!(unfused[k], pattern(r), "portable R on ({q0}, {q1})");
                    assert_eq!((lane(&pu, k), lane(&lu, k)), (pk, lk), "portable undo");
                }
            }
        }
        // A dense matrix, or a need outside the pattern, is declined and leaves the buffers.
        let dense: [Complex64; 16] = std::array::from_fn(|e| c(e as f64, 1.0));
        let (mut p, mut l) = (pack(&phis), pack(&lambdas));
        assert!(adjoint_run_2q_lanes(&mut p, &mut l, 1, 4, &dense, &needed).is_none());
        assert!(adjoint_run_2q_lanes(&mut p, &mut l, 1, 4, &m, &[true; 16]).is_none());
        assert_eq!((p, l), (pack(&phis), pack(&lambdas)));
    }
}
