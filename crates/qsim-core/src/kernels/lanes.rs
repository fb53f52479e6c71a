//! Four `f64` lanes, read as two interleaved complex amplitudes `[re0, im0, re1, im1]`, and the
//! few operations the chunk kernels are written in.
//!
//! Two implementations: `Avx2` (one AVX2 register, FMA; a value of that type exists only once
//! the CPU has been checked, so its safe methods are sound) and [`Portable`] (plain arrays, for
//! every other CPU). The kernels are generic over [`Lanes`] and `#[inline(always)]`, so each is
//! compiled once per implementation, inside the function that enables the instruction set.
//! That choice is made in one place, [`dispatch`]: a kernel entry point wraps its generic body
//! in a small [`LanesFn`] value and hands it over.
//!
//! Complex arithmetic without a split layout: with `x = [xr, xi]` and a coefficient `c = cr + i ci`
//! held as two vectors of broadcast parts, `c * x = cr * x -/+ ci * [xi, xr]` (subtract in the
//! real lane, add in the imaginary lane), which is one multiply, one `mul_addsub` and one in-lane
//! swap; sums of such products share the swaps and chain through fused multiply-adds
//! ([`cdot`]).

/// Operations on four `f64` lanes. Methods take `self` (a zero-sized token) so that the AVX2
/// version can only be called where a token exists, i.e. after the CPU check.
pub(crate) trait Lanes: Copy {
    /// One vector of four lanes.
    type V: Copy;

