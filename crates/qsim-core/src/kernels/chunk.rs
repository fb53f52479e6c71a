//! Serial kernels over one cache-sized chunk of amplitudes, and the program runner that applies a
//! list of them. The engine hands each thread whole chunks, so nothing here spawns work.
//!
//! The runner is compiled twice: once for AVX2 and FMA (chosen at run time when the CPU has them)
//! and once portable. Kernels are generic over the vector type ([`Lanes`]) and `#[inline(always)]`,
//! so each copy is compiled for its instruction set; they apply small operation objects
//! (`PairOp`, `QuadOp`) through trait methods, never closures, which the compiler may leave
//! un-inlined and so outside the AVX2 build.
//!
//! Amplitudes are viewed as interleaved `f64` pairs (`re, im`); one vector holds two consecutive
//! amplitudes.

use std::sync::Arc;

use num_complex::Complex64;

#[cfg(target_arch = "x86_64")]
use super::lanes::Avx2;
use super::lanes::{Coef, Lanes, Portable, cdot, cmul, cmul_packed, coef, coef2};

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

impl Kernel {
    /// The permutation kernel of the affine map `i -> A i ^ constant` over GF(2) (`cols`: the
    /// columns of `A`), with tables split at `lo_bits`.
    pub(crate) fn affine_perm(cols: &[u32], constant: u32, lo_bits: usize) -> Kernel {
        let span = |range: std::ops::Range<usize>, base: u32| -> Arc<[u32]> {
            (0..1usize << range.len())
                .map(|x| {
                    (0..range.len())
                        .filter(|l| (x >> l) & 1 == 1)
                        .fold(base, |acc, l| acc ^ cols[range.start + l])
                })
                .collect()
        };
        Kernel::Perm { lo_bits, lo: span(0..lo_bits, 0), hi: span(lo_bits..cols.len(), constant) }
    }
}

/// Applies `program` to `amps` in order; `scratch` is reused between calls.
pub(crate) fn run_program(
    amps: &mut [Complex64],
    program: &[Kernel],
    scratch: &mut Vec<Complex64>,
) {
    if run_program_into(amps, program, scratch) {
        amps.copy_from_slice(&scratch[..amps.len()]);
    }
}

/// [`run_program`] with a second buffer as long as `amps` that the caller owns (a chunk of the
/// engine's spare state): true if the result was left in `other` instead of `amps`, so that a
/// caller running every chunk alike swaps the whole buffers instead of copying each chunk back.
pub(crate) fn run_program_split(
    amps: &mut [Complex64],
    program: &[Kernel],
    other: &mut [Complex64],
) -> bool {
    debug_assert_eq!(amps.len(), other.len());
    run_program_into(amps, program, other)
}

/// Where a program's permutations scatter to: a growable buffer or a fixed one.
trait Scratch {
    /// At least `len` amplitudes, contents unspecified.
    fn buffer(&mut self, len: usize) -> &mut [Complex64];
}

impl Scratch for Vec<Complex64> {
    fn buffer(&mut self, len: usize) -> &mut [Complex64] {
        if self.len() < len {
            self.resize(len, Complex64::new(0.0, 0.0));
        }
        &mut self[..len]
    }
}

impl Scratch for [Complex64] {
    fn buffer(&mut self, len: usize) -> &mut [Complex64] {
        &mut self[..len]
    }
}

/// Largest spare buffer (amplitudes) a thread keeps for [`run_program_owned`].
const MAX_SPARE: usize = 1 << 16;

thread_local! {
    static SPARE: std::cell::RefCell<Vec<Complex64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`run_program`] on a whole state it may replace: the permutation buffer is a per-thread spare
/// (no allocation or zeroing per call), and a result left in it is swapped in, not copied back.
/// For small states, where those costs are a fair part of the work.
pub(crate) fn run_program_owned(amps: &mut Vec<Complex64>, program: &[Kernel]) {
    SPARE.with_borrow_mut(|spare| {
        let len = amps.len();
        if run_program_into(amps, program, spare) {
            spare.truncate(len);
            std::mem::swap(amps, spare);
        }
        if spare.capacity() > MAX_SPARE {
            *spare = Vec::new();
        }
    });
}

