//! Serial kernels over one cache-sized chunk of amplitudes, and the program runner that applies a
//! list of them. The engine hands each thread whole chunks, so nothing here spawns work.
//!
//! The runner is compiled twice: once with AVX2 and FMA enabled (chosen at run time when the CPU
//! has them) and once portable. Kernels are `#[inline(always)]` so that each copy is compiled for
//! its instruction set. Amplitudes are viewed as interleaved `f64` pairs (`re, im`) so that the
//! inner loops work on `[f64; 4]` groups, two complex numbers at a time, which map onto one AVX2
//! register.

use std::sync::Arc;

use num_complex::Complex64;

/// One instruction of a chunk program. Qubit positions are physical bit positions inside the
/// chunk.
#[derive(Clone, Debug)]
pub(crate) enum Kernel {
    /// A real 2x2 matrix (row-major) on qubit `q`: four multiply-adds per pair.
    Real1 { q: usize, m: [f64; 4] },
    /// A complex 2x2 matrix (row-major) on qubit `q`.
    Dense1 { q: usize, m: [Complex64; 4] },
    /// `diag(d0, d1)` on qubit `q`.
    Diag1 { q: usize, d: [Complex64; 2] },
    /// A dense 4x4 matrix (row-major, bit 0 of its index = `q0`) on qubits `q0 != q1`.
    Dense2 { q0: usize, q1: usize, m: Box<[Complex64; 16]> },
    /// A diagonal that factorises over the low bits `0..bits` (`lo`, indexed by `i & (2^bits-1)`)
    /// and the bits above (`hi`, indexed by `i >> bits`); either table may be empty (= ones).
    Diag { bits: usize, lo: Vec<Complex64>, hi: Vec<Complex64> },
    /// A diagonal over arbitrary positions (bit `l` of the table index is `qubits[l]`).
    DiagK { qubits: Vec<usize>, table: Arc<[Complex64]> },
    /// X on `t` where every bit of `cmask` is set.
    Flip { cmask: usize, t: usize },
    /// Swap of bits `a` and `b` where every bit of `cmask` is set.
    Swap { cmask: usize, a: usize, b: usize },
    /// An affine bit map over GF(2): the amplitude at `i` moves to `lo[i & mask] ^ hi[i >> lo_bits]`.
    Perm { lo_bits: usize, lo: Arc<[u32]>, hi: Arc<[u32]> },
    /// A dense matrix on `targets` (row-major, bit `l` = `targets[l]`) where `cmask` is set.
    Dense { cmask: usize, targets: Vec<usize>, m: Arc<[Complex64]> },
}

/// Applies `program` to `amps` in order; `scratch` is reused between calls.
pub(crate) fn run_program(
    amps: &mut [Complex64],
    program: &[Kernel],
    scratch: &mut Vec<Complex64>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { run_program_avx2(amps, program, scratch) };
            return;
        }
    }
    run_program_with::<false>(amps, program, scratch);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_program_avx2(amps: &mut [Complex64], program: &[Kernel], scratch: &mut Vec<Complex64>) {
    run_program_with::<true>(amps, program, scratch);
}

#[inline(always)]
fn run_program_with<const FMA: bool>(
    amps: &mut [Complex64],
    program: &[Kernel],
    scratch: &mut Vec<Complex64>,
) {
    for kernel in program {
        match kernel {
            Kernel::Real1 { q, m } => real_1q::<FMA>(amps, *q, m),
            Kernel::Dense1 { q, m } => dense_1q::<FMA>(amps, *q, m),
            Kernel::Diag1 { q, d } => diag_1q(amps, *q, d),
            Kernel::Dense2 { q0, q1, m } => dense_2q(amps, *q0, *q1, m),
            Kernel::Diag { bits, lo, hi } => diag::<FMA>(amps, *bits, lo, hi),
            Kernel::DiagK { qubits, table } => diag_k(amps, qubits, table),
            Kernel::Flip { cmask, t } => flip(amps, *cmask, *t),
            Kernel::Swap { cmask, a, b } => swap(amps, *cmask, *a, *b),
            Kernel::Perm { lo_bits, lo, hi } => perm(amps, *lo_bits, lo, hi, scratch),
            Kernel::Dense { cmask, targets, m } => super::dense_kq_serial(amps, targets, *cmask, m),
        }
    }
}