    /// Loads four consecutive values.
    fn load(self, x: &[f64]) -> Self::V;
    /// Stores four consecutive values.
    fn store(self, x: &mut [f64], v: Self::V);
    /// `[a, a, a, a]`.
    fn splat(self, a: f64) -> Self::V;
    /// The lanes of `a`.
    fn pack(self, a: [f64; 4]) -> Self::V;
    /// `a * b`.
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b + c`, fused where the hardware has it.
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `a * b - c` in lanes 0 and 2, `a * b + c` in lanes 1 and 3.
    fn mul_addsub(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `[a1, a0, a3, a2]`: real and imaginary parts exchanged.
    fn swap_re_im(self, a: Self::V) -> Self::V;
    /// `[a2, a3, a0, a1]`: the two complex numbers exchanged.
    fn swap_halves(self, a: Self::V) -> Self::V;
    /// `[a0, a0, a2, a2]`: each real part in both lanes of its number.
    fn dup_re(self, a: Self::V) -> Self::V;
    /// `[a1, a1, a3, a3]`: each imaginary part in both lanes of its number.
    fn dup_im(self, a: Self::V) -> Self::V;
    /// `[a0, a1, b2, b3]`: the first complex number of `a`, the second of `b`.
    fn blend_halves(self, a: Self::V, b: Self::V) -> Self::V;
    /// Stores the first complex number of `v` (lanes 0, 1) to `x[..2]`.
    fn store_first(self, x: &mut [f64], v: Self::V);
    /// Stores the second complex number of `v` (lanes 2, 3) to `x[..2]`.
    fn store_second(self, x: &mut [f64], v: Self::V);
}

/// A complex coefficient per complex lane, as broadcast real and imaginary parts:
/// `re = [c0.re, c0.re, c1.re, c1.re]`, `im = [c0.im, c0.im, c1.im, c1.im]`.
#[derive(Clone, Copy)]
pub(crate) struct Coef<V> {
    pub(crate) re: V,
    pub(crate) im: V,
}

/// The coefficient `c` in both complex lanes.
#[inline(always)]
pub(crate) fn coef<S: Lanes>(s: S, c: num_complex::Complex64) -> Coef<S::V> {
    Coef { re: s.splat(c.re), im: s.splat(c.im) }
}

/// Coefficient `c0` in the first complex lane and `c1` in the second.
#[inline(always)]
pub(crate) fn coef2<S: Lanes>(
    s: S,
    c0: num_complex::Complex64,
    c1: num_complex::Complex64,
) -> Coef<S::V> {
    Coef { re: s.pack([c0.re, c0.re, c1.re, c1.re]), im: s.pack([c0.im, c0.im, c1.im, c1.im]) }
}

/// `sum_k c[k] * x[k]` (complex, per lane), given `xs[k] = swap_re_im(x[k])`: the imaginary
/// parts of the coefficients meet the swapped inputs in one chain, the real parts in another,
/// joined by one `mul_addsub`.
#[inline(always)]
pub(crate) fn cdot<S: Lanes, const K: usize>(
    s: S,
    c: &[Coef<S::V>; K],
    x: &[S::V; K],
    xs: &[S::V; K],
) -> S::V {
    let last = K - 1;
    // q = sum ci * [xi, xr]
    let mut q = s.mul(c[last].im, xs[last]);
    for k in 0..last {
        q = s.mul_add(c[k].im, xs[k], q);
    }
    // r = sum cr * [xr, xi] -/+ q
    let mut r = s.mul_addsub(c[last].re, x[last], q);
    for k in 0..last {
        r = s.mul_add(c[k].re, x[k], r);
    }
    r
}

/// `c * x` for one complex coefficient per lane.
#[inline(always)]
pub(crate) fn cmul<S: Lanes>(s: S, c: Coef<S::V>, x: S::V) -> S::V {
    s.mul_addsub(c.re, x, s.mul(c.im, s.swap_re_im(x)))
}

/// `t * x` where `t` holds two complex numbers in the interleaved layout (a table entry pair).
#[inline(always)]
pub(crate) fn cmul_packed<S: Lanes>(s: S, t: S::V, x: S::V) -> S::V {
    cmul(s, Coef { re: s.dup_re(t), im: s.dup_im(t) }, x)
}

/// Plain arrays: correct everywhere, vectorised as far as the compiler manages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

impl Lanes for Portable {
    type V = [f64; 4];

    #[inline(always)]
    fn load(self, x: &[f64]) -> [f64; 4] {
        [x[0], x[1], x[2], x[3]]
    }
    #[inline(always)]
    fn store(self, x: &mut [f64], v: [f64; 4]) {
        x[..4].copy_from_slice(&v);
    }
    #[inline(always)]
    fn splat(self, a: f64) -> [f64; 4] {
        [a; 4]
    }
    #[inline(always)]
    fn pack(self, a: [f64; 4]) -> [f64; 4] {
        a
    }
    #[inline(always)]
    fn mul(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|l| a[l] * b[l])
    }
    #[inline(always)]
    fn mul_add(self, a: [f64; 4], b: [f64; 4], c: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|l| a[l] * b[l] + c[l])
    }
    #[inline(always)]
    fn mul_addsub(self, a: [f64; 4], b: [f64; 4], c: [f64; 4]) -> [f64; 4] {
        [a[0] * b[0] - c[0], a[1] * b[1] + c[1], a[2] * b[2] - c[2], a[3] * b[3] + c[3]]
    }
    #[inline(always)]
    fn swap_re_im(self, a: [f64; 4]) -> [f64; 4] {
        [a[1], a[0], a[3], a[2]]
    }
    #[inline(always)]
    fn swap_halves(self, a: [f64; 4]) -> [f64; 4] {
        [a[2], a[3], a[0], a[1]]
    }
    #[inline(always)]
    fn dup_re(self, a: [f64; 4]) -> [f64; 4] {
        [a[0], a[0], a[2], a[2]]
    }
    #[inline(always)]
    fn dup_im(self, a: [f64; 4]) -> [f64; 4] {
        [a[1], a[1], a[3], a[3]]
    }
    #[inline(always)]
    fn blend_halves(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
        [a[0], a[1], b[2], b[3]]
    }
    #[inline(always)]
    fn store_first(self, x: &mut [f64], v: [f64; 4]) {
        x[..2].copy_from_slice(&v[..2]);
    }
    #[inline(always)]
    fn store_second(self, x: &mut [f64], v: [f64; 4]) {
        x[..2].copy_from_slice(&v[2..]);
    }
}

/// A computation written once for every [`Lanes`] implementation: what [`dispatch`] runs.
///
/// Implementations mark `call` `#[inline(always)]`, so that the whole computation (kernels are
/// `#[inline(always)]` too) is compiled inside the function that enables the instruction set,
/// not called from it.
pub(crate) trait LanesFn {
    /// What the computation returns.
    type Output;
    /// Runs the computation with the vector operations of `s`.
    fn call<S: Lanes>(self, s: S) -> Self::Output;
}

/// Runs `f` with AVX2 and FMA when the CPU has them, with [`Portable`] lanes otherwise: the one
/// place where the instruction set is chosen.
#[inline]
pub(crate) fn dispatch<F: LanesFn>(f: F) -> F::Output {
    #[cfg(target_arch = "x86_64")]
    if let Some(s) = Avx2::detect() {
        // SAFETY: `with_avx2` only requires the CPU features it enables, AVX2 and FMA, and a
        // value of `Avx2` exists only after `Avx2::detect` found both on this CPU.
        return unsafe { with_avx2(s, f) };
    }
    f.call(Portable)
}

/// `f` compiled with AVX2 and FMA enabled; `s` proves the CPU has them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn with_avx2<F: LanesFn>(s: Avx2, f: F) -> F::Output {
    f.call(s)
}

