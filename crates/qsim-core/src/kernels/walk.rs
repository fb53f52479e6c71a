//! Group walkers: every kernel that touches pairs or quads of amplitudes visits them through
//! [`for_groups`], the one loop (with the raw-pointer accesses) that all of them share.

use num_complex::Complex64;

use super::lanes::Lanes;

/// Views amplitudes as interleaved `re, im` doubles.
#[inline(always)]
pub(super) fn as_f64(amps: &mut [Complex64]) -> &mut [f64] {
    bytemuck::cast_slice_mut(amps)
}

/// What a single-qubit kernel does to the amplitudes of its pairs (index `i` with bit `q` clear
/// and `i + 2^q`), two pairs at a time.
pub(super) trait PairOp<S: Lanes> {
    /// `a` holds two amplitudes with the target bit clear, `b` their partners.
    fn pair(&self, s: S, a: S::V, b: S::V) -> (S::V, S::V);
    /// Target qubit 0: `v` holds one whole pair, `[bit clear, bit set]`.
    fn packed(&self, s: S, v: S::V) -> S::V;
}

/// What a two-qubit kernel does to one group of four amplitudes (target bits `00, 01, 10, 11`,
/// bit 0 = the lower position), two groups at a time.
pub(super) trait QuadOp<S: Lanes> {
    /// Lower target position >= 1: `x[k]` holds member `k` of two consecutive groups.
    fn quad(&self, s: S, x: [S::V; 4]) -> [S::V; 4];
    /// Lower target at position 0: `v[0] = [x0, x1]`, `v[1] = [x2, x3]` of one group.
    fn packed(&self, s: S, v: [S::V; 2]) -> [S::V; 2];
}

/// The four doubles at `ptr + offset`.
///
/// # Safety
/// `ptr + offset .. ptr + offset + 4` valid for reads and writes, with no other live reference.
#[inline(always)]
unsafe fn vector_at<'a>(ptr: *mut f64, offset: usize) -> &'a mut [f64] {
    // SAFETY: the caller guarantees that the four doubles at `ptr + offset` lie in one live
    // allocation and are not otherwise referenced while the slice lives (see `# Safety`).
    unsafe { std::slice::from_raw_parts_mut(ptr.add(offset), 4) }
}

/// Applies `op` to every pair of amplitudes differing in bit `q` whose index has every bit of
/// `cmask` set (`cmask` excludes `q`). For `q >= 1` the two members of a pair sit in two vectors
/// `2^(q-1)` apart (`pair`); for `q = 0` each vector holds one pair (`packed`).
#[inline(always)]
pub(super) fn for_pairs<S: Lanes, O: PairOp<S>>(
    s: S,
    amps: &mut [Complex64],
    q: usize,
    cmask: usize,
    op: &O,
) {
    if q == 0 {
        for_groups(s, amps, [0], cmask, &Packed(op));
    } else {
        for_groups(s, amps, [0, 1 << (q - 1)], cmask, &Pairs(op));
    }
}

/// Applies `op` to every group of four amplitudes differing in bits `l < h` whose index has every
/// bit of `cmask` set. For `l >= 1` the four members sit in four vectors (`quad`); for `l = 0` a
/// vector holds members `(0, 1)` or `(2, 3)` of one group (`packed`).
#[inline(always)]
pub(super) fn for_quads<S: Lanes, O: QuadOp<S>>(
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
                // SAFETY: this is vector `base + steps[u] + offsets[k]`, inside `x` as argued for
                // `group`; the slice lives only for this load, and nothing else refers to `x`
                // while `ptr` is in use.
                old[k] = s.load(unsafe { vector_at(group, step + offsets[k]) });
            }
            let new = op.apply(s, old);
            for k in 0..K {
                let v = if blend { s.blend_halves(old[k], new[k]) } else { new[k] };
                // SAFETY: the vector of the load above, again for the one store only.
                s.store(unsafe { vector_at(group, step + offsets[k]) }, v);
            }
        }
        base = (((base | skip) + 1) & !skip) | controls;
    }
}
#[cfg(test)]
mod tests {
    use num_complex::Complex64;

    use crate::kernels::program::Kernel;
    use crate::kernels::reference::{c, check};

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
}