/// Applies `program`; true if the result was left in `scratch[..amps.len()]` instead of `amps`.
fn run_program_into<B: Scratch + ?Sized>(
    amps: &mut [Complex64],
    program: &[Kernel],
    scratch: &mut B,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if let Some(s) = Avx2::detect() {
        // SAFETY: `s` exists only on a CPU with AVX2 and FMA, the features the function enables.
        return unsafe { run_program_avx2(s, amps, program, scratch) };
    }
    run_program_with(Portable, amps, program, scratch)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_program_avx2<B: Scratch + ?Sized>(
    s: Avx2,
    amps: &mut [Complex64],
    program: &[Kernel],
    scratch: &mut B,
) -> bool {
    run_program_with(s, amps, program, scratch)
}

/// The runner. A permutation scatters into the other buffer instead of copying back, so the
/// state alternates between `amps` and `scratch` (the return value says where it ends), and two
/// single-qubit kernels in a row on different qubits share one pass.
#[inline(always)]
fn run_program_with<S: Lanes, B: Scratch + ?Sized>(
    s: S,
    amps: &mut [Complex64],
    program: &[Kernel],
    scratch: &mut B,
) -> bool {
    let len = amps.len();
    let mut in_scratch = false;
    let mut rest = program;
    while let Some((kernel, tail)) = rest.split_first() {
        rest = tail;
        // A permutation, or a diagonal right before one (applied while scattering), moves the
        // state to the other buffer.
        let (perm, diagonal) = match (kernel, rest.first()) {
            (Kernel::Perm { lo_bits, lo, hi }, _) => ((*lo_bits, &lo[..], &hi[..]), None),
            (Kernel::Diag { bits, lo: d_lo, hi: d_hi }, Some(Kernel::Perm { lo_bits, lo, hi }))
                if !d_lo.is_empty() =>
            {
                rest = &rest[1..];
                ((*lo_bits, &lo[..], &hi[..]), Some((*bits, &d_lo[..], &d_hi[..])))
            }
            _ => {
                let state: &mut [Complex64] = if in_scratch { scratch.buffer(len) } else { amps };
                if let Some(next) = rest.first() {
                    if apply_two(s, state, kernel, next) {
                        rest = &rest[1..];
                        continue;
                    }
                }
                apply_kernel(s, state, kernel);
                continue;
            }
        };
        let other = scratch.buffer(len);
        if in_scratch {
            scatter(s, other, amps, perm, diagonal);
        } else {
            scatter(s, amps, other, perm, diagonal);
        }
        in_scratch = !in_scratch;
    }
    in_scratch
}

/// Applies `first` then `second` in one pass if both are single-qubit matrices on different
/// qubits (each group of four amplitudes is loaded and stored once for both: half the memory
/// traffic of two passes); false if they are not such a pair.
#[inline(always)]
fn apply_two<S: Lanes>(s: S, amps: &mut [Complex64], first: &Kernel, second: &Kernel) -> bool {
    match (first, second) {
        (Kernel::Real1 { q: a, m: ma }, Kernel::Real1 { q: b, m: mb }) if a != b => {
            two_1q(s, amps, *a, &Real2x2::new(s, ma), *b, &Real2x2::new(s, mb))
        }
        (Kernel::Real1 { q: a, m: ma }, Kernel::Dense1 { q: b, m: mb }) if a != b => {
            two_1q(s, amps, *a, &Real2x2::new(s, ma), *b, &Complex2x2::new(s, mb))
        }
        (Kernel::Dense1 { q: a, m: ma }, Kernel::Real1 { q: b, m: mb }) if a != b => {
            two_1q(s, amps, *a, &Complex2x2::new(s, ma), *b, &Real2x2::new(s, mb))
        }
        (Kernel::Dense1 { q: a, m: ma }, Kernel::Dense1 { q: b, m: mb }) if a != b => {
            two_1q(s, amps, *a, &Complex2x2::new(s, ma), *b, &Complex2x2::new(s, mb))
        }
        _ => return false,
    }
    true
}

#[inline(always)]
fn apply_kernel<S: Lanes>(s: S, amps: &mut [Complex64], kernel: &Kernel) {
    match kernel {
        Kernel::Real1 { q, m } => for_pairs(s, amps, *q, 0, &Real2x2::new(s, m)),
        Kernel::Dense1 { q, m } => for_pairs(s, amps, *q, 0, &Complex2x2::new(s, m)),
        Kernel::Diag1 { q, d } => diag_1q(s, amps, *q, d),
        Kernel::Dense2 { q0, q1, m } => dense_2q(s, amps, *q0, *q1, 0, &m[..]),
        Kernel::Diag { bits, lo, hi } => diag(s, amps, *bits, lo, hi),
        Kernel::DiagK { qubits, table } => diag_k(amps, qubits, table),
        Kernel::Flip { cmask, t } => for_pairs(s, amps, *t, *cmask, &Exchange),
        Kernel::Swap { cmask, a, b } => swap(amps, *cmask, *a, *b),
        Kernel::Perm { .. } => unreachable!("the runner handles permutations"),
        Kernel::Dense { cmask, targets, m } => match targets[..] {
            [t] => {
                let m = [m[0], m[1], m[2], m[3]];
                for_pairs(s, amps, t, *cmask, &Complex2x2::new(s, &m))
            }
            [t0, t1] => dense_2q(s, amps, t0, t1, *cmask, m),
            _ => super::dense_kq_serial(amps, targets, *cmask, m),
        },
    }
}

/// Views amplitudes as interleaved `re, im` doubles.
#[inline(always)]
fn as_f64(amps: &mut [Complex64]) -> &mut [f64] {
    bytemuck::cast_slice_mut(amps)
}

/// What a single-qubit kernel does to the amplitudes of its pairs (index `i` with bit `q` clear
/// and `i + 2^q`), two pairs at a time.
trait PairOp<S: Lanes> {
    /// `a` holds two amplitudes with the target bit clear, `b` their partners.
    fn pair(&self, s: S, a: S::V, b: S::V) -> (S::V, S::V);
    /// Target qubit 0: `v` holds one whole pair, `[bit clear, bit set]`.
    fn packed(&self, s: S, v: S::V) -> S::V;
}

/// The four doubles at `ptr + offset`.
///
/// # Safety
/// `ptr + offset .. ptr + offset + 4` valid for reads and writes, with no other live reference.
#[inline(always)]
unsafe fn vector_at<'a>(ptr: *mut f64, offset: usize) -> &'a mut [f64] {
    // SAFETY: the caller's contract.
    unsafe { std::slice::from_raw_parts_mut(ptr.add(offset), 4) }
}

/// Applies `op` to every pair of amplitudes differing in bit `q` whose index has every bit of
/// `cmask` set (`cmask` excludes `q`). For `q >= 1` the two members of a pair sit in two vectors
/// `2^(q-1)` apart (`pair`); for `q = 0` each vector holds one pair (`packed`).
#[inline(always)]
fn for_pairs<S: Lanes, O: PairOp<S>>(s: S, amps: &mut [Complex64], q: usize, cmask: usize, op: &O) {
    if q == 0 {
        for_groups(s, amps, [0], cmask, &Packed(op));
    } else {
        for_groups(s, amps, [0, 1 << (q - 1)], cmask, &Pairs(op));
    }
}

/// What the group walker ([`for_groups`]) does to one group of `K` vectors.
trait GroupOp<S: Lanes, const K: usize> {
    fn apply(&self, s: S, x: [S::V; K]) -> [S::V; K];
}

/// A [`PairOp`] on whole pairs held in one vector (target qubit 0).
struct Packed<'a, O>(&'a O);