/// One pass of the adjoint method over a run of single-qubit gates on qubit `q`: returns
/// `<lambda| M_j |phi>` for every matrix in `generators`, then applies `undo` to both vectors.
/// Reading each pair once for all of it is what makes the backward sweep cheap.
pub(crate) fn adjoint_run_1q(
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q: usize,
    generators: &[[Complex64; 4]],
    undo: &[Complex64; 4],
) -> Vec<Complex64> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { adjoint_run_1q_avx2(phi, lambda, q, generators, undo) };
        }
    }
    adjoint_run_1q_with(phi, lambda, q, generators, undo)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn adjoint_run_1q_avx2(
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q: usize,
    generators: &[[Complex64; 4]],
    undo: &[Complex64; 4],
) -> Vec<Complex64> {
    adjoint_run_1q_with(phi, lambda, q, generators, undo)
}

#[inline(always)]
fn adjoint_run_1q_with(
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q: usize,
    generators: &[[Complex64; 4]],
    undo: &[Complex64; 4],
) -> Vec<Complex64> {
    let half = 1usize << q;
    let mut acc = vec![Complex64::new(0.0, 0.0); generators.len()];
    for (p, l) in phi.chunks_exact_mut(2 * half).zip(lambda.chunks_exact_mut(2 * half)) {
        let (p0, p1) = p.split_at_mut(half);
        let (l0, l1) = l.split_at_mut(half);
        for j in 0..half {
            let (x, y) = (p0[j], p1[j]);
            let (a, b) = (l0[j].conj(), l1[j].conj());
            for (g, m) in acc.iter_mut().zip(generators) {
                *g += a * (m[0] * x + m[1] * y) + b * (m[2] * x + m[3] * y);
            }
            p0[j] = undo[0] * x + undo[1] * y;
            p1[j] = undo[2] * x + undo[3] * y;
            let (u, v) = (l0[j], l1[j]);
            l0[j] = undo[0] * u + undo[1] * v;
            l1[j] = undo[2] * u + undo[3] * v;
        }
    }
    acc
}

/// `<bra| M_q |ket>` for a 2x2 matrix `m` on qubit `q`, serially.
pub(crate) fn matrix_element_1q(
    bra: &[Complex64],
    ket: &[Complex64],
    q: usize,
    m: &[Complex64; 4],
) -> Complex64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { matrix_element_1q_avx2(bra, ket, q, m) };
        }
    }
    matrix_element_1q_with(bra, ket, q, m)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn matrix_element_1q_avx2(
    bra: &[Complex64],
    ket: &[Complex64],
    q: usize,
    m: &[Complex64; 4],
) -> Complex64 {
    matrix_element_1q_with(bra, ket, q, m)
}

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

/// `a * b + c`, fused when compiled for FMA.
#[inline(always)]
fn fma<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Views amplitudes as interleaved `re, im` doubles.
#[inline(always)]
fn as_f64(amps: &mut [Complex64]) -> &mut [f64] {
    bytemuck::cast_slice_mut(amps)
}

/// Real 2x2 on qubit `q`. For `q >= 1` the two halves of each block are contiguous runs of equal
/// length, and since the matrix is real, re and im lanes are treated alike: a plain vector loop.
#[inline(always)]
fn real_1q<const FMA: bool>(amps: &mut [Complex64], q: usize, m: &[f64; 4]) {
    let [m00, m01, m10, m11] = *m;
    let x = as_f64(amps);
    if q == 0 {
        for g in x.chunks_exact_mut(4) {
            let (ar, ai, br, bi) = (g[0], g[1], g[2], g[3]);
            g[0] = fma::<FMA>(m00, ar, m01 * br);
            g[1] = fma::<FMA>(m00, ai, m01 * bi);
            g[2] = fma::<FMA>(m10, ar, m11 * br);
            g[3] = fma::<FMA>(m10, ai, m11 * bi);
        }
        return;
    }
    let half = 2usize << q;
    for block in x.chunks_exact_mut(2 * half) {
        let (lo, hi) = block.split_at_mut(half);
        for (a, b) in lo.chunks_exact_mut(4).zip(hi.chunks_exact_mut(4)) {
            for l in 0..4 {
                let (u, v) = (a[l], b[l]);
                a[l] = fma::<FMA>(m00, u, m01 * v);
                b[l] = fma::<FMA>(m10, u, m11 * v);
            }
        }
    }
}

/// `m * x` for two complex numbers packed as `[re0, im0, re1, im1]`, with `m = mr + i mi`:
/// `mr * x + mi * [-im0, re0, -im1, re1]`.
#[inline(always)]
fn cmul2<const FMA: bool>(mr: f64, mi: f64, x: &[f64; 4]) -> [f64; 4] {
    let swapped = [-x[1], x[0], -x[3], x[2]];
    std::array::from_fn(|l| fma::<FMA>(mr, x[l], mi * swapped[l]))
}