#[cfg(target_arch = "x86_64")]
use avx2::Avx2;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::Lanes;

    /// Proof that the CPU has AVX2 and FMA: only [`Avx2::detect`] makes one.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Avx2 {
        _checked: (),
    }

    impl Avx2 {
        /// A token if this CPU has AVX2 and FMA.
        #[inline]
        pub(crate) fn detect() -> Option<Self> {
            (std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"))
                .then_some(Avx2 { _checked: () })
        }
    }

    // Every method below calls AVX/AVX2/FMA intrinsics, which are sound to call on a CPU that
    // has those features: a value of `Avx2` (`self`) exists only after `detect` confirmed AVX2
    // (which includes AVX) and FMA. Loads and stores go through slices indexed to the exact
    // length first, so the pointer covers the elements accessed (unaligned access is allowed).
    impl Lanes for Avx2 {
        type V = __m256d;

        #[inline(always)]
        fn load(self, x: &[f64]) -> __m256d {
            let x = &x[..4];
            // SAFETY: `self` proves the CPU has AVX; `x` holds the four f64 read (sliced above).
            unsafe { _mm256_loadu_pd(x.as_ptr()) }
        }
        #[inline(always)]
        fn store(self, x: &mut [f64], v: __m256d) {
            let x = &mut x[..4];
            // SAFETY: `self` proves the CPU has AVX; `x` holds the four f64 written (sliced above).
            unsafe { _mm256_storeu_pd(x.as_mut_ptr(), v) }
        }
        #[inline(always)]
        fn splat(self, a: f64) -> __m256d {
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_set1_pd(a) }
        }
        #[inline(always)]
        fn pack(self, a: [f64; 4]) -> __m256d {
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_setr_pd(a[0], a[1], a[2], a[3]) }
        }
        #[inline(always)]
        fn mul(self, a: __m256d, b: __m256d) -> __m256d {
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_mul_pd(a, b) }
        }
        #[inline(always)]
        fn mul_add(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_fmadd_pd(a, b, c) }
        }
        #[inline(always)]
        fn mul_addsub(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_fmaddsub_pd(a, b, c) }
        }
        #[inline(always)]
        fn swap_re_im(self, a: __m256d) -> __m256d {
            // In-lane: bit k of the immediate picks the upper element of 128-bit half k / 2.
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_permute_pd::<0b0101>(a) }
        }
        #[inline(always)]
        fn swap_halves(self, a: __m256d) -> __m256d {
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_permute4x64_pd::<0b01_00_11_10>(a) }
        }
        #[inline(always)]
        fn dup_re(self, a: __m256d) -> __m256d {
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_movedup_pd(a) }
        }
        #[inline(always)]
        fn dup_im(self, a: __m256d) -> __m256d {
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_permute_pd::<0b1111>(a) }
        }
        #[inline(always)]
        fn blend_halves(self, a: __m256d, b: __m256d) -> __m256d {
            // SAFETY: `self` proves the CPU has AVX2 and FMA; registers only, no memory access.
            unsafe { _mm256_blend_pd::<0b1100>(a, b) }
        }
        #[inline(always)]
        fn store_first(self, x: &mut [f64], v: __m256d) {
            let x = &mut x[..2];
            // SAFETY: `self` proves the CPU has AVX; `x` holds the two f64 written (sliced above).
            unsafe { _mm_storeu_pd(x.as_mut_ptr(), _mm256_castpd256_pd128(v)) }
        }
        #[inline(always)]
        fn store_second(self, x: &mut [f64], v: __m256d) {
            let x = &mut x[..2];
            // SAFETY: `self` proves the CPU has AVX; `x` holds the two f64 written (sliced above).
            unsafe { _mm_storeu_pd(x.as_mut_ptr(), _mm256_extractf128_pd::<1>(v)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64;

    /// Both implementations agree lane for lane (exactly, apart from the rounding of fusion).
    #[test]
    fn avx2_and_portable_agree() {
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = Avx2::detect() {
            let (a, b, c) = ([1.5, -2.0, 0.25, 3.0], [0.5, 4.0, -1.0, 2.0], [1.0, 2.0, 3.0, -4.0]);
            let p = Portable;
            let get = |v| {
                let mut out = [0.0; 4];
                s.store(&mut out, v);
                out
            };
            let (va, vb, vc) = (s.load(&a), s.load(&b), s.load(&c));
            assert_eq!(get(s.mul(va, vb)), p.mul(a, b));
            assert_eq!(get(s.swap_re_im(va)), p.swap_re_im(a));
            assert_eq!(get(s.swap_halves(va)), p.swap_halves(a));
            assert_eq!(get(s.dup_re(va)), p.dup_re(a));
            assert_eq!(get(s.dup_im(va)), p.dup_im(a));
            assert_eq!(get(s.blend_halves(va, vb)), p.blend_halves(a, b));
            let (mut x, mut y) = ([0.0; 4], [0.0; 4]);
            s.store_first(&mut x[2..], va);
            s.store_second(&mut y, va);
            assert_eq!((x, y), ([0.0, 0.0, a[0], a[1]], [a[2], a[3], 0.0, 0.0]));
            assert_eq!(get(s.splat(2.5)), p.splat(2.5));
            assert_eq!(get(s.pack(a)), a);
            // These inputs are exact in binary, so fused and unfused agree.
            assert_eq!(get(s.mul_add(va, vb, vc)), p.mul_add(a, b, c));
            assert_eq!(get(s.mul_addsub(va, vb, vc)), p.mul_addsub(a, b, c));
        }
    }

    #[test]
    fn cdot_is_a_complex_dot_product_per_lane() {
        let p = Portable;
        let z = |re, im| Complex64::new(re, im);
        let (c0, c1) = ([z(0.5, -1.0), z(2.0, 0.25)], [z(-1.5, 0.75), z(0.0, 1.0)]);
        let (x0, x1) = ([z(1.0, 2.0), z(-3.0, 0.5)], [z(0.25, -2.0), z(4.0, 1.0)]);
        let pack = |x: [Complex64; 2]| [x[0].re, x[0].im, x[1].re, x[1].im];
        let c = [coef2(p, c0[0], c0[1]), coef2(p, c1[0], c1[1])];
        let x = [pack(x0), pack(x1)];
        let xs = [p.swap_re_im(x[0]), p.swap_re_im(x[1])];
        let got = cdot(p, &c, &x, &xs);
        let want = pack([c0[0] * x0[0] + c1[0] * x1[0], c0[1] * x0[1] + c1[1] * x1[1]]);
        assert_eq!(got, want);
    }
}