impl<S: Lanes, O: PairOp<S>> GroupOp<S, 1> for Packed<'_, O> {
    #[inline(always)]
    fn apply(&self, s: S, [v]: [S::V; 1]) -> [S::V; 1] {
        [self.0.packed(s, v)]
    }
}

/// A [`PairOp`] on pairs split over two vectors.
struct Pairs<'a, O>(&'a O);

impl<S: Lanes, O: PairOp<S>> GroupOp<S, 2> for Pairs<'_, O> {
    #[inline(always)]
    fn apply(&self, s: S, [a, b]: [S::V; 2]) -> [S::V; 2] {
        let (a, b) = self.0.pair(s, a, b);
        [a, b]
    }
}

/// A [`QuadOp`] on groups split over four vectors (lower target position >= 1).
struct Quads<'a, O>(&'a O);

impl<S: Lanes, O: QuadOp<S>> GroupOp<S, 4> for Quads<'_, O> {
    #[inline(always)]
    fn apply(&self, s: S, x: [S::V; 4]) -> [S::V; 4] {
        self.0.quad(s, x)
    }
}

/// A [`QuadOp`] whose lower target is position 0: each group fills two vectors.
struct PackedQuads<'a, O>(&'a O);

impl<S: Lanes, O: QuadOp<S>> GroupOp<S, 2> for PackedQuads<'_, O> {
    #[inline(always)]
    fn apply(&self, s: S, x: [S::V; 2]) -> [S::V; 2] {
        self.0.packed(s, x)
    }
}