/// Complex 2x2 on qubit `q`.
#[inline(always)]
fn dense_1q<const FMA: bool>(amps: &mut [Complex64], q: usize, m: &[Complex64; 4]) {
    if q == 0 {
        for pair in amps.chunks_exact_mut(2) {
            let (a, b) = (pair[0], pair[1]);
            pair[0] = m[0] * a + m[1] * b;
            pair[1] = m[2] * a + m[3] * b;
        }
        return;
    }
    let x = as_f64(amps);
    let half = 2usize << q;
    for block in x.chunks_exact_mut(2 * half) {
        let (lo, hi) = block.split_at_mut(half);
        for (a, b) in lo.chunks_exact_mut(4).zip(hi.chunks_exact_mut(4)) {
            let u: [f64; 4] = [a[0], a[1], a[2], a[3]];
            let v: [f64; 4] = [b[0], b[1], b[2], b[3]];
            let (p, r) = (cmul2::<FMA>(m[0].re, m[0].im, &u), cmul2::<FMA>(m[1].re, m[1].im, &v));
            let (s, t) = (cmul2::<FMA>(m[2].re, m[2].im, &u), cmul2::<FMA>(m[3].re, m[3].im, &v));
            for l in 0..4 {
                a[l] = p[l] + r[l];
                b[l] = s[l] + t[l];
            }
        }
    }
}

/// Dense 4x4 on qubits `q0`, `q1`. The groups of four amplitudes that differ only in those bits
/// are walked with three nested loops over the blocks of the higher and the lower bit, so the
/// innermost index runs over contiguous amplitudes. (Written out rather than through a closure,
/// which the compiler may leave un-inlined and so outside the AVX2 build.)
#[inline(always)]
fn dense_2q(amps: &mut [Complex64], q0: usize, q1: usize, m: &[Complex64; 16]) {
    let (lo, hi) = (q0.min(q1), q0.max(q1));
    let (b0, b1) = (1usize << q0, 1usize << q1);
    for outer in (0..amps.len()).step_by(2 << hi) {
        for middle in (outer..outer + (1 << hi)).step_by(2 << lo) {
            for i in middle..middle + (1 << lo) {
                let idx = [i, i | b0, i | b1, i | b0 | b1];
                let v = [amps[idx[0]], amps[idx[1]], amps[idx[2]], amps[idx[3]]];
                for r in 0..4 {
                    amps[idx[r]] = m[4 * r] * v[0]
                        + m[4 * r + 1] * v[1]
                        + m[4 * r + 2] * v[2]
                        + m[4 * r + 3] * v[3];
                }
            }
        }
    }
}

/// The two-qubit version of [`adjoint_run_1q`]: `<lambda| G_j |phi>` for every 4x4 generator,
/// then `undo` on both vectors, in one pass.
pub(crate) fn adjoint_run_2q(
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q0: usize,
    q1: usize,
    generators: &[[Complex64; 16]],
    undo: &[Complex64; 16],
) -> Vec<Complex64> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { adjoint_run_2q_avx2(phi, lambda, q0, q1, generators, undo) };
        }
    }
    adjoint_run_2q_with(phi, lambda, q0, q1, generators, undo)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn adjoint_run_2q_avx2(
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q0: usize,
    q1: usize,
    generators: &[[Complex64; 16]],
    undo: &[Complex64; 16],
) -> Vec<Complex64> {
    adjoint_run_2q_with(phi, lambda, q0, q1, generators, undo)
}

#[inline(always)]
fn adjoint_run_2q_with(
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q0: usize,
    q1: usize,
    generators: &[[Complex64; 16]],
    undo: &[Complex64; 16],
) -> Vec<Complex64> {
    let mut acc = vec![Complex64::new(0.0, 0.0); generators.len()];
    let (lo, hi) = (q0.min(q1), q0.max(q1));
    let (b0, b1) = (1usize << q0, 1usize << q1);
    for outer in (0..phi.len()).step_by(2 << hi) {
        for middle in (outer..outer + (1 << hi)).step_by(2 << lo) {
            for i in middle..middle + (1 << lo) {
                let idx = [i, i | b0, i | b1, i | b0 | b1];
                let x = [phi[idx[0]], phi[idx[1]], phi[idx[2]], phi[idx[3]]];
                let l = [lambda[idx[0]], lambda[idx[1]], lambda[idx[2]], lambda[idx[3]]];
                for (a, g) in acc.iter_mut().zip(generators) {
                    for r in 0..4 {
                        let gx = g[4 * r] * x[0]
                            + g[4 * r + 1] * x[1]
                            + g[4 * r + 2] * x[2]
                            + g[4 * r + 3] * x[3];
                        *a += l[r].conj() * gx;
                    }
                }
                for r in 0..4 {
                    let u = &undo[4 * r..4 * r + 4];
                    phi[idx[r]] = u[0] * x[0] + u[1] * x[1] + u[2] * x[2] + u[3] * x[3];
                    lambda[idx[r]] = u[0] * l[0] + u[1] * l[1] + u[2] * l[2] + u[3] * l[3];
                }
            }
        }
    }
    acc
}