/// Applies `op` to every group of `K` vectors (two amplitudes each) at vector indices
/// `base + offsets[k]`, where `offsets` are the subset sums of a few distinct powers of two
/// (`offsets[0] = 0`), for every `base` whose amplitude index has every bit of `cmask` set.
///
/// One flat loop whatever the positions: `base` walks the vector indices with the offset bits
/// (the holes) clear and the control bits (vector-level, i.e. amplitude bits >= 1) set; the next
/// one is `((base | holes) + 1) & !holes | controls`, the carry hopping over the holes. A control
/// on amplitude bit 0, which only the second amplitude of each vector can satisfy, is blended in
/// for that lane. Nested loops over blocks and half-blocks would cost a loop setup per block,
/// which dominates for low positions (blocks of one or two vectors).
#[inline(always)]
fn for_groups<S: Lanes, G: GroupOp<S, K>, const K: usize>(
    s: S,
    amps: &mut [Complex64],
    offsets: [usize; K],
    cmask: usize,
    op: &G,
) {
    let x = as_f64(amps);
    let vectors = x.len() / 4;
    let controls = cmask >> 1;
    let holes = offsets.iter().fold(controls, |m, &o| m | o);
    if vectors == 0 {
        return;
    }
    // Every index touched is `base | controls | offset` with `base` below `vectors` and
    // `controls | offset` within `holes`: all in bounds when `vectors` is a power of two that
    // exceeds `holes`.
    assert!(vectors.is_power_of_two() && holes < vectors, "groups exceed the state");
    // Four bases per step: consecutive ones (constant offsets) when no hole is among the two
    // lowest bits, else the next four of the enumeration (offsets in registers).
    match (vectors >> holes.count_ones() >= 4, holes & 3 == 0) {
        (true, true) => walk_groups::<S, G, K, 4, true>(s, x, offsets, cmask, holes, op),
        (true, false) => walk_groups::<S, G, K, 4, false>(s, x, offsets, cmask, holes, op),
        (false, _) => walk_groups::<S, G, K, 1, true>(s, x, offsets, cmask, holes, op),
    }
}

/// The loop of [`for_groups`], `U` bases per step: `base + steps[u]`, where `steps` are the
/// subset sums of the lowest bits outside `holes` (`0, 1, 2, 3` if `CONSECUTIVE`).
#[inline(always)]
fn walk_groups<
    S: Lanes,
    G: GroupOp<S, K>,
    const K: usize,
    const U: usize,
    const CONSECUTIVE: bool,
>(
    s: S,
    x: &mut [f64],
    offsets: [usize; K],
    cmask: usize,
    holes: usize,
    op: &G,
) {
    let vectors = x.len() / 4;
    let controls = cmask >> 1;
    let blend = cmask & 1 == 1;
    // The lowest free bits are spanned inside a step (`steps`), so the outer walk skips them
    // like holes.
    let mut steps = [0usize; U];
    let mut skip = holes;
    for bit in 0..U.trailing_zeros() {
        let free = !skip & (skip + 1); // lowest clear bit of `skip`
        for (u, step) in steps.iter_mut().enumerate() {
            *step |= ((u >> bit) & 1) * free;
        }
        skip |= free;
    }
    assert!(
        vectors.is_power_of_two() && skip < vectors && (!CONSECUTIVE || skip == holes | (U - 1))
    );
    let ptr = x.as_mut_ptr();
    // Offsets in doubles, so that each access is one pointer plus one register.
    let offsets = offsets.map(|o| 4 * o);
    let mut base = controls;
    for _ in 0..(vectors >> holes.count_ones()) / U {
        // SAFETY: `base + steps[u] + offsets[k]` sets only bits of `base | skip`, all below
        // `vectors` (asserted above), so every vector touched lies inside `x`, which `ptr`
        // borrows mutably.
        let group = unsafe { ptr.add(4 * base) };
        for (u, &spread) in steps.iter().enumerate() {
            let step = 4 * if CONSECUTIVE { u } else { spread };
            let mut old = [s.splat(0.0); K];
            for k in 0..K {
                // SAFETY: see `group`.
                old[k] = s.load(unsafe { vector_at(group, step + offsets[k]) });
            }
            let new = op.apply(s, old);
            for k in 0..K {
                let v = if blend { s.blend_halves(old[k], new[k]) } else { new[k] };
                // SAFETY: see `group`.
                s.store(unsafe { vector_at(group, step + offsets[k]) }, v);
            }
        }
        base = (((base | skip) + 1) & !skip) | controls;
    }
}

/// A real 2x2 matrix: real and imaginary lanes are treated alike.
struct Real2x2<V> {
    /// The four entries, each broadcast.
    m: [V; 4],
    /// For `packed`: `[m00, m00, m11, m11]` and `[m01, m01, m10, m10]`.
    diag: V,
    anti: V,
}

impl<V> Real2x2<V> {
    #[inline(always)]
    fn new<S: Lanes<V = V>>(s: S, m: &[f64; 4]) -> Self {
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
struct Complex2x2<V> {
    m: [Coef<V>; 4],
    /// For `packed`: `[m00 | m11]` and `[m01 | m10]` (first | second complex lane).
    diag: Coef<V>,
    anti: Coef<V>,
}

impl<V> Complex2x2<V> {
    #[inline(always)]
    fn new<S: Lanes<V = V>>(s: S, m: &[Complex64; 4]) -> Self {
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
struct Exchange;

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
fn two_1q<S: Lanes, A: PairOp<S>, B: PairOp<S>>(
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

/// Multiplies every amplitude of `x` by `c`.
#[inline(always)]
fn scale<S: Lanes>(s: S, x: &mut [f64], c: Coef<S::V>) {
    for v in x.chunks_exact_mut(4) {
        s.store(v, cmul(s, c, s.load(v)));
    }
}

/// `diag(d0, d1)` on qubit `q`; a unit `d0` (phase gates) leaves the first halves untouched.
#[inline(always)]
fn diag_1q<S: Lanes>(s: S, amps: &mut [Complex64], q: usize, d: &[Complex64; 2]) {
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
fn diag<S: Lanes>(s: S, amps: &mut [Complex64], bits: usize, lo: &[Complex64], hi: &[Complex64]) {
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

/// What a two-qubit kernel does to one group of four amplitudes (target bits `00, 01, 10, 11`,
/// bit 0 = the lower position), two groups at a time.
trait QuadOp<S: Lanes> {
    /// Lower target position >= 1: `x[k]` holds member `k` of two consecutive groups.
    fn quad(&self, s: S, x: [S::V; 4]) -> [S::V; 4];
    /// Lower target at position 0: `v[0] = [x0, x1]`, `v[1] = [x2, x3]` of one group.
    fn packed(&self, s: S, v: [S::V; 2]) -> [S::V; 2];
}

/// A dense 4x4 matrix on positions `q0 != q1` (bit 0 of its index = `q0`) where every bit of
/// `cmask` is set. The pair is ordered so that bit 0 is the lower position (swapping the roles of
/// the qubits exchanges matrix indices 1 and 2); matrices that only couple `00 <-> 11` and
/// `01 <-> 10` (XX, YY and XY couplings) take the two-term kernel.
#[inline(always)]
fn dense_2q<S: Lanes>(
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

/// Applies `op` to every group of four amplitudes differing in bits `l < h` whose index has every
/// bit of `cmask` set. For `l >= 1` the four members sit in four vectors (`quad`); for `l = 0` a
/// vector holds members `(0, 1)` or `(2, 3)` of one group (`packed`).
#[inline(always)]
fn for_quads<S: Lanes, O: QuadOp<S>>(
    s: S,
    amps: &mut [Complex64],
    l: usize,
    h: usize,
    cmask: usize,
    op: &O,
) {
    let high = 1 << (h - 1);
    if l == 0 {
        for_groups(s, amps, [0, high], cmask, &PackedQuads(op));
    } else {
        let low = 1 << (l - 1);
        for_groups(s, amps, [0, low, high, low + high], cmask, &Quads(op));
    }
}

/// A general 4x4 matrix: every output is a four-term complex dot product.
struct Dense4x4<V> {
    /// Row `r`: the entries `m[r][c]`, broadcast.
    rows: [[Coef<V>; 4]; 4],
    /// For `packed`, output vector `R` (rows `2R`, `2R + 1`) from inputs `[v0, swap(v0), v1,
    /// swap(v1)]`: lane `L` of input `2C + S` holds member `2C + (L ^ S)`, so its coefficient is
    /// `m[2R + L][2C + (L ^ S)]`.
    packed: [[Coef<V>; 4]; 2],
}

impl<V> Dense4x4<V> {
    #[inline(always)]
    fn new<S: Lanes<V = V>>(s: S, m: &[Complex64; 16]) -> Self {
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
struct XPairs4x4<V> {
    /// Output `r` from its two inputs in ascending order: `[m00, m03]` and `[m30, m33]` on
    /// `(x0, x3)`, `[m11, m12]` and `[m21, m22]` on `(x1, x2)`.
    rows: [[Coef<V>; 2]; 4],
    /// For `packed`: `[r0, r1] = [m00 | m11] v0 + [m03 | m12] swap(v1)` and
    /// `[r2, r3] = [m22 | m33] v1 + [m21 | m30] swap(v0)`.
    packed: [[Coef<V>; 2]; 2],
}

impl<V> XPairs4x4<V> {
    #[inline(always)]
    fn new<S: Lanes<V = V>>(s: S, m: &[Complex64; 16]) -> Self {
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
    #[cfg(target_arch = "x86_64")]
    if let Some(s) = Avx2::detect() {
        // SAFETY: `s` exists only on a CPU with AVX2 and FMA, the features the function enables.
        return unsafe { adjoint_run_1q_avx2(s, phi, lambda, q, undo) };
    }
    adjoint_run_1q_with(Portable, phi, lambda, q, undo)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn adjoint_run_1q_avx2(
    s: Avx2,
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q: usize,
    undo: &[Complex64; 4],
) -> [Complex64; 4] {
    adjoint_run_1q_with(s, phi, lambda, q, undo)
}

/// With `l = [lr, li, ..]` and `x = [xr, xi, ..]`: `conj(l) x` has real part `lr xr + li xi`
/// (the lane sum of `l * x`) and imaginary part `lr xi - li xr` (the alternating lane sum of
/// `l * swap_re_im(x)`). The kernel accumulates the lane products and sums lanes once at the end.
#[inline(always)]
fn adjoint_run_1q_with<S: Lanes>(
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
    #[cfg(target_arch = "x86_64")]
    if let Some(s) = Avx2::detect() {
        // SAFETY: `s` exists only on a CPU with AVX2 and FMA, the features the function enables.
        return unsafe { adjoint_run_2q_avx2(s, phi, lambda, q0, q1, undo) };
    }
    adjoint_run_2q_with(Portable, phi, lambda, q0, q1, undo)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn adjoint_run_2q_avx2(
    s: Avx2,
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    q0: usize,
    q1: usize,
    undo: &[Complex64; 16],
) -> [Complex64; 16] {
    adjoint_run_2q_with(s, phi, lambda, q0, q1, undo)
}

/// Works with member bit 0 on the lower position, as [`dense_2q`] does, and maps `R` back.
#[inline(always)]
fn adjoint_run_2q_with<S: Lanes>(
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

/// True if `m` only couples members `0 <-> 3` and `1 <-> 2` (the [`XPairs4x4`] structure).
fn couples_only_x_pairs(m: &[Complex64; 16]) -> bool {
    (0..16).all(|e| matches!((e / 4) ^ (e % 4), 0 | 3) || m[e] == Complex64::new(0.0, 0.0))
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

/// Diagonal over arbitrary positions: the slow general case (mixed factors).
#[inline(always)]
fn diag_k(amps: &mut [Complex64], qubits: &[usize], table: &[Complex64]) {
    for (i, a) in amps.iter_mut().enumerate() {
        let j: usize = qubits.iter().enumerate().map(|(l, &q)| ((i >> q) & 1) << l).sum();
        *a *= table[j];
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

/// A diagonal in the form of [`Kernel::Diag`]: `(bits, lo, hi)`.
type DiagTables<'a> = (usize, &'a [Complex64], &'a [Complex64]);

/// Affine bit permutation (a [`Kernel::Perm`]: `(lo_bits, lo, hi)`) from `src` into `dst`,
/// `dst[lo[l] ^ hi[h]] = src[h 2^lo_bits + l]`, after the diagonal `diagonal` if there is one:
/// applying it while scattering saves its own pass.
#[inline(always)]
fn scatter<S: Lanes>(
    s: S,
    src: &[Complex64],
    dst: &mut [Complex64],
    perm: (usize, &[u32], &[u32]),
    diagonal: Option<DiagTables<'_>>,
) {
    match diagonal {
        Some(d) => scatter_with::<S, true>(s, src, dst, perm, d),
        None => scatter_with::<S, false>(s, src, dst, perm, (perm.0, &[], &[])),
    }
}

/// [`scatter`], scaling by `diagonal` (whose `lo` table is not empty) if `SCALED`: each vector
/// of two source amplitudes is scaled by its two table entries, then each half stored at its
/// destination.
#[inline(always)]
fn scatter_with<S: Lanes, const SCALED: bool>(
    s: S,
    src: &[Complex64],
    dst: &mut [Complex64],
    (lo_bits, lo, hi): (usize, &[u32], &[u32]),
    (bits, d_lo, d_hi): DiagTables<'_>,
) {
    // Runs over which both the permutation's `hi` entry and the diagonal's `hi` factor are
    // constant.
    let run = 1usize << lo_bits.min(bits);
    let (lo_mask, d_mask) = ((1usize << lo_bits) - 1, (1usize << bits) - 1);
    // Destinations are XORs of table entries: all below the power of two `dst.len()` if every
    // entry is.
    let entries_or = lo.iter().chain(hi).fold(0u32, |m, &x| m | x) as usize;
    assert!(dst.len().is_power_of_two() && entries_or < dst.len() && src.len() == dst.len());
    assert!(run >= 2, "runs are walked two amplitudes (one vector) at a time");
    let out = as_f64(dst).as_mut_ptr();
    let src: &[f64] = bytemuck::cast_slice(src);
    for (r, chunk) in src.chunks_exact(2 * run).enumerate() {
        let i = r * run;
        let base = hi[i >> lo_bits] as usize;
        let targets = lo[i & lo_mask..][..run].chunks_exact(2);
        let vectors = chunk.chunks_exact(4);
        let put = |t: &[u32], y: S::V| {
            // SAFETY: `base ^ t[k]` is below `dst.len()` (asserted above), so both doubles of
            // that amplitude lie inside `dst`, which `out` borrows mutably.
            unsafe {
                s.store_first(vector_half(out, base ^ t[0] as usize), y);
                s.store_second(vector_half(out, base ^ t[1] as usize), y);
            }
        };
        if SCALED {
            let entries: &[f64] = bytemuck::cast_slice(&d_lo[i & d_mask..][..run]);
            match d_hi.get(i >> bits) {
                Some(&z) => {
                    let c = coef(s, z);
                    for ((v, t), e) in vectors.zip(targets).zip(entries.chunks_exact(4)) {
                        put(t, cmul_packed(s, cmul(s, c, s.load(e)), s.load(v)));
                    }
                }
                None => {
                    for ((v, t), e) in vectors.zip(targets).zip(entries.chunks_exact(4)) {
                        put(t, cmul_packed(s, s.load(e), s.load(v)));
                    }
                }
            }
        } else {
            for (v, t) in vectors.zip(targets) {
                put(t, s.load(v));
            }
        }
    }
}

/// The two doubles of amplitude `index` of the interleaved array at `ptr`.
///
/// # Safety
/// `ptr` valid for writes of amplitude `index`, with no other live reference to it.
#[inline(always)]
unsafe fn vector_half<'a>(ptr: *mut f64, index: usize) -> &'a mut [f64] {
    // SAFETY: the caller's contract.
    unsafe { std::slice::from_raw_parts_mut(ptr.add(2 * index), 2) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::apply_controlled_kq;

    fn state(n: usize) -> Vec<Complex64> {
        (0..1usize << n)
            .map(|i| Complex64::new((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()))
            .collect()
    }

    fn c(re: f64, im: f64) -> Complex64 {
        Complex64::new(re, im)
    }

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

    /// Runs `kernel` on `state(n)` through every implementation available here (portable, and
    /// AVX2 when the CPU has it) and checks each against the general dense kernel applying `m` on
    /// `targets` where `cmask` is set.
    fn check(n: usize, kernel: Kernel, targets: &[usize], cmask: usize, m: &[Complex64]) {
        let mut expected = state(n);
        apply_controlled_kq(&mut expected, targets, cmask, m);
        let mut results = Vec::new();
        let mut portable = state(n);
        run_program_with(Portable, &mut portable, std::slice::from_ref(&kernel), &mut Vec::new());
        results.push(("portable", portable));
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = Avx2::detect() {
            let mut fast = state(n);
            // SAFETY: `s` proves the CPU has AVX2 and FMA.
            unsafe {
                run_program_avx2(s, &mut fast, std::slice::from_ref(&kernel), &mut Vec::new())
            };
            results.push(("avx2", fast));
        }
        for (name, got) in results {
            let worst = got.iter().zip(&expected).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
            assert!(worst < 1e-12, "{name}: {kernel:?} deviates by {worst:e}");
        }
    }

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

    /// States of one to three qubits: fewer groups than one unrolled step of the walker.
    #[test]
    fn kernels_agree_with_the_reference_on_tiny_states() {
        let m1 = [c(0.6, 0.1), c(-0.3, 0.7), c(0.2, -0.5), c(0.9, 0.4)];
        let r1 = [0.6, -0.8, 0.8, 0.6];
        let dense: Vec<Complex64> =
            (0..16).map(|i| c((i as f64 * 0.3).sin(), (i as f64 * 0.7).cos())).collect();
        for n in 1..=3 {
            for q in 0..n {
                check(n, Kernel::Dense1 { q, m: m1 }, &[q], 0, &m1);
                check(n, Kernel::Real1 { q, m: r1 }, &[q], 0, &r1.map(|v| c(v, 0.0)));
                for q1 in (0..n).filter(|&q1| q1 != q) {
                    let boxed: Box<[Complex64; 16]> = Box::new(dense.clone().try_into().unwrap());
                    check(n, Kernel::Dense2 { q0: q, q1, m: boxed }, &[q, q1], 0, &dense);
                    let x = [c(0., 0.), c(1., 0.), c(1., 0.), c(0., 0.)];
                    check(n, Kernel::Flip { cmask: 1 << q1, t: q }, &[q], 1 << q1, &x);
                }
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

    /// Programs mixing permutations (the state moves between the buffers) with single-qubit
    /// kernels in a row (applied in shared passes) agree with applying each kernel by itself.
    #[test]
    fn programs_with_permutations_and_paired_kernels_agree_with_one_by_one() {
        let m1 = [c(0.6, 0.1), c(-0.3, 0.7), c(0.2, -0.5), c(0.9, 0.4)];
        let r1 = [0.6, -0.8, 0.8, 0.6];
        // The CNOT chain 0 -> 1 -> ... -> 5 (prefix XOR), then an X on qubit 2.
        let chain: Vec<u32> = (0..N).map(|k| ((1u32 << N) - 1) & !((1u32 << k) - 1)).collect();
        let perm = Kernel::affine_perm(&chain, 0b100, 3);
        let reference = |amps: &mut Vec<Complex64>, kernel: &Kernel| match kernel {
            Kernel::Real1 { q, m } => {
                apply_controlled_kq(amps, &[*q], 0, &m.map(|v| c(v, 0.0)));
            }
            Kernel::Dense1 { q, m } => apply_controlled_kq(amps, &[*q], 0, m),
            Kernel::Diag { bits, lo, hi } => {
                for (i, a) in amps.iter_mut().enumerate() {
                    *a *= lo.get(i & ((1 << bits) - 1)).copied().unwrap_or(c(1., 0.));
                    *a *= hi.get(i >> bits).copied().unwrap_or(c(1., 0.));
                }
            }
            Kernel::Perm { lo_bits, lo, hi } => {
                let mut out = vec![c(0., 0.); amps.len()];
                for (i, a) in amps.iter().enumerate() {
                    out[(lo[i & ((1 << lo_bits) - 1)] ^ hi[i >> lo_bits]) as usize] = *a;
                }
                *amps = out;
            }
            _ => unreachable!(),
        };
        // Diagonals right before a permutation are applied while scattering.
        let phases = |k: usize, step: f64| -> Vec<Complex64> {
            (0..k).map(|i| Complex64::from_polar(1.0, step * i as f64)).collect()
        };
        let diag = |lo: usize, hi: usize| Kernel::Diag {
            bits: 2,
            lo: phases(lo, 0.3),
            hi: phases(hi, -0.7),
        };
        let programs: Vec<Vec<Kernel>> = vec![
            vec![
                diag(4, 16),
                perm.clone(),
                Kernel::Real1 { q: 1, m: r1 },
                diag(4, 0),
                perm.clone(),
            ],
            vec![
                diag(0, 16),
                perm.clone(),
                diag(4, 16),
                Kernel::Real1 { q: 0, m: r1 },
                perm.clone(),
            ],
            vec![Kernel::Real1 { q: 0, m: r1 }, Kernel::Dense1 { q: 3, m: m1 }],
            vec![Kernel::Dense1 { q: 5, m: m1 }, Kernel::Real1 { q: 0, m: r1 }],
            vec![Kernel::Dense1 { q: 2, m: m1 }, Kernel::Dense1 { q: 1, m: m1 }],
            vec![
                Kernel::Real1 { q: 4, m: r1 },
                Kernel::Real1 { q: 1, m: r1 },
                perm.clone(),
                Kernel::Real1 { q: 2, m: r1 },
                perm.clone(),
                Kernel::Dense1 { q: 0, m: m1 },
                perm.clone(),
                Kernel::Real1 { q: 0, m: r1 },
                Kernel::Real1 { q: 5, m: r1 },
                Kernel::Real1 { q: 3, m: r1 },
            ],
        ];
        for program in programs {
            let mut expected = state(N);
            program.iter().for_each(|k| reference(&mut expected, k));
            let mut got = state(N);
            run_program(&mut got, &program, &mut Vec::new());
            let mut portable = state(N);
            let mut scratch = Vec::new();
            if run_program_with(Portable, &mut portable, &program, &mut scratch) {
                let len = portable.len();
                portable.copy_from_slice(&scratch[..len]);
            }
            // Twice: the second run starts with the thread's spare buffer from the first.
            let mut owned = [state(N), state(N)];
            owned.iter_mut().for_each(|o| run_program_owned(o, &program));
            let [owned, owned_again] = owned;
            for result in [got, portable, owned, owned_again] {
                let worst =
                    result.iter().zip(&expected).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
                assert!(worst < 1e-12, "{program:?} deviates by {worst:e}");
            }
        }
    }

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