/// `diag(d0, d1)` on qubit `q`; a unit `d0` (phase gates) is skipped.
#[inline(always)]
fn diag_1q(amps: &mut [Complex64], q: usize, d: &[Complex64; 2]) {
    let half = 1usize << q;
    let skip_lo = d[0] == Complex64::new(1.0, 0.0);
    for block in amps.chunks_exact_mut(2 * half) {
        let (lo, hi) = block.split_at_mut(half);
        if !skip_lo {
            lo.iter_mut().for_each(|a| *a *= d[0]);
        }
        hi.iter_mut().for_each(|a| *a *= d[1]);
    }
}

/// Multiplies each amplitude by `lo[i & (2^bits - 1)] * hi[i >> bits]`.
#[inline(always)]
fn diag<const FMA: bool>(amps: &mut [Complex64], bits: usize, lo: &[Complex64], hi: &[Complex64]) {
    let block = 1usize << bits;
    for (h, chunk) in amps.chunks_mut(block).enumerate() {
        let scale = hi.get(h).copied();
        if lo.is_empty() {
            if let Some(s) = scale {
                chunk.iter_mut().for_each(|a| *a *= s);
            }
            continue;
        }
        let x = as_f64(chunk);
        let t: &[f64] = bytemuck::cast_slice(lo);
        match scale {
            None => {
                for (a, d) in x.chunks_exact_mut(4).zip(t.chunks_exact(4)) {
                    let u: [f64; 4] = [a[0], a[1], a[2], a[3]];
                    let swapped = [-u[1], u[0], -u[3], u[2]];
                    let dr = [d[0], d[0], d[2], d[2]];
                    let di = [d[1], d[1], d[3], d[3]];
                    for l in 0..4 {
                        a[l] = fma::<FMA>(dr[l], u[l], di[l] * swapped[l]);
                    }
                }
            }
            Some(s) => {
                for (a, d) in chunk_pairs(x, t) {
                    // (d * s) * a, with d * s formed per pair of amplitudes.
                    let d0 = Complex64::new(d[0], d[1]) * s;
                    let d1 = Complex64::new(d[2], d[3]) * s;
                    let u: [f64; 4] = [a[0], a[1], a[2], a[3]];
                    let swapped = [-u[1], u[0], -u[3], u[2]];
                    let dr = [d0.re, d0.re, d1.re, d1.re];
                    let di = [d0.im, d0.im, d1.im, d1.im];
                    for l in 0..4 {
                        a[l] = fma::<FMA>(dr[l], u[l], di[l] * swapped[l]);
                    }
                }
            }
        }
    }
}

#[inline(always)]
fn chunk_pairs<'a>(
    x: &'a mut [f64],
    t: &'a [f64],
) -> impl Iterator<Item = (&'a mut [f64], &'a [f64])> {
    x.chunks_exact_mut(4).zip(t.chunks_exact(4))
}

/// Diagonal over arbitrary positions: the slow general case (mixed factors).
#[inline(always)]
fn diag_k(amps: &mut [Complex64], qubits: &[usize], table: &[Complex64]) {
    for (i, a) in amps.iter_mut().enumerate() {
        let j: usize = qubits.iter().enumerate().map(|(l, &q)| ((i >> q) & 1) << l).sum();
        *a *= table[j];
    }
}

/// Controlled X: swaps the halves of each `2^(t+1)` block where the controls are set. Controls
/// above `t` are constant over a block and checked once; controls below are checked per pair.
#[inline(always)]
fn flip(amps: &mut [Complex64], cmask: usize, t: usize) {
    let half = 1usize << t;
    let (above, below) = (cmask & !((half << 1) - 1), cmask & (half - 1));
    for (k, block) in amps.chunks_exact_mut(2 * half).enumerate() {
        let base = k * 2 * half;
        if base & above != above {
            continue;
        }
        let (lo, hi) = block.split_at_mut(half);
        if below == 0 {
            lo.swap_with_slice(hi);
        } else {
            for j in 0..half {
                if j & below == below {
                    std::mem::swap(&mut lo[j], &mut hi[j]);
                }
            }
        }
    }
}

/// Controlled swap of bits `a` and `b`: exchanges the amplitudes of `...1...0...` and
/// `...0...1...` wherever the controls are set.
#[inline(always)]
fn swap(amps: &mut [Complex64], cmask: usize, a: usize, b: usize) {
    let (lo, hi) = (a.min(b), a.max(b));
    let groups = amps.len() >> 2;
    for g in 0..groups {
        let base = super::insert_zero_bits(g, &[lo, hi]);
        if base & cmask != cmask {
            continue;
        }
        amps.swap(base | (1 << lo), base | (1 << hi));
    }
}

/// Affine bit permutation: scatter into `scratch`, then copy back.
#[inline(always)]
fn perm(
    amps: &mut [Complex64],
    lo_bits: usize,
    lo: &[u32],
    hi: &[u32],
    scratch: &mut Vec<Complex64>,
) {
    scratch.resize(amps.len(), Complex64::new(0.0, 0.0));
    let block = 1usize << lo_bits;
    for (h, chunk) in amps.chunks_exact(block).enumerate() {
        let base = hi[h];
        for (l, a) in chunk.iter().enumerate() {
            scratch[(base ^ lo[l]) as usize] = *a;
        }
    }
    amps.copy_from_slice(scratch);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;
    use crate::state::apply_matrix_reference;

    fn state(n: usize) -> Vec<Complex64> {
        (0..1usize << n)
            .map(|i| Complex64::new((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()))
            .collect()
    }

    fn close(a: &[Complex64], b: &[Complex64]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).norm() < 1e-12)
    }

    #[test]
    fn kernels_agree_with_the_reference_matrix_application() {
        let n = 6;
        let c = |re: f64, im: f64| Complex64::new(re, im);
        let m1 = [c(0.6, 0.1), c(-0.3, 0.7), c(0.2, -0.5), c(0.9, 0.4)];
        let r1 = [0.6, -0.8, 0.8, 0.6];
        for q in 0..n {
            for (kernel, matrix) in [
                (Kernel::Dense1 { q, m: m1 }, Matrix::new(1, m1.to_vec()).unwrap()),
                (
                    Kernel::Real1 { q, m: r1 },
                    Matrix::new(1, r1.iter().map(|&x| c(x, 0.0)).collect()).unwrap(),
                ),
                (
                    Kernel::Flip { cmask: 0, t: q },
                    Matrix::new(1, vec![c(0., 0.), c(1., 0.), c(1., 0.), c(0., 0.)]).unwrap(),
                ),
            ] {
                let mut fast = state(n);
                run_program(&mut fast, &[kernel], &mut Vec::new());
                let mut slow = state(n);
                apply_matrix_reference(&mut slow, &[q], &matrix);
                assert!(close(&fast, &slow), "q={q}");
            }
        }
    }

    #[test]
    fn dense_2q_agrees_with_the_reference_on_every_pair_order() {
        let n = 5;
        let m: Vec<Complex64> = (0..16)
            .map(|i| Complex64::new((i as f64 * 0.3).sin(), (i as f64 * 0.7).cos()))
            .collect();
        let matrix = Matrix::new(2, m.clone()).unwrap();
        for q0 in 0..n {
            for q1 in 0..n {
                if q0 == q1 {
                    continue;
                }
                let mut fast = state(n);
                let boxed: Box<[Complex64; 16]> = Box::new(m.clone().try_into().unwrap());
                run_program(&mut fast, &[Kernel::Dense2 { q0, q1, m: boxed }], &mut Vec::new());
                let mut slow = state(n);
                apply_matrix_reference(&mut slow, &[q0, q1], &matrix);
                assert!(close(&fast, &slow), "q0={q0} q1={q1}");
            }
        }
    }

    #[test]
    fn diag_with_both_tables_multiplies_both_factors() {
        let n = 5;
        let lo: Vec<Complex64> =
            (0..8).map(|i| Complex64::from_polar(1.0, i as f64 * 0.3)).collect();
        let hi: Vec<Complex64> =
            (0..4).map(|i| Complex64::from_polar(1.0, -(i as f64) * 0.7)).collect();
        let mut fast = state(n);
        run_program(
            &mut fast,
            &[Kernel::Diag { bits: 3, lo: lo.clone(), hi: hi.clone() }],
            &mut Vec::new(),
        );
        let expected: Vec<Complex64> =
            state(n).iter().enumerate().map(|(i, a)| a * lo[i & 7] * hi[i >> 3]).collect();
        assert!(close(&fast, &expected));
    }
}
